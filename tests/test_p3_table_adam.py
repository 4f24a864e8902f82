"""The table fits' Adam protocol run by the batched engine (coarsepde.kinetic.engine.table_adam).

* Its fits are the Adam fits ``fit_table`` runs itself: same end parameters and history to round-off, for every
  scheme of Tables 1-8 and 11, with random windows; and a table fit from the stored Adam results equals the one that
  ran Adam itself (converged protocol included).
* Bad input is refused with a message: an unknown table, a scheme without Adam protocol, a store without the
  table's fit or with a fit of another model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coarsepde.kinetic.engine import BatchedFits
from coarsepde.kinetic.engine.table_adam import adam_dataset, adam_results, table_adam_tasks
from coarsepde.kinetic.examples import REGULARIZATION_TABLES, fit_variants
from coarsepde.kinetic.experiments import fit_one, fit_seed, fit_table, make_model
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.protocols import AdamProtocol, ConvergedProtocol
from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_nb

torch.set_num_threads(1)
INV = (16, 64)
ADAM = {s: AdamProtocol(40, 0.02, batch_windows=3, history_every=10) for s in ("fe", "imex1", "bdf2", "bdf4")}
ADAM["ars222"] = AdamProtocol(15, 0.02, batch_windows=2, history_every=5)
CONVERGED = {s: ConvergedProtocol(lsq_steps=30, lbfgs_steps=5, from_init=False) for s in ADAM}
KW = {"eps_range": (1e-3, 0.1), "init": 1.5}


@pytest.fixture(scope="module")
def datasets():
    setup = TransportSetup(eps=np.array([1.0 / k for k in INV]), nx=40, stride=8, n_snapshots=10)
    gen = generate_ars222(setup, ic_nb(setup.x))
    return {1.0 / k: FitData.from_generated(gen, i) for i, k in enumerate(INV)}


@pytest.fixture(scope="module")
def stores(datasets):
    out = []
    for e, data in datasets.items():
        tasks = table_adam_tasks(data, e, [1, 2, 3, 4, 5, 6, 7, 8, 11], ADAM, seed=3, **KW)
        hists = BatchedFits(data, tasks).run()
        out.append(adam_dataset(tasks, hists, 1.0, e))
    return out


@pytest.mark.parametrize("table,converged_too", [(1, True), (4, True), (6, True), (11, False)])
def test_engine_adam_equals_the_tables_own_adam(datasets, stores, table, converged_too):
    kw = {"adam": ADAM, "converged": CONVERGED, "seed": 3, **KW}
    warm = None
    if table == 6:  # ARS(2,2,2) starts its converged fit from the IMEX-BDF-2 fit of Table 5
        _, warm = fit_table(datasets, 5, **kw)
        warm = {k: v for k, v in warm.items()}
    ref, _ = fit_table(datasets, table, warm_starts=warm, **kw)
    done = adam_results(stores, table, datasets=datasets, **KW)
    assert len(done) == len(ref.scheme) * len(INV)
    new, _ = fit_table(datasets, table, warm_starts=warm, adam_done=done, **kw)
    a, b = ref.sel(protocol="adam"), new.sel(protocol="adam")
    assert np.allclose(a.parameters, b.parameters, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert np.allclose(ref.adam_loss, new.adam_loss, rtol=1e-9, atol=0, equal_nan=True)
    assert np.allclose(ref.adam_error, new.adam_error, rtol=1e-9, atol=0, equal_nan=True)
    # converged: from starts equal to round-off; on these 10 snapshots 30 least-squares and 5 L1 L-BFGS steps do
    # not converge, and L-BFGS on the kinked L1 loss amplifies the last bits (measured up to 0.7 % of Error%). The
    # 71 weights of K = 2, M = 2 (Table 11) are ill-determined by 10 snapshots of 40 cells: there the converged
    # Error% moved from 10 % to 192 % (measured), so only its Adam part is compared. At the ci scale's data Tables
    # 7 and 8 agreed to 1e-7 (measured when the engine path was introduced).
    assert (ref.converged_start.values == new.converged_start.values).all()
    if converged_too:
        assert np.allclose(ref.error.sel(protocol="converged"), new.error.sel(protocol="converged"), rtol=0.02)


def test_bad_input_is_refused(datasets, stores):
    e, data = next(iter(datasets.items()))
    with pytest.raises(ValueError, match="no table 9"):
        table_adam_tasks(data, e, [9], ADAM, **KW)
    with pytest.raises(ValueError, match="ars222"):
        table_adam_tasks(data, e, [6], {"fe": ADAM["fe"]}, **KW)
    partial = stores[0].isel(fit=slice(0, 2))
    with pytest.raises(ValueError, match="no fit T7-bdf2"):
        adam_results([partial], 7, datasets={e: data}, **KW)
    with pytest.raises(ValueError, match="no Adam store"):
        adam_results(stores[:1], 7, datasets=datasets, **KW)
    wrong = stores[0].copy(deep=True)  # Table 1's M = 0 parameters where Table 3's (M = 2) belong
    labels = list(wrong.fit.values)
    i1, i3 = labels.index("T1-fe"), labels.index("T3-fe")
    labels[i1], labels[i3] = "T3-fe", "T1-fe"
    wrong = wrong.assign_coords(fit=np.array(labels, dtype=object))
    with pytest.raises(ValueError, match="does not fit its model"):
        adam_results([wrong], 3, datasets={e: data}, **KW)


def test_regularised_variants_adam_equals_fit_one(datasets):
    """Tables 9 and 10 (fit_variants) train their Adam in the engine: equal to fit_one's own Adam to round-off,
    penalties (sparsity, <g> = 0) and the wide eps_pred interval included."""
    variants = REGULARIZATION_TABLES[9] + REGULARIZATION_TABLES[10][1:]
    e = 1.0 / INV[1]
    adam, conv = ADAM["bdf2"], CONVERGED["bdf2"]
    ds = fit_variants({e: datasets[e]}, variants, adam=adam, converged=conv, gamma_rel=1e-3, seed=3, **KW)
    for var in variants:
        gamma = float(ds.gamma.sel(variant=var.name).item())
        assert (gamma > 0) == (var.sparsity > 0)
        kw = {**KW, "eps_range": var.eps_range or KW["eps_range"]}
        ref = fit_one(datasets[e], e, var.scheme, var.K, var.M, adam=adam, converged=conv, seed=fit_seed(3, e),
                      sparsity=gamma, mean_zero=var.mean_zero, **{k: v for k, v in kw.items()})  # fmt: skip
        row = ds.sel(variant=var.name, inv_eps=INV[1])
        got = row.parameters.sel(protocol="adam", parameter=ref["adam"]["parameter_names"]).values
        assert np.allclose(got, ref["adam"]["parameters"], rtol=1e-9, atol=1e-12), var.name
        assert np.allclose(row.adam_loss.values[: len(ref["history"].loss)], ref["history"].loss, rtol=1e-9), var.name


def test_ars_converged_keeps_the_better_of_adam_end_and_warm_start(datasets):
    """ARS(2,2,2) solves its converged protocol from the Adam end and from the warm start (the IMEX-BDF-2 fit) and
    keeps the lower L1 loss. With the warm start alone (the earlier rule) the row took whatever that start gave (at
    1/eps = 512 of the default data: 86.9 % where the Adam end reaches 2.84 %)."""
    e = 1.0 / INV[0]
    data = datasets[e]
    warm = make_model(data.ops, 2, 2, KW["eps_range"], KW["init"]).state_dict()
    lines: list[str] = []
    out = fit_one(data, e, "ars222", 2, 2, adam=ADAM["ars222"], converged=CONVERGED["ars222"], seed=3,
                  warm_start=warm, log=lines.append, **KW)  # fmt: skip
    losses = {}
    for line in lines:
        if "converged from" in line:
            name = line.split("'")[1]
            losses[name] = float(line.split("L1 loss ")[1].split(",")[0])
    assert set(losses) == {"adam", "warm"}, lines
    assert out["converged_start"] == min(losses, key=losses.get)

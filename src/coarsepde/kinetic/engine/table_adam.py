"""The Adam protocol of the pipeline's table fits (Tables 1-8 and 11 of Delgadillo, Hu, Yang) at one eps, batched.

Every table fit has two protocols (:func:`coarsepde.kinetic.experiments.fit_one`): the paper's Adam and the
converged optimum of the same ansatz. The Adam fits of all tables at one eps read the same snapshots, so one job
per eps trains them together in the batched engine (:class:`~coarsepde.kinetic.engine.batched.BatchedFits`), and
each table's job starts its converged fits from them (:class:`~coarsepde.kinetic.experiments.AdamResult`).

A fit here is the fit ``fit_one`` would run: the table's model at the authors' initialisation, its scheme, no
penalty, and the scheme's Adam protocol with the seed :func:`~coarsepde.kinetic.experiments.fit_seed` (so the same
random windows); the engine follows ``training.fit`` to round-off (``tests/test_p3_engine.py``).

The store (:func:`adam_dataset`) has one row per fit, labelled ``T<table>-<scheme>``: its flat parameters (in
``named_parameters`` order, NaN-padded), its history records and its share of the run's wall time.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence

import numpy as np
import torch
import xarray as xr

from coarsepde.kinetic.engine.batched import BatchedFits
from coarsepde.kinetic.engine.protocol import FitTask
from coarsepde.kinetic.experiments import TABLES, AdamResult, fit_seed, load_flat_parameters, make_model
from coarsepde.kinetic.fit_store import string_array
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.protocols import AdamProtocol, AdamSettings
from coarsepde.kinetic.training import FitHistory

__all__ = ["fit_label", "table_adam_tasks", "run_adam", "adam_dataset", "adam_results"]


def fit_label(table: int, scheme: str) -> str:
    return f"T{int(table)}-{scheme}"


def table_adam_tasks(
    data: FitData,
    eps: float,
    tables: Sequence[int],
    adam: Mapping[str, AdamProtocol],
    *,
    eps_range: Sequence[float],
    init: float,
    seed: int = 0,
) -> list[FitTask]:
    """One engine task per scheme of every table of ``tables`` at ``eps``, as ``fit_table`` would fit it."""
    tasks = []
    for t in tables:
        if t not in TABLES:
            raise ValueError(f"no table {t}; the tables are {sorted(TABLES)}")
        spec = TABLES[t]
        for scheme in spec.schemes:
            if scheme not in adam:
                raise ValueError(f"no Adam protocol for {scheme!r} (Table {t})")
            s = fit_seed(seed, eps)
            torch.manual_seed(s)  # as fit_one (the model is deterministic; kept for identity)
            model = make_model(data.ops, spec.K, spec.M, eps_range, init, spec.dictionary_g, spec.dictionary_rho)
            settings = AdamSettings.from_protocol(adam[scheme], s)
            tasks.append(FitTask(model, scheme, settings, eps_true=eps, name=fit_label(t, scheme)))
    return tasks


def run_adam(data: FitData, tasks: Sequence[FitTask]) -> list[AdamResult]:
    """Train ``tasks`` together in the engine; per task its :class:`AdamResult` (end state, history, an equal share
    of the wall time) for :func:`~coarsepde.kinetic.experiments.fit_one`'s ``adam_done``."""
    t0 = time.perf_counter()
    hists = BatchedFits(data, tasks).run()
    share = (time.perf_counter() - t0) / max(len(tasks), 1)
    for h in hists:
        h.adam_seconds = share
    return [AdamResult(copy.deepcopy(t.model.state_dict()), h, share) for t, h in zip(tasks, hists)]


def adam_dataset(tasks: Sequence[FitTask], hists: Sequence[FitHistory], seconds: float, eps: float) -> xr.Dataset:
    """The store of one run: per fit its flat parameters, history and a share of the ``seconds`` of the run
    (equal shares: the fits advance together)."""
    flat = [torch.cat([p.detach().reshape(-1) for p in t.model.parameters()]).numpy() for t in tasks]
    n_par = max(len(f) for f in flat)
    n_rec = max(len(h.loss) for h in hists)
    params = np.full((len(tasks), n_par), np.nan)
    rec = {k: np.full((len(tasks), n_rec), np.nan) for k in ("iteration", "loss", "error", "eps_pred")}
    for i, (f, h) in enumerate(zip(flat, hists)):
        params[i, : len(f)] = f
        for k in rec:
            v = getattr(h, k)
            rec[k][i, : len(v)] = v
    fits = ("fit",)
    return xr.Dataset(
        {
            "parameters": (fits + ("parameter",), params, {"long_name": "flat parameters after Adam (NaN-padded)"}),
            "n_parameters": (fits, np.array([len(f) for f in flat])),
            "n_records": (fits, np.array([len(h.loss) for h in hists])),
            "iteration": (fits + ("record",), rec["iteration"]),
            "loss": (fits + ("record",), rec["loss"], {"long_name": "Adam L1 loss (all windows)"}),
            "error": (fits + ("record",), rec["error"], {"units": "%", "long_name": "Error% (Eq. 6.2)"}),
            "eps_pred": (fits + ("record",), rec["eps_pred"], {"long_name": "eps_pred (Eq. 5.2)"}),
            "seconds": (fits, np.full(len(tasks), seconds / max(len(tasks), 1)), {"units": "s"}),
        },
        coords={"fit": string_array([t.name for t in tasks])},
        attrs={"eps": float(eps), "inv_eps": round(1.0 / eps), "run_seconds": float(seconds)},
    )


def adam_results(
    stores: Sequence[xr.Dataset], table: int, *, eps_range: Sequence[float], init: float, datasets: Mapping
) -> dict[tuple[str, float], AdamResult]:
    """The Adam fits of ``table`` in ``stores`` (one per eps), keyed by (scheme, eps) as ``fit_table`` takes them;
    ``datasets`` (FitData by eps) give the models' operators. A store without one of the table's fits, or whose
    fit has another parameter count than the table's model, is an error naming both."""
    spec = TABLES[table]
    by_eps = {float(ds.attrs["eps"]): ds for ds in stores}
    out = {}
    for e, data in datasets.items():
        if e not in by_eps:
            raise ValueError(f"Table {table}: no Adam store at 1/eps = {round(1.0 / e)}")
        ds = by_eps[e]
        for scheme in spec.schemes:
            label = fit_label(table, scheme)
            if label not in ds.fit.values:
                raise ValueError(f"the Adam store at 1/eps = {round(1.0 / e)} has no fit {label}")
            row = ds.sel(fit=label)
            model = make_model(data.ops, spec.K, spec.M, eps_range, init, spec.dictionary_g, spec.dictionary_rho)
            n = int(row["n_parameters"])
            try:
                state = load_flat_parameters(model, row["parameters"].values[:n])
            except ValueError as err:
                raise ValueError(f"Table {table}: the Adam store's fit {label} does not fit its model: {err}") from err
            r = int(row["n_records"])
            hist = FitHistory(
                iteration=[int(i) for i in row["iteration"].values[:r]],
                phase=["adam"] * r,
                loss=row["loss"].values[:r].tolist(),
                error=row["error"].values[:r].tolist(),
                eps_pred=row["eps_pred"].values[:r].tolist(),
                adam_seconds=float(row["seconds"]),
            )
            hist.final_loss, hist.final_error, hist.final_eps_pred = hist.loss[-1], hist.error[-1], hist.eps_pred[-1]
            out[(scheme, e)] = AdamResult(state, hist, float(row["seconds"]))
    return out

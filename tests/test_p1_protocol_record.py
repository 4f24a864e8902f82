"""The record of P1's paper-protocol run (coarsepde.discretization.protocol_record, coefficient_stats; the claim rows
of coarsepde.claims.p1_protocol and the partial-run options of check_p1_fig3 / check_p1_fig4), on hand-built stores
and numbers with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import xarray as xr

from coarsepde.claims import (
    PAPER_P1,
    ClaimResult,
    check_p1_fig3,
    check_p1_fig4,
    p1_budgets_from_settings,
)
from coarsepde.claims.p1_protocol import replicas_row
from coarsepde.discretization.coefficient_stats import (
    centre_of_mass,
    centre_statistics,
    polynomial_distances,
    polynomial_stencils,
    stencil_sensitivity,
)
from coarsepde.discretization.equations import Burgers
from coarsepde.discretization.losses import training_pairs
from coarsepde.discretization.metrics import valid_threshold
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.protocol_record import (
    benchmark_rows,
    complete,
    entries_of,
    item5_reading,
    mae_tables,
    median_table,
    select,
    summarise,
    valid_time_samples,
)
from coarsepde.store import write_dataset

PROV = {"params": {}}


def _eval_store(path, methods: dict[str, np.ndarray], exact: np.ndarray, times: np.ndarray, factor: int):
    """A p1_evaluate-like store: exact (S, T, N), one (S, T, N) array per method, t_diverged per method."""
    data = {"exact": (("sample", "time", "x"), exact)}
    tdiv = []
    for m, y in methods.items():
        data[m] = (("sample", "time", "x"), y)
        bad = ~np.isfinite(y).all(axis=2)
        tdiv.append(np.where(bad.any(1), times[np.argmax(bad, axis=1)], np.inf))
    data["t_diverged"] = (("method", "sample"), np.array(tdiv))
    ds = xr.Dataset(
        data,
        coords={"method": np.array(list(methods), dtype=object), "time": times, "sample": np.arange(exact.shape[0])},
        attrs={"factor": factor},
    )
    write_dataset(ds, path, title="t", source="test", references="-", provenance=PROV)
    return str(path)


# ------------------------------------------------------------------------------------------ manifest


def test_manifest_entries_select_and_complete(tmp_path):
    (tmp_path / "a.zarr").mkdir()
    e = entries_of(
        [
            {"kind": "eval", "path": str(tmp_path / "a.zarr"), "replica": None, "equation": "burgers", "factor": 16},
            {"kind": "eval", "path": str(tmp_path / "b.zarr"), "replica": 0, "equation": "burgers", "factor": 16},
        ]
    )
    assert [x.path for x in select(e, replica=None)] == [str(tmp_path / "a.zarr")]
    assert complete(select(e, replica=None)) and not complete(e) and not complete([])
    with pytest.raises(ValueError, match="unknown manifest fields"):
        entries_of([{"kind": "eval", "path": "x", "seed": 3}])


def test_summarise_mean_and_spread():
    assert summarise({0: 1.0, 1: 4.0, 2: 2.5}) == (2.5, 3.0)
    mean, spread = summarise({0: 2.0})
    assert mean == 2.0 and math.isnan(spread)
    mean, spread = summarise({0: math.nan, 1: 1.0, 2: 3.0})  # a diverged run: no mean, spread of the rest
    assert math.isnan(mean) and spread == 2.0


def test_benchmark_rows_read_snakemake_files(tmp_path):
    head = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "p1_protocol_train_seed0_burgers_nn_16x.tsv").write_text(
        head + "3600.5\t1:00:00\t812.2\t0\t0\t0\t0\t0\t0\t3500.25\n"
    )
    (tmp_path / "p1_protocol_evaluate_baselines_burgers_test_16x.tsv").write_text(
        head + "10\t0:00:10\tNA\t0\t0\t0\t0\t0\t0\tNA\n"
    )
    (tmp_path / "p1_train_nn_16x.tsv").write_text(head + "5\t0:00:05\t1\t0\t0\t0\t0\t0\t0\t4\n")
    rows = benchmark_rows(tmp_path, "p1_protocol_")
    assert [r["job"] for r in rows] == [
        "p1_protocol_evaluate_baselines_burgers_test_16x",
        "p1_protocol_train_seed0_burgers_nn_16x",
    ]
    assert rows[1]["wall_s"] == 3600.5 and rows[1]["cpu_s"] == 3500.25 and rows[1]["max_rss_mb"] == 812.2
    assert math.isnan(rows[0]["cpu_s"]) and math.isnan(rows[0]["max_rss_mb"])


# ------------------------------------------------------------------------------------------ Figs. 3, 4


def test_valid_times_and_mae_from_burgers_stores(tmp_path):
    """Three simulations of 4 cells over t = 0 ... 1 (11 outputs): a method equal to the exact solution is valid
    to the end (valid time 1.0) with MAE 0; one off by 10 tau from t = 0.3 on is valid until 0.3; one that
    diverges at t = 0.5 has valid time 0.5 and a NaN MAE, and is not stable."""
    rng = np.random.default_rng(0)
    times = np.linspace(10.0, 11.0, 11)  # the warm-up offset of 10
    fine = rng.uniform(0.5, 1.5, (3, 11, 8))
    exact = fine.reshape(3, 11, 4, 2).mean(-1)
    tau = valid_threshold(fine, 0.2)
    late = exact.copy()
    late[:, 3:] += 10 * tau
    div = exact.copy()
    div[:, 5:] = np.nan
    base = _eval_store(tmp_path / "b.zarr", {"fv1": late}, exact, times, 2)
    mine = _eval_store(tmp_path / "m.zarr", {"nn": exact.copy(), "const": div}, exact, times, 2)
    entries = entries_of(
        [
            {"kind": "eval", "path": base, "equation": "burgers", "domain": "test", "factor": 2},
            {"kind": "eval", "path": mine, "equation": "burgers", "domain": "test", "factor": 2, "replica": 0},
        ]
    )
    fig4 = {"t_max": 1.0, "threshold_quantile": 0.2, "fraction": 0.8}
    import logging

    samples, t_max = valid_time_samples(entries, fine, fig4, logging.getLogger("test"))
    assert t_max == {"burgers": pytest.approx(1.0)}
    np.testing.assert_allclose(samples["burgers", 2, "nn"], [1.0] * 3)
    np.testing.assert_allclose(samples["burgers", 2, "fv1"], [0.3] * 3)
    np.testing.assert_allclose(samples["burgers", 2, "const"], [0.5] * 3)
    table = median_table(samples, 200, 0.95, seed=1)
    assert table["burgers"]["fv1"][2] == pytest.approx((0.3, 0.3, 0.3))
    # one stream per cell: a cell's interval does not depend on which other cells are in the table
    alone = median_table({k: v for k, v in samples.items() if k[2] == "fv1"}, 200, 0.95, seed=1)
    assert alone["burgers"]["fv1"] == table["burgers"]["fv1"]

    mae, shown, stable = mae_tables(entries, t_max=10.55)  # the outputs t = 10, 10.1, ..., 10.5
    assert mae["nn"][2] == 0.0 and shown["nn"][2] and stable["nn"][2]
    assert mae["fv1"][2] == pytest.approx(10 * tau * 3 / 6) and stable["fv1"][2]  # 3 of 6 outputs off by 10 tau
    assert math.isnan(mae["const"][2]) and not shown["const"][2] and not stable["const"][2]


def _fig4_stats(nn_coarse: float):
    return {
        "kdv": {
            "fv3": {2: (20.0, 12.0, 38.0), 4: (0.5, 0.5, 1.0)},
            "nn": {2: (25.0, 15.0, 40.0), 4: (nn_coarse, 4.0, 8.0)},
        }
    }


def test_fig4_coarsest_factor_is_scored_only_where_judged():
    """KdV rows 2x and 4x of a scale whose coarsest factor is 16x: the NN still valid at 4x fails part (c) only when
    4x is the coarsest factor of the scale."""
    kw = dict(t_max={"kdv": 100.0}, n_sims={"kdv": 100}, min_valid_fraction=0.05, scale="test")
    full = check_p1_fig4(stats=_fig4_stats(6.5), **kw)
    assert not full.passed and "NN still valid at the coarsest factor 4x" in full.reproduced_value
    part = check_p1_fig4(stats=_fig4_stats(6.5), coarsest_judged=[], **kw)
    assert part.passed and "(not the coarsest factor: not scored)" in part.reproduced_value
    worse = _fig4_stats(0.2)
    worse["kdv"]["fv3"][2] = (30.0, 26.0, 40.0)  # NN 25 below FV3's CI at 2x: (a) still scored
    assert not check_p1_fig4(stats=worse, coarsest_judged=[], **kw).passed


def test_fig3_constant_models_are_scored_at_their_own_factors():
    """The constant models run at 8x as well as the NN factors 16x / 32x: they are compared with FV1 at 8x, the one
    factor where FV1 is stable, and the row passes on that; without 8x it fails for want of a stable baseline."""
    mae = {
        "fv1": {2: 4e-3, 4: 2.6e-2, 8: 0.18, 16: math.nan, 32: math.nan},
        "nn": {16: 3e-3, 32: 2e-2},
        "const": {8: 8.5e-2, 16: 0.3, 32: math.nan},
        "const_godunov": {8: 5.2e-2, 16: 8.8e-2, 32: 0.11},
    }
    shown = {m: {f: bool(np.isfinite(v)) for f, v in d.items()} for m, d in mae.items()}
    kw = dict(ratio=8, const_min_factor=8, nn_factor=32, nn_stable=True, scale="test")
    r = check_p1_fig3(mae=mae, shown=shown, **kw)
    assert r.passed, r.reproduced_value
    assert "const 8x 8.500e-02 vs FV1 1.800e-01" in r.reproduced_value
    for name in ("const", "const_godunov"):
        del mae[name][8], shown[name][8]
    r = check_p1_fig3(mae=mae, shown=shown, **kw)
    assert not r.passed and "no factor >= 8 with the baseline stable" in r.reproduced_value


# ------------------------------------------------------------------------------------------ claim rows


def _row(passed: bool, value: str, cid="P1-fig2-coeffs"):
    return ClaimResult(
        id=cid, claim="c.", paper_value="p", reproduced_value=value, tolerance="t", passed=passed, scale="x"
    )


def test_replicas_row_passes_only_when_every_replica_passes():
    paper = p1_budgets_from_settings({"burgers": {"steps": 40000, "batch": 128, "snapshots": 8000}})
    ok = replicas_row({0: _row(True, "r -0.8"), 2: _row(True, "r -0.7")}, paper)
    assert ok.passed and ok.verdict == "reproduced"
    assert ok.reproduced_value == "passed on replicas 0, 2 of 2; replica 0: r -0.8; replica 2: r -0.7"
    mixed = replicas_row({0: _row(True, "r -0.8"), 1: _row(False, "r 0.1")}, paper)
    assert not mixed.passed and mixed.verdict == "unexplained" and mixed.claim.startswith("[2 seeds]")
    short = p1_budgets_from_settings({"burgers": {"steps": 30, "batch": 4, "snapshots": 80}})
    nr = replicas_row({0: _row(False, "r 0.1")}, short, paper=PAPER_P1)
    assert nr.verdict == "not-reached" and "30 steps at batch 4" in nr.evidence
    with pytest.raises(ValueError, match="different claims"):
        replicas_row({0: _row(True, "a"), 1: _row(True, "b", cid="P1-fig3-burgers")}, paper)


# ------------------------------------------------------------------------------------------ Fig. 2, item 5


def test_centre_of_mass_and_distances_of_polynomial_stencils():
    poly = polynomial_stencils()
    assert centre_of_mass(poly["centred 6-pt"]) == pytest.approx(0.0, abs=1e-14)
    assert centre_of_mass(poly["one-sided left 3-pt"]) < -1 < 1 < centre_of_mass(poly["one-sided right 3-pt"])
    d = polynomial_distances(poly["centred 4-pt"])
    assert d["centred 4-pt"] == 0.0 and min(v for k, v in d.items() if k != "centred 4-pt") > 0.05
    # a centre that follows -v exactly: correlation -1; the face value is the mean of the two cells
    v = np.array([[0.0, 1.0, 3.0, -1.0]])
    st = centre_statistics(-(v + np.roll(v, 1, axis=-1)), np.ones_like(v) + v, v)
    assert st["corr"] == pytest.approx(-1.0) and st["v_face"].tolist() == [-0.5, 0.5, 2.0, 1.0]


def test_stencil_sensitivity_of_a_constant_model():
    """At z = 0 the constant model is the centred 6-point scheme, whose d/dx stencil is antisymmetric and value
    stencil symmetric: mirroring either or swapping in c0 changes nothing. With one-sided free coefficients the
    mirrored value stencil changes the loss; an identity swap reproduces the model's own loss (compiled flux path)."""
    rng = np.random.default_rng(3)
    n, f = 64, 4
    x = np.arange(n) * 2 * np.pi / n
    v = np.stack([np.sin(x + p) + 0.3 * np.cos(3 * x + 2 * p) for p in rng.uniform(0, 6, 20)])
    eq = Burgers(0.01, 2 * np.pi, "centered")
    dvdt = np.stack(
        [
            eq.time_derivative(
                {"v": torch.as_tensor(u[None]), "v_x": torch.as_tensor(np.gradient(u, x)[None])}, x[1] - x[0]
            ).numpy()[0]
            for u in v
        ]
    )
    xin, y = training_pairs(v, dvdt, f)
    model = LearnedDiscretization(eq, 2 * np.pi / (n // f), "constant")
    s = stencil_sensitivity(model, xin, y)
    assert s["d/dx mirrored"] == pytest.approx(s["model"], rel=1e-12)
    assert s["d/dx centred 6-pt"] == pytest.approx(s["model"], rel=1e-12)
    assert s["value mirrored"] == pytest.approx(s["model"], rel=1e-12)
    with torch.no_grad():
        model.z.copy_(torch.as_tensor(rng.normal(0, 0.3, model.n_free)))
    s = stencil_sensitivity(
        model, xin, y, swaps={"identity": ("v_x", lambda c: c), "value mirrored": ("v", lambda c: torch.flip(c, (-1,)))}
    )
    assert s["identity"] == pytest.approx(s["model"], rel=1e-10)
    assert abs(s["value mirrored"] - s["model"]) > 1e-3 * s["model"]
    with pytest.raises(ValueError, match="no 'v_xx' stencil"):
        stencil_sensitivity(model, xin, y, swaps={"x": ("v_xx", None)})


def test_item5_reading_names_data_or_training():
    strong = {
        0: {"model": 1.0, "d/dx mirrored": 1.5, "corr": -0.7},
        1: {"model": 2.0, "d/dx mirrored": 2.4, "corr": -0.6},
    }
    assert item5_reading(strong).startswith("the data decide it")
    weak = {
        0: {"model": 1.0, "d/dx mirrored": 1.05, "corr": -0.7},
        1: {"model": 2.0, "d/dx mirrored": 2.4, "corr": -0.6},
    }
    assert item5_reading(weak).startswith("our training decides it") and "+5 %" in item5_reading(weak)
    split = {0: strong[0], 1: {"model": 2.0, "d/dx mirrored": 2.4, "corr": 0.2}}
    assert item5_reading(split).startswith("our training decides it")
    assert item5_reading({}).startswith("not measured yet")

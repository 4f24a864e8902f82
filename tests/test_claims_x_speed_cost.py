"""X-speed-equal-accuracy and X-p2-cost-vs-original: the two checks on numbers (thresholds at their boundary),
the equal-accuracy pairing and the MAE table, the side-by-side timing of coarse solvers on a small synthetic
large-domain store, one patch-dynamics macro step (equal to projective integration's first step), and the
interleaved timing helper."""

import math

import numpy as np
import pytest
import xarray as xr

from coarsepde.claims import SpeedRecord, check_x_p2_cost, check_x_speed_equal_accuracy
from coarsepde.discretization.simulate import SolverSettings
from coarsepde.discretization.speed import ZERO, equal_accuracy_pairs, mae_table, time_coarse_solvers
from coarsepde.homogenization.equation_free import projective_integrate
from coarsepde.homogenization.problem1d import setup
from coarsepde.homogenization.step_cost import macro_step, time_macro_step
from coarsepde.numerics.timing import interleaved


def _rec(method="nn", factor=16, mae=0.01, zero=0.5, g=8, seconds=1.0, weno=0.5):
    return SpeedRecord(method, factor, mae, zero, g, 0.009, seconds, weno, 2 * weno)


# ---------------------------------------------------------------------------------------- X-speed-equal-accuracy


def test_speed_record_ratio_and_accuracy():
    r = _rec(seconds=2.0, weno=0.5)
    assert r.ratio == 0.25
    assert r.accurate(0.02) and r.accurate(0.1)  # 0.01 <= 0.02 x 0.5: the boundary passes
    assert not r.accurate(0.019)
    assert math.isnan(_rec(g=None).ratio)
    assert not _rec(mae=math.nan).accurate(1.0)


def test_speed_check_passes_only_with_ratio_at_least_one_where_accurate():
    slow = _rec(factor=16, seconds=2.0, weno=0.5)  # ratio 0.25, accurate
    fast_inaccurate = _rec(factor=32, mae=0.2, seconds=0.1, weno=1.0)  # ratio 10, MAE 0.4 of v = 0
    r = check_x_speed_equal_accuracy([slow, fast_inaccurate], accurate_fraction=0.1, problem="p", scale="ci")
    assert not r.passed and r.verdict == "unexplained"
    assert "best scored ratio 0.25" in r.reproduced_value
    assert "ratio 10" in r.reproduced_value and "not accurate" in r.reproduced_value
    even = _rec(factor=8, seconds=0.5, weno=0.5)  # ratio exactly 1
    r = check_x_speed_equal_accuracy([slow, even], accurate_fraction=0.1, problem="p", scale="ci")
    assert r.passed and r.verdict == "reproduced" and "best scored ratio 1;" in r.reproduced_value
    assert "0.1 x the MAE of predicting v = 0" in r.claim


def test_speed_check_reports_diverged_and_unmatched_factors_without_scoring_them():
    rows = [
        _rec(factor=4, g=None, seconds=math.nan, weno=math.nan),
        _rec(factor=64, mae=math.nan, g=None, seconds=math.nan, weno=math.nan),
    ]
    r = check_x_speed_equal_accuracy(rows, accurate_fraction=0.1, problem="p", scale="ci")
    assert not r.passed
    assert "nn 4x (MAE 1.00e-02, 0.02 of v = 0): no configured WENO resolution as accurate" in r.reproduced_value
    assert "nn 64x: diverged or worse than v = 0" in r.reproduced_value
    assert "best scored ratio nan" in r.reproduced_value


def test_equal_accuracy_pairs_take_the_coarsest_weno_at_least_as_accurate():
    mae = {
        "weno": {4: 0.001, 8: 0.004, 16: 0.02, 32: math.nan},
        "nn": {4: 0.0005, 8: 0.005, 16: 0.01, 32: 0.03},
        "const": {4: 0.002, 8: math.nan, 16: 0.5, 32: 0.5},
    }
    pairs = equal_accuracy_pairs(mae, [32, 4, 16, 8], learned=("nn", "const"))
    assert pairs == [
        ("nn", 4, None),  # more accurate than WENO at every factor
        ("nn", 8, 8),
        ("nn", 16, 8),
        ("nn", 32, 16),  # WENO 32x diverged: not a candidate
        ("const", 4, 4),
        ("const", 16, 16),
        ("const", 32, 16),
    ]
    assert equal_accuracy_pairs(mae, [4, 8, 16, 32], learned=("nn",), min_factor=16) == [("nn", 16, 8), ("nn", 32, 16)]
    assert equal_accuracy_pairs(mae, [4, 8, 16, 32], learned=("nn", "const"), available=[("nn", 8)]) == [("nn", 8, 8)]


def test_mae_table_reads_the_evaluation_stores(tmp_path):
    t = np.array([10.0, 11.0, 12.0])
    exact = np.ones((2, 3, 4))
    ds = xr.Dataset(
        {
            "exact": (("sample", "time", "x"), exact),
            "weno": (("sample", "time", "x"), exact + 0.1),
            "nn": (("sample", "time", "x"), np.where(np.arange(2)[:, None, None] == 0, exact, np.nan)),
        },
        coords={"method": ("method", np.array(["weno", "nn"], dtype=object)), "time": t},
    )
    ds.to_zarr(tmp_path / "e.zarr", consolidated=False)
    mae = mae_table({8: tmp_path / "e.zarr"}, t_max=11.5)
    assert mae["weno"][8] == pytest.approx(0.1)
    assert math.isnan(mae["nn"][8])  # one sample diverged: Fig. 3C omits the marker
    assert mae[ZERO][8] == pytest.approx(1.0)


def test_time_coarse_solvers_side_by_side(tmp_path):
    n_fine, length, s = 64, 2 * np.pi, 2
    x = (np.arange(n_fine) + 0.5) * length / n_fine
    times = np.round(np.arange(0.0, 0.35, 0.05), 10)
    v = np.broadcast_to(np.sin(x), (s, times.size, n_fine)) * np.array([1.0, 0.5])[:, None, None]
    zeros = np.zeros((s, 1))
    ds = xr.Dataset(
        {"v": (("sample", "time", "x"), v.copy())}
        | {f"forcing_{k}": (("sample", "mode"), zeros + (3 if k == "k" else 0)) for k in ("a", "omega", "k", "phi")},
        coords={"time": times},
        attrs={"length": length, "eta": 0.01},
    )
    ds.to_zarr(tmp_path / "large.zarr", consolidated=False)
    runs = [("weno", 4), ("weno_torch", 4), ("weno", 8)]
    timing, problem = time_coarse_solvers(
        tmp_path / "large.zarr", runs, {}, settings=SolverSettings(), span=0.2, repeats=2
    )
    assert sorted(timing) == sorted(runs)
    assert all(tm.seconds > 0 and tm.nfev > 0 for tm in timing.values())
    # the compiled kernel and the torch composition are the same scheme: same adaptive steps
    assert timing[("weno", 4)].nfev == timing[("weno_torch", 4)].nfev
    assert problem == {"samples": 2, "length": length, "t0": 0.0, "t1": pytest.approx(0.2)}


# ----------------------------------------------------------------------------------------- X-p2-cost-vs-original


def _cost(seconds):
    return {
        "seconds": seconds,
        "samples": (seconds, 1.1 * seconds),
        "cpu_seconds": 0.5 * seconds,
        "warmup_seconds": 2.0,
        "trajectories": 1,
        "patches": 9,
        "points_per_patch": 80001,
        "micro_steps": 10,
        "estimates": 1,
        "dx": 1e-7,
        "method": "euler",
    }


def test_p2_cost_check_at_its_boundary():
    kw = dict(original_seconds=6.0, min_speedup=100.0, source="ref", scale="ci")
    r = check_x_p2_cost(_cost(0.06), **kw)
    assert r.passed and r.verdict == "reproduced" and "(100x cheaper)" in r.reproduced_value
    r = check_x_p2_cost(_cost(0.0601), **kw)
    assert not r.passed and r.verdict == "unexplained" and "(99.8x cheaper)" in r.reproduced_value
    r = check_x_p2_cost(_cost(0.35), **kw)
    assert not r.passed and "0.35 s per macro step (17.1x cheaper)" in r.reproduced_value
    assert "CPU time of the process 0.175 s per step (34.3x, reported, not scored)" in r.reproduced_value
    assert "9 patches x 80001 points, dx = 1e-07" in r.claim and "6 s per macro step" in r.claim


@pytest.fixture(scope="module")
def small_patch_problem():
    return setup(
        seed=3,
        n_traj=2,
        eps=1e-5,
        a_mean=1.1,
        a_amplitude=1.0,
        macro_nodes=11,
        tooth_width=1e-4,
        patch_width=8e-3,
        points_per_period=4,
        burst=1e-6,
        burst_first_step=1e-10,
        burst_growth=3.0,
        lift_degree=2,
        ic_terms=5,
        ic_amplitude=1.0,
        ic_max_wavenumber=4.0,
    )


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_macro_step_is_projective_integrations_first_step(small_patch_problem, method):
    ic, teeth, pd = small_patch_problem
    U0 = ic(teeth.x_macro)
    _, U, _ = projective_integrate(pd.time_derivative, U0, dt=1e-3, n_steps=1, method=method)
    np.testing.assert_array_equal(macro_step(pd, U0, dt=1e-3, method=method), U[1])


def test_time_macro_step_counts_the_work(small_patch_problem):
    ic, teeth, pd = small_patch_problem
    calls = pd.calls
    cost = time_macro_step(pd, ic(teeth.x_macro)[:1], dt=1e-3, method="rk4", repeats=3)
    assert pd.calls - calls == 4 * (1 + 3)  # 4 stages, warm-up + 3 timed steps
    assert (cost.trajectories, cost.patches, cost.points_per_patch, cost.estimates) == (1, 9, 3201, 4)
    assert cost.micro_steps == len(pd.steps) and cost.micro_points == 9 * 3201
    assert len(cost.samples) == 3 and cost.seconds == sorted(cost.samples)[1] and cost.warmup_seconds > 0
    assert 0 < cost.cpu_seconds
    with pytest.raises(ValueError):
        time_macro_step(pd, ic(teeth.x_macro), dt=1e-3, repeats=0)


def test_interleaved_runs_in_turn_and_returns_medians():
    order = []
    secs, results = interleaved([lambda: order.append("a") or 1, lambda: order.append("b") or 2], 3)
    assert order == ["a", "b"] * 3 and results == [1, 2] and len(secs) == 2 and min(secs) >= 0
    with pytest.raises(ValueError):
        interleaved([lambda: None], 0)


def test_cpu_clock_counts_this_process_only():
    """The X-speed rule times on the CPU clock: a call that sleeps costs wall-clock but no CPU time, a call that
    computes costs both; an unknown clock is refused."""
    import time

    import numpy as np

    secs, _ = interleaved([lambda: time.sleep(0.2), lambda: np.linalg.svd(np.ones((300, 300)))], 1, "cpu")
    wall, _ = interleaved([lambda: time.sleep(0.2)], 1, "wall")
    assert secs[0] < 0.05 and wall[0] >= 0.19 and secs[1] > 0
    with pytest.raises(ValueError, match="clock"):
        interleaved([lambda: None], 1, "gpu")

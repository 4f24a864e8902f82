"""P1 KdV / Kuramoto-Sivashinsky (Bar-Sinai et al. 2019, "Other Examples", Fig. 4): the fine
pseudo-spectral solver against an exact soliton and under refinement, the conservative equations
and their baselines, learned models (conservation, parameter counts), valid time and bootstrap, the
claim logic, and the scripts end to end."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT

from coarsepde.claims import check_p1_fig4
from coarsepde.discretization.equations import (
    Burgers,
    KdV,
    KuramotoSivashinsky,
    coarse_grain,
    equation_from_dict,
    equation_to_dict,
    make_equation,
    random_initial_conditions,
)
from coarsepde.discretization.metrics import bootstrap_median_ci, valid_threshold, valid_times
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.persist import load_model, save_model
from coarsepde.discretization.simulate import baseline_for, run_coarse, run_valid_time
from coarsepde.discretization.spectral import SpectralSolver, fine_solutions, wavenumbers
from coarsepde.store import provenance, read_dataset

torch.set_num_threads(1)


def soliton(x, t, c, x0, length):
    """KdV soliton (c/2) sech^2(sqrt(c)/2 (x - x0 - c t)), periodised (the tails are < 1e-12 here)."""
    xi = (x - x0 - c * t + length / 2) % length - length / 2
    return c / 2 / np.cosh(np.sqrt(c) / 2 * xi) ** 2


# ------------------------------------------------------------------------------ fine spectral solver


@pytest.mark.parametrize("c", [2.0, 4.0])
def test_kdv_soliton_travels_at_its_speed_and_keeps_its_shape(c):
    """A single soliton over 2 domain crossings at c = 4 (t = 16): max error < 2e-5 at N = 256,
    dt = 2.5e-3; its peak moves at c to 1e-5 relative; ETDRK4 converges at 4th order in dt."""
    eq, n = KdV(), 256
    x = np.arange(n) * eq.length / n
    T = 2 * eq.length / c
    errors = {}
    for dt in (5e-3, 2.5e-3):
        times = np.linspace(0.0, T, 9)  # a quarter domain between outputs
        y = SpectralSolver(eq, n, dt).solve(soliton(x, 0, c, 10.0, eq.length)[None], times)[0]
        errors[dt] = np.abs(y[-1] - soliton(x, T, c, 10.0, eq.length)).max()
        # position from the phase of the first Fourier mode (sub-grid accurate), unwrapped
        position = -np.unwrap(np.angle(np.fft.rfft(y, axis=-1)[:, 1])) * eq.length / (2 * np.pi)
        speed = np.diff(position) / np.diff(times)
        assert np.abs(speed / c - 1).max() < 1e-5
        assert abs(y[-1].max() - soliton(x, T, c, 10.0, eq.length).max()) < 3e-5  # keeps its amplitude
        assert abs(y[-1].sum() - y[0].sum()) < 1e-9 * n  # and its mass
    assert errors[2.5e-3] < 2e-5
    assert 12 < errors[5e-3] / errors[2.5e-3] < 40  # ~2^4 (pre-asymptotic): fourth order in time


def test_kdv_random_solutions_are_mesh_converged():
    """The fine KdV grid of the configs (N = 256 on L = 32, dt = 2.5e-3) agrees with N = 512 to 1e-7
    on the authors' random initial conditions after 20 time units."""
    eq = KdV()
    v512 = random_initial_conditions(range(3), eq.length, 512)
    out = {n: SpectralSolver(eq, n, 2.5e-3).solve(v512[:, :: 512 // n], [20.0]) for n in (128, 256, 512)}
    assert np.abs(out[256][..., :] - out[512][..., ::2]).max() < 1e-7
    assert np.abs(out[128] - out[512][..., ::4]).max() > 10 * np.abs(out[256] - out[512][..., ::2]).max()


def _ks_statistics(n, seeds=range(6), t_end=300.0, dt=5e-3):
    eq = KuramotoSivashinsky()
    v0 = random_initial_conditions(seeds, eq.length, 512)[:, :: 512 // n]
    times = np.arange(100.0, t_end + 1e-9, 2.0)
    v = SpectralSolver(eq, n, dt).solve(v0, times)
    spectrum = np.abs(np.fft.rfft(v, axis=-1)) ** 2 / n**2  # (S, T, modes)
    return times, v, spectrum


def test_ks_statistics_are_stationary_and_converged():
    """After the warm-up of 100, KS is statistically stationary (mean |u| and the energy spectrum of
    the windows t in [100, 200) and [200, 300] agree within 10%), and the statistics of N = 128 and
    N = 256 agree within 10% (the configs' N = 256 resolves the spectrum to < 1e-12 of its peak)."""
    times, v256, s256 = _ks_statistics(256)
    _, v128, s128 = _ks_statistics(128)
    first, second = times < 200, times >= 200
    mean_abs = [np.abs(v256[:, w]).mean() for w in (first, second)]
    assert abs(mean_abs[0] / mean_abs[1] - 1) < 0.1
    k = wavenumbers(256, 64.0)
    band = (k > 0.1) & (k < 1.5)  # the energetic band (peak near 0.7)
    e = [s256[:, w][..., band].mean(axis=(0, 1)) for w in (first, second)]
    assert abs(e[0].sum() / e[1].sum() - 1) < 0.1  # band energy
    # the spectrum in three bins of the band (single modes fluctuate too much over 6 x 50 frames)
    bins = [b.sum() for b in np.array_split(e[0], 3)], [b.sum() for b in np.array_split(e[1], 3)]
    assert np.max(np.abs(np.array(bins[0]) / np.array(bins[1]) - 1)) < 0.25
    # refinement: statistics (not trajectories: chaos) of 128 vs 256
    assert abs(np.abs(v128).mean() / np.abs(v256).mean() - 1) < 0.1
    e256 = s256.mean(axis=(0, 1))[band]
    e128 = s128.mean(axis=(0, 1))[band[: s128.shape[-1]]]
    assert abs(e128.sum() / e256.sum() - 1) < 0.1
    assert s256.mean(axis=(0, 1))[-20:].max() < 1e-12 * s256.mean(axis=(0, 1)).max()
    # short-time trajectories converge (before chaos amplifies the differences)
    eq = KuramotoSivashinsky()
    v0 = random_initial_conditions(range(2), eq.length, 512)
    a = SpectralSolver(eq, 256, 5e-3).solve(v0[:, ::2], [10.0])
    b = SpectralSolver(eq, 512, 2.5e-3).solve(v0, [10.0])
    assert np.abs(a - b[..., ::2]).max() < 1e-6


def test_spectral_rhs_matches_the_conservative_flux_of_a_smooth_field():
    """The spectral right-hand side equals -(J_{i+1} - J_i)/dx of the exact flux of a smooth field
    (cell averages of sinusoids, exact face values), for both equations."""
    for eq in (KdV(), KuramotoSivashinsky()):
        n, L = 64, eq.length
        x = np.arange(n) * L / n
        kk = 2 * np.pi / L * np.array([1, 3])
        v = np.sin(kk[0] * x) + 0.5 * np.cos(kk[1] * x)
        rhs = SpectralSolver(eq, n, 1e-3).time_derivative(v[None])[0]
        # analytic: non-conservative form
        vx = kk[0] * np.cos(kk[0] * x) - 0.5 * kk[1] * np.sin(kk[1] * x)
        vxx = -(kk[0] ** 2) * np.sin(kk[0] * x) - 0.5 * kk[1] ** 2 * np.cos(kk[1] * x)
        vxxx = -(kk[0] ** 3) * np.cos(kk[0] * x) + 0.5 * kk[1] ** 3 * np.sin(kk[1] * x)
        vxxxx = kk[0] ** 4 * np.sin(kk[0] * x) + 0.5 * kk[1] ** 4 * np.cos(kk[1] * x)
        exact = -6 * v * vx - vxxx if eq.name == "kdv" else -v * vx - vxx - vxxxx
        assert np.abs(rhs - exact).max() < 1e-9 * np.abs(exact).max()


def test_spectral_solver_bad_input():
    with pytest.raises(TypeError, match="no spectral form"):
        SpectralSolver(Burgers(), 64, 1e-3)
    with pytest.raises(ValueError, match="even"):
        SpectralSolver(KdV(), 63, 1e-3)
    s = SpectralSolver(KdV(), 64, 1e-2)
    with pytest.raises(ValueError, match="multiples of dt"):
        s.solve(np.zeros((1, 64)), [0.015])
    with pytest.raises(ValueError, match="shape"):
        s.solve(np.zeros((1, 32)), [0.01])
    with pytest.raises(FloatingPointError, match="blew up"):
        SpectralSolver(KdV(), 64, 0.5).solve(5 * random_initial_conditions([0], 32.0, 64), [20.0])
    with pytest.raises(ValueError, match="warm-up"):
        fine_solutions(KdV(), [0], n_fine=64, dt=1e-2, warmup=1.0, t_out=[0.5])


def test_random_initial_conditions_are_the_authors_draw():
    """10 sinusoids, |k| <= 3 on the domain, amplitudes in [-1/2, 1/2], RandomState(seed) order."""
    L, n = 32.0, 256
    v = random_initial_conditions([7], L, n)[0]
    rs = np.random.RandomState(7)
    a = 0.5 * rs.uniform(-1, 1, 10)
    rs.uniform(-0.4, 0.4, 10)  # omega: drawn, unused
    k = rs.choice(np.array([-1, -2, -3, 1, 2, 3]), 10)
    phi = rs.uniform(0, 2 * np.pi, 10)
    x = np.arange(n) * L / n
    ref = (a[:, None] * np.sin(2 * np.pi * k[:, None] * x / L + phi[:, None])).sum(0)
    # the choice set's order differs ({-3..-1, 1..3}); compare the spectrum support and values
    assert np.abs(np.fft.rfft(v))[4:].max() < 1e-9 * n
    rs = np.random.RandomState(7)
    a2 = 0.5 * rs.uniform(-1, 1, 10)
    rs.uniform(-0.4, 0.4, 10)
    k2 = rs.choice(np.concatenate([-np.arange(1, 4), np.arange(1, 4)]), 10)
    phi2 = rs.uniform(0, 2 * np.pi, 10)
    ref = (a2[:, None] * np.sin(2 * np.pi * k2[:, None] * x / L + phi2[:, None])).sum(0)
    assert np.abs(v - ref).max() < 1e-12


# ------------------------------------------------------------------------ equations and baselines


def test_equation_fluxes_and_round_trip():
    faces = {
        "v": torch.tensor([[1.0, 2.0]]),
        "v_x": torch.tensor([[0.5, 0.0]]),  # float32: dtype follows the input
        "v_xx": torch.tensor([[0.25, -1.0]]),
        "v_xxx": torch.tensor([[2.0, 1.0]]),
    }
    assert torch.allclose(KdV().flux(faces), torch.tensor([[3.25, 11.0]]))
    assert torch.allclose(KuramotoSivashinsky().flux(faces), torch.tensor([[3.0, 3.0]]))
    for eq in (Burgers(0.02), KdV(), KuramotoSivashinsky(length=10.0, flux_form="godunov")):
        assert equation_from_dict(equation_to_dict(eq)) == eq
    assert equation_from_dict({"eta": 0.01, "length": 1.0, "flux_form": "centered"}) == Burgers(0.01, 1.0)
    with pytest.raises(ValueError, match="unknown equation"):
        make_equation("heat")
    with pytest.raises(ValueError, match="flux_form"):
        KdV(flux_form="upwind")
    with pytest.raises(KeyError, match="v_xx"):
        KdV().flux({"v": faces["v"]})
    with pytest.raises(ValueError, match="WENO"):
        baseline_for(KdV(), "weno", 32)


@pytest.mark.parametrize("eq", [KdV(), KuramotoSivashinsky()])
def test_baselines_converge_to_the_spectral_rhs(eq):
    """fv1 is 2nd and fv3 4th order on the cell averages of a smooth field (error ratios on halving
    dx), against the cell-averaged spectral right-hand side."""
    n_fine = 1024
    x = np.arange(n_fine) * eq.length / n_fine
    v = (np.sin(2 * np.pi * x / eq.length) + 0.4 * np.cos(4 * np.pi * x / eq.length + 1))[None]
    label = SpectralSolver(eq, n_fine, 1e-3).time_derivative(v)
    for method, order in (("fv1", 2), ("fv3", 4)):
        err = []
        for n in (32, 64):
            e, faces = baseline_for(eq, method, n)
            pred = e.time_derivative(faces(torch.as_tensor(coarse_grain(v, n_fine // n))), eq.length / n).numpy()
            err.append(np.abs(pred - coarse_grain(label, n_fine // n)).max())
        assert 2 ** (order - 0.3) < err[0] / err[1] < 2 ** (order + 0.5), (method, err)


# ------------------------------------------------------------------------------------ learned models


@pytest.mark.parametrize("eq,params,free", [(KdV(), 6632, 8), (KuramotoSivashinsky(), 7115, 11)])
@pytest.mark.parametrize("kind", ["cnn", "constant"])
def test_learned_models_conserve_mass_and_match_the_authors_sizes(eq, params, free, kind):
    """Same 3 x 32 kernel-5 network for every equation: the authors' parameter counts; the
    conservative update keeps sum(v) to round-off for random weights and random states."""
    gen = torch.Generator().manual_seed(3)
    model = LearnedDiscretization(eq, eq.length / 32, kind, generator=gen)
    assert model.n_free == free
    assert model.input_scale == eq.input_scale
    if kind == "cnn":
        assert sum(p.numel() for p in model.parameters()) == params
    else:
        with torch.no_grad():
            model.z.normal_(generator=gen)
    v = torch.randn(5, 32, dtype=torch.float64, generator=gen)
    dvdt = model.time_derivative(v)
    assert torch.abs(dvdt.sum(-1)).max() < 1e-12 * torch.abs(dvdt).sum(-1).max()
    # integrated: the cell-sum of the coarse solution stays constant to round-off
    with torch.no_grad():
        sol = run_coarse(model.equation, model, 0.3 * v, None, np.linspace(0, 0.05, 3), dx=model.dx)
    assert np.isfinite(sol.y.numpy()).all()
    mass = sol.y.sum(-1)
    assert torch.abs(mass - mass[:, :1]).max() < 1e-11


def test_model_store_round_trip(tmp_path):
    eq = KuramotoSivashinsky()
    model = LearnedDiscretization(eq, 2.0, "cnn", generator=torch.Generator().manual_seed(0))
    save_model(model, tmp_path / "m.zarr", title="t", source="test", provenance=provenance({}))
    back = load_model(tmp_path / "m.zarr")
    assert back.equation == eq and back.input_scale == eq.input_scale
    v = torch.randn(2, 32, dtype=torch.float64)
    assert torch.equal(back.time_derivative(v), model.time_derivative(v))


# ---------------------------------------------------------------------------------------- valid time


def test_valid_time_on_hand_built_error_fields():
    times = np.arange(6) * 0.5 + 50.0  # absolute stamps after a warm-up of 50
    exact = np.zeros((4, 6, 10))
    pred = np.zeros_like(exact)
    pred[0, 3:, :3] = 1.0  # 70% good from frame 3 on -> invalid at t = 1.5
    pred[1, 2:, :2] = 1.0  # exactly 80% good: still valid everywhere -> 2.5 (the last time)
    pred[2, 4:] = np.nan  # diverged at frame 4 -> 2.0
    pred[3, :, :] = 0.05  # every error 0.05 <= tau = 0.1: valid
    pred[3, 1, :5] = 0.2  # ... except frame 1 (50% good) -> 0.5, even if later frames are fine
    assert np.allclose(valid_times(pred, exact, times, 0.1), [1.5, 2.5, 2.0, 0.5])
    pred[3, 0, :] = 1.0  # an invalid initial frame: valid time 0
    assert valid_times(pred, exact, times, 0.1)[3] == 0.0
    assert np.allclose(valid_times(pred, exact, times, 0.1, fraction=0.6)[:2], [2.5, 2.5])
    with pytest.raises(ValueError, match="shape"):
        valid_times(pred[:, :5], exact, times, 0.1)
    with pytest.raises(ValueError, match="threshold"):
        valid_times(pred, exact, times, 0.0)


def test_valid_threshold_is_the_error_quantile_of_predicting_zero():
    exact = np.arange(-50, 50, dtype=float).reshape(2, 5, 10)
    tau = valid_threshold(exact, 0.2)
    # the 20th percentile of |error of v = 0|: 20% of the points have |v| <= tau
    assert np.isclose((np.abs(exact) <= tau).mean(), 0.2, atol=0.02)
    assert tau == np.quantile(np.abs(exact), 0.2)
    with pytest.raises(ValueError, match="degenerate"):
        valid_threshold(np.zeros((1, 2, 3)))


def test_bootstrap_ci_covers_the_median_and_is_reproducible():
    rng = np.random.default_rng(1)
    values = rng.exponential(10.0, 100)
    med, lo, hi = bootstrap_median_ci(values, n_boot=4000, seed=5)
    assert med == np.median(values) and lo <= med <= hi
    assert (med, lo, hi) == bootstrap_median_ci(values, n_boot=4000, seed=5)
    assert (lo, hi) != bootstrap_median_ci(values, n_boot=4000, seed=6)[1:]
    # coverage: the 95% interval of the median contains the population median (10 ln 2) in about
    # 95% of repeated experiments
    truth = 10 * np.log(2)
    hits = [bootstrap_median_ci(rng.exponential(10.0, 100), n_boot=400, seed=i) for i in range(200)]
    cover = np.mean([lo <= truth <= hi for _, lo, hi in hits])
    assert 0.88 < cover < 0.99
    with pytest.raises(ValueError, match="finite"):
        bootstrap_median_ci([1.0, np.nan])


@pytest.mark.parametrize("chunk", [1, 3, 50])
def test_batched_early_stopping_gives_the_full_trajectory_valid_times(chunk):
    """run_valid_time (samples leave the batch at their first invalid frame) = valid_times on the
    full trajectories, for a method that fails at different times per sample."""
    eq = KuramotoSivashinsky()
    fine = fine_solutions(eq, range(6), n_fine=128, dt=1e-2, warmup=20.0, t_out=20.0 + np.arange(0, 30.01, 0.5))[0]
    exact = coarse_grain(fine, 8)
    times = 20.0 + np.arange(0, 30.01, 0.5)
    tau = valid_threshold(fine)
    e, faces = baseline_for(eq, "fv1", 16)
    full = run_coarse(e, faces, torch.as_tensor(exact[:, 0]), None, times).y.numpy()
    reference = valid_times(full, exact, times, tau)
    res = run_valid_time(e, faces, exact, times, tau, chunk=chunk)
    assert 0 < reference.min() < reference.max()  # a non-trivial case
    assert np.allclose(res["valid_time"], reference)
    n0 = int(round(reference[0] / 0.5))
    np.testing.assert_allclose(res["example"][: n0 + 1], full[0, : n0 + 1], atol=1e-4)


# --------------------------------------------------------------------------------------------- claim


def _stats(nn, other, factors=(2, 4, 8)):
    return {"nn": dict(zip(factors, nn)), "fv1": dict(zip(factors, other))}


def test_p1_fig4_claim_logic():
    t_max, n = {"kdv": 100.0}, {"kdv": 100}
    # NN >= baseline, strictly better at 4x (the coarsest valid), fails at 8x: pass
    good = _stats([(100, 100, 100), (60, 50, 70), (1, 0.5, 2)], [(100, 90, 100), (10, 5, 20), (0.5, 0.5, 1)])
    assert check_p1_fig4(stats={"kdv": good}, t_max=t_max, n_sims=n, min_valid_fraction=0.05, scale="t").passed
    # NN below the baseline's CI at 2x
    bad = _stats([(80, 70, 90), (60, 50, 70), (1, 0.5, 2)], [(100, 90, 100), (10, 5, 20), (0.5, 0.5, 1)])
    r = check_p1_fig4(stats={"kdv": bad}, t_max=t_max, n_sims=n, min_valid_fraction=0.05, scale="t")
    assert not r.passed and "NN below the CI of fv1 2x" in r.reproduced_value
    # overlapping CIs at the coarsest valid factor: not strictly better
    tie = _stats([(100, 100, 100), (20, 10, 30), (1, 0.5, 2)], [(100, 90, 100), (18, 10, 25), (0.5, 0.5, 1)])
    r = check_p1_fig4(stats={"kdv": tie}, t_max=t_max, n_sims=n, min_valid_fraction=0.05, scale="t")
    assert not r.passed and "not strictly best at 4x" in r.reproduced_value
    # the NN never fails
    never = _stats([(100, 100, 100), (60, 50, 70), (40, 30, 50)], [(100, 90, 100), (10, 5, 20), (0.5, 0.5, 1)])
    r = check_p1_fig4(stats={"kdv": never}, t_max=t_max, n_sims=n, min_valid_fraction=0.05, scale="t")
    assert not r.passed and "still valid at the coarsest factor 8x" in r.reproduced_value
    # one failing equation fails the claim
    r = check_p1_fig4(
        stats={"kdv": good, "ks": bad},
        t_max=t_max | {"ks": 100.0},
        n_sims=n | {"ks": 100},
        min_valid_fraction=0.05,
        scale="t",
    )
    assert not r.passed and r.id == "P1-fig4-validtime"


# ---------------------------------------------------------------------------------------- scripts


def test_scripts_end_to_end(tmp_path):
    """data -> train (NN and constant) -> batched valid times, tiny; the stores hold what Fig. 4 needs."""
    py, s = sys.executable, ROOT / "workflow" / "scripts"
    common = [
        "--equation",
        "ks",
        "--length",
        "64",
        "--n-fine",
        "64",
        "--dt",
        "0.01",
        "--n-modes",
        "10",
        "--k-max",
        "3",
        "--amplitude",
        "1",
        "--warmup",
        "5",
        "--seed",
        "1",
    ]
    subprocess.run(
        [
            py,
            s / "p1_pde_data.py",
            *common,
            "--seed-offset",
            "100",
            "--n-runs",
            "3",
            "--n-snapshots",
            "4",
            "--interval",
            "1",
            "--labels",
            "--output",
            tmp_path / "train.zarr",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            py,
            s / "p1_pde_data.py",
            *common,
            "--seed-offset",
            "0",
            "--n-runs",
            "4",
            "--n-snapshots",
            "5",
            "--interval",
            "0.5",
            "--output",
            tmp_path / "test.zarr",
        ],
        check=True,
        capture_output=True,
    )
    train = read_dataset(tmp_path / "train.zarr")
    assert train.v.shape == (3, 4, 64) and "dvdt" in train and train.attrs["equation"]["name"] == "ks"
    assert "dvdt" not in read_dataset(tmp_path / "test.zarr")
    for name, kind in (("nn", "cnn"), ("const", "constant")):
        subprocess.run(
            [
                py,
                s / "p1_train.py",
                "--data",
                tmp_path / "train.zarr",
                "--factor",
                "4",
                "--kind",
                kind,
                "--flux",
                "centered",
                "--steps",
                "5",
                "--batch-snapshots",
                "2",
                "--lr",
                "1e-3",
                "--lr-final",
                "1e-4",
                "--val-fraction",
                "0.25",
                "--eval-every",
                "5",
                "--seed",
                "3",
                "--model",
                tmp_path / f"{name}.zarr",
                "--history",
                tmp_path / f"{name}_h.zarr",
            ],
            check=True,
            capture_output=True,
        )
        assert load_model(tmp_path / f"{name}.zarr").equation == KuramotoSivashinsky()
    proc = subprocess.run(
        [
            py,
            s / "p1_pde_validtime.py",
            "--data",
            tmp_path / "test.zarr",
            "--factor",
            "4",
            "--model",
            f"nn={tmp_path / 'nn.zarr'}",
            "--model",
            f"const={tmp_path / 'const.zarr'}",
            "--t-max",
            "2",
            "--threshold-quantile",
            "0.2",
            "--fraction",
            "0.8",
            "--max-step",
            "0.01",
            "--rtol",
            "1e-3",
            "--atol",
            "1e-6",
            "--output",
            tmp_path / "vt.zarr",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    vt = read_dataset(tmp_path / "vt.zarr")
    assert list(vt.method.values) == ["fv1", "fv3", "nn", "const"]
    assert vt.valid_time.shape == (4, 4) and np.all((vt.valid_time.values >= 0) & (vt.valid_time.values <= 2.0))
    assert vt.attrs["threshold"] == valid_threshold(read_dataset(tmp_path / "test.zarr").v.values)
    # a model of another grid is refused with a clear message
    proc = subprocess.run(
        [
            py,
            s / "p1_pde_validtime.py",
            "--data",
            tmp_path / "test.zarr",
            "--factor",
            "2",
            "--model",
            f"nn={tmp_path / 'nn.zarr'}",
            "--t-max",
            "2",
            "--threshold-quantile",
            "0.2",
            "--fraction",
            "0.8",
            "--max-step",
            "0.01",
            "--rtol",
            "1e-3",
            "--atol",
            "1e-6",
            "--output",
            tmp_path / "vt2.zarr",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "dx" in proc.stderr

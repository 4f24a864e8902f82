"""Scores of learned P2 models against the homogenized references (coarsepde.homogenization.evaluation),
on hand-built fields whose errors are known exactly."""

import numpy as np
import pytest

from coarsepde.homogenization.evaluation import (
    relative_error_per_snapshot,
    score_2d,
    score_rhs_1d,
    score_trajectory_1d,
)
from coarsepde.homogenization.problem1d import homogenized_rhs_on_macro_grid


def test_score_rhs_1d_baselines():
    rng = np.random.default_rng(0)
    U = rng.normal(size=(3, 4, 9))
    F = homogenized_rhs_on_macro_grid(U, 0.5)
    var = np.sum((F - F.mean()) ** 2)
    late = np.array([False, False, True, True])
    F_pred = F.copy()
    F_pred[:, :2] += 0.1  # errors only in the early snapshots
    sc = score_rhs_1d(F_pred, F, F_patch=1.5 * F, U=U, late=late, wrong_a=1.0)
    assert sc["rhs_rmse"] == pytest.approx(0.01 * F.size / 2 / var, rel=1e-12)
    assert sc["rhs_rmse_late"] == 0.0
    assert sc["rhs_rmse_patch"] == pytest.approx(0.25 * np.sum(F**2) / var, rel=1e-12)
    # the zero prediction and twice the diffusivity (the operator is linear in a) both miss by F
    assert sc["rhs_rmse_zero"] == pytest.approx(np.sum(F**2) / var, rel=1e-12)
    assert sc["rhs_rmse_wrong_a"] == pytest.approx(sc["rhs_rmse_zero"], rel=1e-12)
    assert "rhs_rmse_coarse" not in sc
    # against the coarse-grid operator a* D2 U: F is that operator at a* = 0.5, so the data 1.5 F miss by 0.5 F
    # and the prediction only by its early offset; scored against a different "fine" truth they stay the same
    co = score_rhs_1d(F_pred, 2 * F, F_patch=1.5 * F, U=U, late=late, wrong_a=1.0, a_star=0.5)
    assert co["rhs_rmse_coarse"] == pytest.approx(sc["rhs_rmse"], rel=1e-12)
    assert co["rhs_rmse_patch_coarse"] == pytest.approx(0.25 * np.sum(F**2) / var, rel=1e-12)
    assert co["rhs_rmse"] != pytest.approx(sc["rhs_rmse"])


def test_score_trajectory_1d_on_the_macro_nodes():
    t = np.linspace(0, 1, 5)
    x_ref = np.linspace(0, 1, 9)
    U_true = np.exp(-t)[:, None] * np.sin(np.pi * x_ref)[None, :]  # (5, 9): macro nodes every 2nd point
    truth = U_true[:, ::2]
    late = t >= 0.5
    sc = score_trajectory_1d(1.2 * truth, U_true, stride=2, late=late)
    assert sc["traj_rmse"] == pytest.approx(0.04 * np.sum(truth**2) / np.sum((truth - truth.mean()) ** 2), rel=1e-12)
    tl = truth[late]
    assert sc["traj_rmse_late"] == pytest.approx(0.04 * np.sum(tl**2) / np.sum((tl - tl.mean()) ** 2), rel=1e-12)
    assert sc["stable"] is True
    assert score_trajectory_1d(11 * truth, U_true, stride=2, late=late)["stable"] is False
    blown = truth.copy()
    blown[-1, 1] = np.inf
    sc = score_trajectory_1d(blown, U_true, stride=2, late=late)
    assert np.isnan(sc["traj_rmse"]) and np.isnan(sc["traj_rmse_late"]) and sc["stable"] is False


def test_score_2d_relative_errors_and_fourier_amplitudes():
    n = 8
    x = (np.arange(n) + 0.5) * 2 * np.pi / n
    X, Y = np.meshgrid(x, x, indexing="ij")
    base = 3.0 * np.cos(X + 2 * Y) + 1.0 * np.cos(2 * X + 0.3)
    growth = np.array([1.0, 0.9, 0.8])
    Uh = np.stack([growth[:, None, None] * base, 2 * growth[:, None, None] * base])  # (2 traj, 3 times, n, n)
    Fh = -5.0 * Uh
    sc = score_2d(-Uh, 0.8 * Fh, 1.1 * Uh, Uh, Fh, n_modes=2)
    np.testing.assert_allclose(sc["rhs_rel_err"], 0.2, rtol=1e-12)
    np.testing.assert_allclose(sc["u_rel_err"], 0.1, rtol=1e-12)
    np.testing.assert_allclose(sc["data_rel_err"], 2.0, rtol=1e-12)
    np.testing.assert_allclose(sc["mse_time"], 0.01, rtol=1e-12)
    np.testing.assert_allclose(sc["rhs_norm"], np.sqrt(np.sum(Fh**2, axis=(2, 3))), rtol=1e-12)
    # a cos(k.x + phi) term of amplitude a has |FFT2| = a n^2 / 2 at one of its conjugate pair
    np.testing.assert_array_equal(sc["fmode_index"], [[1, 2], [2, 0]])
    want = 2 * growth[:, None] * np.array([3.0, 1.0]) * n * n / 2
    np.testing.assert_allclose(sc["amp_ref"], want, rtol=1e-12)
    np.testing.assert_allclose(sc["amp_nn"], 1.1 * want, rtol=1e-12)
    assert sc["amp_ref"].shape == (3, 2) and sc["fmode_index"].dtype == np.int64


def test_relative_error_per_snapshot_shape():
    b = np.ones((2, 3, 4, 5))
    a = b.copy()
    a[1, 2] += 1.0
    err = relative_error_per_snapshot(a, b)
    assert err.shape == (2, 3) and err[1, 2] == pytest.approx(1.0) and err.sum() == pytest.approx(1.0)

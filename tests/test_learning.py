"""Tests of coarsepde.homogenization.learning on synthetic data from the exact homogenized solution.

Data: u_t = a* u_xx on [0, 1] with Dirichlet ends uL, uR (Arbabi et al. 2020, Eqs. 21-22); exact solution
u = uL + (uR - uL) x + sum_{k=1..3} b_k exp(-a* (k pi)^2 t) sin(k pi x), sampled on the paper's 11-node
macro grid for t in [0, 0.5] every 0.005. Targets are the discrete homogenized right-hand side
a* (U_{j+1} - 2U_j + U_{j-1}) / dx^2 (0 at the ends), which the patch-dynamics data approximate.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from scipy.linalg import expm

from coarsepde.homogenization.learning import (
    DiscretizedNet,
    FunctionalNet,
    TrainResult,
    build_model,
    fd_features,
    integrate,
    predict,
    rmse_relative,
    train,
)

A_STAR = 0.4582575695  # sqrt(0.21), Eq. (22)
X = np.linspace(0.0, 1.0, 11)
DX = 0.1
T = np.arange(101) * 0.005  # 0 .. 0.5


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def trajectories(rng: np.random.Generator, n_traj: int) -> np.ndarray:
    """(n_traj * len(T), 11) snapshots of the exact homogenized solution with random data."""
    k = np.arange(1, 4)
    out = []
    for _ in range(n_traj):
        b = rng.uniform(-1.0, 1.0, 3)
        uL, uR = rng.uniform(0.0, 1.0, 2)
        decay = np.exp(-A_STAR * (k * np.pi) ** 2 * T[:, None])  # (t, k)
        modes = np.sin(np.pi * k[:, None] * X[None, :])  # (k, x)
        out.append(uL + (uR - uL) * X[None, :] + (decay * b) @ modes)
    return np.concatenate(out)


def discrete_rhs(U: np.ndarray, a: float = A_STAR) -> np.ndarray:
    d = np.zeros_like(U)
    d[..., 1:-1] = a * (U[..., 2:] - 2.0 * U[..., 1:-1] + U[..., :-2]) / DX**2
    return d


def laplacian_matrix(n: int = 11, a: float = A_STAR) -> np.ndarray:
    """Semi-discrete operator: a* second difference at interior rows, zero rows at the Dirichlet ends."""
    L = np.zeros((n, n))
    for j in range(1, n - 1):
        L[j, j - 1 : j + 2] = a * np.array([1.0, -2.0, 1.0]) / DX**2
    return L


class ExactOperator(torch.nn.Module):
    def forward(self, U):
        return torch.nn.functional.pad(A_STAR * (U[..., 2:] - 2 * U[..., 1:-1] + U[..., :-2]) / DX**2, (1, 1))


class CubicBlowUp(torch.nn.Module):
    def forward(self, U):
        return torch.nn.functional.pad(1e3 * U[..., 1:-1] ** 3, (1, 1))


# 1 -------------------------------------------------------------------------------------------------


def test_fd_features_exact_on_quadratics():
    rng = np.random.default_rng(1)
    c = rng.uniform(-1.0, 1.0, (3, 2, 4, 1))  # c0, c1, c2 for a (2, 4) batch
    U = torch.as_tensor(c[0] + c[1] * X + c[2] * X**2)
    F = fd_features(U, DX).numpy()
    assert F.shape == (2, 4, 9, 3)
    xi = X[1:-1]
    np.testing.assert_array_equal(F[..., 0], U.numpy()[..., 1:-1])
    np.testing.assert_allclose(F[..., 1], c[1] + 2 * c[2] * xi, rtol=0, atol=1e-12)
    np.testing.assert_allclose(F[..., 2], np.broadcast_to(2 * c[2], (2, 4, 9)), rtol=0, atol=1e-12)
    with pytest.raises(ValueError):
        fd_features(torch.zeros(4, 2), DX)


# 2 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["functional", "discretized"])
def test_architectures(kind):
    model = build_model(kind)
    assert sum(p.numel() for p in model.parameters()) == 1217  # reference count, 32 units / filters
    assert all(p.dtype == torch.float64 for p in model.parameters())
    U = torch.as_tensor(np.random.default_rng(2).uniform(-1, 2, (5, 11)))
    out = model(U)
    assert out.shape == (5, 11) and out.dtype == torch.float64
    assert torch.equal(out[:, [0, -1]], torch.zeros(5, 2, dtype=torch.float64))
    assert out[:, 1:-1].abs().sum() > 0
    # pointwise / convolutional: the same stencil gives the same output wherever it sits
    V = torch.as_tensor(np.tile([0.3, 0.7, 0.2], 4)[:11])[None]
    assert torch.allclose(model(V)[0, 1], model(V)[0, 4], rtol=0, atol=1e-14)


def test_architecture_errors():
    with pytest.raises(ValueError):
        DiscretizedNet(kernel=5)
    with pytest.raises(ValueError):
        build_model("spectral")
    assert isinstance(build_model("functional", hidden=8, dx=0.05), FunctionalNet)


# 3 -------------------------------------------------------------------------------------------------


def test_training_is_deterministic():
    rng = np.random.default_rng(3)
    U = trajectories(rng, 1)[::2]
    dU = discrete_rhs(U)
    calls = []

    def run(kind, seed):
        m = build_model(kind)
        res = train(m, U, dU, epochs=3, batch_size=16, seed=seed, device="cpu", progress=lambda *a: calls.append(a))
        return m, res

    for kind in ("functional", "discretized"):
        m1, r1 = run(kind, 7)
        m2, r2 = run(kind, 7)
        m3, _ = run(kind, 8)
        s1, s2, s3 = m1.state_dict(), m2.state_dict(), m3.state_dict()
        assert all(torch.equal(s1[k], s2[k]) for k in s1)
        assert not all(torch.equal(s1[k], s3[k]) for k in s1)
        np.testing.assert_array_equal(r1.train_loss, r2.train_loss)
        assert isinstance(r1, TrainResult) and r1.epochs == 3
        assert r1.train_loss.shape == r1.val_loss.shape == (3,)
        assert np.all(np.isfinite(r1.train_loss)) and np.all(np.isfinite(r1.val_loss))
    assert len(calls) == 18 and calls[0][0] == 1 and calls[2][0] == 3


def test_validation_split_is_the_last_samples():
    U = trajectories(np.random.default_rng(9), 1)[:40]
    dU = discrete_rhs(U)
    m = build_model("discretized")
    res = train(m, U, dU, epochs=2, val_fraction=0.25, seed=1, device="cpu")
    held = predict(m, U[30:], device="cpu")[:, 1:-1]  # Keras: last 25 % = samples 30..39
    assert res.val_loss[-1] == pytest.approx(np.mean((held - dU[30:, 1:-1]) ** 2), rel=1e-12)
    res0 = train(m, U, dU, epochs=1, val_fraction=0.0, device="cpu")
    assert np.isnan(res0.val_loss[0])


def test_train_validates_inputs():
    U = trajectories(np.random.default_rng(4), 1)[:20]
    dU = discrete_rhs(U)
    m = build_model("functional")
    with pytest.raises(ValueError, match="shape"):
        train(m, U, dU[:, :-1], epochs=1)
    bad = dU.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        train(m, U, bad, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        train(m, U, dU, epochs=0)


# 4 -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def learning_data():
    rng = np.random.default_rng(0)
    U_train = trajectories(rng, 8)  # 808 snapshots
    U_test = trajectories(rng, 2)  # held-out trajectories
    return U_train, discrete_rhs(U_train), U_test, discrete_rhs(U_test)


@pytest.mark.parametrize("kind, bound", [("functional", 1e-4), ("discretized", 2e-3)])
def test_learning_beats_baselines(kind, bound, learning_data):
    U_train, y_train, U_test, y_test = learning_data
    model = build_model(kind)
    res = train(model, U_train, y_train, epochs=150, lr=3e-3, seed=0, device="cpu")
    assert res.train_loss[-1] < 1e-2 * res.train_loss[0]
    rmse = rmse_relative(predict(model, U_test, device="cpu"), y_test)
    zero = rmse_relative(np.zeros_like(y_test), y_test)
    wrong = rmse_relative(discrete_rhs(U_test, 0.8 * A_STAR), y_test)
    print(f"{kind}: rMSE {rmse:.3g} (zero {zero:.3g}, 0.8 a* {wrong:.3g}), {res.seconds:.1f} s")
    assert 0.9 < zero < 1.2 and 0.03 < wrong < 0.05  # the baselines are what they should be
    assert rmse < bound  # i.e. at least 20x below the wrong-diffusivity operator
    assert rmse < 0.1 * zero and rmse < 0.1 * wrong


def test_predict_shapes():
    m = build_model("discretized")
    U = np.random.default_rng(5).uniform(size=(2, 3, 11))
    p = predict(m, U, device="cpu")
    assert p.shape == (2, 3, 11) and p.dtype == np.float64
    np.testing.assert_array_equal(p[1, 2], predict(m, U[1, 2:3], device="cpu")[0])


# 5 -------------------------------------------------------------------------------------------------


def test_rmse_relative():
    truth = np.array([[1.0, 1.0], [3.0, 3.0]])  # mean 2, sum of squared deviations 4
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])  # squared error 2
    assert rmse_relative(pred, truth) == pytest.approx(0.5, rel=1e-15)
    assert rmse_relative(truth, truth) == 0.0
    with pytest.raises(ValueError):
        rmse_relative(pred, np.full((2, 2), 3.0))
    with pytest.raises(ValueError):
        rmse_relative(pred, truth[:1])


# 6 -------------------------------------------------------------------------------------------------


def test_integrate_exact_linear_operator():
    U0 = trajectories(np.random.default_rng(6), 1)[0]
    got = integrate(ExactOperator(), U0, T, device="cpu")
    L = laplacian_matrix()
    exact = np.stack([expm(L * t) @ U0 for t in T])
    assert got.shape == (T.size, 11)
    np.testing.assert_array_equal(got[:, [0, -1]], np.broadcast_to(U0[[0, -1]], (T.size, 2)))
    rel = np.abs(got - exact).max() / np.abs(exact).max()
    assert rel < 1e-5


def test_integrate_blow_up_gives_nan(caplog):
    U0 = 0.1 * np.sin(np.pi * X)  # u' = 1e3 u^3 blows up at t* = 1 / (2e3 u0^2) = 0.05 at x = 0.5
    with caplog.at_level(logging.WARNING, logger="coarsepde.homogenization.learning"):
        got = integrate(CubicBlowUp(), U0, T, device="cpu")
    assert got.shape == (T.size, 11)
    early = T < 0.045
    with np.errstate(invalid="ignore"):  # node-wise exact solution, NaN past each node's blow-up
        exact = U0 / np.sqrt(1.0 - 2e3 * U0**2 * T[:, None])
    np.testing.assert_allclose(got[early], exact[early], rtol=1e-3, atol=1e-12)
    assert np.all(np.isnan(got[T > 0.05]))
    assert "NaN" in caplog.text


def test_integrate_rejects_bad_arguments():
    U0 = 0.1 * np.sin(np.pi * X)
    with pytest.raises(ValueError):
        integrate(ExactOperator(), U0, T, method="LSODA")  # can loop forever on a blow-up
    with pytest.raises(ValueError):
        integrate(ExactOperator(), U0, T[::-1])
    with pytest.raises(ValueError):
        integrate(ExactOperator(), U0[None], T)

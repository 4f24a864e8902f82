"""Tests of coarsepde.homogenization.learning2d on synthetic data from the exact homogenized 2D solution.

Data: u_t = K_xx u_xx + 2 K_xy u_xy + K_yy u_yy on the bi-periodic [0, 2 pi)^2 with the cell-problem tensor
of the coded lattice (reference notes Sect. 5.5), sampled on the 16 x 16 gap-tooth grid
x_i = (i + 1/2) 2 pi / 16 (axis 0 = x, axis 1 = y). Initial data are sums of a sin(lx x + px) sin(ly y + py)
(paper Eq. 28 with lx, ly in 1..3); each product is (cos(k-.r + .) - cos(k+.r + .)) / 2 with k+- = (lx, +-ly),
and each cosine decays at k^T K k, so u and the exact right-hand side are known in closed form.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
import torch

from coarsepde.homogenization.learning import TrainResult, rmse_relative
from coarsepde.homogenization.learning2d import (
    DiscretizedNet2D,
    FunctionalNet2D,
    build_model_2d,
    fft_features,
    fourier_amplitudes,
    integrate_2d,
    predict_2d,
    train_2d,
)

K = np.array([[1.34, 0.11], [0.11, 1.26]])
K_EQ27 = np.diag([1.2644, 1.3398])  # paper Eq. (27): no cross term
N = 16
XG = (np.arange(N) + 0.5) * 2 * np.pi / N
X, Y = np.meshgrid(XG, XG, indexing="ij")
T = np.linspace(0.0, 0.3, 16)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def trajectory(rng: np.random.Generator, n_terms: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Exact (U, dU/dt) at times T: each (len(T), N, N)."""
    U = np.zeros((T.size, N, N))
    D = np.zeros_like(U)
    for _ in range(n_terms):
        a = rng.uniform(-1.0, 1.0)
        lx, ly = rng.integers(1, 4, 2)
        px, py = rng.uniform(0.0, 2 * np.pi, 2)
        for sign, ky, phase in ((0.5, -ly, px - py), (-0.5, ly, px + py)):
            k = np.array([lx, ky])
            rate = k @ K @ k
            term = a * sign * np.exp(-rate * T)[:, None, None] * np.cos(lx * X + ky * Y + phase)
            U += term
            D -= rate * term
    return U, D


def dataset(seed: int, n_traj: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    parts = [trajectory(rng) for _ in range(n_traj)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class SpectralOperator(torch.nn.Module):
    """Exact linear 'model': Kxx u_xx + 2 Kxy u_xy + Kyy u_yy by spectral differentiation."""

    def __init__(self, Kmat: np.ndarray):
        super().__init__()
        self.Kmat = np.asarray(Kmat, dtype=float)

    def forward(self, U: torch.Tensor) -> torch.Tensor:
        F = fft_features(U)
        k = self.Kmat
        return k[0, 0] * F[..., 3] + 2 * k[0, 1] * F[..., 4] + k[1, 1] * F[..., 5]


def operator_rhs(U: np.ndarray, Kmat: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return SpectralOperator(Kmat)(torch.as_tensor(U)).numpy()


# 1. spectral features --------------------------------------------------------------------------------------


def test_fft_features_exact_on_trig_polynomial():
    s, c = np.sin(2 * X + 0.3), np.cos(2 * X + 0.3)
    u = s * np.cos(3 * Y) + 0.5 * np.cos(X - Y)
    expected = [
        u,
        2 * c * np.cos(3 * Y) - 0.5 * np.sin(X - Y),  # u_x
        -3 * s * np.sin(3 * Y) + 0.5 * np.sin(X - Y),  # u_y
        -4 * s * np.cos(3 * Y) - 0.5 * np.cos(X - Y),  # u_xx
        -6 * c * np.sin(3 * Y) + 0.5 * np.cos(X - Y),  # u_xy
        -9 * s * np.cos(3 * Y) - 0.5 * np.cos(X - Y),  # u_yy
    ]
    F = fft_features(torch.as_tensor(np.stack([u, 2 * u])))  # batch dimension too
    assert F.shape == (2, N, N, 6) and F.dtype == torch.float64
    for ch in range(6):
        np.testing.assert_allclose(F[0, ..., ch].numpy(), expected[ch], rtol=0, atol=1e-12)
        np.testing.assert_allclose(F[1, ..., ch].numpy(), 2 * expected[ch], rtol=0, atol=1e-12)


def test_fft_features_nyquist_and_autograd():
    # 8 is the Nyquist wavenumber: on the shifted grid sin(8x_i) = (-1)^i and cos(8x_i) = 0, so the exact
    # derivatives at the nodes have no odd-Nyquist parts, matching the zeroed odd Nyquist derivatives.
    s8x, s8y, c2x, s2x = np.sin(8 * X), np.sin(8 * Y), np.cos(2 * X), np.sin(2 * X)
    u = s8x * np.cos(Y) + c2x * s8y + s8x * s8y
    expected = [
        u,
        -2 * s2x * s8y,  # u_x
        -s8x * np.sin(Y),  # u_y
        -64 * s8x * np.cos(Y) - 4 * c2x * s8y - 64 * s8x * s8y,  # u_xx
        0 * u,  # u_xy
        -s8x * np.cos(Y) - 64 * c2x * s8y - 64 * s8x * s8y,  # u_yy
    ]
    F = fft_features(torch.as_tensor(u)).numpy()
    for ch in range(6):
        np.testing.assert_allclose(F[..., ch], expected[ch], rtol=0, atol=1e-11)
    # gradient of sum(u_xx * w) is the adjoint (self-adjoint) operator applied to w
    w = torch.as_tensor(np.sin(X) * np.cos(2 * Y))
    Ut = torch.as_tensor(np.cos(X + Y), dtype=torch.float64).requires_grad_(True)
    (fft_features(Ut)[..., 3] * w).sum().backward()
    np.testing.assert_allclose(Ut.grad.numpy(), -w.numpy(), atol=1e-12)


# 2. architectures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, kw, n_params",
    [
        ("functional", dict(hidden=32, hidden2=16), 769),
        ("functional", dict(hidden=32), 6 * 32 + 32 + 32 * 32 + 32 + 33),
        ("discretized", dict(filters=32, kernel=5), 1921),
        ("discretized", dict(filters=8, kernel=3), 8 * 9 + 8 + 72 + 9),
    ],
)
def test_architectures_shape_equivariance_params(kind, kw, n_params):
    model = build_model_2d(kind, seed=3, **kw)
    assert isinstance(model, FunctionalNet2D if kind == "functional" else DiscretizedNet2D)
    assert sum(p.numel() for p in model.parameters()) == n_params
    U = torch.as_tensor(np.random.default_rng(0).normal(size=(3, N, N)))
    with torch.no_grad():
        out = model(U)
        shifted = model(torch.roll(U, shifts=(3, -5), dims=(1, 2)))
    assert out.shape == (3, N, N)
    assert out.abs().max() > 1e-3  # a real, non-trivial output
    np.testing.assert_allclose(
        shifted.numpy(), torch.roll(out, shifts=(3, -5), dims=(1, 2)).numpy(), rtol=0, atol=1e-12
    )
    # not trivially equivariant: a spatially varying input gives a spatially varying output
    assert out[0].std() > 1e-6


def test_bad_arguments():
    for k in (2, 4, 0):
        with pytest.raises(ValueError):
            DiscretizedNet2D(kernel=k)
    with pytest.raises(ValueError):
        build_model_2d("spectral")
    with pytest.raises(ValueError):
        train_2d(FunctionalNet2D(), np.zeros((4, N, N)), np.zeros((4, N, N - 1)), epochs=1)
    with pytest.raises(ValueError):
        integrate_2d(FunctionalNet2D(), np.zeros(N * N), T)


# 3. determinism --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["functional", "discretized"])
def test_training_is_deterministic(kind):
    U, D = dataset(7, 2)

    def fit(seed):
        model = build_model_2d(kind, seed=99)  # train_2d re-draws the weights from its own seed
        seen = []
        res = train_2d(
            model,
            U,
            D,
            epochs=2,
            batch_size=8,
            seed=seed,
            device="cpu",
            progress=lambda e, tl, vl: seen.append((e, tl, vl)),
        )
        return torch.cat([p.detach().flatten() for p in model.parameters()]), res, seen

    w0, r0, seen = fit(0)
    w0b, r0b, _ = fit(0)
    w1, _, _ = fit(1)
    assert isinstance(r0, TrainResult) and r0.epochs == 2 and r0.train_loss.shape == (2,)
    assert [e for e, _, _ in seen] == [1, 2] and np.all(np.isfinite(r0.val_loss))
    assert torch.equal(w0, w0b)
    np.testing.assert_array_equal(r0.train_loss, r0b.train_loss)
    assert (w0 - w1).abs().max() > 1e-3


# 4. learning the homogenized operator ----------------------------------------------------------------------


def test_functional_net_learns_homogenized_operator():
    U, D = dataset(0, 24)  # 384 snapshots
    n_train = 20 * T.size  # last 4 trajectories: test
    U_te, D_te = U[n_train:], D[n_train:]
    zero = rmse_relative(np.zeros_like(D_te), D_te)
    eq27 = rmse_relative(operator_rhs(U_te, K_EQ27), D_te)
    assert rmse_relative(operator_rhs(U_te, K), D_te) < 1e-20  # targets are the exact operator
    assert 0.95 < zero < 1.05 and 3e-3 < eq27 < 1e-2  # measured: 1.00, 5.75e-3

    model = FunctionalNet2D(hidden=32, hidden2=16)
    t0 = time.perf_counter()
    res = train_2d(model, U[:n_train], D[:n_train], epochs=40, batch_size=32, lr=3e-3, device="cpu")
    seconds = time.perf_counter() - t0
    score = rmse_relative(predict_2d(model, U_te, device="cpu"), D_te)
    print(f"functional 2D: test rMSE {score:.3g} (zero {zero:.3g}, Eq. 27 {eq27:.3g}), {seconds:.1f} s")
    # measured: 4.7e-4 (seed 0; 5.3e-4 .. 6.4e-4 for seeds 1, 2), ~2.7 s
    assert score < 2e-3
    assert score < zero / 10 and score < eq27 / 3
    assert res.val_loss[-1] < 0.01 * res.train_loss[0]


# 5. time integration ---------------------------------------------------------------------------------------


def test_integrate_exact_operator_matches_solution():
    U, _ = trajectory(np.random.default_rng(5))
    Ui = integrate_2d(SpectralOperator(K), U[0], T, device="cpu")
    assert Ui.shape == (T.size, N, N)
    err = np.sqrt(np.sum((Ui - U) ** 2) / np.sum(U**2))
    assert err < 1e-5  # measured 1.2e-7
    # the wrong (Eq. 27) tensor is visibly off: the check can fail
    Uw = integrate_2d(SpectralOperator(K_EQ27), U[0], T, device="cpu")
    assert np.sqrt(np.sum((Uw - U) ** 2) / np.sum(U**2)) > 1e-3


def test_integrate_blow_up_gives_nan_and_warning(caplog):
    class Cubic(torch.nn.Module):
        def forward(self, U):
            return 1e3 * U**3

    with caplog.at_level(logging.WARNING):
        out = integrate_2d(Cubic(), np.ones((4, 4)), np.linspace(0.0, 0.01, 6), device="cpu")
    assert out.shape == (6, 4, 4)
    np.testing.assert_array_equal(out[0], 1.0)
    assert np.isnan(out[-1]).all()
    assert "integration" in caplog.text


# 6. Fourier amplitudes (Fig. 8b) ---------------------------------------------------------------------------


def test_fourier_amplitudes_picks_largest_modes():
    # unnormalised |fft2|: a cos(k.r + phi) gives a N^2 / 2 at +-k; a sin sin product splits into two cosines
    u = (
        3.0 * np.cos(X + 2 * Y + 0.4)
        + 2.0 * np.sin(3 * X - Y)
        + 1.5 * np.sin(2 * X) * np.sin(Y)
        + 0.25 * np.cos(4 * Y)
        + 0.1
    )
    amps, modes = fourier_amplitudes(u, n_modes=5)
    np.testing.assert_allclose(amps, np.array([3.0, 2.0, 0.75, 0.75, 0.25]) * N * N / 2, rtol=1e-12)
    got = {tuple(m) for m in modes}
    # (3, -1) is stored as its conjugate (-3, 1); (2, +-1) from the product; (0, 4)
    assert [tuple(m) for m in modes[:2]] == [(1, 2), (-3, 1)]
    assert got == {(1, 2), (-3, 1), (2, 1), (-2, 1), (0, 4)}

    # along a trajectory: modes fixed by the first snapshot, amplitudes follow each mode's decay
    U, _ = trajectory(np.random.default_rng(1), n_terms=2)
    amps_t, modes_t = fourier_amplitudes(U, n_modes=4)
    assert amps_t.shape == (T.size, 4) and modes_t.shape == (4, 2)
    rates = np.array([k @ K @ k for k in modes_t])
    np.testing.assert_allclose(amps_t, amps_t[0] * np.exp(-np.outer(T, rates)), rtol=1e-9)
    # an explicit reference selects the same modes for any snapshot
    a_ref, m_ref = fourier_amplitudes(U[-1], n_modes=4, reference=U[0])
    np.testing.assert_array_equal(m_ref, modes_t)
    np.testing.assert_allclose(a_ref, amps_t[-1], rtol=1e-12)

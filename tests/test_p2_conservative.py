"""Tests of the mean-conserving 2D variant (learning2d.FluxNet2D) and of the drift / lag split (drift2d).

The homogenized operator div(K grad u) on the bi-periodic square conserves the spatial mean and vanishes at a
constant field; the published nets (FunctionalNet2D, DiscretizedNet2D) do neither by construction. Synthetic data:
exact homogenized trajectories of sums of a sin(lx x + px) sin(ly y + py) (paper Eq. 28), each cosine of the
product decaying at k^T K k, on the 16 x 16 gap-tooth grid x_i = (i + 1/2) 2 pi / 16.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coarsepde.homogenization.drift2d import growth_rate_at_zero, mean_drift_scores, new_mode_share, rhs_at_constant
from coarsepde.homogenization.learning import rmse_relative
from coarsepde.homogenization.learning2d import (
    FluxNet2D,
    FunctionalNet2D,
    build_model_2d,
    integrate_2d,
    predict_2d,
    spectral_divergence,
    train_2d,
)

K = np.array([[1.34, 0.11], [0.11, 1.26]])
N = 16
XG = (np.arange(N) + 0.5) * 2 * np.pi / N
X, Y = np.meshgrid(XG, XG, indexing="ij")
T = np.linspace(0.0, 0.3, 16)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def trajectory(rng: np.random.Generator, n_terms: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Exact (U, dU/dt) of u_t = div(K grad u) at times T: each (len(T), N, N), mean zero."""
    U = np.zeros((T.size, N, N))
    D = np.zeros_like(U)
    for _ in range(n_terms):
        a = rng.uniform(-1.0, 1.0)
        lx, ly = rng.integers(1, 4, 2)
        px, py = rng.uniform(0.0, 2 * np.pi, 2)
        for sign, ky, phase in ((0.5, -ly, px - py), (-0.5, ly, px + py)):
            k = np.array([lx, ky])
            term = a * sign * np.exp(-(k @ K @ k) * T)[:, None, None] * np.cos(lx * X + ky * Y + phase)
            U += term
            D -= (k @ K @ k) * term
    return U, D


def linear_flux_net(Kmat: np.ndarray, b: float = 100.0) -> FluxNet2D:
    """A FluxNet2D whose weights make q = Kmat grad u exactly for |grad u| < b: x = (relu(x + b) - relu(b - x)) / 2
    (a bias b keeps every ReLU away from its kink, where the Jacobian would be one-sided)."""
    model = FluxNet2D(hidden=4, hidden2=4)
    lin1, lin2, lin3 = model.net[0], model.net[2], model.net[4]
    with torch.no_grad():
        lin1.weight.copy_(torch.tensor([[1.0, 0], [-1, 0], [0, 1], [0, -1]]))
        lin1.bias.fill_(b)
        lin2.weight.copy_(torch.eye(4))
        lin2.bias.zero_()
        pick = torch.tensor([[1.0, -1, 0, 0], [0, 0, 1, -1]], dtype=torch.float64)
        lin3.weight.copy_(0.5 * torch.as_tensor(Kmat) @ pick)
        lin3.bias.zero_()
    return model


def test_flux_net_rhs_sums_to_zero_for_random_inputs_and_weights():
    rng = np.random.default_rng(0)
    worst = 0.0
    for seed in range(5):
        model = FluxNet2D(hidden=32, hidden2=32, seed=seed)
        with torch.no_grad():  # non-zero biases too: the property must not rest on the zero-bias init
            for p in model.parameters():
                p.add_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(seed), dtype=p.dtype))
        U = rng.normal(scale=10.0 ** rng.uniform(-3, 1), size=(8, N, N))
        F = predict_2d(model, U, device="cpu")
        assert np.abs(F).max() > 1e-3 * np.abs(U).max()  # a real, non-trivial right-hand side
        worst = max(worst, float(np.abs(F.sum(axis=(1, 2))).max() / (N * N * np.abs(F).max())))
    print(f"max |sum dU/dt| / (N^2 max |dU/dt|) = {worst:.2e}")  # measured 9.1e-18
    assert worst < 1e-14


def test_flux_net_vanishes_at_constant_fields_and_published_nets_do_not():
    model = FluxNet2D(hidden=32, seed=3)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5)  # biases included: the flux at zero gradient is a non-zero constant
    levels = [-10.0, -1.0, 0.0, 1e-3, 2.5]
    mean, spread = rhs_at_constant(model, levels, (N, N))
    q0 = model.flux(torch.zeros(1, N, N, dtype=torch.float64))
    assert q0.abs().min() > 0.1  # the flux itself is not zero ...
    np.testing.assert_allclose(mean, 0.0, atol=1e-13)  # ... its divergence is
    np.testing.assert_allclose(spread, 0.0, atol=1e-13)
    # the published functional net moves the mean at a constant field (what the check must be able to see)
    fmean, fspread = rhs_at_constant(FunctionalNet2D(hidden=32, seed=3), levels, (N, N))
    assert np.abs(fmean).max() > 1e-2
    np.testing.assert_allclose(fspread, 0.0, atol=1e-12)  # translation invariant: dU/dt = F(c) everywhere


def test_linear_flux_is_the_exact_homogenized_operator():
    U, D = trajectory(np.random.default_rng(1))
    F = predict_2d(linear_flux_net(K), U, device="cpu")
    err = np.abs(F - D).max() / np.abs(D).max()
    assert err < 1e-12  # measured 1.3e-14: spectral derivatives are exact below the Nyquist wavenumber
    qx, qy = torch.as_tensor(np.cos(2 * X) * np.sin(Y)), torch.as_tensor(np.sin(3 * Y + X))
    div = spectral_divergence(qx, qy).numpy()
    np.testing.assert_allclose(div, -2 * np.sin(2 * X) * np.sin(Y) + 3 * np.cos(3 * Y + X), atol=1e-12)
    # its growth rate at 0 is the constant mode's 0; a wrong-signed tensor grows at the largest k^T K k
    assert abs(growth_rate_at_zero(linear_flux_net(K), (N, N))) < 1e-10
    assert growth_rate_at_zero(linear_flux_net(-K), (N, N)) > 50.0  # measured 138.2 = k^T K k at k = (7, 7)


def test_flux_net_learns_and_integrates_conserving_the_mean():
    rng = np.random.default_rng(0)
    parts = [trajectory(rng) for _ in range(24)]
    U, D = (np.concatenate([p[i] for p in parts]) for i in (0, 1))
    n_train = 20 * T.size
    model = build_model_2d("conservative", hidden=32, hidden2=16, seed=0)
    assert isinstance(model, FluxNet2D) and sum(p.numel() for p in model.parameters()) == 96 + 528 + 34
    train_2d(model, U[:n_train], D[:n_train], epochs=40, batch_size=32, lr=3e-3, device="cpu")
    score = rmse_relative(predict_2d(model, U[n_train:], device="cpu"), D[n_train:])
    print(f"conservative 2D: test rMSE {score:.3g}")  # measured 5.0e-4 (FunctionalNet2D, 32-16, same data: 4.7e-4)
    assert score < 5e-3
    # a constant shift changes nothing but the mean (the flux sees the gradient only): the right-hand side is
    # the same to round-off, and the integrated mean stays put to round-off
    u0 = U[n_train]
    np.testing.assert_allclose(
        predict_2d(model, u0 + 0.7, device="cpu"), predict_2d(model, u0, device="cpu"), atol=1e-12
    )
    Ui = integrate_2d(model, u0, T, device="cpu")
    Us = integrate_2d(model, u0 + 0.7, T, device="cpu")
    np.testing.assert_allclose(Us.mean(axis=(1, 2)), 0.7 + u0.mean(), atol=1e-12)
    np.testing.assert_allclose(Us - 0.7, Ui, atol=5e-5)  # BDF (rtol 1e-6) steps differently; measured 4.8e-6
    rel = np.linalg.norm(Ui - U[n_train : n_train + T.size]) / np.linalg.norm(U[n_train : n_train + T.size])
    print(f"integrated relative error {rel:.2e}")  # measured 5.9e-3
    assert rel < 2e-2


def test_mean_drift_scores_split_the_mse_exactly():
    rng = np.random.default_rng(2)
    Uh = np.stack([trajectory(rng)[0] for _ in range(3)])  # (3, T, N, N), mean zero
    total = lambda a: np.mean((a - Uh) ** 2, axis=(0, 2, 3)) / np.mean(Uh**2, axis=(0, 2, 3))  # noqa: E731
    # a pure drift: the mean part is everything, the amplitude ratio 1
    shift = 0.05 * T[None, :, None, None] * np.ones_like(Uh)
    s = mean_drift_scores(Uh + shift, Uh)
    np.testing.assert_allclose(s["mse_mean"], total(Uh + shift), rtol=1e-12)
    np.testing.assert_allclose(s["mse_demeaned"], 0.0, atol=1e-25)
    np.testing.assert_allclose(s["amplitude_ratio"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(s["mean_nn"][:, -1], 0.05 * T[-1], rtol=1e-10)
    # a pure lag (slower decay): no mean part, amplitude ratio = the factor; and a mix adds up exactly
    lag = Uh * np.exp(0.5 * T)[None, :, None, None]
    s = mean_drift_scores(lag, Uh)
    np.testing.assert_allclose(s["mse_mean"], 0.0, atol=1e-25)
    np.testing.assert_allclose(s["amplitude_ratio"], np.exp(0.5 * T), rtol=1e-10)
    s = mean_drift_scores(lag + shift, Uh)
    np.testing.assert_allclose(s["mse_mean"] + s["mse_demeaned"], total(lag + shift), rtol=1e-12)
    with pytest.raises(ValueError):
        mean_drift_scores(Uh[0], Uh[0])


def test_new_mode_share_sees_only_modes_the_reference_lacks():
    rng = np.random.default_rng(3)
    Uh = np.stack([trajectory(rng)[0] for _ in range(2)])  # Eq. (28) modes: k_x != 0 and k_y != 0
    decay = np.exp(-1.3 * T)[None, :, None, None]
    new = 1e-3 * np.cos(X)[None, None] * decay  # k = (1, 0): absent from every Eq. (28) initial condition
    old = 0.2 * Uh  # error in the reference's own modes (a wrong rate would look like this)
    np.testing.assert_allclose(new_mode_share(Uh + new, Uh), 1.0, rtol=1e-12)
    np.testing.assert_allclose(new_mode_share(Uh + old + 0.3, Uh), 0.0, atol=1e-20)  # the mean is not counted
    share = new_mode_share(Uh + new + old, Uh)
    e_new = np.sum(np.abs(np.fft.fft2(new + 0 * Uh)) ** 2, axis=(0, 2, 3))
    e_old = np.sum(np.abs(np.fft.fft2(old)) ** 2, axis=(0, 2, 3))
    np.testing.assert_allclose(share, e_new / (e_new + e_old), rtol=1e-10)
    assert np.all(np.diff(share) > 0)  # the new mode decays slowest: its share grows with time


def test_rhs_at_constant_and_growth_rate_of_affine_models():
    class Affine(torch.nn.Module):
        def forward(self, U):
            return 0.02 - 0.6 * U + 0.0 * torch.roll(U, 1, dims=1)

    mean, spread = rhs_at_constant(Affine(), [0.0, 0.1, -1.0], (4, 4))
    np.testing.assert_allclose(mean, [0.02, -0.04, 0.62], rtol=1e-12)
    np.testing.assert_allclose(spread, 0.0, atol=1e-15)
    assert growth_rate_at_zero(Affine(), (4, 4)) == pytest.approx(-0.6, abs=1e-12)


def test_fig7_claim_scores_published_models_only_and_explains_a_failure_by_eq27():
    from coarsepde.claims import check_p2_fig7_traj2d, check_p2_fig8_phase

    drift = {"rhs_zero": 1.3e-2, "growth": -0.6, "mean_share": 0.999, "mean_end": 8.7e-3, "demeaned": 12.0}
    drift |= {"amp_ratio": 12.0, "new_share": 0.0}
    kw = dict(early_time=0.1, early_tol=0.05, scale="ci", drift={"functional": drift})
    late = {"functional": {"eq27": 60.0, "full": 55.0}}
    bad_variant = {"conservative": {"early": {"eq27": 9.0, "full": 9.0}, "late": {"eq27": 0.0, "full": 0.0}}}
    # passes on the published model; a failing variant is reported, not scored
    ok = check_p2_fig7_traj2d(early={"functional": {"eq27": 0.04, "full": 0.01}}, late=late, variants=bad_variant, **kw)
    assert ok.passed and ok.verdict == "reproduced"
    assert "conservative (variant, not scored): Eq.27 early 9.00e+00" in ok.reproduced_value
    assert "99.9% of the MSE" in ok.evidence and "mean-free amplitude ratio 1.20e+01" in ok.evidence
    # fails against Eq. 27 only because the data themselves are >= 5 % from it: refuted, with the numbers
    early = {"functional": {"eq27": 0.095, "full": 0.014}}
    r = check_p2_fig7_traj2d(early=early, late=late, data_early={"eq27": 0.07, "full": 4e-4}, **kw)
    assert not r.passed and r.verdict == "refuted"
    assert "gap-tooth data vs Eq.27 early 7.00e-02" in r.evidence and "X-p2-tensor" in r.evidence
    # ... but not when a published model is also off the full-tensor solution, or the data are close to Eq. 27
    bad = {"functional": {"eq27": 0.095, "full": 0.06}}
    assert check_p2_fig7_traj2d(early=bad, late=late, data_early={"eq27": 0.07, "full": 4e-4}, **kw).verdict == (
        "unexplained"
    )
    assert check_p2_fig7_traj2d(early=early, late=late, data_early={"eq27": 0.03, "full": 4e-4}, **kw).verdict == (
        "unexplained"
    )
    # Fig. 8: the variant is reported beside, never scored
    phase = dict(mse_end={"functional": {"eq27": 1.0, "full": 1.0}}, scale="ci")
    far = {"conservative": {"distance": {"eq27": 0.9, "full": 0.9}, "mse_end": {"eq27": 1.0, "full": 1.0}}}
    r8 = check_p2_fig8_phase(distance={"functional": {"eq27": 0.05, "full": 0.01}}, variants=far, **phase)
    assert r8.passed and "conservative (variant, not scored): distance Eq.27 0.900" in r8.reproduced_value

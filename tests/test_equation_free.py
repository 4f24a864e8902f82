"""Equation-free toolkit (Arbabi et al. Sect. 3): lifting, restriction, gap-tooth, patch dynamics,
projective integration -- against exact answers."""

import numpy as np
import pytest

from coarsepde.homogenization.equation_free import (
    GapTooth,
    PatchDynamics,
    Teeth,
    box_polynomial,
    lift,
    projective_integrate,
    restrict,
)

X = np.linspace(0.0, 1.0, 11)
ASTAR = np.sqrt(0.21)


def _second_difference(U):
    D2 = np.zeros_like(U)
    D2[:, 1:-1] = (U[:, 2:] - 2 * U[:, 1:-1] + U[:, :-2]) / (X[1] - X[0]) ** 2
    return D2


def _box_averages(coef, centers, h):
    """Exact averages of sum_k coef_k x^k over [c - h/2, c + h/2]."""
    k = np.arange(len(coef))
    return np.array([np.sum(coef * ((c + h / 2) ** (k + 1) - (c - h / 2) ** (k + 1)) / ((k + 1) * h)) for c in centers])


@pytest.mark.parametrize("degree", [0, 2, 4])
def test_lifting_reproduces_polynomials_up_to_its_degree(degree):
    h = 0.02
    teeth = Teeth(X, np.arange(2, 9), h, 0.06, 1e-3)
    rng = np.random.default_rng(degree)
    coef = rng.standard_normal(degree + 1)
    U = _box_averages(coef, X, h)[None]
    u = lift(U, teeth, degree)
    exact = np.polynomial.polynomial.polyval(teeth.micro_x, coef)
    # equal up to the constant that makes the *discrete* restriction exact (O(dx^2) curvature term)
    diff = u[0] - exact
    assert np.ptp(diff, axis=-1).max() < 1e-11
    assert np.abs(diff).max() < 1e-6
    np.testing.assert_allclose(restrict(u, teeth), U[:, teeth.patch_nodes], rtol=0, atol=1e-13)
    c = box_polynomial(U, teeth, degree)
    assert c.shape == (1, 7, degree + 1)


def test_restriction_of_a_lifted_field_returns_the_macro_values():
    teeth = Teeth(X, np.arange(1, 10), 1e-4, 8e-3, 5e-7)
    U = np.random.default_rng(0).uniform(-1, 1, (4, 11))
    np.testing.assert_allclose(restrict(lift(U, teeth), teeth), U[:, 1:-1], atol=1e-13)
    assert teeth.space_fraction == pytest.approx(9 * 8e-3)


def test_geometry_validation():
    with pytest.raises(ValueError, match="integer number"):
        Teeth(X, [1, 2], 1e-4, 8e-3, 3e-7)
    with pytest.raises(ValueError, match="overlap"):
        Teeth(X, [1, 2], 1e-2, 0.2, 1e-3)
    with pytest.raises(ValueError, match="macro node"):
        box_polynomial(np.zeros((1, 11)), Teeth(X, [1, 5], 0.01, 0.02, 1e-3), 4)


def test_gap_tooth_with_constant_a_is_the_forward_euler_fd_scheme():
    U = np.random.default_rng(1).uniform(0, 1, (3, 11))
    teeth = Teeth(X, np.arange(1, 10), 1e-4, 1e-4, 5e-7)
    gt = GapTooth(teeth, lambda y: np.full_like(y, 0.7), window=1e-5)
    dt = 1e-3
    change = gt.step(U, dt) - U
    expected = dt * 0.7 * _second_difference(U)
    # exact in exact arithmetic; the matrix exponential of the stiff tooth operator costs ~1e-5
    assert np.abs(change - expected).max() < 1e-4 * np.abs(expected).max()


def test_gap_tooth_with_heterogeneous_a_converges_to_the_homogenized_scheme():
    U = (np.sin(np.pi * X) + X)[None]
    target = ASTAR * _second_difference(U)
    errs = []
    for eps in (1e-3, 2e-4):
        teeth = Teeth(X, np.arange(1, 10), 2e-3, 2e-3, eps / 20)
        gt = GapTooth(teeth, lambda y, e=eps: 1.1 + np.sin(2 * np.pi * y / e), window=eps)
        rate = (gt.step(U, 1e-4) - U) / 1e-4
        errs.append(np.abs(rate - target).max() / np.abs(target).max())
    assert errs[1] < errs[0] and errs[1] < 5e-4, errs


def test_patch_dynamics_with_constant_a_gives_the_fd_derivative_up_to_the_buffer_error():
    U = np.random.default_rng(2).uniform(0, 1, (3, 11))
    target = 0.7 * _second_difference(U)
    errs = []
    for H in (4e-3, 8e-3):
        teeth = Teeth(X, np.arange(1, 10), 1e-4, H, 5e-7)
        pd = PatchDynamics(teeth, lambda y: np.full_like(y, 0.7), burst=1e-6, first_step=1e-10, growth=3.0)
        errs.append(np.abs(pd.time_derivative(U) - target).max() / np.abs(target).max())
    # the held buffer-edge values leak in like erfc(buffer / 2 sqrt(a dt)): doubling the buffer
    # must cut the error by orders of magnitude
    assert errs[1] < 1e-3 and errs[1] < errs[0] / 50, errs
    assert np.all(pd.time_derivative(U)[:, [0, -1]] == 0.0)


def test_patch_dynamics_with_heterogeneous_a_converges_to_the_homogenized_rhs():
    U = (np.sin(np.pi * X) + X)[None]
    target = ASTAR * _second_difference(U)
    errs = []
    for eps in (5e-4, 1e-4):
        teeth = Teeth(X, np.arange(1, 10), 2e-3, 8e-3, eps / 20)
        pd = PatchDynamics(
            teeth, lambda y, e=eps: 1.1 + np.sin(2 * np.pi * y / e), burst=1e-6, first_step=1e-10, growth=3.0
        )
        errs.append(np.abs(pd.time_derivative(U) - target).max() / np.abs(target).max())
    # the error is O(eps) (the lifted profile carries no eps-scale corrector): ~8e-2, ~1.2e-2 here
    assert errs[1] < errs[0] / 3 and errs[1] < 2e-2, errs


@pytest.mark.parametrize("method, order", [("euler", 1), ("heun", 2), ("rk4", 4)])
def test_projective_integration_has_its_theoretical_order(method, order):
    lam = -3.0
    errs = []
    for n in (20, 40, 80):
        _, Us, _ = projective_integrate(lambda U: lam * U, np.ones((1, 1)), dt=1.0 / n, n_steps=n, method=method)
        errs.append(abs(Us[-1, 0, 0] - np.exp(lam)))
    rates = np.log2(np.array(errs[:-1]) / errs[1:])
    assert np.all(np.abs(rates - order) < 0.15), rates


def test_projective_integration_with_a_burst_estimator_has_an_O_dt_bias_and_records_blowups():
    lam, burst = -3.0, 1e-3
    est = lambda U: (np.exp(lam * burst) - 1) / burst * U  # noqa: E731 - the Eq. (11) estimate of an exact micro run
    _, Us, Fs = projective_integrate(est, np.ones((1, 1)), dt=1e-3, n_steps=1000, method="rk4")
    lam_eff = (np.exp(lam * burst) - 1) / burst
    assert Us[-1, 0, 0] == pytest.approx(np.exp(lam_eff), rel=1e-9)
    assert Fs[0, 0, 0] == pytest.approx(lam_eff)
    with np.errstate(over="ignore", invalid="ignore"):
        _, Ub, _ = projective_integrate(lambda U: U**3, np.ones((1, 1)), dt=0.5, n_steps=10)
    assert np.isfinite(Ub[:3]).all() and np.isnan(Ub[-1]).all()

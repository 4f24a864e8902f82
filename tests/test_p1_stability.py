"""Linear stability of coarse P1 methods (issue 22 item 4): the Jacobian, its leading mode, the
sawtooth growth rate, and that a coarse RK23 run grows the sawtooth at exactly that rate (so a
divergence measured that way is the semi-discrete model's, not the integrator's)."""

import numpy as np
import pytest
import torch

from coarsepde.discretization.equations import KdV
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.simulate import SolverSettings, run_coarse
from coarsepde.discretization.stability import (
    baseline_rhs,
    high_wavenumber_amplitude,
    leading_mode,
    learned_rhs,
    rhs_jacobian,
    sawtooth_rate,
)

torch.set_num_threads(1)
N, DX = 128, 0.25  # the 2x KdV grid of the default scale (L = 32)
SAW_SIGN = torch.as_tensor((-1.0) ** (np.arange(6) + 1))  # (-1)^(j+1) for the cells i-3 .. i+2 of face i


def constant_model(scale: float) -> LearnedDiscretization:
    """A constant-coefficient KdV model whose stencils are the standard ones plus ``scale`` times a fixed
    asymmetric perturbation (its sawtooth growth rate is linear in ``scale``)."""
    model = LearnedDiscretization(KdV(), DX, "constant")
    with torch.no_grad():
        model.z.copy_(scale * torch.linspace(-1.0, 1.0, model.n_free, dtype=torch.float64))
    return model


def closed_form_rate(model, u: float) -> float:
    """2 (6 u S_v + S_xx) / dx: the KdV flux J = 3 v^2 + v_xx linearised at u, acting on the sawtooth
    sums S of the face stencils."""
    with torch.no_grad():
        c = model.coefficients(torch.full((1, N), u, dtype=torch.float64))
    s_v, s_xx = float(c["v"][0, 0] @ SAW_SIGN), float(c["v_xx"][0, 0] @ SAW_SIGN)
    return 2 * (6 * u * s_v + s_xx) / DX


@pytest.mark.parametrize("u", [0.0, 1.0, -0.7])
def test_fv3_kdv_is_neutral_at_constant_states(u):
    rhs = baseline_rhs(KdV(), "fv3", N)
    jac = rhs_jacobian(rhs, np.full(N, u))
    ev = np.linalg.eigvals(jac)
    # centred stencils at a constant state: a skew-symmetric circulant, every mode neutral
    assert np.max(np.abs(ev.real)) < 1e-10 * np.max(np.abs(ev))
    assert np.max(np.abs(ev.imag)) > 100  # the dispersive v_xxx: ~ 1/dx^3 = 64, times the stencil's O(1)
    assert abs(sawtooth_rate(rhs, u, N)) < 1e-9


@pytest.mark.parametrize("u", [-0.5, 0.5, 1.5])
def test_sawtooth_rate_is_the_closed_form_and_an_eigenvalue(u):
    model = constant_model(0.05)
    rhs = learned_rhs(model)
    rate = sawtooth_rate(rhs, u, N)
    assert rate == pytest.approx(closed_form_rate(model, u), rel=1e-10, abs=1e-10)
    ev = np.linalg.eigvals(rhs_jacobian(rhs, np.full(N, u)))
    assert np.min(np.abs(ev - rate)) < 1e-8 * max(1.0, abs(rate))
    assert sawtooth_rate(learned_rhs(constant_model(-0.05)), u, N) == pytest.approx(-rate, rel=1e-10, abs=1e-10)


def test_leading_mode_of_an_unstable_sawtooth_is_grid_scale():
    model = constant_model(0.05)
    rhs = learned_rhs(model)
    u = 1.0 if sawtooth_rate(rhs, 1.0, N) > 0 else -1.0  # the sign that grows
    rate = sawtooth_rate(rhs, u, N)
    assert rate > 1.0
    ev, share, _ = leading_mode(rhs_jacobian(rhs, np.full(N, u)))
    assert ev.real == pytest.approx(rate, rel=1e-8)
    assert share == pytest.approx(1.0, abs=1e-10)  # the eigenvector is the pure sawtooth


def test_cnn_sawtooth_rate_is_a_real_eigenvalue_at_constant_states():
    model = LearnedDiscretization(KdV(), DX, "cnn", generator=torch.Generator().manual_seed(3))
    rhs = learned_rhs(model)
    for u in (-0.5, 0.8):
        rate = sawtooth_rate(rhs, u, N)  # raises if the sawtooth were not an eigenvector
        ev = np.linalg.eigvals(rhs_jacobian(rhs, np.full(N, u)))
        assert np.min(np.abs(ev - rate)) < 1e-7 * max(1.0, abs(rate))


def test_sawtooth_rate_needs_translation_equivariance():
    def rhs(v):  # a position-dependent damping: the sawtooth is not an eigenvector
        return -torch.linspace(0.0, 1.0, v.shape[-1], dtype=v.dtype) * v

    with pytest.raises(ValueError, match="not an eigenvector"):
        sawtooth_rate(rhs, 0.0, N)
    with pytest.raises(ValueError, match="even"):
        sawtooth_rate(rhs, 0.0, N + 1)


def test_high_wavenumber_amplitude():
    x = np.arange(N) * DX
    saw = 1e-3 * (-1.0) ** np.arange(N)
    smooth = np.sin(2 * np.pi * 3 * x / 32.0)
    amp = high_wavenumber_amplitude(np.stack([saw, smooth, smooth + saw, np.full(N, np.nan)]))
    assert amp[0] == pytest.approx(1e-3, rel=1e-12)
    assert amp[1] < 1e-14
    assert amp[2] == pytest.approx(1e-3, rel=1e-10)
    assert np.isnan(amp[3])


def test_coarse_rk23_grows_the_sawtooth_at_the_linear_rate():
    """The project's coarse integrator (RK23, the Fig. 4 settings) reproduces the semi-discrete growth
    exp(lambda_saw t) of a small sawtooth on a constant state to 1 %: a method with lambda_saw > 0
    diverges because of its right-hand side, not because of the time stepping."""
    model = constant_model(0.05)
    rhs = learned_rhs(model)
    u = 1.0 if sawtooth_rate(rhs, 1.0, N) > 0 else -1.0
    rate = sawtooth_rate(rhs, u, N)
    v0 = torch.full((1, N), u, dtype=torch.float64) + 1e-8 * torch.as_tensor((-1.0) ** np.arange(N))[None]
    t = np.array([0.0, 0.5])
    sol = run_coarse(model.equation, model, v0, None, t, SolverSettings(), dx=DX)
    growth = high_wavenumber_amplitude(sol.y[0, -1].numpy()) / 1e-8
    assert growth == pytest.approx(np.exp(rate * 0.5), rel=0.01)
    assert growth > 1.5

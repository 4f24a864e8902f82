"""Cell problems (Arbabi et al. Eqs. 4-6, 25-26) against exact answers."""

import numpy as np
import pytest
from conftest import KAPPA_X, KAPPA_Y

from coarsepde.homogenization.cell_problem import (
    effective_coefficient_1d,
    lattice_bloch_rates,
    lattice_effective_tensor,
    lattice_link_coefficients,
    layered_diffusivity,
    sine_diffusivity,
)

KX = np.array(KAPPA_X)
KY = np.array(KAPPA_Y)
CODE = ((1, 2), (2, 1))


# ---------------------------------------------------------------- 1D


@pytest.mark.parametrize("a0", [0.3, 1.0, 7.5])
def test_constant_diffusivity_is_its_own_effective_value(a0):
    sol = effective_coefficient_1d(lambda y: np.full_like(y, a0), 16)
    assert sol.a_star == pytest.approx(a0, rel=1e-14)
    assert np.max(np.abs(sol.chi)) < 1e-12  # no corrector needed


def test_corrector_solves_the_cell_problem_and_has_zero_mean():
    a = sine_diffusivity(1.1, 1.0)
    sol = effective_coefficient_1d(a, 256)
    assert abs(sol.chi.mean()) < 1e-14  # Eq. (6)
    # Continuum corrector: a (1 - chi') = a* is constant (flux), so chi' = 1 - a*/a.
    dy = 1 / 256
    dchi = (np.roll(sol.chi, -1) - sol.chi) / dy
    np.testing.assert_allclose(sol.a_faces * (1 - dchi), sol.a_star, rtol=1e-10)


@pytest.mark.parametrize("fraction, n", [(0.5, 64), (0.25, 64), (0.375, 128)])
def test_two_phase_laminate_gives_harmonic_mean(fraction, n):
    a1, a2 = 0.2, 5.0
    exact = 1.0 / (fraction / a1 + (1 - fraction) / a2)
    # interfaces on cell faces: the discrete problem is exact
    sol = effective_coefficient_1d(layered_diffusivity(a1, a2, fraction), n)
    assert sol.a_star == pytest.approx(exact, rel=1e-12)


def test_laminate_off_grid_is_exact_for_its_discrete_volume_fraction_and_first_order():
    a1, a2, f = 0.2, 5.0, 1 / np.sqrt(7)  # interface never on a face
    exact = 1.0 / (f / a1 + (1 - f) / a2)
    for n in [50, 64, 100, 333, 1600]:
        a_star = effective_coefficient_1d(layered_diffusivity(a1, a2, f), n).a_star
        # the discrete problem sees the laminate with the volume fraction of its faces in phase 1
        phi = np.mean((np.arange(n) + 0.5) / n < f)
        assert a_star == pytest.approx(1.0 / (phi / a1 + (1 - phi) / a2), rel=1e-12)
        # |phi - f| <= 1/(2n) gives a first-order bound on the error of 1/a*
        assert abs(1 / a_star - 1 / exact) <= abs(1 / a1 - 1 / a2) / (2 * n) * (1 + 1e-12)


def test_sine_diffusivity_converges_geometrically_at_the_predicted_rate():
    c = 1.1
    exact = np.sqrt(c**2 - 1)  # closed form, only as the check
    ns = np.array([4, 8, 12, 16, 20, 24])
    err = np.array([effective_coefficient_1d(sine_diffusivity(c, 1.0), n).a_star - exact for n in ns])
    assert np.all(np.abs(err) > 1e-13)  # still above round-off on this range
    # 1/a has Fourier coefficients ~ r^|k|, r = c - sqrt(c^2 - 1): the N-point rule errs by ~ r^N
    rate = np.polyfit(ns, np.log(np.abs(err)), 1)[0]
    assert rate == pytest.approx(np.log(c - exact), rel=0.05)
    fine = effective_coefficient_1d(sine_diffusivity(c, 1.0), 128).a_star
    assert fine == pytest.approx(exact, rel=1e-13)


def test_1d_rejects_nonpositive_diffusivity_and_tiny_grids():
    with pytest.raises(ValueError, match="strictly positive"):
        effective_coefficient_1d(lambda y: np.sin(2 * np.pi * y), 16)
    with pytest.raises(ValueError, match="n must be"):
        effective_coefficient_1d(lambda y: np.ones_like(y), 1)
    with pytest.raises(ValueError, match="not strictly positive"):
        sine_diffusivity(1.0, 1.0)


# ---------------------------------------------------------------- 2D lattice


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 2)])
def test_constant_lattice_gives_its_conductances(shape):
    cx, cy = np.full(shape, 1.7), np.full(shape, 0.4)
    K = lattice_effective_tensor(cx, cy)
    np.testing.assert_allclose(K, [[1.7, 0.0], [0.0, 0.4]], atol=1e-13)


def test_layered_lattice_gives_harmonic_and_arithmetic_means():
    # conductances vary along x only: in series along x (harmonic mean), in parallel along y (mean)
    kx_col = np.array([0.5, 2.0, 4.0, 1.0])
    ky_col = np.array([3.0, 1.0, 0.2, 0.7])
    cx = np.repeat(kx_col[:, None], 2, axis=1)
    cy = np.repeat(ky_col[:, None], 2, axis=1)
    K = lattice_effective_tensor(cx, cy)
    assert K[0, 0] == pytest.approx(1 / np.mean(1 / kx_col), rel=1e-13)
    assert K[1, 1] == pytest.approx(np.mean(ky_col), rel=1e-13)
    assert abs(K[0, 1]) < 1e-13 and abs(K[1, 0]) < 1e-13


def test_lattice_tensor_is_symmetric_positive_and_translation_invariant():
    cx, cy = lattice_link_coefficients(KX, KY, *CODE)
    K = lattice_effective_tensor(cx, cy)
    assert K[0, 1] == pytest.approx(K[1, 0], abs=1e-13)
    assert np.all(np.linalg.eigvalsh(K) > 0)
    # a common shift of both arrays is a translation of the lattice: K unchanged
    cx2, cy2 = lattice_link_coefficients(KX, KY, (2, 0), (0, 2))
    np.testing.assert_allclose(lattice_effective_tensor(cx2, cy2), K, atol=1e-13)
    # bounded by the harmonic and arithmetic means of the conductances (Voigt-Reuss)
    assert 1 / np.mean(1 / KX) <= K[0, 0] <= KX.mean()
    assert 1 / np.mean(1 / KY) <= K[1, 1] <= KY.mean()


def test_bloch_rates_tend_to_kTKk_at_second_order_in_h():
    cx, cy = lattice_link_coefficients(KX, KY, *CODE)
    K = lattice_effective_tensor(cx, cy)
    modes = np.array([[1, 0], [0, 1], [1, 1], [1, -1], [2, 1]])
    macro = np.einsum("mi,ij,mj->m", modes, K, modes)
    e1 = lattice_bloch_rates(cx, cy, 240, modes) - macro
    e2 = lattice_bloch_rates(cx, cy, 480, modes) - macro
    assert np.all(np.abs(e2) < 1e-3 * macro)
    np.testing.assert_allclose(e1 / e2, 4.0, rtol=0.02)  # O(h^2)


def test_lattice_numbers_of_the_papers_code():
    """Independent numbers (shared/reference/arbabi-2020.md, Sect. 5.5 and C3x3.mat)."""
    cx, cy = lattice_link_coefficients(KX, KY, *CODE)
    K = lattice_effective_tensor(cx, cy)
    np.testing.assert_allclose([K[0, 0], K[1, 1], K[0, 1]], [1.33997, 1.26458, 0.11047], atol=1e-5)
    r480 = lattice_bloch_rates(cx, cy, 480, [[1, 0], [0, 1], [1, -1], [1, 1]])
    np.testing.assert_allclose(r480, [1.339941, 1.264543, 2.383533, 2.825417], atol=2e-6)
    # the values stored by the authors' code as A, B (and printed as Eq. 27, 4 decimals) are the
    # slowest decay rates at lattice spacing 2 pi / 240
    r240 = lattice_bloch_rates(cx, cy, 240, [[0, 1], [1, 0]])
    np.testing.assert_allclose(r240, [1.26442634, 1.33984108], atol=2e-8)
    cxs, cys = lattice_link_coefficients(KX, KY)
    np.testing.assert_allclose(
        lattice_effective_tensor(cxs, cys)[[0, 1, 0], [0, 1, 1]], [1.33457, 1.24837, 0.04239], atol=1e-5
    )


def test_lattice_input_errors():
    with pytest.raises(ValueError, match="one shape"):
        lattice_link_coefficients(np.ones((3, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="strictly positive"):
        lattice_link_coefficients(-np.ones((3, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="multiple"):
        lattice_bloch_rates(np.ones((3, 3)), np.ones((3, 3)), 100, [[1, 0]])

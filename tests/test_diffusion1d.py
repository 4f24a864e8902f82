"""Fine-scale heterogeneous diffusion solver against exact answers."""

import numpy as np
import pytest
import scipy.linalg as sl

from coarsepde.numerics.diffusion1d import DiffusionSegments, geometric_steps


def test_geometric_steps_add_up_and_grow():
    st = geometric_steps(1e-6, 1e-10, 3.0)
    assert st.sum() == pytest.approx(1e-6, rel=1e-14)
    assert st[0] == 1e-10 and np.all(st[1:-1] / st[:-2] == pytest.approx(3.0))
    capped = geometric_steps(1.0, 1e-3, 2.0, max_step=0.1)
    assert capped.max() <= 0.1 + 1e-15 and capped.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        geometric_steps(1.0, 0.0, 2.0)


def test_constant_a_matches_the_analytic_heat_solution_at_second_order():
    a0, T = 0.7, 0.05
    errs = []
    for m in (21, 41, 81):
        x = np.linspace(0.0, 1.0, m)[None]
        seg = DiffusionSegments(x, lambda y: np.full_like(y, a0))
        # Dirichlet ends 0.2 and 1.0 plus two sine modes
        u0 = 0.2 + 0.8 * x + np.sin(np.pi * x) - 0.5 * np.sin(3 * np.pi * x)
        exact = (
            0.2
            + 0.8 * x
            + np.exp(-a0 * np.pi**2 * T) * np.sin(np.pi * x)
            - 0.5 * np.exp(-9 * a0 * np.pi**2 * T) * np.sin(3 * np.pi * x)
        )
        u = seg.integrate(u0[None], geometric_steps(T, T / (m - 1) / 8, 1.0))  # dt ~ dx: both errors O(h^2)
        errs.append(np.abs(u[0] - exact).max())
    rates = np.log2(np.array(errs[:-1]) / errs[1:])
    assert np.all(rates > 1.8), (errs, rates)
    assert errs[-1] < 2e-4


def test_variable_a_steady_state_is_second_order():
    # (a u')' = 0 with a = 1 + x: u = ln(1 + x) / ln 2 between u(0) = 0 and u(1) = 1
    errs = []
    for m in (11, 21, 41):
        x = np.linspace(0, 1, m)[None]
        seg = DiffusionSegments(x, lambda y: 1.0 + y)
        u0 = np.zeros((1, 1, m))
        u0[..., -1] = 1.0
        u = seg.integrate(u0, geometric_steps(20.0, 1e-4, 1.5))  # long enough to reach steady state
        errs.append(np.abs(u[0, 0] - np.log1p(x[0]) / np.log(2)).max())
    assert np.all(np.log2(np.array(errs[:-1]) / errs[1:]) > 1.9)


def test_trbdf2_is_second_order_in_time_against_the_matrix_exponential():
    rng = np.random.default_rng(3)
    m = 30
    x = np.stack([np.linspace(0, 1, m), np.linspace(2, 3, m)])
    seg = DiffusionSegments(x, lambda y: 1.1 + np.sin(7.3 * y))
    u0 = rng.standard_normal((2, 2, m))
    T = 0.01
    # exact: v' = A v + g with the boundary values constant (augmented matrix exponential)
    n = m - 2
    exact = np.empty((2, 2, n))
    for p in range(2):
        A = np.diag(seg._diag[p]) + np.diag(seg._off[p], 1) + np.diag(seg._off[p], -1)
        for b in range(2):
            g = seg._boundary_source(u0)[b, p]
            M = np.zeros((n + 1, n + 1))
            M[:n, :n], M[:n, n] = A, g
            exact[b, p] = (sl.expm(M * T) @ np.append(u0[b, p, 1:-1], 1.0))[:n]
    errs = [np.abs(seg.integrate(u0, geometric_steps(T, T / N, 1.0))[..., 1:-1] - exact).max() for N in (16, 32, 64)]
    rates = np.log2(np.array(errs[:-1]) / errs[1:])
    assert np.all((rates > 1.8) & (rates < 2.3)), (errs, rates)
    # the operator applied directly equals the matrix (with boundary source)
    A0 = np.diag(seg._diag[0]) + np.diag(seg._off[0], 1) + np.diag(seg._off[0], -1)
    np.testing.assert_allclose(
        seg.apply(u0)[0, 0, 1:-1], A0 @ u0[0, 0, 1:-1] + seg._boundary_source(u0)[0, 0], rtol=1e-12, atol=1e-9
    )


def test_stiff_transient_is_damped_not_amplified():
    # L-stability: a huge step on a rough initial field must not produce oscillating growth
    x = np.linspace(0, 1e-3, 2001)[None]
    seg = DiffusionSegments(x, lambda y: 1.1 + np.sin(2 * np.pi * y / 1e-5))
    u0 = np.random.default_rng(0).standard_normal((1, 1, 2001))
    u = seg.integrate(u0, np.array([1e-3]))
    assert np.abs(u[..., 1:-1]).max() < np.abs(u0).max()


def test_input_validation():
    with pytest.raises(ValueError, match="uniform"):
        DiffusionSegments(np.array([[0.0, 0.1, 0.3]]), lambda y: np.ones_like(y))
    with pytest.raises(ValueError, match="positive"):
        DiffusionSegments(np.linspace(0, 1, 5)[None], lambda y: np.sin(10 * y))
    seg = DiffusionSegments(np.linspace(0, 1, 5)[None], lambda y: np.ones_like(y))
    with pytest.raises(ValueError, match="shape"):
        seg.integrate(np.zeros((1, 2, 5)), [0.1])


@pytest.mark.parametrize("m", [3, 4, 57])
@pytest.mark.parametrize("B", [1, 4])
def test_compiled_steps_equal_the_numpy_lapack_reference(m, B):
    # the compiled TR-BDF2 pass (numerics/trbdf2_fused.py) against the whole-array numpy + dgtsv path:
    # several segments, the smallest ones (one and two unknowns: both end sources on one point), rough
    # data, heterogeneous a, and steps from tiny to far beyond the explicit limit
    rng = np.random.default_rng(m + 10 * B)
    P = 3
    x = 0.3 * np.arange(P)[:, None] + np.linspace(0.0, 0.2, m)[None]
    seg = DiffusionSegments(x, lambda y: 1.1 + np.sin(2 * np.pi * y / 0.013))
    u0 = rng.standard_normal((B, P, m))
    steps = geometric_steps(0.05, 1e-7, 4.0)
    new, ref = seg.integrate(u0, steps), seg.integrate_reference(u0, steps)
    assert new.shape == ref.shape == (B, P, m)
    np.testing.assert_array_equal(new[..., [0, -1]], u0[..., [0, -1]])  # the Dirichlet ends are held
    np.testing.assert_allclose(new, ref, rtol=0, atol=1e-13 * np.abs(ref).max())
    u2 = seg.integrate(u0[0], steps)  # a (P, m) state is one right-hand side
    np.testing.assert_allclose(u2[0], ref[0], rtol=0, atol=1e-13 * np.abs(ref).max())


def test_compiled_burst_at_the_patch_scale_is_within_the_reference_round_off():
    # the P2 regime: dx = eps / 20, a burst of 1e-6 from 1e-10 steps (A = I - d L with d/dx^2 up to ~1e6):
    # the compiled and reference results differ by no more than the reference moves when its input is
    # perturbed by 1e-16 relative
    eps = 1e-5
    x = np.linspace(0.0, 4e-4, 801)[None] + np.array([[0.0], [0.5]])
    seg = DiffusionSegments(x, lambda y: 1.1 + np.sin(2 * np.pi * y / eps))
    s = (x - x[:, :1]) / 4e-4
    u0 = np.stack([1.0 + s - 2.0 * s**2, np.cos(3 * s)])  # smooth lifted profiles: eps-scale transients
    steps = geometric_steps(1e-6, 1e-10, 3.0)
    new, ref = seg.integrate(u0, steps), seg.integrate_reference(u0, steps)
    u0p = u0 * (1.0 + 1e-16 * np.random.default_rng(0).standard_normal(u0.shape))
    noise = np.abs(seg.integrate_reference(u0p, steps) - ref).max()
    assert np.abs(ref - u0).max() > 1e-4  # the burst moves the state
    assert np.abs(new - ref).max() <= 10 * noise + 1e-15


def test_compiled_kernel_input_validation():
    from coarsepde.numerics.trbdf2_fused import trbdf2_segments

    v = np.zeros((2, 3, 5))
    ok = dict(
        gl=np.zeros((2, 3)),
        gr=np.zeros((2, 3)),
        diag=-np.ones((3, 5)),
        off=np.ones((3, 4)),
        steps=np.array([0.1]),
        gamma=0.5,
    )
    with pytest.raises(ValueError, match="C-contiguous float64"):
        trbdf2_segments(v.transpose(0, 2, 1), **ok)
    with pytest.raises(ValueError, match="C-contiguous float64"):
        trbdf2_segments(v.astype(np.float32), **ok)
    with pytest.raises(ValueError, match="diag must be"):
        trbdf2_segments(v, **{**ok, "gl": np.zeros((3, 2))})
    assert trbdf2_segments(v, **ok) is v

"""P2 1D problem: initial conditions, homogenized reference, fully resolved solver."""

import numpy as np
import pytest
import scipy.linalg as sl

from coarsepde.homogenization.problem1d import (
    InitialConditions,
    dominant_period,
    draw_initial_conditions,
    fully_resolved,
    heterogeneous_diffusivity,
    homogenized_operator,
    homogenized_trajectories,
    relative_l2,
    setup,
    window_averages,
)

ASTAR = np.sqrt(0.21)


def test_initial_conditions_follow_eq23_and_are_reproducible():
    ic = draw_initial_conditions(np.random.default_rng(5), 50, terms=20, amplitude=1.0, max_wavenumber=4.0)
    assert ic.amp.shape == (50, 20) and np.abs(ic.amp).max() <= 1 and ic.wavenumber.max() <= 4
    assert ic.phase.min() >= 0 and ic.phase.max() <= 2 * np.pi
    again = draw_initial_conditions(np.random.default_rng(5), 50, terms=20, amplitude=1.0, max_wavenumber=4.0)
    np.testing.assert_array_equal(ic(np.linspace(0, 1, 7)), again(np.linspace(0, 1, 7)))
    one = InitialConditions(np.array([[2.0]]), np.array([[1.5]]), np.array([[0.3]]))
    x = np.array([0.1, 0.7])
    np.testing.assert_allclose(one(x)[0], 2.0 * np.sin(2 * np.pi * 1.5 * x + 0.3))
    # one trajectory alone (the fully resolved rule's 2e6-point grid) gives exactly its row of the whole set
    xs = np.linspace(0, 1, 1001)
    np.testing.assert_array_equal(ic.subset(slice(7, 8))(xs), ic(xs)[7:8])
    np.testing.assert_array_equal(ic.subset([3, 9])(xs), ic(xs)[[3, 9]])
    assert ic.subset(4).amp.shape == (1, 20)


def test_homogenized_reference_matches_the_exact_semi_discrete_solution():
    n = 41
    x = np.linspace(0, 1, n)
    u0 = np.stack([0.3 + 0.4 * x + np.sin(np.pi * x), 1.0 - x + 0.5 * np.sin(3 * np.pi * x)])
    times = np.linspace(0, 0.2, 5)
    U, dU = homogenized_trajectories(u0, ASTAR, times)
    L = homogenized_operator(n, ASTAR).toarray()
    for k, t in enumerate(times):
        exact = (sl.expm(L * t) @ u0.T).T
        np.testing.assert_allclose(U[k], exact, rtol=0, atol=1e-8)
    np.testing.assert_allclose(dU[-1], U[-1] @ L.T, atol=1e-10)
    assert np.all(U[:, :, 0] == u0[None, :, 0]) and np.all(dU[:, :, [0, -1]] == 0)  # Eq. (21)
    # and the semi-discrete solution converges to the PDE's exact solution at second order
    errs = []
    for n in (21, 41, 81):
        x = np.linspace(0, 1, n)
        U, _ = homogenized_trajectories(np.sin(np.pi * x)[None], ASTAR, np.array([0.0, 0.1]))
        errs.append(np.abs(U[-1, 0] - np.exp(-ASTAR * np.pi**2 * 0.1) * np.sin(np.pi * x)).max())
    assert np.all(np.log2(np.array(errs[:-1]) / errs[1:]) > 1.9)


def test_fully_resolved_detailed_problem_tends_to_the_homogenized_solution_as_eps_shrinks():
    u0 = lambda x: (np.sin(np.pi * x) + 0.5 * x)[None]  # noqa: E731
    xr = np.linspace(0, 1, 101)
    hom, _ = homogenized_trajectories(u0(xr), ASTAR, np.array([0.0, 0.02]))
    errs = []
    for eps in (1e-2, 2e-3):
        x, u, _, _ = fully_resolved(
            u0,
            heterogeneous_diffusivity(eps),
            eps=eps,
            points_per_period=40,
            t_final=0.02,
            first_step=1e-8,
            growth=1.5,
            max_step=2e-4,
        )
        errs.append(np.abs(np.interp(xr, x, u[0]) - hom[-1, 0]).max())
    # the detailed solution differs from u_h by eps chi(x/eps) u_x + O(eps^2): first order in eps
    assert errs[1] < errs[0] / 3 and errs[1] < 5e-3, errs


def test_setup_builds_the_sect51_geometry():
    ic, teeth, pd = setup(
        seed=1,
        n_traj=3,
        eps=1e-5,
        a_mean=1.1,
        a_amplitude=1.0,
        macro_nodes=11,
        tooth_width=1e-4,
        patch_width=8e-3,
        points_per_period=10,
        burst=1e-6,
        burst_first_step=1e-10,
        burst_growth=3.0,
        lift_degree=2,
        ic_terms=20,
        ic_amplitude=1.0,
        ic_max_wavenumber=4.0,
    )
    assert list(teeth.patch_nodes) == list(range(1, 10))
    assert teeth.space_fraction == pytest.approx(0.072)
    assert pd.micro_points == 9 * 8001 and ic.amp.shape == (3, 20)


def test_analysis_helpers():
    x = np.linspace(0, 5e-5, 501)
    u = 0.3 + 2 * x + 1e-6 * np.sin(2 * np.pi * x / 1e-5)
    assert dominant_period(x, u) == pytest.approx(1e-5, rel=0.02)
    assert relative_l2(np.array([1.0, 2.0]), np.array([1.0, 1.0])) == pytest.approx(1 / np.sqrt(2))


def test_window_averages_trapezoid_exact_on_lines_and_known_error_on_parabolas():
    dx = 0.01
    x = np.arange(101) * dx
    centers = np.array([0.0, 0.3, 0.557, 1.0])  # the ends' windows are moved inside the grid
    # width 0.1 -> k = 5 steps each side; nearest points 0 -> 5 (clipped), 30, 56 (nearest to 0.557), 95
    inside = np.array([0.05, 0.3, 0.56, 0.95])
    np.testing.assert_allclose(window_averages(2.0 + 3.0 * x, dx, centers, 0.1), 2.0 + 3.0 * inside, rtol=1e-13)
    # x^2: exact mean c^2 + h^2/3 (h = 0.05), plus the trapezoid rule's dx^2/6
    want = inside**2 + 0.05**2 / 3 + dx**2 / 6
    np.testing.assert_allclose(window_averages(x**2, dx, centers, 0.1), want, rtol=1e-12)


def test_homogenized_on_macro_grid_is_forward_euler_of_the_fd_operator():
    from coarsepde.homogenization.problem1d import homogenized_on_macro_grid

    x = np.linspace(0, 1, 11)
    U0 = (np.sin(np.pi * x) + x)[None]
    L = homogenized_operator(11, ASTAR).toarray()
    expected = np.linalg.matrix_power(np.eye(11) + 1e-3 * L, 20) @ U0[0]
    np.testing.assert_allclose(homogenized_on_macro_grid(U0, ASTAR, dt=1e-3, n_steps=20)[0], expected, rtol=1e-13)


def test_homogenized_rhs_on_macro_grid_equals_the_operator():
    from coarsepde.homogenization.problem1d import homogenized_rhs_on_macro_grid

    U = np.random.default_rng(0).standard_normal((3, 11))
    np.testing.assert_allclose(
        homogenized_rhs_on_macro_grid(U, 0.3), U @ homogenized_operator(11, 0.3).toarray().T, rtol=1e-12, atol=1e-10
    )

"""P2 1D candidate truths of the right-hand side (issue 20 item 5): coarse stencil, fine FD, exact modes."""

import numpy as np

from coarsepde.homogenization.problem1d import (
    InitialConditions,
    homogenized_rhs_on_macro_grid,
    homogenized_trajectories,
)
from coarsepde.homogenization.rhs_truth import (
    homogenized_scheme_rhs,
    modal_solution,
    rhs_truths_1d,
    score_against_truths,
)

ASTAR = np.sqrt(0.21)


def _mode(n_nodes, k):
    x = np.linspace(0.0, 1.0, n_nodes)
    return x, np.sin(k * x)[None, None, :]


def test_coarse_stencil_on_a_mode_is_its_discrete_symbol_not_minus_a_k2():
    k = 2 * np.pi * 4  # Eq. (23)'s largest wavenumber: k dx = 2.5 on the 11-node grid
    x, u = _mode(11, k)
    truths = rhs_truths_1d(u, u, np.zeros_like(u), np.array([0.0]), a_star=ASTAR, stride=1)
    dx = 0.1
    symbol = -ASTAR * 4 / dx**2 * np.sin(k * dx / 2) ** 2
    np.testing.assert_allclose(truths["coarse_data"][0, 0, 1:-1], symbol * np.sin(k * x[1:-1]), rtol=1e-12, atol=1e-10)
    assert truths["coarse_data"][0, 0, 0] == 0 and truths["coarse_data"][0, 0, -1] == 0
    assert abs(symbol / (-ASTAR * k**2) - 0.5730) < 1e-3  # the coarse grid sees 57 % of the decay rate


def test_fine_fd_truth_at_the_macro_nodes_converges_to_minus_a_k2_at_second_order():
    k = 2 * np.pi * 4
    errors = []
    for n in (201, 401, 801):
        x, u = _mode(n, k)
        stride = (n - 1) // 10
        F_fine = homogenized_rhs_on_macro_grid(u, ASTAR)  # a* times the 3-point stencil on the fine grid
        F = rhs_truths_1d(u[..., ::stride], u, F_fine, np.array([0.0]), a_star=ASTAR, stride=stride)["fine"]
        exact = -ASTAR * k**2 * u[..., ::stride]
        errors.append(np.abs(F[..., 1:-1] - exact[..., 1:-1]).max() / np.abs(exact).max())
    assert errors[0] < 2e-3  # (k dx)^2 / 12 = 1.3e-3 at dx = 5e-3
    np.testing.assert_allclose(errors[0] / errors[1], 4.0, rtol=5e-3)
    np.testing.assert_allclose(errors[1] / errors[2], 4.0, rtol=5e-3)


def _ic():
    rng = np.random.default_rng(3)
    return InitialConditions(
        rng.uniform(-1, 1, (2, 20)), rng.uniform(0, 4, (2, 20)), rng.uniform(0, 2 * np.pi, (2, 20))
    )


def test_modal_solution_keeps_the_dirichlet_data_and_its_time_derivative_is_exact():
    ic = _ic()
    x = np.linspace(0, 1, 11)
    u0 = ic(x)
    u, _ = modal_solution(ic, ASTAR, x, np.array([0.0, 0.05]))
    np.testing.assert_allclose(u[:, :, [0, -1]], np.repeat(u0[:, None, [0, -1]], 2, axis=1), atol=1e-12)
    np.testing.assert_allclose(u[:, 0], u0, atol=0)
    t, h = 2e-3, 1e-6
    (um, up), ut = (
        modal_solution(ic, ASTAR, x, np.array([t - h, t + h]))[0].transpose(1, 0, 2),
        modal_solution(ic, ASTAR, x, np.array([t]))[1][:, 0],
    )
    scale = np.abs(ut).max()
    assert np.abs((up - um) / (2 * h) - ut).max() < 1e-5 * scale
    # the series is the solution: at t -> 0+ its derivative approaches a* u0'' (the t = 0 value it returns)
    ut_small = modal_solution(ic, ASTAR, x, np.array([0.0, 1e-7]), n_modes=4000)[1]
    np.testing.assert_allclose(ut_small[:, 1, 1:-1], ut_small[:, 0, 1:-1], rtol=0, atol=5e-3 * np.abs(ut_small).max())


def test_fine_fd_reference_agrees_with_the_exact_modal_derivative():
    ic = _ic()
    x = np.linspace(0, 1, 201)
    times = np.arange(11) * 1e-3
    U, F = homogenized_trajectories(ic(x), ASTAR, times)
    U, F = U.transpose(1, 0, 2), F.transpose(1, 0, 2)
    Uc = U[..., ::20]
    truths = rhs_truths_1d(Uc, U, F, times, a_star=ASTAR, stride=20, ic=ic)
    rows = {
        (r["field"], r["truth"], r["window"]): r["rmse"]
        for r in score_against_truths({"fine": truths["fine"]}, truths, {"all": np.ones(times.size, bool)})
    }
    assert rows[("fine", "exact", "all")] < 1e-5  # dx = 5e-3 second-order FD vs the exact solution
    assert rows[("fine", "coarse_ref", "all")] > 0.05  # the 11-node stencil misses the early modes
    assert rows[("fine", "fine_forward", "all")] > 1e-3  # the code's forward difference lags at early times
    # the coarse FD scheme from the fine solution's first macro state is a different trajectory
    G = homogenized_scheme_rhs(Uc[:, 0], ASTAR, dt=1e-3, n_steps=10)
    np.testing.assert_allclose(G, truths["coarse_scheme"], rtol=0, atol=0)
    np.testing.assert_allclose(G[:, 0], truths["coarse_data"][:, 0], rtol=1e-12, atol=1e-9)

"""The 1D heterogeneous diffusion problem of Arbabi et al. 2020, Sect. 5.1, and its references.

Detailed problem (Eq. 20): u_t = d/dx( a(x/eps) u_x ), a(y) = 1.1 + sin(2 pi y), x in [0, 1], with the
time-independent Dirichlet data of Eq. (21). Homogenized problem (Eq. 22): u_t = a* u_xx.

This module provides the random initial conditions (Eq. 23), the macro grid with its patches,
patch-dynamics trajectories, the homogenized finite-difference reference (second order on
dx = 5e-3, stiff BDF in time, as the paper) and the fully resolved solution of Eq. (20).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from coarsepde.numerics.diffusion1d import DiffusionSegments, geometric_steps

from .equation_free import PatchDynamics, Teeth, projective_integrate

__all__ = [
    "InitialConditions",
    "draw_initial_conditions",
    "heterogeneous_diffusivity",
    "macro_teeth",
    "patch_dynamics_trajectories",
    "homogenized_operator",
    "homogenized_trajectories",
    "fully_resolved",
    "window_averages",
    "setup",
]


@dataclass(frozen=True)
class InitialConditions:
    """u(x, 0) = sum_j amp_j sin(2 pi l_j x + phi_j) (Eq. 23); arrays of shape (n_traj, terms)."""

    amp: np.ndarray
    wavenumber: np.ndarray
    phase: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(n_traj, len(x)) values at the points x."""
        x = np.asarray(x, dtype=float)
        arg = 2 * np.pi * self.wavenumber[:, :, None] * x[None, None, :] + self.phase[:, :, None]
        return np.einsum("tj,tjx->tx", self.amp, np.sin(arg))

    def subset(self, rows) -> InitialConditions:
        """The initial conditions ``rows`` (an index, slice or index array) alone: evaluating one
        trajectory on the 2e6-point fully resolved grid then costs its own (terms, points) phases, not
        every trajectory's (3.5 GB for 11 trajectories)."""
        sel = np.arange(self.amp.shape[0])[rows]
        sel = np.atleast_1d(sel)
        return InitialConditions(self.amp[sel], self.wavenumber[sel], self.phase[sel])


def draw_initial_conditions(
    rng: np.random.Generator, n_traj: int, *, terms: int, amplitude: float, max_wavenumber: float
) -> InitialConditions:
    """Eq. (23): a_j ~ U[-amplitude, amplitude], l_j ~ U[0, max_wavenumber], phi_j ~ U[0, 2 pi]."""
    if n_traj < 1 or terms < 1:
        raise ValueError("need n_traj >= 1 and terms >= 1")
    amp = rng.uniform(-amplitude, amplitude, (n_traj, terms))
    wav = rng.uniform(0.0, max_wavenumber, (n_traj, terms))
    phase = rng.uniform(0.0, 2 * np.pi, (n_traj, terms))
    return InitialConditions(amp, wav, phase)


def heterogeneous_diffusivity(eps: float, mean: float = 1.1, amplitude: float = 1.0):
    """a(x/eps) = mean + amplitude sin(2 pi x / eps) (Eq. 20)."""
    return lambda x: mean + amplitude * np.sin(2 * np.pi * np.asarray(x) / eps)


def macro_teeth(*, n_nodes: int, tooth_width: float, patch_width: float, dx: float) -> Teeth:
    """Macro nodes 0, 1/(n-1), ..., 1 with patches at every interior node (the boundary nodes carry
    the Dirichlet data of Eq. 21 and are never simulated)."""
    x = np.linspace(0.0, 1.0, n_nodes)
    return Teeth(x, np.arange(1, n_nodes - 1), tooth_width, patch_width, dx)


def patch_dynamics_trajectories(
    U0: np.ndarray,
    pd: PatchDynamics,
    *,
    dt: float,
    n_steps: int,
    method: str = "euler",
    record_every: int = 1,
    progress=None,
):
    """Patch-dynamics trajectories from the macro states U0 (B, N), all trajectories at once.

    Returns (times, U (T, B, N), dUdt (T, B, N), seconds of wall-clock).
    """
    t0 = time.perf_counter()
    times, U, F = projective_integrate(
        pd.time_derivative, U0, dt=dt, n_steps=n_steps, method=method, record_every=record_every, progress=progress
    )
    return times, U, F, time.perf_counter() - t0


def homogenized_operator(n_nodes: int, a_star: float) -> sp.csr_matrix:
    """Second-order FD matrix of a* u_xx on n_nodes uniform nodes of [0, 1]; boundary rows zero
    (Dirichlet values held, Eq. 21)."""
    dx = 1.0 / (n_nodes - 1)
    main = np.full(n_nodes, -2.0)
    off = np.ones(n_nodes - 1)
    L = sp.diags([off, main, off], [-1, 0, 1], format="lil") * (a_star / dx**2)
    L[0, :] = 0.0
    L[-1, :] = 0.0
    return L.tocsr()


def homogenized_trajectories(
    u0: np.ndarray, a_star: float, times: np.ndarray, *, rtol: float = 1e-9, atol: float = 1e-11
):
    """Homogenized reference (Eq. 22): u0 (B, n) on n uniform nodes -> U (T, B, n), dU/dt (T, B, n).

    Method of lines with the FD operator of :func:`homogenized_operator` and a stiff BDF integrator
    (scipy's variable-order BDF, the family of the paper's lsode) with the exact sparse Jacobian,
    all trajectories in one block-diagonal system. dU/dt is the exact right-hand side at the saved
    states.
    """
    u0 = np.atleast_2d(np.asarray(u0, dtype=float))
    B, n = u0.shape
    L = homogenized_operator(n, a_star)
    A = sp.block_diag([L] * B, format="csr")
    sol = solve_ivp(
        lambda t, y: A @ y, (times[0], times[-1]), u0.ravel(), method="BDF", t_eval=times, jac=A, rtol=rtol, atol=atol
    )
    if not sol.success:
        raise RuntimeError(f"homogenized reference failed: {sol.message}")
    U = sol.y.T.reshape(len(times), B, n)
    dU = np.einsum("ij,tbj->tbi", L.toarray(), U)
    return U, dU


def fully_resolved(
    u0_fn, a, *, eps: float, points_per_period: int, t_final: float, first_step: float, growth: float, max_step: float
):
    """Detailed solution of Eq. (20) on all of [0, 1] at t_final, resolving every eps-period.

    u0_fn: x -> (B, len(x)) initial values (its end values are the Dirichlet data of Eq. 21).
    Returns (x, u (B, len(x)), seconds of wall-clock, number of time steps).
    """
    n = int(round(points_per_period / eps))
    x = np.linspace(0.0, 1.0, n + 1)
    seg = DiffusionSegments(x[None], a)
    u0 = np.asarray(u0_fn(x), dtype=float)[:, None, :]
    steps = geometric_steps(t_final, first_step, growth, max_step)
    t0 = time.perf_counter()
    u = seg.integrate(u0, steps)[:, 0, :]
    return x, u, time.perf_counter() - t0, len(steps)


def setup(
    *,
    seed: int,
    n_traj: int,
    eps: float,
    a_mean: float,
    a_amplitude: float,
    macro_nodes: int,
    tooth_width: float,
    patch_width: float,
    points_per_period: int,
    burst: float,
    burst_first_step: float,
    burst_growth: float,
    lift_degree: int,
    ic_terms: int,
    ic_amplitude: float,
    ic_max_wavenumber: float,
):
    """(initial conditions, teeth, patch-dynamics estimator) of the Sect. 5.1 problem.

    The ``n_traj`` initial conditions are drawn in order from ``numpy.random.default_rng(seed)``:
    every rule that needs trajectory k gets the same one.
    """
    ic = draw_initial_conditions(
        np.random.default_rng(seed), n_traj, terms=ic_terms, amplitude=ic_amplitude, max_wavenumber=ic_max_wavenumber
    )
    teeth = macro_teeth(
        n_nodes=macro_nodes, tooth_width=tooth_width, patch_width=patch_width, dx=eps / points_per_period
    )
    pd = PatchDynamics(
        teeth,
        heterogeneous_diffusivity(eps, a_mean, a_amplitude),
        burst=burst,
        first_step=burst_first_step,
        growth=burst_growth,
        lift_degree=lift_degree,
    )
    return ic, teeth, pd


def window_averages(u: np.ndarray, dx: float, centers: np.ndarray, width: float) -> np.ndarray:
    """Averages of u, point values on the uniform grid x_j = j dx (j = 0 .. len(u) - 1), over windows of
    ``width`` (rounded to an even number of steps) around the grid points nearest to ``centers``, by
    the trapezoid rule; windows reaching past an end are moved inside the grid."""
    k = int(round(width / 2 / dx))
    idx = np.clip(np.round(centers / dx).astype(int), k, u.size - 1 - k)
    c = np.concatenate([[0.0], np.cumsum(0.5 * (u[1:] + u[:-1]) * dx)])  # trapezoid integral
    return (c[idx + k] - c[idx - k]) / (2 * k * dx)


def relative_l2(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / ||b|| over all entries."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


def dominant_period(x: np.ndarray, u: np.ndarray) -> float:
    """Period of the strongest Fourier component of u(x) after removing its linear trend
    (uniform x; used to show that the zoomed detailed solution oscillates on the eps scale)."""
    x = np.asarray(x, dtype=float)
    u = np.asarray(u, dtype=float)
    r = u - np.polyval(np.polyfit(x - x.mean(), u, 2), x - x.mean())  # remove the macroscale part
    spec = np.abs(np.fft.rfft(r * np.hanning(r.size)))
    freqs = np.fft.rfftfreq(r.size, d=x[1] - x[0])
    k = 1 + int(np.argmax(spec[1:]))
    return float(1.0 / freqs[k])


def homogenized_on_macro_grid(U0: np.ndarray, a_star: float, *, dt: float, n_steps: int) -> np.ndarray:
    """The homogenized FD scheme on the patch-dynamics macro grid itself (forward Euler, same dt):
    what patch dynamics converges to as eps, dx, the burst and the buffer errors vanish. Comparing with
    it separates the macro-grid discretization error from the error of the equation-free estimate."""
    U = np.atleast_2d(np.asarray(U0, dtype=float)).copy()
    L = homogenized_operator(U.shape[-1], a_star)
    for _ in range(n_steps):
        U = U + dt * (L @ U.T).T
    return U


def homogenized_rhs_on_macro_grid(U: np.ndarray, a_star: float) -> np.ndarray:
    """a* times the second difference of U (..., n) on its uniform grid of [0, 1]; 0 at the ends."""
    U = np.asarray(U, dtype=float)
    out = np.zeros_like(U)
    out[..., 1:-1] = a_star * (U[..., 2:] - 2 * U[..., 1:-1] + U[..., :-2]) * (U.shape[-1] - 1) ** 2
    return out

"""Heterogeneous 1D diffusion u_t = d/dx( a(x) du/dx ) on many independent segments at once.

The fine-scale ("detailed", "micro") solver of the equation-free schemes and of the fully resolved
reference (Arbabi et al. 2020, Eq. 20). Conservative second-order finite differences,

    du_j/dt = [ a_{j+1/2} (u_{j+1} - u_j) - a_{j-1/2} (u_j - u_{j-1}) ] / dx^2,

with the diffusivity sampled at the cell faces x_{j+1/2} (the authors' code sampled it at the
right-hand node; the face value is the consistent, second-order choice and gives the exact
harmonic mean in the homogenized limit). Both end points of every segment are Dirichlet values
held fixed during a call (the patch-dynamics buffer condition, Eq. 21 for the whole domain).

Time stepping is TR-BDF2 (trapezoid to t + gamma dt, then BDF2; gamma = 2 - sqrt 2): one-step,
second order and L-stable, so the eps-scale transients that a smooth lifted profile triggers
(rates up to 4 max(a)/dx^2 ~ 1e13 1/s at dx = 1e-7) are damped rather than ringing, with steps
as large as accuracy allows. With this gamma both stages solve with the same matrix
I - (gamma/2) dt L. Explicit stepping would need dt <= dx^2 / (2 max a) ~ 2e-15 s at the
paper's dx = 1e-7: 1e9 steps per 1e-6 burst, which is why neither we nor the authors do it.

All segments (patches) and all right-hand sides (trajectories) go through ONE tridiagonal LAPACK
solve (dgtsv) per stage: the segments are stacked into a block-diagonal system whose couplings
across block boundaries are zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import lapack

from coarsepde.numerics.trbdf2_fused import trbdf2_segments

__all__ = ["DiffusionSegments", "geometric_steps", "TRBDF2_GAMMA"]

TRBDF2_GAMMA = 2.0 - np.sqrt(2.0)


def geometric_steps(total: float, first: float, growth: float, max_step: float | None = None) -> np.ndarray:
    """Step sizes first, first*growth, ... (capped at ``max_step``) that add up to ``total`` exactly.

    Small first steps resolve the fast initial transient; the growth lets the steps reach the
    accuracy-limited size of the smooth evolution in a few dozen steps.
    """
    if not (total > 0 and first > 0 and growth >= 1.0):
        raise ValueError(f"need total > 0, first > 0, growth >= 1 (got {total}, {first}, {growth})")
    cap = np.inf if max_step is None else float(max_step)
    steps, t, dt = [], 0.0, min(first, cap)
    while t < total * (1 - 1e-12):
        dt = min(dt, total - t)
        steps.append(dt)
        t += dt
        dt = min(dt * growth, cap)
    # fold round-off into the last step so the steps add up to `total`
    steps[-1] += total - float(np.sum(steps))
    return np.asarray(steps)


class DiffusionSegments:
    """P independent segments, each with the same number m of equally spaced grid points.

    Parameters
    ----------
    x : (P, m) array
        Grid points of each segment (length units); spacing uniform within and equal across segments.
    a : callable
        Diffusivity a(x) (length^2 / time), evaluated at the faces between grid points.

    State arrays have shape (B, P, m): B right-hand sides (e.g. trajectories), P segments, m
    points including the two Dirichlet end points, which every method leaves untouched.
    """

    def __init__(self, x: np.ndarray, a: Callable[[np.ndarray], np.ndarray]):
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] < 3:
            raise ValueError("a segment needs at least 3 points (two Dirichlet ends and one unknown)")
        dxs = np.diff(x, axis=1)
        self.dx = float(dxs.mean())
        if not np.allclose(dxs, self.dx, rtol=1e-8, atol=0):
            raise ValueError("grid spacing must be uniform within and across segments")
        self.x = x
        self.P, self.m = x.shape
        faces = 0.5 * (x[:, 1:] + x[:, :-1])
        af = np.asarray(a(faces), dtype=float)
        if af.shape != faces.shape or not np.all(np.isfinite(af)) or np.any(af <= 0):
            raise ValueError("a(x) must return finite, strictly positive values of the input's shape")
        self.a_faces = af  # (P, m-1)
        n = self.m - 2
        inv = 1.0 / self.dx**2
        # operator on the interior unknowns j = 1..m-2 of each segment (symmetric: the coupling of
        # u_j to u_{j+1} equals that of u_{j+1} to u_j, a_{j+1/2}/dx^2)
        self._off = af[:, 1:-1] * inv  # (P, n-1)
        self._diag = -(af[:, :-1] + af[:, 1:]) * inv  # (P, n)
        self._n = n

    # -- operator ---------------------------------------------------------------------------

    def apply(self, u: np.ndarray) -> np.ndarray:
        """du/dt of the full state (B, P, m); zero at the Dirichlet end points."""
        u = np.asarray(u, dtype=float)
        flux = self.a_faces * np.diff(u, axis=-1) / self.dx  # a u_x at the faces
        out = np.zeros_like(u)
        out[..., 1:-1] = np.diff(flux, axis=-1) / self.dx
        return out

    def _stacked(self, coef: float):
        """Tridiagonal bands of I - coef * L over all stacked segments (zero across blocks)."""
        P, n = self.P, self._n
        diag = (1.0 - coef * self._diag).reshape(-1)
        off = np.zeros((P, n))  # entry linking rows k and k+1 of a block; 0 across block boundaries
        off[:, :-1] = -coef * self._off
        off = off.reshape(-1)[:-1]
        return off, diag, off.copy()

    def _solve(self, coef: float, rhs: np.ndarray) -> np.ndarray:
        """Solve (I - coef L) X = rhs for the interior unknowns; rhs (B, P, n)."""
        B = rhs.shape[0]
        dl, d, du = self._stacked(coef)
        # (P n, B) in Fortran order (a transposed view of the C-ordered rhs): one LAPACK call for
        # all B right-hand sides, without the copy f2py would make for a C-ordered array
        b = np.asfortranarray(rhs.reshape(B, -1).T)
        _, _, _, x, info = lapack.dgtsv(dl, d, du, b, overwrite_dl=1, overwrite_d=1, overwrite_du=1, overwrite_b=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"dgtsv failed with info = {info}")
        return x.T.reshape(rhs.shape)

    def _end_sources(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, P) contributions of the (fixed) end values to du/dt at the first and the last interior point."""
        inv = 1.0 / self.dx**2
        return self.a_faces[:, 0] * u[..., 0] * inv, self.a_faces[:, -1] * u[..., -1] * inv

    def _boundary_source(self, u: np.ndarray) -> np.ndarray:
        """The end sources as a (B, P, n) array, zero at the inner points."""
        g = np.zeros(u.shape[:-1] + (self._n,))
        gl, gr = self._end_sources(u)
        g[..., 0] += gl
        g[..., -1] += gr
        return g

    # -- time stepping ----------------------------------------------------------------------

    def _state(self, u0: np.ndarray) -> np.ndarray:
        u = np.array(u0, dtype=float, copy=True)
        if u.ndim == 2:
            u = u[None]
        if u.shape[1:] != (self.P, self.m):
            raise ValueError(f"state must have shape (B, {self.P}, {self.m}), got {u.shape}")
        return u

    def integrate(self, u0: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Advance the state (B, P, m) through the given step sizes with TR-BDF2; ends held fixed.

        One compiled pass per segment (:mod:`coarsepde.numerics.trbdf2_fused`): the arithmetic of
        :meth:`integrate_reference`, equal to it to round-off (tested)
        and faster (``benchmarks/bench_p2.py``).
        """
        u = self._state(u0)
        gl, gr = self._end_sources(u)
        v = np.ascontiguousarray(u[..., 1:-1])
        trbdf2_segments(v, gl, gr, self._diag, self._off, np.asarray(steps, dtype=float), TRBDF2_GAMMA)
        u[..., 1:-1] = v
        return u

    def integrate_reference(self, u0: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """:meth:`integrate` through whole-array numpy passes and two LAPACK ``dgtsv`` solves per
        step (the reference the compiled path is tested and benchmarked against)."""
        u = self._state(u0)
        gam = TRBDF2_GAMMA
        w = 1.0 / (gam * (2.0 - gam))
        g = self._boundary_source(u)
        v = u[..., 1:-1]
        for dt in np.asarray(steps, dtype=float):
            d = 0.5 * gam * dt  # = dt (1 - gam) / (2 - gam) for this gamma: one matrix for both stages
            Lv = self._apply_interior(v)
            stage = self._solve(d, v + d * Lv + 2.0 * d * g)  # trapezoid to t + gam dt
            v = self._solve(d, w * stage - w * (1.0 - gam) ** 2 * v + d * g)  # BDF2 to t + dt
        u[..., 1:-1] = v
        return u

    def _apply_interior(self, v: np.ndarray) -> np.ndarray:
        """L v for interior values v (B, P, n), without the boundary source (added separately)."""
        out = self._diag * v
        out[..., 1:] += self._off * v[..., :-1]
        out[..., :-1] += self._off * v[..., 1:]
        return out

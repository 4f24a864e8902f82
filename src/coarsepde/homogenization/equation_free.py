"""Equation-free multiscale toolkit in 1D: teeth and patches, restriction, lifting, the gap-tooth
scheme with tooth-edge slope conditions, patch dynamics with buffers, and projective integration.

Arbabi et al. 2020, Sect. 3 (following Samaey, Kevrekidis, Roose and Gear):

* restriction, Eq. (7): the average of the detailed solution over tooth i, [x_i - h/2, x_i + h/2];
* macro polynomial, Eq. (8): p_i of even degree k whose averages over the teeth i - k/2 ... i + k/2
  equal the macro values there (a small Vandermonde-type system of box averages, solved per patch);
* lifting, Eq. (10): p_i evaluated on the patch (tooth + buffers). Eq. (10) writes p_i through
  finite-difference derivatives D^k U; for k = 2 the box-average polynomial is exactly
  U_i - D^2 U h^2/24 + D^1 U s + D^2 U s^2/2 (s = x - x_i), i.e. the FD derivatives with the constant
  corrected so that the tooth average is U_i. We additionally correct the constant against the
  *discrete* restriction rule, so that restrict(lift(U)) == U to round-off;
* gap-tooth step, Eqs. (8)-(9): evolve each tooth for the whole macro step with the averaged-slope
  condition u(e + w) - u(e - w) = 2 w p_i'(e) at both tooth edges e (w = eps in Eq. 9);
* patch dynamics, Eq. (11): lift, evolve patches for a short burst dt with Dirichlet values held
  at the buffer edges, restrict, dU/dt ~ (R u(t + dt) - U)/dt;
* projective integration: any explicit Runge-Kutta method driven by that estimate with a macro
  step Delta t >> dt (forward Euler as the authors' code; Heun and RK4 as higher-order options).

Nothing here knows about a particular diffusivity or domain: the micro model is a diffusivity
a(x) on the fine grid (:class:`coarsepde.numerics.diffusion1d.DiffusionSegments`), the macro grid is
any increasing array of nodes, and nodes without a patch (e.g. Dirichlet boundaries) keep
dU/dt = 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.linalg as sl

from coarsepde.numerics.diffusion1d import DiffusionSegments, geometric_steps

__all__ = [
    "Teeth",
    "box_polynomial",
    "lift",
    "restrict",
    "PatchDynamics",
    "GapTooth",
    "projective_integrate",
    "RK_TABLEAUX",
]


def _as_int(value: float, what: str) -> int:
    k = int(round(value))
    if abs(value - k) > 1e-6 * max(1.0, abs(value)):
        raise ValueError(f"{what} must be an integer number of micro steps, got {value}")
    return k


@dataclass(frozen=True)
class Teeth:
    """Geometry of teeth/patches on a 1D macro grid.

    x_macro : (N,) increasing macro nodes (the macro field U lives here).
    patch_nodes : indices of the nodes that carry a patch (the others keep dU/dt = 0).
    tooth_width : h, the averaging region [x_i - h/2, x_i + h/2] of Eq. (7).
    patch_width : H >= h, the simulated region; the buffers are (H - h)/2 wide on each side.
    dx : micro grid spacing; h/2 and H/2 must be whole multiples of it, so the tooth and patch
         edges are grid points.
    """

    x_macro: np.ndarray
    patch_nodes: np.ndarray
    tooth_width: float
    patch_width: float
    dx: float

    def __post_init__(self):
        x = np.asarray(self.x_macro, dtype=float)
        idx = np.asarray(self.patch_nodes, dtype=int)
        if x.ndim != 1 or np.any(np.diff(x) <= 0):
            raise ValueError("x_macro must be a strictly increasing 1-D array")
        if idx.size == 0 or idx.min() < 0 or idx.max() >= x.size or np.unique(idx).size != idx.size:
            raise ValueError(f"patch_nodes must be distinct indices into x_macro, got {idx}")
        if not (0 < self.tooth_width <= self.patch_width) or self.dx <= 0:
            raise ValueError("need 0 < tooth_width <= patch_width and dx > 0")
        object.__setattr__(self, "x_macro", x)
        object.__setattr__(self, "patch_nodes", idx)
        _as_int(self.tooth_width / 2 / self.dx, "tooth_width/2/dx")
        _as_int(self.patch_width / 2 / self.dx, "patch_width/2/dx")
        c = x[idx]
        if np.any(np.diff(c) < self.patch_width):
            raise ValueError("patches overlap: patch_width exceeds the spacing of their centres")

    @property
    def centers(self) -> np.ndarray:
        return self.x_macro[self.patch_nodes]

    @cached_property
    def offsets(self) -> np.ndarray:
        """Micro grid offsets s = x - x_i of every patch, (m,)."""
        k = _as_int(self.patch_width / 2 / self.dx, "patch_width/2/dx")
        return np.arange(-k, k + 1) * self.dx

    @property
    def micro_x(self) -> np.ndarray:
        """(P, m) micro grid of every patch."""
        return self.centers[:, None] + self.offsets[None, :]

    @cached_property
    def restriction_weights(self) -> np.ndarray:
        """(m,) weights w with sum(w u) = trapezoid tooth average (1/h) int u over the tooth.

        The trapezoid rule is spectrally accurate for the eps-periodic part of u when the tooth
        spans whole periods (h = 10 eps in the paper) and exact on the affine part; its O(dx^2)
        error on the curvature is absorbed by the lifting (see :func:`lift`).
        """
        kt = _as_int(self.tooth_width / 2 / self.dx, "tooth_width/2/dx")
        kh = (self.offsets.size - 1) // 2
        w = np.zeros(self.offsets.size)
        w[kh - kt : kh + kt + 1] = 1.0
        w[kh - kt] = w[kh + kt] = 0.5
        return w * self.dx / self.tooth_width

    @property
    def space_fraction(self) -> float:
        """Fraction of the macro domain that is simulated: P H / (x_N - x_0)."""
        return self.patch_nodes.size * self.patch_width / (self.x_macro[-1] - self.x_macro[0])


def box_polynomial(U: np.ndarray, teeth: Teeth, degree: int = 2) -> np.ndarray:
    """Coefficients c (B, P, degree+1) of p_i(s) = sum_k c_k s^k, s = x - x_i (Eq. 8).

    p_i has the box averages (width h) U_j at the degree + 1 nodes j = i - degree/2 ... i + degree/2.
    Works on non-uniform macro grids; raises if a patch lacks the neighbours its stencil needs.
    """
    if degree < 0 or degree % 2:
        raise ValueError(f"degree must be even and >= 0 (Eq. 8), got {degree}")
    U = np.atleast_2d(np.asarray(U, dtype=float))
    half = degree // 2
    idx = teeth.patch_nodes
    if idx.min() - half < 0 or idx.max() + half >= teeth.x_macro.size:
        raise ValueError(f"degree {degree} needs {half} macro node(s) on each side of every patch")
    stencil = idx[:, None] + np.arange(-half, half + 1)[None, :]  # (P, d+1)
    s = teeth.x_macro[stencil] - teeth.centers[:, None]  # node offsets (P, d+1)
    h = teeth.tooth_width
    k = np.arange(degree + 1)
    # box average of s^k over [s_j - h/2, s_j + h/2]
    A = ((s[..., None] + h / 2) ** (k + 1) - (s[..., None] - h / 2) ** (k + 1)) / ((k + 1) * h)  # (P, d+1, d+1)
    rhs = U[:, stencil]  # (B, P, d+1)
    return np.linalg.solve(A[None], rhs[..., None])[..., 0]


def _polyval(c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """sum_k c[..., k] s^k, for c (B, P, d+1) and s (m,) -> (B, P, m)."""
    return np.einsum("bpk,km->bpm", c, s[None, :] ** np.arange(c.shape[-1])[:, None])


def restrict(u: np.ndarray, teeth: Teeth) -> np.ndarray:
    """Tooth averages (Eq. 7) of micro fields u (B, P, m) -> (B, P)."""
    return u @ teeth.restriction_weights


def lift(U: np.ndarray, teeth: Teeth, degree: int = 2) -> np.ndarray:
    """Micro initial profiles (B, P, m) on every patch from the macro field U (B, N) (Eq. 10).

    The box polynomial of :func:`box_polynomial`, with its constant shifted so that the discrete
    restriction returns U at the patch nodes exactly.
    """
    U = np.atleast_2d(np.asarray(U, dtype=float))
    c = box_polynomial(U, teeth, degree)
    u = _polyval(c, teeth.offsets)
    return u + (U[:, teeth.patch_nodes] - restrict(u, teeth))[..., None]


class PatchDynamics:
    """Patch-dynamics estimator of dU/dt with buffers (Eq. 11).

    a : diffusivity a(x) of the detailed problem; burst : the micro simulation time dt per estimate;
    the burst is covered by TR-BDF2 steps growing geometrically from ``first_step`` by ``growth``
    (see :mod:`coarsepde.numerics.diffusion1d`); ``lift_degree`` is the k of Eq. (10).
    """

    def __init__(
        self,
        teeth: Teeth,
        a: Callable[[np.ndarray], np.ndarray],
        *,
        burst: float,
        first_step: float,
        growth: float,
        lift_degree: int = 2,
    ):
        if burst <= 0:
            raise ValueError("burst must be > 0")
        self.teeth = teeth
        self.micro = DiffusionSegments(teeth.micro_x, a)
        self.burst = float(burst)
        self.steps = geometric_steps(burst, first_step, growth)
        self.lift_degree = lift_degree
        self.calls = 0

    @property
    def micro_points(self) -> int:
        return int(self.teeth.micro_x.size)

    def time_derivative(self, U: np.ndarray) -> np.ndarray:
        """dU/dt (B, N) at the macro state U (B, N); zero at nodes without a patch."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        u0 = lift(U, self.teeth, self.lift_degree)
        u1 = self.micro.integrate(u0, self.steps)
        out = np.zeros_like(U)
        out[:, self.teeth.patch_nodes] = (restrict(u1, self.teeth) - U[:, self.teeth.patch_nodes]) / self.burst
        self.calls += 1
        return out


@dataclass
class GapTooth:
    """Gap-tooth scheme (Eqs. 7-9): each tooth evolves for a whole macro step ``dt`` with the
    averaged-slope conditions u(e + w) - u(e - w) = 2 w p_i'(e) at its edges e = x_i -/+ h/2.

    Only the teeth are simulated (plus the slope windows of width w beyond each edge); the
    micro state is re-lifted from the macro field at every step. The detailed problem is linear
    with constant-in-time edge data, so each step is integrated exactly with the matrix
    exponential of the augmented system (per tooth, computed once per dt and cached).
    """

    teeth: Teeth
    a: Callable[[np.ndarray], np.ndarray]
    window: float
    degree: int = 2
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.teeth.patch_width != self.teeth.tooth_width:
            raise ValueError("the gap-tooth scheme simulates the teeth only: patch_width must equal tooth_width")
        self._k = _as_int(self.window / self.teeth.dx, "window/dx")
        if self._k < 1:
            raise ValueError("the slope window must span at least one micro step")
        kt = _as_int(self.teeth.tooth_width / 2 / self.teeth.dx, "tooth_width/2/dx")
        self._s = np.arange(-kt - self._k, kt + self._k + 1) * self.teeth.dx  # tooth + windows
        if 2 * self._k > self._s.size - 2:
            raise ValueError("slope window too wide for the tooth")
        self._tooth = slice(self._k, self._s.size - self._k)
        wts = np.ones(2 * kt + 1)
        wts[0] = wts[-1] = 0.5
        self._weights = wts * self.teeth.dx / self.teeth.tooth_width

    def _propagator(self, dt: float) -> np.ndarray:
        """exp(M dt) for every tooth: M acts on [interior values, s_left, s_right]."""
        if dt in self._cache:
            return self._cache[dt]
        dx, k, s = self.teeth.dx, self._k, self._s
        m = s.size
        n = m - 2
        faces = self.teeth.centers[:, None] + 0.5 * (s[1:] + s[:-1])[None, :]
        af = np.asarray(self.a(faces), dtype=float)  # (P, m-1)
        inv = 1.0 / dx**2
        P = af.shape[0]
        M = np.zeros((P, n + 2, n + 2))
        r = np.arange(n)
        M[:, r, r] = -(af[:, :-1] + af[:, 1:]) * inv
        M[:, r[:-1], r[:-1] + 1] = af[:, 1:-1] * inv
        M[:, r[1:], r[1:] - 1] = af[:, 1:-1] * inv
        # u_0 = u_{2k} - 2 k dx s_L enters the first interior row (column of grid point 2k = interior 2k-1)
        M[:, 0, 2 * k - 1] += af[:, 0] * inv
        M[:, 0, n] += -af[:, 0] * inv * 2 * k * dx
        # u_{m-1} = u_{m-1-2k} + 2 k dx s_R enters the last interior row
        M[:, n - 1, n - 2 * k] += af[:, -1] * inv
        M[:, n - 1, n + 1] += af[:, -1] * inv * 2 * k * dx
        E = sl.expm(M * dt)
        self._cache[dt] = E
        return E

    def step(self, U: np.ndarray, dt: float) -> np.ndarray:
        """One gap-tooth step of length dt: U (B, N) -> U (B, N); nodes without teeth unchanged."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        c = box_polynomial(U, self.teeth, self.degree)  # (B, P, d+1)
        h = self.teeth.tooth_width
        deriv = c[..., 1:] * np.arange(1, c.shape[-1])  # p'(s) coefficients
        slope = lambda e: _polyval(deriv, np.array([e]))[..., 0]  # noqa: E731
        u0 = _polyval(c, self._s)
        u0 += (U[:, self.teeth.patch_nodes] - u0[..., self._tooth] @ self._weights)[..., None]
        state = np.concatenate([u0[..., 1:-1], slope(-h / 2)[..., None], slope(h / 2)[..., None]], axis=-1)
        E = self._propagator(dt)
        v = np.einsum("pij,bpj->bpi", E, state)[..., :-2]
        k = self._k
        sL, sR = state[..., -2], state[..., -1]
        full = np.concatenate(
            [
                (v[..., 2 * k - 1] - 2 * k * self.teeth.dx * sL)[..., None],
                v,
                (v[..., -2 * k] + 2 * k * self.teeth.dx * sR)[..., None],
            ],
            axis=-1,
        )
        out = U.copy()
        out[:, self.teeth.patch_nodes] = full[..., self._tooth] @ self._weights
        return out


#: Explicit Runge-Kutta tableaux (A, b, c) for projective integration.
RK_TABLEAUX = {
    "euler": (np.zeros((1, 1)), np.array([1.0]), np.array([0.0])),
    "heun": (np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([0.5, 0.5]), np.array([0.0, 1.0])),
    "rk4": (
        np.array([[0, 0, 0, 0], [0.5, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 1.0, 0]]),
        np.array([1, 2, 2, 1]) / 6.0,
        np.array([0, 0.5, 0.5, 1.0]),
    ),
}


def projective_integrate(
    estimate: Callable[[np.ndarray], np.ndarray],
    U0: np.ndarray,
    *,
    dt: float,
    n_steps: int,
    method: str = "euler",
    record_every: int = 1,
    progress: Callable[[int], None] | None = None,
):
    """Projective integration: explicit RK steps of size ``dt`` driven by an estimator of dU/dt.

    Returns (times, U, dUdt) at every ``record_every``-th step, starting at t = 0: U and the
    estimate at that state (for forward Euler this is exactly the derivative the step used), each
    of shape (n_records, B, N). A non-finite state stops the integration; the remaining records are
    NaN (a blow-up is recorded as data).
    """
    if method not in RK_TABLEAUX:
        raise ValueError(f"method must be one of {sorted(RK_TABLEAUX)}, got {method!r}")
    if n_steps < 1 or record_every < 1 or dt <= 0:
        raise ValueError("need n_steps >= 1, record_every >= 1 and dt > 0")
    A, b, _ = RK_TABLEAUX[method]
    U = np.atleast_2d(np.asarray(U0, dtype=float)).copy()
    n_rec = n_steps // record_every + 1
    times = np.arange(n_rec) * record_every * dt
    Us = np.full((n_rec,) + U.shape, np.nan)
    Fs = np.full_like(Us, np.nan)
    for n in range(n_steps + 1):
        k0 = estimate(U)
        if n % record_every == 0:
            Us[n // record_every], Fs[n // record_every] = U, k0
        if n == n_steps:
            break
        ks = [k0]
        for i in range(1, len(b)):
            ks.append(estimate(U + dt * sum(A[i, j] * ks[j] for j in range(i))))
        U = U + dt * sum(bi * ki for bi, ki in zip(b, ks))
        if progress is not None:
            progress(n + 1)
        if not np.all(np.isfinite(U)):
            break
    return times, Us, Fs

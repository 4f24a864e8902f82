"""Linear transport (kinetic) data generator of Delgadillo, Hu, Yang, "Multiscale and nonlocal learning
for PDEs using densely connected RNNs" (DC-RNN), in micro-macro form.

Kinetic equation (Eq. 2.1), v in [-1, 1], <.> = 1/2 int_{-1}^{1} . dv:

    f_t + (1/eps) v f_x = (sigma_S/eps^2)(<f> - f) - sigma_A f + G.

With f = rho + eps g, rho = <f>, <g> = 0 (Eq. 2.2-2.3) it becomes (Eq. 2.4-2.5)

    rho_t = -d_x <v g> - sigma_A rho + G,
    g_t   = -(1/eps)(I - <>)(v g_x) - (1/eps^2) v rho_x - (sigma_S/eps^2) g - sigma_A g.

Units: x in units of the domain length (periodic, x_j = j dx on [0, length)), t in the same
nondimensional time as Eq. (2.1); rho, g dimensionless; sigma_S, sigma_A in 1/time (eps-scaled as
above), G in 1/time. Velocities are the Gauss-Legendre nodes on [-1, 1] (Sec. 6 "Data Gathering").

Two solvers:

* :func:`generate_ars222`: the authors' collocated IMEX-ARS(2,2,2) micro-macro scheme (Appendix 8.1,
  Eq. 8.1-8.4, with the authors' third-order upwind-biased stencils), used for all training data;
* :func:`generate_imex1_staggered`: the first-order Lemou-Mieussens staggered scheme (Eq. 4.9-4.10
  with the correct minus signs), an independent solver for validation.

:func:`fourier_solution` gives the exact solution of the velocity-discrete system (continuous in x and
t) for constant coefficients, mode by mode with a matrix exponential.

The facts behind the reconstructed setup (IC, periodic domain, Nx = 1000, dt = dx^2/2, snapshots every
8 fine steps, 56 snapshots) are in the project's reference notes on this paper (Sections 1, 2, 9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm

from coarsepde.numerics.imex import ARS222, IMEXTableau

__all__ = [
    "gauss_legendre",
    "project",
    "ic_nb",
    "ic_ho",
    "ic_lo",
    "TransportSetup",
    "d_left3",
    "d_right3",
    "d_centered",
    "vdx_upwind3",
    "vdx_downwind3",
    "generate_ars222",
    "generate_imex1_staggered",
    "fourier_solution",
]


# ---------------------------------------------------------------------------------------------
# Velocity quadrature and initial data
# ---------------------------------------------------------------------------------------------

def gauss_legendre(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes v (ascending, in [-1, 1]) and weights w (sum 2) - Sec. 6, Sec. 3.1(3)."""
    v, w = np.polynomial.legendre.leggauss(n)
    return v, w


def project(u: np.ndarray, w: np.ndarray, axis: int = -2) -> np.ndarray:
    """<u> = 1/2 sum_i w_i u_i over the velocity axis (default: second to last, i.e. (..., nv, nx)).
    The velocity axis is removed. Sec. 3.1(3)."""
    return np.tensordot(np.moveaxis(u, axis, -1), 0.5 * np.asarray(w), axes=([-1], [0]))


def ic_nb(x: np.ndarray) -> np.ndarray:
    """IC-nb: rho0 = 20 x^2 (x - 1) sin^2(2 pi x) exp(-15 (x - 1/2)^2), x in [0, 1) (the authors'
    notebook IC; the one that reproduces Tables 1-8)."""
    x = np.asarray(x, dtype=float)
    return 20.0 * x**2 * (x - 1.0) * np.sin(2 * np.pi * x) ** 2 * np.exp(-15.0 * (x - 0.5) ** 2)


def ic_ho(x: np.ndarray) -> np.ndarray:
    """IC-ho: rho0 = 1 + sin(2 pi x) exp(-300 x^2) on [-1/2, 1/2) (authors' ARS generator); x is
    wrapped periodically into [-1/2, 1/2) first, so it can be evaluated on the [0, 1) grid."""
    xs = np.mod(np.asarray(x, dtype=float) + 0.5, 1.0) - 0.5
    return 1.0 + np.sin(2 * np.pi * xs) * np.exp(-300.0 * xs**2)


def ic_lo(x: np.ndarray) -> np.ndarray:
    """IC-lo: rho0 = 1 + sin(2 pi x) (authors' staggered IMEX1 generator)."""
    return 1.0 + np.sin(2 * np.pi * np.asarray(x, dtype=float))


# ---------------------------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------------------------

@dataclass
class TransportSetup:
    """Grid, parameters and sampling of a transport run (periodic domain of length ``length``).

    eps:         Knudsen number, a float or a 1D array (a batch of E values advanced together).
    nx:          grid points, x_j = j dx, dx = length / nx.
    sigma_s:     scattering cross-section, scalar or array over x (nx,) (1/time, scaled by 1/eps^2).
    sigma_a, G:  absorption (1/time) and source (scalars).
    nv:          Gauss-Legendre velocities.
    dt_fine:     solver step (time units); None -> dx^2 / 2 (Sec. 6 "Data Gathering").
    stride:      fine steps between stored snapshots (8 in the reconstructed setup).
    n_snapshots: stored states including the initial one (56 -> Delta t_data = 8 dt_fine = 4e-6).
    """

    eps: float | np.ndarray
    nx: int = 1000
    length: float = 1.0
    sigma_s: float | np.ndarray = 1.0
    sigma_a: float = 0.0
    G: float = 0.0
    nv: int = 16
    dt_fine: float | None = None
    stride: int = 8
    n_snapshots: int = 56

    def __post_init__(self):
        e = np.atleast_1d(np.asarray(self.eps, dtype=float))
        if e.ndim != 1 or e.size == 0 or np.any(e <= 0):
            raise ValueError(f"eps must be a positive float or 1D array, got {self.eps!r}")
        s = np.asarray(self.sigma_s, dtype=float)
        if s.ndim not in (0, 1) or (s.ndim == 1 and s.size != self.nx):
            raise ValueError(f"sigma_s must be a scalar or an array of length nx = {self.nx}")
        if self.nx < 5 or self.stride < 1 or self.n_snapshots < 1 or self.nv < 2:
            raise ValueError("need nx >= 5, nv >= 2, stride >= 1, n_snapshots >= 1")

    @property
    def eps_array(self) -> np.ndarray:
        return np.atleast_1d(np.asarray(self.eps, dtype=float))

    @property
    def dx(self) -> float:
        return self.length / self.nx

    @property
    def x(self) -> np.ndarray:
        return np.arange(self.nx) * self.dx

    @property
    def dt(self) -> float:
        """Fine (solver) time step."""
        return 0.5 * self.dx**2 if self.dt_fine is None else float(self.dt_fine)

    @property
    def dt_data(self) -> float:
        """Time between stored snapshots."""
        return self.stride * self.dt

    @property
    def n_steps(self) -> int:
        """Fine steps taken: (n_snapshots - 1) * stride (snapshot 0 is the initial state)."""
        return (self.n_snapshots - 1) * self.stride

    @property
    def sigma_s_x(self) -> np.ndarray:
        """sigma_S on the nodes, shape (nx,)."""
        return np.broadcast_to(np.asarray(self.sigma_s, dtype=float), (self.nx,)).copy()


# ---------------------------------------------------------------------------------------------
# Periodic stencils (last axis = x)
# ---------------------------------------------------------------------------------------------

def _padded(u: np.ndarray, k: int = 2):
    n = u.shape[-1]
    up = np.concatenate([u[..., -k:], u, u[..., :k]], axis=-1)
    return lambda s: up[..., k + s: k + s + n]


def d_left3(u: np.ndarray, dx: float) -> np.ndarray:
    """Third-order left-biased d/dx (upwind for v > 0): (2u_{j+1} + 3u_j - 6u_{j-1} + u_{j-2})/(6dx)."""
    s = _padded(u)
    return (2.0 * s(1) + 3.0 * s(0) - 6.0 * s(-1) + s(-2)) / (6.0 * dx)


def d_right3(u: np.ndarray, dx: float) -> np.ndarray:
    """Third-order right-biased d/dx (upwind for v < 0): (-u_{j+2} + 6u_{j+1} - 3u_j - 2u_{j-1})/(6dx)."""
    s = _padded(u)
    return (-s(2) + 6.0 * s(1) - 3.0 * s(0) - 2.0 * s(-1)) / (6.0 * dx)


def d_centered(u: np.ndarray, dx: float) -> np.ndarray:
    """Second-order centred d/dx: (u_{j+1} - u_{j-1}) / (2 dx) (the operator of the authors' fits)."""
    return (np.roll(u, -1, axis=-1) - np.roll(u, 1, axis=-1)) / (2.0 * dx)


def _split(v: np.ndarray) -> int:
    """Index of the first v > 0 (velocities must be ascending)."""
    if np.any(np.diff(v) <= 0):
        raise ValueError("velocities must be strictly ascending")
    return int(np.searchsorted(v, 0.0, side="right"))


def vdx_upwind3(g: np.ndarray, v: np.ndarray, dx: float) -> np.ndarray:
    """v d_x g with the upwind-biased third-order stencil per velocity sign; g is (..., nv, nx).
    v > 0 -> :func:`d_left3`, v <= 0 -> :func:`d_right3` (authors' ARS generator, reference §2.3)."""
    k = _split(v)
    vn, vp = v[:k, None], v[k:, None]
    return np.concatenate([vn * d_right3(g[..., :k, :], dx), vp * d_left3(g[..., k:, :], dx)], axis=-2)


def vdx_downwind3(rho: np.ndarray, v: np.ndarray, dx: float) -> np.ndarray:
    """v d_x rho with the OPPOSITE bias (v > 0 -> :func:`d_right3`), broadcast to (..., nv, nx); this
    mimics the staggered coupling rho_{i+1} - rho_i of Eq. (4.9) (authors' ARS generator)."""
    k = _split(v)
    dl = d_left3(rho, dx)[..., None, :]
    dr = d_right3(rho, dx)[..., None, :]
    return np.concatenate([v[:k, None] * dl, v[k:, None] * dr], axis=-2)


# ---------------------------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------------------------

def _initial(setup: TransportSetup, rho0, g0):
    E, nv, nx = setup.eps_array.size, setup.nv, setup.nx
    rho = np.array(np.broadcast_to(np.asarray(rho0, dtype=float), (E, nx)))
    if g0 is None:
        g = np.zeros((E, nv, nx))
    else:
        g = np.array(np.broadcast_to(np.asarray(g0, dtype=float), (E, nv, nx)))
    return rho, g


def _output(setup, rho_s, g_s, v, w, **extra):
    out = {"rho": rho_s, "g": g_s, "t": np.arange(setup.n_snapshots) * setup.dt_data,
           "x": setup.x, "v": v, "w": w, "eps": setup.eps_array, "dt": setup.dt_data, "dx": setup.dx}
    out.update(extra)
    return out


def generate_ars222(setup: TransportSetup, rho0, g0=None, tableau: IMEXTableau = ARS222) -> dict:
    """Micro-macro data from the authors' collocated IMEX-ARS(2,2,2) scheme (Appendix 8.1, Eq. 8.1-8.4).

    Explicit part of g: E(g, rho) = (1/eps)(I - <>)(v d_x g) + (1/eps^2) v d_x rho + sigma_A g with
    :func:`vdx_upwind3` for v d_x g and :func:`vdx_downwind3` for v d_x rho; implicit part: the
    relaxation (sigma_S/eps^2) g. Stages i = 1..s (stage 1 = the state at t_n for ARS):

        g^(i)   = [g^n - dt sum_{j<i} At_ij E(g^(j), rho^(j)) - dt sum_{j<i} a_ij (sigma_S/eps^2) g^(j)]
                  / (1 + dt a_ii sigma_S/eps^2)                                   (Eq. 8.1)
        rho^(i) = rho^n - dt sum_{j<i} At_ij (sigma_A rho^(j) - G) - dt sum_{j<=i} a_ij <v d_x g^(j)>
                                                                                   (Eq. 8.2)

    (the flux is implicit, using the stage g^(i) just computed: no linear solve). The step result is
    Eq. (8.3)-(8.4); for the globally stiffly accurate ARS(2,2,2) that is the last stage, which is
    used directly. Periodic in x, batched over the E values of ``setup.eps``.

    Returns a dict: rho (E, T, nx), g (E, T, nv, nx), t (T,), x (nx,), v, w (nv,), eps (E,),
    dt (snapshot spacing), dx. Snapshot 0 is the initial state (g0 = 0 by default), then one every
    ``setup.stride`` fine steps.
    """
    v, w = gauss_legendre(setup.nv)
    eps = setup.eps_array
    E, nx, T = eps.size, setup.nx, setup.n_snapshots
    dx, dt = setup.dx, setup.dt
    sa, src = float(setup.sigma_a), float(setup.G)
    hw = 0.5 * w
    inv_e = (1.0 / eps)[:, None, None]
    inv_e2 = (1.0 / eps**2)[:, None, None]
    relax = inv_e2 * setup.sigma_s_x[None, None, :]          # sigma_S / eps^2, (E, 1, nx)
    Ae, Ai, be, bi = tableau.A_ex, tableau.A_im, tableau.b_ex, tableau.b_im
    s = tableau.stages
    need_E = [bool(np.any(Ae[i + 1:, i] != 0) or be[i] != 0) for i in range(s)]
    stiff_acc = tableau.stiffly_accurate

    rho, g = _initial(setup, rho0, g0)
    rho_s = np.empty((E, T, nx))
    g_s = np.empty((E, T, setup.nv, nx))
    rho_s[:, 0], g_s[:, 0] = rho, g

    for n in range(1, setup.n_steps + 1):
        gs, rs, Es, Fs = [], [], [None] * s, []
        for i in range(s):
            gi = g
            for j in range(i):
                if Ae[i, j] != 0.0:
                    gi = gi - (dt * Ae[i, j]) * Es[j]
                if Ai[i, j] != 0.0:
                    gi = gi - (dt * Ai[i, j]) * relax * gs[j]
            if Ai[i, i] != 0.0:
                gi = gi / (1.0 + (dt * Ai[i, i]) * relax)
            vdg = vdx_upwind3(gi, v, dx)
            flux = hw @ vdg                                   # <v d_x g^(i)>, (E, nx)
            ri = rho
            for j in range(i):
                if Ae[i, j] != 0.0 and (sa != 0.0 or src != 0.0):
                    ri = ri - (dt * Ae[i, j]) * (sa * rs[j] - src)
            for j in range(i + 1):
                f = flux if j == i else Fs[j]
                if Ai[i, j] != 0.0:
                    ri = ri - (dt * Ai[i, j]) * f
            if need_E[i]:
                Ei = inv_e * (vdg - flux[:, None, :]) + inv_e2 * vdx_downwind3(ri, v, dx)
                if sa != 0.0:
                    Ei = Ei + sa * gi
                Es[i] = Ei
            gs.append(gi)
            rs.append(ri)
            Fs.append(flux)
        if stiff_acc:
            g, rho = gs[-1], rs[-1]
        else:                                                  # Eq. (8.3)-(8.4)
            g_new, rho_new = g, rho
            for i in range(s):
                if be[i] != 0.0:
                    g_new = g_new - (dt * be[i]) * Es[i]
                    rho_new = rho_new - (dt * be[i]) * (sa * rs[i] - src)
                if bi[i] != 0.0:
                    g_new = g_new - (dt * bi[i]) * relax * gs[i]
                    rho_new = rho_new - (dt * bi[i]) * Fs[i]
            g, rho = g_new, rho_new
        if n % setup.stride == 0:
            k = n // setup.stride
            rho_s[:, k], g_s[:, k] = rho, g
    return _output(setup, rho_s, g_s, v, w, scheme=tableau.name)


def generate_imex1_staggered(setup: TransportSetup, rho0, g0=None) -> dict:
    """First-order staggered micro-macro scheme of Lemou-Mieussens (Eq. 4.9-4.10, signs corrected).

    rho lives on the nodes x_i, g on the half nodes x_{i+1/2} (array index i of g means i + 1/2):

        g^{n+1}_{i+1/2} (1 + dt sigma_S,{i+1/2}/eps^2) = g^n_{i+1/2} - (dt/eps)(I - <>)[v^+ (g_{i+1/2} - g_{i-1/2})/dx
             + v^- (g_{i+3/2} - g_{i+1/2})/dx]^n - (dt/eps^2) v (rho^n_{i+1} - rho^n_i)/dx - dt sigma_A g^n,
        rho^{n+1}_i = rho^n_i - dt <v (g^{n+1}_{i+1/2} - g^{n+1}_{i-1/2})/dx> - dt sigma_A rho^n_i + dt G.

    sigma_S at the half nodes is the mean of its two neighbouring node values. Same output layout as
    :func:`generate_ars222`, plus ``x_g`` (the half nodes, where g lives).
    """
    v, w = gauss_legendre(setup.nv)
    eps = setup.eps_array
    E, nx, T = eps.size, setup.nx, setup.n_snapshots
    dx, dt = setup.dx, setup.dt
    sa, src = float(setup.sigma_a), float(setup.G)
    hw = 0.5 * w
    sig = setup.sigma_s_x
    sig_half = 0.5 * (sig + np.roll(sig, -1))
    vp, vm = np.maximum(v, 0.0)[:, None], np.minimum(v, 0.0)[:, None]
    vv = v[:, None]
    c_tr = (dt / eps)[:, None, None]
    c_co = (dt / eps**2)[:, None, None]
    denom = 1.0 + (dt / eps**2)[:, None, None] * sig_half[None, None, :]

    rho, g = _initial(setup, rho0, g0)
    rho_s = np.empty((E, T, nx))
    g_s = np.empty((E, T, setup.nv, nx))
    rho_s[:, 0], g_s[:, 0] = rho, g
    for n in range(1, setup.n_steps + 1):
        g_m = np.roll(g, 1, axis=-1)
        g_p = np.roll(g, -1, axis=-1)
        tr = vp * (g - g_m) / dx + vm * (g_p - g) / dx
        tr = tr - (hw @ tr)[:, None, :]
        drho = (np.roll(rho, -1, axis=-1) - rho) / dx          # at i + 1/2
        rhs = g - c_tr * tr - c_co * vv * drho[:, None, :]
        if sa != 0.0:
            rhs = rhs - dt * sa * g
        g = rhs / denom
        flux = hw @ (vv * (g - np.roll(g, 1, axis=-1)) / dx)   # at node i
        rho = rho - dt * flux - dt * sa * rho + dt * src
        if n % setup.stride == 0:
            k = n // setup.stride
            rho_s[:, k], g_s[:, k] = rho, g
    return _output(setup, rho_s, g_s, v, w, scheme="IMEX1 staggered", x_g=setup.x + 0.5 * dx)


def fourier_solution(setup: TransportSetup, rho0, times, g0=None) -> dict:
    """Exact solution of the velocity-discrete micro-macro system (Eq. 2.4-2.5 with the nv-point
    Gauss-Legendre velocities, continuous in x and t) for constant sigma_S, sigma_A and G = 0.

    Each Fourier mode k = 2 pi m / length of (rho, g_1..g_nv) obeys a linear ODE y' = M_k y,
    solved with the matrix exponential. rho0 (and g0) are given on the nodes and represented by
    their discrete Fourier series (exact for band-limited data). Returns rho (E, len(times), nx),
    g (E, len(times), nv, nx), t, x, v, w, eps.
    """
    if np.ndim(setup.sigma_s) != 0 or setup.G != 0.0:
        raise NotImplementedError("fourier_solution needs a constant sigma_s and G = 0")
    v, w = gauss_legendre(setup.nv)
    eps = setup.eps_array
    E, nx, nv = eps.size, setup.nx, setup.nv
    ss, sa = float(setup.sigma_s), float(setup.sigma_a)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    rho, g = _initial(setup, rho0, g0)
    y0 = np.concatenate([np.fft.fft(rho, axis=-1)[:, None, :], np.fft.fft(g, axis=-1)], axis=1)  # (E, 1+nv, nx)
    m = np.fft.fftfreq(nx, d=1.0 / nx)
    k = 2 * np.pi * m / setup.length
    keep = np.nonzero(np.max(np.abs(y0), axis=(0, 1)) > 1e-13 * max(np.max(np.abs(y0)), 1e-300))[0]
    hw = 0.5 * w
    I = np.eye(nv)
    P = np.ones((nv, 1)) @ hw[None, :]                            # (Pg)_i = <g>
    Vd = np.diag(v)
    out = np.zeros((E, times.size, 1 + nv, nx), dtype=complex)
    for e_idx, e in enumerate(eps):
        kk = k[keep][:, None, None]
        M = np.zeros((keep.size, 1 + nv, 1 + nv), dtype=complex)
        M[:, 0, 0] = -sa
        M[:, 0, 1:] = -1j * kk[:, :, 0] * (hw * v)[None, :]
        M[:, 1:, 0] = -1j * kk[:, :, 0] * v[None, :] / e**2
        M[:, 1:, 1:] = -1j * kk / e * ((I - P) @ Vd)[None] - (ss / e**2 + sa) * I[None]
        for ti, t in enumerate(times):
            out[e_idx, ti][:, keep] = np.einsum("kab,bk->ak", expm(M * t), y0[e_idx][:, keep])
    phys = np.real(np.fft.ifft(out, axis=-1))
    return {"rho": phys[:, :, 0], "g": phys[:, :, 1:], "t": times, "x": setup.x, "v": v, "w": w,
            "eps": eps}

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
  Eq. 8.1-8.4, with the authors' third-order upwind-biased stencils of :mod:`coarsepde.kinetic.upwind`),
  used for all training data, stepped by :func:`coarsepde.numerics.imex.imex_rk`;
* :func:`generate_imex1_staggered`: the first-order Lemou-Mieussens staggered scheme (Eq. 4.9-4.10
  with the correct minus signs), an independent solver for validation.

:func:`coarsepde.kinetic.exact.fourier_solution` gives the exact solution of the velocity-discrete system (continuous in x and
t) for constant coefficients, mode by mode with a matrix exponential.

The facts behind the reconstructed setup (IC, periodic domain, Nx = 1000, dt = dx^2/2, snapshots every
8 fine steps, 56 snapshots) are in the project's reference notes on this paper (Sections 1, 2, 9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coarsepde.kinetic.upwind import vdx_downwind3, vdx_upwind3
from coarsepde.numerics.imex import ARS222, IMEXTableau, imex_rk

__all__ = [
    "gauss_legendre",
    "project",
    "ic_nb",
    "ic_ho",
    "ic_lo",
    "TransportSetup",
    "initial_state",
    "MicroMacroStages",
    "generate_ars222",
    "generate_imex1_staggered",
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
# Generators
# ---------------------------------------------------------------------------------------------
def initial_state(setup: TransportSetup, rho0, g0=None) -> tuple[np.ndarray, np.ndarray]:
    """(rho (E, nx), g (E, nv, nx)) at t = 0, broadcast over the E values of eps (g0 = None: g = 0)."""
    E, nv, nx = setup.eps_array.size, setup.nv, setup.nx
    rho = np.array(np.broadcast_to(np.asarray(rho0, dtype=float), (E, nx)))
    if g0 is None:
        g = np.zeros((E, nv, nx))
    else:
        g = np.array(np.broadcast_to(np.asarray(g0, dtype=float), (E, nv, nx)))
    return rho, g


def _output(setup, rho_s, g_s, v, w, **extra):
    out = {
        "rho": rho_s,
        "g": g_s,
        "t": np.arange(setup.n_snapshots) * setup.dt_data,
        "x": setup.x,
        "v": v,
        "w": w,
        "eps": setup.eps_array,
        "dt": setup.dt_data,
        "dx": setup.dx,
    }
    out.update(extra)
    return out


@dataclass(frozen=True)
class MicroMacroStages:
    """The authors' ARS split of the micro-macro system (Eq. 2.4-2.5, Appendix 8.1) for
    :func:`~coarsepde.numerics.imex.imex_rk`, on states (g, rho) batched over eps: (E, nv, nx), (E, nx).

    * explicit: -E(g, rho) for g, E = (1/eps)(I - <>)(v d_x g) + (1/eps^2) v d_x rho + sigma_A g
      (:func:`vdx_upwind3` for v d_x g, :func:`vdx_downwind3` for v d_x rho); G - sigma_A rho for rho
      (left out when both are 0);
    * implicit: the relaxation -(sigma_S/eps^2) g (a pointwise division, Eq. 8.1) and the flux
      -<v d_x g> of the stage g just computed (Eq. 8.2: no linear solve). ``aux`` of a stage is
      (v d_x g, <v d_x g>), shared by the flux and E.

    ``relax`` = sigma_S/eps^2 (E, 1, nx); ``inv_eps``, ``inv_eps2`` (E, 1, 1); ``half_w`` = w/2 (nv,).
    """

    v: np.ndarray
    dx: float
    half_w: np.ndarray
    inv_eps: np.ndarray
    inv_eps2: np.ndarray
    relax: np.ndarray
    sigma_a: float = 0.0
    source: float = 0.0

    def solve(self, t, rhs, a):
        g, rho = rhs
        if a != 0.0:
            g = g / (1.0 + a * self.relax)
        vdg = vdx_upwind3(g, self.v, self.dx)
        flux = self.half_w @ vdg  # <v d_x g>, (E, nx)
        if a != 0.0:
            rho = rho - a * flux
        return (g, rho), (vdg, flux)

    def explicit(self, t, y, aux):
        (g, rho), (vdg, flux) = y, aux
        e = self.inv_eps * (vdg - flux[:, None, :]) + self.inv_eps2 * vdx_downwind3(rho, self.v, self.dx)
        if self.sigma_a != 0.0:
            e = e + self.sigma_a * g
        if self.sigma_a != 0.0 or self.source != 0.0:
            return e, self.sigma_a * rho - self.source
        return e, None

    def add_explicit(self, acc, coef, term):
        (g, rho), (e, r) = acc, term
        return g - coef * e, (rho if r is None else rho - coef * r)

    def add_implicit(self, acc, coef, y, aux):
        g, rho = acc
        return g - coef * self.relax * y[0], rho - coef * aux[1]


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
    eq = MicroMacroStages(
        v=v,
        dx=setup.dx,
        half_w=0.5 * w,
        inv_eps=(1.0 / eps)[:, None, None],
        inv_eps2=(1.0 / eps**2)[:, None, None],
        relax=(1.0 / eps**2)[:, None, None] * setup.sigma_s_x[None, None, :],
        sigma_a=float(setup.sigma_a),
        source=float(setup.G),
    )
    rho, g = initial_state(setup, rho0, g0)
    rho_s = np.empty((E, T, nx))
    g_s = np.empty((E, T, setup.nv, nx))
    rho_s[:, 0], g_s[:, 0] = rho, g
    for n in range(1, setup.n_steps + 1):
        g, rho = imex_rk(tableau, (g, rho), setup.dt, eq)
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

    rho, g = initial_state(setup, rho0, g0)
    rho_s = np.empty((E, T, nx))
    g_s = np.empty((E, T, setup.nv, nx))
    rho_s[:, 0], g_s[:, 0] = rho, g
    for n in range(1, setup.n_steps + 1):
        g_m = np.roll(g, 1, axis=-1)
        g_p = np.roll(g, -1, axis=-1)
        tr = vp * (g - g_m) / dx + vm * (g_p - g) / dx
        tr = tr - (hw @ tr)[:, None, :]
        drho = (np.roll(rho, -1, axis=-1) - rho) / dx  # at i + 1/2
        rhs = g - c_tr * tr - c_co * vv * drho[:, None, :]
        if sa != 0.0:
            rhs = rhs - dt * sa * g
        g = rhs / denom
        flux = hw @ (vv * (g - np.roll(g, 1, axis=-1)) / dx)  # at node i
        rho = rho - dt * flux - dt * sa * rho + dt * src
        if n % setup.stride == 0:
            k = n // setup.stride
            rho_s[:, k], g_s[:, k] = rho, g
    return _output(setup, rho_s, g_s, v, w, scheme="IMEX1 staggered", x_g=setup.x + 0.5 * dx)

"""Fitting schemes of the DC-RNN as residuals: the data term of the loss (Sect. 4, Appendix 8).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
A fitting scheme relates a short window of stored snapshots through one step of a time integrator
applied to the learned g-equation (true-sign convention, :class:`~coarsepde.kinetic.dcrnn.MultiscaleDCRNN`)

    d_t g = F(g, rho) - sigma_hat g,     F = model.explicit_rhs,  sigma_hat = model.relaxation(),

and its residual K^n (Eq. 4.1-4.2) vanishes when the data solve the scheme. Every function here returns
the residual over all usable start indices n = 0 .. T-1-span (``span`` = the number of steps the window
covers; the paper's n = 1 .. N_t - q, 1-based), stacked along the first axis: (N, nv, nx) for g.

Schemes (dt = the snapshot spacing ``data.dt``; g^n, rho^n the data):

* ``fe`` forward Euler (4.4):  K = g^{n+1} - g^n - dt (F(g^n, rho^n) - sigma_hat g^n);
* ``be`` backward Euler (4.6): K = g^{n+1} - g^n - dt (F(g^{n+1}, rho^{n+1}) - sigma_hat g^{n+1});
* ``rk4`` classical RK4 (4.7), stages R(g^n + dt/2 K_1, .) etc. (the printed stages put dt/2 K_1 outside
  the argument of the time shift; reference facts Sect. 4). rho is data, not a model output, so the half-step
  value is needed: it is taken as (rho^n + rho^{n+1})/2, an O(dt^2) approximation of rho(t_n + dt/2) that
  caps the g-only RK4 fit at second order in dt for the rho-forcing part;
* ``imex1`` (4.11): K = (1 + dt sigma_hat) g^{n+1} - g^n - dt F(g^n, rho^n) (sigma_A is part of F);
* ``ars222`` IMEX-ARS(2,2,2) (8.6-8.12 as corrected in the reference facts Sect. 4): the data state
  (g^n, rho^n) is propagated through the three stages of the authors' scheme with F replacing its explicit
  part, the relaxation implicit (a pointwise division by 1 + dt a_ii sigma_hat), and the rho stages
  rho^(i) = rho^n + dt sum_{j<i} at_ij (G - sigma_A rho^(j)) + dt sum_{j<=i} a_ij Phi(g^(j)) with the KNOWN
  flux Phi(g) = -<v d_x g> (the reference calibration's choice) or a learned rho-model; K_g = g^{n+1} - g^(3)
  (stiffly accurate), plus K_rho = rho^{n+1} - rho^(3) for a learned rho-model;
* ``bdf1`` .. ``bdf4`` IMEX-BDF-q (8.13-8.18 corrected):
  K = sum_{i=0}^{q} alpha_i g^{n+i} - dt sum_{i<q} gamma_i F(g^{n+i}, rho^{n+i}) + beta dt sigma_hat g^{n+q},
  coefficients from :func:`coarsepde.numerics.imex.imex_bdf_coefficients` (Table 16).

FE, BE, IMEX1 and BDF-q are *linear multistep* forms

    K^n = sum_i a_i g^{n+i} - dt sum_i c_i F(g^{n+i}, rho^{n+i}) + dt sum_i s_i sigma_hat g^{n+i},

described by the three weight vectors of :class:`LinearStencil`; :func:`linear_residual` evaluates any of
them (F is evaluated once per distinct snapshot). Because F is linear in the coefficients of its words,
these residuals can be assembled from precomputed word features (see :mod:`coarsepde.kinetic.training`).

The loss (:func:`loss`, Eq. 4.13 with 4.15 and 4.17) is the mean absolute residual (L1, the paper's
choice; "l2": mean square) + gamma ||theta||_1 over ``model.regularizable_parameters()`` (each order's
parameters separately: Eq. 5.16, the assembled O(eps^-m) coefficients are never penalised) + the
<g> = 0 penalty mu * dt * mean |<F(g^n, rho^n)>| (Eq. 4.14-4.16, Remark 4.1: dt is the multiplier).

Units: g, rho dimensionless; dt in time units; residuals in units of g. Everything is float64 torch and
differentiable with respect to the model parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from coarsepde.kinetic.operators import Operators
from coarsepde.numerics.imex import ARS222, IMEXTableau, imex_bdf_coefficients

__all__ = [
    "FitData",
    "LinearStencil",
    "Scheme",
    "SCHEMES",
    "get_scheme",
    "starts",
    "linear_residual",
    "forward_euler",
    "backward_euler",
    "rk4",
    "imex1",
    "ars222",
    "imex_bdf",
    "known_flux",
    "residual",
    "data_loss",
    "sparsity_penalty",
    "mean_zero_penalty",
    "continuity_penalty",
    "loss",
]

DTYPE = torch.float64


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
@dataclass
class FitData:
    """Training snapshots of one run: g (T, nv, nx), rho (T, nx), spacing dt (time units), operators.

    ``ops`` are the operators the model's words are evaluated with (centred v d_x in the authors' fits,
    reference facts Sect. 3.1). Arrays are converted to float64 torch tensors.
    """

    g: torch.Tensor
    rho: torch.Tensor
    dt: float
    ops: Operators

    def __post_init__(self):
        self.g = torch.as_tensor(np.asarray(self.g) if not isinstance(self.g, torch.Tensor) else self.g,
                                 dtype=DTYPE)
        self.rho = torch.as_tensor(np.asarray(self.rho) if not isinstance(self.rho, torch.Tensor) else self.rho,
                                   dtype=DTYPE)
        self.dt = float(self.dt)
        if self.g.dim() != 3 or self.rho.dim() != 2:
            raise ValueError(f"need g (T, nv, nx) and rho (T, nx), got {tuple(self.g.shape)}, {tuple(self.rho.shape)}")
        T, nv, nx = self.g.shape
        if self.rho.shape != (T, nx):
            raise ValueError(f"rho must be (T, nx) = {(T, nx)}, got {tuple(self.rho.shape)}")
        if nv != self.ops.nv:
            raise ValueError(f"g has {nv} velocities, the operators {self.ops.nv}")
        if not self.dt > 0:
            raise ValueError(f"dt must be positive, got {self.dt}")

    @property
    def T(self) -> int:
        return self.g.shape[0]

    @property
    def nx(self) -> int:
        return self.g.shape[-1]

    @classmethod
    def from_generated(cls, out: dict, index: int = 0, *, stride: int = 1, n_snapshots: int | None = None,
                       advection: str = "centered") -> "FitData":
        """From the dict of :func:`coarsepde.kinetic.transport.generate_ars222` (or ``fourier_solution``
        with a ``dt``): batch entry ``index`` (one eps value), every ``stride``-th snapshot (dt scaled by
        ``stride``), at most ``n_snapshots`` of them; operators on the run's grid (period nx * dx)."""
        g = np.asarray(out["g"])[index][::stride]
        rho = np.asarray(out["rho"])[index][::stride]
        if n_snapshots is not None:
            g, rho = g[:n_snapshots], rho[:n_snapshots]
        nx = g.shape[-1]
        dx = float(out["dx"]) if "dx" in out else float(out["x"][1] - out["x"][0])
        ops = Operators(out["v"], out["w"], dx, advection)
        return cls(g, rho, float(out["dt"]) * stride, ops)

    def subsample(self, stride: int = 1, n_snapshots: int | None = None) -> "FitData":
        """Every ``stride``-th snapshot (spacing stride * dt), at most ``n_snapshots`` of them."""
        g, rho = self.g[::stride], self.rho[::stride]
        if n_snapshots is not None:
            g, rho = g[:n_snapshots], rho[:n_snapshots]
        return FitData(g, rho, self.dt * stride, self.ops)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def starts(data: FitData, span: int, idx=None) -> torch.Tensor:
    """Start indices n of the windows (n .. n+span): all usable ones, or ``idx`` (checked)."""
    n_max = data.T - span
    if n_max < 1:
        raise ValueError(f"a window of {span} steps needs more than {data.T} snapshots")
    if idx is None:
        return torch.arange(n_max)
    idx = torch.as_tensor(idx, dtype=torch.long).flatten()
    if idx.numel() == 0 or int(idx.min()) < 0 or int(idx.max()) >= n_max:
        raise ValueError(f"start indices must lie in [0, {n_max - 1}]")
    return idx


def _F(model, data: FitData, g, rho):
    return model.explicit_rhs(g, rho, data.ops)


def known_flux(data: FitData) -> Callable:
    """The true rho-flux of Eq. (2.4), Phi(g, rho) = -<v d_x g> (d_t rho = Phi - sigma_A rho + G), with
    the data's operators (the reference calibration's choice for the g-only ARS fits)."""
    ops = data.ops
    return lambda g, rho: -ops.average(ops.advect(g))


# ---------------------------------------------------------------------------------------------
# Linear multistep forms: FE, BE, IMEX1, IMEX-BDF-q
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinearStencil:
    """K^n = sum_i a[i] g^{n+i} - dt sum_i c[i] F(g^{n+i}, rho^{n+i}) + dt sum_i s[i] sigma_hat g^{n+i},
    i = 0 .. span (the three weight vectors have length span + 1, dimensionless)."""

    a: tuple[float, ...]
    c: tuple[float, ...]
    s: tuple[float, ...]

    def __post_init__(self):
        if not (len(self.a) == len(self.c) == len(self.s) >= 2):
            raise ValueError("the weight vectors must have equal lengths >= 2")

    @property
    def span(self) -> int:
        return len(self.a) - 1


def _bdf_stencil(q: int) -> LinearStencil:
    alpha, gamma, beta = imex_bdf_coefficients(q)
    a = tuple(float(x) for x in alpha)
    c = tuple(float(x) for x in gamma) + (0.0,)
    s = (0.0,) * q + (float(beta),)
    return LinearStencil(a, c, s)


STENCILS: dict[str, LinearStencil] = {
    "fe": LinearStencil((-1.0, 1.0), (1.0, 0.0), (1.0, 0.0)),
    "be": LinearStencil((-1.0, 1.0), (0.0, 1.0), (0.0, 1.0)),
    "imex1": LinearStencil((-1.0, 1.0), (1.0, 0.0), (0.0, 1.0)),
    **{f"bdf{q}": _bdf_stencil(q) for q in (1, 2, 3, 4)},
}


def linear_residual(model, data: FitData, stencil: LinearStencil, idx=None) -> torch.Tensor:
    """Residual of a :class:`LinearStencil` over the windows starting at ``idx`` (default all): (N, nv, nx).

    For a rho-equation model (``model.equation == "rho"``, d_t rho = <F(g, rho)>, Example 6.10) the same
    stencil relates the rho snapshots, K^n = sum_i a_i rho^{n+i} - dt sum_i c_i <F>(g^{n+i}, rho^{n+i}),
    (N, nx), with no relaxation term.

    F is evaluated once on the distinct snapshots the windows touch (those with a nonzero c weight).
    """
    n = starts(data, stencil.span, idx)
    dt = data.dt
    g = data.g
    u = g if getattr(model, "equation", "g") == "g" else data.rho     # the rho-equation fits rho (Ex. 6.10)
    out = None
    for i, a in enumerate(stencil.a):
        if a != 0.0:
            term = a * u[n + i]
            out = term if out is None else out + term
    f_off = [i for i, c in enumerate(stencil.c) if c != 0.0]
    if f_off:
        need = torch.unique(torch.cat([n + i for i in f_off]))
        pos = torch.full((data.T,), -1, dtype=torch.long)
        pos[need] = torch.arange(need.numel())
        F = _F(model, data, g[need], data.rho[need])
        for i in f_off:
            out = out - (dt * stencil.c[i]) * F[pos[n + i]]
    s_off = [i for i, s in enumerate(stencil.s) if s != 0.0]
    if s_off and u is g:
        sig = model.relaxation()
        for i in s_off:
            out = out + (dt * stencil.s[i]) * sig * g[n + i]
    return out


def forward_euler(model, data: FitData, idx=None) -> torch.Tensor:
    """Eq. (4.4) with the whole RHS explicit: g^{n+1} - g^n - dt (F(g^n, rho^n) - sigma_hat g^n)."""
    return linear_residual(model, data, STENCILS["fe"], idx)


def backward_euler(model, data: FitData, idx=None) -> torch.Tensor:
    """Eq. (4.6): g^{n+1} - g^n - dt (F(g^{n+1}, rho^{n+1}) - sigma_hat g^{n+1})."""
    return linear_residual(model, data, STENCILS["be"], idx)


def imex1(model, data: FitData, idx=None) -> torch.Tensor:
    """Eq. (4.11), sigma_hat implicit: (1 + dt sigma_hat) g^{n+1} - g^n - dt F(g^n, rho^n).

    Caution: when F can hold an explicit identity (dictionary "I" or a block bias), sigma_hat = c_I = -1/dt
    makes this residual vanish identically for any data (printed g coefficient c_I - sigma_hat = 0,
    Error% = 100); a strong least-squares optimiser finds that point. Use a dictionary without the
    identity (and bias=False) for well-posed IMEX1 fits."""
    return linear_residual(model, data, STENCILS["imex1"], idx)


def imex_bdf(model, data: FitData, q: int = 2, idx=None) -> torch.Tensor:
    """IMEX-BDF-q, Eq. (8.13)-(8.18) corrected (reference facts Sect. 4):
    sum_{i=0}^q alpha_i g^{n+i} - dt sum_{i<q} gamma_i F(g^{n+i}, rho^{n+i}) + beta dt sigma_hat g^{n+q}."""
    if q not in (1, 2, 3, 4):
        raise ValueError(f"q must be 1..4, got {q}")
    return linear_residual(model, data, STENCILS[f"bdf{q}"], idx)


# ---------------------------------------------------------------------------------------------
# Runge-Kutta forms: RK4 and IMEX-ARS(2,2,2)
# ---------------------------------------------------------------------------------------------
def rk4(model, data: FitData, idx=None) -> torch.Tensor:
    """Eq. (4.7) with the stage typo corrected: K = g^{n+1} - g^n - dt/6 (K1 + 2 K2 + 2 K3 + K4),
    K1 = R(g^n, rho^n), K2 = R(g^n + dt/2 K1, rho^{n+1/2}), K3 = R(g^n + dt/2 K2, rho^{n+1/2}),
    K4 = R(g^n + dt K3, rho^{n+1}), R = F - sigma_hat g (all explicit). rho^{n+1/2} = (rho^n + rho^{n+1})/2
    (rho is data here; the average is second-order accurate)."""
    n = starts(data, 1, idx)
    dt = data.dt
    g0, g1 = data.g[n], data.g[n + 1]
    r0, r1 = data.rho[n], data.rho[n + 1]
    rh = 0.5 * (r0 + r1)
    sig = model.relaxation()

    def R(u, r):
        return _F(model, data, u, r) - sig * u

    k1 = R(g0, r0)
    k2 = R(g0 + (0.5 * dt) * k1, rh)
    k3 = R(g0 + (0.5 * dt) * k2, rh)
    k4 = R(g0 + dt * k3, r1)
    return g1 - g0 - (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def ars222(model, data: FitData, idx=None, *, rho_model=None, tableau: IMEXTableau = ARS222,
           sigma_a: float = 0.0, source: float = 0.0):
    """IMEX-RK fit (default ARS(2,2,2)), Eq. (8.6)-(8.12) with the reference's corrections.

    Stages i = 1..s from the data state (g^n, rho^n):

        g^(i)   = [g^n + dt sum_{j<i} at_ij F(g^(j), rho^(j)) - dt sum_{j<i} a_ij sigma_hat g^(j)]
                  / (1 + dt a_ii sigma_hat)
        rho^(i) = rho^n + dt sum_{j<i} at_ij (G - sigma_A rho^(j)) + dt sum_{j<=i} a_ij Phi(g^(j), rho^(j))

    (at = explicit, a = implicit tableau). Phi is the known flux -<v d_x g> (default; :func:`known_flux`)
    or ``rho_model.explicit_rhs`` of a learned rho-equation model (``equation="rho"``); for the diagonal
    j = i term a learned Phi is evaluated at rho^(i) without that term (exact when Phi does not depend on
    rho, as the true flux). The step result is the last stage for stiffly accurate tableaux (ARS(2,2,2)),
    the b-weighted sums otherwise.

    Returns K_g = g^{n+1} - g_pred, (N, nv, nx); with ``rho_model`` the tuple (K_g, K_rho), K_rho (N, nx).
    """
    n = starts(data, 1, idx)
    dt = data.dt
    g0, r0 = data.g[n], data.rho[n]
    sig = model.relaxation()
    if rho_model is None:
        phi = known_flux(data)
    else:
        def phi(g, r):
            return rho_model.explicit_rhs(g, r, data.ops)
    Ae, Ai, be, bi = tableau.A_ex, tableau.A_im, tableau.b_ex, tableau.b_im
    s = tableau.stages
    stiff = tableau.stiffly_accurate
    need_F = [bool(np.any(Ae[i + 1:, i] != 0) or (not stiff and be[i] != 0)) for i in range(s)]
    gs, rs, Fs, Ps = [], [], [None] * s, []
    for i in range(s):
        gi = g0
        for j in range(i):
            if Ae[i, j] != 0.0:
                gi = gi + (dt * Ae[i, j]) * Fs[j]
            if Ai[i, j] != 0.0:
                gi = gi - (dt * Ai[i, j]) * sig * gs[j]
        if Ai[i, i] != 0.0:
            gi = gi / (1.0 + (dt * Ai[i, i]) * sig)
        ri = r0
        for j in range(i):
            if Ae[i, j] != 0.0 and (sigma_a != 0.0 or source != 0.0):
                ri = ri + (dt * Ae[i, j]) * (source - sigma_a * rs[j])
            if Ai[i, j] != 0.0:
                ri = ri + (dt * Ai[i, j]) * Ps[j]
        pi = phi(gi, ri)                          # the learned Phi sees rho^(i) without its own term
        if Ai[i, i] != 0.0:
            ri = ri + (dt * Ai[i, i]) * pi
        if need_F[i]:
            Fs[i] = _F(model, data, gi, ri)
        gs.append(gi)
        rs.append(ri)
        Ps.append(pi)
    if stiff:
        g_pred, r_pred = gs[-1], rs[-1]
    else:
        g_pred, r_pred = g0, r0
        for i in range(s):
            if be[i] != 0.0:
                g_pred = g_pred + (dt * be[i]) * Fs[i]
                if sigma_a != 0.0 or source != 0.0:
                    r_pred = r_pred + (dt * be[i]) * (source - sigma_a * rs[i])
            if bi[i] != 0.0:
                g_pred = g_pred - (dt * bi[i]) * sig * gs[i]
                r_pred = r_pred + (dt * bi[i]) * Ps[i]
    kg = data.g[n + 1] - g_pred
    if rho_model is None:
        return kg
    return kg, data.rho[n + 1] - r_pred


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scheme:
    """A fitting scheme: ``residual(model, data, idx=None, **kw)``, the number of steps a window spans,
    its order in dt, and its :class:`LinearStencil` when it is a linear multistep form (else None)."""

    name: str
    residual: Callable
    span: int
    order: int
    stencil: LinearStencil | None = None
    description: str = field(default="", compare=False)


def _bdf_fn(q):
    def fn(model, data, idx=None):
        return imex_bdf(model, data, q, idx)
    fn.__name__ = f"imex_bdf{q}"
    fn.__doc__ = f"IMEX-BDF-{q} residual (:func:`imex_bdf` with q = {q})."
    return fn


SCHEMES: dict[str, Scheme] = {
    "fe": Scheme("fe", forward_euler, 1, 1, STENCILS["fe"], "forward Euler, Eq. (4.4)"),
    "be": Scheme("be", backward_euler, 1, 1, STENCILS["be"], "backward Euler, Eq. (4.6)"),
    "rk4": Scheme("rk4", rk4, 1, 4, None, "classical RK4, Eq. (4.7) corrected"),
    "imex1": Scheme("imex1", imex1, 1, 1, STENCILS["imex1"], "first-order IMEX, Eq. (4.11)"),
    "ars222": Scheme("ars222", ars222, 1, 2, None, "IMEX-ARS(2,2,2), Eq. (8.6)-(8.12) corrected"),
    **{f"bdf{q}": Scheme(f"bdf{q}", _bdf_fn(q), q, q, STENCILS[f"bdf{q}"], f"IMEX-BDF-{q}, Eq. (8.13)-(8.18)")
       for q in (1, 2, 3, 4)},
}

_ALIASES = {"forward_euler": "fe", "euler": "fe", "backward_euler": "be", "ars": "ars222",
            "ars(2,2,2)": "ars222", "imex-ars222": "ars222", "imex": "imex1"}


def get_scheme(scheme) -> Scheme:
    """A :class:`Scheme` from itself or a name: "fe", "be", "rk4", "imex1", "ars222", "bdf1".."bdf4"
    (case-insensitive; also "BDF-2", "IMEX-BDF-2", "ARS", "forward_euler", ...)."""
    if isinstance(scheme, Scheme):
        return scheme
    key = str(scheme).lower().replace("imex-bdf", "bdf").replace("bdf-", "bdf").replace(" ", "")
    key = _ALIASES.get(key, key)
    if key not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; known: {sorted(SCHEMES)}")
    return SCHEMES[key]


def residual(model, data: FitData, scheme, idx=None, **kw):
    """The residual of ``scheme`` (name or :class:`Scheme`); extra keywords go to the scheme (ARS only)."""
    return get_scheme(scheme).residual(model, data, idx=idx, **kw)


# ---------------------------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------------------------
def _norm(r: torch.Tensor, norm: str) -> torch.Tensor:
    if norm == "l1":
        return r.abs().mean()
    if norm == "l2":
        return (r * r).mean()
    raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")


def data_loss(res, norm: str = "l1") -> torch.Tensor:
    """mean |K| (L1) or mean K^2 (l2) over all entries; a tuple (K_g, K_rho) gives the sum (Eq. 4.8)."""
    if isinstance(res, (tuple, list)):
        return sum(_norm(r, norm) for r in res)
    return _norm(res, norm)


def sparsity_penalty(models: Sequence, reduction: str = "sum") -> torch.Tensor:
    """||theta||_1 over ``regularizable_parameters()`` of the given models (Eq. 4.17; each order's block
    parameters enter separately, Eq. 5.16). ``reduction="mean"``: the sum over tensors of mean |W| (the
    authors' notebook form, reference facts Sect. 3.7)."""
    total = torch.zeros((), dtype=DTYPE)
    for m in models:
        for p in m.regularizable_parameters():
            total = total + (p.abs().sum() if reduction == "sum" else p.abs().mean())
    return total


def continuity_penalty(models: Sequence, dx: float) -> torch.Tensor:
    """||grad_x theta(x)||_1 of Eq. (4.18): the mean over j of |theta_{j+1} - theta_j| / dx, j = 0 .. nx - 2, summed
    over every x-dependent parameter of the models (the x-dependent block weights of Remark 3.3 and a learned
    relaxation vector w_S(x), Example 6.4); x-independent parameters do not enter. Units: [theta] / [x].
    The wrap-around difference is left out: a coefficient of a periodic problem need not be periodic itself
    (Example 6.4: sigma_S = 1 + 100 x^2 on [0, 1) jumps by 100 at x = 0), and penalising that jump would bias it."""
    total = torch.zeros((), dtype=DTYPE)
    for m in models:
        nx = _x_length(m)
        for p in m.parameters():
            if nx and p.dim() >= 1 and p.shape[-1] == nx:
                total = total + torch.diff(p, dim=-1).abs().mean() * (p.numel() / nx) / dx
    return total


def _x_length(model) -> int | None:
    """nx of a model's x-dependent parameters (block weights or relaxation vector), or None."""
    blocks = [b for bl in (getattr(model, "blocks_g", None), getattr(model, "blocks_rho", None)) if bl for b in bl]
    for b in blocks:
        if getattr(b, "nx", None):
            return int(b.nx)
    w_s = getattr(model, "w_s", None)
    if w_s is not None and w_s.dim() == 1:
        return int(w_s.shape[0])
    return None


def mean_zero_penalty(model, data: FitData, idx=None, span: int = 1, norm: str = "l1") -> torch.Tensor:
    """||dt <F(g^n, rho^n)>|| over the window starts (Eq. 4.15): the learned explicit RHS should keep
    <g> = 0 (Eq. 4.14); mean |.| for L1, mean square for l2."""
    n = starts(data, span, idx)
    F = _F(model, data, data.g[n], data.rho[n])
    return _norm(data.dt * data.ops.average(F), norm)


def loss(model, data: FitData, scheme, *, norm: str = "l1", sparsity: float = 0.0, mean_zero: float = 0.0,
         idx=None, rho_model=None, sparsity_reduction: str = "sum", continuity: float = 0.0,
         **scheme_kw) -> torch.Tensor:
    """Eq. (4.13) with (4.15), (4.17) and (4.18): data_loss(residual) + sparsity * ||theta||_1
    + mean_zero * ||dt <F>|| + continuity * ||grad_x theta||_1. ``idx`` restricts the time windows (the
    stochastic variant of Sect. 5.2);
    ``rho_model`` (ARS only) adds its residual and its parameters to the sparsity term."""
    sch = get_scheme(scheme)
    kw = dict(scheme_kw)
    if rho_model is not None:
        if sch.name != "ars222":
            raise ValueError("a learned rho-model is supported by the ARS(2,2,2) fit only")
        kw["rho_model"] = rho_model
    total = data_loss(sch.residual(model, data, idx=idx, **kw), norm)
    if sparsity:
        models = [model] if rho_model is None else [model, rho_model]
        total = total + sparsity * sparsity_penalty(models, sparsity_reduction)
    if mean_zero:
        total = total + mean_zero * mean_zero_penalty(model, data, idx, sch.span, norm)
    if continuity:
        models = [model] if rho_model is None else [model, rho_model]
        total = total + continuity * continuity_penalty(models, data.ops.dx)
    return total

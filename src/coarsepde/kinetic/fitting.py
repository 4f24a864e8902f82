"""Fitting schemes of the DC-RNN as residuals: the data term of the loss (Sect. 4, Appendix 8).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
A fitting scheme relates a short window of stored snapshots through one step of a time integrator
applied to the learned g-equation (true-sign convention, :class:`~coarsepde.kinetic.dcrnn.MultiscaleDCRNN`)

    d_t g = F(g, rho) - sigma_hat g,     F = model.explicit_rhs,  sigma_hat = model.relaxation(),

and its residual K^n (Eq. 4.1-4.2) vanishes when the data solve the scheme. This module holds the linear
multistep forms; RK4 and ARS(2,2,2) are in :mod:`coarsepde.kinetic.rk_fits`, the name registry in
:mod:`coarsepde.kinetic.schemes`, the loss in :mod:`coarsepde.kinetic.losses`. Every residual returns
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

described by the three weight vectors of :class:`LinearStencil`; :func:`linear_residual` (this module)
evaluates any of them (F is evaluated once per distinct snapshot). Because F is linear in the coefficients of its words,
these residuals can be assembled from precomputed word features (see :mod:`coarsepde.kinetic.training`).

Units: g, rho dimensionless; dt in time units; residuals in units of g. Everything is float64 torch and
differentiable with respect to the model parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from coarsepde.kinetic.fitdata import FitData, starts
from coarsepde.numerics.imex import imex_bdf_coefficients

__all__ = [
    "LinearStencil",
    "STENCILS",
    "linear_residual",
    "forward_euler",
    "backward_euler",
    "imex1",
    "imex_bdf",
]


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
    u = g if getattr(model, "equation", "g") == "g" else data.rho  # the rho-equation fits rho (Ex. 6.10)
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
        F = model.explicit_rhs(g[need], data.rho[need], data.ops)
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

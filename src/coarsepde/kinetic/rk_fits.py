"""Runge-Kutta fitting schemes of the DC-RNN: classical RK4 (Eq. 4.7) and IMEX-RK (ARS(2,2,2), Eq. 8.6-8.12).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
The residuals are nonlinear in the learned F (they compose it), unlike the linear multistep forms of
:mod:`coarsepde.kinetic.fitting`; shapes and units as there. The IMEX stages run through the one stage
loop :func:`coarsepde.numerics.imex.imex_rk`, the data state (g^n, rho^n) advanced by :class:`FitStages`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from coarsepde.kinetic.fitdata import FitData, known_flux, starts
from coarsepde.numerics.imex import ARS222, IMEXTableau, imex_rk

__all__ = ["rk4", "FitStages", "ars222"]


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
        return model.explicit_rhs(u, r, data.ops) - sig * u

    k1 = R(g0, r0)
    k2 = R(g0 + (0.5 * dt) * k1, rh)
    k3 = R(g0 + (0.5 * dt) * k2, rh)
    k4 = R(g0 + dt * k3, r1)
    return g1 - g0 - (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


@dataclass(frozen=True)
class FitStages:
    """The learned micro-macro system as :func:`~coarsepde.numerics.imex.imex_rk` splits it (Eq. 8.6-8.12
    corrected), on states (g, rho):

    * explicit: F(g, rho) for g (the model's ``explicit_rhs``), G - sigma_A rho for rho (left out when
      both are 0);
    * implicit: -sigma_hat g for g (a pointwise division by 1 + a sigma_hat), the flux Phi(g, rho) for rho,
      evaluated at the stage g and at rho^(i) *before* its own diagonal term (no solve; exact when Phi
      does not depend on rho, as the true flux -<v d_x g>). ``aux`` of a stage is that Phi.
    """

    F: Callable
    sigma_hat: torch.Tensor
    phi: Callable
    sigma_a: float = 0.0
    source: float = 0.0

    def solve(self, t, rhs, a):
        g, r = rhs
        if a != 0.0:
            g = g / (1.0 + a * self.sigma_hat)
        p = self.phi(g, r)
        if a != 0.0:
            r = r + a * p
        return (g, r), p

    def explicit(self, t, y, aux):
        g, r = y
        if self.sigma_a != 0.0 or self.source != 0.0:
            return self.F(g, r), self.source - self.sigma_a * r
        return self.F(g, r), None

    def add_explicit(self, acc, coef, term):
        (g, r), (f, s) = acc, term
        return g + coef * f, (r if s is None else r + coef * s)

    def add_implicit(self, acc, coef, y, aux):
        g, r = acc
        return g - coef * self.sigma_hat * y[0], r + coef * aux


def ars222(
    model,
    data: FitData,
    idx=None,
    *,
    rho_model=None,
    tableau: IMEXTableau = ARS222,
    sigma_a: float = 0.0,
    source: float = 0.0,
):
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
    if rho_model is None:
        phi = known_flux(data)
    else:

        def phi(g, r):
            return rho_model.explicit_rhs(g, r, data.ops)

    def F(g, r):
        return model.explicit_rhs(g, r, data.ops)

    eq = FitStages(F, model.relaxation(), phi, sigma_a, source)
    g_pred, r_pred = imex_rk(tableau, (data.g[n], data.rho[n]), data.dt, eq)
    kg = data.g[n + 1] - g_pred
    if rho_model is None:
        return kg
    return kg, data.rho[n + 1] - r_pred

"""WENO5 face reconstruction and the Godunov flux of Burgers' equation, on periodic 1D grids.

The high-resolution reference solver of Bar-Sinai et al. (2019) for the forced Burgers' equation

    v_t + d/dx ( v^2/2 - eta v_x ) = f(x, t)

is a finite-volume scheme: the advective flux through a face is the Godunov (exact Riemann) flux of
f(u) = u^2/2 between the two one-sided WENO5 reconstructions of v at that face.

Conventions (shared by the whole ``numerics`` package): a periodic field ``v`` has shape (..., N)
and holds cell averages; a FACE array has the same shape, its index i being the LEFT face of cell i
(between cells i-1 and i). All functions are batched over the leading dims, work on any float
dtype (float64 throughout the project) and are differentiable.

References
----------
G.-S. Jiang and C.-W. Shu, "Efficient implementation of weighted ENO schemes",
J. Comput. Phys. 126, 202-228 (1996).
C.-W. Shu, "Essentially non-oscillatory and weighted essentially non-oscillatory schemes for
hyperbolic conservation laws", in Lecture Notes in Mathematics 1697 (Springer, 1998).
E. F. Toro, "Riemann Solvers and Numerical Methods for Fluid Dynamics" (Springer, 2009), Sec. 4.
"""

from __future__ import annotations

import torch

__all__ = ["WENO5_LINEAR_WEIGHTS", "weno5_faces", "godunov_flux", "godunov_flux_without_sonic_fix"]

# Optimal ("linear") weights of the three 3-cell candidate stencils of the left-biased
# reconstruction, ordered from the most-left stencil to the most-right one. With these weights the
# three 3rd-order candidates combine into the 5th-order 5-cell stencil (2, -13, 47, 27, -3)/60.
WENO5_LINEAR_WEIGHTS = (0.1, 0.6, 0.3)


def _shift(v: torch.Tensor, k: int) -> torch.Tensor:
    """Periodic shift along the last dim: ``_shift(v, k)[..., i] == v[..., i + k]``."""
    return torch.roll(v, shifts=-k, dims=-1)


def _weno5_left_biased(um2, um1, u0, up1, up2, eps: float, p: float) -> torch.Tensor:
    """Value at the face between cells ``u0`` and ``up1``, upwind for flow from ``u0``'s side.

    Cells are given from upwind (um2) to downwind (up2). Jiang & Shu (1996), Eqs. (2.10)-(2.11)
    and the smoothness indicators of their Eq. (3.2).
    """
    # third-order candidates on {um2, um1, u0}, {um1, u0, up1}, {u0, up1, up2}
    q0 = (2.0 * um2 - 7.0 * um1 + 11.0 * u0) / 6.0
    q1 = (-um1 + 5.0 * u0 + 2.0 * up1) / 6.0
    q2 = (2.0 * u0 + 5.0 * up1 - up2) / 6.0
    # smoothness indicators: scaled L2 norms of the first and second derivatives of each candidate
    b0 = 13.0 / 12.0 * (um2 - 2.0 * um1 + u0) ** 2 + 0.25 * (um2 - 4.0 * um1 + 3.0 * u0) ** 2
    b1 = 13.0 / 12.0 * (um1 - 2.0 * u0 + up1) ** 2 + 0.25 * (um1 - up1) ** 2
    b2 = 13.0 / 12.0 * (u0 - 2.0 * up1 + up2) ** 2 + 0.25 * (3.0 * u0 - 4.0 * up1 + up2) ** 2
    d0, d1, d2 = WENO5_LINEAR_WEIGHTS
    a0 = d0 / (eps + b0) ** p
    a1 = d1 / (eps + b1) ** p
    a2 = d2 / (eps + b2) ** p
    return (a0 * q0 + a1 * q1 + a2 * q2) / (a0 + a1 + a2)


def weno5_faces(v: torch.Tensor, eps: float = 1e-6, p: float = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Classic fifth-order WENO reconstruction (Jiang & Shu 1996; Shu 1998) of face values.

    Parameters
    ----------
    v : (..., N) periodic cell averages along the last dim.
    eps, p : regularisation and power of the nonlinear weights alpha_k = d_k / (eps + beta_k)^p.
        The defaults eps = 1e-6, p = 2 are those of Jiang & Shu and of the original implementation
        of Bar-Sinai et al. Note that eps is absolute, so the weights depend on the scale of v.

    Returns
    -------
    (v_minus, v_plus), each (..., N) face arrays (index i = left face of cell i):
    ``v_minus[i]`` is the left-biased reconstruction from cells i-3..i+1 (the upwind value for flow
    to the right; on smooth data it tends to the linear stencil (2, -13, 47, 27, -3)/60 applied to
    cells i-3..i+1), with linear weights (0.1, 0.6, 0.3) for the candidate stencils ordered from the
    most-left to the most-right; ``v_plus[i]`` is its mirror image from cells i-2..i+2 (upwind for
    flow to the left; weights (0.3, 0.6, 0.1) in the same left-to-right order).
    """
    # Face i lies between cells i-1 and i. Left-biased: cells i-3 (upwind) .. i+1 (downwind);
    # right-biased: the same formula with the cells read from i+2 (upwind) down to i-2.
    c = {k: _shift(v, k) for k in (-3, -2, -1, 1, 2)}  # c[k][..., i] = v[..., i + k]
    c[0] = v
    v_minus = _weno5_left_biased(c[-3], c[-2], c[-1], c[0], c[1], eps, p)
    v_plus = _weno5_left_biased(c[2], c[1], c[0], c[-1], c[-2], eps, p)
    return v_minus, v_plus


def godunov_flux(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact Godunov flux of the convex flux f(u) = u^2/2 for left state ``a`` and right state ``b``.

    F(a, b) = min_{a <= u <= b} u^2/2 if a <= b (rarefaction; 0 for the transonic rarefaction
    a < 0 < b), and max_{b <= u <= a} u^2/2 = max(a^2, b^2)/2 if a > b (shock). For f = u^2/2 both
    cases collapse into the closed form

        F(a, b) = max( max(a, 0)^2, min(b, 0)^2 ) / 2,

    which is used here: elementwise, broadcasting, and differentiable everywhere except on the kinks
    a = 0, b = 0 and |a| = |b| (where autograd picks a one-sided derivative, never NaN).

    The original code of Bar-Sinai et al. omitted the transonic case (it used min(a^2, b^2)/2 for
    every a <= b, see :func:`godunov_flux_without_sonic_fix`); that flux is not the Riemann solution
    at sonic points and admits entropy-violating expansion shocks there. Ours is the exact flux.
    """
    return 0.5 * torch.maximum(torch.clamp(a, min=0.0) ** 2, torch.clamp(b, max=0.0) ** 2)


def godunov_flux_without_sonic_fix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The original implementation's flux: min(a^2, b^2)/2 if a <= b, else max(a^2, b^2)/2.

    Differs from :func:`godunov_flux` only for a < 0 < b, where it is positive instead of 0. Kept
    for comparison tests only.
    """
    a2, b2 = a**2, b**2
    return 0.5 * torch.where(a <= b, torch.minimum(a2, b2), torch.maximum(a2, b2))

"""Discrete basic operators of the DC-RNN dictionary on a periodic (v, x) grid.

Delgadillo, Hu, Yang (DC-RNN), Sect. 3.1 and Sect. 3.3: the networks are built from a few basic
operators acting on the kinetic variable g(v, x) (and on rho(x), broadcast along v):

    A_1 = I                   identity,                                     (3.1)
    A_2 = v d_x               advection,                                     (3.2)
    A_3 = < . >               projection <u>_j = 1/2 sum_i w_i u_{i,j},      (3.3)
                              copied back to every velocity row,
    d_xx                      central second difference (Sect. 3.1(4); the extra
                              operator of the rho-equation in Example 6.10).

Advection stencils (periodic in x, grid spacing dx):

* ``"centered"``: (v d_x u)_{i,j} = v_i (u_{i,j+1} - u_{i,j-1}) / (2 dx). This is what the authors'
  networks evaluate (reference facts Sect. 3.1; their code computes the negative, and the sign
  cancels in their residual). Second order. Because it is v_i times a v-independent difference
  operator, <v^k d^k rho> = <v^k> d^k rho vanishes exactly for odd k on the symmetric quadrature.
* ``"upwind"``: first-order upwind v^+ D^- u + v^- D^+ u of Sect. 3.1(2), with
  D^+ u = (u_{j+1} - u_j)/dx, D^- u = (u_j - u_{j-1})/dx, v^+ = max(v, 0), v^- = min(v, 0).
  (The paper's "for v > 0 / v < 0" labels are swapped; the combined formula is the upwind one.)
  Here <A rho> = c (D^- - D^+) rho with c = 1/2 sum_i w_i max(v_i, 0) = 1/4 + O(quadrature) is a
  numerical diffusion, NOT zero: the odd-moment simplifications of the symbolic layer do not hold.

Shapes and units. Kinetic fields have shape (..., nv, nx), densities (..., nx); x in units of the
domain length (period nx*dx), v dimensionless in [-1, 1]. ``advect`` returns units of [u]/[x],
``dxx`` [u]/[x]^2, ``project`` and ``identity`` [u]. Operators that act along v (``advect``,
``project``) need the (..., nv, nx) layout: lift rho with :meth:`Operators.lift` first. Everything
is batched over the leading dimensions (no loops over grid points) and differentiable.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["gauss_legendre", "Operators", "SYMBOLS"]

#: Symbol of each basic operator, as used in the words of :mod:`coarsepde.kinetic.dcrnn`.
SYMBOLS = {"I": "identity", "A": "advect", "P": "project", "D": "dxx"}

_ADVECTION = ("centered", "upwind")


def gauss_legendre(nv: int = 16, dtype=torch.float64):
    """Gauss-Legendre nodes v_i (ascending) and weights w_i on [-1, 1]; sum(w) = 2.

    The paper uses nv = 16 (Sect. 6, "Data Gathering"; reference facts Sect. 1.3). The nodes are
    symmetric (v_{nv+1-i} = -v_i) with equal weights, so every odd moment sum_i w_i v_i^k vanishes
    (up to rounding).
    """
    v, w = np.polynomial.legendre.leggauss(int(nv))
    return torch.as_tensor(v, dtype=dtype), torch.as_tensor(w, dtype=dtype)


class Operators(torch.nn.Module):
    """The basic operators of Sect. 3.1 on a periodic uniform grid, as a buffer-holding module.

    Parameters
    ----------
    v, w : array-like (nv,)
        Velocity nodes (dimensionless, in [-1, 1]) and quadrature weights (sum 2 for the
        normalised average <.> = 1/2 int_{-1}^{1} . dv).
    dx : float
        Grid spacing (units of x). The grid is periodic with nx = (field's last size) points.
    advection : {"centered", "upwind"}
        Stencil of v d_x (see the module docstring).
    """

    def __init__(self, v, w, dx: float, advection: str = "centered"):
        super().__init__()
        if advection not in _ADVECTION:
            raise ValueError(f"advection must be one of {_ADVECTION}, got {advection!r}")
        v = torch.as_tensor(v, dtype=torch.float64).flatten()
        w = torch.as_tensor(w, dtype=torch.float64).flatten()
        if v.shape != w.shape:
            raise ValueError(f"v and w must have the same length, got {v.numel()} and {w.numel()}")
        if not dx > 0:
            raise ValueError(f"dx must be positive, got {dx}")
        self.register_buffer("v", v)
        self.register_buffer("w", w)
        self.dx = float(dx)
        self.advection = advection

    @classmethod
    def periodic(cls, nx: int, nv: int = 16, length: float = 1.0, advection: str = "centered") -> Operators:
        """Operators on nx periodic points of a domain of the given length (dx = length/nx), nv GL nodes."""
        v, w = gauss_legendre(nv)
        return cls(v, w, length / nx, advection)

    @property
    def nv(self) -> int:
        return self.v.numel()

    @property
    def odd_moments_vanish(self) -> bool:
        """True when A = v * (v-independent difference), so <A^k rho> = 0 for odd k (centred stencil)."""
        return self.advection == "centered"

    def extra_repr(self) -> str:
        return f"nv={self.nv}, dx={self.dx:.6g}, advection={self.advection!r}"

    # -- layout -------------------------------------------------------------------------------
    def _check_kinetic(self, u: torch.Tensor) -> None:
        if u.dim() < 2 or u.shape[-2] != self.nv:
            raise ValueError(
                f"expected a kinetic field of shape (..., nv={self.nv}, nx), got {tuple(u.shape)}; "
                "lift a density rho (..., nx) with Operators.lift first"
            )

    def lift(self, rho: torch.Tensor) -> torch.Tensor:
        """Broadcast a density (..., nx) to a v-independent kinetic field (..., nv, nx) (a view)."""
        return rho.unsqueeze(-2).expand(*rho.shape[:-1], self.nv, rho.shape[-1])

    # -- basic operators ----------------------------------------------------------------------
    def identity(self, u: torch.Tensor) -> torch.Tensor:
        """A_1 = I, Eq. (3.1)."""
        return u

    def advect(self, u: torch.Tensor) -> torch.Tensor:
        """A_2 = v d_x on (..., nv, nx), Eq. (3.2): centred or first-order upwind (Sect. 3.1(2)); units [u]/[x]."""
        self._check_kinetic(u)
        right = torch.roll(u, -1, dims=-1)  # u_{j+1}
        left = torch.roll(u, 1, dims=-1)  # u_{j-1}
        v = self.v.unsqueeze(-1)
        if self.advection == "centered":
            return v * (right - left) / (2.0 * self.dx)
        vp = torch.clamp(v, min=0.0)
        vm = torch.clamp(v, max=0.0)
        return (vp * (u - left) + vm * (right - u)) / self.dx

    def average(self, u: torch.Tensor) -> torch.Tensor:
        """<u>_j = 1/2 sum_i w_i u_{i,j}: (..., nv, nx) -> (..., nx) (the quadrature of Eq. 3.3)."""
        self._check_kinetic(u)
        return 0.5 * torch.einsum("i,...ij->...j", self.w, u)

    def project(self, u: torch.Tensor) -> torch.Tensor:
        """A_3 = <.>, Eq. (3.3), copied to every velocity row: (..., nv, nx) -> (..., nv, nx)."""
        return self.lift(self.average(u))

    def dxx(self, u: torch.Tensor) -> torch.Tensor:
        """Central second difference (u_{j+1} - 2u_j + u_{j-1})/dx^2 along the last axis; any shape; units [u]/[x]^2."""
        return (torch.roll(u, -1, dims=-1) - 2.0 * u + torch.roll(u, 1, dims=-1)) / self.dx**2

    def apply(self, symbol: str, u: torch.Tensor) -> torch.Tensor:
        """Apply the basic operator named by ``symbol`` (a key of :data:`SYMBOLS`) to a kinetic field."""
        try:
            name = SYMBOLS[symbol]
        except KeyError:
            raise ValueError(f"unknown operator symbol {symbol!r}; known: {sorted(SYMBOLS)}") from None
        return getattr(self, name)(u)

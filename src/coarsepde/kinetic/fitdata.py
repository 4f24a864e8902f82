"""The data a DC-RNN fitting scheme acts on: stored snapshots of one transport run.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Sect. 4).
:class:`FitData` holds g (T, nv, nx), rho (T, nx) (dimensionless), the snapshot spacing dt (time units)
and the operators the model's words are evaluated with; :func:`starts` gives the window start indices
of a scheme, :func:`known_flux` the true rho-flux of Eq. (2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from coarsepde.kinetic.operators import Operators

__all__ = ["FitData", "starts", "known_flux"]

DTYPE = torch.float64


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
        self.g = torch.as_tensor(np.asarray(self.g) if not isinstance(self.g, torch.Tensor) else self.g, dtype=DTYPE)
        self.rho = torch.as_tensor(
            np.asarray(self.rho) if not isinstance(self.rho, torch.Tensor) else self.rho, dtype=DTYPE
        )
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
    def from_generated(
        cls, out: dict, index: int = 0, *, stride: int = 1, n_snapshots: int | None = None, advection: str = "centered"
    ) -> FitData:
        """From the dict of :func:`coarsepde.kinetic.transport.generate_ars222` (or ``fourier_solution``
        with a ``dt``): batch entry ``index`` (one eps value), every ``stride``-th snapshot (dt scaled by
        ``stride``), at most ``n_snapshots`` of them; operators on the run's grid (period nx * dx)."""
        g = np.asarray(out["g"])[index][::stride]
        rho = np.asarray(out["rho"])[index][::stride]
        if n_snapshots is not None:
            g, rho = g[:n_snapshots], rho[:n_snapshots]
        g.shape[-1]
        dx = float(out["dx"]) if "dx" in out else float(out["x"][1] - out["x"][0])
        ops = Operators(out["v"], out["w"], dx, advection)
        return cls(g, rho, float(out["dt"]) * stride, ops)

    def subsample(self, stride: int = 1, n_snapshots: int | None = None) -> FitData:
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


def known_flux(data: FitData) -> Callable:
    """The true rho-flux of Eq. (2.4), Phi(g, rho) = -<v d_x g> (d_t rho = Phi - sigma_A rho + G), with
    the data's operators (the reference calibration's choice for the g-only ARS fits)."""
    ops = data.ops
    return lambda g, rho: -ops.average(ops.advect(g))

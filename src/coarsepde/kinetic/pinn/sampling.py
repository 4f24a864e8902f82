"""Random batches of the PINN fit: data points of the stored (T, nv, nx) and (T, nx) grids and collocation
points (t, x), all drawn from one private torch generator."""

from __future__ import annotations

import torch

from coarsepde.kinetic.fitdata import FitData

__all__ = ["Sampler", "draw_batch"]


class Sampler:
    """Random data / collocation batches on the data grid, drawn from a private generator."""

    def __init__(self, data: FitData, gen: torch.Generator, dtype, length: float):
        self.data, self.gen, self.dtype, self.length = data, gen, dtype, length
        T, nv, nx = data.g.shape
        self.T, self.nv, self.nx = T, nv, nx
        self.t_grid = torch.arange(T, dtype=torch.float64) * data.dt
        self.x_grid = torch.arange(nx, dtype=torch.float64) * data.ops.dx
        self.v = data.ops.v.to(dtype)
        self.w = data.ops.w.to(dtype)

    def g_batch(self, n):
        i = torch.randint(0, self.T * self.nv * self.nx, (n,), generator=self.gen)
        it, rest = i // (self.nv * self.nx), i % (self.nv * self.nx)
        iv, ix = rest // self.nx, rest % self.nx
        return (
            self.t_grid[it].to(self.dtype),
            self.x_grid[ix].to(self.dtype),
            self.v[iv],
            self.data.g[it, iv, ix].to(self.dtype),
        )

    def rho_batch(self, n):
        i = torch.randint(0, self.T * self.nx, (n,), generator=self.gen)
        it, ix = i // self.nx, i % self.nx
        return self.t_grid[it].to(self.dtype), self.x_grid[ix].to(self.dtype), self.data.rho[it, ix].to(self.dtype)

    def collocation(self, n):
        u = torch.rand((2, n), generator=self.gen, dtype=torch.float64)
        t = self.t_grid[0] + u[0] * (self.t_grid[-1] - self.t_grid[0])
        return t.to(self.dtype), (u[1] * self.length).to(self.dtype)


def draw_batch(sampler: Sampler, n_data: int, n_coll: int):
    """One batch: ``n_data`` g points, ``n_data // 4`` (at least 1) rho points, ``n_coll`` collocation points."""
    return sampler.g_batch(n_data), sampler.rho_batch(max(1, n_data // 4)), sampler.collocation(n_coll)

"""Diagnostics of a fitted PINN (DC-RNN Example 6.8): the least-squares coefficients of the final networks
(F is linear in the four coefficients) and the networks' errors on the data grid."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.pinn.networks import PINNModel
from coarsepde.kinetic.pinn.protocol import COEFFICIENT_ORDER

__all__ = ["lstsq_coefficients", "fit_errors"]


def lstsq_coefficients(terms: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """The coefficients minimising mean(F^2) for the given terms (column-scaled least squares)."""
    X = np.stack([terms[k].detach().double().numpy().ravel() for k in COEFFICIENT_ORDER], axis=1)
    y = terms["d_t g"].detach().double().numpy().ravel()
    s = np.linalg.norm(X, axis=0)
    s[s == 0] = 1.0
    c = np.linalg.lstsq(X / s, y, rcond=None)[0] / s
    return {k: float(ci) for k, ci in zip(COEFFICIENT_ORDER, c)}


@torch.no_grad()
def _fit_errors_values(model: PINNModel, data: FitData, dtype):
    T, nv, nx = data.g.shape
    t = (torch.arange(T, dtype=torch.float64) * data.dt).to(dtype)
    x = (torch.arange(nx, dtype=torch.float64) * data.ops.dx).to(dtype)
    v = data.ops.v.to(dtype)
    g = torch.stack([model.g(t[n], x[None, :], v[:, None]) for n in range(T)]).double()
    rho = model.rho(t[:, None], x[None, :]).double()
    return g, rho


def fit_errors(model: PINNModel, data: FitData, dtype) -> dict[str, float]:
    """Relative RMS errors on the whole grid: N_g vs g, N_rho vs rho (std-normalised), and d_t N_g at the
    interior snapshots vs the data's centred differences (the latter carry their own O(dt^2) error)."""
    g, rho = _fit_errors_values(model, data, dtype)
    out = {
        "g": float((g - data.g).pow(2).mean().sqrt() / data.g.pow(2).mean().sqrt()),
        "rho": float((rho - data.rho).pow(2).mean().sqrt() / data.rho.std()),
    }
    T, nv, nx = data.g.shape
    x = (torch.arange(nx, dtype=torch.float64) * data.ops.dx).to(dtype)
    v = data.ops.v.to(dtype)
    dts = []
    for n in range(1, T - 1):  # one snapshot at a time: bounded memory
        tt = torch.full((nv, nx), n * data.dt, dtype=dtype, requires_grad=True)
        with torch.enable_grad():
            gg = model.g(tt, x[None, :], v[:, None])
            (d,) = torch.autograd.grad(gg.sum(), (tt,))
        dts.append(d.double())
    dt_g = torch.stack(dts)
    ref = (data.g[2:] - data.g[:-2]) / (2 * data.dt)
    out["d_t g"] = float((dt_g.double() - ref).pow(2).mean().sqrt() / ref.pow(2).mean().sqrt())
    return out

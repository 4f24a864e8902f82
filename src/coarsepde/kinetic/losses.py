"""The fitting loss of the DC-RNN: data term of a scheme's residual plus the penalties (Eq. 4.13-4.18).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
The loss (:func:`loss`, Eq. 4.13 with 4.15 and 4.17) is the mean absolute residual (L1, the paper's
choice; "l2": mean square) + gamma ||theta||_1 over ``model.regularizable_parameters()`` (each order's
parameters separately: Eq. 5.16, the assembled O(eps^-m) coefficients are never penalised) + the
<g> = 0 penalty mu * dt * mean |<F(g^n, rho^n)>| (Eq. 4.14-4.16, Remark 4.1: dt is the multiplier).

Units: residuals in units of g; the penalties in the units of their parameters (continuity: per unit x).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from coarsepde.kinetic.fitdata import FitData, starts
from coarsepde.kinetic.schemes import get_scheme

__all__ = ["data_loss", "sparsity_penalty", "continuity_penalty", "mean_zero_penalty", "loss"]

DTYPE = torch.float64


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
    F = model.explicit_rhs(data.g[n], data.rho[n], data.ops)
    return _norm(data.dt * data.ops.average(F), norm)


def loss(
    model,
    data: FitData,
    scheme,
    *,
    norm: str = "l1",
    sparsity: float = 0.0,
    mean_zero: float = 0.0,
    idx=None,
    rho_model=None,
    sparsity_reduction: str = "sum",
    continuity: float = 0.0,
    **scheme_kw,
) -> torch.Tensor:
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

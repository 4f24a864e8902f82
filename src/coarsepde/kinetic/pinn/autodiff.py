"""The PDE residual of the PINN baseline, Eq. (6.8), evaluated on any differentiable g(t, x, v), rho(t, x)
by automatic differentiation, with the velocity average <.> by the data's quadrature."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from coarsepde.kinetic.pinn.protocol import COEFFICIENT_ORDER

__all__ = ["quadrature_average", "residual_terms", "residual"]


def quadrature_average(u: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """<u> = 1/2 sum_i w_i u_i over the LAST axis (velocity nodes): (..., nv) -> (...)."""
    return 0.5 * (u * w).sum(-1)


def residual_terms(
    g_fn: Callable,
    rho_fn: Callable,
    t: torch.Tensor,
    x: torch.Tensor,
    v: torch.Tensor,
    w: torch.Tensor,
    create_graph: bool = True,
) -> dict[str, torch.Tensor]:
    """d_t g and the four terms of Eq. (6.8) at collocation points (t_p, x_p) x all velocity nodes.

    ``g_fn(t, x, v)`` and ``rho_fn(t, x)`` are differentiable torch functions of broadcastable physical
    coordinates (the networks, or any smooth function); t, x: (n,), v, w: (nv,) nodes and weights.
    Returns a dict of (n, nv) tensors: "d_t g", "g", "v d_x g", "<v d_x g>" (the quadrature average,
    copied to every velocity), "v d_x rho". Derivatives by autograd (``create_graph`` keeps them
    differentiable with respect to parameters).
    """
    t, x, v, w = (torch.as_tensor(a) for a in (t, x, v, w))
    if t.dim() != 1 or x.shape != t.shape:
        raise ValueError(f"t and x must be 1-D of equal length, got {tuple(t.shape)}, {tuple(x.shape)}")
    if v.dim() != 1 or w.shape != v.shape:
        raise ValueError(f"v and w must be 1-D of equal length, got {tuple(v.shape)}, {tuple(w.shape)}")
    n, nv = t.numel(), v.numel()
    tg = t.detach().unsqueeze(1).expand(n, nv).clone().requires_grad_(True)
    xg = x.detach().unsqueeze(1).expand(n, nv).clone().requires_grad_(True)
    vg = v.detach().unsqueeze(0).expand(n, nv)
    g = g_fn(tg, xg, vg)
    dtg, dxg = torch.autograd.grad(g.sum(), (tg, xg), create_graph=create_graph)
    xr = x.detach().clone().requires_grad_(True)
    rho = rho_fn(t.detach(), xr)
    (dxr,) = torch.autograd.grad(rho.sum(), (xr,), create_graph=create_graph)
    adv_g = vg * dxg
    avg = quadrature_average(adv_g, w.to(adv_g.dtype)).unsqueeze(1).expand(n, nv)
    return {"d_t g": dtg, "g": g, "v d_x g": adv_g, "<v d_x g>": avg, "v d_x rho": vg * dxr.unsqueeze(1)}


def residual(terms: Mapping[str, torch.Tensor], coefficients) -> torch.Tensor:
    """F = d_t g - sum_k c_k term_k, Eq. (6.8); ``coefficients`` a (4,) tensor in COEFFICIENT_ORDER or a
    mapping keyed by the PHYSICAL_TERMS names."""
    F = terms["d_t g"]
    if isinstance(coefficients, Mapping):
        coefficients = [coefficients[k] for k in COEFFICIENT_ORDER]
    elif isinstance(coefficients, torch.Tensor):
        if coefficients.shape != (4,):
            raise ValueError(f"need 4 coefficients, got shape {tuple(coefficients.shape)}")
        coefficients = coefficients.to(F.dtype)
    for c, k in zip(coefficients, COEFFICIENT_ORDER):
        F = F - c * terms[k]
    return F

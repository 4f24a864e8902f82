"""The PINN fit of DC-RNN Example 6.8 (Eq. 6.9 loss, Adam then L-BFGS): :func:`fit_pinn`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

import torch

from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.pinn.autodiff import residual, residual_terms
from coarsepde.kinetic.pinn.diagnostics import fit_errors, lstsq_coefficients
from coarsepde.kinetic.pinn.networks import PINNModel
from coarsepde.kinetic.pinn.protocol import COEFFICIENT_ORDER, DTYPES, VARIANTS, PINNProtocol
from coarsepde.kinetic.pinn.result import PINNResult
from coarsepde.kinetic.pinn.sampling import Sampler, draw_batch
from coarsepde.kinetic.scoring import PHYSICAL_TERMS

__all__ = ["fit_pinn"]


def _losses(model: PINNModel, sampler: Sampler, batch, scales, sparsity: float):
    """Loss (6.9) of one batch, dimensionless (module docstring of :mod:`coarsepde.kinetic.pinn`), and its parts."""
    (tg, xg, vg, gd), (tr, xr, rd), (tc, xc) = batch
    s_g, s_rho, s_F = scales
    l_g = ((model.g(tg, xg, vg) - gd) ** 2).mean() / s_g**2
    l_rho = ((model.rho(tr, xr) - rd) ** 2).mean() / s_rho**2
    terms = residual_terms(model.g, model.rho, tc, xc, sampler.v, sampler.w)
    F = residual(terms, model.coefficients())
    l_F = (F**2).mean() / s_F**2
    pen = sparsity * model.penalty()
    total = l_F + l_g + l_rho + pen
    with torch.no_grad():
        parts = {"total": float(total), "data": float(l_g + l_rho), "residual": float(l_F), "penalty": float(pen)}
    return total, parts


def fit_pinn(
    data: FitData,
    variant: str,
    protocol: PINNProtocol | Mapping | None = None,
    *,
    eps: float | None = None,
    log: Callable[[str], None] | None = None,
    **overrides,
) -> PINNResult:
    """Fit the PINN baseline of Example 6.8 to ``data``; ``variant`` "plain" (Eq. 6.8) or "pt" (Eq. 6.10).

    ``protocol``: a :class:`PINNProtocol`, a config mapping of its keys, or None (defaults); keyword
    ``overrides`` (protocol keys, e.g. ``adam_steps=500``) win. ``eps`` (optional) is the TRUE eps, used only
    to fill Error% in the result after training. ``log``: called with one progress line per history record.
    Deterministic for a given seed, data, protocol and thread count (the global torch RNG and thread count are
    neither used nor changed).

    float32 is the default (cheaper per step; the loss is made dimensionless, the coefficients
    reach O(1/eps^2) ~ 4e3 with 7 significant digits to spare); float64 is available for tight numerical
    checks (the tests use it).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if not isinstance(data, FitData):
        raise ValueError(f"data must be a FitData, got {type(data).__name__}")
    if isinstance(protocol, PINNProtocol):
        proto = PINNProtocol.from_mapping(protocol.to_dict(), **overrides) if overrides else protocol
    else:
        proto = PINNProtocol.from_mapping(protocol, **overrides)
    if data.T < 3:
        raise ValueError(f"need at least 3 snapshots, got {data.T}")
    if eps is not None and not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    if not (torch.isfinite(data.g).all() and torch.isfinite(data.rho).all()):
        raise ValueError("data contain non-finite values")

    dtype = DTYPES[proto.dtype]
    length = data.nx * data.ops.dx
    g_rms = float(data.g.pow(2).mean().sqrt())
    rho_mean, rho_std = float(data.rho.mean()), float(data.rho.std())
    dgdt_rms = float(((data.g[1:] - data.g[:-1]) / data.dt).pow(2).mean().sqrt())
    if not (g_rms > 0 and rho_std > 0 and dgdt_rms > 0):
        raise ValueError("g, rho and d_t g of the data must not be identically constant")
    scales = (g_rms, rho_std, dgdt_rms)

    t_start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(proto.seed)
        model = PINNModel(
            variant,
            t_span=(0.0, (data.T - 1) * data.dt),
            length=length,
            g_scale=g_rms,
            rho_mean=rho_mean,
            rho_scale=rho_std,
            hidden=proto.hidden,
            layers=proto.layers,
            x_harmonics=proto.x_harmonics,
            eps_range=proto.eps_range,
            w_eps_init=proto.w_eps_init,
            lambda_init=proto.lambda_init,
            dtype=dtype,
        )
    gen = torch.Generator().manual_seed(proto.seed + 1)
    sampler = Sampler(data, gen, dtype, length)
    history: list[dict] = []

    def record(phase, it, parts):
        history.append({"phase": phase, "iteration": it, **parts})
        if log is not None:
            c = model.coefficients().detach()
            log(
                f"[pinn {variant}] {phase} {it}: total {parts['total']:.3e} data {parts['data']:.3e} "
                f"residual {parts['residual']:.3e} coeffs " + " ".join(f"{float(ci):.4g}" for ci in c)
            )

    # Adam ---------------------------------------------------------------------------------------
    n_adam = int(proto.adam_steps)
    if n_adam:
        opt = torch.optim.Adam(model.parameters(), lr=proto.lr)
        gamma = (proto.lr_final / proto.lr) ** (1.0 / max(n_adam, 1))
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
        for it in range(n_adam):
            batch = draw_batch(sampler, proto.n_data, proto.n_collocation)
            opt.zero_grad(set_to_none=True)
            total, parts = _losses(model, sampler, batch, scales, proto.sparsity)
            if not math.isfinite(parts["total"]):
                raise FloatingPointError(f"non-finite PINN loss at Adam step {it}")
            total.backward()
            opt.step()
            sched.step()
            if it % proto.history_every == 0 or it == n_adam - 1:
                record("adam", it, parts)
    adam_seconds = time.perf_counter() - t_start

    # L-BFGS on a fixed sample -------------------------------------------------------------------
    if proto.lbfgs_steps:
        batch = draw_batch(sampler, 4 * proto.n_data, 4 * proto.n_collocation)
        lbfgs = torch.optim.LBFGS(
            model.parameters(),
            lr=1.0,
            max_iter=int(proto.lbfgs_steps),
            max_eval=int(1.25 * proto.lbfgs_steps) + 1,
            history_size=50,
            tolerance_grad=1e-12,
            tolerance_change=1e-14,
            line_search_fn="strong_wolfe",
        )
        count = [0]

        def closure():
            lbfgs.zero_grad(set_to_none=True)
            total, parts = _losses(model, sampler, batch, scales, proto.sparsity)
            total.backward()
            if count[0] % proto.history_every == 0:
                record("lbfgs", n_adam + count[0], parts)
            count[0] += 1
            return total

        lbfgs.step(closure)
        record("lbfgs", n_adam + count[0], _losses(model, sampler, batch, scales, proto.sparsity)[1])

    # Evaluation ---------------------------------------------------------------------------------
    eval_sampler = Sampler(data, torch.Generator().manual_seed(proto.seed + 2), dtype, length)
    batch = draw_batch(eval_sampler, 8 * proto.n_data, 8 * proto.n_collocation)
    total, final = _losses(model, eval_sampler, batch, scales, proto.sparsity)
    terms = residual_terms(model.g, model.rho, *batch[2], eval_sampler.v, eval_sampler.w, create_graph=False)
    lstsq = lstsq_coefficients(terms)
    errors = fit_errors(model, data, dtype)
    wall = time.perf_counter() - t_start

    lam = model.lam.detach().double().numpy()
    coeffs = {k: float(c) for k, c in zip(COEFFICIENT_ORDER, model.coefficients().detach().double())}
    coeffs = {k: coeffs[k] for k in PHYSICAL_TERMS}
    lambdas = (
        {k: float(lam[i]) for i, k in enumerate(COEFFICIENT_ORDER)}
        if variant == "plain"
        else {k: [float(a) for a in lam[i]] for i, k in enumerate(COEFFICIENT_ORDER)}
    )
    e_pred = model.eps_pred()
    res = PINNResult(
        variant=variant,
        coefficients=coeffs,
        eps_pred=None if e_pred is None else float(e_pred.detach()),
        lambdas=lambdas,
        history=history,
        final_losses=final,
        lstsq_coefficients=lstsq,
        fit_errors=errors,
        wall_seconds=wall,
        adam_seconds=adam_seconds,
        protocol=proto,
        model=model,
    )
    if eps is not None:
        res.evaluate(eps)
    return res

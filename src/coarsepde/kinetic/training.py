"""Training of the DC-RNN g-equation models (Sect. 5.2): Adam, least squares, L-BFGS.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
:func:`fit` minimises the fitting loss of :mod:`coarsepde.kinetic.fitting` (residual of a fitting scheme
+ sparsity + <g> = 0 penalty) over all parameters of a :class:`~coarsepde.kinetic.dcrnn.MultiscaleDCRNN`,
in up to three phases, each optional:

1. Adam, TF defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8; the authors' ``AdamOptimizer()``), full batch
   or the stochastic variant of Sect. 5.2 (``batch_windows`` = N_s random time windows per step);
2. ``lsq_steps``: a trust-region least-squares solve (scipy ``least_squares``, "trf", Jacobian scaling,
   exact Jacobians by autograd) of the l2 data term. For the linear multistep schemes the residual is
   reduced exactly to W + 2 numbers (:meth:`~coarsepde.kinetic.features.FeatureLoss.reduced_residual`); for ARS(2,2,2) / RK4 it is
   a Gauss-Newton iteration in coefficient space (:func:`~coarsepde.kinetic.least_squares.gauss_newton`);
3. torch L-BFGS (strong-Wolfe line search, restarts), on the l1 loss of the paper or on l2, e.g. as an
   L1 polish of the least-squares optimum (the paper's L-BFGS-B, Example 6.10).

The fast path for the linear multistep schemes (word features computed once) is
:mod:`coarsepde.kinetic.features`; the least-squares and Gauss-Newton solvers are
:mod:`coarsepde.kinetic.least_squares`.

History: a :class:`FitHistory` with the iteration (Adam steps, then least-squares and L-BFGS function
evaluations continuing the count), phase, loss (the objective of that phase: data term + penalties,
unnormalised), and, when the true eps is given, Error% (Eq. 6.2 / facts Sect. 3.6) and eps_pred; plus
wall times.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from coarsepde.kinetic.features import FeatureLoss, MappedModel, has_spatial_weights, zero_model_loss
from coarsepde.kinetic.fitdata import FitData, starts
from coarsepde.kinetic.least_squares import gauss_newton, least_squares, restore_parameters, snapshot_parameters
from coarsepde.kinetic.losses import continuity_penalty, sparsity_penalty
from coarsepde.kinetic.losses import loss as direct_loss
from coarsepde.kinetic.schemes import get_scheme
from coarsepde.kinetic.scoring import error_percent

__all__ = ["FitHistory", "fit"]

log_ = logging.getLogger(__name__)
DTYPE = torch.float64


@dataclass
class FitHistory:
    """Trace of a :func:`fit` run (lists aligned by record) and its summary."""

    iteration: list[int] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    error: list[float] = field(default_factory=list)
    eps_pred: list[float] = field(default_factory=list)
    adam_seconds: float = 0.0
    lsq_seconds: float = 0.0
    lsq_evaluations: int = 0
    gn_iterations: int = 0
    lbfgs_seconds: float = 0.0
    lbfgs_evaluations: int = 0
    setup_seconds: float = 0.0
    final_loss: float = math.nan
    final_error: float = math.nan
    final_eps_pred: float = math.nan

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def fit(
    model,
    data: FitData,
    scheme,
    *,
    adam_steps: int = 0,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    lsq_steps: int = 300,
    gn_iterations: int = 4,
    lbfgs_steps: int = 0,
    norm: str = "l1",
    lbfgs_norm: str | tuple[str, ...] | None = None,
    lbfgs_restarts: int = 2,
    sparsity: float = 0.0,
    mean_zero: float = 0.0,
    sparsity_reduction: str = "sum",
    continuity: float = 0.0,
    seed: int = 0,
    batch_windows: int | None = None,
    windows=None,
    eps_true: float | None = None,
    sigma_s: float = 1.0,
    history_every: int = 100,
    log: Callable[[str], None] | bool | None = None,
    fast: bool | None = None,
    x_stride: int = 1,
    rho_model=None,
    lbfgs_history: int = 50,
    scheme_kw: dict | None = None,
) -> FitHistory:
    """Adam, least squares, then L-BFGS on the fitting loss of ``scheme``; updates ``model`` (and
    ``rho_model``) in place. The defaults are the least-squares phase alone (see the module docstring).

    Parameters
    ----------
    model : MultiscaleDCRNN (g-equation).  data : :class:`FitData`.  scheme : name or Scheme.
    adam_steps, lr, betas : Adam (TF defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8); 0 skips Adam.
    lsq_steps : after Adam, at most this many residual evaluations of a trust-region least-squares solve
        (scipy ``least_squares``, method "trf", x_scale "jac", exact Jacobian by autograd) of the l2 data
        term (+ the l2 <g> = 0 penalty; not the sparsity term) in its reduced form
        (:meth:`FeatureLoss.reduced_residual`). For the schemes nonlinear in F (ARS(2,2,2), RK4) it is the
        inner budget of each of at most ``gn_iterations`` Gauss-Newton steps in coefficient space
        (:func:`gauss_newton`; on the ``windows`` if given). 0 skips it.
    lbfgs_steps : L-BFGS iterations per run (at most 1.25x as many loss evaluations); 0 skips L-BFGS.
    norm : data-term norm of the Adam phase ("l1", the paper's choice, or "l2").
    lbfgs_norm : norm of the L-BFGS phase, or a sequence of norms run one after the other, e.g.
        ("l2", "l1"): the smooth least-squares problem first (cheap in its reduced form on the fast
        path), then the paper's L1 loss from its optimum. Default: ``norm``.
    lbfgs_restarts : extra L-BFGS runs (fresh curvature history) per norm while the previous run
        lowered the loss; L-BFGS stops early at kinks of the L1 loss and in flat valleys.
    sparsity, sparsity_reduction : gamma and the form of the L1 penalty (Eq. 4.17 / 5.16; "sum", or
        the notebook's per-tensor "mean").  mean_zero : weight of the <g> = 0 penalty (Eq. 4.15).
    continuity : gamma of the continuity penalty ||grad_x theta(x)||_1 of the x-dependent parameters (Eq. 4.18,
        :func:`~coarsepde.kinetic.losses.continuity_penalty`; Adam and L-BFGS phases, not least squares).
    seed : seeds the window sampling of the stochastic variant.
    batch_windows : N_s random time windows per Adam step (Sect. 5.2 stochastic variant); None = all.
    windows : a fixed subset of window start indices used by every phase (None = all usable windows).
    eps_true, sigma_s : when eps_true is given, Error% (Eq. 6.2) and eps_pred are recorded.
    history_every : record every this many Adam steps / L-BFGS evaluations (first and last always).
    log : callable(str), True (this module's logger) or None.
    fast : use :class:`FeatureLoss` (default: whenever the scheme is a linear multistep form, the
        weights are x-independent and no rho-model is trained).  x_stride : its x subsampling.
    rho_model : learned rho-equation model (ARS(2,2,2) only; trained jointly).
    scheme_kw : extra keywords of the scheme (ARS: sigma_a, source, tableau).

    The L-BFGS objective is divided by :func:`zero_model_loss` (a constant), so its tolerances are
    scale-free; a non-finite loss (overflow during a line search) is answered with a huge value, and a
    run that ends non-finite or worse than it started is rolled back.
    """
    t_setup = time.perf_counter()
    sch = get_scheme(scheme)
    scheme_kw = dict(scheme_kw or {})
    norms = (norm,) if lbfgs_norm is None else ((lbfgs_norm,) if isinstance(lbfgs_norm, str) else tuple(lbfgs_norm))
    if log is True:
        log = log_.info
    if fast is None:
        fast = (
            sch.stencil is not None
            and not has_spatial_weights(model)
            and model.relaxation().dim() == 0
            and rho_model is None
            and not scheme_kw
            and model.equation == "g"
        )
    params = [
        p for m in ([model] if rho_model is None else [model, rho_model]) for p in m.parameters() if p.requires_grad
    ]
    models = [model] if rho_model is None else [model, rho_model]
    gen = torch.Generator().manual_seed(int(seed))
    all_windows = starts(data, sch.span, windows)
    fixed = None if windows is None else all_windows

    feats: dict[str, FeatureLoss] = {}
    mapped = model
    if not fast and not has_spatial_weights(model) and model.equation == "g":
        mapped = MappedModel(model, data.ops.odd_moments_vanish)

    def data_objective(which_norm: str, idx=None) -> torch.Tensor:
        if fast:
            if which_norm not in feats:
                feats[which_norm] = FeatureLoss(
                    model, data, sch, norm=which_norm, mean_zero=mean_zero, x_stride=x_stride
                )
            return feats[which_norm](model, idx)
        return direct_loss(
            mapped, data, sch, norm=which_norm, mean_zero=mean_zero, idx=idx, rho_model=rho_model, **scheme_kw
        )

    def objective(which_norm: str, idx=None) -> torch.Tensor:
        total = data_objective(which_norm, fixed if idx is None else idx)
        if sparsity:
            total = total + sparsity * sparsity_penalty(models, sparsity_reduction)
        if continuity:
            total = total + continuity * continuity_penalty(models, data.ops.dx)
        return total

    hist = FitHistory()

    def record(it: int, phase: str, value: float) -> None:
        hist.iteration.append(int(it))
        hist.phase.append(phase)
        hist.loss.append(float(value))
        if eps_true is not None:
            with torch.no_grad():
                err = error_percent(model.coefficients(), eps_true, sigma_s)
                hist.error.append(float(err))
                hist.eps_pred.append(float(model.eps_pred()))
        if log:
            extra = f" Error% {hist.error[-1]:.4g} eps_pred {hist.eps_pred[-1]:.4g}" if eps_true is not None else ""
            log(f"[{sch.name}] {phase} {it}: loss {value:.6e}{extra}")

    if fast:  # build the word features now (timed as setup)
        with torch.no_grad():
            for nm in (
                ({norm} if adam_steps else set())
                | (set(norms) if lbfgs_steps else set())
                | ({"l2"} if lsq_steps else set())
            ):
                data_objective(nm)
    hist.setup_seconds = time.perf_counter() - t_setup

    # --- Adam -------------------------------------------------------------------------------
    t0 = time.perf_counter()
    it = 0
    if adam_steps:
        opt = torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8)
        nw = len(all_windows)
        for step in range(adam_steps):
            idx = None
            if batch_windows is not None and batch_windows < nw:
                idx = all_windows[torch.randperm(nw, generator=gen)[:batch_windows].sort().values]
            opt.zero_grad(set_to_none=True)
            val = objective(norm, idx)
            val.backward()
            if step % history_every == 0:
                # the recorded loss is always over all windows (a minibatch value depends on which windows
                # were drawn, and would make traces of different runs incomparable)
                if idx is None:
                    record(step, "adam", val.item())
                else:
                    with torch.no_grad():
                        record(step, "adam", objective(norm).item())
            opt.step()
        it = adam_steps
        with torch.no_grad():
            record(it, "adam", objective(norm).item())
    hist.adam_seconds = time.perf_counter() - t0

    # --- trust-region least squares on the reduced l2 residual ---------------------------------
    t0 = time.perf_counter()
    if lsq_steps:
        if fast:
            if "l2" not in feats:
                feats["l2"] = FeatureLoss(model, data, sch, norm="l2", mean_zero=mean_zero, x_stride=x_stride)
            nfev = least_squares(model, feats["l2"].reduced_residual, int(lsq_steps))
        else:
            if rho_model is not None or has_spatial_weights(model) or model.relaxation().dim() > 0 or mean_zero:
                raise ValueError("the Gauss-Newton phase needs scalar weights, no rho-model, no <g> penalty")
            hist.gn_iterations, nfev = gauss_newton(
                model,
                data,
                sch,
                iterations=gn_iterations,
                inner_nfev=int(lsq_steps),
                idx=fixed,
                scheme_kw=scheme_kw,
                log=log,
            )
        hist.lsq_evaluations = nfev
        it += nfev
        with torch.no_grad():
            record(it, "lsq", objective("l2").item())
    hist.lsq_seconds = time.perf_counter() - t0

    # --- L-BFGS -------------------------------------------------------------------------------
    t0 = time.perf_counter()
    if lbfgs_steps:
        count = {"n": 0}
        for nm in norms:
            scale = zero_model_loss(data, sch, nm, model.equation)
            scale = scale if scale > 0 else 1.0
            phase = f"lbfgs-{nm}"

            def closure():  # called by opt.step within this iteration, so the loop variables are current
                opt.zero_grad(set_to_none=True)  # noqa: B023
                val = objective(nm)  # noqa: B023
                if not torch.isfinite(val):
                    return torch.tensor(1e30, dtype=DTYPE)
                (val / scale).backward()  # noqa: B023
                if count["n"] % history_every == 0:
                    record(it + count["n"], phase, val.item())  # noqa: B023
                count["n"] += 1
                return val / scale  # noqa: B023

            with torch.no_grad():
                best = objective(nm).item()
            for _ in range(1 + int(lbfgs_restarts)):
                backup = snapshot_parameters(params)
                opt = torch.optim.LBFGS(
                    params,
                    lr=1.0,
                    max_iter=int(lbfgs_steps),
                    max_eval=int(1.25 * lbfgs_steps) + 1,
                    tolerance_grad=1e-12,
                    tolerance_change=1e-15,
                    history_size=int(lbfgs_history),
                    line_search_fn="strong_wolfe",
                )
                opt.step(closure)
                with torch.no_grad():
                    now = objective(nm).item() if all(torch.isfinite(p).all() for p in params) else math.inf
                if not now < best:
                    restore_parameters(params, backup)
                    break
                improved = (best - now) > 1e-6 * abs(best)
                best = now
                if not improved:
                    break
            with torch.no_grad():
                record(it + count["n"], phase, objective(nm).item())
        hist.lbfgs_evaluations = count["n"]
    hist.lbfgs_seconds = time.perf_counter() - t0

    hist.final_loss = hist.loss[-1] if hist.loss else math.nan
    if eps_true is not None and hist.error:
        hist.final_error = hist.error[-1]
        hist.final_eps_pred = hist.eps_pred[-1]
    return hist

"""Training of the DC-RNN g-equation models (Sect. 5.2): Adam, least squares, L-BFGS.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
:func:`fit` minimises the fitting loss of :mod:`coarsepde.kinetic.fitting` (residual of a fitting scheme
+ sparsity + <g> = 0 penalty) over all parameters of a :class:`~coarsepde.kinetic.dcrnn.MultiscaleDCRNN`,
in up to three phases, each optional, each a small frozen dataclass of :mod:`coarsepde.kinetic.protocols`:

1. :class:`AdamSettings`: Adam, TF defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8; the authors'
   ``AdamOptimizer()``), full batch or the stochastic variant of Sect. 5.2 (``batch_windows`` = N_s random
   time windows per step);
2. :class:`LeastSquares`: a trust-region least-squares solve (scipy ``least_squares``, "trf", Jacobian scaling,
   exact Jacobians by autograd) of the l2 data term. For the linear multistep schemes the residual is
   reduced exactly to W + 2 numbers (:meth:`~coarsepde.kinetic.features.FeatureLoss.reduced_residual`); for ARS(2,2,2) / RK4 it is
   a Gauss-Newton iteration in coefficient space (:func:`~coarsepde.kinetic.least_squares.gauss_newton`);
3. :class:`Lbfgs`: torch L-BFGS (strong-Wolfe line search, restarts), on the l1 loss of the paper or on l2, e.g. as an
   L1 polish of the least-squares optimum (the paper's L-BFGS-B, Example 6.10).

Penalties (:class:`Penalties`) enter the Adam and L-BFGS objectives; a :class:`Monitor` says what is recorded.

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
from dataclasses import dataclass, field

import torch

from coarsepde.kinetic.features import FeatureLoss, MappedModel, has_spatial_weights, zero_model_loss
from coarsepde.kinetic.fitdata import FitData, starts
from coarsepde.kinetic.least_squares import gauss_newton, least_squares, restore_parameters, snapshot_parameters
from coarsepde.kinetic.losses import continuity_penalty, sparsity_penalty
from coarsepde.kinetic.losses import loss as direct_loss
from coarsepde.kinetic.protocols import NORMS, AdamSettings, Lbfgs, LeastSquares, Monitor, Penalties
from coarsepde.kinetic.schemes import get_scheme
from coarsepde.kinetic.scoring import error_percent

__all__ = ["FitHistory", "fit", "AdamSettings", "LeastSquares", "Lbfgs", "Penalties", "Monitor"]

log_ = logging.getLogger(__name__)
DTYPE = torch.float64
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # TF defaults, the authors' AdamOptimizer()
NO_PENALTIES, NO_MONITOR = Penalties(), Monitor()


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
    adam: AdamSettings | None = None,
    lsq: LeastSquares | None = None,
    lbfgs: Lbfgs | None = None,
    norm: str = "l1",
    penalties: Penalties = NO_PENALTIES,
    windows=None,
    monitor: Monitor = NO_MONITOR,
    rho_model=None,
    scheme_kw: dict | None = None,
) -> FitHistory:
    """Adam, least squares, then L-BFGS on the fitting loss of ``scheme`` (the phases given, in this order; at
    least one); updates ``model`` (and ``rho_model``) in place.

    Parameters
    ----------
    model : MultiscaleDCRNN (g-equation).  data : :class:`FitData`.  scheme : name or Scheme.
    adam : :class:`AdamSettings`; ``norm`` is its data-term norm ("l1", the paper's choice, or "l2").
    lsq : :class:`LeastSquares`: a trust-region solve (scipy ``least_squares``, "trf", x_scale "jac", exact
        Jacobian by autograd) of the l2 data term (+ the l2 <g> = 0 penalty; not the sparsity term) in its
        reduced form (:meth:`FeatureLoss.reduced_residual`); for the schemes nonlinear in F (ARS(2,2,2), RK4)
        the Gauss-Newton iteration of :func:`gauss_newton` (on the ``windows`` if given).
    lbfgs : :class:`Lbfgs`; L-BFGS stops early at kinks of the L1 loss and in flat valleys, hence restarts.
    penalties : :class:`Penalties` added to the data term in the Adam and L-BFGS phases.
    windows : a fixed subset of window start indices used by every phase (None = all usable windows).
    monitor : :class:`Monitor`: Error% (Eq. 6.2) and eps_pred in the history when ``eps_true`` is given; a log.
    rho_model : learned rho-equation model (ARS(2,2,2) only; trained jointly).
    scheme_kw : extra keywords of the scheme (ARS: sigma_a, source, tableau).

    The data pass is :class:`FeatureLoss` (word features computed once) whenever the scheme is a linear
    multistep form, the weights are x-independent and no rho-model is trained. The L-BFGS objective is divided
    by :func:`zero_model_loss` (a constant), so its tolerances are scale-free; a non-finite loss (overflow
    during a line search) is answered with a huge value, and a run that ends non-finite or worse than it
    started is rolled back.
    """
    adam = adam if adam is not None and adam.steps else None  # 0 steps: no Adam phase, no record
    if adam is None and lsq is None and lbfgs is None:
        raise ValueError("fit needs at least one phase: adam (steps > 0), lsq or lbfgs")
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    t_setup = time.perf_counter()
    sch = get_scheme(scheme)
    scheme_kw = dict(scheme_kw or {})
    log = monitor.log
    fast = (
        sch.stencil is not None
        and not has_spatial_weights(model)
        and model.relaxation().dim() == 0
        and rho_model is None
        and not scheme_kw
        and model.equation == "g"
    )
    models = [model] if rho_model is None else [model, rho_model]
    params = [p for m in models for p in m.parameters() if p.requires_grad]
    all_windows = starts(data, sch.span, windows)
    fixed = None if windows is None else all_windows

    feats: dict[str, FeatureLoss] = {}
    mapped = model
    if not fast and not has_spatial_weights(model) and model.equation == "g":
        mapped = MappedModel(model, data.ops.odd_moments_vanish)

    def data_objective(which_norm: str, idx=None) -> torch.Tensor:
        if fast:
            if which_norm not in feats:
                feats[which_norm] = FeatureLoss(model, data, sch, norm=which_norm, mean_zero=penalties.mean_zero)
            return feats[which_norm](model, idx)
        return direct_loss(
            mapped,
            data,
            sch,
            norm=which_norm,
            mean_zero=penalties.mean_zero,
            idx=idx,
            rho_model=rho_model,
            **scheme_kw,
        )

    def objective(which_norm: str, idx=None) -> torch.Tensor:
        total = data_objective(which_norm, fixed if idx is None else idx)
        if penalties.sparsity:
            total = total + penalties.sparsity * sparsity_penalty(models, penalties.reduction)
        if penalties.continuity:
            total = total + penalties.continuity * continuity_penalty(models, data.ops.dx)
        return total

    hist = FitHistory()

    def record(it: int, phase: str, value: float) -> None:
        hist.iteration.append(int(it))
        hist.phase.append(phase)
        hist.loss.append(float(value))
        if monitor.eps_true is not None:
            with torch.no_grad():
                err = error_percent(model.coefficients(), monitor.eps_true, monitor.sigma_s)
                hist.error.append(float(err))
                hist.eps_pred.append(float(model.eps_pred()))
        if log:
            extra = f" Error% {hist.error[-1]:.4g} eps_pred {hist.eps_pred[-1]:.4g}" if hist.error else ""
            log(f"[{sch.name}] {phase} {it}: loss {value:.6e}{extra}")

    if fast:  # build the word features now (timed as setup)
        with torch.no_grad():
            needed = ({norm} if adam else set()) | (set(lbfgs.norms) if lbfgs else set()) | ({"l2"} if lsq else set())
            for nm in needed:
                data_objective(nm)
    hist.setup_seconds = time.perf_counter() - t_setup

    it = 0
    if adam is not None:
        t0 = time.perf_counter()
        it = _adam_phase(adam, norm, params, objective, record, all_windows)
        hist.adam_seconds = time.perf_counter() - t0
    if lsq is not None:
        t0 = time.perf_counter()
        if fast:
            if "l2" not in feats:
                feats["l2"] = FeatureLoss(model, data, sch, norm="l2", mean_zero=penalties.mean_zero)
            nfev = least_squares(model, feats["l2"].reduced_residual, lsq.steps)
        else:
            if (
                rho_model is not None
                or has_spatial_weights(model)
                or model.relaxation().dim() > 0
                or penalties.mean_zero
            ):
                raise ValueError("the Gauss-Newton phase needs scalar weights, no rho-model, no <g> penalty")
            hist.gn_iterations, nfev = gauss_newton(
                model,
                data,
                sch,
                iterations=lsq.gn_iterations,
                inner_nfev=lsq.steps,
                idx=fixed,
                scheme_kw=scheme_kw,
                log=log,
            )
        hist.lsq_evaluations = nfev
        it += nfev
        with torch.no_grad():
            record(it, "lsq", objective("l2").item())
        hist.lsq_seconds = time.perf_counter() - t0
    if lbfgs is not None:
        t0 = time.perf_counter()
        hist.lbfgs_evaluations = _lbfgs_phase(lbfgs, it, params, objective, record, data, sch, model.equation)
        hist.lbfgs_seconds = time.perf_counter() - t0

    hist.final_loss = hist.loss[-1] if hist.loss else math.nan
    if monitor.eps_true is not None and hist.error:
        hist.final_error = hist.error[-1]
        hist.final_eps_pred = hist.eps_pred[-1]
    return hist


def _adam_phase(adam: AdamSettings, norm: str, params, objective, record, all_windows) -> int:
    """Adam (TF defaults) from iteration 0; returns the iteration count after it."""
    gen = torch.Generator().manual_seed(int(adam.seed))
    opt = torch.optim.Adam(params, lr=adam.lr, betas=ADAM_BETAS, eps=ADAM_EPS)
    nw = len(all_windows)
    for step in range(adam.steps):
        idx = None
        if adam.batch_windows is not None and adam.batch_windows < nw:
            idx = all_windows[torch.randperm(nw, generator=gen)[: adam.batch_windows].sort().values]
        opt.zero_grad(set_to_none=True)
        val = objective(norm, idx)
        val.backward()
        if step % adam.history_every == 0:
            # the recorded loss is always over all windows (a minibatch value depends on which windows were
            # drawn, and would make traces of different runs incomparable)
            if idx is None:
                record(step, "adam", val.item())
            else:
                with torch.no_grad():
                    record(step, "adam", objective(norm).item())
        opt.step()
    with torch.no_grad():
        record(adam.steps, "adam", objective(norm).item())
    return adam.steps


def _lbfgs_phase(lbfgs: Lbfgs, it: int, params, objective, record, data, sch, equation: str) -> int:
    """L-BFGS on each norm in turn, records continuing from iteration ``it``; returns the loss evaluations."""
    count = {"n": 0}
    for nm in lbfgs.norms:
        scale = zero_model_loss(data, sch, nm, equation)
        scale = scale if scale > 0 else 1.0
        phase = f"lbfgs-{nm}"

        def closure():  # called by opt.step within this iteration, so the loop variables are current
            opt.zero_grad(set_to_none=True)  # noqa: B023
            val = objective(nm)  # noqa: B023
            if not torch.isfinite(val):
                return torch.tensor(1e30, dtype=DTYPE)
            (val / scale).backward()  # noqa: B023
            if count["n"] % lbfgs.history_every == 0:
                record(it + count["n"], phase, val.item())  # noqa: B023
            count["n"] += 1
            return val / scale  # noqa: B023

        with torch.no_grad():
            best = objective(nm).item()
        for _ in range(1 + lbfgs.restarts):
            backup = snapshot_parameters(params)
            opt = torch.optim.LBFGS(
                params,
                lr=1.0,
                max_iter=lbfgs.steps,
                max_eval=int(1.25 * lbfgs.steps) + 1,
                tolerance_grad=1e-12,
                tolerance_change=1e-15,
                history_size=lbfgs.history,
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
    return count["n"]

"""Batched explicit time integration: adaptive Bogacki-Shampine RK23 with per-sample divergence
detection (its step and controller: :mod:`coarsepde.numerics.rk23`; plain differentiable fixed-step
schemes: :mod:`coarsepde.numerics.runge_kutta`).

Bar-Sinai et al. (2019) integrated every method-of-lines solution with
``scipy.integrate.solve_ivp(method="RK23", max_step=0.01)`` (default rtol = 1e-3, atol = 1e-6), one
sample at a time, and filled the rest of a trajectory with NaN after a solver failure (a learned
model that blows up). :func:`integrate` reproduces that solver's accuracy -- same tableau, same
error norm, same step-size controller, same initial-step heuristic -- but advances a whole batch of
independent samples together, so every right-hand-side evaluation is one batched (e.g.
neural-network) call. Two ways to share the work (``steps``):

* "shared" (default): ONE step size for the batch, accepted when the error norm of every alive
  sample is < 1, so each sample is integrated at least as accurately as scipy would on its own,
  but the stiffest sample sets everyone's step (more rhs calls than any sample needs alone);
* "independent": every sample keeps its own time, step size and accept/reject decision (the
  controller of the shared loop applied to that sample alone; a rejected sample retries while the
  others advance, in the same batched call). Each sample's result is then that of integrating it
  alone -- independent of the batch composition -- at scipy's per-sample cost in rhs calls. The
  rhs receives a (b,) tensor of per-sample times.

Differences from scipy, all deliberate:

* steps are shortened to land exactly on the output times (no dense-output interpolation, whose
  cubic Hermite error scipy adds on top of the step error);
* a sample that diverges is dropped from the batch instead of stopping the solve (see below).

Divergence: a sample is declared diverged, its outputs NaN from the first output time after it
on, and ``t_diverged[b]`` the time it reached, when

1. after an accepted step its state is non-finite or max|y| > ``bound`` (t_diverged = the new
   time; the output at that time is already NaN), or
2. the shared step would have to shrink below ``min_step`` (scipy's "required step size is less
   than spacing between numbers" failure, with a practical floor): the step is then tried at
   ``min_step``; every sample whose error norm there is >= 1 (or non-finite) is declared diverged at
   the current time, and the step is accepted for all the others.

Diverged rows are removed from the working batch (compaction), so later right-hand-side calls see
only the alive rows; the ``rows`` argument tells the callee which original samples those are.

Right-hand-side contract: ``rhs(t: float, y: Tensor (b, ...), rows: LongTensor (b,)) -> Tensor
(b, ...)``, where the first dim of ``y`` is the batch and ``rows[j]`` is the index, in the
original batch ``y0``, of the sample in row j of ``y``. ``rhs`` must treat rows independently
(anything per-sample, e.g. a forcing term, must be looked up with ``rows``), because it may be
called with any sub-batch.

Grad mode: :func:`integrate` does not change it. It works under autograd (its step control is
computed on detached errors), but callers that only evaluate a model should wrap it in
``torch.inference_mode()`` to avoid keeping the graph.

References
----------
P. Bogacki and L. F. Shampine, "A 3(2) pair of Runge-Kutta formulas", Appl. Math. Lett. 2,
321-325 (1989).
E. Hairer, S. P. Norsett, G. Wanner, "Solving Ordinary Differential Equations I", Sec. II.4
(error norm, step-size control and the initial-step heuristic, as in scipy.integrate.RK23).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from coarsepde.numerics.ode_result import Rhs, Solution
from coarsepde.numerics.rk23 import (
    ERROR_EXPONENT,
    ERROR_WEIGHTS,
    MAX_FACTOR,
    MIN_FACTOR,
    SAFETY,
    bad_rows,
    bs23_step,
    growth,
    initial_step,
    initial_step_independent,
    rms,
)

__all__ = ["Solution", "integrate", "Rhs"]


def _integrate_independent(
    f,
    y0: torch.Tensor,
    t_eval: np.ndarray,
    t0: float,
    out: torch.Tensor,
    t_diverged: np.ndarray,
    counts: dict,
    *,
    max_step: float,
    rtol: float,
    atol: float,
    first_step,
    min_step: float,
    bound: float,
) -> np.ndarray:
    """The ``steps="independent"`` loop of :func:`integrate`: every sample has its own time, step
    size and rejection state, advanced together in one batched rhs call per stage. Each sample's
    accept/reject decision, step-size update, output clipping and floor handling are exactly those
    of the shared loop run on that sample alone. Fills ``out`` and ``t_diverged`` in place; returns
    the (B,) step proposals after the last output (NaN for samples that took no step)."""
    B, T = y0.shape[0], t_eval.size
    dev = y0.device
    te = torch.as_tensor(t_eval, dtype=torch.float64, device=dev)
    h_next_all = np.full(B, math.nan)
    rows = torch.arange(B, device=dev)
    y = y0
    k = torch.zeros(B, dtype=torch.long, device=dev)
    if t_eval[0] == t0:
        out[:, 0] = y0
        k += 1
    bad = bad_rows(y, bound)
    if bool(bad.any()):
        t_diverged[rows[bad].cpu().numpy()] = t0
        y, rows, k = y[~bad], rows[~bad], k[~bad]
    if rows.numel() == 0 or int(k[0]) == T:
        return h_next_all
    t = torch.full((rows.numel(),), t0, dtype=torch.float64, device=dev)
    fy = f(t, y, rows)
    if first_step is None:
        h_abs = initial_step_independent(f, t0, y, fy, rows, float(t_eval[-1] - t0), max_step, rtol, atol)
    else:
        h_abs = torch.tensor(
            np.broadcast_to(np.asarray(first_step, dtype=float), (B,)), dtype=torch.float64, device=dev
        )[rows]
        if not bool((h_abs > 0).all()):
            raise ValueError("first_step must be > 0")
    after_rejection = torch.zeros(rows.numel(), dtype=torch.bool, device=dev)
    bshape = (-1,) + (1,) * (y0.ndim - 1)
    inf = torch.tensor(math.inf, dtype=torch.float64, device=dev)

    while rows.numel() > 0:
        t_out = te[k]
        h_floor = torch.clamp(10.0 * (torch.nextafter(t, inf) - t), min=min_step)
        h_abs = torch.minimum(torch.maximum(h_abs, h_floor), torch.full_like(h_abs, max_step))
        clipped = t + h_abs * (1.0 + 1e-8) >= t_out
        t_new = torch.where(clipped, t_out, t + h_abs)
        h = t_new - t
        at_floor = torch.minimum(h_abs, t_out - t) <= h_floor
        hb = h.to(y.dtype).reshape(bshape)
        k2 = f(t + 0.5 * h, y + (0.5 * hb) * fy, rows)
        k3 = f(t + 0.75 * h, y + (0.75 * hb) * k2, rows)
        y_new = y + hb * ((2.0 / 9.0) * fy + (1.0 / 3.0) * k2 + (4.0 / 9.0) * k3)
        k4 = f(t_new, y_new, rows)
        with torch.no_grad():
            err = (
                hb
                * (
                    ERROR_WEIGHTS[0] * fy + ERROR_WEIGHTS[1] * k2 + ERROR_WEIGHTS[2] * k3 + ERROR_WEIGHTS[3] * k4
                ).detach()
            )
            scale = atol + rtol * torch.maximum(y.detach().abs(), y_new.detach().abs())
            err_norm = rms(err / scale).double()
            err_norm = torch.where(torch.isfinite(err_norm), err_norm, inf)
        ok = err_norm < 1.0
        n_rej = int((~ok).sum())
        counts["rejected"] += n_rej
        counts["steps"] += rows.numel() - n_rej
        # accepted: scipy's growth (capped at 1 right after a rejection); a step only shortened to hit
        # an output time does not shrink the next one
        safe = torch.where(ok, err_norm, torch.ones_like(err_norm))
        grow = torch.where(
            safe == 0, torch.full_like(safe, MAX_FACTOR), torch.clamp(SAFETY * safe.pow(ERROR_EXPONENT), max=MAX_FACTOR)
        )
        grow = torch.where(after_rejection, torch.clamp(grow, max=1.0), grow)
        h_acc = torch.where(clipped, torch.maximum(h * grow, h_abs), h * grow)
        # rejected: shrink (at least by MIN_FACTOR), never below the floor
        bad_err = torch.where(ok, torch.ones_like(err_norm), err_norm)
        shrink = torch.where(
            torch.isfinite(bad_err),
            torch.clamp(SAFETY * bad_err.pow(ERROR_EXPONENT), min=MIN_FACTOR),
            torch.full_like(bad_err, MIN_FACTOR),
        )
        h_rej = torch.maximum(h * shrink, h_floor)
        failed = ~ok & at_floor  # even the smallest admissible step fails: diverged at t
        if n_rej == 0:  # the common case: no per-sample selection of the (b, ...) states
            y, fy = y_new, k4
        else:
            okb = ok.reshape(bshape)
            y = torch.where(okb, y_new, y)
            fy = torch.where(okb, k4, fy)
        t = torch.where(ok, t_new, t)
        h_abs = torch.where(ok, h_acc, h_rej)
        after_rejection = ~ok
        bad = ok & bad_rows(y, bound)
        write = ok & clipped & ~bad
        if bool(write.any()):
            out[rows[write], k[write]] = y[write]
            h_next_all[rows[write].cpu().numpy()] = h_abs[write].cpu().numpy()
        k = torch.where(ok & clipped, k + 1, k)
        drop = failed | bad | (k >= T)
        if bool(drop.any()):
            if bool((failed | bad).any()):
                t_diverged[rows[failed | bad].cpu().numpy()] = t[failed | bad].cpu().numpy()
            keep = ~drop
            y, fy, rows, k, t, h_abs, after_rejection = (
                y[keep],
                fy[keep],
                rows[keep],
                k[keep],
                t[keep],
                h_abs[keep],
                after_rejection[keep],
            )
    return h_next_all


def integrate(
    rhs: Rhs,
    y0: torch.Tensor,
    t_eval,
    *,
    t0: float | None = None,
    max_step: float = 0.01,
    rtol: float = 1e-3,
    atol: float = 1e-6,
    first_step: float | None = None,
    min_step: float = 1e-6,
    bound: float = 1e6,
    steps: str = "shared",
) -> Solution:
    """Integrate dy/dt = rhs(t, y, rows) for a batch of independent samples with adaptive RK23.

    Parameters
    ----------
    rhs : ``rhs(t, y, rows) -> dy/dt``, see the module docstring: ``y`` is (b, ...) with b <= B
        the alive samples, ``rows`` the LongTensor of their indices in ``y0``; rows independent.
    y0 : (B, ...) state at ``t0``.
    t_eval : strictly increasing 1D array of output times, all >= t0.
    t0 : initial time; defaults to ``t_eval[0]`` (whose output is then ``y0`` itself).
    max_step, rtol, atol, first_step : as in ``scipy.integrate.solve_ivp(method="RK23")``; the error
        norm of a sample is sqrt(mean((err / (atol + rtol max(|y|, |y_new|)))^2)) over its non-batch
        dims, and a shared step is accepted when every alive sample's norm is < 1.
    min_step : smallest step the controller may need before the samples that still fail at it are
        declared diverged.
    bound : samples with max|y| > bound after a step are declared diverged.
    steps : "shared" (one step size for the batch, see the module docstring) or "independent"
        (every sample its own time, step size and accept/reject decision, each exactly as the shared
        loop would integrate it alone, and still one batched rhs call per stage: the rhs then receives
        a (b,) float64 tensor of per-sample times instead of a float). ``first_step`` may then be a
        (B,) array, and ``Solution.h_next`` is (B,); ``n_steps`` / ``n_rejected`` count per-sample
        steps. Independent steps make each sample's result independent of the batch it is in.

    Returns
    -------
    :class:`Solution` with ``y`` of shape (B, T, ...), NaN after divergence.
    """
    t_eval = np.asarray(t_eval, dtype=float).reshape(-1)
    if t_eval.size == 0 or not np.all(np.isfinite(t_eval)):
        raise ValueError("t_eval must be a non-empty array of finite times")
    if np.any(np.diff(t_eval) <= 0):
        raise ValueError("t_eval must be strictly increasing")
    t0 = float(t_eval[0]) if t0 is None else float(t0)
    if t_eval[0] < t0:
        raise ValueError(f"t_eval starts at {t_eval[0]} < t0 = {t0}")
    if not (max_step > 0 and rtol > 0 and atol >= 0 and min_step >= 0 and bound > 0):
        raise ValueError("need max_step > 0, rtol > 0, atol >= 0, min_step >= 0, bound > 0")
    if y0.ndim < 1:
        raise ValueError("y0 must have a batch dim")
    if steps not in ("shared", "independent"):
        raise ValueError(f"steps must be 'shared' or 'independent', got {steps!r}")

    B, T = y0.shape[0], t_eval.size
    out = torch.full((B, T) + tuple(y0.shape[1:]), math.nan, dtype=y0.dtype, device=y0.device)
    t_diverged = np.full(B, np.inf)
    counts = {"nfev": 0, "steps": 0, "rejected": 0}

    def f(t: float, y: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        counts["nfev"] += 1
        dy = rhs(t, y, rows)
        if dy.shape != y.shape:
            raise ValueError(f"rhs returned shape {tuple(dy.shape)} for a state of shape {tuple(y.shape)}")
        return dy

    h_abs = math.nan

    if steps == "independent":
        h_abs = _integrate_independent(
            f,
            y0,
            t_eval,
            t0,
            out,
            t_diverged,
            counts,
            max_step=max_step,
            rtol=rtol,
            atol=atol,
            first_step=first_step,
            min_step=min_step,
            bound=bound,
        )

    def finish() -> Solution:
        return Solution(
            t=t_eval.copy(),
            y=out,
            t_diverged=t_diverged,
            nfev=counts["nfev"],
            n_steps=counts["steps"],
            n_rejected=counts["rejected"],
            h_next=h_abs,
        )

    if steps == "independent":
        return finish()
    t, y = t0, y0
    rows = torch.arange(B, device=y0.device)
    k = 0  # next output to write
    if t_eval[0] == t0:
        out[:, 0] = y0
        k = 1
    bad = bad_rows(y, bound)
    if bool(bad.any()):
        t_diverged[rows[bad].cpu().numpy()] = t0
        y, rows = y[~bad], rows[~bad]
    if k == T or rows.numel() == 0:
        return finish()

    fy = f(t, y, rows)
    if first_step is None:
        h_abs = initial_step(f, t, y, fy, rows, float(t_eval[-1] - t0), max_step, rtol, atol)
    else:
        if not first_step > 0:
            raise ValueError("first_step must be > 0")
        h_abs = float(first_step)

    while k < T and rows.numel() > 0:
        t_out = float(t_eval[k])
        # never below the float resolution at t (scipy's own floor), else t + h == t
        h_floor = max(min_step, 10.0 * float(np.spacing(t)))
        h_abs = min(max(h_abs, h_floor), max_step)
        after_rejection = False
        while True:
            # shorten the step to land exactly on the next output time (and absorb slivers < 1e-8 h)
            clipped = t + h_abs * (1.0 + 1e-8) >= t_out
            t_new = t_out if clipped else t + h_abs
            h = t_new - t
            # decided on the intended step, not on h, which t + h_abs - t may round up by an ulp
            at_floor = min(h_abs, t_out - t) <= h_floor
            y_new, f_new, err = bs23_step(f, t, y, fy, h, rows)
            with torch.no_grad():
                scale = torch.maximum(y.detach().abs(), y_new.detach().abs()).mul_(rtol).add_(atol)
                err_norm = rms(err.div_(scale))
            err_max = float(err_norm.max())  # NaN propagates: a non-finite error rejects the step
            if err_max < 1.0:
                h_next = h * growth(err_max, after_rejection)
                keep = None
                break
            counts["rejected"] += 1
            if at_floor:
                # even the smallest admissible step fails for some samples: they diverged at t;
                # accept the step for the others (their errors at this h are < 1)
                fail = ~(err_norm < 1.0)  # NaN fails too
                t_diverged[rows[fail].cpu().numpy()] = t
                keep = ~fail
                rest = err_norm[keep]
                # the rejections were caused by the dropped samples: let the survivors' own error
                # set the next step (growth allowed), else the batch would crawl at the floor
                h_next = h * growth(float(rest.max()) if rest.numel() else 0.0, False)
                break
            factor = MIN_FACTOR if not math.isfinite(err_max) else max(MIN_FACTOR, SAFETY * err_max**ERROR_EXPONENT)
            # if a step below the floor would be needed, make one last attempt at the floor itself
            h_abs = max(h * factor, h_floor)
            after_rejection = True

        if keep is not None:
            y_new, f_new, rows = y_new[keep], f_new[keep], rows[keep]
        counts["steps"] += 1
        if clipped:
            # the step was only shortened to hit t_out: do not let that shrink the next one
            h_next = max(h_next, h_abs)
        h_abs = h_next
        t, y, fy = t_new, y_new, f_new

        bad = bad_rows(y, bound)
        if bool(bad.any()):
            t_diverged[rows[bad].cpu().numpy()] = t
            y, fy, rows = y[~bad], fy[~bad], rows[~bad]
        if clipped:
            if rows.numel():
                out[rows, k] = y
            k += 1
    return finish()

"""The Bogacki-Shampine 3(2) Runge-Kutta pair and the step-size controller of scipy's RK23, on batches.

The building blocks of :func:`coarsepde.numerics.ode.integrate`: one step with its embedded error
estimate (:func:`bs23_step`), scipy's error norm (:func:`rms` of the error over atol + rtol |y|), its
initial-step heuristic (:func:`initial_step`, and per sample :func:`initial_step_independent`), its step
growth after an accepted step (:func:`growth`) and the divergence test (:func:`bad_rows`). Right-hand
sides follow the contract of :mod:`coarsepde.numerics.ode`.

References
----------
P. Bogacki and L. F. Shampine, "A 3(2) pair of Runge-Kutta formulas", Appl. Math. Lett. 2,
321-325 (1989).
E. Hairer, S. P. Norsett, G. Wanner, "Solving Ordinary Differential Equations I", Sec. II.4
(error norm, step-size control and the initial-step heuristic, as in scipy.integrate.RK23).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "SAFETY",
    "MIN_FACTOR",
    "MAX_FACTOR",
    "ERROR_EXPONENT",
    "ERROR_WEIGHTS",
    "rms",
    "bad_rows",
    "initial_step",
    "initial_step_independent",
    "bs23_step",
    "growth",
]

# step-size controller constants of scipy.integrate._ivp.rk
SAFETY = 0.9
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0
# Bogacki-Shampine: the error estimate is of the embedded 2nd-order formula, so err ~ h^3
ERROR_EXPONENT = -1.0 / 3.0
# error weights E (on k1, k2, k3 and the FSAL stage k4 = f(t + h, y_new)), as in scipy's RK23
ERROR_WEIGHTS = (5.0 / 72.0, -1.0 / 12.0, -1.0 / 9.0, 1.0 / 8.0)


def rms(x: torch.Tensor) -> torch.Tensor:
    """Per-sample RMS over all non-batch dims (scipy's ``norm(x) / sqrt(n)``), shape (b,)."""
    return x.reshape(x.shape[0], math.prod(x.shape[1:])).pow(2).mean(dim=1).sqrt()


def bad_rows(y: torch.Tensor, bound: float) -> torch.Tensor:
    """(b,) bool: state non-finite or max|y| beyond ``bound``."""
    flat = y.detach().reshape(y.shape[0], math.prod(y.shape[1:]))  # (not -1: b may be 0)
    # amax propagates NaN and inf, and NaN <= bound is False: one reduction catches all three
    return ~(flat.abs().amax(dim=1) <= bound)


def initial_step(f, t0, y0, f0, rows, interval, max_step, rtol, atol) -> float:
    """scipy's ``select_initial_step`` (Hairer et al. II.4) on a batch; the smallest over samples.

    scipy perturbs each sample by its own h0; the right-hand side here takes one scalar time, so
    the batch uses the smallest h0 of its samples for the probe evaluation.
    """
    with torch.no_grad():
        y0d, f0d = y0.detach(), f0.detach()
        scale = atol + y0d.abs() * rtol
        d0, d1 = rms(y0d / scale), rms(f0d / scale)
        h0 = torch.where((d0 < 1e-5) | (d1 < 1e-5), torch.full_like(d0, 1e-6), 0.01 * d0 / d1)
        h0 = h0[torch.isfinite(h0)]
        h0 = min(float(h0.min()) if h0.numel() else 1e-6, interval)
        y1 = y0d + h0 * f0d
        f1 = f(t0 + h0, y1, rows).detach()
        d2 = rms((f1 - f0d) / scale) / h0
        dmax = torch.maximum(d1, d2)
        h1 = torch.where(
            (d1 <= 1e-15) & (d2 <= 1e-15), torch.full_like(d1, max(1e-6, h0 * 1e-3)), (0.01 / dmax) ** (1.0 / 3.0)
        )
        h1 = h1[torch.isfinite(h1)]
        h1 = float(h1.min()) if h1.numel() else 1e-6
    return min(100.0 * h0, h1, interval, max_step)


def bs23_step(f, t: float, y: torch.Tensor, k1: torch.Tensor, h: float, rows: torch.Tensor):
    """One Bogacki-Shampine step from (t, y) with k1 = f(t, y): (y_new, k4 = f(t + h, y_new), err).

    The stage sums are written as fused scaled additions (``torch.add(..., alpha=)``, in place on the
    fresh sum): 9 tensor ops per step instead of 19, which matters where a call is cheap (coarse grids:
    the integrator's op count, not the cells, sets the cost). Equal to the plain formulas to round-off.
    """
    k2 = f(t + 0.5 * h, torch.add(y, k1, alpha=0.5 * h), rows)
    k3 = f(t + 0.75 * h, torch.add(y, k2, alpha=0.75 * h), rows)
    y_new = torch.add(y, k1, alpha=(2.0 / 9.0) * h).add_(k2, alpha=h / 3.0).add_(k3, alpha=(4.0 / 9.0) * h)
    k4 = f(t + h, y_new, rows)
    with torch.no_grad():
        err = (
            torch.mul(k1.detach(), ERROR_WEIGHTS[0] * h)
            .add_(k2.detach(), alpha=ERROR_WEIGHTS[1] * h)
            .add_(k3.detach(), alpha=ERROR_WEIGHTS[2] * h)
            .add_(k4.detach(), alpha=ERROR_WEIGHTS[3] * h)
        )
    return y_new, k4, err


def growth(err_max: float, after_rejection: bool) -> float:
    """scipy's step factor after an accepted step with error norm ``err_max`` < 1."""
    factor = MAX_FACTOR if err_max == 0 else min(MAX_FACTOR, SAFETY * err_max**ERROR_EXPONENT)
    return min(1.0, factor) if after_rejection else factor


def initial_step_independent(f, t0: float, y0, f0, rows, interval, max_step, rtol, atol) -> torch.Tensor:
    """scipy's ``select_initial_step`` for every sample on its own, (b,) float64 tensor: the probe
    evaluation runs at per-sample times t0 + h0[b] (the rhs receives a (b,) time tensor)."""
    with torch.no_grad():
        y0d, f0d = y0.detach(), f0.detach()
        scale = atol + y0d.abs() * rtol
        d0, d1 = rms(y0d / scale), rms(f0d / scale)
        h0 = torch.where((d0 < 1e-5) | (d1 < 1e-5), torch.full_like(d0, 1e-6), 0.01 * d0 / d1)
        h0 = torch.where(torch.isfinite(h0), h0, torch.full_like(h0, 1e-6)).clamp(max=interval).double()
        hb = h0.to(y0d.dtype).reshape((-1,) + (1,) * (y0d.ndim - 1))
        f1 = f(t0 + h0, y0d + hb * f0d, rows).detach()
        d2 = rms((f1 - f0d) / scale) / hb.reshape(-1)
        dmax = torch.maximum(d1, d2)
        h1 = torch.where(
            (d1 <= 1e-15) & (d2 <= 1e-15), torch.clamp(h0 * 1e-3, min=1e-6), (0.01 / dmax) ** (1.0 / 3.0)
        ).double()
        h1 = torch.where(torch.isfinite(h1), h1, torch.full_like(h1, 1e-6))
    return torch.minimum(torch.minimum(100.0 * h0, h1), torch.full_like(h0, min(interval, max_step)))

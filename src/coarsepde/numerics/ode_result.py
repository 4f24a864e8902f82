"""What :func:`coarsepde.numerics.ode.integrate` takes and returns: the right-hand-side contract and the
:class:`Solution` (states at the output times, divergence times, work counters, the next step)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Rhs", "Solution"]

#: rhs(t, y (b, ...), rows (b,)) -> (b, ...): see coarsepde.numerics.ode's docstring
Rhs = Callable[[float, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class Solution:
    """Result of :func:`integrate`.

    t : (T,) output times (a copy of ``t_eval``).
    y : (B, T, ...) states at the output times; NaN for outputs at or after a sample's divergence.
    t_diverged : (B,) time each sample was declared diverged; +inf for samples that never were.
    nfev : number of (batched) right-hand-side calls.
    n_steps, n_rejected : accepted and rejected steps (shared steps; per-sample steps summed over the
        samples for ``steps="independent"``).
    h_next : the controller's proposal for the next step after the last output (NaN if no step was
        taken); a (B,) array for ``steps="independent"``. Passing it as ``first_step`` to an :func:`integrate` that starts from the last output
        continues the run exactly as if it had not stopped (resumable long simulations).
    """

    t: np.ndarray
    y: torch.Tensor
    t_diverged: np.ndarray
    nfev: int
    n_steps: int
    n_rejected: int
    h_next: float | np.ndarray = math.nan

    @property
    def diverged(self) -> np.ndarray:
        """(B,) bool: which samples diverged."""
        return np.isfinite(self.t_diverged)

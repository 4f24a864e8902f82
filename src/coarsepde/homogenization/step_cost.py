"""Wall-clock of one 1D patch-dynamics macro step (claim X-p2-cost-vs-original): a projective step of the
configured method, each stage one patch-dynamics estimate (lift, one micro burst of every patch on the
compiled TR-BDF2 solver, restriction; Eq. 11).

The first step runs untimed: it compiles the micro kernel (numba, cached on disk after the first run) and
touches every array once. The medians of the following ``repeats`` steps are what the claim scores; every
step starts from the same macro state, so each does the same work.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from coarsepde.numerics.timing import timed

from .equation_free import RK_TABLEAUX, PatchDynamics

__all__ = ["MacroStepCost", "macro_step", "time_macro_step"]


@dataclass(frozen=True)
class MacroStepCost:
    """Median wall-clock ``seconds`` of one macro step over ``repeats`` timed steps (all of them in ``samples``)
    and the median CPU time of this process over the same steps (``cpu_seconds``: on a machine shared with other
    jobs the wall-clock also counts the time the process waited for a core), the untimed first step's
    ``warmup_seconds``, and the step's size: trajectories x patches x points per patch, TR-BDF2 micro steps per
    burst, estimates (bursts) per macro step."""

    seconds: float
    samples: tuple[float, ...]
    cpu_seconds: float
    warmup_seconds: float
    trajectories: int
    patches: int
    points_per_patch: int
    micro_steps: int
    estimates: int

    @property
    def micro_points(self) -> int:
        return self.trajectories * self.patches * self.points_per_patch


def macro_step(pd: PatchDynamics, U: np.ndarray, *, dt: float, method: str = "euler") -> np.ndarray:
    """One projective step of size ``dt`` from the macro states U (B, N) (the step of ``projective_integrate``)."""
    if method not in RK_TABLEAUX:
        raise ValueError(f"method must be one of {sorted(RK_TABLEAUX)}, got {method!r}")
    A, b, _ = RK_TABLEAUX[method]
    ks = [pd.time_derivative(U)]
    for i in range(1, len(b)):
        ks.append(pd.time_derivative(U + dt * sum(A[i, j] * ks[j] for j in range(i))))
    return U + dt * sum(bi * ki for bi, ki in zip(b, ks))


def time_macro_step(
    pd: PatchDynamics, U0: np.ndarray, *, dt: float, method: str = "euler", repeats: int = 3
) -> MacroStepCost:
    """Time :func:`macro_step` from U0 (B, N): one untimed warm-up step, then ``repeats`` timed ones."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    U0 = np.atleast_2d(np.asarray(U0, dtype=float))
    warmup, U1 = timed(lambda: macro_step(pd, U0, dt=dt, method=method))
    if not np.all(np.isfinite(U1)):
        raise FloatingPointError("the macro step gave non-finite values")
    samples, cpu = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        samples.append(timed(lambda: macro_step(pd, U0, dt=dt, method=method))[0])
        cpu.append(time.process_time() - c0)
    teeth = pd.teeth
    return MacroStepCost(
        seconds=float(statistics.median(samples)),
        samples=tuple(samples),
        cpu_seconds=float(statistics.median(cpu)),
        warmup_seconds=float(warmup),
        trajectories=int(U0.shape[0]),
        patches=int(teeth.patch_nodes.size),
        points_per_patch=int(teeth.micro_x.shape[-1]),
        micro_steps=len(pd.steps),
        estimates=len(RK_TABLEAUX[method][1]),
    )

"""Wall-clock measurement: one call, and medians of interleaved repeats of several calls.

Interleaving makes a ratio of two timings robust to slow drifts of the load of a shared machine: each side
sees the same mix of quiet and busy moments. Used by the benchmark suite and by the rules that measure the
project's speed claims (X-speed-equal-accuracy, X-p2-cost-vs-original).
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["CLOCKS", "timed", "interleaved", "cpu_model"]


#: the clocks of :func:`timed`: wall-clock, or this process's CPU time (all its threads; for single-threaded code
#: the compute it did, unaffected by other processes sharing the machine, which inflate wall-clock)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def timed(fn: Callable[[], object], clock: str = "wall") -> tuple[float, object]:
    """(seconds, result) of one call, on ``clock`` (:data:`CLOCKS`)."""
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, got {clock!r}")
    now = CLOCKS[clock]
    t0 = now()
    out = fn()
    return now() - t0, out


def interleaved(
    fns: Sequence[Callable[[], object]], repeats: int, clock: str = "wall"
) -> tuple[list[float], list[object]]:
    """Run fns[0], fns[1], ... in turn, ``repeats`` rounds; (median seconds per fn on ``clock``, last result per
    fn)."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    times: list[list[float]] = [[] for _ in fns]
    results: list[object] = [None] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            dt, results[k] = timed(fn, clock)
            times[k].append(dt)
    return [statistics.median(t) for t in times], results


def cpu_model() -> str:
    """The CPU model name of /proc/cpuinfo (first processor), or the platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()

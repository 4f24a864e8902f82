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

__all__ = ["timed", "interleaved", "cpu_model"]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(wall seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def interleaved(fns: Sequence[Callable[[], object]], repeats: int) -> tuple[list[float], list[object]]:
    """Run fns[0], fns[1], ... in turn, ``repeats`` rounds; (median seconds per fn, last result per fn)."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    times: list[list[float]] = [[] for _ in fns]
    results: list[object] = [None] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            dt, results[k] = timed(fn)
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

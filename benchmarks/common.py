"""Shared helpers of the benchmark suite: rows, timing (medians of interleaved repeats), the machine
string, and a memory-bandwidth probe.

A row is a dict with the CSV columns

    name       short identifier (unique)
    what       what was measured, sizes and caveats, in words
    value      the measurement (float)
    unit       its unit ("s", "steps/s", "cell-updates/s", ...)
    reference  the value it is compared with (same unit; empty when there is none)
    ratio      how many times better ours is than the reference: reference/value for times, value/reference
               for rates (for the bandwidth rows: the achieved fraction of the bound); empty without reference
    machine    CPU model, cores, torch threads of the measurement
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch

from coarsepde.numerics.timing import cpu_model, interleaved, timed  # noqa: F401  (one copy: the package's)

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("name", "what", "value", "unit", "reference", "ratio", "machine")


def machine(threads: int | None = None) -> str:
    """Short machine string: CPU model, usable cores, torch threads of the measurement."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    t = torch.get_num_threads() if threads is None else threads
    return f"{cpu_model()}, {cores} cores, torch {t} thread{'s' if t != 1 else ''}"


def row(
    name: str,
    what: str,
    value: float,
    unit: str,
    reference: float | None = None,
    ratio: float | None = None,
    threads: int | None = None,
    machine_str: str | None = None,
) -> dict:
    return {
        "name": name,
        "what": what,
        "value": float(value),
        "unit": unit,
        "reference": None if reference is None else float(reference),
        "ratio": None if ratio is None else float(ratio),
        "machine": machine(threads) if machine_str is None else machine_str,
    }


def memory_bandwidth(n_bytes: int = 400_000_000, repeats: int = 5) -> dict:
    """Sustained single-thread memory bandwidth (GB/s) from numpy kernels on arrays far beyond the caches.

    copy (b <- a: 2 arrays moved) and the STREAM triad (a <- b + s c, computed in place in two
    passes by numpy: np.multiply(c, s, out=a); np.add(a, b, out=a): 5 array transfers). Counted bytes
    are the arrays read plus the arrays written (no write-allocate); the best of ``repeats`` (the
    convention of STREAM: the bound is what the machine *can* do). numpy is single-threaded here, as
    the solver (torch at 1 thread) is.
    """
    n = n_bytes // 8 // 3
    a = np.ones(n)
    b = np.full(n, 2.0)
    c = np.full(n, 0.5)
    copy, triad = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        copy.append(2 * 8 * n / (time.perf_counter() - t0) / 1e9)
        t0 = time.perf_counter()
        np.multiply(c, 3.0, out=a)
        np.add(a, b, out=a)
        triad.append(5 * 8 * n / (time.perf_counter() - t0) / 1e9)
    return {"copy_GBps": max(copy), "triad_GBps": max(triad), "array_MB": 8 * n / 1e6}


def fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}"

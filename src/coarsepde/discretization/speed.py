"""Learned coarse solvers vs WENO at equal accuracy (claim X-speed-equal-accuracy): which WENO resolution is as
accurate as a learned model, and the wall-clock of both, measured side by side in one process.

Accuracy comes from the pipeline's Fig. 3C evaluation stores (``eval_large_{f}x.zarr``: MAE over space and
t < t_max, :func:`coarsepde.discretization.metrics.mae_summary`). The wall-clock is that of
:func:`~coarsepde.discretization.simulate.run_coarse` on the same problem as ``p1_evaluate``: the
cell-averaged exact states at the first output time of the large-domain store, its cell-averaged forcing,
its output times over a window of ``span`` time units, all realizations in one batch. Used by the benchmark
suite (``benchmarks/bench_accuracy.py``) and by the rule ``x_speed_equal_accuracy``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from coarsepde.numerics.timing import interleaved

from .equations import Forcing, ForcingParams, coarse_grain, face_derivatives_weno
from .metrics import mae_per_sample, mae_summary
from .simulate import SolverSettings, baseline, run_coarse

__all__ = ["LEARNED", "ZERO", "REFERENCE", "SolverTiming", "mae_table", "equal_accuracy_pairs", "time_coarse_solvers"]

#: the learned models compared with WENO
LEARNED = ("nn", "const_godunov", "const")
#: the pseudo-method of :func:`mae_table` that predicts v = 0 (the scale an MAE is judged against)
ZERO = "zero"
#: suffix of a method timed on the paths before issue 22 (:func:`time_coarse_solvers`)
REFERENCE = "@reference"


@dataclass(frozen=True)
class SolverTiming:
    """Median ``seconds`` (on the clock of :func:`time_coarse_solvers`) of one solver run over the batch, and its
    batched rhs calls ``nfev``."""

    seconds: float
    nfev: int


def _open(path):
    import xarray as xr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xr.open_zarr(path, consolidated=False)


def mae_table(evaluations: Mapping[int, str | Path], t_max: float) -> dict[str, dict[int, float]]:
    """method -> factor -> MAE (space, t < t_max, mean over samples) of every method of every evaluation store
    (factor -> path); NaN where Fig. 3C omits the marker (a sample diverged, or worse than predicting v = 0).
    The pseudo-method :data:`ZERO` holds the MAE of predicting v = 0 at each factor."""
    mae: dict[str, dict[int, float]] = {}
    for f, path in evaluations.items():
        ds = _open(path)
        exact, times = ds.exact.values, ds.time.values
        for m in [str(v) for v in ds.method.values]:
            val, shown = mae_summary(ds[m].values, exact, times, t_max)
            mae.setdefault(m, {})[int(f)] = val if shown else math.nan
        mae.setdefault(ZERO, {})[int(f)] = float(mae_per_sample(np.zeros_like(exact), exact, times, t_max).mean())
    return mae


def equal_accuracy_pairs(
    mae: Mapping[str, Mapping[int, float]],
    factors: Iterable[int],
    learned: Iterable[str] = LEARNED,
    *,
    min_factor: int = 1,
    available: Iterable[tuple[str, int]] | None = None,
) -> list[tuple[str, int, int | None]]:
    """(method, factor, WENO factor) for every learned method and factor >= ``min_factor`` with a finite MAE
    (and, if ``available`` is given, listed there): the WENO factor is the coarsest of ``factors`` whose
    finite MAE is <= the learned one, None where no WENO resolution among them is as accurate."""
    factors = sorted(int(f) for f in factors)
    weno = mae.get("weno", {})
    avail = None if available is None else {(m, int(f)) for m, f in available}
    pairs = []
    for m in learned:
        for f in factors:
            e = mae.get(m, {}).get(f, math.nan)
            if f < min_factor or not math.isfinite(e) or (avail is not None and (m, f) not in avail):
                continue
            ok = [g for g in factors if math.isfinite(weno.get(g, math.nan)) and weno[g] <= e]
            pairs.append((m, f, max(ok) if ok else None))
    return pairs


def time_coarse_solvers(
    data: str | Path,
    runs: Iterable[tuple[str, int]],
    models: Mapping[tuple[str, int], str | Path],
    *,
    settings: SolverSettings,
    span: float,
    repeats: int,
    clock: str = "wall",
) -> tuple[dict[tuple[str, int], SolverTiming], dict]:
    """Time (``clock``: "wall", or "cpu", this process's CPU time, see :data:`~coarsepde.numerics.timing.CLOCKS`) of
    every (method, factor) of ``runs`` on the large-domain problem of the store ``data``, interleaved ``repeats``
    times (medians), torch at its current thread count.

    A method is "weno" (the pipeline's compiled one-pass kernel, integrated by the compiled RK23 loop), "weno_torch"
    (the same scheme through torch ops, like for like with the learned models) or a learned model loaded from
    ``models[(method, factor)]`` (its compiled paths: ``fused``, and the compiled loop for constant coefficients).
    A method with the suffix :data:`REFERENCE` ("weno@reference", "nn@reference", ...) runs as before issue 22:
    ``ode.integrate``'s torch loop (``run_coarse(compiled=False)``) and the models' torch composition
    (``fused = False``); the same trajectories to round-off.
    Returns (timings, problem) with problem = samples, length, t0, t1 of the timed window.
    """
    from .persist import load_model

    ds = _open(data)
    n_fine, length, eta = ds.sizes["x"], float(ds.attrs["length"]), float(ds.attrs["eta"])
    times = ds.time.values
    times = times[times <= times[0] + span + 1e-9]
    v_fine = ds.v.values[:, 0]
    fparams = ForcingParams(*(ds[f"forcing_{k}"].values for k in ("a", "omega", "k", "phi")))

    def solver(name: str, f: int):
        method, _, suffix = name.partition("@")
        if suffix not in ("", REFERENCE[1:]):
            raise ValueError(f"unknown method variant {name!r}")
        compiled = not suffix
        n = n_fine // f
        dx = length / n
        forcing = Forcing(fparams, length, n_fine, f)
        v0 = torch.as_tensor(coarse_grain(v_fine, f))
        if method == "weno":
            equation, faces = baseline("weno", eta, length, n)
        elif method == "weno_torch":  # like for like with the learned models: WENO through torch ops
            equation, _ = baseline("weno", eta, length, n)
            faces = lambda v: face_derivatives_weno(v, dx)  # noqa: E731  (not WenoFaces: no fused kernel)
        else:
            faces = load_model(models[(method, f)])
            faces.fused = compiled
            equation = faces.equation
            if abs(faces.dx - dx) > 1e-12 * dx:
                raise RuntimeError(f"{method} {f}x was trained for dx = {faces.dx}, this grid has {dx}")
        return lambda: run_coarse(equation, faces, v0, forcing, times, settings, dx=dx, compiled=compiled)

    runs = sorted(set(runs))
    secs, sols = interleaved([solver(m, f) for m, f in runs], repeats, clock)
    timings = {k: SolverTiming(float(s), int(sol.nfev)) for k, s, sol in zip(runs, secs, sols)}
    problem = {"samples": int(v_fine.shape[0]), "length": length, "t0": float(times[0]), "t1": float(times[-1])}
    return timings, problem

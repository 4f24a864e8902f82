"""Row 3 (P1, claim X-speed-equal-accuracy): learned coarse solvers vs WENO at the coarsest resolution whose
mean absolute error is at least as small, on the same problem (the 10 realizations on [0, 20 pi] of Fig. 3C).

The measurement is the package's (``coarsepde.discretization.speed``, shared with the rule
``x_speed_equal_accuracy``): accuracy from the pipeline's evaluation stores
(``results/discretization/burgers/eval_large_{f}x.zarr``), the wall-clock of both solvers measured here, in
one process: ``run_coarse`` from the same cell-averaged exact states at t = 10 with the same (cell-averaged)
forcing and output times as ``p1_evaluate``, batch of all realizations. Without the trained models (or the
evaluation stores) the section is skipped with a message.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from common import ROOT, fmt, interleaved, row

from coarsepde.discretization.equations import coarse_grain
from coarsepde.discretization.simulate import SolverSettings
from coarsepde.discretization.speed import LEARNED, REFERENCE, equal_accuracy_pairs, mae_table, time_coarse_solvers

DATA = ROOT / "results/discretization/burgers"
# every configured factor, as the rule x_speed_equal_accuracy (a pair whose WENO would need the fine grid has no
# match and is left out)
MIN_FACTOR = 1


def run(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    torch.set_num_threads(1)
    b = cfg["discretization"]["burgers"]
    factors = [f for f in b["resample_factors"]]
    t_max = b["evaluation"]["mae_t_max"]
    missing = [p for p in [DATA / "large.zarr"] + [DATA / f"eval_large_{f}x.zarr" for f in factors] if not p.exists()]
    if missing:
        print(
            f"  SKIPPED (X-speed-equal-accuracy): the pipeline's P1 stores are missing ({', '.join(map(str, missing[:3]))}"
            f"{' ...' if len(missing) > 3 else ''}); run `make run TARGET=results/figures/P1_fig3.png` first"
        )
        return []

    # accuracy of every method at every factor, from the pipeline's evaluation
    mae = mae_table({f: DATA / f"eval_large_{f}x.zarr" for f in factors}, t_max)
    if "weno" not in mae:
        print("  SKIPPED (X-speed-equal-accuracy): no WENO runs in the evaluation stores")
        return []

    models = {(m, f): DATA / "models" / f"{m}_{f}x.zarr" for m in LEARNED for f in factors}
    available = [k for k, path in models.items() if path.exists()]
    pairs = [p for p in equal_accuracy_pairs(mae, factors, min_factor=MIN_FACTOR, available=available) if p[2]]
    if not pairs:
        print("  SKIPPED (X-speed-equal-accuracy): no learned model with a finite MAE and a WENO match")
        return []

    span = 0.1 if quick else 0.5
    # every solver twice: its compiled paths (the pipeline's) and the reference paths before issue 22
    runs = {("weno", g) for _, _, g in pairs} | {("weno_torch", g) for _, _, g in pairs} | {(m, f) for m, f, _ in pairs}
    runs |= {(m + REFERENCE, f) for m, f in runs if m != "weno_torch"}
    print(
        f"  equal accuracy: {len(pairs)} pairs, {len(runs)} solver runs, t span {span:g}, {repeats} interleaved "
        "repeats ...",
        flush=True,
    )
    timing, problem = time_coarse_solvers(
        DATA / "large.zarr",
        runs,
        models,
        settings=SolverSettings(**b["solver"]),
        span=span,
        repeats=1 if quick else repeats,
    )
    t = {k: v.seconds for k, v in timing.items()}
    nfev = {k: v.nfev for k, v in timing.items()}
    n_samples, length, t0, t1 = problem["samples"], problem["length"], problem["t0"], problem["t1"]
    times = np.array([t0, t1])

    rows = []
    for m, f, g in pairs:
        label = {
            "nn": "NN",
            "const_godunov": "constant coefficients (Godunov flux)",
            "const": "constant coefficients (centred flux)",
        }[m]
        rows.append(
            row(
                f"p1_equal_accuracy_{m}_{f}x",
                f"P1 {label} at {f}x (MAE {fmt(mae[m][f], 2)}) vs WENO at {g}x, the coarsest grid with MAE <= it "
                f"({fmt(mae['weno'][g], 2)}; WENO at {f}x: {fmt(mae['weno'].get(f, math.nan), 2)}); MAE of the pipeline's "
                f"Fig. 3C evaluation (t < {t_max:g}); wall-clock of run_coarse here, {n_samples} samples on [0, "
                f"{length / np.pi:.0f} pi], t in [{times[0]:g}, {times[-1]:g}], {nfev[(m, f)]} / {nfev[('weno', g)]} "
                f"batched rhs calls; WENO runs its compiled one-pass kernel (the pipeline's); like for like with the "
                f"learned models' torch ops, WENO through torch takes {fmt(t[('weno_torch', g)])} s (ratio "
                f"{fmt(t[('weno_torch', g)] / t[(m, f)])}); both run their compiled paths (learned: fused flux, and "
                f"the compiled RK23 loop for constant coefficients; WENO: the compiled RK23 loop); before issue 22 "
                f"(reference paths, same trajectories to round-off): learned {fmt(t[(m + REFERENCE, f)])} s, WENO "
                f"{fmt(t[('weno' + REFERENCE, g)])} s, ratio {fmt(t[('weno' + REFERENCE, g)] / t[(m + REFERENCE, f)])}",
                t[(m, f)],
                "s",
                t[("weno", g)],
                t[("weno", g)] / t[(m, f)],
                threads=1,
            )
        )
        print(
            f"  {m} {f}x {t[(m, f)]:.2f} s vs weno {g}x {t[('weno', g)]:.2f} s "
            f"(x{t[('weno', g)] / t[(m, f)]:.2f}; torch WENO {t[('weno_torch', g)]:.2f} s, "
            f"x{t[('weno_torch', g)] / t[(m, f)]:.2f}); reference paths {t[(m + REFERENCE, f)]:.3f} s vs "
            f"{t[('weno' + REFERENCE, g)]:.3f} s (x{t[('weno' + REFERENCE, g)] / t[(m + REFERENCE, f)]:.2f})",
            flush=True,
        )
    for m, f in sorted({(m, f) for m, f, _ in pairs} | {("weno", g) for _, _, g in pairs}):
        rows.append(
            row(
                f"p1_coarse_run_{m}_{f}x",
                f"P1 {m} at {f}x, the run of the row above ({n_samples} samples, t in [{times[0]:g}, {times[-1]:g}]): "
                "compiled paths vs the reference paths before issue 22 (ode.integrate's torch loop, the torch flux "
                "composition); same trajectories to round-off (tests/test_p1_fused.py)",
                t[(m, f)],
                "s",
                t[(m + REFERENCE, f)],
                t[(m + REFERENCE, f)] / t[(m, f)],
                threads=1,
            )
        )
    rows += _nn_precision([f for m, f, _ in pairs if m == "nn"], quick, repeats)
    return rows


def _nn_precision(factors: list[int], quick: bool, repeats: int) -> list[dict]:
    """What running the NN in float32 (its training precision) instead of float64 would save per rhs call."""
    if not factors:
        return []
    import xarray as xr

    from coarsepde.discretization.persist import load_model

    v_fine = xr.open_zarr(DATA / "large.zarr", consolidated=False).v.values[:, 0]

    f = min(factors)  # the NN's most expensive case (the most cells)
    m64 = load_model(DATA / "models" / f"nn_{f}x.zarr")
    m32 = load_model(DATA / "models" / f"nn_{f}x.zarr").float()
    v64 = torch.as_tensor(coarse_grain(v_fine, f))
    v32 = v64.float()
    k = 20
    with torch.inference_mode():
        (t64, t32), (d64, d32) = interleaved(
            [
                lambda: [m64.time_derivative(v64) for _ in range(k)][-1],
                lambda: [m32.time_derivative(v32) for _ in range(k)][-1],
            ],
            1 if quick else repeats,
        )
    rel = float((d32.double() - d64).abs().max() / d64.abs().max())
    return [
        row(
            "p1_nn_rhs_float32",
            f"P1 NN ({f}x) unforced rhs, one batched call on {v64.shape[0]} x {v64.shape[1]} cells: float32 vs "
            f"float64 (how run_coarse runs it); max relative difference of the outputs {rel:.1e}",
            t32 / k,
            "s",
            t64 / k,
            t64 / t32,
            threads=1,
        )
    ]

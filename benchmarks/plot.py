"""Bar chart of the benchmark ratios: one horizontal bar per row with a ratio, log scale, a line at 1
(parity with the reference), the issue's targets marked where one exists."""

from __future__ import annotations

import math
from pathlib import Path

from coarsepde.plotting import figure, save

#: targets of issue 10 (ratio the row should reach)
TARGETS = {"p1_fine_solver_vs_scipy": 10.0, "p2_patch_vs_fully_resolved": 1000.0}

#: rows whose ratio is a fraction of a bound (blue), not a comparison with another method
FRACTIONS = {"p1_fine_bandwidth_fused"}

LABELS = {
    "p1_fine_solver_vs_scipy": "P1 fine WENO: batched vs per-sample scipy RK23",
    "p1_fine_bandwidth_fused": "P1 fine WENO: fraction of bandwidth bound (fused model)",
    "p1_fine_independent_vs_shared_steps": "P1 fine WENO: per-sample vs shared step sizes",
    "p1_fine_rhs_fused_vs_torch": "P1 fine rhs: compiled one-pass kernel vs torch ops",
    "p1_forcing_basis_vs_tables": "P1 forcing: shared basis vs per-sample tables",
    "p1_fv3_faces_rolls_vs_gather": "P1 KS FV3 faces: rolls vs former gather",
    "p1_coarse_weno_64x_vs_scipy": "P1 WENO 64x (10 x 8 cells): batched vs per-sample scipy",
    "p2_patch_vs_fully_resolved": "P2 patch dynamics vs fully resolved (wall-clock)",
    "p2_spacetime_grid": "P2 space-time grid saving (geometry)",
    "p2_micro_work": "P2 micro point-steps saving",
    "p2_micro_burst_fused_vs_reference": "P2 micro burst: compiled TR-BDF2 vs numpy + dgtsv",
    "p1_nn_train_2threads": "P1 NN training: 2 vs 1 torch threads",
    "p1_nn_rhs_float32": "P1 NN rhs: float32 vs float64",
}


def label(r: dict) -> str:
    name = r["name"]
    if name in LABELS:
        return LABELS[name]
    if name.startswith("p1_equal_accuracy_"):
        rest = name[len("p1_equal_accuracy_") :]
        method, factor = rest.rsplit("_", 1)
        what = r["what"]
        weno = what.split("vs WENO at ", 1)[1].split(",", 1)[0] if "vs WENO at " in what else "?"
        m = {"nn": "NN", "const_godunov": "const. Godunov", "const": "const. centred"}.get(method, method)
        return f"P1 equal MAE: {m} {factor} vs WENO {weno}"
    return name


def plot(rows: list[dict], path: Path) -> Path | None:
    bars = [r for r in rows if r.get("ratio") is not None and math.isfinite(r["ratio"]) and r["ratio"] > 0]
    if not bars:
        return None
    bars = bars[::-1]  # first row on top
    fig, axes = figure(1, 1, width=7.5, height=0.32 * len(bars) + 1.0)
    ax = axes[0, 0]
    y = list(range(len(bars)))
    ratios = [r["ratio"] for r in bars]
    colors = ["tab:blue" if r["name"] in FRACTIONS else ("tab:green" if r["ratio"] >= 1 else "tab:red") for r in bars]
    ax.barh(y, ratios, color=colors, alpha=0.8, height=0.7, left=0 if min(ratios) > 0 else None)
    ax.set_xscale("log")
    lo = min(min(ratios), *(TARGETS.get(r["name"], 1.0) for r in bars), 1.0) / 3
    hi = max(max(ratios), *(TARGETS.get(r["name"], 1.0) for r in bars), 1.0) * 8
    ax.set_xlim(lo, hi)
    ax.axvline(1.0, color="k", lw=1.0)
    for yi, r in zip(y, bars):
        v = r["ratio"]
        ax.text(v * 1.08, yi, f"{v:.3g}x", va="center", ha="left", fontsize=7)
        t = TARGETS.get(r["name"])
        if t:
            ax.plot([t], [yi], marker="|", color="k", markersize=12, mew=2)
            ax.text(t * 1.1, yi + 0.3, f"target {t:g}x", fontsize=6, va="bottom")
    ax.set_yticks(y, [label(r) for r in bars], fontsize=7)
    ax.set_xlabel("ratio (log): times better than the reference; bandwidth rows: fraction of the bound")
    machines = sorted({r["machine"].split(", torch")[0] for r in bars})
    ax.set_title(f"coarsepde benchmarks ({'; '.join(machines)}), medians of interleaved repeats", fontsize=8)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.grid(False, axis="y")
    return save(fig, path)

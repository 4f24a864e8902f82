"""Row 2 (P2, claim P2-cost): patch dynamics vs the fully resolved solver of the same eps = 1e-5 problem
(Arbabi et al. 2020, Eq. 20) over the same macro interval, one trajectory, both from the package
(``coarsepde.homogenization.problem1d``: ``setup``, ``patch_dynamics_trajectories``, ``fully_resolved``),
with the configured geometry and micro spacing (what ``p2_patch1d`` / ``p2_fully_resolved`` run).

Wall-clock: only the time stepping of each (the operators are built once, outside the timing), as the
pipeline's ``fully_resolved1d_timing.json`` does. Accuracy: the two macro fields at the end of the interval
(tooth averages of the detailed solution vs the patch-dynamics macro values) are compared, so the ratio is
at the accuracy the pipeline accepts (P2-fig2-snapshot).
"""

from __future__ import annotations

import json
import statistics

import numpy as np
from common import ROOT, fmt, row, timed

from coarsepde.homogenization.equation_free import lift
from coarsepde.homogenization.problem1d import (
    fully_resolved,
    heterogeneous_diffusivity,
    patch_dynamics_trajectories,
    setup,
)


def _tooth_average(x: np.ndarray, u: np.ndarray, centers: np.ndarray, width: float) -> np.ndarray:
    """Trapezoid average of u over [c - width/2, c + width/2] (grid-aligned windows)."""
    dx = x[1] - x[0]
    k = int(round(width / 2 / dx))
    idx = np.round(centers / dx).astype(int)
    c = np.concatenate([[0.0], np.cumsum(0.5 * (u[1:] + u[:-1]) * dx)])
    return (c[idx + k] - c[idx - k]) / (2 * k * dx)


def run(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    p = cfg["homogenization"]["one_d"]
    ic = p["initial_conditions"]
    fr = p["fully_resolved"]
    n_traj = p["n_train"] + p["n_test"] + 1
    traj = p["n_train"]  # the first test trajectory, as the p2_fully_resolved rule
    ics, teeth, pd = setup(
        seed=cfg["seed"],
        n_traj=n_traj,
        eps=p["eps"],
        a_mean=p["a_mean"],
        a_amplitude=p["a_amplitude"],
        macro_nodes=p["macro_nodes"],
        tooth_width=p["tooth_width"],
        patch_width=p["patch_width"],
        points_per_period=p["points_per_period"],
        burst=p["burst"],
        burst_first_step=p["burst_first_step"],
        burst_growth=p["burst_growth"],
        lift_degree=p["lift_degree"],
        ic_terms=ic["terms"],
        ic_amplitude=ic["amplitude"],
        ic_max_wavenumber=ic["max_wavenumber"],
    )
    dt = p["macro_dt"]
    n_steps = 2 if quick else 10
    t_final = n_steps * dt
    if quick:
        repeats = 1
    a = heterogeneous_diffusivity(p["eps"], p["a_mean"], p["a_amplitude"])
    # only the benchmarked trajectory: evaluating all n_traj initial conditions on the 2e6-point grid
    # materializes (n_traj, terms, points) phases, 3.5 GB (what the p2_fully_resolved script does)
    u0 = ics.subset(slice(traj, traj + 1))
    U0 = u0(teeth.x_macro)

    print(
        f"  P2: fully resolved ({int(round(fr['points_per_period'] / p['eps'])) + 1} points) vs patch dynamics "
        f"({pd.micro_points} micro points), t in [0, {t_final:g}], {repeats} interleaved repeats ...",
        flush=True,
    )
    t_fr, t_pd = [], []
    for _ in range(repeats):
        x, u, sec, fr_steps = fully_resolved(
            u0,
            a,
            eps=p["eps"],
            points_per_period=fr["points_per_period"],
            t_final=t_final,
            first_step=fr["first_step"],
            growth=fr["growth"],
            max_step=fr["max_step"],
        )
        t_fr.append(sec)
        _, U, _, sec = patch_dynamics_trajectories(U0, pd, dt=dt, n_steps=n_steps, method=p["macro_method"])
        t_pd.append(sec)
    t_fr, t_pd = statistics.median(t_fr), statistics.median(t_pd)
    u = u[0]
    U_pd = U[-1, 0]
    inner = teeth.patch_nodes
    U_fr = _tooth_average(x, u, teeth.x_macro[inner], p["tooth_width"])
    rel = float(np.linalg.norm(U_pd[inner] - U_fr) / np.linalg.norm(U_fr))
    # relative change of the macro field over the interval: what the agreement is measured against
    change = float(np.linalg.norm(U_pd[inner] - U0[0, inner]) / np.linalg.norm(U_fr))

    space, time_frac = teeth.space_fraction, p["burst"] / dt
    pd_work = pd.micro_points * len(pd.steps) * n_steps
    fr_work = x.size * fr_steps
    pipeline = ""
    tj = ROOT / "results/homogenization/fully_resolved1d_timing.json"
    if tj.exists():
        d = json.loads(tj.read_text())
        pipeline = (
            f"; the pipeline's own run (t in [0, {fr['t_final']:g}]): fully resolved "
            f"{d['fully_resolved_seconds']:.1f} s vs patch dynamics {d['patch_dynamics_seconds']:.2f} s "
            f"(x{d['fully_resolved_seconds'] / d['patch_dynamics_seconds']:.1f})"
        )
    geometry = (
        f"eps {p['eps']:g}, {fr['points_per_period']} points per period, {inner.size} patches of width "
        f"{p['patch_width']:g} (tooth {p['tooth_width']:g}), burst {p['burst']:g} per macro step {dt:g}"
    )
    rows = [
        row(
            "p2_patch_vs_fully_resolved",
            f"P2 1D patch dynamics ({p['macro_method']} projective steps, {len(pd.steps)} TR-BDF2 micro steps per "
            f"burst) vs the fully resolved solver (TR-BDF2 on all of [0, 1], {fr_steps} steps up to "
            f"{fr['max_step']:g}), one trajectory, t in [0, {t_final:g}] ({n_steps} macro steps), time stepping only; "
            f"{geometry}; macro fields agree to rel. L2 {fmt(rel, 2)} (the field changed by {fmt(change, 2)}){pipeline}",
            t_pd,
            "s",
            t_fr,
            t_fr / t_pd,
            threads=1,
        ),
        row(
            "p2_spacetime_grid",
            f"P2 space-time fraction simulated by patch dynamics: {100 * space:.2f}% of space x {100 * time_frac:.3f}% "
            f"of time (configured geometry: {geometry}); ratio = the space-time grid saving (paper: 10^4)",
            space * time_frac,
            "fraction",
            1.0,
            1.0 / (space * time_frac),
            threads=1,
        ),
        row(
            "p2_micro_work",
            f"P2 micro work, grid points x TR-BDF2 steps: patch dynamics {pd.micro_points} x {len(pd.steps)} x "
            f"{n_steps} vs fully resolved {x.size} x {fr_steps} over t in [0, {t_final:g}]: the fully resolved solver "
            f"is implicit (L-stable) and steps 100x the burst, so the time axis saves far less than the grid count "
            f"suggests",
            pd_work,
            "point-steps",
            fr_work,
            fr_work / pd_work,
            threads=1,
        ),
    ]
    rows.append(_micro_kernel_row(pd, ics(teeth.x_macro)[: p["n_train"] + p["n_test"]], teeth, repeats))
    print(
        f"  P2: fully resolved {t_fr:.2f} s, patch dynamics {t_pd:.3f} s (x{t_fr / t_pd:.1f}), agree to "
        f"{rel:.2g}; grid ratio {1 / (space * time_frac):.3g}; work ratio {fr_work / pd_work:.3g}",
        flush=True,
    )
    return rows


def _micro_kernel_row(pd, U0: np.ndarray, teeth, repeats: int) -> dict:
    """One micro burst of every patch for the pipeline's trajectories (what ``p2_patch1d`` does at each
    macro step): the compiled TR-BDF2 pass (numerics/trbdf2_fused.py) vs the numpy + LAPACK dgtsv path
    it replaced (``DiffusionSegments.integrate_reference``), interleaved repeats."""
    u0 = lift(U0, teeth, pd.lift_degree)
    micro = pd.micro
    micro.integrate(u0, pd.steps)  # compile
    t_new, t_ref = [], []
    for _ in range(max(repeats, 3)):
        t, new = timed(lambda: micro.integrate(u0, pd.steps))
        t_new.append(t)
        t, ref = timed(lambda: micro.integrate_reference(u0, pd.steps))
        t_ref.append(t)
    # agreement against the reference's own round-off: its change under a 1e-16 relative perturbation of u0
    u0p = u0 * (1.0 + 1e-16 * np.random.default_rng(0).standard_normal(u0.shape))
    dev = float(np.abs(new - ref).max())
    noise = float(np.abs(micro.integrate_reference(u0p, pd.steps) - ref).max())
    if dev > 100 * noise + 1e-300:
        raise AssertionError(f"compiled and reference TR-BDF2 bursts differ by {dev:.2e} (round-off {noise:.2e})")
    t_new, t_ref = statistics.median(t_new), statistics.median(t_ref)
    B, P, m = u0.shape
    print(
        f"  P2: one burst ({B} x {P} x {m} points, {len(pd.steps)} TR-BDF2 steps) compiled {1e3 * t_new:.1f} ms vs "
        f"numpy+dgtsv {1e3 * t_ref:.1f} ms (x{t_ref / t_new:.1f}); max deviation {dev:.2g}, reference's own "
        f"round-off {noise:.2g}",
        flush=True,
    )
    return row(
        "p2_micro_burst_fused_vs_reference",
        f"P2 one micro burst of patch dynamics ({B} trajectories x {P} patches x {m} points, {len(pd.steps)} "
        f"TR-BDF2 steps): the compiled one-pass-per-segment kernel vs whole-array numpy passes + LAPACK dgtsv; "
        f"max deviation {dev:.2g} (the reference moves by {noise:.2g} under a 1e-16 perturbation of its input)",
        t_new,
        "s",
        t_ref,
        t_ref / t_new,
        threads=1,
    )

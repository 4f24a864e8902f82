"""Checks of P2 (Arbabi et al. 2020, equation-free homogenization): effective coefficients (Eqs. 22, 27),
the 1D patch-dynamics figures (Sect. 5.1, Figs. 1-5) and the 2D lattice figures (Sect. 5.2, Figs. 6-8).

Each check takes plain numbers / arrays and returns one :class:`~coarsepde.claims.rows.ClaimResult`.
"""

from __future__ import annotations

import numpy as np

from .catalogue import CLAIMS
from .rows import ClaimResult, sci

__all__ = [
    "check_astar_1d",
    "check_astar_2d",
    "check_p2_fig1_grid",
    "check_p2_cost",
    "check_p2_fig2_snapshot",
    "check_p2_fig4_rhs",
    "check_p2_fig5_integrate",
    "check_p2_fig6_rhs2d",
    "check_p2_fig7_traj2d",
    "check_p2_fig8_phase",
]


# -- effective coefficients
def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def check_astar_1d(
    *,
    a_star: float,
    resolution: int,
    a_mean: float,
    a_amplitude: float,
    paper_value: float,
    rel_tol_exact: float,
    rel_tol_paper: float,
    nearest_quadrature: tuple[int, str, float],
    scale: str,
) -> ClaimResult:
    """P2-astar-1d: the numerical a* against the analytic harmonic mean and the printed value.

    ``nearest_quadrature`` = (N, rule, value): the N-point harmonic mean closest to the printed
    value, the evidence for the note on where that value could come from.
    """
    exact = float(np.sqrt(a_mean**2 - a_amplitude**2))  # closed form, used only as the check
    r_exact, r_paper = _rel(a_star, exact), _rel(a_star, paper_value)
    r_paper_exact = _rel(paper_value, exact)
    passed = bool(r_exact <= rel_tol_exact and r_paper <= rel_tol_paper)
    return ClaimResult(
        id="P2-astar-1d",
        claim=(
            f"The effective diffusivity of a(y) = {a_mean:g} + {a_amplitude:g} sin(2 pi y), computed numerically from "
            f"the discrete cell problem (Eqs. 4-6), equals the analytic harmonic mean sqrt({a_mean**2 - a_amplitude**2:g}) "
            f"to {rel_tol_exact:g} relative and the paper's printed {paper_value} to {rel_tol_paper:g} relative. "
            f"The printed value is itself {r_paper_exact:.2e} (relative) off the exact one, while the discrete cell "
            f"problem converges geometrically to the exact one; the closest N-point harmonic mean (N <= 1000) is the "
            f"{nearest_quadrature[1]} rule with N = {nearest_quadrature[0]} ({nearest_quadrature[2]:.10f}), "
            f"still {nearest_quadrature[2] - paper_value:+.1e} away: the printed number is a legacy constant of "
            f"the authors' code whose origin we could not reconstruct, immaterial for every figure."
        ),
        paper_value=f"{paper_value}",
        reproduced_value=(
            f"{a_star:.12f} (N = {resolution} cells/period); rel. diff. vs sqrt: {r_exact:.2e}, vs paper: {r_paper:.2e}"
        ),
        tolerance=f"rel {rel_tol_exact:g} (exact); rel {rel_tol_paper:g} (paper)",
        passed=passed,
        scale=scale,
    )


def check_astar_2d(
    *,
    K: np.ndarray,
    alignment: str,
    paper_diagonal: tuple[float, float],
    abs_tol: float,
    rates_at: dict[int, tuple[float, float]],
    scale: str,
) -> ClaimResult:
    """P2-astar-2d: diagonal of the lattice's homogenized tensor vs Eq. (27).

    The comparison pairs the two diagonal values with the paper's two numbers *as an unordered
    pair*, because the paper's x/y labelling is exactly what Eq. (25) leaves ambiguous; the
    orientation and the off-diagonal term are reported in the same row (see X-p2-tensor).
    ``rates_at`` maps lattice points per 2 pi -> decay rates of modes (1,0), (0,1).
    """
    K = np.asarray(K, dtype=float)
    diag = np.array([K[0, 0], K[1, 1]])
    paper = np.asarray(paper_diagonal, dtype=float)
    err_sorted = float(np.max(np.abs(np.sort(diag) - np.sort(paper))))
    same_order = bool(np.argsort(diag)[0] == np.argsort(paper)[0])
    passed = bool(err_sorted <= abs_tol)
    orient = (
        "same orientation as Eq. (27)"
        if same_order
        else "x/y swapped relative to Eq. (27): the lattice diffuses faster along x"
    )
    rates = "; ".join(f"h = 2pi/{n}: (1,0) {r[0]:.8f}, (0,1) {r[1]:.8f}" for n, r in sorted(rates_at.items()))
    return ClaimResult(
        id="P2-astar-2d",
        claim=(
            f"The homogenized tensor of the 3-periodic lattice (Eqs. 25-26), from the discrete cell problem with the "
            f"'{alignment}' alignment of kappa^x/kappa^y, has diagonal {paper[0]} and {paper[1]} (compared as an "
            f"unordered pair) within {abs_tol:g} absolute; orientation and off-diagonal reported (Eq. 27 has no "
            f"cross term). Slowest lattice decay rates at finite spacing: {rates}."
        ),
        paper_value=f"K_xx = {paper[0]}, K_yy = {paper[1]}, K_xy = 0",
        reproduced_value=(
            f"K_xx = {K[0, 0]:.6f}, K_yy = {K[1, 1]:.6f}, K_xy = {K[0, 1]:.6f} "
            f"(max |diag diff| {err_sorted:.1e}; {orient})"
        ),
        tolerance=f"abs {abs_tol:g} on the diagonal",
        passed=passed,
        scale=scale,
    )


# -- 1D: patch dynamics and learned homogenized PDEs (Sect. 5.1)
def _fractions_text() -> tuple[float, float, str, str]:
    """The space/time fraction thresholds of Sect. 4-5 and their statement in percent."""
    space, time = (CLAIMS["P2-cost"].thresholds[k] for k in ("space_fraction_below", "time_fraction_at_most"))
    return space, time, f"< {100 * space:g}%", f"<= {100 * time:g}%"


def check_p2_fig1_grid(*, space_fraction: float, time_fraction: float, n_patches: int, scale: str) -> ClaimResult:
    """P2-fig1-grid: the schematic is drawn from the configured geometry; it states the fractions."""
    space, time, space_txt, time_txt = _fractions_text()
    passed = bool(space_fraction < space and time_fraction <= time)
    return ClaimResult(
        id="P2-fig1-grid",
        claim=(
            "Schematic of the gap-tooth and patch-dynamics space-time grids drawn from the configured teeth, "
            f"buffers and time steps; the configured scheme simulates {space_txt} of space and {time_txt} of "
            "time."
        ),
        paper_value="< 8% of space, 0.1% of time",
        reproduced_value=f"{n_patches} patches: {100 * space_fraction:.2f}% of space, {100 * time_fraction:.3f}% of time",
        tolerance=f"space {space_txt}, time {time_txt}",
        passed=passed,
        scale=scale,
    )


def check_p2_cost(
    *,
    space_fraction: float,
    time_fraction: float,
    patch_seconds: float,
    full_seconds: float,
    interval: float,
    scale: str,
) -> ClaimResult:
    """P2-cost: the space-time grid of patch dynamics vs the fully resolved one, and wall-clock."""
    space, time, space_txt, time_txt = _fractions_text()
    ratio_min = CLAIMS["P2-cost"].thresholds["grid_ratio_at_least"]
    ratio_txt = f"{ratio_min:.0e}".replace("e+0", "e")  # 1e4, as the paper writes it
    ratio = 1.0 / (space_fraction * time_fraction)
    passed = bool(space_fraction < space and time_fraction <= time and ratio >= ratio_min)
    return ClaimResult(
        id="P2-cost",
        claim=(
            f"Patch dynamics simulates {space_txt} of space and {time_txt} of time, a space-time grid >= "
            f"{ratio_txt} times smaller than the fully resolved one (same micro spacing); the measured wall-clock "
            "of both over the same "
            f"interval (t in [0, {interval:g}], one trajectory) is reported."
        ),
        paper_value="< 8% space, 0.1% time, 10^4 x smaller space-time grid",
        reproduced_value=(
            f"{100 * space_fraction:.2f}% space, {100 * time_fraction:.3f}% time, grid ratio {ratio:.3g}; "
            f"wall-clock patch dynamics {patch_seconds:.2f} s vs fully resolved {full_seconds:.1f} s "
            f"(x{full_seconds / patch_seconds:.1f})"
        ),
        tolerance=f"space {space_txt}, time {time_txt}, ratio >= {ratio_txt}",
        passed=passed,
        scale=scale,
    )


def check_p2_fig2_snapshot(
    *,
    rel_fr_homog: float,
    rel_pd_homog: float,
    rel_pd_fr: float,
    oscillation_period: float,
    eps: float,
    tol: float,
    scale: str,
    rel_pd_macro_fd: float | None = None,
) -> ClaimResult:
    """P2-fig2-snapshot: the three macro fields agree; the zooms show the eps-scale oscillation."""
    worst = max(rel_fr_homog, rel_pd_homog, rel_pd_fr)
    period_tol = CLAIMS["P2-fig2-snapshot"].thresholds["period_rel_tol"]
    period_ok = abs(oscillation_period / eps - 1.0) < period_tol
    return ClaimResult(
        id="P2-fig2-snapshot",
        claim=(
            f"At t = 0.05, eps = {eps:g}: fully resolved (tooth-averaged), homogenized and patch-dynamics macro "
            f"fields agree to relative L2 < {tol:g} at the macro nodes, and the fully resolved zoom oscillates with "
            f"period eps (dominant Fourier period of the detrended zoom within {100 * period_tol:g}% of eps)."
        ),
        paper_value="agreement at large scale; eps-scale variations in the zooms",
        reproduced_value=(
            f"rel. L2: fully resolved vs homogenized {sci(rel_fr_homog)}, patch vs homogenized "
            f"{sci(rel_pd_homog)}, patch vs fully resolved {sci(rel_pd_fr)}; zoom period "
            f"{oscillation_period / eps:.3f} eps"
            + (
                ""
                if rel_pd_macro_fd is None
                else f"; patch vs homogenized FD on the same macro grid {sci(rel_pd_macro_fd)} "
                "(the rest is the macro grid's discretization error)"
            )
        ),
        tolerance=f"rel. L2 < {tol:g}; period within {100 * period_tol:g}%",
        passed=bool(worst < tol and period_ok),
        scale=scale,
    )


def _window(t_max: float) -> str:
    """The evaluation window as run, and where it falls short of the catalogue's t in [0, 1]."""
    short = "" if t_max >= 1.0 - 1e-9 else f" (this scale's data stop at t = {t_max:g}: [0, 1] is not covered)"
    return f"t in [0, {t_max:g}]{short}"


def check_p2_fig4_rhs(
    *,
    rmse: dict[str, float],
    data_rmse: float,
    tol: float,
    t_max: float,
    scale: str,
    late: dict[str, float] | None = None,
    late_time: float | None = None,
) -> ClaimResult:
    """P2-fig4-rhs: both architectures predict the homogenized RHS with rMSE (Eq. 24) < tol on the test
    snapshots of t in [0, t_max]."""
    passed = bool(all(np.isfinite(v) and v < tol for v in rmse.values()))
    return ClaimResult(
        id="P2-fig4-rhs",
        claim=(
            f"Both architectures (MLP on (U, U_x, U_xx); conv net on 3-point stencils), trained on patch-dynamics "
            f"data, predict the homogenized right-hand side on the test trajectories ({_window(t_max)}) with rMSE "
            f"(Eq. 24) < {tol:g}. The patch-dynamics data's own rMSE against the same truth (the 11-node grid's "
            "discretization error) is reported as the floor."
        ),
        paper_value="accurate RHS (Fig. 4)",
        reproduced_value=(
            ", ".join(f"{k} {sci(v)}" for k, v in rmse.items())
            + f"; patch data itself {sci(data_rmse)}"
            + (
                ""
                if not late
                else f"; on snapshots with t >= {late_time:g}: " + ", ".join(f"{k} {sci(v)}" for k, v in late.items())
            )
        ),
        tolerance=f"rMSE < {tol:g}",
        passed=passed,
        scale=scale,
    )


def check_p2_fig5_integrate(
    *,
    rmse: dict[str, float],
    stable: dict[str, bool],
    tol: float,
    t_max: float,
    scale: str,
    late: dict[str, float] | None = None,
    late_time: float | None = None,
) -> ClaimResult:
    """P2-fig5-integrate: BDF integration of each learned model from an unseen IC over t in [0, t_max]."""
    passed = bool(all(stable.values()) and all(np.isfinite(v) and v < tol for v in rmse.values()))
    return ClaimResult(
        id="P2-fig5-integrate",
        claim=(
            f"Integrating each learned model with BDF from an unseen initial condition stays stable over "
            f"{_window(t_max)} and matches the homogenized solution with rMSE < {tol:g}."
        ),
        paper_value="stable, accurate trajectories over t in [0, 1] (Fig. 5)",
        reproduced_value=(
            ", ".join(f"{k} {sci(v)} ({'stable' if stable[k] else 'UNSTABLE'})" for k, v in rmse.items())
            + ("" if not late else f"; over t >= {late_time:g}: " + ", ".join(f"{k} {sci(v)}" for k, v in late.items()))
        ),
        tolerance=f"rMSE < {tol:g}",
        passed=passed,
        scale=scale,
    )


# -- 2D lattice (Sect. 5.2); the tensor finding is X-p2-tensor (x.py)
def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (ties broken by order; continuous data here)."""
    ra = np.argsort(np.argsort(np.ravel(a)))
    rb = np.argsort(np.argsort(np.ravel(b)))
    return float(np.corrcoef(ra, rb)[0, 1])


def check_p2_fig6_rhs2d(
    *, rel_err: dict[str, dict[str, np.ndarray]], rhs_norm: dict[str, np.ndarray], scale: str
) -> ClaimResult:
    """P2-fig6-rhs2d: per-snapshot relative RHS error vs |d_t u|, for each model and reference.

    rel_err[arch][ref] and rhs_norm[ref] are arrays over the test snapshots; the check is on the
    paper's own reference (Eq. 27, key "eq27"); the full-tensor reference is reported beside it.
    """
    corr = {a: {r: _spearman(e, rhs_norm[r]) for r, e in d.items()} for a, d in rel_err.items()}
    med = {a: {r: float(np.median(e)) for r, e in d.items()} for a, d in rel_err.items()}
    below = CLAIMS["P2-fig6-rhs2d"].thresholds["correlation_below"]
    passed = bool(all(c["eq27"] < below for c in corr.values()))
    return ClaimResult(
        id="P2-fig6-rhs2d",
        claim=(
            "2D lattice, gap-tooth data (16x16 patches, ~1% of space): the relative RHS error of the learned models is "
            "small for large-amplitude snapshots and grows toward steady state -- Spearman correlation of the "
            "per-snapshot relative error with ||d_t u|| is negative against the paper's reference (Eq. 27); "
            "the same against the full-tensor reference is reported."
        ),
        paper_value="relative error large for small |d_t u| (Fig. 6)",
        reproduced_value="; ".join(
            f"{a}: corr Eq.27 {c['eq27']:+.2f} (median rel. err. {med[a]['eq27']:.2e}), "
            f"full tensor {c['full']:+.2f} ({med[a]['full']:.2e})"
            for a, c in corr.items()
        ),
        tolerance=f"correlation < {below:g}",
        passed=passed,
        scale=scale,
    )


def check_p2_fig7_traj2d(
    *,
    early: dict[str, dict[str, float]],
    late: dict[str, dict[str, float]],
    early_time: float,
    early_tol: float,
    scale: str,
) -> ClaimResult:
    """P2-fig7-traj2d: mean relative error of integrated test trajectories early (t <= early_time) and at the end."""
    passed = bool(all(early[a]["eq27"] < early_tol and late[a]["eq27"] > early[a]["eq27"] for a in early))
    return ClaimResult(
        id="P2-fig7-traj2d",
        claim=(
            f"Learned 2D models integrated from the first test snapshot follow the homogenized solution early "
            f"(relative L2 error, pooled over the test trajectories, < {early_tol:g} for t <= {early_time:g}) and lag "
            "in the final decay (larger error "
            "at t = 1), against the paper's reference (Eq. 27); the full-tensor reference is reported beside it."
        ),
        paper_value="close early, lagging late (Fig. 7)",
        reproduced_value="; ".join(
            f"{a}: Eq.27 early {early[a]['eq27']:.2e} / end {late[a]['eq27']:.2e}, full tensor "
            f"early {early[a]['full']:.2e} / end {late[a]['full']:.2e}"
            for a in early
        ),
        tolerance=f"early < {early_tol:g}, end > early",
        passed=passed,
        scale=scale,
    )


def check_p2_fig8_phase(
    *,
    distance: dict[str, dict[str, float]],
    mse_end: dict[str, dict[str, float]],
    scale: str,
    tol: float = CLAIMS["P2-fig8-phase"].thresholds["distance_below"],
) -> ClaimResult:
    """P2-fig8-phase: max distance of the learned trajectory's six largest Fourier amplitudes from the reference's,
    relative to the reference's initial amplitude norm, while the reference is farther than 10% of it from 0."""
    passed = bool(all(d["eq27"] < tol for d in distance.values()))
    return ClaimResult(
        id="P2-fig8-phase",
        claim=(
            "Projected on the six largest Fourier amplitudes, the learned-model trajectories stay close to the "
            f"homogenized one until near the origin: max distance < {tol:g} of the initial amplitude norm while the "
            "reference is outside 10% of it (paper's reference, Eq. 27; full tensor reported). (a) MSE vs time is "
            "drawn for both references."
        ),
        paper_value="visibly close except near the origin (Fig. 8)",
        reproduced_value="; ".join(
            f"{a}: distance Eq.27 {d['eq27']:.3f}, full {d['full']:.3f}; final rel. MSE "
            f"Eq.27 {mse_end[a]['eq27']:.2e}, full {mse_end[a]['full']:.2e}"
            for a, d in distance.items()
        ),
        tolerance=f"distance < {tol:g}",
        passed=passed,
        scale=scale,
    )

"""Checks of P2 (Arbabi et al. 2020, equation-free homogenization): effective coefficients (Eqs. 22, 27)
and the 2D lattice figures (Sect. 5.2, Figs. 6-8); the 1D patch-dynamics figures are in :mod:`.p2_1d`.

Each check takes plain numbers / arrays and returns one :class:`~coarsepde.claims.rows.ClaimResult`.
"""

from __future__ import annotations

import numpy as np

from .catalogue import CLAIMS
from .rows import ClaimResult

__all__ = [
    "check_astar_1d",
    "check_astar_2d",
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


def _drift_text(drift: dict[str, dict[str, float]]) -> str:
    """One model's late-time split (see check_p2_fig7_traj2d): drift source, growth at 0, MSE split at t = 1."""
    return "; ".join(
        f"{a}: dU/dt at u = 0 {d['rhs_zero']:.2e}, max growth rate at u = 0 {d['growth']:.2e}, at t = 1 "
        f"{100 * d['mean_share']:.1f}% of the MSE (full tensor) is the spatial mean (learned |mean| "
        f"{d['mean_end']:.2e} vs 0), mean-free rel. error {d['demeaned']:.2e}, mean-free amplitude ratio "
        f"{d['amp_ratio']:.2e}, {100 * d['new_share']:.1f}% of the mean-free error in Fourier modes absent from "
        "the initial condition"
        for a, d in drift.items()
    )


def check_p2_fig7_traj2d(
    *,
    early: dict[str, dict[str, float]],
    late: dict[str, dict[str, float]],
    early_time: float,
    early_tol: float,
    scale: str,
    data_early: dict[str, float] | None = None,
    drift: dict[str, dict[str, float]] | None = None,
    variants: dict[str, dict[str, dict[str, float]]] | None = None,
) -> ClaimResult:
    """P2-fig7-traj2d: mean relative error of integrated test trajectories early (t <= early_time) and at the end.

    Scored on the published models (``early`` / ``late``: arch -> reference -> error). Reported beside it:
    ``data_early`` (reference -> the gap-tooth data's own early error), ``drift`` (arch -> ``rhs_zero``,
    ``growth``, ``mean_share``, ``mean_end``, ``demeaned``, ``amp_ratio``, ``new_share``: the late-time split
    into mean drift and lag, :mod:`coarsepde.homogenization.drift2d`, for published models and variants alike) and
    ``variants`` (arch -> {"early", "late"} -> reference -> error: models not in the paper, not scored). The
    verdict of a failure is ``refuted`` when the data themselves are at least ``early_tol`` from Eq. 27 early
    while every published model is within it of the full-tensor reference and ends worse than it starts:
    then the missing term of Eq. 27 (X-p2-tensor), not the learning, fails the check.
    """
    passed = bool(all(early[a]["eq27"] < early_tol and late[a]["eq27"] > early[a]["eq27"] for a in early))
    explained = bool(
        not passed
        and data_early is not None
        and data_early["eq27"] >= early_tol
        and all(early[a]["full"] < early_tol and late[a]["eq27"] > early[a]["eq27"] for a in early)
    )
    evidence = []
    if data_early is not None:
        evidence.append(
            f"gap-tooth data vs Eq.27 early {data_early['eq27']:.2e}, vs full tensor {data_early['full']:.2e}"
            + (" (Eq. 27 omits the lattice's cross term: X-p2-tensor)" if explained else "")
        )
    if drift:
        evidence.append(_drift_text(drift))
    reproduced = [
        f"{a}: Eq.27 early {early[a]['eq27']:.2e} / end {late[a]['eq27']:.2e}, full tensor "
        f"early {early[a]['full']:.2e} / end {late[a]['full']:.2e}"
        for a in early
    ]
    reproduced += [
        f"{a} (variant, not scored): Eq.27 early {v['early']['eq27']:.2e} / end {v['late']['eq27']:.2e}, full tensor "
        f"early {v['early']['full']:.2e} / end {v['late']['full']:.2e}"
        for a, v in (variants or {}).items()
    ]
    return ClaimResult(
        id="P2-fig7-traj2d",
        claim=(
            f"Learned 2D models integrated from the first test snapshot follow the homogenized solution early "
            f"(relative L2 error, pooled over the test trajectories, < {early_tol:g} for t <= {early_time:g}) and lag "
            "in the final decay (larger error "
            "at t = 1), against the paper's reference (Eq. 27); the full-tensor reference is reported beside it. "
            f"Scored on the published models ({', '.join(early)}); the project's mean-conserving variant "
            "(dU/dt = div q) is reported, not scored. Evidence: the late error split into a drift of the spatial "
            "mean and the mean-free part (amplitude ratio > 1: slower decay, the paper's lag)."
        ),
        paper_value="close early, lagging late (Fig. 7)",
        reproduced_value="; ".join(reproduced),
        tolerance=f"early < {early_tol:g}, end > early",
        passed=passed,
        verdict="refuted" if explained else "",
        evidence=" | ".join(evidence),
        scale=scale,
    )


def check_p2_fig8_phase(
    *,
    distance: dict[str, dict[str, float]],
    mse_end: dict[str, dict[str, float]],
    scale: str,
    tol: float = CLAIMS["P2-fig8-phase"].thresholds["distance_below"],
    variants: dict[str, dict[str, dict[str, float]]] | None = None,
) -> ClaimResult:
    """P2-fig8-phase: max distance of the learned trajectory's six largest Fourier amplitudes from the reference's,
    relative to the reference's initial amplitude norm, while the reference is farther than 10% of it from 0.

    Scored on the published models (``distance``, ``mse_end``: arch -> reference -> value); ``variants`` (arch
    -> {"distance", "mse_end"} -> reference -> value) are reported, not scored."""
    passed = bool(all(d["eq27"] < tol for d in distance.values()))
    return ClaimResult(
        id="P2-fig8-phase",
        claim=(
            "Projected on the six largest Fourier amplitudes, the learned-model trajectories stay close to the "
            f"homogenized one until near the origin: max distance < {tol:g} of the initial amplitude norm while the "
            "reference is outside 10% of it (paper's reference, Eq. 27; full tensor reported). (a) MSE vs time is "
            f"drawn for both references. Scored on the published models ({', '.join(distance)}); the project's "
            "mean-conserving variant is reported, not scored."
        ),
        paper_value="visibly close except near the origin (Fig. 8)",
        reproduced_value="; ".join(
            [
                f"{a}: distance Eq.27 {d['eq27']:.3f}, full {d['full']:.3f}; final rel. MSE "
                f"Eq.27 {mse_end[a]['eq27']:.2e}, full {mse_end[a]['full']:.2e}"
                for a, d in distance.items()
            ]
            + [
                f"{a} (variant, not scored): distance Eq.27 {v['distance']['eq27']:.3f}, full "
                f"{v['distance']['full']:.3f}; final rel. MSE Eq.27 {v['mse_end']['eq27']:.2e}, full "
                f"{v['mse_end']['full']:.2e}"
                for a, v in (variants or {}).items()
            ]
        ),
        tolerance=f"distance < {tol:g}",
        passed=passed,
        scale=scale,
    )

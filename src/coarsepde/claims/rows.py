"""Claim checks and ``results/claims.csv``.

Every quantitative claim of the three papers has an ID in ``shared/CLAIMS.md`` (the contract,
mirrored in :data:`CATALOGUE`). A rule that builds an artifact also checks its claim and writes a
small JSON *fragment* (one :class:`ClaimResult`); the ``claims`` rule gathers the fragments into
``results/claims.csv`` with the columns of :data:`COLUMNS`. A failed check is a row with
``passed = False`` and the measured value -- never an exception and never a softened threshold.

The check functions take plain numbers / arrays: this module imports no paper package.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "COLUMNS",
    "CATALOGUE",
    "ClaimResult",
    "write_fragment",
    "write_fragments",
    "read_fragment",
    "gather",
    "write_claims_csv",
    "check_astar_1d",
    "check_astar_2d",
    "check_p2_fig1_grid",
    "check_p2_cost",
    "check_p2_fig2_snapshot",
    "check_p2_fig4_rhs",
    "check_p2_fig5_integrate",
    "check_p2_tensor",
    "check_p2_fig6_rhs2d",
    "check_p2_fig7_traj2d",
    "check_p2_fig8_phase",
    "check_p1_fig4",
]

COLUMNS = ["id", "paper", "artifact", "claim", "paper_value", "reproduced_value", "tolerance", "passed", "scale"]

#: ID -> (paper, artifact), in the order of CLAIMS.md.
CATALOGUE: dict[str, tuple[str, str]] = {
    "P1-fig1-interp": ("P1", "Fig 1 A,B,C"),
    "P1-fig2-coeffs": ("P1", "Fig 2 A,B, inset"),
    "P1-fig3-burgers": ("P1", "Fig 3 A,B,C"),
    "P1-fig4-validtime": ("P1", "Fig 4 (Burgers, KdV, KS)"),
    "P2-astar-1d": ("P2", "Eq. 22"),
    "P2-astar-2d": ("P2", "Eq. 27"),
    "P2-fig1-grid": ("P2", "Fig 1"),
    "P2-cost": ("P2", "Sect. 4-5"),
    "P2-fig2-snapshot": ("P2", "Fig 2"),
    "P2-fig4-rhs": ("P2", "Fig 4"),
    "P2-fig5-integrate": ("P2", "Fig 5"),
    "P2-fig6-rhs2d": ("P2", "Fig 6"),
    "P2-fig7-traj2d": ("P2", "Fig 7"),
    "P2-fig8-phase": ("P2", "Fig 8 a,b"),
    "P3-table1-2": ("P3", "Tables 1, 2"),
    "P3-table3-4": ("P3", "Tables 3, 4"),
    "P3-table5-6": ("P3", "Tables 5, 6"),
    "P3-table7-8": ("P3", "Tables 7, 8"),
    "P3-table9-sparse": ("P3", "Table 9"),
    "P3-table10-mass": ("P3", "Table 10"),
    "P3-table11-order": ("P3", "Table 11"),
    "P3-table12-lasso": ("P3", "Table 12"),
    "P3-table13-pinn": ("P3", "Table 13"),
    "P3-table14-mshdl": ("P3", "Table 14"),
    "P3-table15-limit": ("P3", "Table 15"),
    "P3-table16-bdf": ("P3", "Table 16"),
    "P3-fig4-loss": ("P3", "Fig 4"),
    "P3-fig5-sigma": ("P3", "Fig 5"),
    "X-speed-equal-accuracy": ("X", "benchmark"),
    "X-determinism": ("X", "stores"),
    "X-provenance": ("X", "stores"),
    "X-p2-tensor": ("X", "P2 Figs 7-8"),
    "X-p2-cost-vs-original": ("X", "benchmark"),
}


@dataclass(frozen=True)
class ClaimResult:
    """One row of claims.csv. ``claim`` states the check, thresholds included."""

    id: str
    claim: str
    paper_value: str
    reproduced_value: str
    tolerance: str
    passed: bool
    scale: str

    def __post_init__(self):
        if self.id not in CATALOGUE:
            raise ValueError(f"unknown claim id {self.id!r}; the IDs of CLAIMS.md are the contract")
        if not isinstance(self.passed, (bool, np.bool_)):
            raise TypeError(f"passed must be a bool, got {type(self.passed).__name__}")

    def row(self) -> dict:
        paper, artifact = CATALOGUE[self.id]
        d = asdict(self)
        d.update(paper=paper, artifact=artifact, passed=bool(self.passed))
        return {k: d[k] for k in COLUMNS}


def write_fragment(result: ClaimResult, path: str | Path) -> Path:
    """Write one claim result as JSON (atomically: temporary sibling, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(result.row(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_fragments(results: list[ClaimResult], path: str | Path) -> Path:
    """Several claim results of one rule in one JSON file (a list of rows)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps([r.row() for r in results], indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_fragment(path: str | Path) -> list[ClaimResult]:
    """The claim result(s) of one fragment file (one row, or a list of rows)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable claim fragment ({exc})") from exc
    rows = data if isinstance(data, list) else [data]
    keys = ("id", "claim", "paper_value", "reproduced_value", "tolerance", "passed", "scale")
    try:
        return [ClaimResult(**{k: row[k] for k in keys}) for row in rows]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: malformed claim row ({exc})") from exc


def gather(paths: Iterable[str | Path]) -> pd.DataFrame:
    """All fragments as one table in the order of CLAIMS.md; duplicate IDs are an error."""
    results = [r for p in paths for r in read_fragment(p)]
    ids = [r.id for r in results]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"claim ids reported twice: {dup}")
    order = {cid: k for k, cid in enumerate(CATALOGUE)}
    rows = sorted((r.row() for r in results), key=lambda r: order[r["id"]])
    return pd.DataFrame(rows, columns=COLUMNS)


def write_claims_csv(table: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    table.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def pending_ids(reported: Iterable[str]) -> list[str]:
    """Claim IDs of the contract that no rule reports yet."""
    reported = set(reported)
    return [cid for cid in CATALOGUE if cid not in reported]


# ---------------------------------------------------------------------------------------------
# P2 effective coefficients
# ---------------------------------------------------------------------------------------------


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def check_astar_1d(*, a_star: float, resolution: int, a_mean: float, a_amplitude: float, paper_value: float,
                   rel_tol_exact: float, rel_tol_paper: float, nearest_quadrature: tuple[int, str, float],
                   scale: str) -> ClaimResult:
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
        claim=(f"The effective diffusivity of a(y) = {a_mean:g} + {a_amplitude:g} sin(2 pi y), computed numerically from "
               f"the discrete cell problem (Eqs. 4-6), equals the analytic harmonic mean sqrt({a_mean**2 - a_amplitude**2:g}) "
               f"to {rel_tol_exact:g} relative and the paper's printed {paper_value} to {rel_tol_paper:g} relative. "
               f"The printed value is itself {r_paper_exact:.2e} (relative) off the exact one, while the discrete cell "
               f"problem converges geometrically to the exact one; the closest N-point harmonic mean (N <= 1000) is the "
               f"{nearest_quadrature[1]} rule with N = {nearest_quadrature[0]} ({nearest_quadrature[2]:.10f}), "
               f"still {nearest_quadrature[2] - paper_value:+.1e} away: the printed number is a legacy constant of "
               f"the authors' code whose origin we could not reconstruct, immaterial for every figure."),
        paper_value=f"{paper_value}",
        reproduced_value=(f"{a_star:.12f} (N = {resolution} cells/period); rel. diff. vs sqrt: {r_exact:.2e}, "
                          f"vs paper: {r_paper:.2e}"),
        tolerance=f"rel {rel_tol_exact:g} (exact); rel {rel_tol_paper:g} (paper)",
        passed=passed,
        scale=scale,
    )


def check_astar_2d(*, K: np.ndarray, alignment: str, paper_diagonal: tuple[float, float], abs_tol: float,
                   rates_at: dict[int, tuple[float, float]], scale: str) -> ClaimResult:
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
    orient = ("same orientation as Eq. (27)" if same_order else
              "x/y swapped relative to Eq. (27): the lattice diffuses faster along x")
    rates = "; ".join(f"h = 2pi/{n}: (1,0) {r[0]:.8f}, (0,1) {r[1]:.8f}" for n, r in sorted(rates_at.items()))
    return ClaimResult(
        id="P2-astar-2d",
        claim=(f"The homogenized tensor of the 3-periodic lattice (Eqs. 25-26), from the discrete cell problem with the "
               f"'{alignment}' alignment of kappa^x/kappa^y, has diagonal {paper[0]} and {paper[1]} (compared as an "
               f"unordered pair) within {abs_tol:g} absolute; orientation and off-diagonal reported (Eq. 27 has no "
               f"cross term). Slowest lattice decay rates at finite spacing: {rates}."),
        paper_value=f"K_xx = {paper[0]}, K_yy = {paper[1]}, K_xy = 0",
        reproduced_value=(f"K_xx = {K[0, 0]:.6f}, K_yy = {K[1, 1]:.6f}, K_xy = {K[0, 1]:.6f} "
                          f"(max |diag diff| {err_sorted:.1e}; {orient})"),
        tolerance=f"abs {abs_tol:g} on the diagonal",
        passed=passed,
        scale=scale,
    )


# ---------------------------------------------------------------------------------------------
# P2 1D: patch dynamics and learned homogenized PDEs (Sect. 5.1)
# ---------------------------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v:.3e}"


def check_p2_fig1_grid(*, space_fraction: float, time_fraction: float, n_patches: int, scale: str) -> ClaimResult:
    """P2-fig1-grid: the schematic is drawn from the configured geometry; it states the fractions."""
    passed = bool(space_fraction < 0.08 and time_fraction <= 1e-3)
    return ClaimResult(
        id="P2-fig1-grid",
        claim=("Schematic of the gap-tooth and patch-dynamics space-time grids drawn from the configured teeth, "
               "buffers and time steps; the configured scheme simulates < 8% of space and <= 0.1% of time."),
        paper_value="< 8% of space, 0.1% of time",
        reproduced_value=f"{n_patches} patches: {100 * space_fraction:.2f}% of space, {100 * time_fraction:.3f}% of time",
        tolerance="space < 8%, time <= 0.1%", passed=passed, scale=scale)


def check_p2_cost(*, space_fraction: float, time_fraction: float, patch_seconds: float, full_seconds: float,
                  interval: float, scale: str) -> ClaimResult:
    """P2-cost: the space-time grid of patch dynamics vs the fully resolved one, and wall-clock."""
    ratio = 1.0 / (space_fraction * time_fraction)
    passed = bool(space_fraction < 0.08 and time_fraction <= 1e-3 and ratio >= 1e4)
    return ClaimResult(
        id="P2-cost",
        claim=("Patch dynamics simulates < 8% of space and <= 0.1% of time, a space-time grid >= 1e4 times smaller "
               "than the fully resolved one (same micro spacing); the measured wall-clock of both over the same "
               f"interval (t in [0, {interval:g}], one trajectory) is reported."),
        paper_value="< 8% space, 0.1% time, 10^4 x smaller space-time grid",
        reproduced_value=(f"{100 * space_fraction:.2f}% space, {100 * time_fraction:.3f}% time, grid ratio {ratio:.3g}; "
                          f"wall-clock patch dynamics {patch_seconds:.2f} s vs fully resolved {full_seconds:.1f} s "
                          f"(x{full_seconds / patch_seconds:.1f})"),
        tolerance="space < 8%, time <= 0.1%, ratio >= 1e4", passed=passed, scale=scale)


def check_p2_fig2_snapshot(*, rel_fr_homog: float, rel_pd_homog: float, rel_pd_fr: float, oscillation_period: float,
                           eps: float, tol: float, scale: str, rel_pd_macro_fd: float | None = None) -> ClaimResult:
    """P2-fig2-snapshot: the three macro fields agree; the zooms show the eps-scale oscillation."""
    worst = max(rel_fr_homog, rel_pd_homog, rel_pd_fr)
    period_ok = abs(oscillation_period / eps - 1.0) < 0.05
    return ClaimResult(
        id="P2-fig2-snapshot",
        claim=(f"At t = 0.05, eps = {eps:g}: fully resolved (tooth-averaged), homogenized and patch-dynamics macro "
               f"fields agree to relative L2 < {tol:g} at the macro nodes, and the fully resolved zoom oscillates with "
               "period eps (dominant Fourier period of the detrended zoom within 5% of eps)."),
        paper_value="agreement at large scale; eps-scale variations in the zooms",
        reproduced_value=(f"rel. L2: fully resolved vs homogenized {_fmt(rel_fr_homog)}, patch vs homogenized "
                          f"{_fmt(rel_pd_homog)}, patch vs fully resolved {_fmt(rel_pd_fr)}; zoom period "
                          f"{oscillation_period / eps:.3f} eps"
                          + ("" if rel_pd_macro_fd is None else
                             f"; patch vs homogenized FD on the same macro grid {_fmt(rel_pd_macro_fd)} "
                             "(the rest is the macro grid's discretization error)")),
        tolerance=f"rel. L2 < {tol:g}; period within 5%", passed=bool(worst < tol and period_ok), scale=scale)


def check_p2_fig4_rhs(*, rmse: dict[str, float], data_rmse: float, tol: float, scale: str,
                      late: dict[str, float] | None = None, late_time: float | None = None) -> ClaimResult:
    """P2-fig4-rhs: both architectures predict the homogenized RHS with rMSE (Eq. 24) < tol."""
    passed = bool(all(np.isfinite(v) and v < tol for v in rmse.values()))
    return ClaimResult(
        id="P2-fig4-rhs",
        claim=(f"Both architectures (MLP on (U, U_x, U_xx); conv net on 3-point stencils), trained on patch-dynamics "
               f"data, predict the homogenized right-hand side on the test trajectories with rMSE (Eq. 24) < {tol:g}. "
               "The patch-dynamics data's own rMSE against the same truth (the 11-node grid's discretization error) "
               "is reported as the floor."),
        paper_value="accurate RHS (Fig. 4)",
        reproduced_value=(", ".join(f"{k} {_fmt(v)}" for k, v in rmse.items()) + f"; patch data itself {_fmt(data_rmse)}"
                          + ("" if not late else f"; on snapshots with t >= {late_time:g}: "
                             + ", ".join(f"{k} {_fmt(v)}" for k, v in late.items()))),
        tolerance=f"rMSE < {tol:g}", passed=passed, scale=scale)


def check_p2_fig5_integrate(*, rmse: dict[str, float], stable: dict[str, bool], tol: float, t_max: float,
                            scale: str, late: dict[str, float] | None = None,
                            late_time: float | None = None) -> ClaimResult:
    """P2-fig5-integrate: BDF integration of each learned model from an unseen IC."""
    passed = bool(all(stable.values()) and all(np.isfinite(v) and v < tol for v in rmse.values()))
    return ClaimResult(
        id="P2-fig5-integrate",
        claim=(f"Integrating each learned model with BDF from an unseen initial condition stays stable over "
               f"t in [0, {t_max:g}] and matches the homogenized solution with rMSE < {tol:g}."),
        paper_value="stable, accurate trajectories (Fig. 5)",
        reproduced_value=(", ".join(f"{k} {_fmt(v)} ({'stable' if stable[k] else 'UNSTABLE'})" for k, v in rmse.items())
                          + ("" if not late else f"; over t >= {late_time:g}: "
                             + ", ".join(f"{k} {_fmt(v)}" for k, v in late.items()))),
        tolerance=f"rMSE < {tol:g}", passed=passed, scale=scale)


# ---------------------------------------------------------------------------------------------
# P2 2D (Sect. 5.2) and the project's tensor finding
# ---------------------------------------------------------------------------------------------


def check_p2_tensor(*, K: np.ndarray, paper_diagonal, by_time: dict[float, tuple[float, float]], tol: float,
                    scale: str) -> ClaimResult:
    """X-p2-tensor: gap-tooth macro fields vs the homogenized PDE with the full tensor and with Eq. (27).

    ``by_time`` maps t -> (relative MSE vs full tensor, relative MSE vs Eq. 27) over all trajectories.
    """
    t_end = max(by_time)
    full_end, eq27_end = by_time[t_end]
    passed = bool(full_end < tol and eq27_end > 10 * full_end)
    K = np.asarray(K, dtype=float)
    return ClaimResult(
        id="X-p2-tensor",
        claim=(f"The lattice's full tensor (cell problem, code alignment) has a cross term Eq. (27) omits; gap-tooth "
               f"macro fields agree with the homogenized PDE on the full tensor to < {tol:g} (relative mean-square "
               f"error over all trajectories) at t = {t_end:g}, and at least 10x worse with Eq. (27)."),
        paper_value=f"Eq. (27): {paper_diagonal[0]} u_xx + {paper_diagonal[1]} u_yy",
        reproduced_value=(f"{K[0, 0]:.4f} u_xx + {2 * K[0, 1]:.4f} u_xy + {K[1, 1]:.4f} u_yy; rel. MSE full tensor / "
                          "Eq. 27: " + ", ".join(f"t={t:g}: {a:.2e} / {b:.2e}" for t, (a, b) in sorted(by_time.items()))),
        tolerance=f"full < {tol:g}; Eq. 27 > 10 x full", passed=passed, scale=scale)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (ties broken by order; continuous data here)."""
    ra = np.argsort(np.argsort(np.ravel(a)))
    rb = np.argsort(np.argsort(np.ravel(b)))
    return float(np.corrcoef(ra, rb)[0, 1])


def check_p2_fig6_rhs2d(*, rel_err: dict[str, dict[str, np.ndarray]], rhs_norm: dict[str, np.ndarray],
                        scale: str) -> ClaimResult:
    """P2-fig6-rhs2d: per-snapshot relative RHS error vs |d_t u|, for each model and reference.

    rel_err[arch][ref] and rhs_norm[ref] are arrays over the test snapshots; the check is on the
    paper's own reference (Eq. 27, key "eq27"); the full-tensor reference is reported beside it.
    """
    corr = {a: {r: _spearman(e, rhs_norm[r]) for r, e in d.items()} for a, d in rel_err.items()}
    med = {a: {r: float(np.median(e)) for r, e in d.items()} for a, d in rel_err.items()}
    passed = bool(all(c["eq27"] < 0 for c in corr.values()))
    return ClaimResult(
        id="P2-fig6-rhs2d",
        claim=("2D lattice, gap-tooth data (16x16 patches, ~1% of space): the relative RHS error of the learned models is "
               "small for large-amplitude snapshots and grows toward steady state -- Spearman correlation of the "
               "per-snapshot relative error with ||d_t u|| is negative against the paper's reference (Eq. 27); "
               "the same against the full-tensor reference is reported."),
        paper_value="relative error large for small |d_t u| (Fig. 6)",
        reproduced_value="; ".join(f"{a}: corr Eq.27 {c['eq27']:+.2f} (median rel. err. {med[a]['eq27']:.2e}), "
                                   f"full tensor {c['full']:+.2f} ({med[a]['full']:.2e})" for a, c in corr.items()),
        tolerance="correlation < 0", passed=passed, scale=scale)


def check_p2_fig7_traj2d(*, early: dict[str, dict[str, float]], late: dict[str, dict[str, float]], early_time: float,
                         early_tol: float, scale: str) -> ClaimResult:
    """P2-fig7-traj2d: mean relative error of integrated test trajectories early (t <= early_time) and at the end."""
    passed = bool(all(early[a]["eq27"] < early_tol and late[a]["eq27"] > early[a]["eq27"] for a in early))
    return ClaimResult(
        id="P2-fig7-traj2d",
        claim=(f"Learned 2D models integrated from the first test snapshot follow the homogenized solution early "
               f"(relative L2 error, pooled over the test trajectories, < {early_tol:g} for t <= {early_time:g}) and lag "
               "in the final decay (larger error "
               "at t = 1), against the paper's reference (Eq. 27); the full-tensor reference is reported beside it."),
        paper_value="close early, lagging late (Fig. 7)",
        reproduced_value="; ".join(f"{a}: Eq.27 early {early[a]['eq27']:.2e} / end {late[a]['eq27']:.2e}, full tensor "
                                   f"early {early[a]['full']:.2e} / end {late[a]['full']:.2e}" for a in early),
        tolerance=f"early < {early_tol:g}, end > early", passed=passed, scale=scale)


def check_p2_fig8_phase(*, distance: dict[str, dict[str, float]], mse_end: dict[str, dict[str, float]],
                        scale: str, tol: float = 0.1) -> ClaimResult:
    """P2-fig8-phase: max distance of the learned trajectory's six largest Fourier amplitudes from the reference's,
    relative to the reference's initial amplitude norm, while the reference is farther than 10% of it from 0."""
    passed = bool(all(d["eq27"] < tol for d in distance.values()))
    return ClaimResult(
        id="P2-fig8-phase",
        claim=("Projected on the six largest Fourier amplitudes, the learned-model trajectories stay close to the "
               f"homogenized one until near the origin: max distance < {tol:g} of the initial amplitude norm while the "
               "reference is outside 10% of it (paper's reference, Eq. 27; full tensor reported). (a) MSE vs time is "
               "drawn for both references."),
        paper_value="visibly close except near the origin (Fig. 8)",
        reproduced_value="; ".join(f"{a}: distance Eq.27 {d['eq27']:.3f}, full {d['full']:.3f}; final rel. MSE "
                                   f"Eq.27 {mse_end[a]['eq27']:.2e}, full {mse_end[a]['full']:.2e}"
                                   for a, d in distance.items()),
        tolerance=f"distance < {tol:g}", passed=passed, scale=scale)


# ---------------------------------------------------------------------------------------------
# P1 Burgers (Bar-Sinai et al. 2019)
# ---------------------------------------------------------------------------------------------


def check_p1_fig3(*, mae: dict[str, dict[int, float]], shown: dict[str, dict[int, bool]], ratio: int,
                  const_min_factor: int, nn_factor: int, nn_stable: bool, scale: str) -> ClaimResult:
    """P1-fig3-burgers on the 10x domain: NN at R vs fv1 at R/ratio; constant models vs fv1 for
    R >= const_min_factor; the NN at ``nn_factor`` does not diverge.

    ``mae[method][R]`` is the mean MAE (NaN if any run diverged), ``shown`` the Fig. 3C marker rule.
    """
    factors = sorted(mae["nn"])
    pairs, fails = [], []
    for R in factors:
        r = R // ratio
        if R % ratio or r not in mae["fv1"] or not shown["fv1"][r]:
            continue
        ok = shown["nn"][R] and mae["nn"][R] <= mae["fv1"][r]
        pairs.append(f"NN {R}x {_fmt(mae['nn'][R])} vs FV1 {r}x {_fmt(mae['fv1'][r])}")
        if not ok:
            fails.append(f"NN {R}x")
    const_txt = []
    for name in ("const", "const_godunov"):
        for R in factors:
            if R < const_min_factor:
                continue
            ok = shown[name][R] and (not shown["fv1"][R] or mae[name][R] < mae["fv1"][R])
            const_txt.append(f"{name} {R}x {_fmt(mae[name][R])} vs FV1 {_fmt(mae['fv1'][R])}")
            if not ok:
                fails.append(f"{name} {R}x")
    if not pairs:
        fails.append(f"no factor R with R/{ratio} evaluated and the baseline stable")
    if not nn_stable:
        fails.append(f"NN {nn_factor}x diverged on the 10x domain")
    return ClaimResult(
        id="P1-fig3-burgers",
        claim=(f"On the 10x domain [0, 20 pi], MAE (space, t < 15, all realizations): the NN at resample factor R is no "
               f"worse than the first-order baseline at R/{ratio} wherever that baseline is stable; both constant-"
               f"coefficient models beat the baseline at every R >= {const_min_factor} (a diverged baseline counts as "
               f"beaten); the {nn_factor}x NN does not diverge on the 10x domain."),
        paper_value="NN ~ baseline at 8x finer resolution; constant coefficients beat the baseline (Fig. 3C)",
        reproduced_value="; ".join(pairs + const_txt) + f"; NN {nn_factor}x {'stable' if nn_stable else 'DIVERGED'}"
                         + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="MAE ordering (no numeric tolerance)", passed=not fails, scale=scale)


def check_p1_fig4(*, stats: dict[str, dict[str, dict[int, tuple[float, float, float]]]], t_max: dict[str, float],
                  n_sims: dict[str, int], min_valid_fraction: float, scale: str, note: str = "") -> ClaimResult:
    """P1-fig4-validtime. ``stats[equation][method][factor] = (median, ci_low, ci_high)`` of the
    valid time; ``t_max[equation]`` the simulated time, ``n_sims`` the simulations per equation.

    Per equation, with "valid" meaning a median valid time >= min_valid_fraction * t_max:
    (a) at every factor the NN median is >= the lower CI bound of every other method ("NN >= every
    other method within CI"); (b) at the coarsest factor where any method is valid, the NN median is
    above every other method's upper CI bound (strictly better); (c) at the coarsest factor evaluated
    the NN is not valid (it also fails). Passes if (a)-(c) hold for every equation.
    """
    parts, fails = [], []
    for eq, by_method in stats.items():
        if "nn" not in by_method:
            raise ValueError(f"{eq}: no NN valid times")
        others = [m for m in by_method if m != "nn"]
        factors = sorted(by_method["nn"])
        level = min_valid_fraction * t_max[eq]
        nn = by_method["nn"]
        below = [f"{m} {f}x" for f in factors for m in others
                 if f in by_method[m] and nn[f][0] < by_method[m][f][1]]
        if below:
            fails.append(f"{eq}: NN below the CI of {', '.join(below)}")
        valid_f = [f for f in factors if any(by_method[m].get(f, (0.0,))[0] >= level for m in by_method)]
        if valid_f:
            r = max(valid_f)
            his = {m: by_method[m][r][2] for m in others if r in by_method[m]}
            best = max(his, key=his.get) if his else "none"
            hi = his.get(best, -np.inf)
            if not nn[r][0] > hi:
                fails.append(f"{eq}: NN not strictly best at {r}x ({_fmt(nn[r][0])} vs {best} CI high {_fmt(hi)})")
            strict = f"coarsest valid {r}x: NN {_fmt(nn[r][0])} vs best other {best} CI high {_fmt(hi)}"
        else:
            fails.append(f"{eq}: no method valid at any factor")
            strict = "no method valid"
        top = factors[-1]
        if nn[top][0] >= level:
            fails.append(f"{eq}: NN still valid at the coarsest factor {top}x ({_fmt(nn[top][0])})")
        medians = ", ".join(f"{f}x " + "/".join(f"{m} {_fmt(by_method[m][f][0])}" for m in by_method if f in by_method[m])
                            for f in factors)
        parts.append(f"{eq} ({n_sims[eq]} sims, t_max {t_max[eq]:g}, valid >= {level:g}): {medians}; {strict}; "
                     f"NN at {top}x {_fmt(nn[top][0])}")
    return ClaimResult(
        id="P1-fig4-validtime",
        claim=("Median valid simulation time (bootstrap 95% CI; valid while >= 80% of the cells are within the 20th "
               "percentile of |v_exact|), Burgers/KdV/KS: at every resample factor the NN median is >= the lower CI "
               "bound of every other method; at the coarsest factor where any method has a median valid time >= "
               f"{min_valid_fraction:g} t_max the NN median exceeds every other method's upper CI bound; at the "
               "coarsest factor evaluated the NN median is below that level (it fails too)."
               + (f" {note}" if note else "")),
        paper_value="NN >= all methods at all factors, best at coarse factors, fails at large factors (Fig. 4)",
        reproduced_value="; ".join(parts) + (f"; failing: {'; '.join(fails)}" if fails else ""),
        tolerance="95% bootstrap CI of the median", passed=not fails, scale=scale)


def check_p1_fig2(*, correlation: float, max_correlation: float, distances: dict[str, float], min_distance: float,
                  factor: int, scale: str, value_correlation: float | None = None) -> ClaimResult:
    """P1-fig2-coeffs: constant coefficients differ from every polynomial stencil (relative L2
    distance > min_distance) and the NN centre of mass of the d/dx stencil (the paper's Fig. 2
    panel) anti-correlates with v (< max_correlation). The value stencil's correlation (SI Fig.
    S3C) is reported beside it, not scored."""
    nearest = min(distances, key=distances.get)
    passed = bool(correlation < max_correlation and distances[nearest] > min_distance)
    return ClaimResult(
        id="P1-fig2-coeffs",
        claim=(f"The optimized constant d/dx coefficients ({factor}x) differ from every centered/one-sided polynomial "
               f"stencil by a relative L2 distance > {min_distance:g}; the NN coefficient centre of mass is upwind: its "
               f"Pearson correlation with the face value v over the test set is < {max_correlation:g}."),
        paper_value="constant coefficients unlike polynomial stencils; centre of mass opposite to sign(v) (Fig. 2)",
        reproduced_value=(f"correlation {correlation:.3f} (d/dx stencil)"
                          + ("" if value_correlation is None else
                             f", {value_correlation:.3f} for the value stencil (SI Fig. S3C, not scored)")
                          + f"; nearest polynomial stencil {nearest} at distance {distances[nearest]:.3f}"),
        tolerance=f"correlation < {max_correlation:g}, distance > {min_distance:g}", passed=passed, scale=scale)


# ---------------------------------------------------------------------------------------------
# P3 (Delgadillo, Hu, Yang): errors[(table, scheme)][inv_eps] = {"adam": %, "converged": %}
# ``protocol`` picks the fits a claim is scored on ("converged": the optimum of the ansatz; "adam": the
# paper's optimizer at the scale's budget); both are reported in reproduced_value.
# ---------------------------------------------------------------------------------------------
P3Errors = dict  # {(table, scheme): {inv_eps: {"adam": float, "converged": float}}}


def _p3_row(errors: P3Errors, key, protocol: str = "adam") -> str:
    vals = errors[key]
    return ", ".join(f"1/{inv}: {vals[inv][protocol]:.3g}" for inv in sorted(vals))


def _p3_summary(errors: P3Errors, paper: dict) -> str:
    parts = []
    for key in errors:
        t, s = key
        parts.append(f"T{t} {s} adam [{_p3_row(errors, key)}] | converged [{_p3_row(errors, key, 'converged')}]"
                     + (f" | paper [{', '.join(f'1/{k}: {v:g}' for k, v in sorted(paper[key].items()))}]"
                        if key in paper else ""))
    return "; ".join(parts)


def _p3_paper(paper: dict) -> str:
    return "; ".join(f"T{t} {s}: " + ", ".join(f"1/{k} {v:g}%" for k, v in sorted(vals.items()))
                     for (t, s), vals in paper.items())


def check_p3_table1_2(*, errors: P3Errors, paper: dict, threshold: float, scale: str, protocol: str = "converged") -> ClaimResult:
    """P3-table1-2: FE (Table 1) and IMEX1 (Table 2) without the multiscale ansatz: Error% grows with 1/eps
    (smallest eps above largest eps) and exceeds ``threshold`` at the smallest eps, for both schemes."""
    fails = []
    for key, vals in errors.items():
        invs = sorted(vals)
        lo, hi = vals[invs[0]][protocol], vals[invs[-1]][protocol]
        if not (hi > lo and hi > threshold):
            fails.append(f"T{key[0]} {key[1]}")
    return ClaimResult(
        id="P3-table1-2",
        claim=f"[{protocol} fits] " + (f"Forward Euler and IMEX1 fitting without the multiscale ansatz (M = 0): the error at the "
               f"smallest eps exceeds the error at the largest eps and exceeds {threshold:g}%."),
        paper_value=_p3_paper(paper), reproduced_value=_p3_summary(errors, paper)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"> {threshold:g}% at the smallest eps", passed=not fails, scale=scale)


def check_p3_table3_4(*, errors: P3Errors, paper: dict, ratio: float, cap: float, agree_factor: float,
                      agree_min_inv: int, scale: str, protocol: str = "converged") -> ClaimResult:
    """P3-table3-4: per scheme (FE: Tables 1/3, IMEX1: 2/4), at the smallest eps the M = 2 error is < ratio x
    the M = 0 error and < cap; for 1/eps <= agree_min_inv the two errors agree within agree_factor (or both
    are below 1%)."""
    fails, notes = [], []
    for s, (t0, t2) in {"fe": (1, 3), "imex1": (2, 4)}.items():
        m0, m2 = errors[(t0, s)], errors[(t2, s)]
        invs = sorted(m2)
        e0, e2 = m0[invs[-1]][protocol], m2[invs[-1]][protocol]
        notes.append(f"{s} 1/{invs[-1]}: M=2 {e2:.3g}% vs M=0 {e0:.3g}%")
        if not (e2 < ratio * e0 and e2 < cap):
            fails.append(f"{s} at 1/{invs[-1]}")
        for inv in invs:
            if inv > agree_min_inv:
                continue
            a, b = m0[inv][protocol], m2[inv][protocol]
            if max(a, b) >= 1.0 and max(a, b) > agree_factor * min(a, b):
                fails.append(f"{s} at 1/{inv} ({a:.3g} vs {b:.3g})")
    return ClaimResult(
        id="P3-table3-4",
        claim=f"[{protocol} fits] " + (f"With the multiscale ansatz (M = 2), at the smallest eps the error is < {ratio:g} x the "
               f"non-multiscale error and < {cap:g}% for FE and IMEX1; for 1/eps <= {agree_min_inv} the two "
               f"ansaetze agree within a factor {agree_factor:g} (or both < 1%)."),
        paper_value=_p3_paper(paper), reproduced_value="; ".join(notes) + "; " + _p3_summary(errors, paper)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"ratio < {ratio:g}, < {cap:g}%, factor {agree_factor:g}", passed=not fails, scale=scale)


def check_p3_table5_6(*, errors: P3Errors, paper: dict, small: float, large: float, fail_from: dict[str, int],
                      scale: str, protocol: str = "converged") -> ClaimResult:
    """P3-table5-6: without multiscale (Adam), IMEX-BDF-2 (Table 5) and ARS(2,2,2) (Table 6): error < small at
    the largest eps, and > large at every 1/eps >= fail_from[scheme]."""
    fails = []
    for (t, s), vals in errors.items():
        invs = sorted(vals)
        if not vals[invs[0]][protocol] < small:
            fails.append(f"T{t} {s} at 1/{invs[0]}")
        for inv in invs:
            if inv >= fail_from[s] and not vals[inv][protocol] > large:
                fails.append(f"T{t} {s} at 1/{inv}")
    return ClaimResult(
        id="P3-table5-6",
        claim=f"[{protocol} fits] " + (f"IMEX-BDF-2 and ARS(2,2,2) fitting without the multiscale ansatz: error < {small:g}% at the "
               f"largest eps and > {large:g}% for 1/eps >= " + ", ".join(f"{v} ({k})" for k, v in fail_from.items())
               + "."),
        paper_value=_p3_paper(paper), reproduced_value=_p3_summary(errors, paper)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"< {small:g}% / > {large:g}%", passed=not fails, scale=scale)


def check_p3_table7_8(*, errors: P3Errors, paper: dict, small: float, small_max_inv: int, ars_cap: float,
                      scale: str, protocol: str = "converged") -> ClaimResult:
    """P3-table7-8: with multiscale (Adam), IMEX-BDF-2 and ARS(2,2,2) errors < small for 1/eps <=
    small_max_inv; ARS(2,2,2) < ars_cap at the smallest eps."""
    fails = []
    for (t, s), vals in errors.items():
        invs = sorted(vals)
        for inv in invs:
            if inv <= small_max_inv and not vals[inv][protocol] < small:
                fails.append(f"T{t} {s} at 1/{inv}")
        if s == "ars222" and not vals[invs[-1]][protocol] < ars_cap:
            fails.append(f"T{t} {s} at 1/{invs[-1]} (cap {ars_cap:g}%)")
    return ClaimResult(
        id="P3-table7-8",
        claim=f"[{protocol} fits] " + (f"With the multiscale ansatz, IMEX-BDF-2 and ARS(2,2,2) errors are < {small:g}% for every "
               f"1/eps <= {small_max_inv}, and ARS(2,2,2) < {ars_cap:g}% at the smallest eps."),
        paper_value=_p3_paper(paper), reproduced_value=_p3_summary(errors, paper)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"< {small:g}% / < {ars_cap:g}%", passed=not fails, scale=scale)


def check_p3_table11(*, errors: P3Errors, paper: dict, scale: str, protocol: str = "converged") -> ClaimResult:
    """P3-table11-order: the fourth-order fit (IMEX-BDF-4) has a lower error than the second-order one
    (IMEX-BDF-2) at every eps of Table 11 (Adam)."""
    e2, e4 = errors[(11, "bdf2")], errors[(11, "bdf4")]
    fails = [f"1/{inv}" for inv in sorted(e2) if not e4[inv][protocol] < e2[inv][protocol]]
    return ClaimResult(
        id="P3-table11-order",
        claim=f"[{protocol} fits] " + "Fourth-order fitting (IMEX-BDF-4) has a lower error than second-order fitting (IMEX-BDF-2).",
        paper_value=_p3_paper(paper), reproduced_value=_p3_summary(errors, paper)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="strict ordering", passed=not fails, scale=scale)


def check_p3_table16(*, derived: dict[int, str], equal: dict[int, bool], scale: str) -> ClaimResult:
    """P3-table16-bdf: the IMEX-BDF coefficients derived from the order conditions equal Table 16 exactly."""
    return ClaimResult(
        id="P3-table16-bdf",
        claim="The IMEX-BDF-q coefficients (alpha, gamma, beta), q = 1..4, derived from the order conditions as "
              "exact rationals, equal Table 16.",
        paper_value="Table 16 (q = 1..4)",
        reproduced_value="; ".join(f"q={q}: {derived[q]}" + ("" if equal[q] else " (DIFFERS)") for q in sorted(derived)),
        tolerance="exact (rationals)", passed=all(equal.values()), scale=scale)


def check_p3_fig4(*, iterations_ms: float, iterations_plain: float, final_plain: float, reached: bool,
                  fraction: float, inv_eps: int, scale: str) -> ClaimResult:
    """P3-fig4-loss: the multiscale Adam fit reaches the final loss of the non-multiscale fit within
    ``fraction`` of the non-multiscale iterations."""
    passed = bool(reached and iterations_ms < fraction * iterations_plain)
    return ClaimResult(
        id="P3-fig4-loss",
        claim=(f"Loss vs Adam iteration (forward Euler, eps = 1/{inv_eps}): the multiscale fit (M = 2) reaches the "
               f"non-multiscale fit's final loss in fewer than {fraction:g} x its iterations."),
        paper_value="multiscale converges faster (Fig. 4, Example 5.1)",
        reproduced_value=(f"M = 0 final loss {final_plain:.4g} after {iterations_plain:g} iterations; M = 2 "
                          + (f"reaches it at iteration {iterations_ms:g}" if reached else "never reaches it")),
        tolerance=f"< {fraction:g} x iterations", passed=passed, scale=scale)


# -- P3 Examples 6.3-6.10 (Tables 9, 10, 12-15, Fig. 5) -----------------------------------------------------
def _pct(v: float) -> str:
    return f"{v:.3g}%"


def check_p3_table9(*, errors: dict[str, float], converged: dict[str, float], paper: dict[str, float], inv_eps: int,
                    scale: str) -> ClaimResult:
    """P3-table9-sparse: Error% of multiscale + sparse < multiscale < plain (Adam fits; the converged ones are
    reported beside them)."""
    e = errors
    passed = bool(e["multiscale + sparse"] < e["multiscale"] < e["plain"])
    return ClaimResult(
        id="P3-table9-sparse",
        claim=f"[adam fits] At eps = 1/{inv_eps} (IMEX-BDF-2, K = 2): Error% multiscale + sparse < multiscale < plain.",
        paper_value=", ".join(f"{k} {_pct(v)}" for k, v in paper.items()) + " (from the printed differences)",
        reproduced_value=", ".join(f"{k} {_pct(v)}" for k, v in e.items())
        + "; converged fits: " + ", ".join(f"{k} {_pct(v)}" for k, v in converged.items()),
        tolerance="strict ordering", passed=passed, scale=scale)


def check_p3_table10(*, errors: dict[int, dict[str, float]], converged: dict[int, dict[str, float]],
                     paper: dict[str, dict[int, float]], scale: str) -> ClaimResult:
    """P3-table10-mass: the <g> = 0 penalty lowers the Error% at every eps of Table 10 (Adam fits)."""
    fails = [f"1/{k}" for k, e in sorted(errors.items()) if not e["<g> = 0"] < e["no <g> = 0"]]
    fmt = lambda d: "; ".join(f"1/{k}: without {_pct(e['no <g> = 0'])}, with {_pct(e['<g> = 0'])}"  # noqa: E731
                              for k, e in sorted(d.items()))
    return ClaimResult(
        id="P3-table10-mass",
        claim="[adam fits] The <g> = 0 penalty (Eq. 4.15) lowers the Error% at eps = "
              + ", ".join(f"1/{k}" for k in sorted(errors)) + ".",
        paper_value="; ".join(f"1/{k}: without {_pct(paper['no <g> = 0'][k])}, with {_pct(paper['<g> = 0'][k])}"
                              for k in sorted(paper["<g> = 0"])),
        reproduced_value=fmt(errors) + " | converged fits: " + fmt(converged)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="strictly lower", passed=not fails, scale=scale)


def check_p3_table12(*, dcrnn: dict[int, float], lasso: dict[int, float], others: dict[str, dict[int, float]],
                     paper: dict[str, dict[int, float]], dcrnn_label: str, scale: str) -> ClaimResult:
    """P3-table12-lasso: DC-RNN Error% < Lasso Error% (the paper's best alpha) at every eps of Table 12."""
    fails = [f"1/{k}" for k in sorted(dcrnn) if not dcrnn[k] < lasso[k]]
    row = lambda d: ", ".join(f"1/{k} {_pct(v)}" for k, v in sorted(d.items()))  # noqa: E731
    return ClaimResult(
        id="P3-table12-lasso",
        claim=f"DC-RNN ({dcrnn_label}) Error% < Lasso Error% (alpha of lowest Error%, the paper's 'best alpha'; "
              "d_t target: PDE-FIND's centred difference) on the 18-term dictionary.",
        paper_value="Lasso " + row(paper["lasso"]) + "; DC-RNN " + row(paper["dc-rnn"]),
        reproduced_value="DC-RNN " + row(dcrnn) + "; Lasso " + row(lasso) + "; "
        + "; ".join(f"{k} {row(v)}" for k, v in others.items()) + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="strictly lower", passed=not fails, scale=scale)


def check_p3_table13(*, plain: float, pt: float, inv_eps: int, fail_above: float, pass_below: float,
                     scale: str) -> ClaimResult:
    """P3-table13-pinn: the PINN-style fit fails without the perturbation expansion and succeeds with it."""
    return ClaimResult(
        id="P3-table13-pinn",
        claim=f"PINN-style fit at eps = 1/{inv_eps}: Error% > {fail_above:g}% without the perturbation expansion "
              f"(Eq. 6.8), < {pass_below:g}% with it (Eq. 6.10).",
        paper_value="without: LARGE (every coefficient off by ~ its value); with: Small",
        reproduced_value=f"without {_pct(plain)}, with {_pct(pt)}",
        tolerance=f"> {fail_above:g}% / < {pass_below:g}%", passed=bool(plain > fail_above and pt < pass_below),
        scale=scale)


def check_p3_table14(*, dcrnn: dict[int, float], ms_hdl: dict[int, float], others: dict[str, dict[int, float]],
                     paper: dict[str, dict[int, float]], factor: float, dcrnn_label: str, scale: str) -> ClaimResult:
    """P3-table14-mshdl: DC-RNN (unsplit data) Error% <= factor x MS-HDL's (perfectly split data)."""
    fails = [f"1/{k}" for k in sorted(dcrnn) if not dcrnn[k] <= factor * ms_hdl[k]]
    row = lambda d: ", ".join(f"1/{k} {_pct(v)}" for k, v in sorted(d.items()))  # noqa: E731
    return ClaimResult(
        id="P3-table14-mshdl",
        claim=f"DC-RNN ({dcrnn_label}, unsplit data) Error% <= {factor:g} x MS-HDL's (data split by scale, "
              "dt_j = dt eps^j).",
        paper_value="MS-HDL " + row(paper["ms-hdl"]) + "; DC-RNN " + row(paper["dc-rnn"])
        + " (1/128 printed 0.010%, its own differences give 0.10%)",
        reproduced_value="DC-RNN " + row(dcrnn) + "; MS-HDL " + row(ms_hdl) + "; "
        + "; ".join(f"MS-HDL ({k}) {row(v)}" for k, v in others.items())
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"<= {factor:g} x", passed=not fails, scale=scale)


def check_p3_table15(*, coefficients: dict[int, tuple[float, float]], paper: dict[int, tuple[float, float]],
                     tol: float, limit_from: int, scale: str) -> ClaimResult:
    """P3-table15-limit: (d_xx rho, <v d_x g>) coefficients: <v d_x g> within tol of -1 (d_xx rho within tol of
    0) at the largest eps; d_xx rho within tol of 1 (<v d_x g> within tol of 0) for 1/eps >= limit_from."""
    inv = sorted(coefficients)
    fails = []
    c0 = coefficients[inv[0]]
    if not (abs(c0[1] + 1.0) <= tol and abs(c0[0]) <= tol):
        fails.append(f"1/{inv[0]}")
    for k in inv:
        if k >= limit_from and not (abs(coefficients[k][0] - 1.0) <= tol and abs(coefficients[k][1]) <= tol):
            fails.append(f"1/{k}")
    fmt = lambda d: "; ".join(f"1/{k}: d_xx rho {d[k][0]:.4f}, <v d_x g> {d[k][1]:.4f}" for k in sorted(d))  # noqa: E731
    return ClaimResult(
        id="P3-table15-limit",
        claim=f"Learned rho-equation (sigma_S = 1/3): coefficient of <v d_x g> within {tol:g} of -1 at eps = "
              f"1/{inv[0]}, of d_xx rho within {tol:g} of 1 for eps <= 1/{limit_from} (the other within {tol:g} of 0).",
        paper_value=fmt(paper), reproduced_value=fmt(coefficients) + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"+-{tol:g}", passed=not fails, scale=scale)


def check_p3_fig5(*, tv: dict[str, float], max_error: dict[str, float], true_tv: float, scale: str,
                  protocol: str = "converged") -> ClaimResult:
    """P3-fig5-sigma: with the continuity penalty the learned sigma_S(x) has lower total variation and lower max
    error than without."""
    passed = bool(tv["continuity"] < tv["plain"] and max_error["continuity"] < max_error["plain"])
    return ClaimResult(
        id="P3-fig5-sigma",
        claim=f"[{protocol} fits] Learned sigma_S(x) (sigma_S = 1 + 100 x^2, eps = 1): with the continuity penalty (Eq. 4.18) its total "
              "variation and its max error vs the truth are lower than without.",
        paper_value="without: jumps (over-fitting), range [1.100, 96.243]; with: smooth, range [1.060, 96.107]",
        reproduced_value=(f"TV without {tv['plain']:.4g}, with {tv['continuity']:.4g} (truth {true_tv:.4g}); max error "
                          f"without {max_error['plain']:.4g}, with {max_error['continuity']:.4g}"),
        tolerance="strictly lower (both)", passed=passed, scale=scale)

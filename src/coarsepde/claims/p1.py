"""Checks of P1 (Bar-Sinai et al. 2019, data-driven discretization): Figs. 1-4.

Each check takes plain numbers / arrays and returns one :class:`~coarsepde.claims.rows.ClaimResult`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from .rows import ClaimResult, sci

__all__ = ["Fig1Thresholds", "check_p1_fig1", "check_p1_fig2", "check_p1_fig3", "check_p1_fig4"]


@dataclass(frozen=True)
class Fig1Thresholds:
    """P1-fig1-interp: ``min_ratio`` (B, C: at least this many times fewer poor points / lower top-decile median),
    ``top_quantile`` (C: the curvature quantile that starts the top group), ``poor_quantile`` (B: the polynomial's
    error quantile above which a point is poor), ``overshoot_tol`` (A: an overshoot beyond the exact range over the
    shock's vicinity larger than this fraction of that range counts)."""

    min_ratio: float
    top_quantile: float
    poor_quantile: float
    overshoot_tol: float


def check_p1_fig1(
    *, stats: Mapping[str, float], thresholds: Fig1Thresholds, factor: int, n_val: int, scale: str, note: str = ""
) -> ClaimResult:
    """P1-fig1-interp, the paper's three statements on Fig. 1. ``stats`` holds the numbers of
    :func:`coarsepde.discretization.interpolation_metrics.fig1_statistics` (``shock_overshoot_<m>``,
    ``poor_fraction_<m>``, ``top_median_<m>``, ``median_<m>`` for m = nn, poly, and the thresholds and counts).

    (A) the median overshoot in the shocks' vicinity (each snapshot's interval of largest curvature and one interval
    either side: :func:`coarsepde.discretization.interpolation_metrics.interval_overshoot`) is above
    ``overshoot_tol`` for the polynomial and at most that for the NN; (B) poly / NN fraction of points above the
    polynomial's ``poor_quantile`` error >= ``min_ratio``; (C) poly / NN median point error in the top curvature
    group >= ``min_ratio``. The overall medians are reported, not scored.
    """
    th, st = thresholds, stats
    tol = th.overshoot_tol
    parts = {
        "A": st["shock_overshoot_poly"] > tol and st["shock_overshoot_nn"] <= tol,
        "B": st["poor_ratio"] >= th.min_ratio,
        "C": st["top_ratio"] >= th.min_ratio,
    }
    fails = [k for k, ok in parts.items() if not ok]
    top_pct = f"{100 * (1 - th.top_quantile):g}%"
    return ClaimResult(
        id="P1-fig1-interp",
        claim=(
            f"On held-out Burgers snapshots (point values known every {factor}th fine point), NN vs the fourth-order "
            "polynomial (cubic through the 4 nearest known points) on the points between: (A) in the vicinity of "
            "each snapshot's shock (its interval of largest curvature and one interval either side, the reach of "
            "the cubic's stencil) the polynomial overshoots and the NN does not -- median overshoot beyond the "
            f"exact values' range over that span > {tol:g} of that range for the "
            f"polynomial, <= {tol:g} for the NN; (B) the fraction of points whose |error| exceeds the polynomial's "
            f"{100 * th.poor_quantile:g}th-percentile |error| is at least {th.min_ratio:g}x smaller for the NN; (C) "
            f"in the top {top_pct} of local curvature (max |v_xx| over the interval) the NN's median |error| is at "
            f"least {th.min_ratio:g}x lower. The overall medians are reported, not scored."
        ),
        paper_value="polynomial overshoots at shocks, the NN does not (Fig. 1A); NN 'vastly reduces the number of "
        "poor predictions' (Fig. 1B); NN far better at high curvature (Fig. 1C)",
        reproduced_value=(
            f"(A) median shock overshoot poly {st['shock_overshoot_poly']:.3f}, NN {st['shock_overshoot_nn']:.3f} "
            f"({st['n_shock']} snapshots); (B) points above {sci(st['poor_threshold'])}: poly "
            f"{100 * st['poor_fraction_poly']:.2f}%, NN {100 * st['poor_fraction_nn']:.2f}% (ratio "
            f"{st['poor_ratio']:.2f}); (C) top {top_pct} (curvature >= {st['top_threshold']:.3g}, {st['n_top']} "
            f"intervals): median |error| poly {sci(st['top_median_poly'])}, NN {sci(st['top_median_nn'])} (ratio "
            f"{st['top_ratio']:.2f}); overall median |error| poly {sci(st['median_poly'])}, NN "
            f"{sci(st['median_nn'])} (ratio {st['median_ratio']:.2f}, not scored); {n_val} validation snapshots"
            + (f"; {note}" if note else "")
            + (f"; failing: {', '.join(fails)}" if fails else "")
        ),
        tolerance=f"overshoot {tol:g}; ratios >= {th.min_ratio:g}",
        passed=not fails,
        scale=scale,
    )


def check_p1_fig2(
    *,
    correlation: float,
    max_correlation: float,
    distances: dict[str, float],
    min_distance: float,
    factor: int,
    scale: str,
    value_correlation: float | None = None,
) -> ClaimResult:
    """P1-fig2-coeffs: constant coefficients differ from every polynomial stencil (relative L2
    distance > min_distance) and the NN centre of mass of the d/dx stencil (the paper's Fig. 2
    panel) anti-correlates with v (< max_correlation). The value stencil's correlation (SI Fig.
    S3C) is reported beside it, not scored."""
    nearest = min(distances, key=distances.get)
    passed = bool(correlation < max_correlation and distances[nearest] > min_distance)
    return ClaimResult(
        id="P1-fig2-coeffs",
        claim=(
            f"The optimized constant d/dx coefficients ({factor}x) differ from every centered/one-sided polynomial "
            f"stencil by a relative L2 distance > {min_distance:g}; the NN coefficient centre of mass is upwind: its "
            f"Pearson correlation with the face value v over the test set is < {max_correlation:g}."
        ),
        paper_value="constant coefficients unlike polynomial stencils; centre of mass opposite to sign(v) (Fig. 2)",
        reproduced_value=(
            f"correlation {correlation:.3f} (d/dx stencil)"
            + (
                ""
                if value_correlation is None
                else f", {value_correlation:.3f} for the value stencil (SI Fig. S3C, not scored)"
            )
            + f"; nearest polynomial stencil {nearest} at distance {distances[nearest]:.3f}"
        ),
        tolerance=f"correlation < {max_correlation:g}, distance > {min_distance:g}",
        passed=passed,
        scale=scale,
    )


def check_p1_fig3(
    *,
    mae: dict[str, dict[int, float]],
    shown: dict[str, dict[int, bool]],
    ratio: int,
    const_min_factor: int,
    nn_factor: int,
    nn_stable: bool,
    scale: str,
) -> ClaimResult:
    """P1-fig3-burgers on the 10x domain: NN at R vs fv1 at R/ratio, for every R where that baseline is stable;
    constant models vs fv1 at every R >= const_min_factor (of the factors each was run at) where fv1 is stable; the
    NN at ``nn_factor`` does not diverge.

    ``mae[method][R]`` is the mean MAE (NaN if any run diverged); ``shown[method][R]`` the Fig. 3C marker rule
    (not diverged and better than v = 0), which is what "stable" means here. A factor whose baseline is not
    stable is left out of the comparison and named in the row; a comparison with no factor left fails.
    """
    factors = sorted(mae["nn"])
    pairs, fails, excluded = [], [], []
    for R in factors:
        r = R // ratio
        if R % ratio or r not in mae["fv1"]:
            continue
        if not shown["fv1"][r]:
            excluded.append(f"NN {R}x (FV1 {r}x unstable)")
            continue
        pairs.append(f"NN {R}x {sci(mae['nn'][R])} vs FV1 {r}x {sci(mae['fv1'][r])}")
        if not (shown["nn"][R] and mae["nn"][R] <= mae["fv1"][r]):
            fails.append(f"NN {R}x")
    const_txt = []
    const_factors = sorted(set(mae["const"]) | set(mae["const_godunov"]))
    for name in ("const", "const_godunov"):
        for R in (f for f in sorted(mae[name]) if f >= const_min_factor):
            if not shown["fv1"][R]:
                excluded.append(f"{name} {R}x (FV1 {R}x unstable)")
                continue
            const_txt.append(f"{name} {R}x {sci(mae[name][R])} vs FV1 {sci(mae['fv1'][R])}")
            if not (shown[name][R] and mae[name][R] < mae["fv1"][R]):
                fails.append(f"{name} {R}x")
    if not pairs:
        fails.append(f"no factor R with R/{ratio} evaluated and the baseline stable")
    if not any(R >= const_min_factor and shown["fv1"][R] for R in const_factors):
        fails.append(f"no factor >= {const_min_factor} with the baseline stable")
    if not nn_stable:
        fails.append(f"NN {nn_factor}x diverged on the 10x domain")
    return ClaimResult(
        id="P1-fig3-burgers",
        claim=(
            f"On the 10x domain [0, 20 pi], MAE (space, t < 15, all realizations): the NN at resample factor R is no "
            f"worse than the first-order baseline at R/{ratio} for every R where that baseline is stable; both "
            f"constant-coefficient models beat the baseline at every R >= {const_min_factor} where the baseline is "
            f"stable (stable: the Fig. 3C marker rule, no divergence and better than v = 0; a factor whose baseline "
            f"is not stable is left out and named); the {nn_factor}x NN does not diverge on the 10x domain."
        ),
        paper_value="NN ~ baseline at 8x finer resolution; constant coefficients beat the baseline (Fig. 3C)",
        reproduced_value="; ".join(pairs + const_txt)
        + f"; NN {nn_factor}x {'stable' if nn_stable else 'DIVERGED'}"
        + (f"; left out (baseline unstable): {', '.join(excluded)}" if excluded else "")
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="MAE ordering (no numeric tolerance)",
        passed=not fails,
        scale=scale,
    )


def check_p1_fig4(
    *,
    stats: dict[str, dict[str, dict[int, tuple[float, float, float]]]],
    t_max: dict[str, float],
    n_sims: dict[str, int],
    min_valid_fraction: float,
    scale: str,
    note: str = "",
    coarsest_judged: Collection[str] | None = None,
) -> ClaimResult:
    """P1-fig4-validtime. ``stats[equation][method][factor] = (median, ci_low, ci_high)`` of the
    valid time; ``t_max[equation]`` the simulated time, ``n_sims`` the simulations per equation.

    Per equation, with "valid" meaning a median valid time >= min_valid_fraction * t_max:
    (a) at every factor the NN median is >= the lower CI bound of every other method ("NN >= every
    other method within CI"); (b) at the coarsest factor where any method is valid, the NN median is
    above every other method's upper CI bound (strictly better); (c) at the coarsest factor evaluated
    the NN is not valid (it also fails). Passes if (a)-(c) hold for every equation.

    ``coarsest_judged``: the equations whose coarsest evaluated factor is the scale's coarsest (default: all); for
    the others (a run of some factors only, the paper-protocol record's) (c) is reported, not scored.
    """
    parts, fails = [], []
    for eq, by_method in stats.items():
        if "nn" not in by_method:
            raise ValueError(f"{eq}: no NN valid times")
        others = [m for m in by_method if m != "nn"]
        factors = sorted(by_method["nn"])
        level = min_valid_fraction * t_max[eq]
        nn = by_method["nn"]
        below = [f"{m} {f}x" for f in factors for m in others if f in by_method[m] and nn[f][0] < by_method[m][f][1]]
        if below:
            fails.append(f"{eq}: NN below the CI of {', '.join(below)}")
        valid_f = [f for f in factors if any(by_method[m].get(f, (0.0,))[0] >= level for m in by_method)]
        if valid_f:
            r = max(valid_f)
            his = {m: by_method[m][r][2] for m in others if r in by_method[m]}
            best = max(his, key=his.get) if his else "none"
            hi = his.get(best, -np.inf)
            if not nn[r][0] > hi:
                fails.append(f"{eq}: NN not strictly best at {r}x ({sci(nn[r][0])} vs {best} CI high {sci(hi)})")
            strict = f"coarsest valid {r}x: NN {sci(nn[r][0])} vs best other {best} CI high {sci(hi)}"
        else:
            fails.append(f"{eq}: no method valid at any factor")
            strict = "no method valid"
        top = factors[-1]
        judged = coarsest_judged is None or eq in coarsest_judged
        if judged and nn[top][0] >= level:
            fails.append(f"{eq}: NN still valid at the coarsest factor {top}x ({sci(nn[top][0])})")
        medians = ", ".join(
            f"{f}x " + "/".join(f"{m} {sci(by_method[m][f][0])}" for m in by_method if f in by_method[m])
            for f in factors
        )
        parts.append(
            f"{eq} ({n_sims[eq]} sims, t_max {t_max[eq]:g}, valid >= {level:g}): {medians}; {strict}; "
            f"NN at {top}x {sci(nn[top][0])}" + ("" if judged else " (not the coarsest factor: not scored)")
        )
    return ClaimResult(
        id="P1-fig4-validtime",
        claim=(
            "Median valid simulation time (bootstrap 95% CI; valid while >= 80% of the cells are within the 20th "
            "percentile of |v_exact|), Burgers/KdV/KS: at every resample factor the NN median is >= the lower CI "
            "bound of every other method; at the coarsest factor where any method has a median valid time >= "
            f"{min_valid_fraction:g} t_max the NN median exceeds every other method's upper CI bound; at the "
            "coarsest factor evaluated the NN median is below that level (it fails too)." + (f" {note}" if note else "")
        ),
        paper_value="NN >= all methods at all factors, best at coarse factors, fails at large factors (Fig. 4)",
        reproduced_value="; ".join(parts) + (f"; failing: {'; '.join(fails)}" if fails else ""),
        tolerance="95% bootstrap CI of the median",
        passed=not fails,
        scale=scale,
    )

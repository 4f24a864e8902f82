"""Checks of P3 (Delgadillo, Hu, Yang: DC-RNN for multiscale kinetic equations): Tables 1-16, Figs. 4-5.

``errors[(table, scheme)][inv_eps] = {"adam": %, "converged": %}``; ``protocol`` picks the fits a claim
is scored on ("converged": the optimum of the ansatz; "adam": the paper's optimizer at the scale's
budget); both are reported in ``reproduced_value``, and the row's protocol is "converged" or "paper"
(:data:`~coarsepde.claims.p3_protocols.ROW_PROTOCOL`; the verdicts: :mod:`.p3_protocols`).
"""

from __future__ import annotations

from .p3_examples import (
    check_p3_fig5,
    check_p3_table9,
    check_p3_table10,
    check_p3_table12,
    check_p3_table13,
    check_p3_table14,
    check_p3_table15,
)
from .p3_protocols import ROW_PROTOCOL
from .rows import ClaimResult

__all__ = [
    "P3Errors",
    "check_p3_table1_2",
    "check_p3_table3_4",
    "check_p3_table5_6",
    "check_p3_table7_8",
    "check_p3_table9",
    "check_p3_table10",
    "check_p3_table11",
    "check_p3_table12",
    "check_p3_table13",
    "check_p3_table14",
    "check_p3_table15",
    "check_p3_table16",
    "check_p3_fig4",
    "check_p3_fig5",
]

P3Errors = dict  # {(table, scheme): {inv_eps: {"adam": float, "converged": float}}}


def _p3_row(errors: P3Errors, key, protocol: str = "adam") -> str:
    vals = errors[key]
    return ", ".join(f"1/{inv}: {vals[inv][protocol]:.3g}" for inv in sorted(vals))


def _p3_summary(errors: P3Errors, paper: dict) -> str:
    parts = []
    for key in errors:
        t, s = key
        parts.append(
            f"T{t} {s} adam [{_p3_row(errors, key)}] | converged [{_p3_row(errors, key, 'converged')}]"
            + (
                f" | paper [{', '.join(f'1/{k}: {v:g}' for k, v in sorted(paper[key].items()))}]"
                if key in paper
                else ""
            )
        )
    return "; ".join(parts)


def _p3_paper(paper: dict) -> str:
    return "; ".join(
        f"T{t} {s}: " + ", ".join(f"1/{k} {v:g}%" for k, v in sorted(vals.items())) for (t, s), vals in paper.items()
    )


def check_p3_table1_2(
    *, errors: P3Errors, paper: dict, threshold: float, band: float, scale: str, protocol: str = "converged"
) -> ClaimResult:
    """P3-table1-2: FE (Table 1) and IMEX1 (Table 2) without the multiscale ansatz: Error% grows with 1/eps --
    from each eps to the next smaller one it does not fall by more than ``band`` percentage points (the noise
    band), and the smallest eps lies above the largest -- and exceeds ``threshold`` at the smallest eps."""
    fails = []
    for (t, s), vals in errors.items():
        invs = sorted(vals)
        e = [vals[inv][protocol] for inv in invs]
        drops = [f"1/{invs[k]} -> 1/{invs[k + 1]}" for k in range(len(e) - 1) if e[k + 1] < e[k] - band]
        if drops:
            fails.append(f"T{t} {s} falls by more than {band:g} points at {', '.join(drops)}")
        if not e[-1] > e[0]:
            fails.append(f"T{t} {s}: 1/{invs[-1]} not above 1/{invs[0]}")
        if not e[-1] > threshold:
            fails.append(f"T{t} {s}: {e[-1]:.3g}% at 1/{invs[-1]} not > {threshold:g}%")
    invs = sorted(next(iter(errors.values())))
    return ClaimResult(
        id="P3-table1-2",
        claim=f"[{protocol} fits] "
        + (
            f"Forward Euler and IMEX1 fitting without the multiscale ansatz (M = 0), eps = "
            f"{', '.join(f'1/{k}' for k in invs)}: the error grows with 1/eps -- from each eps to the next smaller one "
            f"it falls by at most {band:g} percentage points (the project's noise band) and it ends above where it "
            f"starts -- and it exceeds {threshold:g}% at eps = 1/{invs[-1]}."
        ),
        paper_value=_p3_paper(paper),
        reproduced_value=_p3_summary(errors, paper) + (f"; failing: {'; '.join(fails)}" if fails else ""),
        tolerance=f"monotone within {band:g} points; > {threshold:g}% at the smallest eps",
        passed=not fails,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table3_4(
    *,
    errors: P3Errors,
    paper: dict,
    ratio: float,
    cap: float,
    agree_factor: float,
    agree_min_inv: int,
    scale: str,
    protocol: str = "converged",
) -> ClaimResult:
    """P3-table3-4: per scheme (FE: Tables 1/3, IMEX1: 2/4), at the smallest eps the M = 2 error is < ratio x
    the M = 0 error and < cap; for 1/eps <= agree_min_inv the larger of the two errors is at most agree_factor
    x the smaller."""
    fails, notes = [], []
    for s, (t0, t2) in {"fe": (1, 3), "imex1": (2, 4)}.items():
        m0, m2 = errors[(t0, s)], errors[(t2, s)]
        invs = sorted(m2)
        e0, e2 = m0[invs[-1]][protocol], m2[invs[-1]][protocol]
        notes.append(f"{s} 1/{invs[-1]}: M=2 {e2:.3g}% vs M=0 {e0:.3g}%")
        if not (e2 < ratio * e0 and e2 < cap):
            fails.append(f"{s} at 1/{invs[-1]}")
        for inv in invs:
            a, b = m0[inv][protocol], m2[inv][protocol]
            if inv <= agree_min_inv and not max(a, b) <= agree_factor * min(a, b):
                fails.append(f"{s} at 1/{inv} ({a:.3g} vs {b:.3g})")
    smallest = max(next(iter(errors.values())))
    return ClaimResult(
        id="P3-table3-4",
        claim=f"[{protocol} fits] "
        + (
            f"With the multiscale ansatz (M = 2), at eps = 1/{smallest} the error is < {ratio:g} x the "
            f"non-multiscale error and < {cap:g}% for FE and IMEX1; for eps >= 1/{agree_min_inv} the two "
            f"ansaetze agree within a factor {agree_factor:g} (larger <= {agree_factor:g} x smaller)."
        ),
        paper_value=_p3_paper(paper),
        reproduced_value="; ".join(notes)
        + "; "
        + _p3_summary(errors, paper)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"ratio < {ratio:g}, < {cap:g}%, factor {agree_factor:g}",
        passed=not fails,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table5_6(
    *,
    errors: P3Errors,
    paper: dict,
    small: float,
    large: float,
    fail_from: dict[str, int],
    scale: str,
    protocol: str = "converged",
) -> ClaimResult:
    """P3-table5-6: without multiscale, IMEX-BDF-2 (Table 5) and ARS(2,2,2) (Table 6): error < small at the
    largest eps, and > large from some eps <= 1/fail_from[scheme] on: there is a 1/eps0 >= fail_from[scheme]
    such that the error exceeds ``large`` at 1/eps0 and at every smaller eps evaluated."""
    fails, onsets = [], []
    for (t, s), vals in errors.items():
        invs = sorted(vals)
        if not vals[invs[0]][protocol] < small:
            fails.append(f"T{t} {s}: {vals[invs[0]][protocol]:.3g}% at 1/{invs[0]}")
        # the smallest 1/eps from which on every error exceeds `large`, if any
        onset = None
        for inv in reversed(invs):
            if not vals[inv][protocol] > large:
                break
            onset = inv
        # every eps from the onset on qualifies as "some eps" once it is at or below the threshold
        if onset is None or not any(inv >= max(onset, fail_from[s]) for inv in invs):
            fails.append(f"T{t} {s}: no eps <= 1/{fail_from[s]} from which on the error is > {large:g}%")
        else:
            onsets.append(f"T{t} {s} > {large:g}% from 1/{onset} on")
    return ClaimResult(
        id="P3-table5-6",
        claim=f"[{protocol} fits] "
        + (
            f"IMEX-BDF-2 and ARS(2,2,2) fitting without the multiscale ansatz: error < {small:g}% at the "
            f"largest eps, and > {large:g}% from some eps <= "
            + " / ".join(f"1/{v} ({k})" for k, v in fail_from.items())
            + " on (at that eps and every smaller one evaluated)."
        ),
        paper_value=_p3_paper(paper),
        reproduced_value=_p3_summary(errors, paper)
        + (f"; {', '.join(onsets)}" if onsets else "")
        + (f"; failing: {'; '.join(fails)}" if fails else ""),
        tolerance=f"< {small:g}% / > {large:g}%",
        passed=not fails,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table7_8(
    *,
    errors: P3Errors,
    paper: dict,
    small: float,
    small_max_inv: int,
    ars_cap: float,
    scale: str,
    protocol: str = "converged",
) -> ClaimResult:
    """P3-table7-8: with multiscale, IMEX-BDF-2 and ARS(2,2,2) errors < small for 1/eps <=
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
        claim=f"[{protocol} fits] "
        + (
            f"With the multiscale ansatz, IMEX-BDF-2 and ARS(2,2,2) errors are < {small:g}% for every "
            f"eps >= 1/{small_max_inv}, and ARS(2,2,2) < {ars_cap:g}% at the smallest eps, 1/"
            f"{max(next(iter(errors.values())))}."
        ),
        paper_value=_p3_paper(paper),
        reproduced_value=_p3_summary(errors, paper) + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"< {small:g}% / < {ars_cap:g}%",
        passed=not fails,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table11(*, errors: P3Errors, paper: dict, scale: str, protocol: str = "converged") -> ClaimResult:
    """P3-table11-order: the fourth-order fit (IMEX-BDF-4) has a lower error than the second-order one
    (IMEX-BDF-2) at every eps of Table 11, on the fits of ``protocol``."""
    e2, e4 = errors[(11, "bdf2")], errors[(11, "bdf4")]
    fails = [f"1/{inv}" for inv in sorted(e2) if not e4[inv][protocol] < e2[inv][protocol]]
    return ClaimResult(
        id="P3-table11-order",
        claim=f"[{protocol} fits] At eps = {', '.join(f'1/{k}' for k in sorted(e2))}: fourth-order fitting "
        "(IMEX-BDF-4) has a lower error than second-order fitting (IMEX-BDF-2).",
        paper_value=_p3_paper(paper),
        reproduced_value=_p3_summary(errors, paper) + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="strict ordering",
        passed=not fails,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table16(*, derived: dict[int, str], equal: dict[int, bool], scale: str) -> ClaimResult:
    """P3-table16-bdf: the IMEX-BDF coefficients derived from the order conditions equal Table 16 exactly."""
    return ClaimResult(
        id="P3-table16-bdf",
        claim="The IMEX-BDF-q coefficients (alpha, gamma, beta), q = 1..4, derived from the order conditions as "
        "exact rationals, equal Table 16.",
        paper_value="Table 16 (q = 1..4)",
        reproduced_value="; ".join(
            f"q={q}: {derived[q]}" + ("" if equal[q] else " (DIFFERS)") for q in sorted(derived)
        ),
        tolerance="exact (rationals)",
        passed=all(equal.values()),
        scale=scale,
    )


def check_p3_fig4(
    *,
    iterations_ms: float,
    iterations_plain: float,
    final_plain: float,
    reached: bool,
    fraction: float,
    inv_eps: int,
    scale: str,
    protocol: str = "adam",
) -> ClaimResult:
    """P3-fig4-loss: the multiscale Adam fit reaches the non-multiscale fit's loss ``final_plain`` within
    ``fraction`` of the non-multiscale Adam iterations. ``protocol`` "adam": ``final_plain`` is the final loss of
    the non-multiscale Adam fit (the paper's Fig. 4); "converged": its converged optimum (the loss the
    non-multiscale ansatz can reach on these data)."""
    passed = bool(reached and iterations_ms < fraction * iterations_plain)
    target = "final Adam loss" if protocol == "adam" else "converged (optimal) loss"
    return ClaimResult(
        id="P3-fig4-loss",
        claim=(
            f"[{protocol} fits] Loss vs Adam iteration (forward Euler, eps = 1/{inv_eps}): the multiscale fit "
            f"(M = 2) reaches the non-multiscale fit's {target} in fewer than {fraction:g} x its "
            f"{iterations_plain:g} Adam iterations."
        ),
        paper_value="multiscale converges faster (Fig. 4, Example 5.1)",
        reproduced_value=(
            f"M = 0 {target} {final_plain:.4g} (Adam: {iterations_plain:g} iterations); M = 2 Adam "
            + (f"reaches it at iteration {iterations_ms:g}" if reached else "never reaches it")
        ),
        tolerance=f"< {fraction:g} x iterations",
        passed=passed,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )

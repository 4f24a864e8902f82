"""The claim rows of P1's paper-protocol run (issue 22 item 3; docs/reproductions/p1-paper-protocol.md).

That run trains each deciding model of Bar-Sinai et al. 2019 at the paper's budget with several seeds (replicas) and
checks each claim once per replica, with that replica's models. :func:`replicas_row` makes the one row of a claim
that the record reports: it passes when the check passes for every replica, and its measured value names each
replica's outcome, then its values. Its verdict follows :func:`~coarsepde.claims.p1_budget.p1_paper_verdict` with the
run's budget (``not-reached`` only where that budget is below the paper's, e.g. a smoke run at the ``ci`` scale).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .p1_budget import PAPER_P1, P1Budget, p1_paper_verdict
from .rows import ClaimResult

__all__ = ["replicas_row"]


def replicas_row(
    results: Mapping[int, ClaimResult], budgets: Mapping[str, P1Budget], *, paper: P1Budget = PAPER_P1
) -> ClaimResult:
    """One claim row from the same check on each replica (``results``: replica -> its row, all of one claim ID):
    passed iff every replica passed; ``reproduced_value`` "passed on replicas ... of N; replica r: <its value>; ...";
    the claim text, paper value and tolerance of the first; the verdict from ``budgets`` against ``paper``
    (:func:`~coarsepde.claims.p1_budget.p1_paper_verdict`)."""
    if not results:
        raise ValueError("no replica results")
    ids = {r.id for r in results.values()}
    if len(ids) != 1:
        raise ValueError(f"replica rows of different claims: {sorted(ids)}")
    order = sorted(results)
    first = results[order[0]]
    passing = [r for r in order if results[r].passed]
    value = f"passed on replicas {', '.join(map(str, passing)) or 'none'} of {len(order)}; " + "; ".join(
        f"replica {r}: {results[r].reproduced_value}" for r in order
    )
    row = replace(
        first,
        claim=f"[{len(order)} seeds] {first.claim} Passes when it passes for every seed.",
        reproduced_value=value,
        passed=len(passing) == len(order),
        verdict="",  # derived from passed
        evidence="",
    )
    return p1_paper_verdict(row, budgets, paper=paper)

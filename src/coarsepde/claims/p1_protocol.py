"""The claim rows of P1's paper-protocol run (issue 22 item 3; docs/reproductions/p1-paper-protocol.md).

That run trains each deciding model of Bar-Sinai et al. 2019 at the paper's budget with several seeds (replicas) and
checks each claim once per replica, with that replica's models. :func:`replicas_row` makes the one row of a claim
that the record reports: it passes when the check passes for every replica, and its measured value names each
replica's outcome, then its values. Its verdict follows :func:`~coarsepde.claims.p1_budget.p1_paper_verdict` with the
run's budget (``not-reached`` only where that budget is below the paper's, e.g. a smoke run at the ``ci`` scale).

The record also keeps each replica's outcome (:func:`seeds_summary`, ``...-seeds.json`` beside its claim rows), so
that the smaller scales' paper rows can cite it before every seed has run (:func:`protocol_record`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .p1_budget import PAPER_P1, P1Budget, p1_paper_verdict
from .rows import ClaimResult, read_fragment

__all__ = ["ProtocolRecord", "protocol_record", "replicas_row", "seeds_path", "seeds_summary"]


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


def seeds_summary(claims: Mapping[str, Mapping[int, ClaimResult]], replicas) -> dict:
    """JSON of each replica's outcome per claim (the record writes it beside its claim rows)."""
    return {
        "replicas": [int(r) for r in replicas],
        "claims": {
            cid: {str(r): {"passed": bool(x.passed), "value": x.reproduced_value} for r, x in sorted(by.items())}
            for cid, by in sorted(claims.items())
        },
    }


def seeds_path(claims_path: str | Path) -> Path:
    """The per-replica file beside a record's claim rows (``...-claims.json`` -> ``...-seeds.json``)."""
    p = Path(claims_path)
    return p.with_name(p.name.replace("-claims.json", "-seeds.json"))


@dataclass(frozen=True)
class ProtocolRecord:
    """What the committed paper-protocol record says of one claim: the verdict of its complete row ("" while some
    seed has not run) and a sentence for a smaller scale's evidence."""

    verdict: str
    evidence: str


def protocol_record(claim_id: str, path: str | Path | None) -> ProtocolRecord | None:
    """The record's word on ``claim_id`` from its claim rows at ``path`` and the per-seed file beside them
    (:func:`seeds_path`); ``None`` without a path."""
    if not path:
        return None
    hit = [r for r in read_fragment(path) if r.id == claim_id]
    if hit:
        r = hit[0]
        return ProtocolRecord(r.verdict, f"under the paper's protocol ({path}): {r.verdict}, {r.reproduced_value}")
    sp = seeds_path(path)
    seeds = json.loads(sp.read_text()) if sp.is_file() else {"replicas": [], "claims": {}}
    by = seeds["claims"].get(claim_id, {})
    if not by:
        return ProtocolRecord("", f"not yet scored under the paper's protocol ({path})")
    done = "; ".join(f"seed {r} {'passes' if x['passed'] else 'fails'}: {x['value']}" for r, x in by.items())
    return ProtocolRecord(
        "",
        f"under the paper's protocol, {len(by)} of {len(seeds['replicas'])} seeds scored so far ({sp}): {done}",
    )

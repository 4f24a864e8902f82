"""The claim rows of P3 Tables 1-8 and 11 from an ``errors`` mapping, whatever run the Error% came from.

Delgadillo, Hu, Yang (DC-RNN), Tables 1-8, 11. The ``p3_claims`` rule scores the pipeline's fits (Adam at the
scale's budget, and converged); the paper-protocol record (``p3_protocol_record``) scores the same checks on the
batched engine's 80,000-step notebook-protocol fits, with the pipeline's converged fits beside them. Both call
:func:`table_claim_rows`.

``errors[(table, scheme)][inv_eps] = {"adam": %, "converged": %}`` (:data:`~coarsepde.claims.p3.P3Errors`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .p3 import check_p3_table1_2, check_p3_table3_4, check_p3_table5_6, check_p3_table7_8, check_p3_table11
from .p3_protocols import AdamBudget, converged_errors, protocol_rows, table1_2_refutation, table5_6_refutation
from .rows import ClaimResult

__all__ = ["TABLE_CLAIM_TABLES", "TableThresholds", "table_claim_rows", "floor_note"]

#: the tables each claim compares
TABLE_CLAIM_TABLES: dict[str, tuple[int, ...]] = {
    "P3-table1-2": (1, 2),
    "P3-table3-4": (1, 2, 3, 4),
    "P3-table5-6": (5, 6),
    "P3-table7-8": (7, 8),
    "P3-table11-order": (11,),
}


@dataclass(frozen=True)
class TableThresholds:
    """The thresholds of the table claims (config ``kinetic.claims``; CLAIMS.md wording)."""

    fail_threshold: float = 50.0
    growth_band: float = 0.1
    ms_ratio: float = 0.5
    ms_cap: float = 40.0
    agree_factor: float = 2.0
    agree_min_inv: int = 128
    small: float = 1.0
    large: float = 30.0
    bdf2_fail_from: int = 256
    ars_fail_from: int = 64
    small_max_inv: int = 256
    ars_cap: float = 15.0


def table_claim_rows(
    claim_id: str,
    errors: Mapping,
    paper: Mapping,
    budgets: Mapping[str, AdamBudget],
    th: TableThresholds,
    scale: str,
    record: str = "",
    floor: str = "",
    record_verdict: str = "",
) -> list[ClaimResult]:
    """The "paper" and "converged" rows of ``claim_id`` (:data:`TABLE_CLAIM_TABLES`) on ``errors``; ``paper``:
    the printed Error% by (table, scheme) and 1/eps; ``budgets``: the Adam budgets the "adam" errors used.
    ``floor``: a :func:`floor_note`, added to an unexplained converged row's evidence; ``record`` /
    ``record_verdict``: what the paper-protocol record says of the claim (``p3_protocols.paper_verdict``)."""
    if claim_id not in TABLE_CLAIM_TABLES:
        raise ValueError(f"unknown table claim {claim_id!r}")
    common = {"errors": dict(errors), "paper": dict(paper), "scale": scale}
    refutation = ""
    if claim_id == "P3-table1-2":
        check = check_p3_table1_2
        inputs = common | {"threshold": th.fail_threshold, "band": th.growth_band}
        refutation = table1_2_refutation(errors, th.fail_threshold)
    elif claim_id == "P3-table3-4":
        check = check_p3_table3_4
        inputs = common | {
            "ratio": th.ms_ratio,
            "cap": th.ms_cap,
            "agree_factor": th.agree_factor,
            "agree_min_inv": th.agree_min_inv,
        }
    elif claim_id == "P3-table5-6":
        check = check_p3_table5_6
        fail_from = {"bdf2": th.bdf2_fail_from, "ars222": th.ars_fail_from}
        inputs = common | {"small": th.small, "large": th.large, "fail_from": fail_from}
        refutation = table5_6_refutation(errors, th.large, fail_from)
    elif claim_id == "P3-table7-8":
        check = check_p3_table7_8
        inputs = common | {"small": th.small, "small_max_inv": th.small_max_inv, "ars_cap": th.ars_cap}
    else:
        check, inputs = check_p3_table11, common
    rows = protocol_rows(
        check,
        inputs,
        budgets=budgets,
        converged=converged_errors(errors),
        refutation=refutation,
        record=record,
        record_verdict=record_verdict,
    )
    return [
        replace(r, evidence="; ".join(x for x in (r.evidence, floor) if x))
        if floor and r.protocol == "converged" and r.verdict == "unexplained"
        else r
        for r in rows
    ]


def floor_note(claim_id: str, path: str | None, paper: Mapping) -> str:
    """What the snapshot-spacing record (``benchmarks/p3_floor_vs_dt.py``'s json at ``path``) measured for the
    tables of ``claim_id``: per table and 1/eps the converged optimum of the ansatz at each dt_data, beside the
    paper's row (``paper[(table, scheme)][inv]``). "" without a path or when the record has none of the tables."""
    if not path:
        return ""
    rec = json.loads(Path(path).read_text())
    step = float(rec["fine_step"])
    parts = []
    for (t, s), printed in paper.items():
        by_stride = rec["floors"].get(str(t))
        if t not in TABLE_CLAIM_TABLES.get(claim_id, ()) or not by_stride:
            continue
        invs = sorted({int(k) for v in by_stride.values() for k in v})
        for inv in invs:
            at = ", ".join(
                f"{v[str(inv)]:.3g}% at {int(k) * step:.0e}"
                for k, v in sorted(by_stride.items(), key=lambda kv: -int(kv[0]))
                if str(inv) in v
            )
            parts.append(f"T{t} {s} 1/{inv}: {at} (paper {printed[inv]:g}%)")
    if not parts:
        return ""
    return (
        f"the optimum of the same ansatz against the data's snapshot spacing dt_data ({path}; the reconstruction's is "
        f"{int(rec['reconstruction_stride']) * step:.0e}): " + "; ".join(parts)
    )

"""Claim rows: :class:`ClaimResult`, the JSON fragments rules write, and ``results/claims.csv``.

A rule that builds an artifact also checks its claim and writes a small JSON *fragment* (one or
several :class:`ClaimResult`); the ``claims`` rule gathers the fragments into ``results/claims.csv``
with the columns of :data:`COLUMNS` (CLAIMS.md's, in its order). A failed check is a row with
``passed = False`` and the measured value -- never an exception and never a softened threshold.

Each row has a ``protocol`` (``paper``: the paper's method and budget as configured at the scale;
``converged``: the same check on the converged optimum) and a ``verdict`` (:data:`VERDICTS`):
``reproduced`` exactly when the check passes; a failure is ``unexplained`` unless the check names the
measurement (``evidence``, with numbers) that makes it ``refuted`` or ``not-reached``. Every ID of the
contract gets a row at every scale: :func:`gather` writes an ``unexplained`` "not measured" row for an
ID no fragment reports.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .catalogue import CATALOGUE, CLAIMS

__all__ = [
    "COLUMNS",
    "PROTOCOLS",
    "VERDICTS",
    "UNMEASURED",
    "ClaimResult",
    "unmeasured",
    "write_fragment",
    "write_fragments",
    "read_fragment",
    "gather",
    "write_claims_csv",
    "pending_ids",
    "sci",
]

#: The columns of claims.csv, in the order of CLAIMS.md.
COLUMNS = [
    "id",
    "paper",
    "artifact",
    "claim",
    "protocol",
    "paper_value",
    "reproduced_value",
    "tolerance",
    "passed",
    "verdict",
    "evidence",
    "scale",
]

#: ``paper``: the paper's own method and budget as configured at the scale; ``converged``: the converged optimum.
PROTOCOLS = ("paper", "converged")

#: The verdicts of CLAIMS.md: ``reproduced`` iff the check passes; a failure is ``refuted`` or ``not-reached``
#: only with measured evidence, else ``unexplained``.
VERDICTS = ("reproduced", "refuted", "not-reached", "unexplained")

#: ``reproduced_value`` of an ID that no rule measured at this scale.
UNMEASURED = "not measured at this scale"

# the fields a fragment must hold; protocol, verdict and evidence take their defaults when absent
_REQUIRED = ("id", "claim", "paper_value", "reproduced_value", "tolerance", "passed", "scale")
_OPTIONAL = ("protocol", "verdict", "evidence")


@dataclass(frozen=True)
class ClaimResult:
    """One row of claims.csv. ``claim`` states the check, thresholds included.

    ``verdict`` defaults to ``reproduced`` when ``passed`` and ``unexplained`` otherwise; a check may set
    ``refuted`` or ``not-reached`` on a failure only with ``evidence``: the measurement behind it, numbers
    included. Raises ValueError for an unknown ID, protocol or verdict, a verdict that contradicts
    ``passed``, or a ``refuted`` / ``not-reached`` without numeric evidence.
    """

    id: str
    claim: str
    paper_value: str
    reproduced_value: str
    tolerance: str
    passed: bool
    scale: str
    protocol: str = "paper"
    verdict: str = ""
    evidence: str = ""

    def __post_init__(self):
        if self.id not in CATALOGUE:
            raise ValueError(f"unknown claim id {self.id!r}; the IDs of CLAIMS.md are the contract")
        if not isinstance(self.passed, (bool, np.bool_)):
            raise TypeError(f"passed must be a bool, got {type(self.passed).__name__}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"{self.id}: protocol {self.protocol!r} is not one of {PROTOCOLS}")
        if not isinstance(self.evidence, str):
            raise TypeError(f"{self.id}: evidence must be a string, got {type(self.evidence).__name__}")
        if not self.verdict:  # frozen: the derived default is set once, here
            object.__setattr__(self, "verdict", "reproduced" if self.passed else "unexplained")
        if self.verdict not in VERDICTS:
            raise ValueError(f"{self.id}: verdict {self.verdict!r} is not one of {VERDICTS}")
        if (self.verdict == "reproduced") != bool(self.passed):
            raise ValueError(f"{self.id}: verdict {self.verdict!r} with passed={bool(self.passed)}")
        if self.verdict in ("refuted", "not-reached") and not re.search(r"\d", self.evidence):
            raise ValueError(f"{self.id}: a {self.verdict!r} verdict needs evidence with the measured numbers")

    def row(self) -> dict:
        paper, artifact = CATALOGUE[self.id]
        d = asdict(self)
        d.update(paper=paper, artifact=artifact, passed=bool(self.passed))
        return {k: d[k] for k in COLUMNS}


def sci(v: float) -> str:
    """A measured value in the rows' scientific format (4 significant digits)."""
    return f"{v:.3e}"


def _write_json(data, path: str | Path) -> Path:
    """Write JSON atomically: temporary sibling, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_fragment(result: ClaimResult, path: str | Path) -> Path:
    """Write one claim result as JSON (atomically: temporary sibling, then rename)."""
    return _write_json(result.row(), path)


def write_fragments(results: list[ClaimResult], path: str | Path) -> Path:
    """Several claim results of one rule in one JSON file (a list of rows)."""
    return _write_json([r.row() for r in results], path)


def read_fragment(path: str | Path) -> list[ClaimResult]:
    """The claim result(s) of one fragment file (one row, or a list of rows)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable claim fragment ({exc})") from exc
    rows = data if isinstance(data, list) else [data]
    try:
        return [
            ClaimResult(**{k: row[k] for k in _REQUIRED}, **{k: row[k] for k in _OPTIONAL if k in row}) for row in rows
        ]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: malformed claim row ({exc})") from exc


def unmeasured(cid: str, scale: str) -> ClaimResult:
    """The row of an ID that no rule measured at ``scale``: failed, ``unexplained``, no evidence."""
    return ClaimResult(
        id=cid,
        claim=CLAIMS[cid].wording,
        paper_value="n/a",
        reproduced_value=UNMEASURED,
        tolerance="n/a",
        passed=False,
        scale=scale,
    )


def gather(paths: Iterable[str | Path], *, scale: str | None = None) -> pd.DataFrame:
    """All fragments as one table in the order of CLAIMS.md (``paper`` before ``converged`` within an ID).

    One ID may have one row per protocol; a second row with the same ID and protocol is an error, and so
    are fragments of different scales (or of another scale than ``scale``). Every ID of the contract that
    no fragment reports gets an :func:`unmeasured` row, so the table has a row for all of them. ``scale``
    defaults to the fragments' own; it is required when there are none.
    """
    results = [r for p in paths for r in read_fragment(p)]
    keys = [(r.id, r.protocol) for r in results]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"claim ids reported twice with the same protocol: {dup}")
    scales = {r.scale for r in results} | ({scale} if scale is not None else set())
    if len(scales) != 1:
        raise ValueError(f"claim rows of several scales (or none given): {sorted(scales)}")
    (scale,) = scales
    reported = {r.id for r in results}
    results += [unmeasured(cid, scale) for cid in CATALOGUE if cid not in reported]
    order = {cid: k for k, cid in enumerate(CATALOGUE)}
    rows = sorted((r.row() for r in results), key=lambda r: (order[r["id"]], PROTOCOLS.index(r["protocol"])))
    return pd.DataFrame(rows, columns=COLUMNS)


def write_claims_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the gathered table as CSV (atomically)."""
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

"""Claim rows: :class:`ClaimResult`, the JSON fragments rules write, and ``results/claims.csv``.

A rule that builds an artifact also checks its claim and writes a small JSON *fragment* (one or
several :class:`ClaimResult`); the ``claims`` rule gathers the fragments into ``results/claims.csv``
with the columns of :data:`COLUMNS`. A failed check is a row with ``passed = False`` and the measured
value -- never an exception and never a softened threshold.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .catalogue import CATALOGUE

__all__ = [
    "COLUMNS",
    "ClaimResult",
    "write_fragment",
    "write_fragments",
    "read_fragment",
    "gather",
    "write_claims_csv",
    "pending_ids",
    "sci",
]

COLUMNS = ["id", "paper", "artifact", "claim", "paper_value", "reproduced_value", "tolerance", "passed", "scale"]


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

"""The two protocols of the P3 claims and their verdicts (CLAIMS.md, "Protocol" and "Verdict").

Every P3 fit is run twice (:mod:`coarsepde.kinetic.experiments`): ``adam``, the paper's optimizer at the
scale's budget, and ``converged``, the optimum of the same ansatz on the same data. A claim whose outcome
depends on the optimizer gets two rows: protocol ``paper`` (scored on the Adam fits) and protocol
``converged`` (scored on the converged fits). Their verdicts, beyond ``reproduced`` / ``unexplained``:

* a failing ``paper`` row is ``not-reached`` when an Adam budget it was scored on falls short of the paper's
  (Adam, TF defaults, 80,000 steps at lr 1e-3, full batch: :data:`PAPER_ADAM`) in steps, in steps x lr (how
  far Adam can move a weight) or in batch; the evidence names the budget used, the paper's, and the converged
  optimum on the same data. At the paper's own budget it stays ``unexplained``;
* a failing ``converged`` row is ``refuted`` where the paper's claim is that fitting FAILS (Tables 1-2, 5-6:
  the non-multiscale fits) and the converged optimum does not fail (:func:`table1_2_refutation`,
  :func:`table5_6_refutation`): the paper's failure is then an artifact of its optimizer's budget, and the
  evidence is the converged Error%. Any other failing converged row is ``unexplained``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .rows import ClaimResult, read_fragment

__all__ = [
    "AdamBudget",
    "PAPER_ADAM",
    "ROW_PROTOCOL",
    "budgets_from_provenance",
    "shortfalls",
    "paper_verdict",
    "record_evidence",
    "recorded_verdict",
    "PROTOCOL_FITS",
    "converged_verdict",
    "protocol_rows",
    "converged_errors",
    "percents",
    "table1_2_refutation",
    "table5_6_refutation",
]

#: The row protocol of the fits a check is scored on: Adam fits -> "paper", converged fits -> "converged".
ROW_PROTOCOL = {"adam": "paper", "converged": "converged"}


@dataclass(frozen=True)
class AdamBudget:
    """An Adam budget: ``steps`` at learning rate ``lr`` on ``batch_windows`` random time windows per step
    (0: every window, the full batch)."""

    steps: int
    lr: float
    batch_windows: int = 0

    @classmethod
    def from_mapping(cls, m: Mapping) -> AdamBudget:
        """From a fit store's provenance entry: ``steps`` (or ``adam_steps``), ``lr``, ``batch_windows``
        (absent, None or 0: full batch)."""
        steps = m["steps"] if "steps" in m else m["adam_steps"]
        return cls(int(steps), float(m["lr"]), int(m.get("batch_windows") or 0))

    def describe(self) -> str:
        batch = "full batch" if not self.batch_windows else f"{self.batch_windows} windows"
        return f"Adam {self.steps:,} steps, lr {self.lr:g}, {batch}"

    def shortfall(self, paper: AdamBudget | None = None) -> list[str]:
        """What falls short of ``paper`` (default :data:`PAPER_ADAM`): "steps", "steps x lr", "batch"."""
        paper = paper or PAPER_ADAM
        out = []
        if self.steps < paper.steps:
            out.append("steps")
        if self.steps * self.lr < paper.steps * paper.lr * (1 - 1e-12):
            out.append("steps x lr")
        if self.batch_windows and (not paper.batch_windows or self.batch_windows < paper.batch_windows):
            out.append("batch")
        return out


#: The paper's protocol: Adam (TF defaults), lr 1e-3, 80,000 steps, full batch (the authors' notebook).
PAPER_ADAM = AdamBudget(steps=80_000, lr=1e-3, batch_windows=0)


def budgets_from_provenance(params: Mapping) -> dict[str, AdamBudget]:
    """The Adam budget(s) a fit store records in its provenance parameters: ``{"adam": {scheme: {...}}}``
    (Tables 1-8, 11) keyed by scheme, ``{"adam": {"steps": ...}}`` (Tables 9, 10) or ``{"adam_steps": ...}``
    (a store's own section, e.g. ``params["sigma_x"]``) keyed by "adam"."""
    adam = params.get("adam", params)
    if "steps" in adam or "adam_steps" in adam:
        return {"adam": AdamBudget.from_mapping(adam)}
    return {str(k): AdamBudget.from_mapping(v) for k, v in adam.items()}


def shortfalls(budgets: Mapping[str, AdamBudget]) -> dict[str, list[str]]:
    """The budgets that fall short of the paper's, with what falls short."""
    return {k: b.shortfall() for k, b in budgets.items() if b.shortfall()}


def _rescored(result: ClaimResult, protocol: str) -> ClaimResult:
    # verdict "" re-derives reproduced / unexplained from `passed`; a check's own note on an unexplained
    # failure (e.g. what another reading of the paper gives) stays
    note = result.evidence if result.verdict == "unexplained" else ""
    return replace(result, protocol=protocol, verdict="", evidence=note)


def paper_verdict(
    result: ClaimResult,
    budgets: Mapping[str, AdamBudget],
    converged: str,
    record: str = "",
    record_verdict: str = "",
) -> ClaimResult:
    """``result`` (the check on the Adam fits) as a ``paper`` row: ``not-reached`` if it fails and a budget of
    ``budgets`` falls short of :data:`PAPER_ADAM`, with evidence naming the budgets, ``converged`` (the
    converged optimum's numbers on the same data) and ``record`` (what the committed paper-protocol run gives,
    :func:`record_evidence`); else reproduced / unexplained. Where that run, at the paper's budget, fails the same
    check too (``record_verdict``, :func:`recorded_verdict`, is neither "" nor "reproduced"), the budget is not
    what decides the row: it takes the record's verdict, with the same evidence."""
    result = _rescored(result, "paper")
    short = shortfalls(budgets)
    if result.passed or not short:
        return result
    used = "; ".join(
        (f"{k}: " if len(budgets) > 1 else "") + f"{budgets[k].describe()} (short in {', '.join(v)})"
        for k, v in short.items()
    )
    evidence = f"{used} vs the paper's {PAPER_ADAM.describe()}; converged optimum on the same data: {converged}"
    if record:
        evidence += f"; {record}"
    if record_verdict and record_verdict != "reproduced":
        return replace(result, verdict=record_verdict, evidence=evidence)
    return replace(result, verdict="not-reached", evidence=evidence)


#: the paper-protocol fits (labels of ``p3_protocol_fit``) each claim is scored on
PROTOCOL_FITS = {
    "P3-table1-2": ("T1", "T2"),
    "P3-table3-4": ("T1", "T2", "T3", "T4"),
    "P3-table5-6": ("T5", "T6"),
    "P3-table7-8": ("T7", "T8"),
    "P3-table11-order": ("T7", "T11-bdf4"),
    "P3-table9-sparse": ("T5", "T7", "T9-sparse"),
    "P3-table10-mass": ("T10-plain", "T10-mean0"),
    "P3-fig4-loss": ("T1", "T3"),
}


def recorded_verdict(claim_id: str, path: str | None) -> str:
    """The verdict of ``claim_id``'s row in the committed paper-protocol record (claim rows at ``path``); "" without
    a path or a row."""
    if not path:
        return ""
    hit = [r for r in read_fragment(path) if r.id == claim_id]
    return hit[0].verdict if hit else ""


def record_evidence(claim_id: str, path: str | None) -> str:
    """What the committed paper-protocol record (its claim rows at ``path``, written by ``p3_protocol_record``)
    says of ``claim_id``: its verdict and measured values at the paper's budget; for a claim it has not scored
    yet (an eps it needs has not run), the Error% of the claim's fits that have run, from the record's fit
    table beside it (``...-fits.json``); "" without a ``path``."""
    if not path:
        return ""
    hit = [r for r in read_fragment(path) if r.id == claim_id]
    if hit:
        r = hit[0]
        return f"under the paper's protocol ({path}): {r.verdict}, {r.reproduced_value}"
    fits = Path(str(path).replace("-claims.json", "-fits.json"))
    done = json.loads(fits.read_text()) if fits.is_file() else {}
    runs = [
        f"{lb} 1/{inv} {err:.3g}%"
        for lb in PROTOCOL_FITS.get(claim_id, ())
        for inv, err in sorted(done.get(lb, {}).items(), key=lambda kv: int(kv[0]))
    ]
    if not runs:
        return f"not yet run under the paper's protocol ({path} has no row for it)"
    return f"not yet scored under the paper's protocol (only some eps run, {path}); its fits so far: {', '.join(runs)}"


def converged_verdict(result: ClaimResult, refutation: str = "") -> ClaimResult:
    """``result`` (the check on the converged fits) as a ``converged`` row: ``refuted`` with ``refutation`` as
    evidence if it fails and ``refutation`` (the measurement contradicting the paper) is given; else reproduced
    / unexplained."""
    result = _rescored(result, "converged")
    if result.passed or not refutation:
        return result
    return replace(result, verdict="refuted", evidence=refutation)


def protocol_rows(
    check: Callable[..., ClaimResult],
    inputs: Mapping,
    *,
    budgets: Mapping[str, AdamBudget],
    converged: str,
    refutation: str = "",
    record: str = "",
    record_verdict: str = "",
) -> list[ClaimResult]:
    """The ``paper`` and ``converged`` rows of a check that takes ``protocol`` ("adam" / "converged")."""
    return [
        paper_verdict(check(**inputs, protocol="adam"), budgets, converged, record, record_verdict),
        converged_verdict(check(**inputs, protocol="converged"), refutation),
    ]


def converged_errors(errors: Mapping) -> str:
    """The converged Error% of a Tables 1-8 / 11 error mapping ``{(table, scheme): {inv: {protocol: %}}}``."""
    return "; ".join(
        f"T{t} {s} " + ", ".join(f"1/{inv} {vals[inv]['converged']:.3g}%" for inv in sorted(vals))
        for (t, s), vals in errors.items()
    )


def percents(values: Mapping) -> str:
    """Error% values as text: ``{key: %}`` -> "key 1.23%, ..."; ``{1/eps: {key: %}}`` -> "1/64: key 1.23%, ...;
    ..." (integer keys are read as 1/eps)."""

    def key(k):
        return f"1/{k}" if isinstance(k, int) else str(k)

    if all(isinstance(v, Mapping) for v in values.values()):
        return "; ".join(f"{key(k)}: {percents(v)}" for k, v in sorted(values.items()))
    return ", ".join(f"{key(k)} {v:.3g}%" for k, v in values.items())


def table1_2_refutation(errors: Mapping, threshold: float) -> str:
    """Tables 1-2 say the non-multiscale FE / IMEX1 fits fail (Error% > ``threshold``) at the smallest eps. The
    evidence that they need not (a converged Error% there <= ``threshold``), or "" if every converged fit fails
    there too."""
    ok = []
    for (t, s), vals in errors.items():
        inv = max(vals)
        e = vals[inv]["converged"]
        if not e > threshold:
            ok.append(f"T{t} {s} {e:.3g}% at 1/{inv}")
    if not ok:
        return ""
    return (
        f"the converged optimum of the same ansatz on the same data does not fail: {', '.join(ok)} "
        f"(the paper: > {threshold:g}%); converged Error% {converged_errors(errors)}"
    )


def table5_6_refutation(errors: Mapping, large: float, fail_from: Mapping[str, int]) -> str:
    """Tables 5-6 say the non-multiscale IMEX-BDF-2 / ARS(2,2,2) fits fail (Error% > ``large``) from some eps <=
    1/fail_from[scheme] on. The evidence that they need not -- a scheme whose converged Error% at the smallest
    eps evaluated (<= 1/fail_from) is <= ``large``, so no such eps exists -- or "" if there is none (or no eps
    that small was evaluated: nothing measured)."""
    ok = []
    for (t, s), vals in errors.items():
        inv = max(vals)
        e = vals[inv]["converged"]
        if inv >= fail_from[s] and not e > large:
            ok.append(f"T{t} {s} {e:.3g}% at 1/{inv}")
    if not ok:
        return ""
    return (
        f"the converged optimum of the same ansatz on the same data does not fail: {', '.join(ok)} "
        f"(the paper: > {large:g}% from some eps on); converged Error% {converged_errors(errors)}"
    )

"""P1's training budgets and the ``not-reached`` verdict of its paper rows (Bar-Sinai et al. 2019).

The paper trains every model for 40,000 steps at batch 128 on 8,000 snapshots (800 integrations x 10),
Fig. 1's interpolation model at batch 1,024, and scores valid times on 100 simulations per equation
(``shared/reference``, the authors' code). A scale that trains less scores its P1 rows on those smaller
models: a failing row there is ``not-reached`` (CLAIMS.md), with the budget it used, the paper's, and what
larger budgets measured so far give as evidence (:func:`p1_paper_verdict`). At the paper's budget a failure
stays ``unexplained``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from .rows import ClaimResult

__all__ = [
    "P1Budget",
    "PAPER_P1",
    "PAPER_P1_FIG1",
    "p1_budgets_from_settings",
    "p1_paper_verdict",
    "training_length_evidence",
]


@dataclass(frozen=True)
class P1Budget:
    """One model family's training budget: ``steps`` (NN), ``batch`` (examples per step: fine snapshots here,
    each with all its shifts), ``snapshots`` (training snapshots), ``const_steps`` (the constant-coefficient
    models, when trained), ``simulations`` (test simulations scored, where a claim counts them)."""

    steps: int
    batch: int
    snapshots: int | None = None
    const_steps: int | None = None
    simulations: int | None = None

    def describe(self) -> str:
        parts = [f"{self.steps:,} steps at batch {self.batch:,}"]
        if self.const_steps is not None:
            parts.append(f"constant models {self.const_steps:,} steps")
        if self.snapshots is not None:
            parts.append(f"{self.snapshots:,} training snapshots")
        if self.simulations is not None:
            parts.append(f"{self.simulations:,} test simulations")
        return ", ".join(parts)

    def short_of(self, paper: P1Budget) -> list[str]:
        """The fields where this budget is below ``paper``'s (fields ``paper`` leaves None are not compared)."""
        out = []
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(paper, f.name)
            if theirs is not None and mine is not None and mine < theirs:
                out.append(f.name)
        return out


#: Every P1 training of the paper (the constant models at the same steps as the NN).
PAPER_P1 = P1Budget(steps=40_000, batch=128, snapshots=8_000, const_steps=40_000, simulations=100)
#: Fig. 1's interpolation model (batch 1,024).
PAPER_P1_FIG1 = P1Budget(steps=40_000, batch=1_024)


def p1_budgets_from_settings(settings: Mapping) -> dict[str, P1Budget]:
    """``{name: P1Budget}`` from a settings file's mapping of name -> budget fields (the rules write them from
    the scale's config)."""
    return {str(k): P1Budget(**{f: v for f, v in dict(b).items() if v is not None}) for k, b in settings.items()}


def p1_paper_verdict(
    result: ClaimResult,
    budgets: Mapping[str, P1Budget],
    *,
    paper: P1Budget = PAPER_P1,
    larger: str = "",
    record=None,
) -> ClaimResult:
    """``result`` as a paper row: ``not-reached`` if it fails and some budget of ``budgets`` is below ``paper``,
    with the evidence naming each budget, the paper's and ``larger`` (what larger budgets measured so far
    give; "none measured yet" when empty) and ``record`` (a :class:`~coarsepde.claims.p1_protocol.ProtocolRecord`:
    what the committed paper-protocol run says); otherwise unchanged (reproduced / unexplained). Where that run,
    at the paper's budget, fails the check on every seed's row (its verdict is neither "" nor "reproduced"), the
    budget does not explain the failure: the row takes the record's verdict, with the same evidence."""
    short = {k: b.short_of(paper) for k, b in budgets.items()}
    short = {k: v for k, v in short.items() if v}
    if result.passed or not short:
        return result
    compared = {f.name for f in fields(P1Budget) if any(getattr(b, f.name) is not None for b in budgets.values())}
    paper = replace(paper, **{f.name: None for f in fields(P1Budget) if f.name not in compared | {"steps", "batch"}})
    used = "; ".join(
        (f"{k}: " if len(budgets) > 1 else "") + f"{budgets[k].describe()} (short in {', '.join(v)})"
        for k, v in short.items()
    )
    measured = "; ".join(x for x in (larger, record.evidence if record else "") if x)
    evidence = f"{used} vs the paper's {paper.describe()}; larger budgets measured so far: " + (
        measured or "none measured yet"
    )
    if record and record.verdict not in ("", "reproduced"):
        return replace(result, verdict=record.verdict, evidence=evidence)
    return replace(result, verdict="not-reached", evidence=evidence)


def training_length_evidence(rows: list[Mapping], *, steps: int) -> str:
    """What the training-length supplement (``results/tables/P1_<eq>_training_length.csv``: one NN trained for
    several lengths, integrated on the Fig. 4 test runs) measured at more than ``steps`` steps, beside the best
    Fig. 4 baseline at that factor; "" when it holds no longer training."""
    nn = [r for r in rows if r["method"] == "NN" and float(r["training_steps"]) > steps]
    if not nn:
        return ""
    base = [r for r in rows if str(r["method"]).startswith("Fig. 4: ") and str(r["method"]) != "Fig. 4: nn"]
    eq, factor = str(nn[0]["equation"]), int(nn[0]["factor"])
    text = f"{eq} {factor}x NN median valid time " + ", ".join(
        f"{float(r['median_valid_time']):.3g} at {int(float(r['training_steps'])):,} steps" for r in nn
    )
    if base:
        best = max(base, key=lambda r: float(r["median_valid_time"]))
        text += f" (best baseline {best['method'][len('Fig. 4: ') :]} {float(best['median_valid_time']):.3g})"
    return text

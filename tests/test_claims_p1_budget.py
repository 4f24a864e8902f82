"""P1's paper rows: not-reached only below the paper's budget, with the budgets and longer trainings as evidence
(coarsepde.claims.p1_budget)."""

import json

import pytest

from coarsepde.claims import (
    PAPER_P1,
    PAPER_P1_FIG1,
    ClaimResult,
    P1Budget,
    p1_budgets_from_settings,
    p1_paper_verdict,
    training_length_evidence,
)


def _row(passed):
    return ClaimResult(
        id="P1-fig4-validtime",
        claim="c",
        paper_value="p",
        reproduced_value="r",
        tolerance="t",
        passed=passed,
        scale="t",
    )


DEFAULT = {"steps": 4000, "batch": 16, "snapshots": 400, "const_steps": 1000, "simulations": 20}


def test_a_failing_row_below_the_paper_budget_is_not_reached_with_both_budgets():
    budgets = p1_budgets_from_settings({"kdv": DEFAULT, "ks": DEFAULT | {"simulations": 100}})
    r = p1_paper_verdict(_row(False), budgets, larger="kdv 2x NN median valid time 10.2 at 8,000 steps")
    assert r.verdict == "not-reached"
    assert "kdv: 4,000 steps at batch 16" in r.evidence and "short in steps, batch, snapshots" in r.evidence
    assert "const_steps, simulations" in r.evidence.split("ks:")[0]  # kdv: 20 of 100 simulations
    assert "simulations" not in r.evidence.split("ks:")[1].split("(short in")[1].split(")")[0]
    assert "the paper's 40,000 steps at batch 128" in r.evidence and "10.2 at 8,000 steps" in r.evidence
    assert "none measured yet" in p1_paper_verdict(_row(False), budgets).evidence
    # the paper's budget is quoted on the fields compared only (Figs. 2, 3 count no test simulations)
    fig3 = p1_budgets_from_settings({"burgers": DEFAULT | {"simulations": None}})
    assert "simulations" not in p1_paper_verdict(_row(False), fig3).evidence


def test_the_paper_budget_or_a_pass_keeps_the_verdict():
    paper = {"all": {f: getattr(PAPER_P1, f) for f in DEFAULT}}
    assert p1_paper_verdict(_row(False), p1_budgets_from_settings(paper)).verdict == "unexplained"
    assert p1_paper_verdict(_row(True), p1_budgets_from_settings({"kdv": DEFAULT})).verdict == "reproduced"
    # Fig. 1 compares steps and batch only (1,024 at the paper)
    fig1 = {"interpolation": P1Budget(steps=40_000, batch=256)}
    r = p1_paper_verdict(_row(False), fig1, paper=PAPER_P1_FIG1)
    assert r.verdict == "not-reached" and "short in batch)" in r.evidence
    with pytest.raises(TypeError):
        p1_budgets_from_settings({"x": {"steps": 1, "batch": 2, "epochs": 3}})


def test_training_length_evidence_reads_longer_trainings_and_the_best_baseline():
    rows = [
        {"equation": "kdv", "factor": 2, "method": "NN", "training_steps": s, "median_valid_time": m}
        for s, m in ((2000.0, 0.5), (4000.0, 1.0), (8000.0, 10.2), (16000.0, 8.75))
    ]
    rows += [
        {
            "equation": "kdv",
            "factor": 2,
            "method": f"Fig. 4: {k}",
            "training_steps": float("nan"),
            "median_valid_time": m,
        }
        for k, m in (("fv1", 3.0), ("fv3", 20.8), ("nn", 1.0))
    ]
    text = training_length_evidence(rows, steps=4000)
    assert text == "kdv 2x NN median valid time 10.2 at 8,000 steps, 8.75 at 16,000 steps (best baseline fv3 20.8)"
    assert training_length_evidence(rows, steps=16000) == ""


def test_the_protocol_record_is_cited_and_decides_a_failure_it_shares(tmp_path):
    """A default paper row cites the committed paper-protocol record: its seeds so far while some seed has not run
    (still not-reached), and takes the record's verdict once every seed's row fails at the paper's budget."""
    from dataclasses import replace

    from coarsepde.claims import write_fragments
    from coarsepde.claims.p1_protocol import protocol_record, seeds_path, seeds_summary

    claims = tmp_path / "p1-paper-protocol-claims.json"
    budgets = p1_budgets_from_settings({"kdv": DEFAULT})
    assert protocol_record("P1-fig4-validtime", None) is None

    # only seed 0 has run: cited, the verdict stays not-reached
    write_fragments([], claims)
    seeds_path(claims).write_text(json.dumps(seeds_summary({"P1-fig4-validtime": {0: _row(False)}}, [0, 1, 2])))
    rec = protocol_record("P1-fig4-validtime", claims)
    assert rec.verdict == "" and "1 of 3 seeds scored so far" in rec.evidence and "seed 0 fails: r" in rec.evidence
    r = p1_paper_verdict(_row(False), budgets, larger="longer: 3.5", record=rec)
    assert r.verdict == "not-reached" and "longer: 3.5; under the paper's protocol, 1 of 3" in r.evidence
    assert "not yet scored" in protocol_record("P1-fig1-interp", claims).evidence

    # every seed ran and failed: the record's verdict (the budget does not explain it)
    write_fragments([replace(_row(False), reproduced_value="passed on replicas none of 3")], claims)
    rec = protocol_record("P1-fig4-validtime", claims)
    assert rec.verdict == "unexplained"
    r = p1_paper_verdict(_row(False), budgets, record=rec)
    assert r.verdict == "unexplained" and "passed on replicas none of 3" in r.evidence
    # the record reproduces it: the smaller budget explains the failure here
    write_fragments([replace(_row(True), reproduced_value="passed on replicas 0, 1, 2 of 3")], claims)
    r = p1_paper_verdict(_row(False), budgets, record=protocol_record("P1-fig4-validtime", claims))
    assert r.verdict == "not-reached" and "reproduced, passed on replicas 0, 1, 2 of 3" in r.evidence

"""Claim rows (validation, fragments, gathering into claims.csv) and the P2 checks.

The catalogue against CLAIMS.md: test_claims_catalogue.py."""

import json

import numpy as np
import pandas as pd
import pytest

from coarsepde.claims import (
    COLUMNS,
    ClaimResult,
    check_astar_1d,
    check_astar_2d,
    gather,
    pending_ids,
    write_claims_csv,
    write_fragment,
)


def _row(cid="P2-astar-1d", passed=True):
    return ClaimResult(
        id=cid, claim="c", paper_value="1", reproduced_value="1", tolerance="0", passed=passed, scale="ci"
    )


def test_claim_result_validates_id_and_passed():
    with pytest.raises(ValueError, match="unknown claim id"):
        _row("P2-astar-3d")
    with pytest.raises(TypeError, match="bool"):
        _row(passed="yes")


def test_gather_orders_by_contract_and_rejects_duplicates(tmp_path):
    a = write_fragment(_row("P2-astar-2d", passed=False), tmp_path / "a.json")
    b = write_fragment(_row("P1-fig1-interp"), tmp_path / "b.json")
    table = gather([a, b])
    assert list(table.columns) == COLUMNS
    assert list(table["id"]) == ["P1-fig1-interp", "P2-astar-2d"]
    assert list(table["passed"]) == [True, False]
    assert table.loc[1, "paper"] == "P2" and table.loc[1, "artifact"] == "Eq. 27"
    out = write_claims_csv(table, tmp_path / "claims.csv")
    back = pd.read_csv(out)
    assert list(back.columns) == COLUMNS and back["passed"].dtype == bool
    with pytest.raises(ValueError, match="reported twice"):
        gather([a, write_fragment(_row("P2-astar-2d"), tmp_path / "c.json")])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        gather([tmp_path / "bad.json"])
    assert "P2-astar-2d" not in pending_ids(["P2-astar-2d"]) and "P2-cost" in pending_ids([])


def _astar_1d(value):
    return check_astar_1d(
        a_star=value,
        resolution=128,
        a_mean=1.1,
        a_amplitude=1.0,
        paper_value=0.45825686,
        rel_tol_exact=1e-8,
        rel_tol_paper=1e-5,
        nearest_quadrature=(32, "node", 0.4582569419),
        scale="ci",
    )


def test_astar_1d_check_passes_on_the_exact_value_and_fails_honestly_otherwise():
    ok = _astar_1d(float(np.sqrt(0.21)))
    assert ok.passed and ok.id == "P2-astar-1d"
    # the paper's own number is 1.5e-6 off sqrt(0.21): it must fail the 1e-8 check, not raise
    bad = _astar_1d(0.45825686)
    assert bad.passed is False and "1.55e-06" in bad.reproduced_value
    assert _astar_1d(0.4583).passed is False
    json.dumps(ok.row())  # serialisable


def test_astar_2d_check_reports_orientation_and_cross_term():
    K = np.array([[1.33997427, 0.11047482], [0.11047482, 1.26458204]])
    res = check_astar_2d(
        K=K,
        alignment="code",
        paper_diagonal=(1.2644, 1.3398),
        abs_tol=3e-4,
        rates_at={240: (1.33984108, 1.26442635)},
        scale="ci",
    )
    assert res.passed and "swapped" in res.reproduced_value and "K_xy = 0.110475" in res.reproduced_value
    same = check_astar_2d(
        K=K[::-1, ::-1], alignment="code", paper_diagonal=(1.2644, 1.3398), abs_tol=3e-4, rates_at={}, scale="ci"
    )
    assert same.passed and "same orientation" in same.reproduced_value
    # the "same index" alignment misses the printed diagonal by ~1.6e-2
    naive = np.array([[1.33456678, 0.04238506], [0.04238506, 1.24836593]])
    assert not check_astar_2d(
        K=naive, alignment="same_index", paper_diagonal=(1.2644, 1.3398), abs_tol=3e-4, rates_at={}, scale="ci"
    ).passed


def test_p2_1d_checks_pass_and_fail_on_their_thresholds(tmp_path):
    from coarsepde.claims import (
        check_p2_cost,
        check_p2_fig1_grid,
        check_p2_fig2_snapshot,
        check_p2_fig4_rhs,
        check_p2_fig5_integrate,
        read_fragment,
        write_fragments,
    )

    assert check_p2_fig1_grid(space_fraction=0.072, time_fraction=1e-3, n_patches=9, scale="ci").passed
    assert not check_p2_fig1_grid(space_fraction=0.09, time_fraction=1e-3, n_patches=10, scale="ci").passed
    cost = check_p2_cost(
        space_fraction=0.072, time_fraction=1e-3, patch_seconds=2.0, full_seconds=40.0, interval=0.05, scale="ci"
    )
    assert cost.passed and "1.39e+04" in cost.reproduced_value and "x20.0" in cost.reproduced_value
    snap = dict(
        rel_fr_homog=1e-4, rel_pd_homog=5e-3, rel_pd_fr=5e-3, oscillation_period=1.01e-5, eps=1e-5, tol=1e-2, scale="ci"
    )
    assert check_p2_fig2_snapshot(**snap).passed
    assert not check_p2_fig2_snapshot(**(snap | {"rel_pd_homog": 2e-2})).passed
    assert not check_p2_fig2_snapshot(**(snap | {"oscillation_period": 2e-5})).passed
    assert check_p2_fig4_rhs(rmse={"a": 1e-3, "b": 5e-3}, data_rmse=1e-3, tol=1e-2, scale="ci").passed
    assert not check_p2_fig4_rhs(rmse={"a": 1e-3, "b": float("nan")}, data_rmse=1e-3, tol=1e-2, scale="ci").passed
    r5 = check_p2_fig5_integrate(rmse={"a": 1e-3}, stable={"a": False}, tol=1e-2, t_max=0.5, scale="ci")
    assert not r5.passed and "UNSTABLE" in r5.reproduced_value
    path = write_fragments([cost, r5], tmp_path / "two.json")
    assert [r.id for r in read_fragment(path)] == ["P2-cost", "P2-fig5-integrate"]


def test_p2_2d_checks():
    from coarsepde.claims import check_p2_fig6_rhs2d, check_p2_fig7_traj2d, check_p2_fig8_phase, check_p2_tensor

    K = np.array([[1.34, 0.11], [0.11, 1.26]])
    ok = check_p2_tensor(
        K=K, paper_diagonal=(1.2644, 1.3398), by_time={0.1: (1e-8, 5e-3), 1.0: (1e-8, 5e-2)}, tol=1e-2, scale="ci"
    )
    assert ok.passed and "0.2200 u_xy" in ok.reproduced_value
    assert not check_p2_tensor(
        K=K, paper_diagonal=(1.2644, 1.3398), by_time={1.0: (1e-2, 5e-2)}, tol=1e-2, scale="ci"
    ).passed
    norm = np.linspace(10, 1, 20)
    rel = {"a": {"eq27": 1 / norm, "full": 0.5 / norm}}
    assert check_p2_fig6_rhs2d(rel_err=rel, rhs_norm={"eq27": norm, "full": norm}, scale="ci").passed
    assert not check_p2_fig6_rhs2d(
        rel_err={"a": {"eq27": norm, "full": norm}}, rhs_norm={"eq27": norm, "full": norm}, scale="ci"
    ).passed
    e = {"a": {"eq27": 0.02, "full": 0.01}}
    assert check_p2_fig7_traj2d(
        early=e, late={"a": {"eq27": 0.3, "full": 0.01}}, early_time=0.1, early_tol=0.05, scale="ci"
    ).passed
    assert not check_p2_fig7_traj2d(
        early=e, late={"a": {"eq27": 0.01, "full": 0.01}}, early_time=0.1, early_tol=0.05, scale="ci"
    ).passed
    assert check_p2_fig8_phase(
        distance={"a": {"eq27": 0.05, "full": 0.01}}, mse_end={"a": {"eq27": 1, "full": 1}}, scale="ci"
    ).passed

"""The in-repo claim catalogue (coarsepde.claims.catalogue) against the contract, shared/CLAIMS.md.

When the project's shared/ folder sits beside the checkout, the catalogue must hold exactly its IDs, in
its order, with its paper, artifact and wording. Without it, the same comparison runs against the
in-repo copy, and the catalogue's own consistency is checked either way: no test here skips.
"""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT

import coarsepde.claims as claims
from coarsepde.claims import CATALOGUE, CLAIMS, pending_ids
from coarsepde.claims.catalogue import P2_FRACTIONS, PAPERS, PROTOCOL_BOTH

CLAIMS_MD = Path(__file__).resolve().parents[2] / "shared" / "CLAIMS.md"
SCALES = ("config", "ci", "paper")
ROW = re.compile(r"^\| ((?:P[123]|X)-[A-Za-z0-9-]+) \| (.*) \|$", re.M)


def parse_claims_md(text: str) -> dict[str, tuple[str, str | None, str]]:
    """ID -> (paper, artifact, wording) of the contract's tables, in order. The X table has no artifact
    column; " | " (spaced) separates cells, so a wording may hold "|x|" but not " | "."""
    rows = {}
    for m in ROW.finditer(text):
        cid, rest = m.group(1), m.group(2)
        if cid in rows:
            raise ValueError(f"{cid} appears twice in CLAIMS.md")
        artifact, wording = (None, rest) if cid.startswith("X-") else rest.split(" | ", 1)
        rows[cid] = (cid.split("-")[0], artifact, wording)
    return rows


def ascii_dashes(text: str) -> str:
    """claims.csv writes CLAIMS.md's artifacts with ASCII dashes ("Sect. 4-5" for "Sect. 4–5")."""
    return text.replace("\u2013", "-").replace("\u2014", "-")


def contract() -> dict[str, tuple[str, str | None, str]]:
    """The contract: shared/CLAIMS.md where present, else the in-repo copy (the catalogue itself)."""
    if CLAIMS_MD.exists():
        return parse_claims_md(CLAIMS_MD.read_text(encoding="utf-8"))
    return {c.id: (c.paper, None if c.paper == "X" else c.artifact, c.wording) for c in CLAIMS.values()}


def test_parser_reads_both_table_shapes():
    text = (
        "| ID | artifact | claim to check |\n| --- | --- | --- |\n"
        "| P2-cost | Sect. 4–5 | a < b and |x| > 0. |\n"
        "| ID | claim to check |\n| --- | --- |\n| X-provenance | every store. |\n"
    )
    assert parse_claims_md(text) == {
        "P2-cost": ("P2", "Sect. 4–5", "a < b and |x| > 0."),
        "X-provenance": ("X", None, "every store."),
    }
    with pytest.raises(ValueError, match="twice"):
        parse_claims_md(text + "| X-provenance | again. |\n")


def test_catalogue_is_consistent():
    ids = list(CLAIMS)
    assert len(ids) == 33 and len(set(ids)) == 33
    assert list(CATALOGUE) == ids
    prefixes = [cid.split("-")[0] for cid in ids]
    assert set(prefixes) == set(PAPERS)
    # grouped by paper, in the order of CLAIMS.md: P1, P2, P3, then the project's own claims
    assert prefixes == sorted(prefixes, key=PAPERS.index)
    assert [prefixes.count(p) for p in PAPERS] == [4, 10, 14, 5]
    for cid, c in CLAIMS.items():
        assert c.id == cid and c.paper == cid.split("-")[0]
        assert CATALOGUE[cid] == (c.paper, c.artifact)
        assert c.artifact.strip() and c.artifact.isascii(), cid
        assert c.wording.strip() and c.wording == c.wording.strip() and "  " not in c.wording, cid
        assert c.protocol in ("paper", PROTOCOL_BOTH, "project"), cid
        assert (c.protocol == "project") == (c.paper == "X"), cid
    # CLAIMS.md: P3 Tables 1-10 and Fig. 4 depend on the optimizer (two rows); so do Tables 11, 12, 14 and Fig. 5,
    # whose fit stores hold both protocols; the PINN (13), the diffusion limit (15) and Table 16 have one
    both = [cid for cid, c in CLAIMS.items() if c.protocol == PROTOCOL_BOTH]
    assert both == [f"P3-{k}" for k in ("table1-2", "table3-4", "table5-6", "table7-8", "table9-sparse")] + [
        "P3-table10-mass",
        "P3-table11-order",
        "P3-table12-lasso",
        "P3-table14-mshdl",
        "P3-fig4-loss",
        "P3-fig5-sigma",
    ]


def test_catalogue_matches_the_contract():
    md = contract()
    assert list(md) == list(CLAIMS), "IDs (and their order) differ from CLAIMS.md"
    for cid, (paper, artifact, wording) in md.items():
        c = CLAIMS[cid]
        assert c.paper == paper, cid
        if artifact is not None:  # the X claims: CLAIMS.md gives no artifact, the catalogue a label
            assert c.artifact == ascii_dashes(artifact), cid
        assert c.wording == wording, f"{cid}: wording differs from CLAIMS.md"


def test_every_check_named_exists_and_writes_its_id():
    for cid, c in CLAIMS.items():
        if not c.check:
            continue
        if c.check.endswith(".py"):  # a script builds the row itself
            source = (ROOT / c.check).read_text(encoding="utf-8")
        else:
            assert c.check in claims.__all__, f"{cid}: {c.check} is not exported by coarsepde.claims"
            source = inspect.getsource(getattr(claims, c.check))
        assert f'id="{cid}"' in source, f"{cid}: {c.check} does not write this ID"


def test_every_id_has_a_check_and_none_is_pending():
    unchecked = [cid for cid, c in CLAIMS.items() if not c.check]
    assert unchecked == []
    reported = [cid for cid, c in CLAIMS.items() if c.check]
    assert pending_ids(reported) == []
    assert pending_ids(reported[1:]) == reported[:1]


@pytest.mark.parametrize("scale", SCALES)
def test_config_keys_of_the_catalogue_exist(scale):
    cfg = yaml.safe_load((ROOT / "config" / f"{scale}.yaml").read_text())
    for cid, c in CLAIMS.items():
        for key in c.config:
            node = cfg
            for part in key.split("."):
                assert isinstance(node, dict) and part in node, f"{cid}: {key} missing in config/{scale}.yaml"
                node = node[part]
            assert not isinstance(node, dict), f"{cid}: {key} is a section, not a value"


def test_fixed_thresholds_state_the_contract_and_are_the_ones_applied():
    # Sect. 4-5: < 8% of space, <= 0.1% of time, a 1e4 x smaller space-time grid
    assert P2_FRACTIONS == {"space_fraction_below": 0.08, "time_fraction_at_most": 1e-3}
    assert CLAIMS["P2-fig1-grid"].thresholds == P2_FRACTIONS
    assert CLAIMS["P2-cost"].thresholds == P2_FRACTIONS | {"grid_ratio_at_least": 1e4}
    assert "< 8% of space and <= 0.1% of time" in CLAIMS["P2-cost"].wording
    grid = dict(n_patches=9, scale="t")
    assert claims.check_p2_fig1_grid(space_fraction=0.0799, time_fraction=1e-3, **grid).passed
    assert not claims.check_p2_fig1_grid(space_fraction=0.08, time_fraction=1e-3, **grid).passed
    assert not claims.check_p2_fig1_grid(space_fraction=0.05, time_fraction=1.001e-3, **grid).passed
    cost = dict(patch_seconds=1.0, full_seconds=10.0, interval=0.05, scale="t")
    ok = claims.check_p2_cost(space_fraction=0.072, time_fraction=1e-3, **cost)
    assert ok.passed and ok.tolerance == "space < 8%, time <= 0.1%, ratio >= 1e4"
    # both fractions within bounds but a grid only 1 / (0.079 * 0.00127) = 9967 x smaller
    assert not claims.check_p2_cost(space_fraction=0.079, time_fraction=1.27e-3, **cost).passed

    assert CLAIMS["P2-fig2-snapshot"].thresholds == {"period_rel_tol": 0.05}
    snap = dict(rel_fr_homog=1e-4, rel_pd_homog=1e-4, rel_pd_fr=1e-4, eps=1e-5, tol=1e-2, scale="t")
    r = claims.check_p2_fig2_snapshot(oscillation_period=1.049e-5, **snap)
    assert r.passed and r.tolerance == "rel. L2 < 0.01; period within 5%"
    assert not claims.check_p2_fig2_snapshot(oscillation_period=1.051e-5, **snap).passed

    assert CLAIMS["P2-fig6-rhs2d"].thresholds == {"correlation_below": 0.0}
    norm = np.linspace(10, 1, 20)
    refs = {"eq27": norm, "full": norm}
    r = claims.check_p2_fig6_rhs2d(rel_err={"a": {"eq27": 1 / norm, "full": norm}}, rhs_norm=refs, scale="t")
    assert r.passed and "corr Eq.27 -1.00" in r.reproduced_value and r.tolerance == "correlation < 0"
    # scored on Eq. 27 only: an error growing with |d_t u| there fails, whatever the full tensor gives
    assert not claims.check_p2_fig6_rhs2d(
        rel_err={"a": {"eq27": norm, "full": 1 / norm}}, rhs_norm=refs, scale="t"
    ).passed

    assert CLAIMS["P2-fig8-phase"].thresholds == {"distance_below": 0.1}
    phase = dict(mse_end={"a": {"eq27": 1.0, "full": 1.0}}, scale="t")
    assert claims.check_p2_fig8_phase(distance={"a": {"eq27": 0.0999, "full": 0.0}}, **phase).passed
    assert not claims.check_p2_fig8_phase(distance={"a": {"eq27": 0.1, "full": 0.0}}, **phase).passed

    assert CLAIMS["X-p2-tensor"].thresholds == {"eq27_worse_factor": 10.0}
    K = np.array([[1.34, 0.11], [0.11, 1.26]])
    tensor = dict(K=K, paper_diagonal=(1.2644, 1.3398), tol=1e-2, scale="t")
    r = claims.check_p2_tensor(by_time={1.0: (1e-3, 1.0001e-2)}, **tensor)
    assert r.passed and r.tolerance == "full < 0.01; Eq. 27 > 10 x full"
    assert not claims.check_p2_tensor(by_time={1.0: (1e-3, 0.9999e-2)}, **tensor).passed

"""claims.csv's rows: the columns of CLAIMS.md, protocols and verdicts, a row for every ID; the X-determinism
and X-provenance checks on real stores (one flipped byte fails, identical stores pass, a missing code version
fails)."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr

from coarsepde.claims import (
    CATALOGUE,
    COLUMNS,
    UNMEASURED,
    ClaimResult,
    audit_provenance,
    check_x_determinism,
    check_x_provenance,
    compare_stores,
    find_stores,
    gather,
    read_fragment,
    write_claims_csv,
    write_fragment,
    write_fragments,
)
from coarsepde.store import provenance, write_dataset


def _row(cid="P3-table1-2", passed=True, **kw):
    return ClaimResult(
        id=cid, claim="c", paper_value="1", reproduced_value="2", tolerance="0", passed=passed, scale="ci", **kw
    )


def test_columns_are_the_contracts_in_its_order():
    assert COLUMNS == [
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
    assert list(_row().row()) == COLUMNS


def test_verdict_defaults_follow_passed():
    assert _row(passed=True).verdict == "reproduced"
    failed = _row(passed=False)
    assert (failed.verdict, failed.evidence, failed.protocol) == ("unexplained", "", "paper")


def test_verdict_validation():
    ok = _row(passed=False, verdict="not-reached", evidence="Adam 80000 steps: 0.8% (2000 steps here: 73%)")
    assert ok.row()["verdict"] == "not-reached" and "80000" in ok.row()["evidence"]
    assert _row(passed=False, verdict="refuted", evidence="converged optimum 4.46%").verdict == "refuted"
    with pytest.raises(ValueError, match="not one of"):
        _row(verdict="confirmed")
    with pytest.raises(ValueError, match="passed=False"):
        _row(passed=False, verdict="reproduced")
    with pytest.raises(ValueError, match="passed=True"):
        _row(passed=True, verdict="unexplained")
    with pytest.raises(ValueError, match="passed=True"):
        _row(passed=True, verdict="refuted", evidence="1.5")
    for verdict in ("refuted", "not-reached"):
        with pytest.raises(ValueError, match="evidence"):
            _row(passed=False, verdict=verdict)
        with pytest.raises(ValueError, match="evidence"):
            _row(passed=False, verdict=verdict, evidence="the budget is too small")  # words, no numbers
    with pytest.raises(ValueError, match="protocol"):
        _row(protocol="adam")


def test_two_protocols_of_one_id_are_two_rows_and_exact_duplicates_are_rejected(tmp_path):
    conv = _row(passed=True, protocol="converged")
    paper = _row(passed=False, protocol="paper", verdict="not-reached", evidence="80000 steps: 0.9%")
    frag = write_fragments([conv, paper], tmp_path / "p3.json")
    assert read_fragment(frag) == [conv, paper]  # protocol, verdict and evidence round-trip
    table = gather([frag])
    rows = table[table["id"] == "P3-table1-2"]
    assert list(rows["protocol"]) == ["paper", "converged"]  # paper first within an ID
    assert list(rows["verdict"]) == ["not-reached", "reproduced"]
    assert list(rows["passed"]) == [False, True]
    dup = write_fragment(_row(passed=True, protocol="converged"), tmp_path / "dup.json")
    with pytest.raises(ValueError, match=r"same protocol: \[\('P3-table1-2', 'converged'\)\]"):
        gather([frag, dup])


def test_gather_fills_every_missing_id_with_an_unexplained_row(tmp_path):
    frag = write_fragment(_row("X-p2-tensor"), tmp_path / "x.json")
    table = gather([frag])
    assert list(table["id"]) == list(CATALOGUE) and len(table) == 33
    filled = table[table["id"] != "X-p2-tensor"]
    assert len(filled) == 32
    assert set(filled["verdict"]) == {"unexplained"} and not filled["passed"].any()
    assert set(filled["reproduced_value"]) == {UNMEASURED} and set(filled["evidence"]) == {""}
    assert set(table["scale"]) == {"ci"}
    measured = table.set_index("id").loc["X-p2-tensor"]
    assert (measured["verdict"], measured["reproduced_value"]) == ("reproduced", "2")
    back = pd.read_csv(write_claims_csv(table, tmp_path / "claims.csv"))
    assert list(back.columns) == COLUMNS and back["passed"].dtype == bool and back["passed"].sum() == 1
    # no fragments at all: the scale must be named, and then all 33 rows are unmeasured
    assert (gather([], scale="default")["reproduced_value"] == UNMEASURED).sum() == 33
    with pytest.raises(ValueError, match="several scales"):
        gather([])
    with pytest.raises(ValueError, match="several scales"):
        gather([frag], scale="paper")


# ---------------------------------------------------------------------------- X-determinism, X-provenance


def _store(path, *, seed=7, version=True):
    rng = np.random.default_rng(seed)
    ds = xr.Dataset(
        {"u": (("time", "x"), rng.standard_normal((6, 50)), {"units": "1"})},
        coords={"time": ("time", np.arange(6.0)), "x": ("x", np.linspace(0, 1, 50))},
    )
    prov = provenance({"n": 50}, seed=seed, rule="sim")
    if not version:
        del prov["code_version"]
    return write_dataset(ds, path, title="t", source="rule sim", references="-", provenance=prov)


def test_determinism_passes_on_identical_stores_and_fails_on_one_flipped_byte(tmp_path):
    a, b = _store(tmp_path / "a.zarr"), _store(tmp_path / "b.zarr")
    same = compare_stores(a, b)
    assert same.identical and same.arrays == ("time", "u", "x") and same.elements == 6 + 300 + 50
    assert same.files >= 4 and not same.files_differing
    row = check_x_determinism(same, rule="sim", seed=7, store=str(a), scale="ci")
    assert row.passed and row.verdict == "reproduced"
    assert "3 of 3 arrays (356 elements) bit-identical" in row.reproduced_value

    # one byte of one element of u: decoded arrays and the chunk file differ
    u = zarr.open_array(b / "u", mode="r+")
    block = u[:]
    raw = block.reshape(-1).view(np.uint8).copy()
    raw[8 * (2 * 50 + 3)] ^= 1  # lowest byte of u[2, 3]
    u[:] = raw.view(block.dtype).reshape(block.shape)
    diff = compare_stores(a, b)
    assert not diff.identical and diff.arrays_differing == {"u": 1}
    assert diff.files_differing == ("u/c/0/0",)
    row = check_x_determinism(diff, rule="sim", seed=7, store=str(a), scale="ci")
    assert not row.passed and row.verdict == "unexplained" and "u (1 elements)" in row.reproduced_value

    # a corrupted chunk (its checksum fails): not decodable, not identical
    c = shutil.copytree(a, tmp_path / "c.zarr")
    chunk = c / "x" / "c" / "0"
    data = bytearray(chunk.read_bytes())
    data[-1] ^= 0xFF
    chunk.write_bytes(bytes(data))
    broken = compare_stores(a, c)
    assert not broken.identical and broken.error and broken.files_differing == ("x/c/0",)
    # another seed: every element of u differs
    other = compare_stores(a, _store(tmp_path / "d.zarr", seed=8))
    assert other.arrays_differing["u"] == 300 and not other.identical


def test_provenance_fails_on_a_store_without_code_version(tmp_path):
    good = _store(tmp_path / "results" / "good.zarr")
    _store(tmp_path / "results" / "bad.zarr", version=False)
    _store(tmp_path / "results" / "good.checkpoint.zarr")  # beside an output, not one: not scanned
    found = find_stores(["results/{name}.zarr"], tmp_path)
    assert [p.name for p in found] == ["bad.zarr", "good.zarr"]
    audits = [audit_provenance(p) for p in found]
    assert [a.defects for a in audits] == [("code_version",), ()]
    assert audits[1].seed == 7 and audits[1].rule == "sim" and audits[1].code_version
    row = check_x_provenance(audits, scale="ci")
    assert not row.passed and row.reproduced_value.startswith("1 of 2 stores complete")
    assert f"code_version missing in 1: {tmp_path / 'results' / 'bad.zarr'};" in row.reproduced_value
    assert check_x_provenance(audits[1:], scale="ci").passed
    assert not check_x_provenance([], scale="ci").passed  # no store found is no evidence

    # a null seed is allowed (a rule without random draws) and reported; "unknown" is no code version
    meta = json.loads((good / "zarr.json").read_text())
    meta["attributes"]["provenance"]["seed"] = None
    (good / "zarr.json").write_text(json.dumps(meta))
    assert audit_provenance(good).defects == ()
    assert (
        "seed null (no random draw) in 1 rules: sim"
        in check_x_provenance([audit_provenance(good)], scale="ci").reproduced_value
    )
    meta["attributes"]["provenance"]["code_version"] = "unknown"
    del meta["attributes"]["provenance"]["packages"]["numpy"]
    (good / "zarr.json").write_text(json.dumps(meta))
    assert audit_provenance(good).defects == ("packages", "code_version")
    del meta["attributes"]["provenance"]
    (good / "zarr.json").write_text(json.dumps(meta))
    assert audit_provenance(good).defects == ("provenance",)

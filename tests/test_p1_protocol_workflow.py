"""End to end at ci: P1 at the authors' own protocol (rule p1_protocol; not in ALL_TARGETS). Replica 0 and the
baselines are built in a private copy of the workflow, then the record of what has finished: its numbers agree
with the stores they come from, the other replica is pending, and a dry run of the whole run plans exactly the
other replica's jobs, each model seeded 1,000,000 above replica 0's."""

import json
import re
import shutil

import numpy as np
from conftest import snakemake

from coarsepde.carry import PRESETS, pack, unpack
from coarsepde.discretization.metrics import valid_threshold, valid_times
from coarsepde.store import read_dataset

CI = ("--configfile", "config/ci.yaml")
PR = "results/discretization/protocol"
# ci's discretization.protocol_run: seeds 0 and 1; Burgers nn / const / const_godunov at 32x, KdV nn / const at 4x
REPLICA0 = [
    f"{PR}/seed0/burgers/interpolation_eval.zarr",
    f"{PR}/seed0/burgers/eval_test_32x.zarr",
    f"{PR}/seed0/burgers/eval_large_32x.zarr",
    f"{PR}/seed0/kdv/validtime_test_4x.zarr",
    f"{PR}/baselines/burgers/eval_test_32x.zarr",
    f"{PR}/baselines/burgers/eval_large_4x.zarr",  # FV1 at 32x / 8 (Fig. 3C)
    f"{PR}/baselines/burgers/eval_large_32x.zarr",
    f"{PR}/baselines/kdv/validtime_test_4x.zarr",
]


def cell(md: str, row: str, quantity: str, column: int) -> str:
    """The ``column``-th replica cell of the rows table's line (row, quantity)."""
    for line in md.splitlines():
        parts = [p.strip() for p in line.strip("|").split("|")]
        if len(parts) > 4 and parts[0] == row and parts[1].startswith(quantity):
            return parts[4 + column]
    raise AssertionError(f"no row {row!r} / {quantity!r} in the record")


def test_p1_protocol_record_of_the_finished_replica(workflow_copy):
    wf = workflow_copy
    proc = snakemake(wf, "--cores", "2", *REPLICA0, *CI)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = f"{PR}/finished/p1-paper-protocol.md"
    proc = snakemake(wf, "--cores", "1", record, *CI)
    assert proc.returncode == 0, proc.stderr[-3000:]
    md = (wf / record).read_text()

    # replica 0 scored, replica 1 pending: no claim has run on every replica, so the claims file is empty
    assert json.loads((wf / f"{PR}/finished/p1-paper-protocol-claims.json").read_text()) == []
    assert "(not every seed yet: not in the claims file)" in md
    seeds = json.loads((wf / f"{PR}/finished/p1-paper-protocol-seeds.json").read_text())
    assert seeds["replicas"] == [0, 1]
    assert sorted(seeds["claims"]) == ["P1-fig1-interp", "P1-fig2-coeffs", "P1-fig3-burgers", "P1-fig4-validtime"]
    assert all(list(by) == ["0"] for by in seeds["claims"].values())
    for cid in ("P1-fig1-interp", "P1-fig2-coeffs", "P1-fig3-burgers", "P1-fig4-validtime"):
        assert re.search(rf"{cid} seed 0 (pass|FAIL)", md), cid
    assert f"- `{PR}/seed1/burgers/models/nn_32x_history.zarr`" in md
    assert f"`{PR}/seed0/" not in md.split("## Pending stores")[1]
    assert cell(md, "Burgers NN 32x", "final validation MSE", 1) == "pending"
    # the finished record draws Fig. 1 of each evaluated replica (rule p1_protocol_figure1) and lists it
    fig1 = f"{PR}/seed0/figures/P1_fig1.png"
    assert (wf / fig1).stat().st_size > 10_000
    assert f"- `{fig1}`" in md.split("## Figures drawn from this run")[1].split("##")[0]
    assert f"{PR}/seed1/figures" not in md
    row = json.loads((wf / f"{PR}/seed0/figures/P1-fig1-interp.json").read_text())
    assert row["passed"] == seeds["claims"]["P1-fig1-interp"]["0"]["passed"]
    # and Fig. 2 of each replica whose NN and constant model at fig2_factor are trained (rule p1_protocol_figure2),
    # whose row agrees with the record's
    fig2 = f"{PR}/seed0/figures/P1_fig2.png"
    assert (wf / fig2).stat().st_size > 10_000
    assert f"- `{fig2}`" in md.split("## Figures drawn from this run")[1].split("##")[0]
    row = json.loads((wf / f"{PR}/seed0/figures/P1-fig2-coeffs.json").read_text())
    assert row["passed"] == seeds["claims"]["P1-fig2-coeffs"]["0"]["passed"]

    # item 5's loss of the NN as trained is the training's own final validation MSE (same split, same scale)
    hist = read_dataset(wf / f"{PR}/seed0/burgers/models/nn_32x_history.zarr")
    final = float(hist.attrs["final_val_mse"])
    assert cell(md, "Burgers NN 32x", "final validation MSE", 0) == f"{final:.3g}"
    item5 = next(line for line in md.splitlines() if line.startswith("| 0 | "))
    assert item5.split("|")[2].strip() == f"{final:.3g}"
    assert "Reading: our training decides it" in md or "Reading: the data decide it" in md

    # Fig. 4's row: the median of the valid times recomputed from the coarse runs and the fine test data
    ev = read_dataset(wf / f"{PR}/seed0/burgers/eval_test_32x.zarr")
    fine = read_dataset(wf / f"{PR}/burgers/test.zarr").v.values
    t = ev.time.values
    vt = valid_times(ev.nn.values, ev.exact.values, t, valid_threshold(fine[:, : len(t)], 0.2), 0.8)
    assert cell(md, "Burgers NN 32x", "median valid time", 0).startswith(f"{np.median(vt):.3g} [")
    assert len(vt) == 3  # ci's protocol_run.test_runs

    # the replicas' seeds: replica 0 is the scale's own derivation (root + 1000 x (model index + 1) + factor)
    assert int(hist.attrs["provenance"]["seed"]) == 20190731 + 1000 + 32
    proc = snakemake(wf, "-n", "-p", "--cores", "2", "p1_protocol", *CI)
    assert proc.returncode == 0, proc.stderr[-3000:]
    plan = proc.stdout
    jobs = dict(re.findall(r"^(p1_protocol\w*)\s+(\d+)$", plan, re.M))
    assert jobs == {
        "p1_protocol_train": "5",
        "p1_protocol_interpolation": "1",
        "p1_protocol_interpolation_eval": "1",
        "p1_protocol_figure1": "1",
        "p1_protocol_figure2": "1",
        "p1_protocol_evaluate": "2",
        "p1_protocol_validtime": "1",
        "p1_protocol_record": "1",
        "p1_protocol": "1",
    }, jobs
    seed1 = 20190731 + 1000 + 32 + 1_000_000
    assert re.search(rf"--seed {seed1} .*--wildcard seed=1 --wildcard eq=burgers --wildcard model=nn ", plan)

    # carried to another checkout (coarsepde.carry, preset p1_protocol): replica 0's trainings packed, removed with
    # Snakemake's records, restored onto the same data: Snakemake counts them as done and plans only the coarse runs
    # and Fig. 1's evaluation
    pre = PRESETS["p1_protocol"]
    archive = wf / "carry.tar.gz"
    m = pack(wf / pre["base"], pre["include"], pre["data"], archive)
    assert f"{PR}/seed0/burgers/models/nn_32x.zarr".removeprefix("results/") in m["paths"]
    assert f"{PR}/seed0/burgers/interpolation.zarr".removeprefix("results/") in m["paths"]
    assert f"{PR}/seed0/burgers/interpolation_eval.zarr".removeprefix("results/") not in m["paths"]  # rebuilt
    shutil.rmtree(wf / PR / "seed0" / "burgers" / "models")
    for p in (wf / PR / "seed0" / "burgers").glob("interpolation*"):
        shutil.rmtree(p)
    shutil.rmtree(wf / ".snakemake")
    out = unpack(archive, wf / pre["base"], log=lambda s: None)
    assert out["restored"] and not [p for p in out["restored"] if "/seed0/" not in p and "seed0" not in p]
    proc = snakemake(wf, "-n", "--cores", "2", *REPLICA0, *CI)
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = dict(re.findall(r"^(p1_\w*)\s+(\d+)$", proc.stdout, re.M))
    assert set(jobs) == {"p1_protocol_evaluate", "p1_protocol_interpolation_eval"}, jobs

"""Resumable long simulations (issue 9): the P1 fine solvers integrated in chunks give the bits of one
integration, and a run interrupted between chunks and restarted from its checkpoint ends with the
same bits as an uninterrupted run; checkpoints of other runs are refused, unreadable ones discarded."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from coarsepde.discretization import simulate, spectral
from coarsepde.discretization.equations import draw_forcing, make_equation
from coarsepde.numerics import ode
from coarsepde.resume import CheckpointMismatch, SimulationCheckpoint

ROOT = Path(__file__).resolve().parents[1]

BURGERS = dict(eta=0.01, length=2 * np.pi, n_fine=64, warmup=1.0, t_out=1.0 + 0.2 * np.arange(8), batch=3)
KS = dict(n_fine=64, dt=0.02, warmup=2.0, t_out=2.0 + 0.5 * np.arange(9), batch=3)


def _interrupt(run, stops):
    for stop in stops:
        with pytest.raises(InterruptedError):
            run(stop_after=stop)


def test_rk23_resumed_from_an_output_with_h_next_takes_the_same_steps():
    """integrate() over [0, 2] == integrate() over [0, 1] then over [1, 2] from y(1) with first_step = h_next."""
    rhs = lambda t, y, rows: -y * (1 + math.sin(3 * t) * y)  # noqa: E731
    y0 = torch.linspace(0.5, 1.5, 4, dtype=torch.float64)[:, None].repeat(1, 3)
    t = np.linspace(0, 2, 11)
    one = ode.integrate(rhs, y0, t)
    a = ode.integrate(rhs, y0, t[:6])
    b = ode.integrate(rhs, a.y[:, -1], t[5:], first_step=a.h_next)
    assert torch.equal(one.y, torch.cat([a.y, b.y[:, 1:]], dim=1))
    assert one.n_steps == a.n_steps + b.n_steps
    assert np.isfinite(a.h_next) and a.h_next > 0


def test_burgers_fine_data_chunked_and_resumed_give_the_same_bits(tmp_path):
    params = draw_forcing(np.arange(5))
    v1, d1, _ = simulate.fine_solutions(params, **BURGERS)
    v2, d2, _ = simulate.fine_solutions(params, chunk_outputs=3, **BURGERS)
    assert np.array_equal(v1, v2) and np.array_equal(d1, d2)
    ck = tmp_path / "ck.zarr"
    # killed after 2 chunks (inside batch 1), after 3 more (batch 1 done, inside batch 2), after 1 more
    _interrupt(
        lambda stop_after: simulate.fine_solutions(
            params, chunk_outputs=3, checkpoint=ck, stop_after=stop_after, **BURGERS
        ),
        (2, 3, 1),
    )
    assert ck.exists()
    v3, d3, _ = simulate.fine_solutions(params, chunk_outputs=3, checkpoint=ck, **BURGERS)
    assert np.array_equal(v1, v3) and np.array_equal(d1, d3)
    with pytest.raises(CheckpointMismatch, match="forcing_sha256"):  # other forcing realizations
        simulate.fine_solutions(draw_forcing(np.arange(1, 6)), chunk_outputs=3, checkpoint=ck, **BURGERS)


def test_spectral_fine_data_resumed_gives_the_same_bits(tmp_path):
    eq = make_equation("ks")
    seeds = np.arange(5)
    v1, d1 = spectral.fine_solutions(eq, seeds, **KS)
    ck = tmp_path / "ck.zarr"
    _interrupt(
        lambda stop_after: spectral.fine_solutions(
            eq, seeds, chunk_outputs=3, checkpoint=ck, stop_after=stop_after, **KS
        ),
        (2, 4, 1),
    )
    v2, d2 = spectral.fine_solutions(eq, seeds, chunk_outputs=3, checkpoint=ck, **KS)
    assert np.array_equal(v1, v2) and np.array_equal(d1, d2)


def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    eq = make_equation("ks")
    ck = tmp_path / "ck.zarr"
    with pytest.raises(InterruptedError):
        spectral.fine_solutions(eq, np.arange(4), chunk_outputs=3, checkpoint=ck, stop_after=1, **KS)
    other = dict(KS, dt=0.01)
    with pytest.raises(CheckpointMismatch, match="dt"):
        spectral.fine_solutions(eq, np.arange(4), chunk_outputs=3, checkpoint=ck, **other)
    with pytest.raises(CheckpointMismatch, match="seeds"):
        spectral.fine_solutions(eq, np.arange(1, 5), chunk_outputs=3, checkpoint=ck, **KS)
    with pytest.raises(ValueError, match="chunk_outputs"):
        spectral.fine_solutions(eq, np.arange(4), checkpoint=ck, **KS)


def test_an_unreadable_checkpoint_is_discarded_and_the_run_starts_over(tmp_path):
    eq = make_equation("ks")
    ck = tmp_path / "ck.zarr"
    with pytest.raises(InterruptedError):
        spectral.fine_solutions(eq, np.arange(4), chunk_outputs=3, checkpoint=ck, stop_after=2, **KS)
    (ck / "zarr.json").write_text("{ half written")
    messages = []
    v, _ = spectral.fine_solutions(eq, np.arange(4), chunk_outputs=3, checkpoint=ck, log=messages.append, **KS)
    assert any("unreadable" in m for m in messages)
    assert np.array_equal(v, spectral.fine_solutions(eq, np.arange(4), **KS)[0])


def test_state_is_double_buffered(tmp_path):
    """The state of a new commit goes into the slot the committed progress does not use."""
    ck = SimulationCheckpoint(tmp_path / "c.zarr", key={"a": 1}, arrays={"v": ((2, 4, 3), (2, 1, 3))})
    assert ck.progress is None
    ck.commit({"v": ((slice(None), slice(0, 1)), np.ones((2, 1, 3)))}, {"y": np.full(3, 1.0)}, {"k": 1})
    ck.commit({"v": ((slice(None), slice(1, 2)), np.full((2, 1, 3), 2.0))}, {"y": np.full(3, 2.0)}, {"k": 2})
    assert ck.progress["k"] == 2 and ck.progress["_slot"] == 1
    again = SimulationCheckpoint(tmp_path / "c.zarr", key={"a": 1}, arrays={"v": ((2, 4, 3), (2, 1, 3))})
    assert np.array_equal(again.state()["y"], np.full(3, 2.0))
    assert np.array_equal(
        again.read("v", (slice(None), slice(0, 2))),
        np.concatenate([np.ones((2, 1, 3)), np.full((2, 1, 3), 2.0)], axis=1),
    )
    assert np.isnan(again.read("v", (0, 3))).all()  # never written
    with pytest.raises(CheckpointMismatch, match="layout"):
        SimulationCheckpoint(tmp_path / "c.zarr", key={"a": 1}, arrays={"v": ((2, 5, 3), (2, 1, 3))})


def test_pde_data_script_with_checkpoint_writes_the_same_store_and_removes_it(tmp_path, monkeypatch):
    """p1_pde_data.py: a run with --checkpoint (resumed after an interruption) writes the same data and
    provenance as one without, and deletes its checkpoint."""
    monkeypatch.syspath_prepend(str(ROOT / "workflow" / "scripts"))
    import p1_pde_data

    from coarsepde.store import read_dataset

    base = [
        "--equation",
        "ks",
        "--length",
        "64",
        "--n-fine",
        "64",
        "--dt",
        "0.02",
        "--n-modes",
        "10",
        "--k-max",
        "3",
        "--amplitude",
        "1",
        "--seed-offset",
        "0",
        "--n-runs",
        "3",
        "--warmup",
        "2",
        "--n-snapshots",
        "5",
        "--interval",
        "0.5",
        "--labels",
        "--seed",
        "1",
        "--scale",
        "ci",
        "--rule",
        "t",
    ]
    p1_pde_data.main(base + ["--output", str(tmp_path / "plain.zarr")])
    ck = tmp_path / "train.checkpoint.zarr"
    with pytest.raises(InterruptedError):  # a job killed after the warm-up and one chunk
        spectral.fine_solutions(
            make_equation("ks", length=64.0),
            np.arange(3),
            n_fine=64,
            dt=0.02,
            warmup=2.0,
            t_out=2.0 + 0.5 * np.arange(5),
            n_modes=10,
            k_max=3,
            amplitude=1.0,
            chunk_outputs=2,
            checkpoint=ck,
            stop_after=2,
        )
    p1_pde_data.main(
        base + ["--checkpoint", str(ck), "--checkpoint-outputs", "2", "--output", str(tmp_path / "resumed.zarr")]
    )
    assert not ck.exists()
    a, b = read_dataset(tmp_path / "plain.zarr"), read_dataset(tmp_path / "resumed.zarr")
    assert a.identical(b)
    assert a.attrs["provenance"] == b.attrs["provenance"]
    sys.modules.pop("p1_pde_data", None)

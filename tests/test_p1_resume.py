"""Resumable P1 training: a run interrupted and restarted from its checkpoint ends bit-identical to
an uninterrupted one; a checkpoint of another run is refused; device "auto" on a CPU machine."""

import numpy as np
import pytest
import torch

from coarsepde.discretization import training as T
from coarsepde.discretization.checkpoint import CheckpointMismatch, remove_checkpoint
from coarsepde.discretization.equations import Burgers, coarse_grain
from coarsepde.discretization.losses import rollout_midpoint, training_pairs
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.store import load_state_dict

torch.set_num_threads(1)

L = 2 * np.pi
NF, FACTOR = 64, 4
DX = L / (NF // FACTOR)


def smooth_fields(n, rng):
    x = np.arange(NF) * L / NF
    return torch.tensor(
        sum(rng.normal(0, 0.5, (n, 1)) * np.sin(k * x + rng.uniform(0, 2 * np.pi, (n, 1))) for k in (1, 2, 3, 4))
    )


@pytest.fixture(scope="module")
def problem():
    """Fine 6-point solutions (labels: their unforced dv/dt) and unforced rollouts for the integrated loss."""
    rng = np.random.default_rng(3)
    fine = LearnedDiscretization(Burgers(0.05, L, "centered"), L / NF, "constant")
    v_train, v_val = smooth_fields(12, rng), smooth_fields(4, rng)
    with torch.no_grad():
        train = training_pairs(v_train, fine.time_derivative(v_train), FACTOR)
        val = training_pairs(v_val, fine.time_derivative(v_val), FACTOR)
        dt, per_output, n_out, sub = 0.02, 2, 3, 4
        traj = rollout_midpoint(fine, v_train[:8], dt / sub, n_out * per_output * sub, per_output * sub)
    integrated = {
        "v0": coarse_grain(v_train[:8], FACTOR),
        "targets": coarse_grain(traj, FACTOR).transpose(0, 1),
        "dt": dt,
        "steps_per_output": per_output,
        "weight": 1.0,
        "batch_size": 3,
    }
    return train, val, integrated


def cnn(dtype=torch.float32):
    # float32, as the pipeline trains
    return LearnedDiscretization(
        Burgers(0.05, L, "centered"),
        DX,
        "cnn",
        layers=2,
        filters=4,
        kernel=3,
        generator=torch.Generator().manual_seed(5),
    ).to(dtype)


def const_godunov():
    return LearnedDiscretization(Burgers(0.05, L, "godunov"), DX, "constant")


def settings(problem, integrated=False, **kw):
    (xi, yi), val, integ = problem
    # batch 20 of 48 samples: epochs end mid-way between checkpoints, so the permutation state matters;
    # the lr changes at step 9, between checkpoints
    return (
        dict(
            inputs=xi,
            labels=yi,
            steps=23,
            batch_size=20,
            lr_schedule=[(0, 3e-3), (9, 1e-3)],
            val=val,
            eval_every=5,
            seed=11,
            integrated=integ if integrated else None,
        )
        | kw
    )


def run(model, s, **kw):
    s = dict(s)
    return T.train(model, s.pop("inputs"), s.pop("labels"), **s, **kw)


def assert_same(model_a, hist_a, model_b, hist_b):
    a, b = model_a.state_dict(), model_b.state_dict()
    assert list(a) == list(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert hist_a.keys() == hist_b.keys()
    for key in hist_a:  # bit-identical, NaN-aware
        assert np.array_equal(
            np.asarray(hist_a[key], dtype=float), np.asarray(hist_b[key], dtype=float), equal_nan=True
        ), key


@pytest.mark.parametrize("make, integrated", [(cnn, False), (const_godunov, True)], ids=["cnn", "godunov-integrated"])
@pytest.mark.parametrize("stop_after", [7, 12])  # 7: killed one step after the checkpoint at 6; 12: right at one
def test_interrupted_run_resumes_bit_identical(problem, tmp_path, make, integrated, stop_after):
    s = settings(problem, integrated)
    ref = make()
    ref_hist = run(ref, s)
    assert ref_hist["step"] == [0, 5, 10, 15, 20, 23]

    ckpt = tmp_path / "model.checkpoint.zarr"
    model = make()
    with pytest.raises(T.TrainingInterrupted):
        run(model, s, checkpoint=ckpt, checkpoint_every=6, stop_after=stop_after)
    saved = load_state_dict(ckpt)
    # the checkpoint is the state after step 12 (or 6), not the state at the interruption
    assert int(saved["history.step"][-1]) == (10 if stop_after == 12 else 5)
    assert {"rng.torch", "batches.td.perm"} <= set(saved)
    assert any(k.startswith("optim.") and k.endswith(".exp_avg_sq") for k in saved)
    if not integrated:  # the weights in the checkpoint differ from the final ones: training went on
        assert not torch.equal(saved["model.net.convs.0.weight"], ref.state_dict()["net.convs.0.weight"])

    # restart: a fresh process builds the same initial model and calls train with the same arguments
    resumed = make()
    hist = run(resumed, s, checkpoint=ckpt, checkpoint_every=6)
    assert_same(ref, ref_hist, resumed, hist)
    assert not ckpt.exists()  # (c) removed after completion
    assert not list(tmp_path.iterdir())


def test_twice_interrupted_and_final_checkpoint(problem, tmp_path):
    """Killed twice; then keep_checkpoint: a restart after completion resumes at the end, trains nothing."""
    s = settings(problem)
    ref = cnn()
    ref_hist = run(ref, s)
    ckpt = tmp_path / "m.checkpoint.zarr"
    for stop in (4, 9):
        with pytest.raises(T.TrainingInterrupted):
            run(cnn(), s, checkpoint=ckpt, checkpoint_every=4, stop_after=stop)
    hist = run(m := cnn(), s, checkpoint=ckpt, checkpoint_every=4, keep_checkpoint=True)
    assert_same(ref, ref_hist, m, hist)
    assert ckpt.exists() and int(load_state_dict(ckpt)["history.step"][-1]) == 23
    again = cnn()
    hist2 = run(again, s, checkpoint=ckpt, checkpoint_every=4, keep_checkpoint=True)
    assert_same(ref, ref_hist, again, hist2)
    remove_checkpoint(ckpt)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "change, named",
    [
        (dict(steps=30), "steps"),
        (dict(seed=12), "seed"),
        (dict(lr_schedule=[(0, 3e-3), (10, 1e-3)]), "lr_schedule"),
        (dict(batch_size=16), "batch_size"),
        ("data", "data"),
        ("weights", "initial_weights"),
        ("dtype", "dtype"),
    ],
)
def test_mismatched_checkpoint_is_refused(problem, tmp_path, change, named):
    s = settings(problem)
    ckpt = tmp_path / "m.checkpoint.zarr"
    with pytest.raises(T.TrainingInterrupted):
        run(cnn(), s, checkpoint=ckpt, checkpoint_every=3, stop_after=3)
    before = {k: v.clone() for k, v in load_state_dict(ckpt).items()}
    model = cnn()
    if change == "data":
        s["labels"] = s["labels"] * 1.001
    elif change == "weights":
        with torch.no_grad():
            model.net.convs[0].bias.add_(1e-3)
    elif change == "dtype":
        model = cnn(torch.float64)
    else:
        s |= change
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatch, match=rf"\b{named}: checkpoint .*, this run") as err:
        run(model, s, checkpoint=ckpt, checkpoint_every=3)
    assert str(ckpt) in str(err.value)
    # refused before anything changed: the model untouched, the checkpoint kept as it was
    assert all(torch.equal(initial[k], v) for k, v in model.state_dict().items())
    after = load_state_dict(ckpt)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_device_auto_is_cpu_here_and_identical(problem):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: auto resolves to it")
    assert T.resolve_device("auto") == torch.device("cpu")
    assert T.resolve_device("cpu") == torch.device("cpu")
    s = settings(problem)
    a = cnn().to(T.resolve_device("auto"))
    b = cnn().to(T.resolve_device("cpu"))
    assert_same(a, run(a, s), b, run(b, s))


def test_checkpointing_does_not_change_the_result(problem, tmp_path):
    """Every-step checkpoints (many writes and no resume) give the plain run's weights."""
    s = settings(problem, steps=8)
    ref, m = cnn(), cnn()
    ref_hist = run(ref, s)
    hist = run(m, s, checkpoint=tmp_path / "c.zarr", checkpoint_every=1)
    assert_same(ref, ref_hist, m, hist)

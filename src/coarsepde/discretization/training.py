"""The training loop of the learned discretizations of Bar-Sinai et al. 2019 (torch).

:func:`train` fits a model's coarse time derivative to labels with the normalised losses of
:mod:`coarsepde.discretization.losses` (and, optionally, the time-integrated loss of paper
footnote *). Optimiser: Adam with betas (0.9, 0.99) and a piecewise-constant learning rate
(:func:`learning_rate`; the original's 1e-3 for 20k steps, then 1e-4 to 40k). Mini-batches are
drawn from seeded permutations, so the same seed and initial model give bit-identical weights.

Resumable training (DESIGN.md, "Long work ... can resume"): with ``checkpoint=PATH``, :func:`train`
writes its whole state every ``checkpoint_every`` steps (:mod:`coarsepde.discretization.checkpoint`),
and a restarted run resumes from it, ending with bit-identical weights and history (same device,
same threads).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from coarsepde.discretization.checkpoint import (
    TrainingState,
    checkpoint_params,
    load_checkpoint,
    remove_checkpoint,
    save_checkpoint,
)
from coarsepde.discretization.losses import as_float64, evaluate_mse, integrated_scale, loss_scale, rollout_midpoint

__all__ = [
    "learning_rate",
    "resolve_device",
    "train",
    "TrainingInterrupted",
]

_logger = logging.getLogger(__name__)  # ``log`` is train's callback argument


class TrainingInterrupted(RuntimeError):
    """Raised by :func:`train` after ``stop_after`` steps (tests: a kill between checkpoints)."""


def resolve_device(device="auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else goes to ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def learning_rate(schedule: Sequence[tuple[int, float]], step: int) -> float:
    """Piecewise-constant rate: the lr of the last (start_step, lr) with start_step <= step."""
    items = sorted((int(s), float(lr)) for s, lr in schedule)
    if not items or items[0][0] > 0:
        raise ValueError(f"lr_schedule must start at step 0, got {list(schedule)}")
    lr = items[0][1]
    for start, value in items:
        if start <= step:
            lr = value
    return lr


class _Batches:
    """Endless mini-batches of row indices: a fresh permutation per epoch, from a seeded generator."""

    def __init__(self, n: int, batch_size: int, generator: torch.Generator):
        if n < 1 or batch_size < 1:
            raise ValueError(f"need at least one sample and batch_size >= 1, got {n}, {batch_size}")
        self.n, self.batch_size, self.generator = n, min(batch_size, n), generator
        self.perm, self.pos = torch.randperm(n, generator=generator), 0

    # the permutation and the position in it are state: a resumed run continues the same epoch
    def restore(self, perm: torch.Tensor, pos: int) -> None:
        if perm.shape != (self.n,) or not 0 <= pos <= self.n:
            raise ValueError(f"batch state of {tuple(perm.shape)} samples at {pos} does not fit {self.n} samples")
        self.perm, self.pos = perm.to(torch.int64), int(pos)

    def next(self) -> torch.Tensor:
        if self.pos + self.batch_size > self.n:
            self.perm, self.pos = torch.randperm(self.n, generator=self.generator), 0
        idx = self.perm[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx


# ---------------------------------------------------------------------------------------- training


def train(
    model: nn.Module,
    inputs,
    labels,
    *,
    steps: int,
    batch_size: int,
    lr_schedule: Sequence[tuple[int, float]],
    betas: tuple[float, float] = (0.9, 0.99),
    val: tuple | None = None,
    eval_every: int = 250,
    seed: int = 0,
    integrated: dict | None = None,
    log: Callable[[int, float, float], None] | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 500,
    keep_checkpoint: bool = False,
    stop_after: int | None = None,
) -> dict[str, list]:
    """Fit ``model`` (in place) to coarse time-derivative labels; returns the history.

    Parameters
    ----------
    model : a module with ``time_derivative(v: (B, N)) -> (B, N)`` (e.g. LearnedDiscretization).
        Training runs on the model's device and dtype (the data are moved there).
    inputs, labels : (S, N) coarse cell averages and coarse unforced dv/dt
        (:func:`coarsepde.discretization.losses.training_pairs`).
    steps : number of Adam updates.
    batch_size : samples per update (the original: 128 x resample factor).
    lr_schedule : [(start_step, lr), ...], piecewise constant, must start at 0
        (the original: [(0, 1e-3), (20000, 1e-4)] with 40,000 steps).
    betas : Adam betas (the original's TF Adam with beta2 = 0.99).
    val : optional (inputs, labels) held out; evaluated every ``eval_every`` steps.
    seed : seeds the mini-batch generator (weights are initialised by the caller); the same seed
        and the same initial model give bit-identical weights.
    integrated : optional time-integrated loss (paper footnote *), a dict with
        ``v0`` (R, N) coarse initial states; ``targets`` (R, n_out, N) coarse-grained fine unforced
        solutions at times dt * steps_per_output * (1 .. n_out); ``dt`` (model time step);
        ``steps_per_output``; ``weight``; ``batch_size`` (rows per update). Each update adds
        weight * mean((v_model - targets)^2) / mean((targets - v0)^2) over a mini-batch of rows,
        v_model from :func:`~coarsepde.discretization.losses.rollout_midpoint` (explicit midpoint, as
        the original). The denominator,
        :func:`~coarsepde.discretization.losses.integrated_scale`, is computed once on all R rows.
    log : optional callback ``log(step, loss, val_loss)`` at every evaluation.
    checkpoint : optional path of a training checkpoint (a Zarr group,
        :func:`coarsepde.discretization.checkpoint.save_checkpoint`).
        If it exists, training resumes from it (after checking that it was written by a run of the
        same parameters, data and initial weights:
        :class:`~coarsepde.discretization.checkpoint.CheckpointMismatch` otherwise); it is
        (re)written every ``checkpoint_every`` steps, and removed at the end unless
        ``keep_checkpoint``. A run killed and restarted ends with the weights and history of an
        uninterrupted one, bit for bit (same device and threads).
    checkpoint_every : steps between checkpoints.
    keep_checkpoint : write a final checkpoint at ``steps`` instead of removing it, for a caller
        that removes it (:func:`~coarsepde.discretization.checkpoint.remove_checkpoint`) only once its own outputs are written; a
        restart then resumes at the end without training.
    stop_after : testing aid: raise :class:`TrainingInterrupted` right after update ``stop_after``
        (after that step's checkpoint, if one is due), as if the process had been killed there.

    Returns
    -------
    history : dict of lists, one entry per evaluation at steps 0, eval_every, 2 eval_every, ...
        and ``steps``: ``step``; ``loss``, the normalised time-derivative training loss (at step 0
        the first mini-batch at the initial weights, later the mean over the mini-batch losses of
        the updates since the previous entry, each taken before its update); ``val_loss``, the
        normalised MSE on ``val`` at the current weights, normalised by the TRAINING scale (NaN
        without ``val``); and, only with ``integrated``, ``integrated_loss`` (normalised, unweighted,
        averaged like ``loss``).

    Raises FloatingPointError if the loss becomes non-finite (e.g. a diverging rollout, which the
    paper warns the time-integrated loss can cause).
    """
    # data follow the model's device and dtype (float32 training of a float64 model is the
    # caller's choice: faster convolutions on CPU)
    device, dtype = next(iter(model.parameters())).device, next(iter(model.parameters())).dtype
    inputs, labels = as_float64(inputs).to(device, dtype), as_float64(labels).to(device, dtype)
    if inputs.shape != labels.shape or inputs.ndim != 2:
        raise ValueError(f"inputs and labels must both be (S, N), got {tuple(inputs.shape)}, {tuple(labels.shape)}")
    if steps < 0 or eval_every < 1:
        raise ValueError(f"need steps >= 0 and eval_every >= 1, got {steps}, {eval_every}")
    if checkpoint is not None and checkpoint_every < 1:
        raise ValueError(f"need checkpoint_every >= 1, got {checkpoint_every}")
    scale = loss_scale(labels)
    if val is not None:
        val = (as_float64(val[0]).to(device, dtype), as_float64(val[1]).to(device, dtype))

    # the batch indices come from a CPU generator on every device, so a run's batches never depend
    # on where it trains
    generator = torch.Generator().manual_seed(int(seed))
    batches = _Batches(inputs.shape[0], batch_size, generator)
    streams = {"td": batches}
    if integrated is not None:
        v0_all = as_float64(integrated["v0"]).to(device, dtype)
        targets_all = as_float64(integrated["targets"]).to(device, dtype)
        if (
            v0_all.ndim != 2
            or targets_all.ndim != 3
            or targets_all.shape[0] != v0_all.shape[0]
            or targets_all.shape[2] != v0_all.shape[1]
        ):
            raise ValueError(
                f"integrated needs v0 (R, N) and targets (R, n_out, N), got "
                f"{tuple(v0_all.shape)}, {tuple(targets_all.shape)}"
            )
        int_dt = float(integrated["dt"])
        per_output = int(integrated["steps_per_output"])
        n_int_steps = targets_all.shape[1] * per_output
        int_weight = float(integrated["weight"])
        int_scale = integrated_scale(v0_all, targets_all)
        int_batches = _Batches(v0_all.shape[0], int(integrated["batch_size"]), generator)
        streams["integrated"] = int_batches

    params = [p for p in model.parameters() if p.requires_grad]
    # the fused Adam kernel (one pass over all parameters) where the model runs its compiled paths; the
    # per-tensor foreach update otherwise (the reference; equal to round-off)
    optimizer = torch.optim.Adam(
        params, lr=learning_rate(lr_schedule, 0), betas=betas, fused=bool(getattr(model, "fused", False)) or None
    )
    history: dict[str, list] = {"step": [], "loss": [], "val_loss": []}
    if integrated is not None:
        history["integrated_loss"] = []
    window: list[float] = []
    int_window: list[float] = []

    def record(step: int):
        history["step"].append(step)
        history["loss"].append(float(np.mean(window)))
        val_loss = evaluate_mse(model, *val, scale=scale) if val is not None else float("nan")
        history["val_loss"].append(val_loss)
        if integrated is not None:
            history["integrated_loss"].append(float(np.mean(int_window)))
        if log is not None:
            log(step, history["loss"][-1], val_loss)
        window.clear()
        int_window.clear()

    def batch_loss(idx, int_idx):
        pred = model.time_derivative(inputs[idx])
        loss = torch.mean((pred - labels[idx]) ** 2) / scale
        total, int_loss = loss, None
        if integrated is not None:
            rollout = rollout_midpoint(model, v0_all[int_idx], int_dt, n_int_steps, per_output)
            int_loss = torch.mean((rollout.transpose(0, 1) - targets_all[int_idx]) ** 2) / int_scale
            total = loss + int_weight * int_loss
        if not torch.isfinite(total):
            raise FloatingPointError(
                f"non-finite training loss (td {float(loss)}, integrated "
                f"{None if int_loss is None else float(int_loss)})"
            )
        return total, loss, int_loss

    def draw():
        return (batches.next().to(device), int_batches.next().to(device) if integrated is not None else None)

    state = None
    if checkpoint is not None:
        checkpoint = Path(checkpoint).absolute()
        data = {
            "inputs": inputs,
            "labels": labels,
            "val_inputs": None if val is None else val[0],
            "val_labels": None if val is None else val[1],
        }
        if integrated is not None:
            data |= {"integrated_v0": v0_all, "integrated_targets": targets_all}
        run_params = checkpoint_params(
            model,
            data,
            integrated,
            steps=steps,
            batch_size=batch_size,
            lr_schedule=lr_schedule,
            betas=betas,
            eval_every=eval_every,
            seed=seed,
        )
        state = TrainingState(
            params=run_params,
            model=model,
            optimizer=optimizer,
            generator=generator,
            batches=streams,
            history=history,
            windows={"td": window, "integrated": int_window},
            device=device,
        )

    start, first = 0, None
    if checkpoint is not None and checkpoint.exists():
        start = load_checkpoint(checkpoint, state)
        _logger.info("resumed from %s at step %d of %d", checkpoint, start, steps)
    else:
        first = draw()
        with torch.no_grad():  # step-0 entry: the first mini-batch at the initial weights
            _, loss0, int0 = batch_loss(*first)
        window.append(float(loss0))
        if int0 is not None:
            int_window.append(float(int0))
        record(0)
    for step in range(start + 1, steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(lr_schedule, step - 1)
        total, loss, int_loss = batch_loss(*(first if step == 1 else draw()))
        window.append(float(loss.detach()))
        if int_loss is not None:
            int_window.append(float(int_loss.detach()))
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        if step % eval_every == 0 or step == steps:
            record(step)
        if checkpoint is not None and step % checkpoint_every == 0 and step < steps:
            save_checkpoint(checkpoint, state, step)
        if stop_after is not None and step >= stop_after:
            raise TrainingInterrupted(f"stopped after step {step} of {steps} (stop_after)")
    if checkpoint is not None:
        if keep_checkpoint:
            save_checkpoint(checkpoint, state, steps)
        else:
            remove_checkpoint(checkpoint)
    return history

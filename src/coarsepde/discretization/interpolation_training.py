"""Training of the Fig. 1 interpolation model (Bar-Sinai et al. 2019, the authors' super-resolution notebook).

:func:`train_interpolation`: Adam (betas 0.9, 0.99) on the MSE of the interpolated values divided by the MSE of
linear interpolation on the training set, a piecewise-constant learning rate (:func:`piecewise_schedule`: the
authors' 3e-3 for the first half, 3e-4 after), seeded mini-batches of snapshots; resumable from a checkpoint
(:mod:`coarsepde.discretization.checkpoint`, the format of the time-derivative models' training): a run killed
and restarted ends bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from coarsepde.discretization.checkpoint import (
    TrainingState,
    checkpoint_params,
    load_checkpoint,
    remove_checkpoint,
    save_checkpoint,
)
from coarsepde.discretization.interpolation import InterpolationModel, polynomial_interpolation, split_fine
from coarsepde.discretization.training import TrainingInterrupted

__all__ = ["piecewise_schedule", "TrainHistory", "normalised_mse", "train_interpolation"]

DTYPE = torch.float64


def piecewise_schedule(steps: int, lr: float, lr_final: float) -> list[tuple[int, float]]:
    """The authors' schedule: ``lr`` for the first half of the steps, then ``lr_final``."""
    return [(0, float(lr)), (int(steps) // 2, float(lr_final))]


@dataclass
class TrainHistory:
    """At each evaluation step: the mean normalised training loss since the previous one, and the
    normalised validation loss (NaN without validation data). Losses are MSE / MSE of linear
    interpolation on the training set (``linear_mse``, in field units squared)."""

    step: np.ndarray
    loss: np.ndarray
    val_loss: np.ndarray
    linear_mse: float
    seconds: float


def _lr_at(schedule: Sequence[tuple[int, float]], step: int) -> float:
    lr = schedule[0][1]
    for start, value in schedule:
        if step >= start:
            lr = value
    return lr


class _SnapshotBatches:
    """Mini-batches of snapshot indices: seeded random permutations, a new one per epoch; the whole set when it
    is smaller than a batch. The permutation and the position in it are the state a checkpoint keeps."""

    def __init__(self, n: int, batch_size: int, generator: torch.Generator):
        self.n, self.batch_size, self.generator = n, batch_size, generator
        self.perm, self.pos = torch.randperm(n, generator=generator), 0

    def restore(self, perm: torch.Tensor, pos: int) -> None:
        if perm.shape != (self.n,) or not 0 <= pos <= self.n:
            raise ValueError(f"batch state of {tuple(perm.shape)} snapshots at {pos} does not fit {self.n}")
        self.perm, self.pos = perm.to(torch.int64), int(pos)

    def next(self) -> torch.Tensor:
        if self.batch_size >= self.n:
            return self.perm
        if self.pos + self.batch_size > self.n:
            self.perm, self.pos = torch.randperm(self.n, generator=self.generator), 0
        idx = self.perm[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx


def normalised_mse(model, known, between, linear_mse, chunk=4096) -> float:
    """mean((model(known) - between)^2) / ``linear_mse`` over all snapshots, ``chunk`` at a time,
    without gradients: the validation loss of :func:`train_interpolation`."""
    total = 0.0
    with torch.no_grad():
        for i in range(0, known.shape[0], chunk):
            total += float(((model(known[i : i + chunk]) - between[i : i + chunk]) ** 2).sum())
    return total / between.numel() / linear_mse


def train_interpolation(
    model: InterpolationModel,
    train_fields,
    *,
    steps: int,
    batch_size: int,
    lr_schedule: Sequence[tuple[int, float]],
    seed: int = 0,
    val_fields=None,
    eval_every: int = 250,
    log: Callable[[str], None] | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 500,
    keep_checkpoint: bool = False,
    stop_after: int | None = None,
) -> TrainHistory:
    """Train ``model`` on fine snapshots ``train_fields`` (S, N) in place and return the history.

    Loss: MSE of the interpolated values / MSE of linear interpolation, the latter computed once on the
    whole training set. Adam (betas 0.9, 0.99); ``lr_schedule`` is [(first_step, lr), ...] in increasing
    first_step (e.g. :func:`piecewise_schedule`). Minibatches of ``batch_size`` snapshots walk through
    seeded random permutations of the training set (a new one per epoch; the whole set when it is
    smaller than a batch). ``seed`` fixes the order; the initial weights come from the model's seed.
    Evaluated every ``eval_every`` steps and at the last step; ``log(message)`` reports progress.
    ``dtype`` (e.g. torch.float32, faster convolutions on CPU) casts the model and data for
    training; call ``model.double()`` afterwards to predict in float64.

    ``checkpoint``, ``checkpoint_every``, ``keep_checkpoint``, ``stop_after``: as in
    :func:`coarsepde.discretization.training.train` -- the whole training state is written every
    ``checkpoint_every`` steps, a restarted run resumes from it (refused if it was written by other parameters,
    data or initial weights) and ends bit-identical to an uninterrupted one; ``TrainHistory.seconds`` counts this
    process only.
    """
    if steps < 1 or batch_size < 1 or eval_every < 1:
        raise ValueError(f"need steps, batch_size, eval_every >= 1, got {steps}, {batch_size}, {eval_every}")
    if checkpoint is not None and checkpoint_every < 1:
        raise ValueError(f"need checkpoint_every >= 1, got {checkpoint_every}")
    if not lr_schedule or lr_schedule[0][0] != 0:
        raise ValueError(f"lr_schedule must start at step 0, got {lr_schedule}")
    dev = torch.device(device)
    dtype = dtype or DTYPE
    model.to(dev, dtype)
    known, between = (
        t.to(dtype) for t in split_fine(torch.as_tensor(train_fields, dtype=DTYPE, device=dev), model.factor)
    )
    if not torch.isfinite(known).all() or not torch.isfinite(between).all():
        raise ValueError("training fields contain non-finite values")
    linear_mse = float(((polynomial_interpolation(known, model.factor, 2) - between) ** 2).mean())
    if not linear_mse > 0:
        raise ValueError("linear interpolation is exact on the training set: the loss is undefined")
    if val_fields is not None:
        val_known, val_between = (
            t.to(dtype) for t in split_fine(torch.as_tensor(val_fields, dtype=DTYPE, device=dev), model.factor)
        )
    gen = torch.Generator().manual_seed(int(seed))
    betas = (0.9, 0.99)
    # the fused Adam kernel unless the model's net runs its reference path (pad_once off); equal to round-off
    opt = torch.optim.Adam(model.parameters(), lr=lr_schedule[0][1], betas=betas, fused=model.net.pad_once or None)
    batches = _SnapshotBatches(known.shape[0], batch_size, gen)
    history: dict[str, list] = {"step": [], "loss": [], "val_loss": []}
    running: list[float] = []
    start = 0
    if checkpoint is not None:
        checkpoint = Path(checkpoint).absolute()
        data = {"known": known, "between": between}
        if val_fields is not None:
            data |= {"val_known": val_known, "val_between": val_between}
        run = dict(steps=steps, batch_size=batch_size, lr_schedule=lr_schedule, betas=betas, eval_every=eval_every)
        params = checkpoint_params(model, data, None, **run, seed=seed)
        state = TrainingState(params, model, opt, gen, {"train": batches}, history, {"train": running}, dev)
        if checkpoint.exists():
            start = load_checkpoint(checkpoint, state)
            if log is not None:
                log(f"resumed from {checkpoint} at step {start} of {steps}")
    t0 = time.perf_counter()
    for step in range(start + 1, steps + 1):
        idx = batches.next().to(dev)
        for group in opt.param_groups:
            group["lr"] = _lr_at(lr_schedule, step - 1)
        model.train()
        loss = ((model(known[idx]) - between[idx]) ** 2).mean() / linear_mse
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running.append(float(loss.detach()))
        if step % eval_every == 0 or step == steps:
            model.eval()
            val = normalised_mse(model, val_known, val_between, linear_mse) if val_fields is not None else math.nan
            history["step"].append(step)
            history["loss"].append(float(np.mean(running)))
            history["val_loss"].append(val)
            running.clear()
            if log is not None:
                log(
                    f"step {step}/{steps}: loss {history['loss'][-1]:.4e}  val {val:.4e}  "
                    f"({time.perf_counter() - t0:.1f} s)"
                )
        if checkpoint is not None and step % checkpoint_every == 0 and step < steps:
            save_checkpoint(checkpoint, state, step)
        if stop_after is not None and step >= stop_after:
            raise TrainingInterrupted(f"stopped after step {step} of {steps} (stop_after)")
    if checkpoint is not None:
        if keep_checkpoint:
            save_checkpoint(checkpoint, state, steps)
        else:
            remove_checkpoint(checkpoint)
    model.eval()
    return TrainHistory(
        step=np.asarray(history["step"]),
        loss=np.asarray(history["loss"]),
        val_loss=np.asarray(history["val_loss"]),
        linear_mse=linear_mse,
        seconds=time.perf_counter() - t0,
    )

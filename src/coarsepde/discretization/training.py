"""Training of the learned discretizations of Bar-Sinai et al. 2019 (torch float64, CPU-friendly).

Data (paper §"Choice of Loss"; reference notes §2): the label of a coarse sample is the cell
average of the fine-grid unforced time derivative dv/dt (which telescopes to the coarse-face flux
difference of the fine solution); the input is the cell average of the same fine snapshot. Every
fine snapshot is cyclically shifted by 0 .. factor-1 fine cells before averaging, giving ``factor``
coarse samples (the authors' augmentation; :func:`training_pairs`).

Loss (paper §"Choice of Loss"): the mean-squared error of the predicted coarse time derivative,
divided by the MSE of predicting zero, mean(labels^2), computed once on the training labels (the
authors' ``determine_loss_scales``). A normalised loss of 1 is "no better than dv/dt = 0".
Optimiser: Adam with betas (0.9, 0.99) and a piecewise-constant learning rate (the original's
1e-3 for 20k steps, then 1e-4 to 40k).

Time-integrated loss (paper footnote *, used only for the constant-coefficient Godunov Burgers
model): the model's own unforced coarse solution, integrated from coarse initial states with the
explicit midpoint rule (the original's integrator for this loss), is compared with coarse-grained
fine solutions at ``n_out`` output times; see :func:`train` for the normalisation.

Resumable training (DESIGN.md, "Long work ... can resume"): with ``checkpoint=PATH``, :func:`train`
writes its whole state every ``checkpoint_every`` steps, atomically, as a Zarr group (weights, Adam
moments and step counts, the batch generator's state and permutations, the history so far; see
:func:`save_checkpoint`), and a restarted run resumes from it, ending with bit-identical weights and
history (same device, same threads). A checkpoint of other training parameters or other data is
refused (:class:`CheckpointMismatch`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import zarr
from torch import nn

from coarsepde.discretization.equations import coarse_grain
from coarsepde.store import StoreError, load_state_dict, provenance, save_state_dict

__all__ = [
    "training_pairs",
    "loss_scale",
    "evaluate_mse",
    "rollout_midpoint",
    "integrated_scale",
    "learning_rate",
    "resolve_device",
    "train",
    "TrainingInterrupted",
    "CheckpointMismatch",
    "remove_checkpoint",
]

DTYPE = torch.float64

#: Layout version of the training checkpoint (a checkpoint of another layout is refused).
CHECKPOINT_FORMAT = 1

_logger = logging.getLogger(__name__)  # ``log`` is train's callback argument


class TrainingInterrupted(RuntimeError):
    """Raised by :func:`train` after ``stop_after`` steps (tests: a kill between checkpoints)."""


class CheckpointMismatch(ValueError):
    """A training checkpoint was written by a run with other parameters or other data."""


def resolve_device(device="auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else goes to ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _tensor(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=DTYPE)


def training_pairs(v_fine, dvdt_fine, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels), each (S * factor, Nf / factor), from fine snapshots.

    Parameters
    ----------
    v_fine : (S, Nf) fine cell averages (velocity units).
    dvdt_fine : (S, Nf) fine UNFORCED time derivative of the same snapshots (velocity / time).
    factor : resample factor (coarse cell = ``factor`` fine cells).

    Row ``s * factor + k`` is snapshot s after a cyclic shift of k fine cells, coarse-grained with
    :func:`coarse_grain` (shift k = 0 is the unshifted grid). The label, the cell average of the
    fine dv/dt, equals the coarse-face flux difference of the fine solution.
    """
    v, d = _tensor(v_fine), _tensor(dvdt_fine)
    if v.ndim != 2 or v.shape != d.shape:
        raise ValueError(f"need v_fine and dvdt_fine of the same shape (S, Nf), got {tuple(v.shape)}, {tuple(d.shape)}")
    if v.shape[-1] % factor:
        raise ValueError(f"factor {factor} does not divide {v.shape[-1]} fine cells")
    n_coarse = v.shape[-1] // factor
    inputs = torch.stack([coarse_grain(v, factor, k) for k in range(factor)], dim=1)
    labels = torch.stack([coarse_grain(d, factor, k) for k in range(factor)], dim=1)
    return inputs.reshape(-1, n_coarse), labels.reshape(-1, n_coarse)


def loss_scale(labels: torch.Tensor) -> float:
    """mean(labels^2): the MSE of predicting dv/dt = 0 (the authors' loss normalisation)."""
    scale = float(torch.mean(_tensor(labels) ** 2))
    if not scale > 0:
        raise ValueError("labels are all zero: the normalised loss is undefined")
    return scale


def evaluate_mse(model, inputs, labels, batch: int = 4096, scale: float | None = None) -> float:
    """Normalised MSE  mean((model.time_derivative(v) - labels)^2) / scale  (inference mode).

    ``model`` is anything with ``time_derivative(v: (B, N)) -> (B, N)`` (learned models, or
    baselines wrapped the same way). ``scale`` defaults to mean(labels^2) of these labels; pass the
    training scale to get the numbers :func:`train` reports as ``val_loss``.
    """
    inputs, labels = _tensor(inputs), _tensor(labels)
    if isinstance(model, nn.Module):
        ref = next(iter(model.parameters()), inputs)
        inputs, labels = inputs.to(ref.device, ref.dtype), labels.to(ref.device, ref.dtype)
    scale = loss_scale(labels) if scale is None else float(scale)
    total = 0.0
    with torch.inference_mode():
        for start in range(0, inputs.shape[0], batch):
            pred = model.time_derivative(inputs[start:start + batch])
            total += float(torch.sum((pred - labels[start:start + batch]) ** 2))
    return total / labels.numel() / scale


def rollout_midpoint(model, v0: torch.Tensor, dt: float, n_steps: int, every: int = 1) -> torch.Tensor:
    """Unforced explicit-midpoint integration of ``model.time_derivative`` (differentiable).

    v0 (R, N) -> (n_steps // every, R, N): the states after every ``every``-th step (the initial
    state is not included). One step:  v <- v + dt f(v + dt/2 f(v)).  ``dt`` in time units.
    """
    out = []
    v = v0
    for step in range(1, n_steps + 1):
        v_mid = v + 0.5 * dt * model.time_derivative(v)
        v = v + dt * model.time_derivative(v_mid)
        if step % every == 0:
            out.append(v)
    return torch.stack(out)


def integrated_scale(v0: torch.Tensor, targets: torch.Tensor) -> float:
    """mean((targets - v0[:, None])^2): the MSE of the constant-in-time prediction v(t) = v0.

    The normalisation of the time-integrated loss (ours; the original's value was not found), so a
    normalised integrated loss of 1 is "no better than not moving" and weight 1 makes it comparable
    with the normalised time-derivative loss.
    """
    scale = float(torch.mean((_tensor(targets) - _tensor(v0)[:, None]) ** 2))
    if not scale > 0:
        raise ValueError("targets equal v0: the normalised integrated loss is undefined")
    return scale


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
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx


# ---------------------------------------------------------------------------------------- checkpoints


def _fingerprint(tensors: dict[str, torch.Tensor | None]) -> str:
    """sha256 of the names, dtypes, shapes and bytes of ``tensors`` (None counts as absent)."""
    h = hashlib.sha256()
    for name, t in tensors.items():
        h.update(f"{name};".encode())
        if t is None:
            h.update(b"none;")
            continue
        a = t.detach().cpu().contiguous()
        h.update(f"{a.dtype};{tuple(a.shape)};".encode())
        h.update(a.view(torch.uint8).numpy().tobytes() if a.numel() else b"")
    return h.hexdigest()


def _checkpoint_siblings(path: Path) -> list[Path]:
    """Temporary siblings that a write killed half-way leaves beside the checkpoint (store._atomic_write)."""
    return sorted(path.parent.glob(f".{path.name}.tmp-*")) + sorted(path.parent.glob(f".{path.name}.old-*"))


def remove_checkpoint(path: str | os.PathLike) -> None:
    """Delete a training checkpoint and any half-written siblings of it (no error if absent)."""
    path = Path(path).absolute()
    for p in [path, *_checkpoint_siblings(path)]:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def save_checkpoint(path, *, params: dict, step: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                    generator: torch.Generator, batches: dict, history: dict, windows: dict,
                    device: torch.device) -> None:
    """Write the complete training state after ``step`` updates, atomically, as one Zarr group.

    Arrays (one per tensor, bit-exact, via :func:`coarsepde.store.save_state_dict`):
    ``model.<name>`` the module's state dict; ``optim.<i>.<key>`` Adam's per-parameter state
    (``step``, ``exp_avg``, ``exp_avg_sq``); ``rng.torch`` the mini-batch generator's state;
    ``batches.<name>.perm`` the current epoch's permutation of each batch stream; ``history.<key>``
    the history so far; ``window.<name>`` the losses since the last history entry. Provenance
    ``params``: ``training`` (the parameters a resumed run must match), ``step``, ``lr`` (the rate of
    the last update: the schedule position), ``batches_pos``, ``device`` and ``format``.
    """
    arrays: dict[str, torch.Tensor] = {f"model.{k}": v for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()["state"]
    for i, state in opt_state.items():
        for key, value in state.items():
            if not isinstance(value, torch.Tensor):
                raise TypeError(f"optimizer state {i}.{key} is a {type(value).__name__}, not a tensor")
            arrays[f"optim.{i}.{key}"] = value
    arrays["rng.torch"] = generator.get_state()
    for name, b in batches.items():
        arrays[f"batches.{name}.perm"] = b.perm
    arrays["history.step"] = torch.tensor(history["step"], dtype=torch.int64)
    for key, values in history.items():
        if key != "step":
            arrays[f"history.{key}"] = torch.tensor(values, dtype=torch.float64)
    for name, values in windows.items():
        arrays[f"window.{name}"] = torch.tensor(values, dtype=torch.float64)
    meta = {"format": CHECKPOINT_FORMAT, "training": params, "step": int(step),
            "lr": float(optimizer.param_groups[0]["lr"]), "device": device.type,
            "batches_pos": {name: int(b.pos) for name, b in batches.items()},
            "optim_state_keys": {str(i): list(st) for i, st in opt_state.items()}}
    save_state_dict(arrays, path, title=f"P1 training checkpoint after step {step}",
                    source="coarsepde.discretization.training.train", provenance=provenance(meta))


def _check_params(path: Path, stored: dict, wanted: dict) -> None:
    diffs = [f"{key}: checkpoint {stored.get(key, '<absent>')!r}, this run {value!r}"
             for key, value in wanted.items() if stored.get(key, "<absent>") != value]
    diffs += [f"{key}: checkpoint {stored[key]!r}, this run <absent>" for key in stored if key not in wanted]
    if diffs:
        raise CheckpointMismatch(f"{path}: training checkpoint of a different run ({'; '.join(diffs)}); "
                                 "delete it to start afresh")


def load_checkpoint(path, *, params: dict, model: nn.Module, optimizer: torch.optim.Optimizer,
                    generator: torch.Generator, batches: dict, history: dict, windows: dict,
                    device: torch.device) -> int:
    """Restore the state written by :func:`save_checkpoint` in place; returns the step to go on from.

    Raises :class:`CheckpointMismatch` naming every parameter that differs from ``params``, and
    :class:`coarsepde.store.StoreError` for a damaged store.
    """
    path = Path(path).absolute()
    arrays = load_state_dict(path)
    try:
        meta = zarr.open_group(str(path), mode="r").attrs["provenance"]["params"]
        fmt = meta["format"]
    except KeyError as exc:
        raise StoreError(f"{path}: not a training checkpoint (missing {exc})") from exc
    if fmt != CHECKPOINT_FORMAT:
        raise CheckpointMismatch(f"{path}: checkpoint format {fmt}, this code writes {CHECKPOINT_FORMAT}; "
                                 "delete it to start afresh")
    _check_params(path, meta["training"], params)
    if meta["device"] != device.type:
        _logger.warning("%s was written on %s, resuming on %s: the result will not be bit-identical to "
                        "an uninterrupted run on either", path, meta["device"], device.type)
    try:
        model.load_state_dict({k.removeprefix("model."): v for k, v in arrays.items() if k.startswith("model.")})
        opt = optimizer.state_dict()
        opt["state"] = {int(i): {key: arrays[f"optim.{i}.{key}"] for key in keys}
                        for i, keys in meta["optim_state_keys"].items()}
        optimizer.load_state_dict(opt)  # moves the moments to the parameters' device and dtype
        generator.set_state(arrays["rng.torch"])
        for name, b in batches.items():
            b.restore(arrays[f"batches.{name}.perm"], meta["batches_pos"][name])
        for key in history:
            history[key][:] = arrays[f"history.{key}"].tolist()
        for name, values in windows.items():
            values[:] = arrays[f"window.{name}"].tolist()
    except (KeyError, RuntimeError, ValueError) as exc:
        raise StoreError(f"{path}: checkpoint does not fit this run ({type(exc).__name__}: {exc})") from exc
    return int(meta["step"])


def _training_params(model, data: dict, integrated: dict | None, *, steps, batch_size, lr_schedule, betas,
                     eval_every, seed) -> dict:
    """What a resumed run must share with the checkpoint: settings, and fingerprints of the data
    (``data``: name -> tensor, as trained on) and of the initial weights (which carry the
    architecture, its initialisation and the dtype)."""
    params = {
        "steps": int(steps), "batch_size": int(batch_size),
        "lr_schedule": [[int(s), float(lr)] for s, lr in lr_schedule],
        "betas": [float(b) for b in betas], "eval_every": int(eval_every), "seed": int(seed),
        "dtype": str(next(iter(model.parameters())).dtype).removeprefix("torch."),
        "data": _fingerprint(data),
        "initial_weights": _fingerprint(model.state_dict()),
        "integrated": None,
    }
    if integrated is not None:
        params["integrated"] = {
            "dt": float(integrated["dt"]), "steps_per_output": int(integrated["steps_per_output"]),
            "weight": float(integrated["weight"]), "batch_size": int(integrated["batch_size"]),
        }
    return params


# ---------------------------------------------------------------------------------------- training


def train(model: nn.Module, inputs, labels, *, steps: int, batch_size: int,
          lr_schedule: Sequence[tuple[int, float]], betas: tuple[float, float] = (0.9, 0.99),
          val: tuple | None = None, eval_every: int = 250, seed: int = 0,
          integrated: dict | None = None,
          log: Callable[[int, float, float], None] | None = None,
          checkpoint: str | os.PathLike | None = None, checkpoint_every: int = 500,
          keep_checkpoint: bool = False, stop_after: int | None = None) -> dict[str, list]:
    """Fit ``model`` (in place) to coarse time-derivative labels; returns the history.

    Parameters
    ----------
    model : a module with ``time_derivative(v: (B, N)) -> (B, N)`` (e.g. LearnedDiscretization).
        Training runs on the model's device and dtype (the data are moved there).
    inputs, labels : (S, N) coarse cell averages and coarse unforced dv/dt (:func:`training_pairs`).
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
        v_model from :func:`rollout_midpoint` (explicit midpoint, as the original). The
        denominator, :func:`integrated_scale`, is computed once on all R rows.
    log : optional callback ``log(step, loss, val_loss)`` at every evaluation.
    checkpoint : optional path of a training checkpoint (a Zarr group, :func:`save_checkpoint`).
        If it exists, training resumes from it (after checking that it was written by a run of the
        same parameters, data and initial weights: :class:`CheckpointMismatch` otherwise); it is
        (re)written every ``checkpoint_every`` steps, and removed at the end unless
        ``keep_checkpoint``. A run killed and restarted ends with the weights and history of an
        uninterrupted one, bit for bit (same device and threads).
    checkpoint_every : steps between checkpoints.
    keep_checkpoint : write a final checkpoint at ``steps`` instead of removing it, for a caller
        that removes it (:func:`remove_checkpoint`) only once its own outputs are written; a
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
    # caller's choice: ~3x faster convolutions on CPU)
    device, dtype = next(iter(model.parameters())).device, next(iter(model.parameters())).dtype
    inputs, labels = _tensor(inputs).to(device, dtype), _tensor(labels).to(device, dtype)
    if inputs.shape != labels.shape or inputs.ndim != 2:
        raise ValueError(f"inputs and labels must both be (S, N), got {tuple(inputs.shape)}, {tuple(labels.shape)}")
    if steps < 0 or eval_every < 1:
        raise ValueError(f"need steps >= 0 and eval_every >= 1, got {steps}, {eval_every}")
    if checkpoint is not None and checkpoint_every < 1:
        raise ValueError(f"need checkpoint_every >= 1, got {checkpoint_every}")
    scale = loss_scale(labels)
    if val is not None:
        val = (_tensor(val[0]).to(device, dtype), _tensor(val[1]).to(device, dtype))

    # the batch indices come from a CPU generator on every device, so a run's batches never depend
    # on where it trains
    generator = torch.Generator().manual_seed(int(seed))
    batches = _Batches(inputs.shape[0], batch_size, generator)
    streams = {"td": batches}
    if integrated is not None:
        v0_all = _tensor(integrated["v0"]).to(device, dtype)
        targets_all = _tensor(integrated["targets"]).to(device, dtype)
        if v0_all.ndim != 2 or targets_all.ndim != 3 or targets_all.shape[0] != v0_all.shape[0] \
                or targets_all.shape[2] != v0_all.shape[1]:
            raise ValueError(f"integrated needs v0 (R, N) and targets (R, n_out, N), got "
                             f"{tuple(v0_all.shape)}, {tuple(targets_all.shape)}")
        int_dt = float(integrated["dt"])
        per_output = int(integrated["steps_per_output"])
        n_int_steps = targets_all.shape[1] * per_output
        int_weight = float(integrated["weight"])
        int_scale = integrated_scale(v0_all, targets_all)
        int_batches = _Batches(v0_all.shape[0], int(integrated["batch_size"]), generator)
        streams["integrated"] = int_batches

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=learning_rate(lr_schedule, 0), betas=betas)
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
            raise FloatingPointError(f"non-finite training loss (td {float(loss)}, integrated "
                                     f"{None if int_loss is None else float(int_loss)})")
        return total, loss, int_loss

    def draw():
        return (batches.next().to(device),
                int_batches.next().to(device) if integrated is not None else None)

    state = None
    if checkpoint is not None:
        checkpoint = Path(checkpoint).absolute()
        data = {"inputs": inputs, "labels": labels, "val_inputs": None if val is None else val[0],
                "val_labels": None if val is None else val[1]}
        if integrated is not None:
            data |= {"integrated_v0": v0_all, "integrated_targets": targets_all}
        run_params = _training_params(
            model, data, integrated, steps=steps, batch_size=batch_size, lr_schedule=lr_schedule, betas=betas,
            eval_every=eval_every, seed=seed)
        state = {"params": run_params, "model": model, "optimizer": optimizer, "generator": generator,
                 "batches": streams, "history": history,
                 "windows": {"td": window, "integrated": int_window}, "device": device}

    start, first = 0, None
    if checkpoint is not None and checkpoint.exists():
        start = load_checkpoint(checkpoint, **state)
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
            save_checkpoint(checkpoint, step=step, **state)
        if stop_after is not None and step >= stop_after:
            raise TrainingInterrupted(f"stopped after step {step} of {steps} (stop_after)")
    if checkpoint is not None:
        if keep_checkpoint:
            save_checkpoint(checkpoint, step=steps, **state)
        else:
            remove_checkpoint(checkpoint)
    return history

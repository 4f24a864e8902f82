"""Checkpoints of P1 training (DESIGN.md, "Long work ... can resume").

:func:`coarsepde.discretization.training.train` with ``checkpoint=PATH`` writes its whole
:class:`TrainingState` every ``checkpoint_every`` steps, atomically, as a Zarr group (weights, Adam
moments and step counts, the batch generator's state and permutations, the history so far; see
:func:`save_checkpoint`), and a restarted run resumes from it (:func:`load_checkpoint`), ending with
bit-identical weights and history (same device, same threads). A checkpoint of other training
parameters or other data (:func:`checkpoint_params`) is refused (:class:`CheckpointMismatch`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
import zarr
from torch import nn

from coarsepde.store import StoreError, load_state_dict, provenance, save_state_dict

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointMismatch",
    "TrainingState",
    "checkpoint_params",
    "save_checkpoint",
    "load_checkpoint",
    "remove_checkpoint",
]

#: Layout version of the training checkpoint (a checkpoint of another layout is refused).
CHECKPOINT_FORMAT = 1

_logger = logging.getLogger(__name__)


class CheckpointMismatch(ValueError):
    """A training checkpoint was written by a run with other parameters or other data."""


@dataclass
class TrainingState:
    """Everything a checkpoint saves and restores, by reference (restoring writes into these objects).

    params : :func:`checkpoint_params` of the run (compared, not restored).
    batches : name -> mini-batch stream with ``perm`` (its epoch's permutation), ``pos`` and
        ``restore(perm, pos)``.
    history : key -> list, the history so far; windows : name -> list, the losses since its last entry.
    device : where the model trains (a resume on another device is allowed, with a warning).
    """

    params: dict
    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    batches: dict
    history: dict
    windows: dict
    device: torch.device


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


def save_checkpoint(path, state: TrainingState, step: int) -> None:
    """Write the complete training ``state`` after ``step`` updates, atomically, as one Zarr group.

    Arrays (one per tensor, bit-exact, via :func:`coarsepde.store.save_state_dict`):
    ``model.<name>`` the module's state dict; ``optim.<i>.<key>`` Adam's per-parameter state
    (``step``, ``exp_avg``, ``exp_avg_sq``); ``rng.torch`` the mini-batch generator's state;
    ``batches.<name>.perm`` the current epoch's permutation of each batch stream; ``history.<key>``
    the history so far; ``window.<name>`` the losses since the last history entry. Provenance
    ``params``: ``training`` (``state.params``, the parameters a resumed run must match), ``step``, ``lr`` (the rate of
    the last update: the schedule position), ``batches_pos``, ``device`` and ``format``.
    """
    arrays: dict[str, torch.Tensor] = {f"model.{k}": v for k, v in state.model.state_dict().items()}
    opt_state = state.optimizer.state_dict()["state"]
    for i, param_state in opt_state.items():
        for key, value in param_state.items():
            if not isinstance(value, torch.Tensor):
                raise TypeError(f"optimizer state {i}.{key} is a {type(value).__name__}, not a tensor")
            arrays[f"optim.{i}.{key}"] = value
    arrays["rng.torch"] = state.generator.get_state()
    for name, b in state.batches.items():
        arrays[f"batches.{name}.perm"] = b.perm
    arrays["history.step"] = torch.tensor(state.history["step"], dtype=torch.int64)
    for key, values in state.history.items():
        if key != "step":
            arrays[f"history.{key}"] = torch.tensor(values, dtype=torch.float64)
    for name, values in state.windows.items():
        arrays[f"window.{name}"] = torch.tensor(values, dtype=torch.float64)
    meta = {
        "format": CHECKPOINT_FORMAT,
        "training": state.params,
        "step": int(step),
        "lr": float(state.optimizer.param_groups[0]["lr"]),
        "device": state.device.type,
        "batches_pos": {name: int(b.pos) for name, b in state.batches.items()},
        "optim_state_keys": {str(i): list(st) for i, st in opt_state.items()},
    }
    save_state_dict(
        arrays,
        path,
        title=f"P1 training checkpoint after step {step}",
        source="coarsepde.discretization.training.train",
        provenance=provenance(meta),
    )


def _check_params(path: Path, stored: dict, wanted: dict) -> None:
    diffs = [
        f"{key}: checkpoint {stored.get(key, '<absent>')!r}, this run {value!r}"
        for key, value in wanted.items()
        if stored.get(key, "<absent>") != value
    ]
    diffs += [f"{key}: checkpoint {stored[key]!r}, this run <absent>" for key in stored if key not in wanted]
    if diffs:
        raise CheckpointMismatch(
            f"{path}: training checkpoint of a different run ({'; '.join(diffs)}); delete it to start afresh"
        )


def load_checkpoint(path, state: TrainingState) -> int:
    """Restore the state written by :func:`save_checkpoint` into ``state`` in place; returns the step
    to go on from.

    Raises :class:`CheckpointMismatch` naming every parameter that differs from ``state.params``, and
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
        raise CheckpointMismatch(
            f"{path}: checkpoint format {fmt}, this code writes {CHECKPOINT_FORMAT}; delete it to start afresh"
        )
    _check_params(path, meta["training"], state.params)
    if meta["device"] != state.device.type:
        _logger.warning(
            "%s was written on %s, resuming on %s: the result will not be bit-identical to "
            "an uninterrupted run on either",
            path,
            meta["device"],
            state.device.type,
        )
    try:
        state.model.load_state_dict({k.removeprefix("model."): v for k, v in arrays.items() if k.startswith("model.")})
        opt = state.optimizer.state_dict()
        opt["state"] = {
            int(i): {key: arrays[f"optim.{i}.{key}"] for key in keys} for i, keys in meta["optim_state_keys"].items()
        }
        state.optimizer.load_state_dict(opt)  # moves the moments to the parameters' device and dtype
        state.generator.set_state(arrays["rng.torch"])
        for name, b in state.batches.items():
            b.restore(arrays[f"batches.{name}.perm"], meta["batches_pos"][name])
        for key in state.history:
            state.history[key][:] = arrays[f"history.{key}"].tolist()
        for name, values in state.windows.items():
            values[:] = arrays[f"window.{name}"].tolist()
    except (KeyError, RuntimeError, ValueError) as exc:
        raise StoreError(f"{path}: checkpoint does not fit this run ({type(exc).__name__}: {exc})") from exc
    return int(meta["step"])


def checkpoint_params(
    model, data: dict, integrated: dict | None, *, steps, batch_size, lr_schedule, betas, eval_every, seed
) -> dict:
    """What a resumed run must share with the checkpoint (:attr:`TrainingState.params`): the training
    settings, and fingerprints of the data
    (``data``: name -> tensor, as trained on) and of the initial weights (which carry the
    architecture, its initialisation and the dtype)."""
    params = {
        "steps": int(steps),
        "batch_size": int(batch_size),
        "lr_schedule": [[int(s), float(lr)] for s, lr in lr_schedule],
        "betas": [float(b) for b in betas],
        "eval_every": int(eval_every),
        "seed": int(seed),
        "dtype": str(next(iter(model.parameters())).dtype).removeprefix("torch."),
        "data": _fingerprint(data),
        "initial_weights": _fingerprint(model.state_dict()),
        "integrated": None,
    }
    if integrated is not None:
        params["integrated"] = {
            "dt": float(integrated["dt"]),
            "steps_per_output": int(integrated["steps_per_output"]),
            "weight": float(integrated["weight"]),
            "batch_size": int(integrated["batch_size"]),
        }
    return params

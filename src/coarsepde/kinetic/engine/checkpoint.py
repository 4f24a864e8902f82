"""Checkpoints of a batched fitting run: the whole state at the start of a step, so a long run resumes exactly.

A paper-protocol run of Delgadillo, Hu, Yang (80,000 Adam steps per fit, Sect. 5.2 and the authors' notebook) takes
about an hour per eps here. :func:`save` writes, atomically, everything the loop of
:meth:`~coarsepde.kinetic.engine.batched.BatchedFits.run` carries from one step to the next: the flat parameter
vector, Adam's moments and step count, every window generator's state and the histories so far. :func:`load`
returns it when the file exists and was written for the same fits (the ``fingerprint``: names, schemes, budgets,
learning rates, penalties, parameter count, data; a penalty at zero counts as absent), else None; a file of other fits
is an error, not silently ignored.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict
from pathlib import Path

import torch

from coarsepde.kinetic.training import FitHistory

__all__ = ["fingerprint", "save", "load", "restore"]


def fingerprint(tasks, numel: int, data=None) -> list:
    """What must agree for a checkpoint to belong to a run: per task its name, scheme, Adam settings, penalties,
    norm, weight scale and convention; the number of parameters; and the SHA-256 of the data (g, rho, dt)."""
    out = [int(numel)]
    if data is not None:
        h = hashlib.sha256()
        for a in (data.g, data.rho):
            h.update(a.detach().contiguous().numpy().tobytes())
        h.update(repr(float(data.dt)).encode())
        out.append(h.hexdigest())
    for t in tasks:
        out.append([t.name, t.scheme, asdict(t.adam), asdict(t.penalties), t.norm, float(t.weight_scale), t.convention])
    return out


def _comparable(fp: list) -> list:
    """``fp`` without the penalties at zero: an inactive penalty does not change a fit, so a checkpoint written before
    a penalty field existed (e.g. ``continuity``, added with ``kinetic.protocols.Penalties``) still belongs to it."""
    out = []
    for item in fp:
        if isinstance(item, list) and len(item) > 3 and isinstance(item[3], dict):
            pen = {k: v for k, v in item[3].items() if not (isinstance(v, (int, float)) and v == 0)}
            item = [*item[:3], pen, *item[4:]]
        out.append(item)
    return out


def save(
    path: str | os.PathLike, step: int, fp: list, flat, adam, gens: dict, hist: list[FitHistory], seconds: float
) -> None:
    """The state before step ``step`` (updates 0 .. step-1 done) to ``path`` (written to a temporary file, then
    renamed, so a kill leaves the previous checkpoint intact); ``seconds``: the run's wall time so far."""
    state = {
        "step": int(step),
        "fingerprint": fp,
        "flat": flat.detach().clone(),
        "exp_avg": adam.exp_avg.clone(),
        "exp_avg_sq": adam.exp_avg_sq.clone(),
        "t": int(adam.t),
        "generators": {int(k): g.get_state() for k, g in gens.items()},
        "histories": [vars(h).copy() for h in hist],
        "seconds": float(seconds),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path: str | os.PathLike, fp: list) -> dict | None:
    """The state saved at ``path`` (None when there is none); ValueError when it belongs to other fits."""
    path = Path(path)
    if not path.exists():
        return None
    state = torch.load(path, weights_only=False)
    if _comparable(state["fingerprint"]) != _comparable(fp):
        raise ValueError(f"checkpoint {path} was written for other fits; remove it to start afresh")
    return state


def restore(state: dict, flat, adam, gens: dict) -> tuple[int, list[FitHistory], float]:
    """Put a loaded state back into the run's tensors; returns (step to resume at, histories, seconds so far)."""
    with torch.no_grad():
        flat.copy_(state["flat"])
    adam.exp_avg.copy_(state["exp_avg"])
    adam.exp_avg_sq.copy_(state["exp_avg_sq"])
    adam.t = int(state["t"])
    for k, g in gens.items():
        g.set_state(state["generators"][int(k)])
    hist = []
    for h in state["histories"]:
        fh = FitHistory()
        for k, v in h.items():
            setattr(fh, k, v)
        hist.append(fh)
    return int(state["step"]), hist, float(state["seconds"])

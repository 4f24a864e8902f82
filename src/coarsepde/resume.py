"""Resumable long simulations: completed chunks of the output in a Zarr group beside the result.

A long simulation (the P1 fine data: hundreds of runs over 100 time units at the paper scale) is
integrated in chunks of output times. After each chunk the new outputs, the integrator's state and
a progress record go into a :class:`SimulationCheckpoint`; a job killed and restarted reads the
progress, restores the state and goes on from the last completed chunk instead of starting over.
The integrators resume exactly (the RK23 of ``numerics.ode`` from its last accepted state and step
proposal, the fixed-step ETDRK4 from its Fourier state), so a resumed run ends with the same bits
as an uninterrupted one (tests/test_resume.py).

Crash safety without rewriting what is done:

- the output arrays are preallocated and chunked so that every checkpoint chunk is a whole set of
  Zarr chunks: a write killed half-way can only damage chunks that the progress record does not
  yet cover (they are rewritten on resume);
- the integrator state is double-buffered (slots 0 and 1): the new state goes into the slot the
  committed progress does not point to;
- the progress record (group attribute) is written last: it is the commit.

A checkpoint written by a run with other parameters (its ``key``) is refused with
:class:`CheckpointMismatch`; an unreadable one (killed while its metadata were written) is
discarded and the run starts over, with a warning through ``log``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import zarr

from coarsepde.store import array_codecs

__all__ = ["CheckpointMismatch", "SimulationCheckpoint", "FORMAT", "fingerprint"]

#: layout version of the checkpoint (another layout is refused)
FORMAT = 1


class CheckpointMismatch(RuntimeError):
    """A simulation checkpoint was written by a run with other parameters."""


def fingerprint(*arrays) -> str:
    """SHA-256 of the float64 bytes and shapes of ``arrays``: a short key entry for large inputs."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _canonical(key: Mapping) -> dict:
    """The key as it reads back from JSON attributes (tuples -> lists, numpy scalars -> Python)."""
    return json.loads(json.dumps(key, sort_keys=True, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


class SimulationCheckpoint:
    """Outputs done so far, integrator state and progress of one long simulation.

    Parameters
    ----------
    path : the checkpoint's Zarr group (created if absent).
    key : JSON-able description of the run (its parameters); a checkpoint with another key is refused.
    arrays : name -> (shape, chunks) of the float64 output arrays, preallocated.
    log : optional callable for messages (a discarded unreadable checkpoint).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        key: Mapping,
        arrays: Mapping[str, tuple[tuple, tuple]],
        log: Callable[[str], None] | None = None,
    ):
        self.path = Path(path)
        self.key = _canonical(key)
        self.layout = {
            name: [list(map(int, shape)), list(map(int, chunks))] for name, (shape, chunks) in arrays.items()
        }
        if self.path.exists():
            try:
                group = zarr.open_group(str(self.path), mode="r+")
                attrs = dict(group.attrs)
                fmt, stored_key, stored_layout = attrs["format"], attrs["key"], attrs["layout"]
            except Exception as exc:  # killed while writing metadata: start over
                if log is not None:
                    log(f"{self.path}: unreadable simulation checkpoint ({type(exc).__name__}: {exc}); starting over")
                self.remove()
            else:
                if fmt != FORMAT:
                    raise CheckpointMismatch(
                        f"{self.path}: checkpoint format {fmt}, this code writes {FORMAT}; delete it to start over"
                    )
                diffs = [
                    f"{k}: checkpoint {stored_key.get(k, '<absent>')!r}, this run {v!r}"
                    for k, v in self.key.items()
                    if stored_key.get(k) != v
                ]
                diffs += [
                    f"{k}: checkpoint {stored_key[k]!r}, this run <absent>" for k in stored_key if k not in self.key
                ]
                if stored_layout != self.layout:
                    diffs.append(f"array layout: checkpoint {stored_layout}, this run {self.layout}")
                if diffs:
                    raise CheckpointMismatch(
                        f"{self.path}: simulation checkpoint of a different run "
                        f"({'; '.join(diffs)}); delete it to start over"
                    )
                self.group = group
                return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        group = zarr.open_group(str(self.path), mode="w", zarr_format=3)
        for name, (shape, chunks) in self.layout.items():
            group.create_array(
                name,
                shape=tuple(shape),
                chunks=tuple(chunks),
                dtype="float64",
                fill_value=np.nan,
                compressors=array_codecs(),
            )
        group.attrs.update({"format": FORMAT, "key": self.key, "layout": self.layout, "progress": None})
        self.group = group

    @property
    def progress(self) -> dict | None:
        """The committed progress record (None: nothing done yet)."""
        return self.group.attrs["progress"]

    def state(self) -> dict[str, np.ndarray]:
        """The integrator state that goes with :attr:`progress`."""
        prog = self.progress
        if prog is None:
            raise ValueError(f"{self.path}: no state committed yet")
        slot = self.group[f"state{prog['_slot']}"]
        return {name: np.asarray(arr[...]) for name, arr in slot.arrays()}

    def read(self, name: str, index) -> np.ndarray:
        """Committed outputs ``array[index]``."""
        return np.asarray(self.group[name][index])

    def commit(
        self, outputs: Mapping[str, tuple[tuple, np.ndarray]], state: Mapping[str, np.ndarray], progress: Mapping
    ) -> None:
        """Write ``outputs`` (name -> (index, values)), then ``state`` into the free slot, then
        ``progress`` (JSON-able; the commit)."""
        for name, (index, values) in outputs.items():
            self.group[name][index] = values
        prev = self.progress
        slot = 1 - prev["_slot"] if prev is not None else 0
        sub = self.group.require_group(f"state{slot}")
        for name, value in state.items():
            value = np.ascontiguousarray(value)
            sub.create_array(name, shape=value.shape, dtype=value.dtype, overwrite=True, compressors=array_codecs())[
                ...
            ] = value
        self.group.attrs["progress"] = _canonical(progress) | {"_slot": slot}

    def remove(self) -> None:
        """Delete the checkpoint (no error if absent)."""
        self.discard(self.path)

    @staticmethod
    def discard(path: str | os.PathLike) -> None:
        """Delete the checkpoint at ``path`` once its result is written (no error if absent)."""
        shutil.rmtree(Path(path), ignore_errors=True)

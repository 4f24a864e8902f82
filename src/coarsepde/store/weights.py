"""Torch weights as a Zarr format-3 group, one array per tensor (never pickled, so loading runs no code)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import zarr

from coarsepde.store.layout import (
    StoreError,
    array_codecs,
    atomic_write,
    ignoring_snakemake_marker,
    leading_chunks,
    open_checked,
)
from coarsepde.store.metadata import to_json

if TYPE_CHECKING:  # torch is heavy; it is imported lazily in the functions
    import torch

__all__ = ["save_state_dict", "load_state_dict", "load_weight_attrs"]

# Torch dtypes numpy cannot represent are stored bit-for-bit as same-width ints.
_INT_OF_WIDTH = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


def save_state_dict(
    state_dict: dict,
    path: str | os.PathLike,
    *,
    title: str,
    source: str,
    provenance: dict,
) -> Path:
    """Write torch weights atomically as a Zarr format-3 group (never pickled).

    One array per tensor, named by its state-dict key (e.g. ``"net.0.weight"``),
    with its torch dtype in the array attrs (``torch_dtype``) so dtypes such as
    bfloat16 that numpy lacks round-trip bit-exactly.  The key order is kept
    in the group attr ``keys`` (Zarr lists members alphabetically).  Group attrs
    also hold ``title``, ``source`` and ``provenance``.

    Raises
    ------
    ValueError
        For a key that is not a valid Zarr node name (contains ``/``, empty,
        ``.``/``..`` or starting with ``__``).
    TypeError
        For a value that is not a dense tensor, or non-JSON provenance.
    """
    import torch

    for name, value in (("title", title), ("source", source)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not isinstance(provenance, Mapping):
        raise TypeError(f"provenance must be a dict, got {type(provenance).__name__}")
    prov = to_json(provenance, "provenance")

    arrays: dict[str, tuple[np.ndarray, str]] = {}
    for key, tensor in state_dict.items():
        if not isinstance(key, str) or not key or "/" in key or key in {".", ".."} or key.startswith("__"):
            raise ValueError(f"state_dict key {key!r} is not storable as a Zarr array name")
        if not isinstance(tensor, torch.Tensor) or tensor.layout != torch.strided:
            raise TypeError(f"state_dict[{key!r}] is not a dense torch.Tensor")
        t = tensor.detach().cpu().contiguous()
        try:
            data = t.numpy()
        except TypeError:  # e.g. bfloat16, float8: keep the bits
            data = t.view(getattr(torch, np.dtype(_INT_OF_WIDTH[t.element_size()]).name)).numpy()
        arrays[key] = (data.copy(), str(t.dtype).removeprefix("torch."))

    def build(tmp: Path) -> None:
        group = zarr.open_group(
            str(tmp),
            mode="w",
            zarr_format=3,
            attributes={"title": title, "source": source, "provenance": prov, "keys": list(arrays)},
        )
        for key, (data, torch_dtype) in arrays.items():
            array = group.create_array(
                key,
                shape=data.shape,
                dtype=data.dtype,
                chunks=leading_chunks(data.shape, data.dtype.itemsize),
                compressors=array_codecs(),
                fill_value=0,
                attributes={"torch_dtype": torch_dtype},
                # write every chunk, even all-zero biases, so a missing chunk
                # file can be detected on load
                config={"write_empty_chunks": True},
            )
            array[...] = data

    return atomic_write(path, build)


@ignoring_snakemake_marker
def load_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load weights written by :func:`save_state_dict`.

    Returns a new dict of CPU tensors in the original key order and dtypes,
    ready for ``module.load_state_dict``.  Raises :class:`StoreError` naming
    ``path`` if the group is missing, empty or corrupt.
    """
    import torch

    path = Path(path).absolute()
    group = open_checked(path)
    try:
        keys = group.attrs["keys"]
        members = dict(group.arrays())
        if sorted(keys) != sorted(members):
            raise ValueError(f"arrays {sorted(members)} do not match the recorded keys {sorted(keys)}")
    except Exception as exc:
        raise StoreError(f"{path}: corrupt weight store ({type(exc).__name__}: {exc})") from exc
    out: dict[str, torch.Tensor] = {}
    for key in keys:
        array = members[key]
        try:
            dtype = getattr(torch, array.attrs["torch_dtype"])
            # np.array(copy) rather than ascontiguousarray, which turns 0-d into 1-d
            tensor = torch.from_numpy(np.array(array[...], copy=True).reshape(array.shape))
        except Exception as exc:
            raise StoreError(f"{path}: corrupt weight store (array {key!r}): {type(exc).__name__}: {exc}") from exc
        out[key] = tensor if tensor.dtype == dtype else tensor.view(dtype)
    return out


@ignoring_snakemake_marker
def load_weight_attrs(path: str | os.PathLike) -> dict:
    """The group attributes of a weight store written by :func:`save_state_dict` (``title``, ``source``,
    ``provenance``, ``keys``), as a dict. Raises :class:`StoreError` naming ``path`` if the group is missing or
    not a weight store."""
    path = Path(path).absolute()
    attrs = dict(open_checked(path).attrs)
    missing = {"provenance", "keys"} - set(attrs)
    if missing:
        raise StoreError(f"{path}: not a weight store (attributes {sorted(missing)} missing)")
    return attrs

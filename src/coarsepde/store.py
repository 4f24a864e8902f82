"""The project's single I/O layer for intermediate results.

Every intermediate product of the pipeline (simulated solutions, coarse-grained
data sets, trained model weights) goes through this module, so that all files
on disk share one format and one set of guarantees:

* **Format.**  xarray Datasets are written as Zarr *format 3* stores with named
  dimensions (``dimension_names``), codecs named in the metadata (Zstandard,
  level 3), chunks of about 1 MB or more along the leading dimension, no
  sharding and no consolidated metadata.  Torch model weights are written as a
  Zarr format-3 group with one array per tensor -- never pickled, so loading a
  file can never execute code.
* **Self-description.**  The root group carries ``title``, ``source`` (the
  Snakemake rule and wildcards that made it), ``references`` (paper and
  equation numbers) and ``provenance`` (parameters, seed, package versions,
  code version; see :func:`provenance`).  Physical ``units`` live in the attrs
  of each variable/coordinate and are kept through the round trip.
* **Reproducibility.**  Nothing time- or host-dependent is written, so writing
  the same data twice gives byte-identical files; a re-run of the workflow can
  be checked with ``diff -r``.
* **Atomicity.**  A store is built in a temporary sibling directory and renamed
  into place, so a crashed or killed job never leaves a half-written store
  where the workflow would take it for a finished one.
* **Loud failure.**  Reading a missing, empty or damaged store raises
  :class:`StoreError` naming the path, instead of silently returning fill
  values (Zarr's default for a missing chunk).
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import math
import os
import warnings
import platform
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
import zarr
from zarr.codecs import ZstdCodec

if TYPE_CHECKING:  # torch is heavy; it is imported lazily in the weight functions
    import torch

__all__ = [
    "StoreError",
    "package_versions",
    "code_version",
    "provenance",
    "write_dataset",
    "read_dataset",
    "save_state_dict",
    "load_state_dict",
]

#: Target minimum chunk size in bytes (DESIGN.md: "about 1 MB or more").
CHUNK_BYTES = 1 << 20

#: Zstandard level 3: a good speed/ratio trade-off, and deterministic output.
_ZSTD_LEVEL = 3

#: Packages whose versions are recorded in every store's provenance.
_PACKAGES = ("numpy", "scipy", "xarray", "zarr", "pandas", "torch", "snakemake", "coarsepde")

#: Root attrs that this module owns; the caller passes them as arguments.
_ROOT_ATTRS = ("title", "source", "references", "provenance")


class StoreError(OSError):
    """A store is missing, empty or corrupt; the message names the path."""


# ---------------------------------------------------------------------------
# provenance
# ---------------------------------------------------------------------------


# Snakemake drops an empty ``.snakemake_timestamp`` file into every directory() output; zarr
# warns about the unknown object on every read. It is expected and harmless: silence just that.
_SNAKEMAKE_MARKER = r"Object at \.snakemake_timestamp is not recognized"


def _ignoring_snakemake_marker(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_SNAKEMAKE_MARKER)
            return fn(*args, **kwargs)

    return wrapper


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the results.

    Read from installed distribution metadata (``importlib.metadata``) rather
    than by importing, so that recording provenance never pulls in torch.
    Missing packages are reported as ``"not installed"``.
    """
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Version of this code: ``git describe --always --dirty --tags``.

    Run in the repository that contains this file.  When that is impossible
    (git missing, an installed copy outside any repository, a repository with
    no commits yet), fall back to the environment variable
    ``COARSEPDE_CODE_VERSION`` (set by a CI or container build), else
    ``"unknown"``.  Cached: it cannot change during a run and git is slow.
    """
    root = Path(__file__).resolve().parents[2]
    # Require the repository root itself: for an installed copy, parents[2] is
    # site-packages' parent and git would happily describe some unrelated
    # enclosing repository.
    if (root / ".git").exists():
        try:
            result = subprocess.run(
                ["git", "describe", "--always", "--dirty", "--tags"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            described = result.stdout.strip()
            if described:
                return described
        except (OSError, subprocess.SubprocessError):
            pass
    return os.environ.get("COARSEPDE_CODE_VERSION") or "unknown"


def _to_json(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON types (dict/list/str/int/float/bool/None).

    numpy scalars and arrays are converted (arrays to nested lists); tuples
    become lists.  Anything else raises ``TypeError`` naming ``where`` (the key
    path), so the caller learns *which* parameter is not storable.  Non-finite
    floats raise ``ValueError``: strict JSON has no NaN/Infinity, and the
    metadata must stay readable by any JSON parser.
    """
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, np.str_) else value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{where}: non-finite float {value!r} cannot be stored as JSON")
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufU" and value.dtype != object:
            raise TypeError(f"{where}: numpy array of dtype {value.dtype} is not JSON-serialisable")
        return [_to_json(v, f"{where}[{i}]") for i, v in enumerate(value.tolist())] if value.ndim else _to_json(
            value.item(), where
        )
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not a string (JSON object keys must be strings)")
            out[str(key)] = _to_json(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{where}: value of type {type(value).__name__} is not JSON-serialisable")


def provenance(
    params: dict,
    *,
    seed: int | None = None,
    rule: str | None = None,
    wildcards: dict | None = None,
) -> dict:
    """Provenance record to store with a result.

    Parameters
    ----------
    params
        The parameters that determined the result (physical constants in the
        units the caller documents, grid sizes, training settings...).  Must be
        JSON-serialisable; numpy scalars/arrays are converted to Python types.
    seed
        Seed of the random generator that produced the data, if any.
    rule, wildcards
        The Snakemake rule and its wildcards that produced the file.

    Returns
    -------
    dict
        ``{"params", "seed", "rule", "wildcards", "packages", "code_version"}``.
        Deliberately no time stamp or host name: they would make rewriting
        identical data produce different bytes.

    Raises
    ------
    TypeError
        If a value in ``params`` (or ``wildcards``) cannot be stored as JSON;
        the message names its key.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict, got {type(params).__name__}")
    return {
        "params": _to_json(params, "params"),
        "seed": None if seed is None else _to_json(seed, "seed"),
        "rule": rule,
        "wildcards": _to_json(dict(wildcards or {}), "wildcards"),
        "packages": package_versions(),
        "code_version": code_version(),
    }


# ---------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------


def _remove(path: Path) -> None:
    """Delete a file or directory tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _atomic_write(path: str | os.PathLike, build: Callable[[Path], None]) -> Path:
    """Run ``build(tmp)`` on a temporary sibling directory, then move it to ``path``.

    Siblings (same parent) live on the same file system, so the final
    ``os.replace`` is an atomic rename.  If ``build`` raises, the temporary
    directory is removed and any existing store at ``path`` is left untouched.
    An existing store is moved aside (not deleted) before the rename and only
    deleted afterwards, so at every instant ``path`` is either the complete
    old store, absent, or the complete new store.
    """
    final = Path(path).absolute()
    final.parent.mkdir(parents=True, exist_ok=True)
    # Hidden and pid-tagged: invisible to glob patterns, distinct between
    # concurrent jobs writing next to each other.
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    _remove(tmp)  # left over from a killed process that had the same pid
    try:
        tmp.mkdir()
        build(tmp)
    except BaseException:
        _remove(tmp)
        raise
    _remove(old)
    moved_aside = False
    try:
        if final.exists() or final.is_symlink():
            os.replace(final, old)
            moved_aside = True
        os.replace(tmp, final)
    except BaseException:
        if moved_aside and not final.exists():
            os.replace(old, final)  # put the previous store back
        _remove(tmp)
        raise
    if moved_aside:
        _remove(old)
    return final


# ---------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------


def _leading_chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Chunk shape splitting only the leading dimension into pieces >= ~1 MB.

    One chunk if the whole array is smaller than :data:`CHUNK_BYTES`.  Chunk
    lengths must be >= 1 even for empty dimensions.
    """
    if not shape:
        return ()
    row_bytes = max(1, itemsize) * math.prod(max(1, n) for n in shape[1:])
    rows = max(1, math.ceil(CHUNK_BYTES / row_bytes))
    return (max(1, min(shape[0], rows)),) + tuple(max(1, n) for n in shape[1:])


def _itemsize(var: xr.Variable) -> int:
    # Variable-length strings/objects have no fixed size; guess a typical one.
    return 64 if var.dtype.kind == "O" or var.dtype.itemsize == 0 else var.dtype.itemsize


def write_dataset(
    ds: xr.Dataset,
    path: str | os.PathLike,
    *,
    title: str,
    source: str,
    references: str,
    provenance: dict,
) -> Path:
    """Write ``ds`` atomically as a Zarr format-3 store at ``path``.

    Parameters
    ----------
    ds
        The data.  Dimensions and coordinates must be named; ``units`` (and any
        other attrs) of variables and coordinates are written as given.  Any
        encoding carried over from a previously read store is dropped, so the
        on-disk layout is always the one defined here.
    path
        Final location (a directory, conventionally ``*.zarr``).  An existing
        store there is replaced only once the new one is complete.
    title, source, references
        Root attrs: what the data is; the rule and wildcards that made it;
        paper and equation numbers it implements.
    provenance
        JSON-compatible dict, normally from :func:`provenance`.

    Returns
    -------
    pathlib.Path
        The absolute path of the written store.

    Raises
    ------
    TypeError
        If a root attr is not a string or ``provenance`` is not JSON-compatible.
    """
    for name, value in (("title", title), ("source", source), ("references", references)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not isinstance(provenance, Mapping):
        raise TypeError(f"provenance must be a dict, got {type(provenance).__name__}")
    prov = _to_json(provenance, "provenance")

    out = ds.drop_encoding()
    out.attrs = {
        **{k: v for k, v in ds.attrs.items() if k not in _ROOT_ATTRS},
        "title": title,
        "source": source,
        "references": references,
        "provenance": prov,
    }
    encoding: dict[str, dict[str, Any]] = {}
    for name, var in out.variables.items():
        chunks = _leading_chunks(var.shape, _itemsize(var))
        encoding[str(name)] = {"chunks": chunks, "compressors": [ZstdCodec(level=_ZSTD_LEVEL)]}
        if var.chunks is not None:
            # dask-backed: xarray requires dask chunks aligned with Zarr chunks
            out[name] = var.chunk(dict(zip(var.dims, chunks)))

    def build(tmp: Path) -> None:
        out.to_zarr(
            tmp,
            mode="w",
            zarr_format=3,
            consolidated=False,
            encoding=encoding,
            # Zarr 3 skips chunks equal to the fill value by default; writing
            # every chunk lets read_dataset tell "deleted" from "never written".
            write_empty_chunks=True,
        )

    return _atomic_write(path, build)


def _check_store(path: Path) -> zarr.Group:
    """Open ``path`` as a complete Zarr format-3 group, or raise StoreError."""
    if not path.exists():
        raise StoreError(f"{path}: no such store (path does not exist)")
    if not path.is_dir():
        raise StoreError(f"{path}: not a Zarr store (not a directory)")
    meta_file = path / "zarr.json"
    if not meta_file.exists():
        what = "empty directory" if not any(path.iterdir()) else "directory without zarr.json"
        raise StoreError(f"{path}: not a Zarr store ({what})")
    try:
        meta = json.loads(meta_file.read_bytes())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: corrupt store (zarr.json is not valid JSON: {exc})") from exc
    if not isinstance(meta, dict) or meta.get("zarr_format") != 3 or meta.get("node_type") != "group":
        raise StoreError(f"{path}: corrupt store (zarr.json does not describe a Zarr format-3 group)")
    try:
        group = zarr.open_group(str(path), mode="r", zarr_format=3)
        arrays = list(group.arrays())
    except Exception as exc:
        raise StoreError(f"{path}: corrupt store ({type(exc).__name__}: {exc})") from exc
    for name, array in arrays:
        # Zarr silently substitutes the fill value for a missing chunk file;
        # every chunk was written (write_empty_chunks=True), so a gap is damage.
        try:
            present, expected = array.nchunks_initialized, array.nchunks
        except Exception as exc:
            raise StoreError(f"{path}: corrupt store (array {name!r}: {exc})") from exc
        if present != expected:
            raise StoreError(
                f"{path}: corrupt store (array {name!r} has {present} of {expected} chunk files; "
                "missing chunks would read as fill values)"
            )
    return group


@_ignoring_snakemake_marker
def read_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Read a store written by :func:`write_dataset` fully into memory.

    Returns a loaded (numpy-backed) Dataset; root attrs are decoded, so
    ``ds.attrs["provenance"]`` is a dict.  Raises :class:`StoreError` naming
    ``path`` if the store is missing, empty or corrupt (unreadable metadata,
    missing or undecodable chunks).
    """
    path = Path(path).absolute()
    _check_store(path)
    try:
        with xr.open_zarr(path, consolidated=False, zarr_format=3, chunks=None) as ds:
            return ds.load()
    except Exception as exc:
        raise StoreError(f"{path}: corrupt store ({type(exc).__name__}: {exc})") from exc


# ---------------------------------------------------------------------------
# model weights
# ---------------------------------------------------------------------------

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
    prov = _to_json(provenance, "provenance")

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
                chunks=_leading_chunks(data.shape, data.dtype.itemsize),
                compressors=[ZstdCodec(level=_ZSTD_LEVEL)],
                fill_value=0,
                attributes={"torch_dtype": torch_dtype},
                # write every chunk, even all-zero biases, so a missing chunk
                # file can be detected on load
                config={"write_empty_chunks": True},
            )
            array[...] = data

    return _atomic_write(path, build)


@_ignoring_snakemake_marker
def load_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load weights written by :func:`save_state_dict`.

    Returns a new dict of CPU tensors in the original key order and dtypes,
    ready for ``module.load_state_dict``.  Raises :class:`StoreError` naming
    ``path`` if the group is missing, empty or corrupt.
    """
    import torch

    path = Path(path).absolute()
    group = _check_store(path)
    try:
        keys = group.attrs["keys"]
        members = dict(group.arrays())
        if sorted(keys) != sorted(members):
            raise ValueError(f"arrays {sorted(members)} do not match the recorded keys {sorted(keys)}")
        out: dict[str, torch.Tensor] = {}
        for key in keys:
            array = members[key]
            dtype = getattr(torch, array.attrs["torch_dtype"])
            # np.array(copy) rather than ascontiguousarray, which turns 0-d into 1-d
            tensor = torch.from_numpy(np.array(array[...], copy=True).reshape(array.shape))
            out[key] = tensor if tensor.dtype == dtype else tensor.view(dtype)
    except Exception as exc:
        raise StoreError(f"{path}: corrupt weight store ({type(exc).__name__}: {exc})") from exc
    return out

"""On-disk layout shared by every store: codecs, chunking, atomic writes and the integrity checks.

Every array is compressed with Zstandard (level 3, deterministic) and then carries a CRC-32C checksum
of its compressed chunk (the Zarr v3 ``crc32c`` codec), so a flipped byte is an error when the chunk
is read, not a silently different number.
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import xarray as xr
import zarr
from zarr.codecs import Crc32cCodec, ZstdCodec

__all__ = [
    "CHUNK_BYTES",
    "StoreError",
    "array_codecs",
    "leading_chunks",
    "itemsize_of",
    "atomic_write",
    "open_checked",
    "damaged_array",
    "ignoring_snakemake_marker",
]

#: Target minimum chunk size in bytes (DESIGN.md: "about 1 MB or more").
CHUNK_BYTES = 1 << 20

#: Zstandard level 3: a good speed/ratio trade-off, and deterministic output.
ZSTD_LEVEL = 3


class StoreError(OSError):
    """A store is missing, empty or corrupt; the message names the path (and the array, if one is damaged)."""


def array_codecs() -> list:
    """The bytes-to-bytes codecs of every array: Zstandard, then a CRC-32C checksum of the result."""
    return [ZstdCodec(level=ZSTD_LEVEL), Crc32cCodec()]


# Snakemake drops an empty ``.snakemake_timestamp`` file into every directory() output; zarr
# warns about the unknown object on every read. It is expected and harmless: silence just that.
SNAKEMAKE_MARKER = r"Object at \.snakemake_timestamp is not recognized"


def ignoring_snakemake_marker(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=SNAKEMAKE_MARKER)
            return fn(*args, **kwargs)

    return wrapper


def remove(path: Path) -> None:
    """Delete a file or directory tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def atomic_write(path: str | os.PathLike, build: Callable[[Path], None]) -> Path:
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
    remove(tmp)  # left over from a killed process that had the same pid
    try:
        tmp.mkdir()
        build(tmp)
    except BaseException:
        remove(tmp)
        raise
    remove(old)
    moved_aside = False
    try:
        if final.exists() or final.is_symlink():
            os.replace(final, old)
            moved_aside = True
        os.replace(tmp, final)
    except BaseException:
        if moved_aside and not final.exists():
            os.replace(old, final)  # put the previous store back
        remove(tmp)
        raise
    if moved_aside:
        remove(old)
    return final


# ---------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------


def leading_chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Chunk shape splitting only the leading dimension into pieces >= ~1 MB.

    One chunk if the whole array is smaller than :data:`CHUNK_BYTES`.  Chunk
    lengths must be >= 1 even for empty dimensions.
    """
    if not shape:
        return ()
    row_bytes = max(1, itemsize) * math.prod(max(1, n) for n in shape[1:])
    rows = max(1, math.ceil(CHUNK_BYTES / row_bytes))
    return (max(1, min(shape[0], rows)),) + tuple(max(1, n) for n in shape[1:])


def itemsize_of(var: xr.Variable) -> int:
    # Variable-length strings/objects have no fixed size; guess a typical one.
    return 64 if var.dtype.kind == "O" or var.dtype.itemsize == 0 else var.dtype.itemsize


def open_checked(path: Path) -> zarr.Group:
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


def damaged_array(path: Path) -> str | None:
    """Name of the first array of the store at ``path`` whose chunks do not decode (a checksum
    mismatch, a truncated or altered chunk), or None when all decode. Used only after a read failed,
    to say which array is damaged."""
    group = zarr.open_group(str(path), mode="r", zarr_format=3)
    for name, array in group.arrays():
        try:
            array[...]
        except Exception:
            return name
    return None

"""xarray Datasets as Zarr format-3 stores: written atomically with their provenance, read back whole."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from coarsepde.store.layout import (
    StoreError,
    array_codecs,
    atomic_write,
    damaged_array,
    ignoring_snakemake_marker,
    itemsize_of,
    leading_chunks,
    open_checked,
)
from coarsepde.store.metadata import to_json

__all__ = ["ROOT_ATTRS", "write_dataset", "read_dataset"]

#: Root attrs that this module owns; the caller passes them as arguments.
ROOT_ATTRS = ("title", "source", "references", "provenance")


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
    prov = to_json(provenance, "provenance")

    out = ds.drop_encoding()
    out.attrs = {
        **{k: v for k, v in ds.attrs.items() if k not in ROOT_ATTRS},
        "title": title,
        "source": source,
        "references": references,
        "provenance": prov,
    }
    encoding: dict[str, dict[str, Any]] = {}
    for name, var in out.variables.items():
        chunks = leading_chunks(var.shape, itemsize_of(var))
        encoding[str(name)] = {"chunks": chunks, "compressors": array_codecs()}
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

    return atomic_write(path, build)


@ignoring_snakemake_marker
def read_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Read a store written by :func:`write_dataset` fully into memory.

    Returns a loaded (numpy-backed) Dataset; root attrs are decoded, so
    ``ds.attrs["provenance"]`` is a dict.  Raises :class:`StoreError` naming
    ``path`` if the store is missing, empty or corrupt (unreadable metadata,
    missing chunks), and naming the array too when a chunk does not decode
    (its CRC-32C checksum does not match, or it is truncated).
    """
    path = Path(path).absolute()
    open_checked(path)
    try:
        with xr.open_zarr(path, consolidated=False, zarr_format=3, chunks=None) as ds:
            return ds.load()
    except Exception as exc:
        name = damaged_array(path)
        where = f" (array {name!r})" if name is not None else ""
        raise StoreError(f"{path}: corrupt store{where}: {type(exc).__name__}: {exc}") from exc

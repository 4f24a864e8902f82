"""What the X claims read from the pipeline's Zarr stores: two stores compared bit for bit
(X-determinism) and the provenance of each store's root group (X-provenance).

The checks of :mod:`.x` score the records built here; this module only reads.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coarsepde.store import StoreError, read_dataset

__all__ = ["StoreComparison", "compare_stores", "ProvenanceAudit", "audit_provenance", "find_stores"]

# Snakemake's marker in a directory() output: written by Snakemake after the job, not part of the data.
SNAKEMAKE_MARKER = ".snakemake_timestamp"
# what every store's provenance lists under ``packages`` at least (coarsepde.store.metadata.PACKAGES has more)
REQUIRED_PACKAGES = ("python", "numpy", "coarsepde")


@dataclass(frozen=True)
class StoreComparison:
    """Two stores compared: every decoded array (coordinates included) bit for bit, every file byte for byte.

    ``arrays_differing`` maps an array to its number of differing elements (all of them when the
    shape or dtype differs or the array is in one store only); ``files_differing`` lists files (chunks
    and metadata, relative paths) whose bytes differ, ``files_missing`` files present in one store only.
    ``error`` says why a store could not be decoded (then no array counts as compared).
    """

    arrays: tuple[str, ...]
    elements: int
    arrays_differing: dict[str, int]
    files: int
    files_differing: tuple[str, ...]
    files_missing: tuple[str, ...]
    error: str = ""

    @property
    def identical(self) -> bool:
        return bool(
            not self.error
            and self.arrays
            and self.files
            and not self.arrays_differing
            and not self.files_differing
            and not self.files_missing
        )


def _differing_elements(a: np.ndarray, b: np.ndarray) -> int:
    """Elements of ``a`` and ``b`` whose bytes differ (NaN equals NaN only with the same bits)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return max(a.size, b.size, 1)
    if a.dtype.kind == "O":
        return int(sum(x != y for x, y in zip(a.ravel().tolist(), b.ravel().tolist())))
    if a.size == 0:
        return 0
    bytes_a = np.ascontiguousarray(a).view(np.uint8).reshape(a.size, -1)
    bytes_b = np.ascontiguousarray(b).view(np.uint8).reshape(b.size, -1)
    return int(np.any(bytes_a != bytes_b, axis=1).sum())


def _files(root: Path) -> dict[str, Path]:
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            if name != SNAKEMAKE_MARKER:
                path = Path(dirpath) / name
                out[path.relative_to(root).as_posix()] = path
    return out


def compare_stores(reference: str | os.PathLike, rerun: str | os.PathLike) -> StoreComparison:
    """Compare two stores written by :func:`coarsepde.store.write_dataset`: decoded arrays and raw files."""
    arrays: tuple[str, ...] = ()
    elements = 0
    differing: dict[str, int] = {}
    error = ""
    try:
        ds_a, ds_b = read_dataset(reference), read_dataset(rerun)
    except StoreError as exc:
        error = str(exc)
    else:
        names = sorted(set(ds_a.variables) | set(ds_b.variables), key=str)
        arrays = tuple(str(n) for n in names)
        for name in names:
            if name not in ds_a.variables or name not in ds_b.variables:
                var = ds_a.variables.get(name, ds_b.variables.get(name))
                differing[str(name)] = max(var.size, 1)
                continue
            a, b = ds_a[name].values, ds_b[name].values
            elements += a.size
            n = _differing_elements(a, b)
            if n:
                differing[str(name)] = n
    files_a, files_b = _files(Path(reference)), _files(Path(rerun))
    common = sorted(set(files_a) & set(files_b))
    return StoreComparison(
        arrays=arrays,
        elements=elements,
        arrays_differing=differing,
        files=len(common),
        files_differing=tuple(f for f in common if files_a[f].read_bytes() != files_b[f].read_bytes()),
        files_missing=tuple(sorted(set(files_a) ^ set(files_b))),
        error=error,
    )


@dataclass(frozen=True)
class ProvenanceAudit:
    """The provenance of one store's root group.

    ``defects`` names what is missing or unusable (empty when the store carries config, seed, package
    versions and code version); ``seed`` is the recorded seed (None: the producing rule draws nothing at
    random, or records its seeds in ``params``); ``rule`` and ``code_version`` as recorded.
    """

    path: str
    rule: str | None
    seed: int | None
    code_version: str
    defects: tuple[str, ...]


def audit_provenance(path: str | os.PathLike) -> ProvenanceAudit:
    """Read the root ``zarr.json`` of ``path`` and check its provenance record.

    Defects: no readable root metadata; no ``provenance``; ``params`` (the configuration) not a non-empty
    mapping; no ``seed`` key, or a null seed while ``params`` holds a non-null ``seed``; ``packages``
    without the versions of :data:`REQUIRED_PACKAGES`; ``code_version`` missing, empty or ``unknown``.
    """
    path = Path(path)
    try:
        attrs = json.loads((path / "zarr.json").read_text(encoding="utf-8")).get("attributes", {})
    except (OSError, ValueError) as exc:
        return ProvenanceAudit(str(path), None, None, "", (f"unreadable root metadata ({type(exc).__name__})",))
    prov = attrs.get("provenance")
    if not isinstance(prov, dict):
        return ProvenanceAudit(str(path), None, None, "", ("provenance",))
    defects = []
    params = prov.get("params")
    if not isinstance(params, dict) or not params:
        defects.append("params")
    if "seed" not in prov:
        defects.append("seed")
    elif prov["seed"] is None and isinstance(params, dict) and params.get("seed") is not None:
        defects.append("seed (null, but params hold one)")
    packages = prov.get("packages")
    if not isinstance(packages, dict) or any(not packages.get(k) for k in REQUIRED_PACKAGES):
        defects.append("packages")
    version = prov.get("code_version")
    if not isinstance(version, str) or version in ("", "unknown"):
        defects.append("code_version")
    return ProvenanceAudit(
        path=str(path),
        rule=prov.get("rule"),
        seed=prov.get("seed"),
        code_version=version if isinstance(version, str) else "",
        defects=tuple(defects),
    )


def find_stores(patterns: Iterable[str], root: str | os.PathLike = ".") -> list[Path]:
    """The stores under ``root`` matching rules' output patterns (``{wildcard}`` matches within one path
    component). Checkpoints (``*.checkpoint.zarr``, kept beside an output while its job runs) are not
    outputs and are left out; so is anything without a root ``zarr.json``. Sorted, without repeats."""
    found = set()
    for pattern in patterns:
        for hit in glob.glob(re.sub(r"\{[^{}]+\}", "*", pattern), root_dir=root):
            path = Path(root) / hit
            if not hit.endswith(".checkpoint.zarr") and (path / "zarr.json").is_file():
                found.add(path)
    return sorted(found)

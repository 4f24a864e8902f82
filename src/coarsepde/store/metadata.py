"""Provenance of a stored result: the parameters, seed, rule, package versions and code version.

Nothing time- or host-dependent is recorded, so writing the same data twice gives the same bytes.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["package_versions", "code_version", "to_json", "provenance"]

#: Packages whose versions are recorded in every store's provenance.
PACKAGES = ("numpy", "scipy", "xarray", "zarr", "pandas", "torch", "snakemake", "coarsepde")


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the results.

    Read from installed distribution metadata (``importlib.metadata``) rather
    than by importing, so that recording provenance never pulls in torch.
    Missing packages are reported as ``"not installed"``.
    """
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
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
    root = Path(__file__).resolve().parents[3]
    # Require the repository root itself: for an installed copy, parents[3] is
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


def to_json(value: Any, where: str) -> Any:
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
        return (
            [to_json(v, f"{where}[{i}]") for i, v in enumerate(value.tolist())]
            if value.ndim
            else to_json(value.item(), where)
        )
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not a string (JSON object keys must be strings)")
            out[str(key)] = to_json(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
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
        "params": to_json(params, "params"),
        "seed": None if seed is None else to_json(seed, "seed"),
        "rule": rule,
        "wildcards": to_json(dict(wildcards or {}), "wildcards"),
        "packages": package_versions(),
        "code_version": code_version(),
    }


# ---------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------

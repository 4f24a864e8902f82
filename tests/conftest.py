"""Shared fixtures: a private copy of the workflow to run Snakemake in."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coarsepde.store import code_version

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = ["Snakefile", "workflow", "config", "profiles", "envs", "src"]

# Full-precision kappas of Arbabi et al. Eq. (26) (the authors' C3x3.mat; the paper prints 4 decimals).
KAPPA_X = [
    [1.05684438, 0.66676888, 1.15675708],
    [6.5894328, 0.86827221, 2.41737311],
    [0.94728805, 1.14069345, 1.66103315],
]
KAPPA_Y = [
    [3.63548983, 0.44704166, 2.38957296],
    [0.86278846, 4.85580735, 0.28333723],
    [4.50245113, 1.58647044, 0.56792259],
]


def copy_workflow(dest: Path) -> Path:
    for part in WORKFLOW_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / part)
    return dest


def snakemake_env() -> dict:
    """The environment of a Snakemake run in a workflow copy: the venv's bin/ leads PATH, and, as a copy has
    no .git, its stores record the code version of the checkout it was copied from."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("COARSEPDE_CODE_VERSION", code_version())
    return env


def snakemake(cwd: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run this interpreter's Snakemake in ``cwd``; the venv's bin/ leads PATH so jobs find `python`."""
    env = snakemake_env()
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout
    )


@pytest.fixture
def workflow_copy(tmp_path):
    return copy_workflow(tmp_path)

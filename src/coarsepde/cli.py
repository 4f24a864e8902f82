"""Small argument-parsing helpers shared by the workflow scripts (the scripts stay thin).

Matrices and lists travel on the command line in a compact, explicit form so that a rule's
shell command shows every number it uses: rows separated by ";", entries by ",".
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import numpy as np

__all__ = [
    "matrix",
    "int_pairs",
    "alignment",
    "wildcard",
    "ScriptParser",
    "common_parser",
    "read_settings",
    "setup_logging",
    "add_patch1d_args",
    "patch1d_kwargs",
]


def matrix(text: str) -> np.ndarray:
    """'1,2,3;4,5,6' -> 2x3 float array."""
    try:
        rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
        arr = np.array(rows, dtype=float)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a matrix 'a,b,c;d,e,f': {text!r} ({exc})") from exc
    if arr.ndim != 2:
        raise argparse.ArgumentTypeError(f"ragged matrix: {text!r}")
    return arr


def int_pairs(text: str) -> np.ndarray:
    """'1,0;0,1' -> [[1, 0], [0, 1]]."""
    arr = matrix(text)
    if arr.shape[1] != 2 or not np.all(arr == np.round(arr)):
        raise argparse.ArgumentTypeError(f"expected integer pairs 'a,b;c,d': {text!r}")
    return arr.astype(int)


def alignment(text: str) -> tuple[str, tuple[tuple[int, int], tuple[int, int]]]:
    """'code:1,2:2,1' -> ("code", ((1, 2), (2, 1)))."""
    try:
        name, xo, yo = text.split(":")
        xoff = tuple(int(v) for v in xo.split(","))
        yoff = tuple(int(v) for v in yo.split(","))
        assert len(xoff) == 2 and len(yoff) == 2
    except (ValueError, AssertionError) as exc:
        raise argparse.ArgumentTypeError(f"expected NAME:xP,xQ:yP,yQ, got {text!r}") from exc
    return name, (xoff, yoff)


class ScriptParser(argparse.ArgumentParser):
    """An argument parser whose ``--wildcard NAME=VALUE`` flags arrive as one dict, ``args.wildcards``."""

    def parse_known_args(self, args=None, namespace=None):
        ns, rest = super().parse_known_args(args, namespace)
        pairs = getattr(ns, "wildcards", None)
        if isinstance(pairs, list):
            names = [name for name, _ in pairs]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                self.error(f"--wildcard given twice for {dup}")
            ns.wildcards = dict(pairs)
        return ns, rest


def common_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the arguments every script shares (provenance and scale)."""
    p = ScriptParser(description=description)
    p.add_argument("--seed", type=int, default=None, help="root seed (recorded in provenance)")
    p.add_argument("--scale", default="unknown", help="name of the config scale (ci/default/paper)")
    p.add_argument("--rule", default=None, help="Snakemake rule name, recorded in provenance")
    p.add_argument(
        "--wildcard",
        dest="wildcards",
        type=wildcard,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a wildcard of the Snakemake job (repeat for each), recorded in provenance",
    )
    return p


def wildcard(text: str) -> tuple[str, str]:
    """'factor=16' -> ("factor", "16")."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def setup_logging() -> logging.Logger:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    return logging.getLogger("coarsepde")


#: (argument, type) of the P2 1D problem: geometry, micro solver, macro stepping, initial conditions
_PATCH1D_ARGS = [
    ("eps", float),
    ("a_mean", float),
    ("a_amplitude", float),
    ("macro_nodes", int),
    ("tooth_width", float),
    ("patch_width", float),
    ("points_per_period", int),
    ("burst", float),
    ("burst_first_step", float),
    ("burst_growth", float),
    ("lift_degree", int),
    ("ic_terms", int),
    ("ic_amplitude", float),
    ("ic_max_wavenumber", float),
    ("n_traj", int),
]


def add_simulation_checkpoint_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """--checkpoint / --checkpoint-outputs of the resumable fine simulations (coarsepde.resume)."""
    p.add_argument(
        "--checkpoint",
        default=None,
        help="resumable run: commit the outputs every --checkpoint-outputs to this Zarr group, go on from "
        "it after a restart (same bits), remove it at the end",
    )
    p.add_argument("--checkpoint-outputs", type=int, default=100, help="outputs per committed chunk")
    return p


#: argparse destinations that must not enter a store's provenance (the store does not depend on them)
CHECKPOINT_ARGS = ("checkpoint", "checkpoint_outputs")


def add_patch1d_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The P2 1D problem's arguments, shared by its scripts (same flags, same meaning)."""
    for name, typ in _PATCH1D_ARGS:
        p.add_argument("--" + name.replace("_", "-"), type=typ, required=True)
    return p


def patch1d_kwargs(args: argparse.Namespace) -> dict:
    """Keyword arguments for coarsepde.homogenization.problem1d.setup (the seed included)."""
    return {name: getattr(args, name) for name, _ in _PATCH1D_ARGS} | {"seed": args.seed}


def read_settings(path: str) -> dict:
    """A settings file written by the workflow (rule settings_file: a config excerpt as JSON)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot read the settings file {path}: {exc}") from exc

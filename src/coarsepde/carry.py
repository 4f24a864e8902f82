"""Carry a long run's finished work from one machine to the next: ``python -m coarsepde.carry pack|unpack``.

A paper-protocol run (P1: about 23 core-hours) outlives the machine it starts on. Its expensive stores (trained
models, their histories, the checkpoints of trainings in progress, the Snakemake benchmark files of finished jobs)
are small; the data they were trained on are large but cheap to regenerate and deterministic. ``pack`` writes the
former into one archive (gzip'd tar) with a manifest that fingerprints the latter; ``unpack`` on another checkout
restores the stores only after the data there have been regenerated and match those fingerprints bit for bit, and
sets the restored files' modification times to now, so that Snakemake (whose default rerun trigger is the modification
time of the inputs) counts them as up to date and resumes the checkpoints. Stores present in the checkout already
are left as they are.

The fingerprint of a Zarr store is the SHA-256 of its chunk files (relative path and bytes, sorted) without the
metadata documents (``zarr.json``: provenance, timestamps, the commit) and without Snakemake's marker: the
regenerated data of the same seeds give the same chunks.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import os
import sys
import tarfile
import time
from pathlib import Path

from coarsepde.store.metadata import code_version

__all__ = ["CarryError", "MANIFEST", "PRESETS", "store_fingerprint", "pack", "read_manifest", "unpack", "main"]

#: name of the manifest inside the archive
MANIFEST = "carry-manifest.json"
#: files of a store that do not count in its fingerprint
_METADATA = {"zarr.json", ".zgroup", ".zattrs", ".zarray", ".snakemake_timestamp"}

_P1PR = "discretization/protocol"
#: what a run carries: paths relative to ``base`` (the workflow's results folder)
PRESETS = {
    # P1 at the authors' own protocol (rule p1_protocol; docs/reproductions/p1-paper-protocol.md): its trainings
    # (finished models and histories, checkpoints of those in progress, Fig. 1's model, their logs and benchmark
    # files), not the evaluations (Fig. 1's: seconds, 14 MB) nor the coarse runs (minutes each, and large)
    "p1_protocol": {
        "base": "results",
        "archive": "docs/reproductions/p1-paper-protocol-carry.tar.gz",
        "include": [
            f"{_P1PR}/seed*/*/models/*",
            f"{_P1PR}/seed*/burgers/interpolation.*",  # the model and its checkpoint; the evaluation is rebuilt
            "benchmarks/p1_protocol_train_*",
            "benchmarks/p1_protocol_interpolation_*",
            "logs/p1_protocol_train_*",
            "logs/p1_protocol_interpolation_*",
        ],
        "data": [f"{_P1PR}/{eq}/{split}.zarr" for eq in ("burgers", "kdv", "ks") for split in ("train", "test")],
    }
}


class CarryError(RuntimeError):
    """The archive does not fit this checkout (missing or different data, a malformed archive)."""


def store_fingerprint(path: str | os.PathLike) -> str:
    """SHA-256 over the chunk files of the Zarr store at ``path`` (relative path and bytes, in sorted order)."""
    root = Path(path)
    if not root.is_dir():
        raise CarryError(f"{root}: no such store")
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in _METADATA):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _matches(rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) for p in patterns)


def _top_level(base: Path, patterns: list[str]) -> list[str]:
    """The paths under ``base`` (files, or store directories as a whole) whose relative path matches a pattern."""
    found = []
    for dirpath, dirnames, filenames in os.walk(base):
        d = Path(dirpath)
        kept = []
        for n in sorted(dirnames):
            rel = (d / n).relative_to(base).as_posix()
            (found.append(rel) if _matches(rel, patterns) else kept.append(n))
        dirnames[:] = kept  # a matched directory goes whole: do not descend into it
        found += [
            (d / n).relative_to(base).as_posix()
            for n in sorted(filenames)
            if _matches((d / n).relative_to(base).as_posix(), patterns)
        ]
    return sorted(found)


def pack(
    base: str | os.PathLike,
    include: list[str],
    data: list[str],
    archive: str | os.PathLike,
    note: str = "",
) -> dict:
    """Write the paths under ``base`` matching ``include`` (fnmatch patterns on paths relative to ``base``; a
    matched directory is taken whole) into ``archive``, with a manifest holding the fingerprints of the ``data``
    stores (paths relative to ``base``) that exist (a scale without some equation has none of its data, and no
    store of it to carry either); an error if none does. Returns the manifest."""
    base = Path(base)
    paths = _top_level(base, include)
    if not paths:
        raise CarryError(f"nothing under {base} matches {include}")
    present = [d for d in data if (base / d).is_dir()]
    if data and not present:
        raise CarryError(f"none of the data stores exists under {base}: {data}")
    manifest = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": code_version(),
        "note": note,
        "data": {d: store_fingerprint(base / d) for d in present},
        "data_absent": [d for d in data if d not in present],
        "paths": paths,
    }
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    tmp = archive.with_name(archive.name + ".partial")
    with tarfile.open(tmp, "w:gz") as tar:
        blob = json.dumps(manifest, indent=1).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime = len(blob), int(time.time())
        tar.addfile(info, io.BytesIO(blob))
        for p in paths:
            tar.add(base / p, arcname=p, filter=_plain)
    tmp.replace(archive)
    return manifest


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Owner-free entries (the archive is committed; who ran it does not matter)."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def read_manifest(archive: str | os.PathLike) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        try:
            return json.load(tar.extractfile(MANIFEST))
        except KeyError:
            raise CarryError(f"{archive}: no {MANIFEST}; not an archive of coarsepde.carry") from None


def unpack(archive: str | os.PathLike, base: str | os.PathLike, include: list[str] | None = None, log=print) -> dict:
    """Restore the archive's paths under ``base`` once its data stores there match the manifest's fingerprints;
    paths present already are kept, and with ``include`` (fnmatch patterns, a preset's) paths that match none are
    skipped: an archive packed under older patterns restores only what the run still carries. Restored files get
    the current time as modification time. Returns ``{"restored": [...], "kept": [...], "skipped": [...]}``."""
    base = Path(base)
    manifest = read_manifest(archive)
    bad = []
    for d, fp in manifest["data"].items():
        if not (base / d).is_dir():
            bad.append(f"{d}: missing (build it first)")
        elif store_fingerprint(base / d) != fp:
            bad.append(f"{d}: differs from the data the archive's stores were made from")
    if bad:
        raise CarryError("cannot restore " + os.fspath(archive) + ":\n  " + "\n  ".join(bad))
    skipped = [p for p in manifest["paths"] if include is not None and not _matches(p, include)]
    kept = [p for p in manifest["paths"] if p not in skipped and (base / p).exists()]
    restore = [p for p in manifest["paths"] if p not in kept and p not in skipped]
    now = time.time()
    with tarfile.open(archive, "r:gz") as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.name != MANIFEST and any(m.name == p or m.name.startswith(p + "/") for p in restore)
        ]
        tar.extractall(base, members=members, filter="data")
    for p in restore:
        target = base / p
        for f in [target, *target.rglob("*")] if target.is_dir() else [target]:
            os.utime(f, (now, now))
    for p in restore:
        log(f"restored {p}")
    for p in kept:
        log(f"kept {p} (present already)")
    for p in skipped:
        log(f"skipped {p} (matches none of the patterns carried now)")
    return {"restored": restore, "kept": kept, "skipped": skipped}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m coarsepde.carry", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("pack", help="write an archive of the finished work and the data's fingerprints")
    b = sub.add_parser("unpack", help="restore an archive once the data match")
    c = sub.add_parser("data", help="print the data stores a preset's archive needs (paths from the current folder)")
    c.add_argument("--preset", choices=sorted(PRESETS), required=True)
    for q in (a, b):
        q.add_argument("--preset", choices=sorted(PRESETS), help="a run's paths (coarsepde.carry.PRESETS)")
        q.add_argument("--base", help="directory the paths are relative to")
        q.add_argument("--archive")
    for q in (a, b):
        q.add_argument("--include", nargs="+", help="fnmatch patterns of paths to carry (unpack: to restore)")
    a.add_argument("--data", nargs="*", help="data stores (relative to --base) to fingerprint")
    a.add_argument("--note", default="")
    args = p.parse_args(argv)
    preset = PRESETS.get(args.preset, {})
    if args.command == "data":
        print(" ".join(str(Path(preset["base"]) / d) for d in preset["data"]))
        return 0
    for k, v in preset.items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
    need = ["base", "archive"] + (["include"] if args.command == "pack" else [])
    missing = [f"--{k}" for k in need if not getattr(args, k)]
    if missing:
        p.error(f"{args.command}: {', '.join(missing)} needed (or --preset)")
    try:
        if args.command == "pack":
            m = pack(args.base, args.include, args.data or [], args.archive, args.note)
            print(f"{args.archive}: {len(m['paths'])} paths, {len(m['data'])} data fingerprints, commit {m['commit']}")
        else:
            unpack(args.archive, args.base, args.include)
    except CarryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

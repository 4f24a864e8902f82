"""Snakemake's lock after a killed run: tell a stale lock from a live one, and remove the stale one.

Snakemake locks a working directory (``.snakemake/locks``) while it runs and removes the lock when it
ends. A run killed hard (SIGKILL, a lost node, a closed laptop) leaves the lock behind, and the next
run stops with "Directory cannot be locked". The lock is stale exactly when no Snakemake process runs
in that directory; ``make run`` calls :func:`main` first, which then unlocks (``snakemake --unlock``),
and otherwise prints the one command to type.

Usage: ``python -m coarsepde.runlock [WORKDIR] [--snakemake PATH]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["held_locks", "snakemake_pids", "unlock_if_stale", "main"]


def held_locks(workdir: Path) -> list[Path]:
    """Lock files Snakemake left in ``workdir`` (empty when the directory is not locked)."""
    locks = Path(workdir) / ".snakemake" / "locks"
    return sorted(p for p in locks.iterdir() if p.is_file()) if locks.is_dir() else []


def snakemake_pids(workdir: Path) -> list[int]:
    """Processes (other than this one) running Snakemake with ``workdir`` as working directory (Linux /proc)."""
    target = Path(workdir).resolve()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:  # gone, or not ours to inspect
            continue
        # `snakemake ...` or `python -m snakemake ...` (an argument, not a substring of a path elsewhere)
        runs = any(Path(a.decode(errors="replace")).name == "snakemake" for a in argv[:3])
        if runs and cwd == target:
            found.append(int(proc.name))
    return found


def unlock_if_stale(workdir: Path, snakemake: str = "snakemake", extra: list[str] | None = None) -> str:
    """Unlock ``workdir`` when its lock is stale. Returns what happened, as a line for the user:
    ``""`` when there is no lock."""
    if not held_locks(workdir):
        return ""
    pids = snakemake_pids(workdir)
    if pids:
        return (
            f"coarsepde: Snakemake (pid {', '.join(map(str, pids))}) is running in {workdir} and holds its lock; "
            f"wait for it, or stop it and type: {snakemake} --unlock"
        )
    cmd = [snakemake, "--unlock", "--cores", "1", *(extra or [])]
    res = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if res.returncode != 0 or held_locks(workdir):
        raise RuntimeError(f"coarsepde: could not remove the stale lock ({' '.join(cmd)}):\n{res.stderr[-2000:]}")
    return f"coarsepde: removed the stale lock of a killed run in {workdir} (no Snakemake was running there)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workdir", nargs="?", default=".", type=Path)
    p.add_argument("--snakemake", default="snakemake", help="the snakemake executable to unlock with")
    p.add_argument("--configfile", default=None, help="passed on to snakemake --unlock")
    args = p.parse_args(argv)
    extra = ["--configfile", args.configfile] if args.configfile else []
    try:
        msg = unlock_if_stale(args.workdir, args.snakemake, extra)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    if msg:
        print(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The package code a workflow script runs, derived from its source.

A rule's code inputs are its script plus every ``coarsepde`` module in the script's import closure,
so a change to any of them reruns the rule (and, through the DAG, everything downstream). The closure
is read from the source with :mod:`ast` -- nothing is imported, so parsing the workflow stays fast and
does not need torch -- and covers imports at any depth (inside functions too), relative imports, and
the ``__init__`` of every package on a module's path (Python runs those on import). Data files that sit
beside an imported module in its package folder (``*.yaml``, ``*.json``) count as code too: the
package reads them.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

__all__ = ["import_closure", "imported_modules"]

PACKAGE = "coarsepde"
DATA_SUFFIXES = (".yaml", ".yml", ".json")


def _module_file(src: Path, dotted: str) -> Path | None:
    """The file that defines module ``dotted`` under ``src``: a package's __init__ or a module."""
    base = src.joinpath(*dotted.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def imported_modules(path: Path, src: Path) -> set[str]:
    """Dotted names of the ``coarsepde`` modules (or attributes of them) ``path`` imports.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a submodule); relative
    imports are resolved against the file's own package when it lies under ``src``.
    """
    path = Path(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    try:
        package = ".".join(path.resolve().relative_to(src.resolve()).parent.parts)
    except ValueError:  # a script outside the package: no relative imports
        package = None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if package is None:
                    raise ValueError(f"{path}:{node.lineno}: relative import outside the package")
                parts = package.split(".")
                keep = len(parts) - node.level + 1
                if keep < 1:
                    raise ValueError(f"{path}:{node.lineno}: relative import beyond the top-level package")
                base = ".".join(parts[:keep] + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] == PACKAGE}


def import_closure(script: str | Path, src: str | Path) -> list[str]:
    """Sorted paths of the package files ``script`` runs: modules, package ``__init__`` files and the
    data files beside them, transitively. Paths are relative to ``src``'s parent when ``src`` is
    relative (as Snakemake wants input paths relative to the working directory)."""
    return list(_closure(str(script), str(src)))


@functools.cache
def _closure(script: str, src_text: str) -> tuple[str, ...]:
    src = Path(src_text)
    seen: set[Path] = set()
    todo = [Path(script)]
    while todo:
        for dotted in imported_modules(todo.pop(), src):
            parts = dotted.split(".")
            for i in range(1, len(parts) + 1):  # every package on the path runs its __init__
                f = _module_file(src, ".".join(parts[:i]))
                if f is not None and f not in seen:
                    seen.add(f)
                    todo.append(f)
    data = {d for f in seen for d in f.parent.iterdir() if d.suffix in DATA_SUFFIXES and d.is_file()}
    return tuple(sorted(str(p) for p in seen | data))

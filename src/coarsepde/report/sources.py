"""Where an artifact comes from, read from the code: the package names a script calls, and the claim IDs
an artifact answers to.

Nothing here is written by hand per artifact. The workflow (``workflow/rules/report.smk``) finds, for each
figure and table of ``rule all``, the rule and job that make it, the rule's script and that script's import
closure; :func:`entry_points` adds the package names the script imports (the functions it calls), and
:func:`artifact_claim_ids` links the artifact to the catalogue's IDs by three independent routes: the
claim fragments its job writes, the catalogue's ``artifact`` column (``Fig 4``, ``Tables 1, 2``,
``P2 Figs 7-8``) against the file name (``P1_fig4.png``, ``P3_table2.md``), and the IDs its caption names.
This module imports no third-party package, so parsing the workflow stays fast.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Artifact", "entry_points", "artifact_refs", "file_ref", "artifact_claim_ids", "fragment_ids"]

PACKAGE = "coarsepde"

# "Fig 1 A,B,C", "Tables 1, 2", "Figs 7-8", "P2 Figs 7-8" (an X claim about another paper's figures)
_ARTIFACT = re.compile(r"^(?:(P\d)\s+)?(Figs?|Tables?)\s+(\d+(?:\s*[-,\u2013]\s*\d+)*)")
# results/figures/P1_fig4.png, results/tables/P3_table12.md
_FILE = re.compile(r"^(P\d)_(fig|table)(\d+)(?:\D|$)")


@dataclass(frozen=True)
class Artifact:
    """One section of the report: the files one job makes and the path that built them.

    ``files``: the figures (PNG) and tables (Markdown) of ``rule all`` the job writes; ``caption``: the
    report caption (reStructuredText, Jinja already rendered) or empty; ``rule``, ``wildcards``: the job;
    ``script``: the rule's workflow script; ``entry_points``: the package names the script imports;
    ``code``: the script's import closure in the package; ``fragments``: the claim fragments the job writes.
    """

    title: str
    files: tuple[str, ...]
    rule: str
    category: str = ""
    caption: str = ""
    caption_file: str = ""
    wildcards: dict[str, str] = field(default_factory=dict)
    script: str = ""
    entry_points: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    fragments: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping) -> Artifact:
        tuples = ("files", "entry_points", "code", "fragments")
        return cls(**{k: tuple(v) if k in tuples else v for k, v in d.items()})


def entry_points(script: str | Path) -> list[str]:
    """The ``coarsepde`` names a script imports (``from coarsepde.x import f`` -> ``coarsepde.x.f``;
    ``import coarsepde.x`` -> ``coarsepde.x``), in the order of the source, without repeats."""
    tree = ast.parse(Path(script).read_text(), filename=str(script))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == PACKAGE:
                names += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.split(".")[0] == PACKAGE]
    return list(dict.fromkeys(names))


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*,\s*", text):
        ends = [int(x) for x in re.split(r"\s*[-\u2013]\s*", part) if x]
        out += list(range(ends[0], ends[-1] + 1)) if ends else []
    return out


def artifact_refs(paper: str, artifact: str) -> set[tuple[str, str, int]]:
    """The (paper, "fig" | "table", number) a catalogue row's ``artifact`` names; empty for "Eq. 22",
    "benchmark", "stores"."""
    m = _ARTIFACT.match(artifact.strip())
    if not m:
        return set()
    kind = "fig" if m.group(2).startswith("Fig") else "table"
    return {(m.group(1) or paper, kind, n) for n in _numbers(m.group(3))}


def file_ref(path: str) -> tuple[str, str, int] | None:
    """(paper, kind, number) of an artifact file named like ``P1_fig4.png`` or ``P3_table12.md``."""
    m = _FILE.match(Path(path).name)
    return (m.group(1), m.group(2), int(m.group(3))) if m else None


def fragment_ids(paths: Iterable[str | Path]) -> list[str]:
    """The claim IDs in JSON claim fragments (one row or a list of rows each); missing files are skipped."""
    ids: list[str] = []
    for p in paths:
        if not Path(p).is_file():
            continue
        rows = json.loads(Path(p).read_text())
        ids += [r["id"] for r in (rows if isinstance(rows, list) else [rows])]
    return ids


def artifact_claim_ids(art: Artifact, catalogue: Mapping[str, tuple[str, str]]) -> list[str]:
    """The catalogue IDs an artifact answers to, in catalogue order: those its job's fragments report, those
    whose ``artifact`` column names one of its files, and those its caption names."""
    found = set(fragment_ids(art.fragments))
    refs = {r for f in art.files if (r := file_ref(f))}
    for cid, (paper, text) in catalogue.items():
        if refs & artifact_refs(paper, text) or re.search(rf"(?<![\w-]){re.escape(cid)}(?![\w-])", art.caption):
            found.add(cid)
    return [cid for cid in catalogue if cid in found]

"""Row 5: where the pipeline's wall time goes, from Snakemake's benchmark files ``results/benchmarks/*.tsv``
(columns s, h:m:s, max_rss, ..., cpu_time; one file per job, written by the ``benchmark:`` directive).

Files are mapped to rules through the ``benchmark:`` patterns of ``workflow/rules/*.smk`` (wildcards match
anything; a pattern without wildcards wins). Sums are of job wall-clock seconds (a parallel run's elapsed
time is less): per pipeline (P1: p1_*; P2: p2_* and effective_coefficients*; P3: p3_*; report: claims) and
the five rules with the largest sums. Rows have unit "s" and no ratio. Files of whatever runs happened
last are read (a rule rerun at another scale overwrites its file).
"""

from __future__ import annotations

import csv
import re

from common import ROOT, cpu_model, row

BENCH = ROOT / "results/benchmarks"


def _patterns() -> list[tuple[str, re.Pattern, int]]:
    """(rule, regex of the file name, number of wildcards) for every rule with a benchmark file."""
    out = []
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        rule = None
        lines = smk.read_text().splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"\s*(?:rule|checkpoint)\s+(\w+)\s*:", line)
            if m:
                rule = m.group(1)
            if rule and line.strip() == "benchmark:" and i + 1 < len(lines):
                m = re.search(r'"results/benchmarks/([^"]+\.tsv)"', lines[i + 1])
                if m:
                    pat = m.group(1)
                    parts = re.split(r"\{[^}]+\}", pat)
                    rx = re.compile("^" + ".+?".join(re.escape(p) for p in parts) + "$")
                    out.append((rule, rx, len(parts) - 1))
    return sorted(out, key=lambda r: r[2])  # exact names first


def pipeline_of(rule: str) -> str:
    if rule.startswith("p1_"):
        return "P1"
    if rule.startswith("p2_") or rule.startswith("effective_coefficients"):
        return "P2"
    if rule.startswith("p3_"):
        return "P3"
    return "report"


def run(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    files = sorted(BENCH.glob("*.tsv"))
    if not files:
        print(f"  SKIPPED (pipeline): no Snakemake benchmark files in {BENCH} (run `make run` first)")
        return []
    pats = _patterns()
    rules: dict[str, dict] = {}
    for f in files:
        name = f.name
        rule = next((r for r, rx, _ in pats if rx.match(name)), f.stem)
        with f.open() as fh:
            recs = list(csv.DictReader(fh, delimiter="\t"))
        if not recs:
            continue
        s = sum(float(r["s"]) for r in recs) / len(recs)
        cpu = sum(float(r.get("cpu_time") or 0.0) for r in recs) / len(recs)
        d = rules.setdefault(rule, {"s": 0.0, "cpu": 0.0, "jobs": 0, "max": (0.0, "")})
        d["s"] += s
        d["cpu"] += cpu
        d["jobs"] += 1
        d["max"] = max(d["max"], (s, f.stem))
    rows = []
    total = sum(d["s"] for d in rules.values())
    where = f"{cpu_model()}, Snakemake jobs (threads per the config)"
    for pl in ("P1", "P2", "P3", "report"):
        mine = {r: d for r, d in rules.items() if pipeline_of(r) == pl}
        if not mine:
            continue
        s = sum(d["s"] for d in mine.values())
        cpu = sum(d["cpu"] for d in mine.values())
        jobs = sum(d["jobs"] for d in mine.values())
        top = max(mine.items(), key=lambda kv: kv[1]["s"])
        rows.append(
            row(
                f"pipeline_{pl}",
                f"{pl} pipeline: sum of job wall-clock over {jobs} jobs of {len(mine)} rules "
                f"(CPU {cpu:.0f} s; {100 * s / total:.0f}% of all jobs' {total:.0f} s; largest rule "
                f"{top[0]}, {top[1]['s']:.0f} s), from results/benchmarks/*.tsv",
                s,
                "s",
                machine_str=where,
            )
        )
    for r, d in sorted(rules.items(), key=lambda kv: -kv[1]["s"])[:5]:
        rows.append(
            row(
                f"rule_{r}",
                f"rule {r} ({pipeline_of(r)}): {d['jobs']} job(s), sum of wall-clock (CPU "
                f"{d['cpu']:.0f} s; slowest job {d['max'][1]}, {d['max'][0]:.0f} s; {100 * d['s'] / total:.0f}% "
                f"of all jobs)",
                d["s"],
                "s",
                machine_str=where,
            )
        )
    for r in rows:
        print(f"  {r['name']:<30} {r['value']:8.0f} s")
    return rows

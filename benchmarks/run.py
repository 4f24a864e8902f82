#!/usr/bin/env python
"""coarsepde benchmark suite: side-by-side ratios of our solvers against the papers' approaches, measured
in ONE process on this machine (medians of interleaved repeats), written to a CSV and a bar chart.

Sections (``--sections``, default all):

  fine       P1 fine WENO solver: batched RK23 vs per-sample scipy RK23; cell-updates/s vs the
             memory-bandwidth bound
  p2         P2 patch dynamics vs the fully resolved eps = 1e-5 solver over the same interval; the
             space-time grid ratio of the configured geometry (claim P2-cost)
  accuracy   P1 learned coarse solvers vs WENO at the coarsest resolution with the same MAE
             (claim X-speed-equal-accuracy; needs the pipeline's models and evaluation stores)
  training   P1 NN training steps/s (torch 1 and 2 threads); P3 DC-RNN Adam iterations/s (FE, IMEX-BDF-2)
  engine     P3 batched DC-RNN fitting engine vs one fit at a time (fit-steps/s), vs a measured floor; ARS(2,2,2)
             vs IMEX-BDF-2 step cost
  pipeline   wall-clock per Snakemake rule from results/benchmarks/*.tsv, per pipeline and the top 5

``--quick`` shrinks every size (the regression test runs ``--quick --sections fine training p2``).

    python benchmarks/run.py                      # everything: results/benchmarks/benchmarks.{csv,png}
    python benchmarks/run.py --quick --sections fine --output-dir /tmp/b
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import yaml  # noqa: E402
from common import COLUMNS, ROOT  # noqa: E402

SECTIONS = ("fine", "p2", "accuracy", "training", "engine", "pipeline")


def _section(name: str):
    import importlib

    return importlib.import_module(f"bench_{name}")


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow(
                {k: ("" if r[k] is None else (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k])) for k in COLUMNS}
            )
    tmp.replace(path)


def read_csv(path: Path) -> list[dict]:
    out = []
    with path.open() as fh:
        for r in csv.DictReader(fh):
            for k in ("value", "reference", "ratio"):
                r[k] = float(r[k]) if r[k] not in ("", None) else None
            out.append(r)
    return out


def markdown(rows: list[dict]) -> str:
    """The rows as a markdown table (name, value, unit, reference, ratio, machine)."""

    def num(x):
        return "" if x is None else f"{x:.3g}"

    lines = ["| row | value | unit | reference | ratio | machine |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| `{r['name']}` | {num(r['value'])} | {r['unit']} | {num(r['reference'])} | "
            f"{'' if r['ratio'] is None else '**' + num(r['ratio']) + '**'} | {r['machine']} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes (seconds per section; the regression test)")
    p.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    p.add_argument("--repeats", type=int, default=None, help="interleaved repeats per timing (default 3, quick 3)")
    p.add_argument("--config", default=str(ROOT / "config/config.yaml"), help="scale whose sizes are benchmarked")
    p.add_argument("--output-dir", default=str(ROOT / "results/benchmarks"))
    p.add_argument("--no-plot", action="store_true")
    p.add_argument(
        "--markdown",
        action="store_true",
        help="measure nothing: print the existing CSV of --output-dir as a markdown table",
    )
    args = p.parse_args(argv)
    if args.markdown:
        print(markdown(read_csv(Path(args.output_dir) / "benchmarks.csv")))
        return 0
    cfg = yaml.safe_load(Path(args.config).read_text())
    repeats = args.repeats or 3
    out = Path(args.output_dir)
    rows: list[dict] = []
    t_all = time.perf_counter()
    for name in args.sections:
        t0 = time.perf_counter()
        print(f"[{name}]", flush=True)
        new = _section(name).run(cfg, args.quick, repeats)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        for r in new:
            if name != "pipeline":
                r["what"] += f"; 1-min load average {load:.1f} at the end of the section"
        rows += new
        print(f"[{name}] {len(new)} rows in {time.perf_counter() - t0:.0f} s", flush=True)
    write_csv(rows, out / "benchmarks.csv")
    if not args.no_plot:
        from plot import plot

        plot(rows, out / "benchmarks.png")
    print(f"wrote {out / 'benchmarks.csv'} ({len(rows)} rows) in {time.perf_counter() - t_all:.0f} s")
    for r in rows:
        ratio = "" if r["ratio"] is None or not math.isfinite(r["ratio"]) else f"  x{r['ratio']:.3g}"
        print(f"  {r['name']:<40} {r['value']:>12.4g} {r['unit']:<16}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

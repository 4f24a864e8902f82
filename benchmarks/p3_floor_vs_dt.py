#!/usr/bin/env python
"""Which snapshot spacing do Tables 3, 4 and 7 of the DC-RNN paper fit? (issue 21 item 7; docs/p3.md)

The converged optimum of a table's ansatz (``experiments.fit_one``'s converged protocol: trust-region least squares
on the l2 residual, then L-BFGS on the L1 loss, from the authors' initialisation and a one-step Adam end; the lowest
L1 loss kept) is the time-discretisation floor of the fitting scheme on the data. It is computed here on the
reconstructed data (IC-nb, nx = 1000, dt_fine = dx^2/2, 56 snapshots) with a snapshot every --strides fine steps
(8: dt_data = 4e-6, the reconstruction, which gives Table 3's forward-Euler rows to 3 digits), for forward Euler
(Table 3, the control), IMEX1 (Table 4) and IMEX-BDF-2 (Table 7), all M = 2, under the --config scale's converged
protocol, and printed beside the paper's rows.
A paper row far below the optimum at dt_data = 4e-6 cannot be a fit of the same ansatz to the same data; the stride
whose optimum it meets says how much finer its data must have been.

    .venv/bin/python benchmarks/p3_floor_vs_dt.py [--inv-eps 128 256 512] [--strides 8 4 2] \
        [--output docs/reproductions/p3-floor-vs-dt]

--output PREFIX writes PREFIX.md (the table, the command, the commit) and PREFIX.json (the Error% per table, stride
and 1/eps), which the P3 table claims cite (``claims.p3_protocols.floor_note``).

About 10 CPU-minutes with the defaults (27 fits of 10-50 s).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import torch
import yaml

from coarsepde.kinetic.experiments import (
    PAPER_ERRORS,
    TABLES,
    AdamProtocol,
    ConvergedProtocol,
    fit_one,
    protocols_from_settings,
)
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_nb

FINE_STEP = 5e-7  # dx^2 / 2 at nx = 1000


def converged_protocols(config: str) -> dict[str, ConvergedProtocol]:
    """The converged protocol per fitting scheme of a scale's config (kinetic.converged; "bdf" is every IMEX-BDF-q)."""
    with open(config) as f:
        conv = yaml.safe_load(f)["kinetic"]["converged"]
    _, by_key = protocols_from_settings({"adam": {}, "converged": conv})
    return {s: p for key, p in by_key.items() for s in (("bdf2", "bdf4") if key == "bdf" else (key,))}


def floors(inv_eps, strides, tables, converged: dict[str, ConvergedProtocol], log=print) -> dict:
    """{(table, stride, inv): (Error% of the converged optimum, its L1 loss, seconds)}."""
    out = {}
    for s in strides:
        setup = TransportSetup(eps=np.array([1.0 / k for k in inv_eps]), nx=1000, stride=s, n_snapshots=56)
        gen = generate_ars222(setup, ic_nb(setup.x))
        for i, inv in enumerate(inv_eps):
            data = FitData.from_generated(gen, i)
            for t in tables:
                spec = TABLES[t]
                t0 = time.perf_counter()
                res = fit_one(data, 1.0 / inv, spec.schemes[0], spec.K, spec.M, adam=AdamProtocol(1, 1e-3),
                              converged=converged[spec.schemes[0]], dictionary_g=spec.dictionary_g,
                              dictionary_rho=spec.dictionary_rho, log=lambda _m: None)  # fmt: skip
                out[(t, s, inv)] = (res["converged"]["error"], res["converged"]["loss"], time.perf_counter() - t0)
                log(
                    f"Table {t} stride {s} 1/eps = {inv}: Error% {out[(t, s, inv)][0]:.4g} ({out[(t, s, inv)][2]:.0f} s)",
                    flush=True,
                )
    return out


def markdown(res, inv_eps, strides, tables) -> str:
    lines = [
        "| table | scheme | dt_data | " + " | ".join(f"1/eps = {k}" for k in inv_eps) + " |",
        "|---|---|---|" + "---|" * len(inv_eps),
    ]
    for t in tables:
        scheme = TABLES[t].schemes[0]
        for s in strides:
            cells = " | ".join(f"{res[(t, s, k)][0]:.3g}" for k in inv_eps)
            lines.append(f"| {t} | {scheme}, M = {TABLES[t].M} | {s * FINE_STEP:.0e} (stride {s}) | {cells} |")
        paper = PAPER_ERRORS[t]
        lines.append(f"| {t} | paper | | " + " | ".join(f"{paper[k]:g}" for k in inv_eps) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inv-eps", type=int, nargs="+", default=[128, 256, 512])
    p.add_argument("--strides", type=int, nargs="+", default=[8, 4, 2], help="fine steps between snapshots")
    p.add_argument("--tables", type=int, nargs="+", default=[3, 4, 7])
    p.add_argument("--config", default="config/config.yaml", help="the scale whose converged protocol is used")
    p.add_argument("--output", default=None, help="also write PREFIX.md and PREFIX.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    bad = [t for t in args.tables if t not in TABLES or t == 11]
    if bad or any(s < 1 for s in args.strides):
        p.error(f"tables must be among 1-8 (got {bad}), strides >= 1")
    t0 = time.perf_counter()
    res = floors(args.inv_eps, args.strides, args.tables, converged_protocols(args.config))
    md = markdown(res, args.inv_eps, args.strides, args.tables)
    print(md)
    if args.output:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout
        head = (
            "# P3: the optimum of Tables 3, 4, 7 against the snapshot spacing (issue 21 item 7)\n\n"
            f"**Regenerate:** `.venv/bin/python {' '.join(sys.argv)}`\n\n"
            f"**Commit:** {commit.strip()}; **config:** {args.config} (kinetic.converged); "
            f"**wall-clock:** {(time.perf_counter() - t0) / 60:.1f} min, one thread.\n\n"
            "Error% (Eq. 6.2) of the converged optimum of each table's ansatz (M = 2) on the reconstructed data with a "
            "snapshot every `stride` fine steps (dt_data = stride x 5e-7; the reconstruction's is stride 8), and the "
            "paper's printed rows. Written by `benchmarks/p3_floor_vs_dt.py`; see docs/p3.md.\n\n"
        )
        with open(args.output + ".md", "w") as f:
            f.write(head + md)
        floors_json = {
            str(t): {str(s): {str(k): res[(t, s, k)][0] for k in args.inv_eps} for s in args.strides}
            for t in args.tables
        }
        with open(args.output + ".json", "w") as f:
            json.dump({"fine_step": FINE_STEP, "reconstruction_stride": 8, "floors": floors_json}, f, indent=1)


if __name__ == "__main__":
    main()

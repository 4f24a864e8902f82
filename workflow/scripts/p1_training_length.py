#!/usr/bin/env python
"""Supplement to P1 Fig. 4: the NN of one equation and resample factor trained for several lengths
(same data, seed and schedule rule), each integrated on the Fig. 4 test runs. Table: training steps,
final normalized validation MSE of the time derivative, median valid time with its bootstrap CI, and
the runs that diverged while still valid, beside the Fig. 4 methods at that factor. It shows whether
the time-derivative loss controls the stability of the learned scheme (the 2x KdV row of Fig. 4)."""

import numpy as np
import pandas as pd

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.metrics import bootstrap_median_ci
from coarsepde.store import read_dataset

NAMES = {"kdv": "KdV", "ks": "Kuramoto-Sivashinsky"}


def row(label, steps, val_mse, valid, t_div, n_boot, ci, seed):
    med, lo, hi = bootstrap_median_ci(valid, n_boot, ci, seed=seed)
    return {
        "method": label,
        "training_steps": steps,
        "val_mse": val_mse,
        "median_valid_time": med,
        "ci_low": lo,
        "ci_high": hi,
        "diverged": int(np.isfinite(t_div).sum()),
        "runs": len(valid),
    }


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--histories", nargs="+", required=True, help="training histories, one per length")
    p.add_argument("--evals", nargs="+", required=True, help="valid-time stores, in the order of --histories")
    p.add_argument("--fig4", required=True, help="the Fig. 4 valid-time store of this equation and factor")
    p.add_argument("--n-boot", type=int, required=True)
    p.add_argument("--ci", type=float, required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    if len(args.histories) != len(args.evals):
        p.error("need one valid-time store per training history")
    if args.seed is None:
        p.error("--seed is required (it seeds the bootstrap)")

    fig4 = read_dataset(args.fig4)
    eq, factor = fig4.attrs["equation"], int(fig4.attrs["factor"])
    rows = []
    for k, (h, e) in enumerate(zip(args.histories, args.evals)):
        hist, ev = read_dataset(h), read_dataset(e)
        if ev.attrs["equation"] != eq or int(ev.attrs["factor"]) != factor:
            p.error(f"{e} is {ev.attrs['equation']} at {ev.attrs['factor']}x, the Fig. 4 store {eq} at {factor}x")
        steps = int(hist.attrs["provenance"]["params"]["steps"])
        nn = {"method": "nn"}
        rows.append(
            row(
                "NN",
                steps,
                float(hist.attrs["final_val_mse"]),
                ev.valid_time.sel(nn).values,
                ev.t_diverged.sel(nn).values,
                args.n_boot,
                args.ci,
                args.seed + k,
            )
        )
    rows.sort(key=lambda r: r["training_steps"])
    for j, m in enumerate(str(m) for m in fig4.method.values):
        sel = {"method": m}
        rows.append(
            row(
                f"Fig. 4: {m}",
                None,
                None,
                fig4.valid_time.sel(sel).values,
                fig4.t_diverged.sel(sel).values,
                args.n_boot,
                args.ci,
                args.seed + 100 + j,
            )
        )
    df = pd.DataFrame(rows)
    df.insert(0, "equation", eq)
    df.insert(1, "factor", factor)
    df.to_csv(args.csv, index=False)

    t_max = float(fig4.attrs["t_max"])
    lines = [
        f"# P1 {NAMES.get(eq, eq)} at {factor}x: NN valid time vs training length (supplement to Fig. 4)",
        "",
        f"{df['runs'].iloc[0]} test simulations to t = {t_max:g} after the warm-up; valid while >= "
        f"{fig4.attrs['fraction']:g} of the cells are within tau = {fig4.attrs['threshold']:.4g}; median and "
        f"{args.ci:g} bootstrap CI. Same data, seed and learning-rate rule for every length; the Fig. 4 NN is "
        f"the configured length. Scale: {args.scale}.",
        "",
        "| method | training steps | validation MSE (normalized) | median valid time [CI] | diverged while valid |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        steps = "" if r["training_steps"] is None else f"{r['training_steps']:,}"
        mse = "" if r["val_mse"] is None else f"{r['val_mse']:.2e}"
        lines.append(
            f"| {r['method']} | {steps} | {mse} | {r['median_valid_time']:.3g} [{r['ci_low']:.3g}, "
            f"{r['ci_high']:.3g}] | {r['diverged']} of {r['runs']} |"
        )
    with open(args.md, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    log.info("wrote %s and %s:\n%s", args.csv, args.md, "\n".join(lines[5:]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P1 Fig. 4: median valid simulation time vs resample factor, one panel per equation (Burgers,
KdV, KS), one line per method, error bars the bootstrap CI of the median over the simulations.
Writes claim P1-fig4-validtime. The same figure of the 10x-domain runs (KdV, KS) is the supplement
P1_figS_large_domain.png (no claim)."""

import numpy as np
import pandas as pd

from coarsepde.claims import (
    PAPER_P1,
    check_p1_fig4,
    p1_budgets_from_settings,
    p1_paper_verdict,
    training_length_evidence,
    write_fragment,
)
from coarsepde.claims.p1_protocol import protocol_record
from coarsepde.cli import common_parser, read_settings, setup_logging
from coarsepde.discretization.scoring import valid_time_stats
from coarsepde.plotting import figure, panel_label, save
from coarsepde.store import read_dataset

TITLES = {"burgers": "Burgers", "kdv": "Korteweg-de Vries", "ks": "Kuramoto-Sivashinsky"}
LABELS = {
    "fv1": "FV 1st order",
    "fv3": "FV 3rd order",
    "weno": "WENO",
    "const": "Opt. const.",
    "const_godunov": "Opt. God.",
    "nn": "NN",
}
COLORS = {"fv1": "C0", "fv3": "C4", "weno": "C1", "const": "C5", "const_godunov": "C2", "nn": "C3"}


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--valid-time", required=True, help="valid_time.zarr")
    p.add_argument("--min-valid-fraction", type=float, required=True)
    p.add_argument("--note", default="", help="scale caveats appended to the claim text")
    p.add_argument("--figure", required=True)
    p.add_argument("--claim", default=None, help="claim fragment (Fig. 4 only; not for the 10x-domain supplement)")
    p.add_argument("--suptitle", default=None)
    p.add_argument("--budget", default=None, help="settings file: the training budgets of the models scored (--claim)")
    p.add_argument(
        "--protocol-record", default=None, help="claim rows of the committed P1 paper-protocol record (cited)"
    )
    p.add_argument("--training-length", default=None, help="P1_<eq>_training_length.csv: longer trainings (--claim)")
    args = p.parse_args(argv)
    if args.claim is not None and (args.budget is None or args.training_length is None):
        p.error("--claim needs --budget and --training-length (the paper row's verdict)")
    log = setup_logging()

    ds = read_dataset(args.valid_time)
    equations = [str(e) for e in ds.equation.values if np.isfinite(ds.t_max.sel({"equation": e}))]
    fig, axes = figure(len(equations), 1, width=4.0, height=3.4)
    stats, t_max, n_sims = {}, {}, {}
    for ax, eq, label in zip(axes[0], equations, "ABC"):
        stats[eq] = valid_time_stats(ds, eq)
        t_max[eq] = float(ds.t_max.sel(equation=eq))
        n_sims[eq] = int(ds.n_simulations.sel(equation=eq))
        for i, (m, rows) in enumerate(stats[eq].items()):
            fs = sorted(rows)
            med = np.array([rows[f][0] for f in fs])
            err = np.array([[rows[f][0] - rows[f][1] for f in fs], [rows[f][2] - rows[f][0] for f in fs]])
            # a small horizontal offset per method so that overlapping error bars stay readable
            x = np.array(fs) * 2 ** (0.04 * (i - len(stats[eq]) / 2))
            ax.errorbar(x, med, yerr=err, fmt="o-", ms=4, capsize=2, color=COLORS[m], label=LABELS[m])
        ax.set_xscale("log", base=2)
        factors = sorted({f for rows in stats[eq].values() for f in rows})
        ax.set_xticks(factors, [str(f) for f in factors])
        ax.set_xlim(factors[0] / 1.4, factors[-1] * 1.4)
        ax.set_ylim(0, 1.05 * t_max[eq])
        ax.set_xlabel("resample factor")
        ax.set_title(f"{TITLES[eq]} ({n_sims[eq]} simulations)")
        panel_label(ax, label)
    axes[0, 0].set_ylabel("median valid simulation time")
    axes[0, 0].legend(fontsize=7)
    if args.suptitle:
        fig.suptitle(args.suptitle)
    save(fig, args.figure)
    if args.claim is None:
        return

    result = check_p1_fig4(
        stats=stats,
        t_max=t_max,
        n_sims=n_sims,
        min_valid_fraction=args.min_valid_fraction,
        scale=args.scale,
        note=args.note,
    )
    budgets = p1_budgets_from_settings(read_settings(args.budget))
    rows = pd.read_csv(args.training_length).to_dict("records")
    eq = str(rows[0]["equation"]) if rows else ""
    larger = training_length_evidence(rows, steps=budgets[eq].steps) if eq in budgets else ""
    result = p1_paper_verdict(
        result, budgets, paper=PAPER_P1, larger=larger, record=protocol_record(result.id, args.protocol_record)
    )
    write_fragment(result, args.claim)
    log.info("%s: %s (%s)", result.id, "PASS" if result.passed else "FAIL", result.reproduced_value)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P1 Fig. 3: (A) one forcing realization integrated by the first-order finite volumes, WENO, the
optimized constant coefficients with Godunov flux and the NN at several resample factors (white:
after divergence); (B) the NN on the 10x larger domain [0, 20 pi], training box dashed; (C) mean
absolute error vs resample factor on the 10x domain (space, t < 15, all realizations), markers
omitted where a run diverged or the error exceeds that of v = 0. Writes claim P1-fig3-burgers."""

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from coarsepde.claims import PAPER_P1, check_p1_fig3, p1_budgets_from_settings, p1_paper_verdict, write_fragment
from coarsepde.claims.p1_protocol import protocol_record
from coarsepde.cli import common_parser, read_settings, setup_logging
from coarsepde.discretization.scoring import mae_table
from coarsepde.plotting import panel_label, plt, save
from coarsepde.store import read_dataset

LABELS = {
    "exact": "Exact (1x WENO)",
    "fv1": "FV 1st order",
    "fv3": "FV 3rd order",
    "weno": "WENO",
    "const": "Opt. const.",
    "const_godunov": "Opt. God.",
    "nn": "NN",
}
PANEL_A = ["exact", "fv1", "weno", "const_godunov", "nn"]
COLORS = {"fv1": "C0", "fv3": "C4", "weno": "C1", "const": "C5", "const_godunov": "C2", "nn": "C3"}


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--panel-a", nargs="+", required=True, help="eval_test_{f}x.zarr stores")
    p.add_argument("--panel-c", nargs="+", required=True, help="eval_large_{f}x.zarr stores (all factors)")
    p.add_argument("--sample", type=int, required=True)
    p.add_argument("--panel-b-factor", type=int, required=True)
    p.add_argument("--mae-t-max", type=float, required=True)
    p.add_argument("--baseline-ratio", type=int, required=True)
    p.add_argument("--const-min-factor", type=int, required=True)
    p.add_argument("--train-length-pi", type=float, required=True)
    p.add_argument("--figure", required=True)
    p.add_argument("--claim", required=True)
    p.add_argument("--budget", required=True, help="settings file: the training budgets of the models scored")
    p.add_argument(
        "--protocol-record", default=None, help="claim rows of the committed P1 paper-protocol record (cited)"
    )
    args = p.parse_args(argv)
    log = setup_logging()

    panel_a = sorted((read_dataset(path) for path in args.panel_a), key=lambda d: d.attrs["factor"])
    large = {int(d.attrs["factor"]): d for d in (read_dataset(path) for path in args.panel_c)}
    if args.panel_b_factor not in large:
        p.error(f"--panel-b-factor {args.panel_b_factor} has no store in --panel-c")

    rows = len(panel_a)
    fig = plt.figure(figsize=(11.0, 1.75 * rows + 3.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.75 * rows, 3.2])
    axes_a = top.subplots(rows, len(PANEL_A), sharex=True, sharey=True, squeeze=False)
    norm = Normalize(-1.5, 1.5)
    cmap = plt.get_cmap("RdBu_r").copy()
    cmap.set_bad("white")
    for i, ds in enumerate(panel_a):
        f = int(ds.attrs["factor"])
        t = ds.time.values
        x = ds.x.values
        for j, name in enumerate(PANEL_A):
            ax = axes_a[i, j]
            field = ds[name].values[args.sample]
            im = ax.pcolormesh(
                x, t, np.ma.masked_invalid(field), cmap=cmap, norm=norm, shading="nearest", rasterized=True
            )
            ax.grid(False)
            if i == 0:
                ax.set_title(LABELS[name])
            if j == 0:
                ax.set_ylabel(f"{f}x\ntime")
            if i == rows - 1:
                ax.set_xlabel("x")
    top.colorbar(im, ax=axes_a[:, -1], label="v", shrink=0.8)
    panel_label(axes_a[0, 0], "A")

    ax_b, ax_b2, ax_c = bottom.subplots(1, 3, width_ratios=[1, 1, 1.2])
    db = large[args.panel_b_factor]
    L_train = args.train_length_pi * np.pi
    show = db.x.values <= 4 * L_train  # "only partially shown"
    for ax, name, title in (
        (ax_b, "nn", f"NN {args.panel_b_factor}x on [0, 20 pi]"),
        (ax_b2, "exact", "Exact (averaged)"),
    ):
        field = db[name].values[args.sample][:, show]
        ax.pcolormesh(
            db.x.values[show],
            db.time.values,
            np.ma.masked_invalid(field),
            cmap=cmap,
            norm=norm,
            shading="nearest",
            rasterized=True,
        )
        ax.add_patch(
            Rectangle(
                (0, db.time.values[0]),
                L_train,
                db.time.values[-1] - db.time.values[0],
                fill=False,
                ls="--",
                lw=1.2,
                ec="k",
            )
        )
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.grid(False)
    ax_b.set_ylabel("time")
    panel_label(ax_b, "B")

    factors = sorted(large)
    methods = [m for m in COLORS if m in large[factors[0]].method.values]
    mae, shown = mae_table(large, methods, args.mae_t_max, log.info)
    for m in methods:
        fs = [f for f in factors if shown[m][f]]
        ax_c.plot(fs, [mae[m][f] for f in fs], "o-", color=COLORS[m], label=LABELS[m])
    ax_c.set_xscale("log", base=2)
    ax_c.set_yscale("log")
    ax_c.set_xticks(factors, [str(f) for f in factors])
    ax_c.set_xlabel("resample factor")
    ax_c.set_ylabel(f"mean absolute error (t < {args.mae_t_max:g})")
    ax_c.legend(fontsize=7)
    panel_label(ax_c, "C")
    save(fig, args.figure)

    nn_stable = bool(np.all(~np.isfinite(db.t_diverged.sel({"method": "nn"}).values)))
    result = check_p1_fig3(
        mae=mae,
        shown=shown,
        ratio=args.baseline_ratio,
        const_min_factor=args.const_min_factor,
        nn_factor=args.panel_b_factor,
        nn_stable=nn_stable,
        scale=args.scale,
    )
    result = p1_paper_verdict(
        result,
        p1_budgets_from_settings(read_settings(args.budget)),
        paper=PAPER_P1,
        record=protocol_record(result.id, args.protocol_record),
    )
    write_fragment(result, args.claim)
    log.info("%s: %s (%s)", result.id, "PASS" if result.passed else "FAIL", result.reproduced_value)


if __name__ == "__main__":
    main()

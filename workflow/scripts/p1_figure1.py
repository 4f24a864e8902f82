#!/usr/bin/env python
"""P1 Fig. 1 (Bar-Sinai et al. 2019): (A) polynomial vs neural-network interpolation on a segment of the
first validation snapshot, (B) histograms of exact vs interpolated values over the validation set,
(C) absolute error vs local curvature (median and central 90%); and the claim P1-fig1-interp, scored by
coarsepde.claims.p1.check_p1_fig1 on coarsepde.discretization.interpolation_metrics.fig1_statistics_of."""

import numpy as np
from matplotlib.colors import LogNorm

from coarsepde.claims import (
    PAPER_P1_FIG1,
    Fig1Thresholds,
    check_p1_fig1,
    p1_budgets_from_settings,
    p1_paper_verdict,
    write_fragment,
)
from coarsepde.claims.p1_protocol import protocol_record
from coarsepde.cli import common_parser, read_settings
from coarsepde.discretization.interpolation_metrics import fig1_statistics_of
from coarsepde.plotting import STYLE, padded_range, panel_label, periodic_segment, plt, save
from coarsepde.store import read_dataset

COLORS = {"exact": "k", "known": "C0", "poly": "C1", "nn": "C2"}
LABELS = {"poly": "polynomial (cubic)", "nn": "neural net"}


def _pair(text: str) -> tuple[float, float]:
    a, b = (float(t) for t in text.split(","))
    return a, b


def shock_window(ev, width: float) -> tuple[float, float]:
    """The x range of ``width`` centred on the first validation snapshot's shock: its interval of largest
    curvature (the interval the claim's (A) scores with its neighbours), between known points j and j+1."""
    j = int(np.argmax(ev.curvature.values[0]))
    xk = ev.x_known.values
    dx_known = float(ev.attrs["length"]) / xk.size
    centre = xk[j] + 0.5 * dx_known
    return centre - 0.5 * width, centre + 0.5 * width


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--evaluation", required=True, help="evaluation store of p1_interpolation_eval.py")
    p.add_argument("--figure", required=True)
    p.add_argument("--claim", required=True)
    p.add_argument("--min-ratio", type=float, required=True, help="(B), (C): required ratio cubic / NN")
    p.add_argument("--top-decile", type=float, required=True, help="(C): curvature quantile that starts the top group")
    p.add_argument("--poor-quantile", type=float, required=True, help="(B): cubic error quantile of a poor point")
    p.add_argument("--overshoot-tol", type=float, required=True, help="(A): overshoot / exact range that counts")
    p.add_argument(
        "--xlim", type=_pair, default=None, help="panel A x range 'a,b' (default: --window around the shock)"
    )
    p.add_argument("--window", type=float, default=0.75, help="panel A: width of the segment around the shock")
    p.add_argument("--ylim", type=_pair, default=None, help="panel A v range 'a,b' (default: the curves' range)")
    p.add_argument("--hist-norm", type=_pair, default=(1.0, 1e4), help="panel B colour range 'a,b' (log)")
    p.add_argument("--curvature-range", type=_pair, default=(1e-1, 1e4), help="panel C x range 'a,b'")
    p.add_argument("--budget", required=True, help="settings file: the training budgets of the models scored")
    p.add_argument(
        "--protocol-record", default=None, help="claim rows of the committed P1 paper-protocol record (cited)"
    )
    args = p.parse_args(argv)
    ev = read_dataset(args.evaluation)

    plt.rcParams.update(STYLE)
    fig = plt.figure(figsize=(10.0, 5.6), layout="constrained")
    gs = fig.add_gridspec(2, 3, width_ratios=[1.25, 1.0, 1.0])
    ax_a = fig.add_subplot(gs[:, 0])
    ax_bp, ax_bn = fig.add_subplot(gs[0, 1]), fig.add_subplot(gs[0, 2])
    ax_c = fig.add_subplot(gs[1, 1:])

    # (A) interpolation on a segment of the first validation snapshot around its shock (Fig. 1A: "overshoots in the
    # vicinity of shock fronts"), drawn periodically so that a window across the boundary stays whole
    x, xk = ev.x.values, ev.x_known.values
    lo, hi = args.xlim or shock_window(ev, args.window)
    curves = {"exact": ev.example_exact.values} | {name: ev[f"example_{name}"].values for name in ("poly", "nn")}
    reach = float(ev.attrs["length"]) / xk.size  # one known interval past each end, so the lines reach the frame
    xs, seg = periodic_segment(x, curves, float(ev.attrs["length"]), lo - reach, hi + reach)
    ax_a.plot(xs, seg["exact"], "-", color=COLORS["exact"], lw=2.5, alpha=0.35, label="exact")
    for name in ("poly", "nn"):
        ax_a.plot(xs, seg[name], "-", color=COLORS[name], lw=1.3, label=LABELS[name])
    xks, segk = periodic_segment(
        xk, {"known": ev.example_known.values}, float(ev.attrs["length"]), lo - reach, hi + reach
    )
    ax_a.plot(
        xks,
        segk["known"],
        "D",
        color=COLORS["known"],
        ms=6,
        mec="k",
        mew=0.5,
        label="known points",
        zorder=5,
    )
    ax_a.set_xlim(lo, hi)
    inside = (xs >= lo) & (xs <= hi)
    ax_a.set_ylim(*(args.ylim or padded_range(np.concatenate([v[inside] for v in seg.values()]), 0.1)))
    ax_a.set_xlabel("x")
    ax_a.set_ylabel("v")
    ax_a.legend(loc="best")
    ax_a.set_title(f"first validation snapshot at its shock\n(every {ev.attrs['factor']}th point known)")
    panel_label(ax_a, "A")

    # (B) exact vs interpolated values
    edges = ev.hist_edges.values
    norm = LogNorm(*args.hist_norm)
    for ax, name in ((ax_bp, "poly"), (ax_bn, "nn")):
        counts = ev[f"hist_{name}"].values.T  # rows: predicted
        mesh = ax.pcolormesh(edges, edges, np.where(counts > 0, counts, np.nan), norm=norm, cmap="viridis")
        ax.plot(edges[[0, -1]], edges[[0, -1]], "k:", lw=0.6)
        ax.set_aspect("equal")
        ax.set_xlabel("exact v")
        ax.set_ylabel("interpolated v")
        ax.set_title(LABELS[name])
        ax.grid(False)
    fig.colorbar(mesh, ax=[ax_bp, ax_bn], label="count", shrink=0.9)
    panel_label(ax_bp, "B")

    # (C) error vs curvature
    c = ev.curvature_bin.values
    for name in ("poly", "nn"):
        ax_c.fill_between(c, ev[f"{name}_q05"].values, ev[f"{name}_q95"].values, color=COLORS[name], alpha=0.25, lw=0)
        ax_c.plot(c, ev[f"{name}_median"].values, "-", color=COLORS[name], lw=2, label=LABELS[name])
    ax_c.set_xscale("log")
    ax_c.set_yscale("log")
    ax_c.set_xlim(*args.curvature_range)
    ax_c.set_xlabel(r"local curvature max $|v_{xx}|$ over the interval")
    ax_c.set_ylabel("mean |error| over the interval")
    ax_c.legend(loc="upper left", title="median, 5-95%")
    panel_label(ax_c, "C")
    save(fig, args.figure)

    # claim
    stats = fig1_statistics_of(ev, top_quantile=args.top_decile, poor_quantile=args.poor_quantile)
    note = ""
    if "median_abs_error_poly6" in ev.attrs:
        note = (
            f"for reference: 6-point polynomial (the NN's stencil at zero output) median "
            f"{ev.attrs['median_abs_error_poly6']:.3e}, linear {ev.attrs['median_abs_error_linear']:.3e}"
        )
    thresholds = Fig1Thresholds(
        min_ratio=args.min_ratio,
        top_quantile=args.top_decile,
        poor_quantile=args.poor_quantile,
        overshoot_tol=args.overshoot_tol,
    )
    result = check_p1_fig1(
        stats=stats,
        thresholds=thresholds,
        factor=int(ev.attrs["factor"]),
        n_val=int(ev.attrs["n_val"]),
        scale=args.scale,
        note=note,
    )
    result = p1_paper_verdict(
        result,
        p1_budgets_from_settings(read_settings(args.budget)),
        paper=PAPER_P1_FIG1,
        record=protocol_record(result.id, args.protocol_record),
    )
    write_fragment(result, args.claim)


if __name__ == "__main__":
    main()

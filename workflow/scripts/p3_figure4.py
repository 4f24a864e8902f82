#!/usr/bin/env python
"""P3 Fig. 4 (Example 5.1): loss vs Adam iteration of the forward-Euler fits (Example 6.1), multiscale
(M = 2, Table 3) vs non-multiscale (M = 0, Table 1): (a) log loss at the chosen eps, (b) Error% vs iteration at
every eps. Writes claim P3-fig4-loss, two rows: protocol "paper" (M = 2 reaches the final loss of the M = 0 Adam
fit) and "converged" (M = 2 reaches the converged optimum of the M = 0 ansatz), with their verdicts
(coarsepde.claims.p3_protocols)."""

import numpy as np

from coarsepde.claims import (
    budgets_from_provenance,
    check_p3_fig4,
    converged_verdict,
    paper_verdict,
    record_evidence,
    recorded_verdict,
    write_fragments,
)
from coarsepde.cli import common_parser, setup_logging
from coarsepde.plotting import figure, panel_label, save
from coarsepde.store import read_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--plain", required=True, help="fit store of Table 1 (FE, M = 0)")
    p.add_argument("--multiscale", required=True, help="fit store of Table 3 (FE, M = 2)")
    p.add_argument("--inv-eps", type=int, required=True)
    p.add_argument("--fraction", type=float, required=True)
    p.add_argument("--figure", required=True)
    p.add_argument("--claim", required=True)
    p.add_argument("--protocol-record", default=None, help="claim rows of the committed paper-protocol record")
    args = p.parse_args(argv)
    log = setup_logging()
    d0, d2 = read_dataset(args.plain), read_dataset(args.multiscale)
    if (int(d0.attrs["table"]), int(d2.attrs["table"])) != (1, 3):
        p.error("--plain must be the Table 1 fits and --multiscale the Table 3 fits")
    if args.inv_eps not in d0.inv_eps.values or args.inv_eps not in d2.inv_eps.values:
        p.error(f"1/eps = {args.inv_eps} is not in both fit stores")

    def trace(ds, inv):
        sel = {"scheme": "fe", "inv_eps": inv}
        it = ds.adam_iteration.values
        ok = it >= 0
        return it[ok], ds.adam_loss.sel(sel).values[ok], ds.adam_error.sel(sel).values[ok]

    fig, axes = figure(2, 1, width=4.0, height=3.2)
    ax_a, ax_b = axes[0]
    it0, l0, _ = trace(d0, args.inv_eps)
    it2, l2, _ = trace(d2, args.inv_eps)
    ax_a.plot(it0, np.log(l0), ".", ms=2.5, color="k", label="M = 0 (non-multiscale)")
    ax_a.plot(it2, np.log(l2), ".", ms=2.5, color="C3", label="M = 2 (multiscale)")
    ax_a.axhline(np.log(l0[-1]), color="k", lw=0.8, ls=":")
    ax_a.set(xlabel="Adam iteration", ylabel="ln(loss)", title=f"forward Euler fit, eps = 1/{args.inv_eps}")
    ax_a.legend(fontsize=7)
    panel_label(ax_a, "a")
    for k, inv in enumerate(d0.inv_eps.values):
        c = f"C{k}"
        i0, _, e0 = trace(d0, inv)
        i2, _, e2 = trace(d2, inv)
        ax_b.plot(i0, e0, color=c, lw=1.0, ls="--")
        ax_b.plot(i2, e2, color=c, lw=1.2, label=f"1/{inv}")
    ax_b.set(xlabel="Adam iteration", ylabel="Error %", yscale="log", title="Error%: M = 2 solid, M = 0 dashed")
    ax_b.legend(fontsize=6, ncol=2)
    panel_label(ax_b, "b")
    save(fig, args.figure)

    sel = {"scheme": "fe", "inv_eps": args.inv_eps}
    conv = {
        m: (float(ds.loss.sel(sel | {"protocol": "converged"})), float(ds.error.sel(sel | {"protocol": "converged"})))
        for m, ds in (("M = 0", d0), ("M = 2", d2))
    }

    def row(target, protocol):
        hit = np.nonzero(l2 <= target)[0]
        first = float(it2[hit[0]]) if hit.size else float("nan")
        log.info(f"[{protocol}] M=0 loss {target:.4g} (Adam: {it0[-1]} iterations); M=2 reaches it at {first}")
        return check_p3_fig4(
            iterations_ms=first,
            iterations_plain=float(it0[-1]),
            final_plain=target,
            reached=bool(hit.size),
            fraction=args.fraction,
            inv_eps=args.inv_eps,
            scale=args.scale,
            protocol=protocol,
        )

    budgets = budgets_from_provenance(d0.attrs["provenance"]["params"])
    converged = "; ".join(f"{m} loss {lo:.4g}, Error% {e:.3g}" for m, (lo, e) in conv.items())
    rows = [
        paper_verdict(
            row(float(l0[-1]), "adam"),
            budgets,
            converged,
            record_evidence("P3-fig4-loss", args.protocol_record),
            recorded_verdict("P3-fig4-loss", args.protocol_record),
        ),
        converged_verdict(row(conv["M = 0"][0], "converged")),
    ]
    write_fragments(rows, args.claim)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P3 Fig. 5 (Example 6.4): learned sigma_S(x) against the truth 1 + 100 x^2, left without and right with the
continuity penalty (Eq. 4.18), as the paper's two panels (the fits of both protocols as dots over the exact
line); a second row shows the errors of both protocols. Writes the printed equations (6.6)/(6.7) as Markdown and
claim P3-fig5-sigma: two rows, protocol "paper" (the Adam fits, at the budget the fit store records) and
"converged" (coarsepde.claims.p3_protocols)."""

from pathlib import Path

import numpy as np

from coarsepde.claims import budgets_from_provenance, check_p3_fig5, converged_verdict, paper_verdict, write_fragments
from coarsepde.cli import common_parser, setup_logging
from coarsepde.plotting import figure, panel_label, save
from coarsepde.store import read_dataset

PAPER = {
    "plain": "d_t g = (1 - 0.011) v d_x g - (1 - 0.016) <v d_x g> + (1 + 0.005) v d_x rho + [1 + 0.100, 100 - 3.757] g",
    "continuity": "d_t g = (1 - 0.008) v d_x g - (1 - 0.017) <v d_x g> + (1 + 0.001) v d_x rho + [1 + 0.060, 100 - 3.893] g",
}


def _equation(s) -> str:
    """The paper's printed form (6.6): |c| as (1 +- d) for the three unit terms, [min, max] of sigma_S."""
    c = {str(t): float(v) for t, v in zip(s.term.values, s.coefficient.values)}
    fmt = lambda v: f"(1 {'+' if abs(v) - 1 >= 0 else '-'} {abs(abs(v) - 1):.3f})"  # noqa: E731
    lo, hi = float(s.sigma.min()), float(s.sigma.max())
    return (
        f"d_t g = {fmt(c['v d_x g'])} v d_x g - {fmt(c['<v d_x g>'])} <v d_x g> + {fmt(c['v d_x rho'])} v d_x rho"
        f" + [{lo:.3f}, {hi:.3f}] g   (signs: {c['v d_x g']:+.4f}, {c['<v d_x g>']:+.4f}, {c['v d_x rho']:+.4f};"
        f" relaxation enters as -sigma_S g)"
    )


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--fits", required=True)
    p.add_argument("--figure", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--claim", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    ds = read_dataset(args.fits)
    x = ds.x.values
    truth = ds.sigma_true.values
    fig, axes = figure(2, 2, width=3.6, height=2.8)
    for j, (v, title) in enumerate(
        (("plain", "no continuity constraint"), ("continuity", "with continuity (Eq. 4.18)"))
    ):
        ax = axes[0][j]
        ax.plot(x, truth, "-", color="k", lw=1.2, label="exact 1 + 100 x^2")
        for pr, color in (("adam", "tab:gray"), ("converged", "tab:red")):
            ax.plot(x, ds.sigma.sel(variant=v, protocol=pr).values, ".", ms=1.8, color=color, label=f"predicted ({pr})")
        ax.set_xlabel("x")
        ax.set_ylabel("sigma_S(x)")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        panel_label(ax, "ab"[j])
        ax = axes[1][j]
        for pr, st in (("converged", "-"), ("adam", ":")):
            ax.semilogy(
                x,
                np.abs(ds.sigma.sel(variant=v, protocol=pr).values - truth) + 1e-12,
                st,
                lw=0.9,
                label=f"{pr}: TV {float(ds.tv.sel(variant=v, protocol=pr)):.1f}, "
                f"max {float(ds.max_error.sel(variant=v, protocol=pr)):.3g}",
            )
        ax.set_xlabel("x")
        ax.set_ylabel("|error of sigma_S|")
        ax.legend(fontsize=6.5, loc="lower center")
        panel_label(ax, "cd"[j])
    save(fig, args.figure)
    true_tv = float(np.abs(np.diff(truth)).sum())

    def scored(pr):
        return dict(
            tv={v: float(ds.tv.sel(variant=v, protocol=pr)) for v in ("plain", "continuity")},
            max_error={v: float(ds.max_error.sel(variant=v, protocol=pr)) for v in ("plain", "continuity")},
            true_tv=true_tv,
            true_range=float(truth.max() - truth.min()),
            scale=args.scale,
            protocol=pr,
        )

    conv = scored("converged")
    converged = "; ".join(
        f"{v}: TV {conv['tv'][v]:.4g}, max error {conv['max_error'][v]:.4g}" for v in ("plain", "continuity")
    )
    budgets = budgets_from_provenance(ds.attrs["provenance"]["params"]["sigma_x"])
    rows = [
        paper_verdict(check_p3_fig5(**scored("adam")), budgets, converged),
        converged_verdict(check_p3_fig5(**conv)),
    ]
    md = ["# P3 Example 6.4: learned g-equations (Eqs. 6.6, 6.7)", ""]
    for v, eq in (("plain", "6.6"), ("continuity", "6.7")):
        md.append(f"## {'without' if v == 'plain' else 'with'} continuity (Eq. {eq})")
        md.append(f"- paper: `{PAPER[v]}`")
        for pr in ("adam", "converged"):
            s = ds.sel(variant=v, protocol=pr)
            md.append(
                f"- {pr}: `{_equation(s)}`; TV {float(s.tv):.4g} (truth {true_tv:.4g}), max |error| "
                f"{float(s.max_error):.4g}, rms {float(s.rms_error):.4g}, {float(s.seconds):.0f} s"
            )
        md.append("")
    for r in rows:
        md.append(f"Claim {r.id} [{r.protocol}]: {'PASS' if r.passed else 'FAIL'} ({r.verdict}): {r.reproduced_value}")
        md += [f"Evidence: {r.evidence}"] if r.evidence else []
    Path(args.md).parent.mkdir(parents=True, exist_ok=True)
    Path(args.md).write_text("\n".join(md) + "\n")
    write_fragments(rows, args.claim)
    log.info("\n".join(md))


if __name__ == "__main__":
    main()

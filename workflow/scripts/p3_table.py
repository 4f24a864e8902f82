#!/usr/bin/env python
"""P3 Tables 1-8 and 11: the learned g-equations of one table's fit store in the paper's printed form
(Eq. 6.1), their coefficient differences, Error% (Eq. 6.2) and the paper's Error%, as CSV and Markdown."""

from pathlib import Path

from coarsepde.cli import common_parser, setup_logging
from coarsepde.kinetic.tables import table_frame, table_markdown
from coarsepde.store import read_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--fits", required=True, help="fit store of the table (rule p3_fit)")
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    ds = read_dataset(args.fits)
    prm = ds.attrs["provenance"]["params"]
    adam = "; ".join(
        f"{s}: {v['steps']} steps, lr {v['lr']:g}, "
        + (f"{v['batch_windows']} random time windows per step" if v["batch_windows"] else "all windows")
        for s, v in prm["adam"].items()
    )
    conv = "; ".join(
        f"{s}: least-squares budget {v['lsq_steps']}"
        + (
            f" x {v['gn_iterations']} Gauss-Newton steps on every {v['window_every']}-th window"
            if s in ("ars222", "rk4")
            else ""
        )
        + f", L-BFGS {v['lbfgs_steps']}"
        for s, v in prm["converged"].items()
    )
    df = table_frame(ds)
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.csv, index=False)
    md = table_markdown(
        df, ds, adam_note=f" ({adam}; the authors' notebook: 80000 steps at lr 0.001)", converged_note=f" ({conv})"
    )
    d = prm["data"]
    md += (
        f"\nData: the authors' IMEX ARS(2,2,2) micro-macro solver, nx = {d['nx']}, dt = dx^2/2, a snapshot every "
        f"{d['stride']} steps, {d['n_snapshots']} snapshots, initial density IC-{d['ic']}, sigma_S = {d['sigma_s']:g}.\n"
    )
    Path(args.md).write_text(md)
    log.info("\n" + md)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Tabulate the P2 effective coefficients (CSV + Markdown) and check claims P2-astar-1d, P2-astar-2d."""

import argparse
from pathlib import Path

from coarsepde.claims import check_astar_1d, check_astar_2d, write_fragment
from coarsepde.homogenization.effective import (
    effective_coefficients_markdown,
    effective_coefficients_table,
    nearest_quadrature_harmonic_mean,
)
from coarsepde.store import read_dataset


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--store", required=True)
    p.add_argument("--paper-1d", type=float, required=True, help="a* printed in Eq. (22)")
    p.add_argument("--paper-diagonal", type=float, nargs=2, required=True, help="Eq. (27) coefficients")
    p.add_argument("--primary-alignment", required=True)
    p.add_argument("--rel-tol-exact", type=float, required=True)
    p.add_argument("--rel-tol-paper", type=float, required=True)
    p.add_argument("--abs-tol-2d", type=float, required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--claim-1d", required=True)
    p.add_argument("--claim-2d", required=True)
    args = p.parse_args(argv)

    ds = read_dataset(args.store)
    if args.primary_alignment not in ds.alignment.values:
        p.error(f"--primary-alignment {args.primary_alignment!r} is not one of {list(ds.alignment.values)}")
    table = effective_coefficients_table(
        ds, paper_1d=args.paper_1d, paper_diagonal=args.paper_diagonal, primary_alignment=args.primary_alignment
    )
    nearest = nearest_quadrature_harmonic_mean(ds.attrs["a_mean"], ds.attrs["a_amplitude"], args.paper_1d)
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.csv, index=False, float_format="%.12g")
    Path(args.md).write_text(
        effective_coefficients_markdown(
            ds,
            table,
            paper_1d=args.paper_1d,
            paper_diagonal=args.paper_diagonal,
            primary_alignment=args.primary_alignment,
            nearest=nearest,
        ),
        encoding="utf-8",
    )

    write_fragment(
        check_astar_1d(
            a_star=float(ds.a_star_1d.values[-1]),
            resolution=int(ds.resolution.values[-1]),
            a_mean=ds.attrs["a_mean"],
            a_amplitude=ds.attrs["a_amplitude"],
            paper_value=args.paper_1d,
            rel_tol_exact=args.rel_tol_exact,
            rel_tol_paper=args.rel_tol_paper,
            nearest_quadrature=nearest,
            scale=args.scale,
        ),
        args.claim_1d,
    )
    rates = ds.bloch_rate.sel(alignment=args.primary_alignment)
    labels = list(ds["mode"].values)
    rates_at = (
        {
            int(n): (float(rates.sel(lattice_n=n, mode="(1,0)")), float(rates.sel(lattice_n=n, mode="(0,1)")))
            for n in ds.lattice_n.values
        }
        if "(1,0)" in labels and "(0,1)" in labels
        else {}
    )
    write_fragment(
        check_astar_2d(
            K=ds.K.sel(alignment=args.primary_alignment).values,
            alignment=args.primary_alignment,
            paper_diagonal=tuple(args.paper_diagonal),
            abs_tol=args.abs_tol_2d,
            rates_at=rates_at,
            scale=args.scale,
        ),
        args.claim_2d,
    )


if __name__ == "__main__":
    main()

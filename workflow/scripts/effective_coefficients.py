#!/usr/bin/env python
"""Solve the P2 cell problems (1D Eqs. 4-6, 2D lattice Eqs. 25-26) and store the results.

Output: a Zarr store with a*(N) and the corrector (1D), the lattice tensor K for each index
alignment, and the lattice's Fourier-mode decay rates (Bloch analysis).
"""

from coarsepde.cli import alignment, common_parser, int_pairs, matrix, setup_logging
from coarsepde.homogenization.effective import effective_coefficients_dataset
from coarsepde.store import provenance, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--a-mean", type=float, required=True, help="a(y) = a_mean + a_amplitude sin(2 pi y)")
    p.add_argument("--a-amplitude", type=float, required=True)
    p.add_argument("--resolutions", type=int, nargs="+", required=True, help="cells per period")
    p.add_argument("--kappa-x", type=matrix, required=True, help="rows separated by ';'")
    p.add_argument("--kappa-y", type=matrix, required=True)
    p.add_argument(
        "--alignment", type=alignment, action="append", required=True, help="NAME:xP,xQ:yP,yQ link offsets (repeatable)"
    )
    p.add_argument("--printed-decimals", type=int, required=True)
    p.add_argument("--bloch-lattice-n", type=int, nargs="+", required=True)
    p.add_argument("--bloch-modes", type=int_pairs, required=True, help="'1,0;0,1;...'")
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()

    params = dict(
        a_mean=args.a_mean,
        a_amplitude=args.a_amplitude,
        resolutions=args.resolutions,
        kappa_x=args.kappa_x,
        kappa_y=args.kappa_y,
        alignments=dict(args.alignment),
        printed_decimals=args.printed_decimals,
        bloch_lattice_n=args.bloch_lattice_n,
        bloch_modes=args.bloch_modes,
    )
    ds = effective_coefficients_dataset(**params)
    for al in ds.alignment.values:
        log.info("alignment %s: K =\n%s", al, ds.K.sel(alignment=al).values)
    log.info("a* at N = %s: %.15f", ds.resolution.values[-1], ds.a_star_1d.values[-1])
    write_dataset(
        ds,
        args.output,
        title="P2 effective (homogenized) coefficients: 1D cell problem and 2D lattice cell problem",
        source=f"rule {args.rule} {args.wildcards}",
        references="Arbabi et al., JOM 72 (2020), Eqs. (4)-(6), (20), (22), (25)-(27)",
        provenance=provenance(
            params | {"alignments": {k: [list(v[0]), list(v[1])] for k, v in args.alignment}},
            seed=args.seed,
            rule=args.rule,
            wildcards=args.wildcards,
        ),
    )


if __name__ == "__main__":
    main()

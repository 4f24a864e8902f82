#!/usr/bin/env python
"""P3 fits of Examples 6.3 and 6.6-6.10 (Delgadillo, Hu, Yang), one table per call:

* 9, 10: DC-RNN with and without the sparsity (Eq. 5.16) / <g> = 0 (Eq. 4.15) regularisations, IMEX-BDF-2,
  K = 2, both protocols (coarsepde.kinetic.examples.fit_variants);
* 12: Lasso (alpha sweep) and STRidge on the 18-term dictionary (Examples 6.6, 6.7);
* 13: the PINN-style fit without and with the perturbation expansion (Eqs. 6.8-6.10, coarsepde.kinetic.pinn);
* 14: MS-HDL on perfectly split data (Eqs. 6.11-6.15);
* 15: the rho-equation in the diffusion limit (sigma_S = 1/3, Example 6.10).

The fits: coarsepde.kinetic.example_fits.fit_example.
"""

import torch

from coarsepde.cli import common_parser, read_settings, setup_logging
from coarsepde.kinetic.example_fits import EXAMPLE_TITLES, check_example_data, fit_example
from coarsepde.store import provenance, read_dataset, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--table", type=int, choices=sorted(EXAMPLE_TITLES), required=True)
    p.add_argument("--data", nargs="+", required=True, help="transport stores, one per eps")
    p.add_argument(
        "--settings",
        required=True,
        help="settings file: the config's kinetic settings this table reads (examples, adam, ...)",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    settings = read_settings(args.settings)
    stores = [read_dataset(path) for path in args.data]
    try:
        check_example_data(args.table, stores)
    except ValueError as err:
        p.error(str(err))
    ds, params = fit_example(args.table, stores, settings, seed=args.seed or 0, log=log.info)
    prov = provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards)
    write_dataset(
        ds,
        args.output,
        title=f"P3 Table {args.table} fits ({EXAMPLE_TITLES[args.table]})",
        source=f"rule {args.rule}",
        references="Delgadillo, Hu, Yang: Examples 6.3-6.10, Eqs. (4.15), (4.17), (5.16), (6.8)-(6.15)",
        provenance=prov,
    )


if __name__ == "__main__":
    main()

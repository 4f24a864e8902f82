#!/usr/bin/env python
"""P3 fits of one table (Tables 1-8, 11): the g-equation DC-RNN of the table's scheme(s), ansatz order M and
layers K, for every eps, under the paper's Adam protocol and the converged (least squares + L1 L-BFGS)
protocol (coarsepde.kinetic.experiments). The ARS(2,2,2) tables start their converged fits also from the
IMEX-BDF-2 fits of the same M (--warm-start). With --adam-fits the Adam protocol comes from the batched engine's
per-eps stores (p3_table_adam, the same fits to round-off) instead of being run here."""

import torch

from coarsepde.cli import common_parser, read_settings, setup_logging
from coarsepde.kinetic.engine.table_adam import adam_results
from coarsepde.kinetic.experiments import (
    TABLES,
    fit_data_from_store,
    fit_table,
    load_flat_parameters,
    make_model,
    protocols_from_settings,
)
from coarsepde.store import provenance, read_dataset, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--table", type=int, choices=sorted(TABLES), required=True)
    p.add_argument("--data", nargs="+", required=True, help="transport stores, one per eps")
    p.add_argument(
        "--protocols",
        required=True,
        help="settings file: the Adam and converged protocol of each scheme of the table "
        "(coarsepde.kinetic.experiments.protocols_from_settings)",
    )
    p.add_argument("--eps-range", type=float, nargs=2, required=True, help="eps_pred interval of M > 0 (Eq. 5.2)")
    p.add_argument("--init", type=float, required=True, help="initial block weight (authors: 1.5)")
    p.add_argument("--warm-start", default=None, help="fit store of the IMEX-BDF-2 table with the same M")
    p.add_argument("--adam-fits", nargs="+", default=None, help="p3_table_adam stores, one per eps of the table")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    spec = TABLES[args.table]
    try:
        adam, converged = protocols_from_settings(read_settings(args.protocols))
    except (KeyError, TypeError, ValueError) as err:
        p.error(f"--protocols {args.protocols}: {err}")
    missing = [s for s in spec.schemes if s not in adam or s not in converged]
    if missing:
        p.error(f"Table {args.table}: --protocols has no Adam or converged protocol for {missing}")
    stores = [read_dataset(path) for path in args.data]
    datasets = {float(ds.attrs["eps"]): fit_data_from_store(ds) for ds in stores}
    if any(
        float(ds.attrs["sigma_s"]) != 1.0
        or float(ds.attrs.get("sigma_s_x2", 0.0)) != 0.0
        or float(ds.attrs["sigma_a"]) != 0.0
        for ds in stores
    ):
        p.error("Tables 1-8 and 11 use sigma_S = 1, sigma_A = 0 (Eq. 2.5 exact coefficients)")

    warm = None
    if spec.warm_start is not None:
        if args.warm_start is None:
            p.error(f"Table {args.table} needs --warm-start (the fits of Table {spec.warm_start})")
        wds = read_dataset(args.warm_start)
        if int(wds.attrs["table"]) != int(spec.warm_start):
            p.error(f"--warm-start is Table {wds.attrs['table']}, expected Table {spec.warm_start}")
        warm = {}
        for e, data in datasets.items():
            inv = round(1.0 / e)
            if inv not in wds.inv_eps.values:
                p.error(f"--warm-start has no fit at 1/eps = {inv}")
            vals = wds["parameters"].sel({"scheme": "bdf2", "inv_eps": inv, "protocol": "converged"}).values
            model = make_model(
                data.ops, spec.K, spec.M, args.eps_range, args.init, spec.dictionary_g, spec.dictionary_rho
            )
            warm[("bdf2", e)] = load_flat_parameters(model, vals)

    adam_done = None
    if args.adam_fits is not None:
        try:
            adam_done = adam_results(
                [read_dataset(a) for a in args.adam_fits],
                args.table,
                eps_range=args.eps_range,
                init=args.init,
                datasets=datasets,
            )
        except ValueError as err:
            p.error(f"--adam-fits: {err}")
    ds, _ = fit_table(
        datasets,
        args.table,
        adam=adam,
        converged=converged,
        eps_range=args.eps_range,
        init=args.init,
        warm_starts=warm,
        seed=args.seed or 0,
        log=log.info,
        adam_done=adam_done,
    )
    for s in ds.scheme.values:
        for inv in ds.inv_eps.values:
            e = ds.error.sel({"scheme": s, "inv_eps": inv}).values
            log.info(f"Table {args.table} {s} 1/eps = {inv}: Error% adam {e[0]:.4g}, converged {e[1]:.4g}")
    params = {
        "table": args.table,
        "schemes": list(spec.schemes),
        "M": spec.M,
        "K": spec.K,
        "adam": {k: vars(v) for k, v in adam.items() if k in spec.schemes},
        "converged": {k: vars(v) for k, v in converged.items() if k in spec.schemes},
        "eps_range": args.eps_range,
        "init": args.init,
        "inv_eps": [int(v) for v in ds.inv_eps.values],
        "adam_path": "batched engine (p3_table_adam)" if adam_done is not None else "training.fit",
        "data": stores[0].attrs["provenance"]["params"] | {"eps": None},
    }
    prov = provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards)
    write_dataset(
        ds,
        args.output,
        title=f"P3 Table {args.table} fits (Example {spec.example})",
        source=f"rule {args.rule}",
        references="Delgadillo, Hu, Yang: Eqs. (3.5)-(3.9), (4.4), (4.11)-(4.12), (8.6)-(8.18), (6.2)",
        provenance=prov,
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P3 Tables 1-8 and 11, the Adam protocol of every table fit at one eps, trained together by the batched engine
(coarsepde.kinetic.engine.table_adam): each fit is the one p3_fit's fit_one would run (same model, scheme, Adam
settings and window draws, to round-off); p3_fit then starts its converged fits from these."""

import time

import torch

from coarsepde.cli import common_parser, read_settings, setup_logging
from coarsepde.kinetic.engine import BatchedFits, EngineOptions
from coarsepde.kinetic.engine.table_adam import adam_dataset, table_adam_tasks
from coarsepde.kinetic.experiments import TABLES, fit_data_from_store, protocols_from_settings
from coarsepde.store import provenance, read_dataset, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="transport store of one eps (p3_transport_data)")
    p.add_argument("--tables", type=int, nargs="+", required=True, help="the tables fit at this eps")
    p.add_argument("--protocols", required=True, help="settings file: the Adam protocol of each scheme")
    p.add_argument("--eps-range", type=float, nargs=2, required=True, help="eps_pred interval of M > 0 (Eq. 5.2)")
    p.add_argument("--init", type=float, required=True, help="initial block weight (authors: 1.5)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    unknown = sorted(set(args.tables) - set(TABLES))
    if unknown:
        p.error(f"--tables: no table {unknown}; the tables are {sorted(TABLES)}")
    try:
        adam, _ = protocols_from_settings(read_settings(args.protocols))
    except (KeyError, TypeError, ValueError) as err:
        p.error(f"--protocols {args.protocols}: {err}")
    ds = read_dataset(args.data)
    if float(ds.attrs["sigma_s"]) != 1.0 or float(ds.attrs["sigma_a"]) != 0.0:
        p.error("Tables 1-8 and 11 use sigma_S = 1, sigma_A = 0 (Eq. 2.5 exact coefficients)")
    eps = float(ds.attrs["eps"])
    data = fit_data_from_store(ds)
    try:
        tasks = table_adam_tasks(
            data, eps, args.tables, adam, eps_range=args.eps_range, init=args.init, seed=args.seed or 0
        )
    except ValueError as err:
        p.error(str(err))
    t0 = time.perf_counter()
    hists = BatchedFits(data, tasks, EngineOptions(log=log.info)).run()
    seconds = time.perf_counter() - t0
    for task, h in zip(tasks, hists):
        log.info(f"{task.name} 1/eps = {round(1 / eps)}: Adam {task.adam.steps} steps, Error% {h.error[-1]:.4g}")
    log.info(f"{len(tasks)} fits in {seconds:.1f} s")
    params = {
        "tables": sorted(args.tables),
        "adam": {s: vars(a) for s, a in adam.items()},
        "eps_range": args.eps_range,
        "init": args.init,
        "inv_eps": round(1 / eps),
        "data": ds.attrs["provenance"]["params"],
    }
    write_dataset(
        adam_dataset(tasks, hists, seconds, eps),
        args.output,
        title=f"P3 Tables {sorted(args.tables)} Adam fits at 1/eps = {round(1 / eps)} (batched engine)",
        source=f"rule {args.rule}",
        references="Delgadillo, Hu, Yang: Sect. 5.2 (Adam), Eqs. (3.5)-(3.9), (6.2)",
        provenance=provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards),
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P1 Fig. 4 data: the per-simulation valid times of every equation, method and resample factor in
one store, results/discretization/valid_time.zarr, with the median over simulations and its
percentile-bootstrap confidence interval. Burgers valid times are computed here from the coarse
integrations of the test runs (eval_test_{f}x.zarr of rule p1_evaluate) with the same definition
and threshold rule as KdV/KS (p1_pde_validtime.py)."""

import numpy as np
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.metrics import bootstrap_median_ci
from coarsepde.discretization.scoring import burgers_valid_times
from coarsepde.store import provenance, read_dataset, write_dataset

EQUATIONS = ("burgers", "kdv", "ks")
METHODS = ("fv1", "fv3", "weno", "const", "const_godunov", "nn")


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--burgers-data", default=None, help="Burgers test.zarr (fine; for the threshold)")
    p.add_argument("--burgers-evals", nargs="+", default=[], help="eval_test_{f}x.zarr stores")
    p.add_argument("--burgers-t-max", type=float, default=None, help="time after the warm-up to score")
    p.add_argument("--pde-evals", nargs="+", required=True, help="validtime_{f}x.zarr stores of KdV and KS")
    p.add_argument("--threshold-quantile", type=float, required=True)
    p.add_argument("--fraction", type=float, required=True)
    p.add_argument("--n-boot", type=int, required=True)
    p.add_argument("--ci", type=float, required=True)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    if args.seed is None:
        p.error("--seed is required (it seeds the bootstrap)")

    # (equation, factor) -> (methods, (M, S) valid times, tau, t_max)
    table = {}
    if args.burgers_evals:  # the 10x-domain supplement has no Burgers panel (Fig. 3 covers it)
        if args.burgers_data is None or args.burgers_t_max is None:
            p.error("--burgers-evals needs --burgers-data and --burgers-t-max")
        table = {
            ("burgers", f): v
            for f, v in burgers_valid_times(
                args.burgers_data, args.burgers_evals, args.burgers_t_max, args.threshold_quantile, args.fraction, log
            ).items()
        }
    for path in args.pde_evals:
        ev = read_dataset(path)
        if ev.attrs["threshold_quantile"] != args.threshold_quantile or ev.attrs["fraction"] != args.fraction:
            p.error(f"{path} was scored with other valid-time settings")
        table[(ev.attrs["equation"], int(ev.attrs["factor"]))] = (
            [str(m) for m in ev.method.values],
            ev.valid_time.values,
            float(ev.attrs["threshold"]),
            float(ev.attrs["t_max"]),
        )

    factors = sorted({f for _, f in table})
    n_sample = max(v[1].shape[1] for v in table.values())
    shape = (len(EQUATIONS), len(factors), len(METHODS))
    vt = np.full(shape + (n_sample,), np.nan)
    stats = {k: np.full(shape, np.nan) for k in ("median", "ci_low", "ci_high")}
    tau, t_max, n_sims = np.full(len(EQUATIONS), np.nan), np.full(len(EQUATIONS), np.nan), np.zeros(len(EQUATIONS), int)
    for (eq, f), (methods, values, thr, tm) in sorted(table.items()):
        i, j = EQUATIONS.index(eq), factors.index(f)
        tau[i], t_max[i], n_sims[i] = thr, tm, values.shape[1]
        for m, v in zip(methods, values):
            k = METHODS.index(m)
            vt[i, j, k, : len(v)] = v
            # one bootstrap stream per cell of the table, derived from the root seed
            med, lo, hi = bootstrap_median_ci(
                v, args.n_boot, args.ci, seed=args.seed + 1000 * (i * len(factors) + j) + k
            )
            stats["median"][i, j, k], stats["ci_low"][i, j, k], stats["ci_high"][i, j, k] = med, lo, hi
            log.info("%s %dx %s: median %.3g [%.3g, %.3g]", eq, f, m, med, lo, hi)
    dims = ("equation", "factor", "method")
    ds = xr.Dataset(
        {
            "valid_time": (
                dims + ("sample",),
                vt,
                {"units": "time", "long_name": "valid simulation time (NaN: not run)"},
            ),
            "median": (dims, stats["median"], {"units": "time"}),
            "ci_low": (
                dims,
                stats["ci_low"],
                {"units": "time", "long_name": f"{args.ci:g} bootstrap CI of the median"},
            ),
            "ci_high": (dims, stats["ci_high"], {"units": "time"}),
            "threshold": (("equation",), tau, {"long_name": "tau: quantile of |v_exact|"}),
            "t_max": (("equation",), t_max, {"units": "time", "long_name": "simulated time after the warm-up"}),
            "n_simulations": (("equation",), n_sims),
        },
        coords={
            "equation": ("equation", np.array(EQUATIONS, dtype=object)),
            "factor": ("factor", np.array(factors)),
            "method": ("method", np.array(METHODS, dtype=object)),
            "sample": ("sample", np.arange(n_sample)),
        },
        attrs={
            "threshold_quantile": args.threshold_quantile,
            "fraction": args.fraction,
            "n_boot": args.n_boot,
            "ci": args.ci,
        },
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed")}
    write_dataset(
        ds,
        args.output,
        title="P1 valid simulation times (Burgers, KdV, KS)",
        source=f"rule {args.rule}",
        references="Bar-Sinai et al. 2019, Fig. 4",
        provenance=provenance(params, seed=args.seed, rule=args.rule),
    )


if __name__ == "__main__":
    main()

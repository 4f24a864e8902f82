#!/usr/bin/env python
"""P1 Fig. 4, KdV / KS at one resample factor: every method (first/third-order finite volumes, the
optimized constant coefficients, the NN) integrated from the cell-averaged exact state at the end of
the warm-up, all test simulations in ONE batched adaptive RK23 integration per method (the
original's solver settings; a simulation leaves the batch at its first invalid frame), and each
simulation's valid time: the time until fewer than
--fraction of the cells are within tau of the cell-averaged exact solution, tau the
--threshold-quantile of |v_exact| over the whole test set (Fig. 4 caption)."""

import time

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.equations import coarse_grain, equation_from_dict
from coarsepde.discretization.metrics import valid_threshold
from coarsepde.discretization.persist import load_model
from coarsepde.discretization.simulate import SolverSettings, baseline_for, run_valid_time
from coarsepde.store import provenance, read_dataset, write_dataset

BASELINES = ("fv1", "fv3")
LEARNED = ("const", "nn")


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="test.zarr of p1_pde_data")
    p.add_argument("--factor", type=int, required=True)
    p.add_argument("--baselines", nargs="*", default=list(BASELINES), choices=BASELINES)
    p.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help=f"learned model store, NAME in {LEARNED} (repeatable)",
    )
    p.add_argument("--t-max", type=float, required=True, help="simulated time after the warm-up")
    p.add_argument("--threshold-quantile", type=float, required=True)
    p.add_argument("--fraction", type=float, required=True, help="fraction of cells that must be within tau")
    p.add_argument("--max-step", type=float, required=True)
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--atol", type=float, required=True)
    p.add_argument("--chunk", type=int, default=10, help="outputs per integration chunk (early stop granularity)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)

    ds = read_dataset(args.data)
    equation = equation_from_dict(dict(ds.attrs["equation"]))
    times = ds.time.values
    times = times[times <= times[0] + args.t_max + 1e-9]
    if times[-1] < times[0] + args.t_max - 1e-9:
        p.error(f"{args.data} covers {times[-1] - times[0]:g} time units after the warm-up < --t-max {args.t_max}")
    n_fine = ds.sizes["x"]
    if n_fine % args.factor:
        p.error(f"factor {args.factor} does not divide the {n_fine} fine points")
    fine = ds.v.values[:, : len(times)]
    tau = valid_threshold(fine, args.threshold_quantile)
    exact = coarse_grain(fine, args.factor)
    n = n_fine // args.factor
    dx = equation.length / n
    settings = SolverSettings(args.max_step, args.rtol, args.atol)
    log.info(
        "%s at %dx: %d simulations of %d cells to t = %g after the warm-up, tau = %.4g",
        equation.name,
        args.factor,
        len(exact),
        n,
        args.t_max,
        tau,
    )

    methods = {name: baseline_for(equation, name, n) for name in args.baselines}
    for item in args.model:
        name, _, path = item.partition("=")
        if name not in LEARNED or not path:
            p.error(f"--model expects NAME=PATH with NAME in {LEARNED}, got {item!r}")
        model = load_model(path)
        if model.equation.name != equation.name or abs(model.dx - dx) > 1e-12 * dx:
            p.error(
                f"model {path} is for {model.equation.name} with dx = {model.dx}, the data are {equation.name} "
                f"with dx = {dx}"
            )
        methods[name] = (model.equation, model)

    valid, tdiv, seconds, nfev, first = [], [], [], [], []
    for name, (eq, faces) in methods.items():
        start = time.perf_counter()
        res = run_valid_time(eq, faces, exact, times, tau, args.fraction, settings, dx=dx, chunk=args.chunk)
        seconds.append(time.perf_counter() - start)
        valid.append(res["valid_time"])
        tdiv.append(res["t_diverged"])
        nfev.append(res["nfev"])
        first.append(res["example"])
        log.info(
            "%s: %.1f s, %d rhs evaluations, %d/%d diverged while valid, median valid time %.3g",
            name,
            seconds[-1],
            res["nfev"],
            int(np.isfinite(res["t_diverged"]).sum()),
            len(exact),
            float(np.median(valid[-1])),
        )
    names = np.array(list(methods), dtype=object)
    out = xr.Dataset(
        {
            "valid_time": (
                ("method", "sample"),
                np.array(valid),
                {"units": "time", "long_name": "valid simulation time"},
            ),
            "t_diverged": (
                ("method", "sample"),
                np.array(tdiv),
                {"units": "time", "long_name": "divergence while still valid, after the warm-up; inf: none"},
            ),
            "wall_seconds": (("method",), np.array(seconds), {"units": "s"}),
            "rhs_evaluations": (("method",), np.array(nfev)),
            "example": (
                ("method", "time", "x"),
                np.array(first),
                {"long_name": "coarse solution of the first simulation (NaN once invalid)"},
            ),
            "example_exact": (("time", "x"), exact[0], {"long_name": "cell-averaged exact solution, first simulation"}),
        },
        coords={
            "method": ("method", names),
            "sample": ds.sample.values,
            "time": ("time", times - times[0], {"units": "time", "long_name": "time after the warm-up"}),
            "x": ("x", coarse_grain(ds.x.values, args.factor), {"units": "length"}),
        },
        attrs={
            "equation": equation.name,
            "factor": args.factor,
            "dx": dx,
            "threshold": tau,
            "threshold_quantile": args.threshold_quantile,
            "fraction": args.fraction,
            "t_max": args.t_max,
        },
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed", "threads")}
    write_dataset(
        out,
        args.output,
        title=f"P1 {equation.name} valid simulation times at {args.factor}x",
        source=f"rule {args.rule}",
        references="Bar-Sinai et al. 2019, Fig. 4",
        provenance=provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards),
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P1 Burgers coarse time integration at one resample factor: every method (first/third-order
finite volumes, WENO, the learned models) from the cell-averaged exact state at the first stored
time, with the same forcing realizations (cell-averaged), batched over samples. Divergence is
recorded (NaN after it), wall-clock per method is logged and stored."""

import time

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.equations import Forcing, ForcingParams, coarse_grain
from coarsepde.discretization.persist import load_model
from coarsepde.discretization.simulate import BASELINES, LEARNED, SolverSettings, baseline, run_coarse
from coarsepde.store import provenance, read_dataset, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="exact data store (test.zarr / large.zarr)")
    p.add_argument("--factor", type=int, required=True)
    p.add_argument("--baselines", nargs="*", default=list(BASELINES), choices=BASELINES)
    p.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help=f"learned model store, NAME in {LEARNED} (repeatable)",
    )
    p.add_argument("--t-max", type=float, default=None, help="integrate up to this absolute time (default: all)")
    p.add_argument("--max-step", type=float, required=True)
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--atol", type=float, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)

    models = {}
    for item in args.model:
        name, _, path = item.partition("=")
        if name not in LEARNED or not path:
            p.error(f"--model expects NAME=PATH with NAME in {LEARNED}, got {item!r}")
        models[name] = load_model(path)

    ds = read_dataset(args.data)
    times = ds.time.values
    if args.t_max is not None:
        times = times[times <= args.t_max + 1e-9]
    n_fine = ds.sizes["x"]
    if n_fine % args.factor:
        p.error(f"factor {args.factor} does not divide the {n_fine} fine cells")
    length = float(ds.attrs["length"])
    eta = float(ds.attrs["eta"])
    n = n_fine // args.factor
    dx = length / n
    fparams = ForcingParams(*(ds[f"forcing_{k}"].values for k in ("a", "omega", "k", "phi")))
    forcing = Forcing(fparams, length, n_fine, args.factor)
    exact = coarse_grain(ds.v.values[:, : len(times)], args.factor)
    v0 = torch.as_tensor(exact[:, 0])
    settings = SolverSettings(args.max_step, args.rtol, args.atol)

    out = {"exact": (("sample", "time", "x"), exact, {"long_name": "cell-averaged fine WENO solution"})}
    methods, seconds, nfev, tdiv = [], [], [], []
    for name in list(args.baselines) + list(models):
        if name in models:
            model = models[name]
            if abs(model.dx - dx) > 1e-12 * dx:
                raise SystemExit(f"model {name} was trained for dx = {model.dx}, this grid has dx = {dx}")
            equation, faces = model.equation, model
        else:
            equation, faces = baseline(name, eta, length, n)
        start = time.perf_counter()
        sol = run_coarse(equation, faces, v0, forcing, times, settings, dx=dx)
        seconds.append(time.perf_counter() - start)
        out[name] = (("sample", "time", "x"), sol.y.numpy(), {"long_name": f"coarse solution, {name}"})
        methods.append(name)
        nfev.append(sol.nfev)
        tdiv.append(sol.t_diverged)
        log.info(
            "%s at %dx: %.2f s, %d rhs evaluations, %d/%d diverged",
            name,
            args.factor,
            seconds[-1],
            sol.nfev,
            int(np.isfinite(sol.t_diverged).sum()),
            len(sol.t_diverged),
        )
    out["wall_seconds"] = (("method",), np.array(seconds), {"units": "s"})
    out["rhs_evaluations"] = (("method",), np.array(nfev))
    out["t_diverged"] = (("method", "sample"), np.array(tdiv), {"units": "time", "long_name": "inf: never"})
    xf = coarse_grain(ds.x.values, args.factor)
    result = xr.Dataset(
        out,
        coords={
            "method": ("method", np.array(methods, dtype=object)),
            "sample": ds.sample.values,
            "time": ("time", times, {"units": "time"}),
            "x": ("x", xf, {"units": "length"}),
        },
        attrs={"factor": args.factor, "dx": dx, "length": length, "eta": eta},
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed", "threads")}
    write_dataset(
        result,
        args.output,
        title=f"P1 Burgers coarse integration at {args.factor}x",
        source=f"rule {args.rule}",
        references="Bar-Sinai et al. 2019, Fig. 3",
        provenance=provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards),
    )


if __name__ == "__main__":
    main()

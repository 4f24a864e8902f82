#!/usr/bin/env python
"""P1 KdV / Kuramoto-Sivashinsky "exact" data (Bar-Sinai et al. 2019, "Other Examples", Fig. 4): a
random sum of long-wavelength sinusoids per seed (the authors' draw), integrated pseudo-spectrally
(ETDRK4) on the fine grid through a warm-up, then snapshots. Stores the fine solution and, for
training splits, its spectral right-hand side (the label, coarse-grained by the training script)."""

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import CHECKPOINT_ARGS, add_simulation_checkpoint_args, common_parser, setup_logging
from coarsepde.discretization.equations import equation_to_dict, make_equation
from coarsepde.discretization.spectral import fine_solutions
from coarsepde.resume import SimulationCheckpoint
from coarsepde.store import provenance, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--equation", choices=["kdv", "ks"], required=True)
    p.add_argument("--length", type=float, required=True, help="periodic domain length")
    p.add_argument("--n-fine", type=int, required=True)
    p.add_argument("--dt", type=float, required=True, help="ETDRK4 step")
    p.add_argument("--dealias", action="store_true", help="2/3-rule dealiasing (the original: none)")
    p.add_argument("--n-modes", type=int, required=True)
    p.add_argument("--k-max", type=int, required=True)
    p.add_argument("--k-min", type=int, default=1, help="smallest |k| (a larger domain keeps the wavelengths)")
    p.add_argument("--amplitude", type=float, required=True)
    p.add_argument(
        "--seed-offset", type=int, required=True, help="initial-condition seeds are offset + 0 ... n-runs - 1"
    )
    p.add_argument("--n-runs", type=int, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--n-snapshots", type=int, required=True)
    p.add_argument("--interval", type=float, required=True, help="time between snapshots")
    p.add_argument("--labels", action="store_true", help="store the time derivative (training data)")
    add_simulation_checkpoint_args(p)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(1)

    equation = make_equation(args.equation, length=args.length)
    seeds = args.seed_offset + np.arange(args.n_runs)
    t_out = args.warmup + args.interval * np.arange(args.n_snapshots)
    v, dvdt = fine_solutions(
        equation,
        seeds,
        n_fine=args.n_fine,
        dt=args.dt,
        warmup=args.warmup,
        t_out=t_out,
        n_modes=args.n_modes,
        k_max=args.k_max,
        amplitude=args.amplitude,
        k_min=args.k_min,
        dealias=args.dealias,
        log=log.info,
        chunk_outputs=args.checkpoint_outputs if args.checkpoint else 0,
        checkpoint=args.checkpoint,
    )
    x = np.arange(args.n_fine) * (args.length / args.n_fine)
    data = {"v": (("sample", "time", "x"), v, {"units": "1", "long_name": "fine solution (point values)"})}
    if args.labels:
        data["dvdt"] = (("sample", "time", "x"), dvdt, {"units": "1/time", "long_name": "spectral time derivative"})
    ds = xr.Dataset(
        data,
        coords={
            "sample": ("sample", seeds, {"long_name": "initial-condition seed"}),
            "time": ("time", t_out, {"units": "time"}),
            "x": ("x", x, {"units": "length", "long_name": "fine grid point"}),
        },
        attrs={
            "equation": equation_to_dict(equation),
            "length": args.length,
            "n_fine": args.n_fine,
            "warmup": args.warmup,
            "dt": args.dt,
        },
    )
    params = {
        k: val for k, val in vars(args).items() if k not in ("output", "rule", "wildcards", "seed", *CHECKPOINT_ARGS)
    }
    write_dataset(
        ds,
        args.output,
        title=f"P1 {args.equation} exact data (pseudo-spectral ETDRK4, fine grid)",
        source=f"rule {args.rule}",
        references="Bar-Sinai et al. 2019, Other Examples, Fig. 4",
        provenance=provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards),
    )
    if args.checkpoint:
        SimulationCheckpoint.discard(args.checkpoint)
    log.info(
        "wrote %s: %d samples x %d snapshots x %d points, max |v| %.3g", args.output, *v.shape, float(np.abs(v).max())
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P2 1D reference: the homogenized PDE (Eq. 22) from the same initial conditions, second-order FD
on the reference grid (dx = 5e-3) with a stiff BDF integrator; a* from the cell-problem store."""

import numpy as np
import xarray as xr

from coarsepde.cli import add_patch1d_args, common_parser, patch1d_kwargs, setup_logging
from coarsepde.homogenization.problem1d import homogenized_trajectories, setup
from coarsepde.store import provenance, read_dataset, write_dataset


def main(argv=None):
    p = add_patch1d_args(common_parser(__doc__))
    p.add_argument("--effective", required=True, help="effective_coefficients.zarr (a* = its finest a_star_1d)")
    p.add_argument("--reference-nodes", type=int, required=True)
    p.add_argument("--dt", type=float, required=True, help="snapshot spacing")
    p.add_argument("--n-steps", type=int, required=True)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    a_star = float(read_dataset(args.effective).a_star_1d.values[-1])
    ic, teeth, _ = setup(**patch1d_kwargs(args))
    x = np.linspace(0.0, 1.0, args.reference_nodes)
    times = np.arange(args.n_steps + 1) * args.dt
    U, dU = homogenized_trajectories(ic(x), a_star, times)
    log.info("homogenized reference: %d trajectories on %d nodes, a* = %.12f", U.shape[1], x.size, a_star)
    ds = xr.Dataset(
        {
            "U": (
                ("trajectory", "time", "x"),
                U.transpose(1, 0, 2),
                {"units": "1", "long_name": "homogenized solution"},
            ),
            "dUdt": (
                ("trajectory", "time", "x"),
                dU.transpose(1, 0, 2),
                {"units": "1/time", "long_name": "exact FD right-hand side at the saved states"},
            ),
        },
        coords={
            "trajectory": ("trajectory", np.arange(U.shape[1]), {"units": "1"}),
            "time": ("time", times, {"units": "time"}),
            "x": ("x", x, {"units": "length"}),
        },
        attrs={"a_star": a_star},
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed")}
    write_dataset(
        ds,
        args.output,
        title="P2 1D homogenized reference (Eq. 22)",
        source=f"rule {args.rule}",
        references="Arbabi et al. 2020, Eqs. (21)-(23), Sect. 5.1",
        provenance=provenance(params | {"a_star": a_star}, seed=args.seed, rule=args.rule),
    )


if __name__ == "__main__":
    main()

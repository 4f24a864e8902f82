#!/usr/bin/env python
"""P2 1D data: patch-dynamics trajectories of Eq. (20) from random initial conditions (Eq. 23).

Writes U and the Eq. (11) estimate of dU/dt at every macro step for the n_train + n_test
trajectories, the initial-condition coefficients, and the cost bookkeeping (fractions of space
and time simulated, micro points, wall-clock).
"""

import numpy as np
import xarray as xr
from tqdm import tqdm

from coarsepde.cli import add_patch1d_args, common_parser, patch1d_kwargs, setup_logging
from coarsepde.homogenization.problem1d import patch_dynamics_trajectories, setup
from coarsepde.store import provenance, write_dataset


def main(argv=None):
    p = add_patch1d_args(common_parser(__doc__))
    p.add_argument("--macro-dt", type=float, required=True)
    p.add_argument("--macro-method", required=True)
    p.add_argument("--n-patch-traj", type=int, required=True, help="the first trajectories, run by patch dynamics")
    p.add_argument("--n-steps", type=int, required=True)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    ic, teeth, pd = setup(**patch1d_kwargs(args))
    U0 = ic(teeth.x_macro)[: args.n_patch_traj]  # point values at the nodes = tooth averages to O(h^2)
    bar = tqdm(total=args.n_steps, desc="patch dynamics", mininterval=10)
    times, U, F, seconds = patch_dynamics_trajectories(
        U0, pd, dt=args.macro_dt, n_steps=args.n_steps, method=args.macro_method, progress=lambda n: bar.update(1)
    )
    bar.close()
    log.info(
        "%d trajectories x %d macro steps in %.1f s (%d micro points, %d TR-BDF2 steps per burst)",
        U0.shape[0],
        args.n_steps,
        seconds,
        pd.micro_points,
        len(pd.steps),
    )
    ds = xr.Dataset(
        {
            "U": (
                ("trajectory", "time", "x"),
                U.transpose(1, 0, 2),
                {"units": "1", "long_name": "patch-dynamics macro field (tooth averages, Eq. 7)"},
            ),
            "dUdt": (
                ("trajectory", "time", "x"),
                F.transpose(1, 0, 2),
                {"units": "1/time", "long_name": "Eq. (11) estimate of dU/dt (0 at Dirichlet nodes)"},
            ),
            "ic_amplitude": (("trajectory", "term"), ic.amp[: args.n_patch_traj], {"units": "1"}),
            "ic_wavenumber": (("trajectory", "term"), ic.wavenumber[: args.n_patch_traj], {"units": "1/length"}),
            "ic_phase": (("trajectory", "term"), ic.phase[: args.n_patch_traj], {"units": "rad"}),
        },
        coords={
            "trajectory": ("trajectory", np.arange(U0.shape[0]), {"units": "1"}),
            "time": ("time", times, {"units": "time"}),
            "x": ("x", teeth.x_macro, {"units": "length"}),
            "term": ("term", np.arange(args.ic_terms), {"units": "1"}),
        },
        attrs={
            "space_fraction": teeth.space_fraction,
            "time_fraction": args.burst / args.macro_dt,
            "micro_points": pd.micro_points,
            "micro_steps_per_burst": len(pd.steps),
        },
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed")}
    write_dataset(
        ds,
        args.output,
        title="P2 1D patch-dynamics trajectories (Arbabi et al. Sect. 5.1)",
        source=f"rule {args.rule} {args.wildcards}",
        references="Arbabi et al. 2020, Eqs. (7), (10), (11), (20), (21), (23)",
        provenance=provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards),
    )


if __name__ == "__main__":
    main()

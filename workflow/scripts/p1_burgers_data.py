#!/usr/bin/env python
"""P1 Burgers "exact" data: forced Burgers (Eq. 4) from v = 0 with WENO5-Godunov on the fine grid,
one forcing realization per sample (the authors' RandomForcing draw for seed offset + i), a warm-up,
then snapshots. Stores the fine solution, its unforced time derivative (the training label), the
forcing parameters, the cell averages and time derivatives at every resample factor, and optionally
short unforced fine rollouts from the first snapshots (targets of the time-integrated loss)."""

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import CHECKPOINT_ARGS, add_simulation_checkpoint_args, common_parser, setup_logging
from coarsepde.discretization.equations import coarse_grain, draw_forcing
from coarsepde.discretization.simulate import SolverSettings, baseline, fine_solutions, run_coarse
from coarsepde.resume import SimulationCheckpoint
from coarsepde.store import provenance, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--eta", type=float, required=True)
    p.add_argument("--length-pi", type=float, required=True, help="domain length in units of pi")
    p.add_argument("--n-fine", type=int, required=True)
    p.add_argument("--n-modes", type=int, required=True)
    p.add_argument("--k-min", type=int, required=True)
    p.add_argument("--k-max", type=int, required=True)
    p.add_argument("--amplitude", type=float, required=True)
    p.add_argument("--seed-offset", type=int, required=True, help="forcing seeds are offset + 0 ... n-runs - 1")
    p.add_argument("--n-runs", type=int, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--n-snapshots", type=int, required=True)
    p.add_argument("--interval", type=float, required=True, help="time between snapshots")
    p.add_argument("--factors", type=int, nargs="+", required=True)
    p.add_argument("--max-step", type=float, required=True)
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--atol", type=float, required=True)
    p.add_argument("--rollouts", type=int, default=0, help="number of unforced rollouts (0: none)")
    p.add_argument("--rollout-horizon", type=float, default=0.0)
    p.add_argument("--rollout-outputs", type=int, default=0)
    add_simulation_checkpoint_args(p)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(1)
    bad = [f for f in args.factors if args.n_fine % f]
    if bad:
        p.error(f"--factors {bad} do not divide --n-fine {args.n_fine}")

    length = args.length_pi * np.pi
    seeds = args.seed_offset + np.arange(args.n_runs)
    params = draw_forcing(seeds, args.n_modes, args.k_min, args.k_max, args.amplitude)
    settings = SolverSettings(args.max_step, args.rtol, args.atol)
    t_out = args.warmup + args.interval * np.arange(args.n_snapshots)
    v, dvdt, stats = fine_solutions(
        params,
        eta=args.eta,
        length=length,
        n_fine=args.n_fine,
        warmup=args.warmup,
        t_out=t_out,
        settings=settings,
        log=log.info,
        chunk_outputs=args.checkpoint_outputs if args.checkpoint else 0,
        checkpoint=args.checkpoint,
    )
    dx = length / args.n_fine
    x = np.arange(args.n_fine) * dx
    data = {
        "v": (("sample", "time", "x"), v, {"units": "1", "long_name": "fine solution (cell averages)"}),
        "dvdt": (("sample", "time", "x"), dvdt, {"units": "1/time", "long_name": "unforced fine time derivative"}),
    }
    coords = {
        "sample": ("sample", seeds, {"long_name": "forcing seed"}),
        "time": ("time", t_out, {"units": "time"}),
        "x": ("x", x, {"units": "length", "long_name": "fine cell centre"}),
        "mode": ("mode", np.arange(args.n_modes)),
    }
    for name in ("a", "omega", "k", "phi"):
        data[f"forcing_{name}"] = (("sample", "mode"), getattr(params, name), {"long_name": f"forcing {name}"})
    for f in args.factors:
        xf = coarse_grain(x, f)  # coarse cell centres
        coords[f"x_{f}"] = (f"x_{f}", xf, {"units": "length"})
        data[f"v_{f}"] = (("sample", "time", f"x_{f}"), coarse_grain(v, f), {"long_name": f"cell averages, {f}x"})
        data[f"dvdt_{f}"] = (
            ("sample", "time", f"x_{f}"),
            coarse_grain(dvdt, f),
            {"long_name": f"cell-averaged unforced time derivative, {f}x"},
        )
    if args.rollouts:
        # targets of the time-integrated loss: unforced fine WENO from the first snapshots
        flat = torch.as_tensor(v.reshape(-1, args.n_fine)[: args.rollouts])
        lags = np.linspace(0.0, args.rollout_horizon, args.rollout_outputs + 1)
        equation, faces = baseline("weno", args.eta, length, args.n_fine)
        sol = run_coarse(equation, faces, flat, None, lags, settings)
        if np.isfinite(sol.t_diverged).any():
            raise RuntimeError("an unforced fine rollout diverged")
        data["v_rollout"] = (("rollout", "lag", "x"), sol.y.numpy(), {"long_name": "unforced fine rollout"})
        coords["rollout"] = ("rollout", np.arange(flat.shape[0]))
        coords["lag"] = ("lag", lags, {"units": "time"})
        log.info("%d unforced rollouts over %.3g time units", flat.shape[0], args.rollout_horizon)
    ds = xr.Dataset(
        data,
        coords=coords,
        attrs={"eta": args.eta, "length": length, "n_fine": args.n_fine, "factors": list(args.factors)},
    )
    # not in the store: a resumed run makes a few more calls, and the store must not depend on that
    log.info("fine WENO: %d right-hand-side evaluations in this process", stats["nfev"])
    params_prov = {
        k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed", *CHECKPOINT_ARGS)
    }
    write_dataset(
        ds,
        args.output,
        title="P1 forced Burgers exact data (WENO5-Godunov, fine grid)",
        source=f"rule {args.rule}",
        references="Bar-Sinai et al. 2019, Eq. (4), Results",
        provenance=provenance(params_prov, seed=args.seed, rule=args.rule),
    )
    if args.checkpoint:
        SimulationCheckpoint.discard(args.checkpoint)
    log.info("wrote %s: %d samples x %d snapshots x %d points", args.output, *v.shape)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P2 1D evaluation of one trained architecture against the homogenized reference:
(a) dU/dt on the test trajectories' patch-dynamics states vs the homogenized right-hand side
(Fig. 4, rMSE of Eq. 24); (b) BDF integration of an unseen initial condition vs the homogenized
solution (Fig. 5)."""

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.homogenization.evaluation import score_rhs_1d, score_trajectory_1d
from coarsepde.homogenization.learning import build_model, integrate, predict
from coarsepde.store import load_state_dict, provenance, read_dataset, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="patch1d.zarr")
    p.add_argument("--reference", required=True, help="homog1d.zarr")
    p.add_argument("--weights", required=True)
    p.add_argument("--arch", choices=["functional", "discretized"], required=True)
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--n-train", type=int, required=True)
    p.add_argument("--n-test", type=int, required=True)
    p.add_argument("--time-max", type=float, required=True, help="test snapshots and integration cover [0, time_max]")
    p.add_argument(
        "--late-time",
        type=float,
        required=True,
        help="also report the rMSE over test snapshots with t >= this (after the unresolved modes decay)",
    )
    p.add_argument(
        "--wrong-a",
        type=float,
        required=True,
        help="baseline: the constant-diffusivity operator with this (wrong) diffusivity, e.g. the "
        "arithmetic mean of a(y) -- the naive average that homogenization corrects",
    )
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(1)
    data, ref = read_dataset(args.data), read_dataset(args.reference)
    dx = float(data.x[1] - data.x[0])
    kw = {"hidden": args.hidden, "dx": dx} if args.arch == "functional" else {"filters": args.hidden}
    model = build_model(args.arch, **kw)
    model.load_state_dict(load_state_dict(args.weights))
    # the reference grid contains the macro nodes: subsample it there
    stride = (ref.sizes["x"] - 1) // (data.sizes["x"] - 1)
    if not np.allclose(ref.x.values[::stride], data.x.values):
        raise ValueError("the reference grid must contain the macro nodes")
    times = data.time.values[data.time.values <= args.time_max + 1e-12]
    test = slice(args.n_train, args.n_train + args.n_test)
    U_test = data.U.isel(trajectory=test).sel(time=times).values
    F_pred = predict(model, U_test)
    F_true = ref.dUdt.isel(trajectory=test).sel(time=times).values[..., ::stride]
    F_patch = data.dUdt.isel(trajectory=test).sel(time=times).values
    rhs = score_rhs_1d(
        F_pred,
        F_true,
        F_patch=F_patch,
        U=U_test,
        late=times >= args.late_time,
        wrong_a=args.wrong_a,
        a_star=float(ref.attrs["a_star"]),
    )
    log.info(
        "%s: test rMSE of dU/dt %.3e (patch-dynamics data itself: %.3e; zero: %.3e; a = %g: %.3e)",
        args.arch,
        rhs["rhs_rmse"],
        rhs["rhs_rmse_patch"],
        rhs["rhs_rmse_zero"],
        args.wrong_a,
        rhs["rhs_rmse_wrong_a"],
    )

    unseen = args.n_train + args.n_test
    t_int = ref.time.values[ref.time.values <= args.time_max + 1e-12]
    U_true = ref.U.isel(trajectory=unseen).sel(time=t_int).values
    U_int = integrate(model, U_true[0, ::stride], t_int)
    traj = score_trajectory_1d(U_int, U_true, stride=stride, late=t_int >= args.late_time)
    log.info("%s: integrated unseen trajectory rMSE %.3e", args.arch, traj["traj_rmse"])

    ds = xr.Dataset(
        {
            "dUdt_pred": (("trajectory", "time", "x"), F_pred, {"units": "1/time"}),
            "dUdt_true": (
                ("trajectory", "time", "x"),
                F_true,
                {"units": "1/time", "long_name": "homogenized RHS at the macro nodes"},
            ),
            "U_integrated": (("time_int", "x"), U_int, {"units": "1", "long_name": "learned model integrated by BDF"}),
            "U_true_integrated": (("time_int", "x_ref"), U_true, {"units": "1", "long_name": "homogenized solution"}),
        },
        coords={
            "trajectory": ("trajectory", np.arange(test.start, test.stop), {"units": "1"}),
            "time": ("time", times, {"units": "time"}),
            "x": ("x", data.x.values, {"units": "length"}),
            "time_int": ("time_int", t_int, {"units": "time"}),
            "x_ref": ("x_ref", ref.x.values, {"units": "length"}),
        },
        attrs={
            "arch": args.arch,
            "rhs_rmse": rhs["rhs_rmse"],
            "rhs_rmse_patch_data": rhs["rhs_rmse_patch"],
            "rhs_rmse_zero": rhs["rhs_rmse_zero"],
            "rhs_rmse_late": rhs["rhs_rmse_late"],
            "late_time": args.late_time,
            "rhs_rmse_wrong_a": rhs["rhs_rmse_wrong_a"],
            "rhs_rmse_coarse": rhs["rhs_rmse_coarse"],
            "rhs_rmse_patch_data_coarse": rhs["rhs_rmse_patch_coarse"],
            "wrong_a": args.wrong_a,
            "traj_rmse": traj["traj_rmse"],
            "traj_rmse_late": traj["traj_rmse_late"],
            "unseen_trajectory": unseen,
            "stable": traj["stable"],
        },
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed")}
    write_dataset(
        ds,
        args.output,
        title=f"P2 1D evaluation of the {args.arch} model",
        source=f"rule {args.rule} {args.wildcards}",
        references="Arbabi et al. 2020, Eq. (24), Figs. 4-5",
        provenance=provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards),
    )


if __name__ == "__main__":
    main()

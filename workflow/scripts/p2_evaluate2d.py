#!/usr/bin/env python
"""P2 2D evaluation of one trained architecture on the held-out trajectories, against both homogenized
references (full cell-problem tensor; Eq. 27 as printed): dU/dt per snapshot (Fig. 6), BDF integration
of every test trajectory from its first snapshot (Figs. 7, 8a), the six largest Fourier amplitudes
(Fig. 8b), and the split of the trajectory error into mean drift and lag (the model's dU/dt at constant
fields, its growth rate at u = 0, the mean and mean-free parts of the MSE)."""

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.homogenization.drift2d import growth_rate_at_zero, mean_drift_scores, new_mode_share, rhs_at_constant
from coarsepde.homogenization.evaluation import evaluate_2d
from coarsepde.homogenization.learning2d import build_model_2d
from coarsepde.store import load_state_dict, provenance, read_dataset, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--arch", choices=["functional", "discretized", "conservative"], required=True)
    p.add_argument("--n-test", type=int, required=True)
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--hidden2", type=int, required=True)
    p.add_argument("--kernel", type=int, required=True)
    p.add_argument(
        "--constant-levels", type=float, nargs="+", required=True, help="c of the fields U = c at which dU/dt is probed"
    )
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(1)
    data, ref = read_dataset(args.data), read_dataset(args.reference)
    kw = (
        {"hidden": args.hidden, "hidden2": args.hidden2}
        if args.arch in ("functional", "conservative")
        else {"filters": args.hidden, "kernel": args.kernel}
    )
    model = build_model_2d(args.arch, **kw)
    model.load_state_dict(load_state_dict(args.weights))
    test = slice(data.sizes["trajectory"] - args.n_test, data.sizes["trajectory"])
    U = data.U.isel(trajectory=test).values  # (n_test, T, n, n)
    t = data.time.values
    references = {
        name: (ref[f"U_{name}"].isel(trajectory=test).values, ref[f"dUdt_{name}"].isel(trajectory=test).values)
        for name in ("full", "eq27")
    }
    F_pred, U_int, scores = evaluate_2d(model, U, t, references)
    out = {
        "dUdt_pred": (("trajectory", "time", "x", "y"), F_pred, {"units": "1/time"}),
        "U_integrated": (("trajectory", "time", "x", "y"), U_int, {"units": "1", "long_name": "learned model, BDF"}),
    }
    shape = U.shape[-2:]
    c_mean, c_spread = rhs_at_constant(model, args.constant_levels, shape)
    rate0 = growth_rate_at_zero(model, shape)
    log.info(
        "%s: dU/dt at U = c %s: %s; Jacobian at 0: max Re eig %.3e", args.arch, args.constant_levels, c_mean, rate0
    )
    out |= {
        "mean_integrated": (
            ("trajectory", "time"),
            U_int.mean(axis=(2, 3)),
            {"units": "1", "long_name": "spatial mean"},
        ),
        "rhs_at_constant": (("level",), c_mean, {"units": "1/time", "long_name": "spatial mean of dU/dt at U = level"}),
        "rhs_at_constant_spread": (("level",), c_spread, {"units": "1/time", "long_name": "max |dU/dt - mean|"}),
        "growth_rate_at_zero": ((), rate0, {"units": "1/time", "long_name": "max Re eig of the Jacobian at U = 0"}),
    }
    for name, sc in scores.items():
        drift = mean_drift_scores(U_int, references[name][0])
        out |= {
            f"mse_time_mean_{name}": (
                ("time",),
                drift["mse_mean"],
                {"units": "1", "long_name": "mean's part of mse_time"},
            ),
            f"mse_time_demeaned_{name}": (
                ("time",),
                drift["mse_demeaned"],
                {"units": "1", "long_name": "mean-free part of mse_time"},
            ),
            f"amplitude_ratio_{name}": (
                ("time",),
                drift["amplitude_ratio"],
                {"units": "1", "long_name": "mean-free amplitude, learned / reference (> 1: lag)"},
            ),
            f"new_mode_share_{name}": (
                ("time",),
                new_mode_share(U_int, references[name][0]),
                {"units": "1", "long_name": "share of the mean-free error in modes absent from the reference"},
            ),
        }
        out |= {
            f"rhs_rel_err_{name}": (
                ("trajectory", "time"),
                sc["rhs_rel_err"],
                {"units": "1", "long_name": "||F_nn - F_h|| / ||F_h|| per snapshot"},
            ),
            f"rhs_norm_{name}": (("trajectory", "time"), sc["rhs_norm"], {"units": "1/time"}),
            f"u_rel_err_{name}": (
                ("trajectory", "time"),
                sc["u_rel_err"],
                {"units": "1", "long_name": "integrated model vs reference"},
            ),
            f"data_rel_err_{name}": (
                ("trajectory", "time"),
                sc["data_rel_err"],
                {"units": "1", "long_name": "gap-tooth data vs reference"},
            ),
            f"mse_time_{name}": (
                ("time",),
                sc["mse_time"],
                {"units": "1", "long_name": "relative MSE of test trajectories"},
            ),
            f"amp_ref_{name}": (("time", "fmode"), sc["amp_ref"], {"units": "1"}),
            f"amp_nn_{name}": (("time", "fmode"), sc["amp_nn"], {"units": "1"}),
            f"fmode_index_{name}": (("fmode", "axis"), sc["fmode_index"], {"units": "1"}),
        }
        log.info(
            "%s vs %s: RHS rel. err. median %.3e; integrated rel. err. t=%.2f: %.3e, t=%.2f: %.3e",
            args.arch,
            name,
            np.median(sc["rhs_rel_err"]),
            t[9],
            sc["u_rel_err"][:, 9].mean(),
            t[-1],
            sc["u_rel_err"][:, -1].mean(),
        )
    ds = xr.Dataset(
        out,
        coords={
            "trajectory": ("trajectory", np.arange(test.start, test.stop), {"units": "1"}),
            "time": ("time", t, {"units": "time"}),
            "x": ("x", data.x.values, {"units": "length"}),
            "y": ("y", data.y.values, {"units": "length"}),
            "fmode": ("fmode", np.arange(6), {"units": "1"}),
            "level": ("level", np.asarray(args.constant_levels, dtype=np.float64), {"units": "1"}),
            "axis": ("axis", np.array(["kx", "ky"], dtype=object)),
        },
        attrs={"arch": args.arch},
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "rule", "wildcards", "seed")}
    write_dataset(
        ds,
        args.output,
        title=f"P2 2D evaluation of the {args.arch} model",
        source=f"rule {args.rule} {args.wildcards}",
        references="Arbabi et al. 2020, Sect. 5.2, Figs. 6-8",
        provenance=provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards),
    )


if __name__ == "__main__":
    main()

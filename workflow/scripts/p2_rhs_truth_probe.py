#!/usr/bin/env python
"""P2 1D probe (issue 20 item 5, not a pipeline rule): the rMSE (Eq. 24) of the patch-dynamics data's
dU/dt, and of learned models' predictions, against each candidate homogenized truth at the macro nodes
(coarse 3-point stencil, coarse FD scheme, fine FD reference, its forward time difference, exact modal
solution) over the test trajectories, for the whole window and for t >= the late time."""

import json

import numpy as np

from coarsepde.cli import common_parser, setup_logging
from coarsepde.homogenization.problem1d import InitialConditions
from coarsepde.homogenization.rhs_truth import rhs_truths_1d, score_against_truths
from coarsepde.store import read_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="patch1d.zarr")
    p.add_argument("--reference", required=True, help="homog1d.zarr")
    p.add_argument("--evaluation", nargs="*", default=[], help="p2_1d_{arch}_evaluation.zarr stores (optional)")
    p.add_argument("--n-train", type=int, required=True)
    p.add_argument("--n-test", type=int, required=True)
    p.add_argument("--time-max", type=float, required=True)
    p.add_argument("--late-time", type=float, required=True)
    p.add_argument("--output", help="JSON file of the rows (optional)")
    args = p.parse_args(argv)
    log = setup_logging()
    log.info(
        "probe: %s vs %s, test trajectories %d..%d",
        args.data,
        args.reference,
        args.n_train,
        args.n_train + args.n_test - 1,
    )
    data, ref = read_dataset(args.data), read_dataset(args.reference)
    stride = (ref.sizes["x"] - 1) // (data.sizes["x"] - 1)
    if not np.allclose(ref.x.values[::stride], data.x.values):
        raise ValueError("the reference grid must contain the macro nodes")
    times = data.time.values[data.time.values <= args.time_max + 1e-12]
    test = slice(args.n_train, args.n_train + args.n_test)
    sub = {"trajectory": test}
    ic = InitialConditions(
        data.ic_amplitude.isel(**sub).values, data.ic_wavenumber.isel(**sub).values, data.ic_phase.isel(**sub).values
    )
    truths = rhs_truths_1d(
        data.U.isel(**sub).sel(time=times).values,
        ref.U.isel(**sub).sel(time=times).values,
        ref.dUdt.isel(**sub).sel(time=times).values,
        times,
        a_star=float(ref.attrs["a_star"]),
        stride=stride,
        ic=ic,
    )
    fields = {"patch_data": data.dUdt.isel(**sub).sel(time=times).values}
    fields |= {f"truth_{k}": v for k, v in truths.items() if k in ("coarse_scheme", "fine")}
    windows = {"all": np.ones(times.size, bool), f"t>={args.late_time:g}": times >= args.late_time - 1e-12}
    rows = score_against_truths(fields, truths, windows)
    for path in args.evaluation:
        # a learned model's predictions, on its evaluation's own window (a prefix of the probe's)
        ev = read_dataset(path)
        keep = np.isin(np.round(times, 9), np.round(ev.time.values, 9))
        if keep.sum() != ev.sizes["time"]:
            raise ValueError(f"{path}: evaluation times are not among the probe's")
        tail = f" (t<={times[keep].max():g})" if not keep.all() else ""
        sub_t = {k: v[:, keep] for k, v in truths.items()}
        sub_w = {k + tail: v[keep] for k, v in windows.items()}
        rows += score_against_truths({f"learned_{ev.attrs['arch']}": ev.dUdt_pred.values}, sub_t, sub_w)
    for r in rows:
        print(
            f"{r['field']:22s} vs {r['truth']:14s} {r['window']:9s} ({r['snapshots']:4d} snapshots): rMSE {r['rmse']:.3e}"
        )
    if args.output:
        with open(args.output, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()

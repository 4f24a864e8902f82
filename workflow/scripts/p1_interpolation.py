#!/usr/bin/env python
"""P1 Fig. 1: learn to interpolate fine Burgers snapshots from every ``factor``-th point (Bar-Sinai et al.
2019, super-resolution notebook), then evaluate the network and the polynomial baselines on the held-out
snapshots. Snapshots are the (sample, time) pairs in that flattened order; the first ``train-fraction``
are training, the rest validation (the authors' 80/20 split). ``--max-snapshots`` keeps evenly strided
subsets of both parts (the first validation snapshot, Fig. 1A's example, is always kept).

With --checkpoint PATH, training writes its state there every --checkpoint-every steps and a rerun resumes from
it (bit-identical result on the same device); the checkpoint is removed once the outputs are written."""

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.checkpoint import remove_checkpoint
from coarsepde.discretization.interpolation import (
    InterpolationModel,
    assemble_fine,
    polynomial_interpolation,
    predict_between,
    split_fine,
    split_snapshots,
)
from coarsepde.discretization.interpolation_metrics import interpolation_metrics
from coarsepde.discretization.interpolation_training import piecewise_schedule, train_interpolation
from coarsepde.discretization.training import resolve_device
from coarsepde.store import provenance, read_dataset, save_state_dict, write_dataset

REFERENCES = "Bar-Sinai et al. 2019, Fig. 1 and SI (super-resolution notebook)"
#: extra references evaluated beside the claim's two ("nn" and "poly" = the cubic)
EXTRA_BASELINES = {"poly6": 6, "linear": 2}


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="Burgers store with v (sample, time, x) on the fine grid")
    p.add_argument("--factor", type=int, default=8, help="known points every factor-th fine point")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--lr", type=float, required=True, help="learning rate for the first half of the steps")
    p.add_argument("--lr-final", type=float, required=True, help="learning rate for the second half")
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--filters", type=int, required=True)
    p.add_argument("--kernel", type=int, required=True)
    p.add_argument("--stencil-width", type=int, default=6)
    p.add_argument("--accuracy-order", type=int, default=1)
    p.add_argument("--input-scale", type=float, default=0.7917, help="inputs are divided by this (Burgers)")
    p.add_argument("--baseline-points", type=int, default=4, help="points of the polynomial baseline (4: cubic)")
    p.add_argument("--train-fraction", type=float, default=0.8)
    p.add_argument("--max-snapshots", type=int, default=0, help="use at most this many snapshots (0: all)")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="training precision (prediction and metrics in float64)",
    )
    p.add_argument(
        "--device",
        default="auto",
        help='torch device for training and prediction ("auto": CUDA when available, else CPU)',
    )
    p.add_argument("--checkpoint", default=None, help="training checkpoint (Zarr group) to resume from and write")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    p.add_argument("--model", required=True, help="output: weights and training curve (Zarr)")
    p.add_argument("--evaluation", required=True, help="output: evaluation store (Zarr)")
    args = p.parse_args(argv)
    if args.seed is None:
        p.error("--seed is required")
    log = setup_logging()
    torch.set_num_threads(args.threads)
    args.device = resolve_device(args.device)
    log.info("device: %s", args.device)

    ds = read_dataset(args.data)
    v = ds.v.transpose("sample", "time", "x").values
    n_fine = v.shape[-1]
    if n_fine % args.factor:
        p.error(f"--factor {args.factor} does not divide the {n_fine} fine points")
    fields = v.reshape(-1, n_fine)
    x = ds.x.values
    length = float(x[1] - x[0]) * n_fine
    i_train, i_val = split_snapshots(fields.shape[0], args.train_fraction, args.max_snapshots)
    train, val = fields[i_train], fields[i_val]
    log.info(
        "%d snapshots: %d training, %d validation (of %d fine points, known every %d)",
        fields.shape[0],
        len(i_train),
        len(i_val),
        n_fine,
        args.factor,
    )

    model = InterpolationModel(
        args.factor,
        stencil_width=args.stencil_width,
        accuracy_order=args.accuracy_order,
        layers=args.layers,
        filters=args.filters,
        kernel=args.kernel,
        input_scale=args.input_scale,
        seed=args.seed,
    )
    hist = train_interpolation(
        model,
        train,
        steps=args.steps,
        batch_size=args.batch_size,
        lr_schedule=piecewise_schedule(args.steps, args.lr, args.lr_final),
        seed=args.seed,
        val_fields=val,
        eval_every=args.eval_every,
        log=log.info,
        device=args.device,
        dtype=getattr(torch, args.dtype),
        checkpoint=args.checkpoint,
        checkpoint_every=args.checkpoint_every,
        keep_checkpoint=args.checkpoint is not None,
    )  # removed below, once the outputs exist
    model.double()
    log.info(
        "trained %d steps in %.1f s (%.3f s/step); final val loss %.4e",
        args.steps,
        hist.seconds,
        hist.seconds / args.steps,
        hist.val_loss[-1],
    )
    model.to("cpu")

    params = {
        k: val_
        for k, val_ in vars(args).items()
        if k
        not in (
            "model",
            "evaluation",
            "rule",
            "wildcards",
            "seed",
            "threads",
            "device",
            "checkpoint",
            "checkpoint_every",
        )
    }
    params |= {"n_train": len(i_train), "n_val": len(i_val), "n_fine": n_fine}
    prov = provenance(params, seed=args.seed, rule=args.rule, wildcards=args.wildcards)
    state = dict(model.state_dict())
    state |= {
        "history.step": torch.as_tensor(hist.step),
        "history.loss": torch.as_tensor(hist.loss),
        "history.val_loss": torch.as_tensor(hist.val_loss),
    }
    save_state_dict(
        state,
        args.model,
        title="P1 Fig. 1 interpolation network weights (history.*: training curve, "
        "losses normalised by the MSE of linear interpolation)",
        source=f"rule {args.rule} {args.wildcards}",
        provenance=prov,
    )

    # evaluation on the validation snapshots
    known, _ = split_fine(val, args.factor)
    predicted = {
        "nn": predict_between(model, val, device=args.device),
        "poly": assemble_fine(known, polynomial_interpolation(known, args.factor, args.baseline_points)).numpy(),
    }
    for name, n_points in EXTRA_BASELINES.items():
        predicted[name] = assemble_fine(known, polynomial_interpolation(known, args.factor, n_points)).numpy()
    met = interpolation_metrics(val, predicted, args.factor, length=length)
    log.info(
        "median |error|: NN %.3e, cubic %.3e (ratio %.2f), 6-point %.3e, linear %.3e; top-decile ratio %.2f "
        "vs %.2f over all intervals",
        met["median_abs_error_nn"],
        met["median_abs_error_poly"],
        met["ratio"],
        met["median_abs_error_poly6"],
        met["median_abs_error_linear"],
        met["ratio_top"],
        met["ratio_all_intervals"],
    )

    k_known = np.arange(n_fine // args.factor) * args.factor + args.factor - 1
    edges = met["hist_edges"]
    centres = 0.5 * (edges[1:] + edges[:-1])
    data = {
        "example_exact": (("x",), val[0], {"units": "1", "long_name": "first validation snapshot"}),
        "example_known": (("x_known",), val[0, k_known], {"units": "1", "long_name": "known point values"}),
        "hist_edges": (("hist_edge",), edges, {"units": "1"}),
        "curvature": (
            ("snapshot", "interval"),
            met["curvature"],
            {"units": "1/length^2", "long_name": "max |v_xx| over the interval (second differences)"},
        ),
        "bin_count": (("curvature_bin",), met["bin_count"], {"units": "1"}),
        "training_step": (("eval",), hist.step, {"units": "1"}),
        "training_loss": (("eval",), hist.loss, {"units": "1", "long_name": "MSE / MSE of linear interpolation"}),
        "training_val_loss": (("eval",), hist.val_loss, {"units": "1"}),
    }
    for name in predicted:
        data[f"example_{name}"] = (("x",), predicted[name][0], {"units": "1"})
        data[f"error_{name}"] = (
            ("snapshot", "interval"),
            met[f"error_{name}"],
            {"units": "1", "long_name": f"{name}: mean |error| over the interval"},
        )
        data[f"hist_{name}"] = (
            ("hist_exact", "hist_predicted"),
            met[f"{name}_hist"],
            {"units": "1", "long_name": f"{name}: counts of (exact, predicted)"},
        )
        for stat in ("median", "q05", "q95"):
            data[f"{name}_{stat}"] = (("curvature_bin",), met[f"{name}_{stat}"], {"units": "1"})
    for name in ("nn", "poly"):  # the per-point statistics of claim P1-fig1-interp (fig1_statistics)
        data[f"abs_error_{name}"] = (
            ("snapshot", "interval", "offset"),
            met[f"abs_error_{name}"],
            {"units": "1", "long_name": f"{name}: |error| of each interpolated point"},
        )
        data[f"overshoot_{name}"] = (
            ("snapshot", "interval"),
            met[f"overshoot_{name}"],
            {"units": "1", "long_name": f"{name}: overshoot beyond the exact range over the interval / that range"},
        )
    coords = {
        "x": ("x", x, {"units": "length"}),
        "x_known": ("x_known", x[k_known], {"units": "length"}),
        "hist_exact": ("hist_exact", centres, {"units": "1"}),
        "hist_predicted": ("hist_predicted", centres, {"units": "1"}),
        "curvature_bin": ("curvature_bin", met["bin_centre"], {"units": "1/length^2", "long_name": "10^(0.1 k)"}),
        "snapshot": ("snapshot", i_val, {"long_name": "flat (sample, time) index"}),
        "interval": ("interval", np.arange(k_known.size), {"long_name": "between known j and j+1"}),
        "offset": ("offset", np.arange(1, args.factor), {"long_name": "fine points past known j"}),
    }
    scalars = {k: met[k] for k in met if np.ndim(met[k]) == 0}
    attrs = scalars | {
        "factor": args.factor,
        "n_train": len(i_train),
        "n_val": len(i_val),
        "length": length,
        "baseline_points": args.baseline_points,
        "linear_mse_train": hist.linear_mse,
        "final_val_loss": float(hist.val_loss[-1]),
        "train_seconds": hist.seconds,
        "seconds_per_step": hist.seconds / args.steps,
        "names": "nn: network; poly: cubic (4 points); poly6: 6-point polynomial (the network's "
        "stencil at zero output); linear: 2 points",
    }
    write_dataset(
        xr.Dataset(data, coords=coords, attrs=attrs),
        args.evaluation,
        title="P1 Fig. 1 interpolation: evaluation on the validation snapshots",
        source=f"rule {args.rule} {args.wildcards}",
        references=REFERENCES,
        provenance=prov,
    )
    log.info("wrote %s and %s", args.model, args.evaluation)
    if args.checkpoint is not None:
        remove_checkpoint(args.checkpoint)


if __name__ == "__main__":
    main()

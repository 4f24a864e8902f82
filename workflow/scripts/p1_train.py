#!/usr/bin/env python
"""P1 (Burgers, KdV or KS, whichever equation the data store holds): train one learned
discretization (NN or optimized constant coefficients, centred or Godunov flux) at one resample factor on the time-derivative loss (plus, optionally, the
time-integrated loss of the paper's footnote *). Snapshots are split 80/20 by position (the
original's); every snapshot enters with all its shifts.

With --checkpoint PATH, training writes its state there every --checkpoint-every steps and a rerun
resumes from it (bit-identical result on the same device); the checkpoint is removed once the model
and history stores are written."""

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.checkpoint import remove_checkpoint
from coarsepde.discretization.equations import Burgers, coarse_grain, equation_from_dict
from coarsepde.discretization.losses import evaluate_mse, training_pairs
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.persist import save_model
from coarsepde.discretization.training import resolve_device, train
from coarsepde.store import provenance, read_dataset, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="train.zarr of the exact data rule")
    p.add_argument("--factor", type=int, required=True)
    p.add_argument("--kind", choices=["cnn", "constant"], required=True)
    p.add_argument("--flux", choices=["centered", "godunov"], required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--batch-snapshots", type=int, required=True, help="fine snapshots per batch (x factor shifts)")
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--lr-final", type=float, required=True, help="learning rate after half of the steps")
    p.add_argument("--val-fraction", type=float, required=True)
    p.add_argument("--eval-every", type=int, required=True)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--filters", type=int, default=32)
    p.add_argument("--kernel", type=int, default=5)
    p.add_argument("--integrated-weight", type=float, default=0.0, help="0: time-derivative loss only")
    p.add_argument("--integrated-dt", type=float, default=1e-3)
    p.add_argument("--integrated-batch", type=int, default=32)
    p.add_argument(
        "--integrated-outputs",
        type=int,
        default=0,
        help="use the first N rollout outputs (0: all) -- the horizon of the integrated loss",
    )
    p.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="training precision (the model is stored and evaluated in float64)",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto", help='torch device to train on ("auto": CUDA when available, else CPU)')
    p.add_argument(
        "--checkpoint",
        default=None,
        help="training checkpoint (Zarr group) to resume from and write; removed after success",
    )
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    p.add_argument("--model", required=True, help="output: weights store")
    p.add_argument("--history", required=True, help="output: training-curve store")
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    if args.seed is None:
        p.error("--seed is required")

    ds = read_dataset(args.data)
    n_fine = ds.sizes["x"]
    if n_fine % args.factor:
        p.error(f"factor {args.factor} does not divide the {n_fine} fine cells")
    v = ds.v.values.reshape(-1, n_fine)
    dvdt = ds.dvdt.values.reshape(-1, n_fine)
    n_train = int(round((1 - args.val_fraction) * len(v)))
    if not 0 < n_train < len(v):
        p.error(f"--val-fraction {args.val_fraction} leaves no training or no validation snapshots of {len(v)}")
    x_train, y_train = training_pairs(v[:n_train], dvdt[:n_train], args.factor)
    x_val, y_val = training_pairs(v[n_train:], dvdt[n_train:], args.factor)
    length = float(ds.attrs["length"])
    if "equation" in ds.attrs:  # KdV / KS data carry their equation (p1_pde_data.py)
        equation = equation_from_dict(dict(ds.attrs["equation"]) | {"flux_form": args.flux})
    else:
        equation = Burgers(float(ds.attrs["eta"]), length, args.flux)
    dx = length / (n_fine // args.factor)
    gen = torch.Generator().manual_seed(args.seed)
    model = LearnedDiscretization(
        equation, dx, args.kind, layers=args.layers, filters=args.filters, kernel=args.kernel, generator=gen
    )

    integrated = None
    if args.integrated_weight > 0:
        if "v_rollout" not in ds:
            p.error(f"{args.data} has no rollouts (v_rollout) for the time-integrated loss")
        n_out = args.integrated_outputs or ds.sizes["lag"] - 1
        if n_out > ds.sizes["lag"] - 1:
            p.error(f"--integrated-outputs {n_out} > the {ds.sizes['lag'] - 1} stored rollout outputs")
        roll = coarse_grain(ds.v_rollout.values[:, : n_out + 1], args.factor)  # (R, 1 + n_out, N)
        lags = ds.lag.values
        per_output = int(round((lags[1] - lags[0]) / args.integrated_dt))
        if abs(per_output * args.integrated_dt - (lags[1] - lags[0])) > 1e-9:
            p.error(f"--integrated-dt {args.integrated_dt} does not divide the rollout spacing {lags[1] - lags[0]}")
        integrated = {
            "v0": roll[:, 0],
            "targets": roll[:, 1:],
            "dt": args.integrated_dt,
            "steps_per_output": per_output,
            "weight": args.integrated_weight,
            "batch_size": args.integrated_batch,
        }

    device = resolve_device(args.device)
    model.to(device, getattr(torch, args.dtype))
    batch = args.batch_snapshots * args.factor
    log.info(
        "%s/%s at %dx: %d training and %d validation samples of %d cells, batch %d, %d steps on %s",
        args.kind,
        args.flux,
        args.factor,
        len(x_train),
        len(x_val),
        x_train.shape[1],
        batch,
        args.steps,
        device,
    )
    history = train(
        model,
        x_train,
        y_train,
        steps=args.steps,
        batch_size=batch,
        lr_schedule=[(0, args.lr), (args.steps // 2, args.lr_final)],
        val=(x_val, y_val),
        eval_every=args.eval_every,
        seed=args.seed,
        integrated=integrated,
        log=lambda s, l, vl: log.info("step %6d  loss %.4g  val %.4g", s, l, vl),
        checkpoint=args.checkpoint,
        checkpoint_every=args.checkpoint_every,
        keep_checkpoint=args.checkpoint is not None,
    )  # removed below, once the outputs exist
    model.to("cpu", torch.float64)
    final_val = evaluate_mse(model, x_val, y_val)
    log.info("final normalized validation MSE %.4g", final_val)

    # checkpointing does not change the result; the device does (in the last bits), so it is recorded
    params = {
        k: v
        for k, v in vars(args).items()
        if k not in ("model", "history", "rule", "wildcards", "seed", "threads", "checkpoint", "checkpoint_every")
    } | {"device": device.type}
    prov = provenance(params | {"final_val_mse": final_val}, seed=args.seed, rule=args.rule, wildcards=args.wildcards)
    save_model(
        model,
        args.model,
        title=f"P1 {equation.name} {args.kind}/{args.flux} model, {args.factor}x",
        source=f"rule {args.rule}",
        provenance=prov,
    )
    hist = xr.Dataset(
        {k: (("eval",), np.asarray(vals, dtype=float)) for k, vals in history.items() if k != "step"},
        coords={"eval": np.arange(len(history["step"])), "step": ("eval", np.asarray(history["step"]))},
        attrs={"final_val_mse": final_val, "factor": args.factor, "kind": args.kind, "flux": args.flux},
    )
    write_dataset(
        hist,
        args.history,
        title=f"P1 {equation.name} training history (normalized MSE)",
        source=f"rule {args.rule}",
        references="Bar-Sinai et al. 2019, Choice of Loss",
        provenance=prov,
    )
    if args.checkpoint is not None:
        remove_checkpoint(args.checkpoint)


if __name__ == "__main__":
    main()

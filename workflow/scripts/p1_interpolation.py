#!/usr/bin/env python
"""P1 Fig. 1: learn to interpolate fine Burgers snapshots from every ``factor``-th point (Bar-Sinai et al.
2019, super-resolution notebook). Snapshots are the (sample, time) pairs in that flattened order; the first
``train-fraction`` are training, the rest validation (the authors' 80/20 split). ``--max-snapshots`` keeps evenly
strided subsets of both parts (the first validation snapshot, Fig. 1A's example, is always kept). The model store's
provenance holds every setting p1_interpolation_eval.py needs to rebuild the network and the split.

With --checkpoint PATH, training writes its state there every --checkpoint-every steps and a rerun resumes from
it (bit-identical result on the same device); the checkpoint is removed once the outputs are written."""

import torch

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.checkpoint import remove_checkpoint
from coarsepde.discretization.interpolation import InterpolationModel, split_snapshots
from coarsepde.discretization.interpolation_training import piecewise_schedule, train_interpolation
from coarsepde.discretization.training import resolve_device
from coarsepde.store import provenance, read_dataset, save_state_dict


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
    log.info(
        "trained %d steps in %.1f s (%.3f s/step); final val loss %.4e",
        args.steps,
        hist.seconds,
        hist.seconds / args.steps,
        hist.val_loss[-1],
    )
    model.double().to("cpu")  # stored in float64, as the evaluation runs

    params = {
        k: val_
        for k, val_ in vars(args).items()
        if k
        not in (
            "model",
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
    log.info("wrote %s", args.model)
    if args.checkpoint is not None:
        remove_checkpoint(args.checkpoint)


if __name__ == "__main__":
    main()

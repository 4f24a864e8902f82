#!/usr/bin/env python
"""P2 2D learning: train one architecture (functional MLP on FFT derivatives, the discretized conv net,
or the project's mean-conserving flux-form variant of the functional one) on gap-tooth data: inputs the
16 x 16 macro field, targets its dU/dt."""

import logging

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.homogenization.learning2d import build_model_2d, train_2d
from coarsepde.store import provenance, read_dataset, save_state_dict, write_dataset


def model_kwargs(arch, hidden, hidden2, kernel):
    if arch in ("functional", "conservative"):
        return {"hidden": hidden, "hidden2": hidden2}
    return {"filters": hidden, "kernel": kernel}


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="patch2d.zarr")
    p.add_argument("--arch", choices=["functional", "discretized", "conservative"], required=True)
    p.add_argument("--n-test", type=int, required=True, help="the last n trajectories are held out")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--val-fraction", type=float, required=True)
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--hidden2", type=int, required=True)
    p.add_argument("--kernel", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto", help='torch device ("auto": CUDA when available, else CPU)')
    p.add_argument("--weights", required=True)
    p.add_argument("--history", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    ds = read_dataset(args.data)
    train = ds.isel(trajectory=slice(0, ds.sizes["trajectory"] - args.n_test))
    n = ds.sizes["x"]
    U = train.U.values.reshape(-1, n, n)
    F = train.dUdt.values.reshape(-1, n, n)
    model = build_model_2d(args.arch, seed=args.seed, **model_kwargs(args.arch, args.hidden, args.hidden2, args.kernel))
    every = max(1, args.epochs // 20)

    def progress(epoch, tr, va):
        if epoch % every == 0 or epoch == args.epochs:
            logging.info("epoch %d: train %.3e  val %.3e", epoch, tr, va)

    res = train_2d(
        model,
        U,
        F,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        val_fraction=args.val_fraction,
        seed=args.seed,
        progress=progress,
        device=args.device,
    )
    log.info("%s: %d samples, %d epochs in %.1f s", args.arch, U.shape[0], res.epochs, res.seconds)
    params = {
        k: v
        for k, v in vars(args).items()
        if k not in ("weights", "history", "rule", "wildcards", "seed", "threads", "device")
    }
    prov = provenance(params | {"n_samples": int(U.shape[0])}, seed=args.seed, rule=args.rule, wildcards=args.wildcards)
    save_state_dict(
        model.state_dict(),
        args.weights,
        title=f"P2 2D {args.arch} network weights",
        source=f"rule {args.rule} {args.wildcards}",
        provenance=prov,
    )
    hist = xr.Dataset(
        {
            "train_loss": (("epoch",), res.train_loss, {"units": "(1/time)^2", "long_name": "MSE of dU/dt"}),
            "val_loss": (("epoch",), res.val_loss, {"units": "(1/time)^2"}),
        },
        coords={"epoch": ("epoch", np.arange(1, res.epochs + 1), {"units": "1"})},
        attrs={"arch": args.arch, "target_variance": float(np.var(F))},
    )
    write_dataset(
        hist,
        args.history,
        title=f"P2 2D {args.arch} training history",
        source=f"rule {args.rule}",
        references="Arbabi et al. 2020, Sect. 5.2",
        provenance=prov,
    )


if __name__ == "__main__":
    main()

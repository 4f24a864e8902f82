#!/usr/bin/env python
"""P2 1D learning: train one architecture (functional MLP on (U, U_x, U_xx), or the discretized
conv net) on patch-dynamics data: inputs U, targets the Eq. (11) estimates of dU/dt."""

import logging

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.homogenization.learning import build_model, train
from coarsepde.store import provenance, read_dataset, save_state_dict, write_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="patch1d.zarr")
    p.add_argument("--arch", choices=["functional", "discretized"], required=True)
    p.add_argument("--n-train", type=int, required=True, help="the first n trajectories are the training set")
    p.add_argument("--train-time-max", type=float, required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--val-fraction", type=float, required=True)
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto", help='torch device ("auto": CUDA when available, else CPU)')
    p.add_argument("--weights", required=True)
    p.add_argument("--history", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    ds = read_dataset(args.data)
    sub = ds.isel(trajectory=slice(0, args.n_train)).sel(time=ds.time[ds.time < args.train_time_max + 1e-12])
    U = sub.U.values.reshape(-1, ds.sizes["x"])
    F = sub.dUdt.values.reshape(-1, ds.sizes["x"])
    dx = float(ds.x[1] - ds.x[0])
    kw = {"hidden": args.hidden, "dx": dx} if args.arch == "functional" else {"filters": args.hidden}
    model = build_model(args.arch, seed=args.seed, **kw)
    every = max(1, args.epochs // 20)

    def progress(epoch, tr, va):
        if epoch % every == 0 or epoch == args.epochs:
            logging.info("epoch %d: train %.3e  val %.3e", epoch, tr, va)

    res = train(
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
        title=f"P2 1D {args.arch} network weights",
        source=f"rule {args.rule} {args.wildcards}",
        provenance=prov,
    )
    hist = xr.Dataset(
        {
            "train_loss": (("epoch",), res.train_loss, {"units": "(1/time)^2", "long_name": "MSE of dU/dt"}),
            "val_loss": (("epoch",), res.val_loss, {"units": "(1/time)^2"}),
        },
        coords={"epoch": ("epoch", np.arange(1, res.epochs + 1), {"units": "1"})},
        attrs={"arch": args.arch, "target_variance": float(np.var(F[:, 1:-1]))},
    )
    write_dataset(
        hist,
        args.history,
        title=f"P2 1D {args.arch} training history",
        source=f"rule {args.rule}",
        references="Arbabi et al. 2020, Sect. 4-5.1",
        provenance=prov,
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Does the time-integrated loss (paper footnote *) stabilise the 2x KdV NN? (issue 22 item 4; docs/p1.md)

Continues training a trained KdV model for --steps Adam steps at --lr, once with the time-derivative loss
alone (the control) and once with it plus the time-integrated loss of ``training.train`` (explicit-midpoint
rollouts of the model from the training snapshots against fine pseudo-spectral rollouts, cell-averaged;
horizon = --outputs x --spacing), then scores both by the Fig. 4 protocol (valid times of the test runs,
RK23 with the original's settings) and by the sawtooth growth rate lambda_saw(u) of
``coarsepde.discretization.stability``. Trained from scratch the integrated loss is NaN at the random
initial weights (the rollout of the untrained stencils blows up), hence the continuation.

    .venv/bin/python benchmarks/p1_kdv_integrated_loss.py --model results/discretization/kdv/models/nn_2x.zarr \
        --train results/discretization/kdv/train.zarr --test results/discretization/kdv/test.zarr \
        [--outputs 5 --spacing 0.01 --dt 1e-3 --steps 1000 --seed 7]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from coarsepde.discretization.equations import coarse_grain
from coarsepde.discretization.losses import evaluate_mse, training_pairs
from coarsepde.discretization.metrics import valid_threshold
from coarsepde.discretization.persist import load_model
from coarsepde.discretization.simulate import SolverSettings, run_valid_time
from coarsepde.discretization.spectral import SpectralSolver
from coarsepde.discretization.stability import learned_rhs, sawtooth_rate
from coarsepde.discretization.training import train
from coarsepde.store import read_dataset


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="the trained KdV NN to continue from")
    p.add_argument("--train", required=True, help="KdV train.zarr (p1_pde_data)")
    p.add_argument("--test", required=True, help="KdV test.zarr (p1_pde_data)")
    p.add_argument("--outputs", type=int, default=5, help="rollout outputs in the loss")
    p.add_argument("--spacing", type=float, default=0.01, help="time between rollout outputs")
    p.add_argument("--dt", type=float, default=1e-3, help="explicit-midpoint step of the model rollout")
    p.add_argument("--weight", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lr", type=float, default=1e-4, help="the final rate of the pipeline's schedule")
    p.add_argument("--batch-snapshots", type=int, default=16)
    p.add_argument("--rollout-batch", type=int, default=8)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--samples", type=int, default=0, help="test runs to score (0: all)")
    p.add_argument("--val-fraction", type=float, default=0.2)
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    ds = read_dataset(args.train)
    n = ds.sizes["x"]
    v, d = ds.v.values.reshape(-1, n), ds.dvdt.values.reshape(-1, n)
    n_train = int(round((1 - args.val_fraction) * len(v)))
    base = load_model(args.model)
    factor = int(round(base.dx * n / base.equation.length))
    x_train, y_train = training_pairs(v[:n_train], d[:n_train], factor)
    x_val, y_val = training_pairs(v[n_train:], d[n_train:], factor)
    solver = SpectralSolver(base.equation, n, float(ds.attrs["dt"]))
    lags = np.arange(1, args.outputs + 1) * args.spacing
    rollouts = solver.solve(v[:n_train], lags)  # (R, outputs, n), fine and unforced
    integrated = {
        "v0": coarse_grain(v[:n_train], factor),
        "targets": coarse_grain(rollouts, factor),
        "dt": args.dt,
        "steps_per_output": int(round(args.spacing / args.dt)),
        "weight": args.weight,
        "batch_size": args.rollout_batch,
    }

    test = read_dataset(args.test)
    fine = test.v.values[: args.samples or None]
    tau = valid_threshold(test.v.values, 0.2)
    exact = coarse_grain(fine, factor)
    print(f"{factor}x KdV from {args.model}; {args.steps} more steps at lr {args.lr}, seed {args.seed}; "
          f"integrated horizon {lags[-1]:g} ({args.outputs} x {args.spacing:g}), dt {args.dt:g}\n")  # fmt: skip
    print("| loss | median valid time | runs diverged | lambda_saw(u = -0.5, 0.5, 1, 2) | val MSE | train CPU s |")
    print("|---|---|---|---|---|---|")
    for label, integ in (("time derivative", None), ("+ time-integrated", integrated)):
        model = load_model(args.model).to("cpu", torch.float32)
        start = time.process_time()
        train(
            model,
            x_train,
            y_train,
            steps=args.steps,
            batch_size=args.batch_snapshots * factor,
            lr_schedule=[(0, args.lr)],
            eval_every=max(args.steps, 1),
            seed=args.seed,
            integrated=integ,
        )
        cpu = time.process_time() - start
        model.to("cpu", torch.float64)
        res = run_valid_time(model.equation, model, exact, test.time.values, tau, 0.8, SolverSettings(), dx=model.dx)
        rates = [sawtooth_rate(learned_rhs(model), u, exact.shape[-1]) for u in (-0.5, 0.5, 1.0, 2.0)]
        print(
            f"| {label} | {np.median(res['valid_time']):.3g} | {int(np.isfinite(res['t_diverged']).sum())} of "
            f"{len(exact)} | {', '.join(f'{r:.3g}' for r in rates)} | {evaluate_mse(model, x_val, y_val):.3g} | "
            f"{cpu:.0f} |"
        )


if __name__ == "__main__":
    main()

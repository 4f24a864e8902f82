#!/usr/bin/env python
"""Cost of P1's paper-protocol run (issue 22 item 6; README "P1 at the authors' own protocol").

Times the pipeline's training step (``training.train``, ``interpolation_training.train_interpolation``) at the
protocol's batch for every kind of job of ``discretization.protocol_run`` (Burgers NN and constant models, the
constant Godunov model with its time-integrated loss, KdV / KS NN and constant models, Fig. 1's model), torch one
thread as the pipeline runs it, on synthetic fields of the right shapes (a step's cost does not depend on the
values), then extrapolates each training job (steps x seconds per step, plus the validation passes) and the whole
run (every row x every seed). Prints markdown tables.

    .venv/bin/python benchmarks/p1_protocol_cost.py [--config config/config.yaml] [--steps 30]

Coarse runs and data are not timed here (the record's benchmark files hold them once a run has made them).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
import yaml
from p1_training_cost import smooth_fields

from coarsepde.discretization.equations import make_equation
from coarsepde.discretization.interpolation import InterpolationModel
from coarsepde.discretization.interpolation_training import train_interpolation
from coarsepde.discretization.losses import training_pairs
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.training import train


def step_seconds(run, steps: int) -> tuple[float, float]:
    """(CPU, wall) seconds per step of ``run(steps)`` (after a 2-step warm-up: compiled kernels, allocator). The
    process CPU clock is the core-seconds of a one-thread job whatever else the machine runs."""
    run(2)
    c0, t0 = time.process_time(), time.perf_counter()
    run(steps)
    n = steps + 1  # train() also scores the first mini-batch before step 1
    return (time.process_time() - c0) / n, (time.perf_counter() - t0) / n


def model_case(cfg, eq: str, model: str, factor: int, steps: int) -> tuple[float, float]:
    d, pr = cfg["discretization"], cfg["discretization"]["protocol_run"]
    c = d[eq]
    flux = "godunov" if model == "const_godunov" else "centered"
    if eq == "burgers":
        equation = make_equation("burgers", flux_form=flux, eta=c["eta"], length=c["length_pi"] * np.pi)
    else:
        equation = make_equation(eq, length=c["length"])
    n_fine = c["n_fine"]
    n = n_fine // factor
    batch = pr["batch_snapshots"] * factor
    v = smooth_fields(2 * pr["batch_snapshots"], n_fine, 7)
    x, y = training_pairs(v, np.gradient(v, axis=1), factor)
    integrated = None
    if model == "const_godunov":
        i, tr = pr["integrated"], c["train"]
        spacing = tr["rollout_horizon"] / tr["rollout_outputs"]
        dt = c["training"]["integrated"]["dt"]
        v0 = smooth_fields(i["batch_size"] * 2, n, 8)
        targets = np.stack([v0 * (1 - 0.01 * k) for k in range(1, i["n_outputs"] + 1)], 1)
        integrated = {"v0": v0, "targets": targets, "dt": dt, "steps_per_output": int(round(spacing / dt))}
        integrated |= {"weight": c["training"]["integrated"]["weight"], "batch_size": i["batch_size"]}
    kind = "cnn" if model == "nn" else "constant"
    tr = d["burgers"]["training"]

    def run(k):
        m = LearnedDiscretization(equation, equation.length / n, kind, generator=torch.Generator().manual_seed(0))
        m = m.to(getattr(torch, tr["dtype"]))
        train(m, x, y, steps=k, batch_size=batch, lr_schedule=[(0, 1e-3)], eval_every=k + 1, seed=0,
              integrated=integrated)  # fmt: skip

    return step_seconds(run, steps)


def interpolation_case(cfg, steps: int) -> tuple[float, float]:
    d = cfg["discretization"]
    it, pr = d["burgers"]["interpolation"], d["protocol_run"]["interpolation"]
    f = smooth_fields(2 * pr["batch_size"], d["burgers"]["n_fine"], 9)

    def run(k):
        m = InterpolationModel(it["factor"], seed=0)
        train_interpolation(m, f, steps=k, batch_size=pr["batch_size"], lr_schedule=[(0, 1e-3)], eval_every=k + 1,
                            dtype=torch.float32)  # fmt: skip

    return step_seconds(run, steps)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--steps", type=int, default=30, help="timed steps per kind (after a 2-step warm-up)")
    p.add_argument("--eval-share", type=float, default=0.02,
                   help="validation passes as a share of the training time (every eval_every steps)")  # fmt: skip
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    cfg = yaml.safe_load(open(args.config))
    pr = cfg["discretization"]["protocol_run"]
    seeds = len(pr["seeds"])
    load = os.getloadavg()[0]
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__} 1 thread, "
          f"1-min load average {load:.1f} at the start; {args.steps} steps timed per kind\n")  # fmt: skip
    jobs = []
    for eq, models in pr["rows"].items():
        for m, factors in models.items():
            for f in factors:
                cpu, wall = model_case(cfg, eq, m, f, args.steps)
                jobs.append((f"{eq} {m} {f}x", cpu, wall, pr["steps"]))
                print(f"  {eq} {m} {f}x: {1e3 * cpu:.1f} ms CPU / {1e3 * wall:.1f} ms wall per step", flush=True)
    cpu, wall = interpolation_case(cfg, args.steps)
    jobs.append(("Fig. 1 interpolation", cpu, wall, pr["interpolation"]["steps"]))
    print(f"  interpolation: {1e3 * cpu:.1f} ms CPU / {1e3 * wall:.1f} ms wall per step\n", flush=True)
    print("| training job | CPU s / step (wall) | steps | core-hours per job | jobs (seeds) | core-hours |")
    print("|---|---|---|---|---|---|")
    total = 0.0
    for name, cpu, wall, steps in jobs:
        hours = cpu * steps * (1 + args.eval_share) / 3600
        total += hours * seeds
        print(f"| {name} | {cpu:.4f} ({wall:.4f}) | {steps:,} | {hours:.2f} | {seeds} | {hours * seeds:.2f} |")
    print(
        f"\nTraining total: {total:.1f} core-hours over {len(jobs) * seeds} jobs (1-min load "
        f"{os.getloadavg()[0]:.1f} at the end)"
    )


if __name__ == "__main__":
    main()

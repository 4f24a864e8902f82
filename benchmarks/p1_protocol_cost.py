#!/usr/bin/env python
"""Cost of P1's paper-protocol run, old vs new and against this CPU's limit (issue 22 items 1 and 3).

Times the pipeline's training step (``training.train``, ``interpolation_training.train_interpolation``) at the
protocol's batch for every kind of job of ``discretization.protocol_run`` (Burgers NN and constant models, the
constant Godunov model with its time-integrated loss, KdV / KS NN and constant models, Fig. 1's model), torch one
thread as the pipeline runs it, on synthetic fields of the right shapes (a step's cost does not depend on the
values). Each kind is timed twice, interleaved in this one process: the reference path (``model.fused = False``:
the torch composition the code had before issue 22: torch's loop of the midpoint rollout, one circular pad per
convolution, the foreach Adam update) and the compiled one (the default; both are the same computation to
round-off, ``tests/test_p1_fused.py``). Against both stands the floor: the FLOPs of one forward + backward step
(``p1_training_cost.step_flops``) at torch's float32 matmul peak measured in the same run.

Each training job is extrapolated (steps x CPU seconds per step, plus the validation passes) and so is the whole
run (every row x every seed): core-hours with the reference path, with the compiled one, and at the floor, which
bounds what any implementation of the same arithmetic could reach on this CPU. Prints markdown tables.

    .venv/bin/python benchmarks/p1_protocol_cost.py [--config config/config.yaml] [--steps 5] [--repeats 3]

Coarse runs and data are not timed here (the record's benchmark files hold them once a run has made them).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
import yaml
from p1_training_cost import interpolation_step_flops, peak_flops, smooth_fields, step_flops

from coarsepde.discretization.equations import make_equation
from coarsepde.discretization.interpolation import InterpolationModel
from coarsepde.discretization.interpolation_training import train_interpolation
from coarsepde.discretization.losses import training_pairs
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.training import train
from coarsepde.numerics.timing import cpu_model, interleaved


def per_step(run, steps: int, repeats: int) -> tuple[float, float]:
    """(compiled, reference) CPU seconds per step of ``run(fused, steps)``, the two paths interleaved, ``repeats``
    rounds (median), after a 2-step warm-up of each (compiled kernels, allocator). The process CPU clock is the
    core-seconds of a one-thread job whatever else the machine runs."""
    run(True, 2), run(False, 2)
    (new, old), _ = interleaved([lambda: run(True, steps), lambda: run(False, steps)], repeats, clock="cpu")
    n = steps + 1  # train() also scores the first mini-batch before step 1
    return new / n, old / n


def model_case(cfg, eq: str, model: str, factor: int) -> tuple[object, float]:
    """(run(fused, steps), FLOPs per step) of one protocol training kind."""
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
    integrated = rollout = None
    if model == "const_godunov":
        i, tr = pr["integrated"], c["train"]
        spacing = tr["rollout_horizon"] / tr["rollout_outputs"]
        dt = c["training"]["integrated"]["dt"]
        v0 = smooth_fields(i["batch_size"] * 2, n, 8)
        targets = np.stack([v0 * (1 - 0.01 * k) for k in range(1, i["n_outputs"] + 1)], 1)
        integrated = {"v0": v0, "targets": targets, "dt": dt, "steps_per_output": int(round(spacing / dt))}
        integrated |= {"weight": c["training"]["integrated"]["weight"], "batch_size": i["batch_size"]}
        rollout = ({"n_out": i["n_outputs"], **integrated}, n)
    kind = "cnn" if model == "nn" else "constant"
    dtype = getattr(torch, d["burgers"]["training"]["dtype"])

    def make():
        return LearnedDiscretization(equation, equation.length / n, kind, generator=torch.Generator().manual_seed(0))

    def run(fused: bool, k: int):
        m = make().to(dtype)
        m.fused = fused
        train(m, x, y, steps=k, batch_size=batch, lr_schedule=[(0, 1e-3)], eval_every=k + 1, seed=0,
              integrated=integrated)  # fmt: skip

    return run, step_flops(make(), batch * n, rollout)


def interpolation_case(cfg) -> tuple[object, float]:
    d = cfg["discretization"]
    it, pr = d["burgers"]["interpolation"], d["protocol_run"]["interpolation"]
    n = d["burgers"]["n_fine"]
    f = smooth_fields(2 * pr["batch_size"], n, 9)

    def run(fused: bool, k: int):
        m = InterpolationModel(it["factor"], seed=0)
        m.fused = fused
        train_interpolation(m, f, steps=k, batch_size=pr["batch_size"], lr_schedule=[(0, 1e-3)], eval_every=k + 1,
                            dtype=torch.float32)  # fmt: skip

    probe = InterpolationModel(it["factor"], seed=0)
    return run, interpolation_step_flops(probe, pr["batch_size"] * (n // it["factor"]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--steps", type=int, default=5, help="timed steps per kind, path and round (after a 2-step warm-up)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds per kind (the median is kept)")
    p.add_argument("--eval-share", type=float, default=0.02,
                   help="validation passes as a share of the training time (every eval_every steps)")  # fmt: skip
    args = p.parse_args(argv)
    if args.steps < 1 or args.repeats < 1:
        p.error("--steps and --repeats must be >= 1")
    torch.set_num_threads(1)
    cfg = yaml.safe_load(open(args.config))
    pr = cfg["discretization"]["protocol_run"]
    seeds = len(pr["seeds"])
    peak = peak_flops(quick=False, clock="cpu")  # the steps are timed on the CPU clock too
    t0 = time.perf_counter()
    print(f"{cpu_model()}, torch {torch.__version__} 1 thread, float32 matmul peak {peak / 1e9:.1f} GFLOP/s; "
          f"1-min load average {os.getloadavg()[0]:.1f} at the start; {args.steps} steps x {args.repeats} "
          "interleaved rounds per kind and path, CPU time\n")  # fmt: skip
    cases = [
        (f"{eq} {m} {f}x", pr["steps"], *model_case(cfg, eq, m, f))
        for eq, models in pr["rows"].items()
        for m, factors in models.items()
        for f in factors
    ]
    cases.append(("Fig. 1 interpolation", pr["interpolation"]["steps"], *interpolation_case(cfg)))
    jobs = []
    for name, steps, run, flops in cases:
        new, old = per_step(run, args.steps, args.repeats)
        jobs.append((name, steps, new, old, flops / peak))
        print(f"  {name}: compiled {1e3 * new:.2f} ms, reference {1e3 * old:.2f} ms, floor "
              f"{1e3 * flops / peak:.3f} ms CPU per step", flush=True)  # fmt: skip
    hours = 3600.0 / (1 + args.eval_share)
    print("\n| training job | FLOPs / step | floor ms | reference ms | compiled ms | speed-up | compiled / floor "
          "| core-hours per job: reference / compiled / floor | jobs |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    totals = np.zeros(3)
    for name, steps, new, old, floor in jobs:
        per_job = np.array([old, new, floor]) * steps / hours
        totals += per_job * seeds
        print(f"| {name} | {floor * peak:.3g} | {1e3 * floor:.3g} | {1e3 * old:.3g} | {1e3 * new:.3g} | "
              f"{old / new:.2f} | {new / floor:.2f} | {per_job[0]:.3g} / {per_job[1]:.3g} / {per_job[2]:.3g} | "
              f"{seeds} |")  # fmt: skip
    old, new, floor = totals
    print(f"\nTraining, all {len(jobs) * seeds} jobs: {old:.3g} core-hours with the reference path, {new:.3g} "
          f"compiled: **{old / new:.2f}x cheaper**; at the FLOP floor {floor:.3g} ({old / floor:.1f}x below the "
          f"reference, {new / floor:.1f}x below the compiled path). Benchmark wall-clock "
          f"{time.perf_counter() - t0:.0f} s, 1-min load {os.getloadavg()[0]:.1f} at the end.")  # fmt: skip
    return {"reference": old, "compiled": new, "floor": floor, "jobs": jobs}


if __name__ == "__main__":
    main()

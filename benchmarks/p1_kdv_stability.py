#!/usr/bin/env python
"""Why the 2x KdV NN diverges (issue 22 item 4; docs/p1.md): linear stability of the learned coarse
right-hand side against the third-order finite volumes, and the growth in the diverging test runs.

Prints four markdown tables:

1. the sawtooth growth rate lambda_saw(u) about constant states (1/time; FV3: 0 by symmetry);
2. the leading eigenvalue of the Jacobian dF/dv at the cell-averaged exact test states (t = 0 and 1 after
   the warm-up): NN vs FV3, and the share of its eigenvector at wavenumbers |k| > N/4 (grid scale);
3. per test run: the fitted growth rate of the high-wavenumber amplitude of the NN solution (RK23, the Fig. 4
   settings, outputs every 0.05) against Re of the leading eigenvalue at its initial state;
4. divergence times with the Fig. 4 RK23 settings vs a 10x smaller max_step and 1000x tighter tolerances.

    .venv/bin/python benchmarks/p1_kdv_stability.py --model results/discretization/kdv/models/nn_2x.zarr \
        --test results/discretization/kdv/test.zarr [--samples 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from coarsepde.discretization.equations import coarse_grain
from coarsepde.discretization.persist import load_model
from coarsepde.discretization.simulate import SolverSettings, run_coarse
from coarsepde.discretization.stability import (
    baseline_rhs,
    high_wavenumber_amplitude,
    leading_mode,
    learned_rhs,
    rhs_jacobian,
    sawtooth_rate,
)
from coarsepde.store import read_dataset


def growth_rate(t: np.ndarray, amp: np.ndarray, lo: float = 1e-5, hi: float = 5e-2) -> float:
    """Least-squares slope of log(amp) over the outputs with lo < amp < hi (NaN if fewer than 4)."""
    sel = np.isfinite(amp) & (amp > lo) & (amp < hi)
    return float(np.polyfit(t[sel], np.log(amp[sel]), 1)[0]) if sel.sum() >= 4 else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a learned KdV model store (p1_train)")
    p.add_argument("--test", required=True, help="the KdV test.zarr (p1_pde_data)")
    p.add_argument("--samples", type=int, default=20)
    p.add_argument("--t-run", type=float, default=3.0, help="simulated time of the growth measurement")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load_model(args.model)
    ds = read_dataset(args.test)
    n_fine = ds.sizes["x"]
    factor = int(round(model.dx * n_fine / model.equation.length))
    exact = coarse_grain(ds.v.values[: args.samples], factor)
    n = exact.shape[-1]
    nn, fv3 = learned_rhs(model), baseline_rhs(model.equation, "fv3", n)
    print(f"model {args.model}: {model.equation.name} {factor}x, N = {n}, dx = {model.dx}\n")

    print("| u | lambda_saw NN (1/time) | lambda_saw FV3 |\n|---|---|---|")
    for u in (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0):
        print(f"| {u:g} | {sawtooth_rate(nn, u, n):.3g} | {sawtooth_rate(fv3, u, n):.2g} |")

    rows = []
    for s in range(len(exact)):
        for ti in (0, 2):
            (e_nn, share_nn, _), (e_fv, share_fv, _) = (leading_mode(rhs_jacobian(f, exact[s, ti])) for f in (nn, fv3))
            rows.append((e_nn.real, abs(e_nn.imag), share_nn, e_fv.real, share_fv))
    r = np.asarray(rows)
    print(f"\nleading eigenvalue at {len(r)} exact test states (t = 0 and 1):\n")
    print("| method | max Re: median [min, max] | grid-scale share of its eigenvector: median |\n|---|---|---|")
    for name, re_col, share_col in (("NN", 0, 2), ("FV3", 3, 4)):
        q = np.percentile(r[:, re_col], [50, 0, 100])
        print(f"| {name} | {q[0]:.3g} [{q[1]:.3g}, {q[2]:.3g}] | {np.median(r[:, share_col]):.2f} |")

    t = np.arange(0.0, args.t_run + 1e-9, 0.05)
    runs = {}
    for label, settings in (("Fig. 4 RK23", SolverSettings()), ("tight", SolverSettings(1e-3, 1e-6, 1e-9))):
        start = time.process_time()
        sol = run_coarse(model.equation, model, torch.as_tensor(exact[:, 0]), None, t, settings, dx=model.dx)
        runs[label] = (sol, time.process_time() - start)
    sol = runs["Fig. 4 RK23"][0]
    amp = high_wavenumber_amplitude(sol.y.numpy())  # (S, T)
    rates = np.array([growth_rate(t, a) for a in amp])
    lead = r[0::2, 0]  # Re of the NN's leading eigenvalue at t = 0
    ok = np.isfinite(rates)
    print(f"\nhigh-wavenumber (|k| > N/4) growth in the NN runs, {ok.sum()} of {len(rates)} runs with a fit:\n")
    print("| sample | fitted growth rate | Re leading eigenvalue at t = 0 | t diverged |\n|---|---|---|---|")
    for s in range(len(rates)):
        print(f"| {s} | {rates[s]:.3g} | {lead[s]:.3g} | {sol.t_diverged[s]:.3g} |")
    if ok.sum() > 2:
        print(f"\nmedian ratio fitted / eigenvalue {np.median(rates[ok] / lead[ok]):.2f}, "
              f"correlation {np.corrcoef(rates[ok], lead[ok])[0, 1]:.2f}")  # fmt: skip

    print(f"\n| settings | runs diverged by t = {args.t_run:g} | median t diverged | RK23 steps | mean step | CPU s |")
    print("|---|---|---|---|---|---|")
    for label, (s, cpu) in runs.items():
        td = s.t_diverged
        print(
            f"| {label} | {int(np.isfinite(td).sum())} | {np.median(td):.3g} | {s.n_steps} | "
            f"{t[-1] / max(s.n_steps, 1):.2g} | {cpu:.0f} |"
        )
    a, b = runs["Fig. 4 RK23"][0].t_diverged, runs["tight"][0].t_diverged
    fin = np.isfinite(a) & np.isfinite(b)
    diff = np.abs(a - b)
    print(f"\nlargest difference of the divergence times: {diff[fin].max() if fin.any() else float('nan'):.3g}")


if __name__ == "__main__":
    main()

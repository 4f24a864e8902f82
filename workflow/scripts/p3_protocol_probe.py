"""Probe: reconstruct the authors' IMEX-BDF-2 notebook protocol (P3, eps = 1/256) one factor at a time.

Writes <out>/initial_loss.csv (the initial L1 loss per factor switched, ours vs the notebook's) and, with --adam-seconds
> 0, <out>/adam_M{M}.csv (Adam trace on the reconstruction, loss and Error% every 10 updates).
See docs/reproductions/p3-protocol-reconstruction.md.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch

from coarsepde.kinetic.experiments import make_model
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.losses import loss as pipeline_loss
from coarsepde.kinetic.notebook_protocol import (
    NotebookDCRNN,
    notebook_data,
    notebook_loss,
    notebook_window,
    run_adam,
)
from coarsepde.kinetic.operators import Operators

EPS_RANGE = {0: (1e-6, 1.0), 2: (1e-3, 0.1)}  # the notebook's per-M ranges (reference facts Sect. 3.4)


def pipeline_initial(data, M: int, block: str) -> float:
    """Our pipeline's initial loss (bdf2, K = 2, dictionaries (A, P) / (A,), init 1.5) on all windows of ``data``."""
    ops = Operators(data.v.numpy(), data.w.numpy(), data.dx, "centered")
    fd = FitData(data.g, data.rho, data.dt, ops)
    if block == "paper":
        model = make_model(ops, K=2, M=M, eps_range=EPS_RANGE[M])
    else:
        from coarsepde.kinetic.dcrnn import MultiscaleDCRNN

        model = MultiscaleDCRNN(("A", "P"), ("A",), K=2, M=M, eps_range=EPS_RANGE[M], operators=ops, block="recurrent")
        if M == 0:
            model.eps_range = None
    with torch.no_grad():
        return float(pipeline_loss(model, fd, "bdf2"))


def factor_rows(inv_eps: float) -> list[dict]:
    eps = 1.0 / inv_eps
    ours = notebook_data(eps, nx=1000, dt_factor=0.5, stride=8, n_snapshots=56)
    nb_all = notebook_data(eps)
    a, b = notebook_window(nb_all.g.shape[0])
    nb = nb_all.window(a, b)
    rows = []
    for M in (0, 2):

        def add(factor, setting, value, M=M):
            rows.append({"M": M, "factor": factor, "setting": setting, "initial_loss": value})

        add(
            "pipeline (ours)",
            "our data (nx 1000, dt 4e-6, 56 snapshots, 54 windows), paper block",
            pipeline_initial(ours, M, "paper"),
        )
        add("(a) data", "notebook data, all 40 snapshots, paper block", pipeline_initial(nb_all, M, "paper"))
        add("(a) data", "notebook data, window 7..36 (28 windows), paper block", pipeline_initial(nb, M, "paper"))
        add("(b) network", "our data, our recurrent block", pipeline_initial(ours, M, "recurrent"))
        add("(b) network", "notebook window, our recurrent block", pipeline_initial(nb, M, "recurrent"))
        nbm = NotebookDCRNN(M, EPS_RANGE[M])
        with torch.no_grad():
            add(
                "(c) residual",
                "notebook window+net, s_A=+1 s_F=-1 (our sign convention), 28 windows",
                float(notebook_loss(NotebookDCRNN(M, EPS_RANGE[M], adv_sign=1.0), nb, f_sign=-1.0, n_windows=28)),
            )
            add(
                "(c) residual",
                "notebook window+net, s_A=-1 s_F=+1 (notebook), 28 windows",
                float(notebook_loss(nbm, nb, n_windows=28)),
            )
            add(
                "(c) residual",
                "notebook, residual divided by dt instead of dt-multiplied terms",
                float(notebook_loss(nbm, nb, dt_power=0)),
            )
            add(
                "(d) reduction",
                "notebook, 27 windows (n_dat - 3), mean over (window, v, x): before update 1",
                float(notebook_loss(nbm, nb)),
            )
            add("(d) reduction", "notebook, sum over v of mean over (window, x)", float(16 * notebook_loss(nbm, nb)))
        opt = torch.optim.Adam(nbm.parameters(), lr=1e-3)
        notebook_loss(nbm, nb).backward()
        opt.step()
        with torch.no_grad():
            add(
                "notebook print",
                "full reconstruction after 1 Adam update (the notebook's 'It: 0')",
                float(notebook_loss(nbm, nb)),
            )
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--inv-eps", type=float, default=256.0)
    p.add_argument("--factors", action="store_true", help="write initial_loss.csv")
    p.add_argument("--adam-M", type=int, nargs="*", default=[])
    p.add_argument("--adam-steps", type=int, default=80000)
    p.add_argument("--adam-seconds", type=float, default=0.0)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.factors:
        t0 = time.perf_counter()
        rows = factor_rows(a.inv_eps)
        with open(a.out / "initial_loss.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        for r in rows:
            print(f"M={r['M']} {r['factor']:16s} {r['initial_loss']:.6g}  {r['setting']}")
        print(f"factors: {time.perf_counter() - t0:.1f} s")
    dtype = getattr(torch, a.dtype)
    for M in a.adam_M:
        eps = 1.0 / a.inv_eps
        d = notebook_data(eps)
        lo, hi = notebook_window(d.g.shape[0])
        d = d.window(lo, hi).to(dtype)
        model = NotebookDCRNN(M, EPS_RANGE[M], dtype=dtype)
        tr = run_adam(model, d, a.adam_steps, eps=eps, time_limit=a.adam_seconds or float("inf"))
        cols = {"update": tr.steps, "loss": tr.loss, "error_percent": tr.error, "eps_pred": tr.eps_pred}
        np.savetxt(
            a.out / f"adam_M{M}.csv",
            np.column_stack(list(cols.values())),
            delimiter=",",
            header=",".join(cols),
            comments="",
            fmt="%.8g",
        )
        print(
            f"M={M}: {tr.steps[-1]} updates in {tr.seconds:.0f} s, loss {tr.loss[-1]:.4g}, Error {tr.error[-1]:.2f} %"
        )


if __name__ == "__main__":
    main()

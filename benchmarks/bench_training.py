"""Row 4: training throughput (and, from ``p1_training_cost``, the P1 cost per step of every training kind
against the FLOP floor, reference vs compiled paths).

P1 (``coarsepde.discretization.training.train``): Adam steps/s of the NN at one resample factor with the
step of ``p1_train`` (batch = batch_snapshots x factor shifted coarse samples, the model trained in the
config's dtype), at torch 1 and 2 threads. Inputs are cell averages of smooth random fine fields and the
labels their cell-averaged fine WENO time derivative: the shapes of the real data, which is all a step's
cost depends on.

P3 (``coarsepde.kinetic.training.fit``): Adam iterations/s of the DC-RNN on the transport data of
``generate_ars222(TransportSetup(eps=1/256, nx=1000), ic_nb(x))``, models from
``coarsepde.kinetic.experiments.make_model`` with the tables' specs (forward Euler: Table 3; IMEX-BDF-2:
Table 7; both the multiscale ansatz M = 2) and the config's Adam protocol (lr, batch windows, history
interval); the fit's own Adam timer (feature set-up excluded), torch 1 thread as the pipeline.
"""

from __future__ import annotations

import statistics

import numpy as np
import torch
from common import row

from coarsepde.discretization.equations import Burgers
from coarsepde.discretization.losses import training_pairs
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.simulate import baseline
from coarsepde.discretization.training import train
from coarsepde.kinetic.experiments import TABLES, make_model
from coarsepde.kinetic.fitting import FitData
from coarsepde.kinetic.operators import Operators
from coarsepde.kinetic.training import AdamSettings, Monitor, fit
from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_nb

P1_FACTOR = 16
P3_TABLES = {"fe": 3, "bdf2": 7}
P3_INV_EPS = 256


def _p1_data(cfg: dict, n_snap: int):
    b = cfg["discretization"]["burgers"]
    eta, length, n = b["eta"], b["length_pi"] * np.pi, b["n_fine"]
    rng = np.random.default_rng(7)
    x = np.arange(n) * length / n
    k = np.arange(1, 7)
    amp = rng.uniform(-0.5, 0.5, (n_snap, k.size))
    ph = rng.uniform(0, 2 * np.pi, (n_snap, k.size))
    v = np.einsum("sk,skx->sx", amp, np.sin(k[None, :, None] * x[None, None] + ph[..., None]))
    equation, faces = baseline("weno", eta, length, n)
    with torch.inference_mode():
        vt = torch.as_tensor(v)
        d = equation.time_derivative(faces(vt), length / n).numpy()
    return v, d, eta, length, n


def _p1(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    tr = cfg["discretization"]["burgers"]["training"]
    steps = 8 if quick else 40
    v, d, eta, length, n = _p1_data(cfg, 64 if quick else 200)
    x, y = training_pairs(v, d, P1_FACTOR)
    batch = tr["batch_snapshots"] * P1_FACTOR
    dtype = getattr(torch, tr["dtype"])
    dx = length / (n // P1_FACTOR)

    def run_at(threads: int):
        def go():
            torch.set_num_threads(threads)
            model = LearnedDiscretization(
                Burgers(eta, length, "centered"),
                dx,
                "cnn",
                layers=tr["layers"],
                filters=tr["filters"],
                kernel=tr["kernel"],
                generator=torch.Generator().manual_seed(0),
            ).to(dtype)
            train(model, x, y, steps=steps, batch_size=batch, lr_schedule=[(0, tr["lr"])], eval_every=steps + 1, seed=0)

        return go

    times = {1: [], 2: []}
    print(
        f"  P1 NN training: {steps} steps at {P1_FACTOR}x, batch {batch} x {n // P1_FACTOR} cells, "
        f"{tr['dtype']}, threads 1 and 2, {repeats} interleaved repeats ...",
        flush=True,
    )
    run_at(1)()  # warm-up (first-call allocations, thread pool start)
    for _ in range(repeats):
        for t in (1, 2):
            t0 = __import__("time").perf_counter()
            run_at(t)()
            times[t].append(__import__("time").perf_counter() - t0)
    torch.set_num_threads(1)
    rate = {t: steps / statistics.median(v) for t, v in times.items()}
    what = (
        f"P1 NN (3 x 32 conv, kernel 5, {sum(p.numel() for p in LearnedDiscretization(Burgers(eta, length), dx).parameters())} "
        f"parameters) Adam steps/s with the p1_train step at {P1_FACTOR}x: batch {tr['batch_snapshots']} snapshots "
        f"x {P1_FACTOR} shifts = {batch} samples of {n // P1_FACTOR} cells, {tr['dtype']}; {steps} steps per run"
    )
    print(f"  P1 NN training: {rate[1]:.1f} steps/s (1 thread), {rate[2]:.1f} steps/s (2 threads)", flush=True)
    return [
        row("p1_nn_train_1thread", what, rate[1], "steps/s", threads=1),
        row(
            "p1_nn_train_2threads",
            what + "; reference: the same at 1 thread (ratio: the parallel speed-up)",
            rate[2],
            "steps/s",
            rate[1],
            rate[2] / rate[1],
            threads=2,
        ),
    ]


def _p3(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    torch.set_num_threads(1)
    k = cfg["kinetic"]
    eps = 1.0 / P3_INV_EPS
    setup = TransportSetup(
        eps=eps, nx=k["data"]["nx"], stride=k["data"]["stride"], n_snapshots=k["data"]["n_snapshots"]
    )
    out = generate_ars222(setup, ic_nb(setup.x))
    ops = Operators(out["v"], out["w"], float(out["dx"]), "centered")
    data = FitData(out["g"][0], out["rho"][0], float(out["dt"]), ops)
    adam = k["adam"]["linear"]
    steps = 20 if quick else 100
    rows = []
    for scheme, table in P3_TABLES.items():
        spec = TABLES[table]
        secs, setup_s = [], []
        for _ in range(1 if quick else repeats):
            torch.manual_seed(0)
            model = make_model(
                ops,
                spec.K,
                spec.M,
                k["model"]["eps_range"],
                k["model"]["init"],
                dictionary_g=spec.dictionary_g,
                dictionary_rho=spec.dictionary_rho,
            )
            settings = AdamSettings(steps, adam["lr"], adam["batch_windows"] or None, adam["history_every"])
            hist = fit(model, data, scheme, adam=settings, norm="l1", monitor=Monitor(eps_true=eps))
            secs.append(hist.adam_seconds)
            setup_s.append(hist.setup_seconds)
        rate = steps / statistics.median(secs)
        name = {"fe": "forward Euler", "bdf2": "IMEX-BDF-2"}[scheme]
        rows.append(
            row(
                f"p3_dcrnn_adam_{scheme}",
                f"P3 DC-RNN Adam iterations/s, {name} fitting scheme (Table {table}: K = {spec.K}, M = {spec.M}), "
                f"eps = 1/{P3_INV_EPS}, ARS(2,2,2) data nx = {setup.nx}, {setup.n_snapshots} snapshots, "
                f"lr {adam['lr']:g}, {adam['batch_windows']} random windows per step, full-loss record every "
                f"{adam['history_every']}; {steps} steps per run (feature set-up {statistics.median(setup_s):.2f} s, "
                f"not counted)",
                rate,
                "iterations/s",
                threads=1,
            )
        )
        print(f"  P3 DC-RNN {scheme}: {rate:.1f} Adam iterations/s", flush=True)
    return rows


def run(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    from p1_training_cost import run as p1_cost

    return _p1(cfg, quick, repeats) + p1_cost(cfg, quick, repeats) + _p3(cfg, quick, repeats)

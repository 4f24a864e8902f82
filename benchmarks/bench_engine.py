"""Section ``engine`` (issue 21, items 1-3): the batched DC-RNN fitting engine vs today's one-at-a-time fits.

The set of fits (``coarsepde.kinetic.engine.tasks.PAPER_SET``, the paper's protocol at one eps, 1/eps = 256): Tables 1-8 (forward Euler and IMEX1 with K = 1,
IMEX-BDF-2 and ARS(2,2,2) with K = 2, each M = 0 and M = 2), Table 9's sparse row (IMEX-BDF-2, M = 2, gamma = the
config's gamma_rel x the zero model's loss), Table 10's <g> = 0 row (M = 2, eps_pred on [1e-3, 1], weight 1) and
Table 11's IMEX-BDF-4 (M = 2); Table 9's other rows and Fig. 4 are the IMEX-BDF-2 fits of Tables 5 and 7 again.
Protocol: Adam at lr 1e-3 on the full batch (every time window; the notebook's), from the authors' initialisation.
Data: ``generate_ars222(TransportSetup(eps=1/256, nx, stride, n_snapshots))`` with the config's sizes.

Rows (torch 1 thread, one process, medians of ``repeats`` runs):

* ``p3_engine_one_at_a_time``: fit-steps/s of ``coarsepde.kinetic.training.fit`` per fit (its Adam timer, feature
  set-up excluded), summed over the set: what the pipeline does today;
* ``p3_engine_batched_vs_one_at_a_time``: fit-steps/s of ``coarsepde.kinetic.engine.fit_batched`` on the whole set
  (set-up and compilation excluded); ratio new / old;
* ``p3_engine_batched_linear_only``: the same for the set without the two ARS(2,2,2) fits (where today's path is
  slowest, so the batched ratio above owes much to them);
* ``p3_engine_batched_vs_floor``: seconds per step of the whole set against a floor: one forward + backward data
  pass (``BatchedFits.work``: every array read once, 2 (Q + n_a) multiply-adds per point and model each way) at
  this CPU's measured rates, max(flops / dgemm rate, bytes / copy bandwidth) per pool; ratio floor / ours;
* ``p3_engine_ars222_vs_bdf2_step``: one ARS(2,2,2) fit (M = 2) vs one IMEX-BDF-2 fit (M = 2), ms per Adam step in
  the engine; ratio = BDF-2 / ARS (>= 1/3: ARS at most 3x a BDF-2 step);
* ``p3_engine_ars222_vs_direct``: that ARS step vs today's direct ARS(2,2,2) residual (``training.fit``).
"""

from __future__ import annotations

import statistics
import time

import torch
from common import memory_bandwidth, row

from coarsepde.kinetic.engine.batched import BatchedFits
from coarsepde.kinetic.engine.protocol import AdamSettings, FitTask
from coarsepde.kinetic.engine.tasks import PAPER_SET, paper_tasks
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.training import fit
from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_nb

INV_EPS = 256
LR = 1e-3


def _data(cfg: dict, quick: bool) -> FitData:
    d = cfg["kinetic"]["data"]
    nx, n_snap = (100, 12) if quick else (d["nx"], d["n_snapshots"])
    setup = TransportSetup(eps=1.0 / INV_EPS, nx=nx, stride=d["stride"], n_snapshots=n_snap)
    return FitData.from_generated(generate_ars222(setup, ic_nb(setup.x)))


def _fits(cfg: dict, data: FitData, labels=None, steps: int = 1):
    """(label, model, scheme, Penalties) of the set (fresh models at the authors' initialisation)."""
    k = cfg["kinetic"]
    fits = [f for f in PAPER_SET if labels is None or f.label in labels]
    tasks = paper_tasks(
        data,
        AdamSettings(steps, LR, None, 10**9),
        gamma_rel=k["examples"]["gamma_rel"],
        eps_range=k["model"]["eps_range"],
        init=k["model"]["init"],
        fits=fits,
    )
    return [(t.name, t.model, t.scheme, t.penalties) for t in tasks]


def _old_step_seconds(cfg, data, steps: dict[str, int], repeats: int) -> dict[str, float]:
    """Seconds per Adam step of training.fit, per fit of the set (median of ``repeats``)."""
    secs: dict[str, list[float]] = {}
    for _, model, scheme, _ in _fits(cfg, data, ["T1", "T6"]):  # warm-up: first-call costs of torch
        fit(model, data, scheme, adam=AdamSettings(1, LR))
    for _ in range(repeats):
        for label, model, scheme, pen in _fits(cfg, data):
            n = steps["ars222" if scheme == "ars222" else "linear"]
            h = fit(model, data, scheme, adam=AdamSettings(n, LR, None, 10**9), penalties=pen)
            secs.setdefault(label, []).append(h.adam_seconds / n)
    return {k: statistics.median(v) for k, v in secs.items()}


def _engine_step_seconds(cfg, data, steps: int, repeats: int, labels=None) -> tuple[float, BatchedFits, int]:
    """Seconds per step of the whole (sub)set in the engine (median of ``repeats`` runs of ``steps`` steps)."""
    fits = _fits(cfg, data, labels)
    tasks = [FitTask(m, s, AdamSettings(steps, LR, None, 10**9), p, name=lab) for lab, m, s, p in fits]
    eng = BatchedFits(data, tasks)
    eng.run()  # compiles the kernels; later runs continue from the trained weights (same cost)
    secs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        eng.run()
        secs.append((time.perf_counter() - t0) / steps)
    return statistics.median(secs), eng, len(tasks)


def _dgemm_rate(n: int, repeats: int = 3) -> float:
    a = torch.randn(n, n, dtype=torch.float64)
    b = torch.randn(n, n, dtype=torch.float64)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


def run(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    torch.set_num_threads(1)
    data = _data(cfg, quick)
    reps = 1 if quick else repeats
    T, nv, nx = data.g.shape
    size = f"1/eps = {INV_EPS}, ARS(2,2,2) data nx = {nx}, {nv} velocities, {T} snapshots"
    old = _old_step_seconds(cfg, data, {"linear": 2 if quick else 10, "ars222": 1 if quick else 3}, reps)
    new_steps = 5 if quick else 50
    new, eng, n_fits = _engine_step_seconds(cfg, data, new_steps, reps)
    lin_labels = [f.label for f in PAPER_SET if f.scheme != "ars222"]
    new_lin, _, n_lin = _engine_step_seconds(cfg, data, new_steps, reps, lin_labels)
    old_all = sum(old.values())
    old_lin = sum(v for k, v in old.items() if k in lin_labels)
    ars, _, _ = _engine_step_seconds(cfg, data, new_steps, reps, ["T8"])
    bdf2, _, _ = _engine_step_seconds(cfg, data, new_steps, reps, ["T7"])
    peak = _dgemm_rate(512 if quick else 2048)
    bw = memory_bandwidth(50_000_000 if quick else 400_000_000, 3)["copy_GBps"] * 1e9
    work = eng.work()
    floor = sum(max(w["flops"] / peak, w["bytes"] / bw) for w in work)
    flops, nbytes = sum(w["flops"] for w in work), sum(w["bytes"] for w in work)
    per_fit = ", ".join(f"{k} {1e3 * v:.3g}" for k, v in old.items())
    pools = "; ".join(f"{w['scheme']}: {w['B']} fits, Q {w['Q']}, n_f {w['nf']}, P {w['P']}" for w in work)
    what_set = f"{n_fits} fits (Tables 1-11 at one eps: {', '.join(f.label for f in PAPER_SET)}), {size}, Adam lr {LR:g}, full batch"
    print(
        f"  P3 engine: one-at-a-time {old_all * 1e3:.1f} ms, batched {new * 1e3:.1f} ms per step of the set", flush=True
    )
    return [
        row(
            "p3_engine_one_at_a_time",
            f"{what_set}; training.fit one fit at a time, ms per step: {per_fit}",
            n_fits / old_all,
            "fit-steps/s",
            threads=1,
        ),  # fmt: skip
        row(
            "p3_engine_batched_vs_one_at_a_time",
            f"{what_set}; coarsepde.kinetic.engine.fit_batched, all fits as one program ({pools}), {new_steps} steps "
            "per run; reference: training.fit one at a time",
            n_fits / new,
            "fit-steps/s",
            n_fits / old_all,
            old_all / new,
            threads=1,
        ),  # fmt: skip
        row(
            "p3_engine_batched_linear_only",
            f"the same without the two ARS(2,2,2) fits ({n_lin} fits); reference: training.fit one at a time",
            n_lin / new_lin,
            "fit-steps/s",
            n_lin / old_lin,
            old_lin / new_lin,
            threads=1,
        ),  # fmt: skip
        row(
            "p3_engine_batched_vs_floor",
            f"{what_set}; seconds per step of the set vs the floor: one forward + backward data pass "
            f"({flops / 1e6:.0f} Mflop, {nbytes / 1e6:.0f} MB of arrays) at the measured dgemm rate "
            f"{peak / 1e9:.1f} GFLOP/s and copy bandwidth {bw / 1e9:.1f} GB/s, per pool the larger; ratio floor / ours",
            new,
            "s",
            floor,
            floor / new,
            threads=1,
        ),  # fmt: skip
        row(
            "p3_engine_ars222_vs_bdf2_step",
            f"one ARS(2,2,2) fit (Table 8, M = 2) in the engine, {size}, ms per Adam step; reference: one IMEX-BDF-2 "
            "fit (Table 7, M = 2) in the engine; ratio BDF-2 / ARS (ARS at most 3x: ratio >= 0.33)",
            ars * 1e3,
            "ms",
            bdf2 * 1e3,
            bdf2 / ars,
            threads=1,
        ),  # fmt: skip
        row(
            "p3_engine_ars222_vs_direct",
            f"one ARS(2,2,2) fit (Table 8, M = 2), {size}, ms per Adam step in the engine; reference: today's "
            f"direct ARS(2,2,2) residual (training.fit; its IMEX-BDF-2 step is {1e3 * old['T7']:.3g} ms)",
            ars * 1e3,
            "ms",
            old["T8"] * 1e3,
            old["T8"] / ars,
            threads=1,
        ),  # fmt: skip
    ]

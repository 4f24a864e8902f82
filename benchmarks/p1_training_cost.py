"""P1 training cost per step against this CPU's limit (issue 22 item 1), old vs new in one process.

Every P1 training kind is timed with the pipeline's step (``coarsepde.discretization.training.train``, the
``p1_train`` sizes of the config; Fig. 1: ``interpolation_training.train_interpolation``), torch 1 thread, twice,
interleaved: the reference path (``model.fused = False``: the torch composition of the flux, one circular
pad per convolution, the foreach Adam update, the torch loop of the midpoint rollout) and the compiled one
(the default). Both are the same computation to round-off (``tests/test_p1_fused.py``).

The limit: the FLOPs of one forward + backward pass (counted analytically below, multiply and add each one
FLOP; the convolutions' count equals torch's ``FlopCounterMode``, which the row cross-checks) divided by the
peak FLOP/s of torch on this machine, a large float32 matmul timed in the same run (best of a few). The
elementwise work of the stencils, flux and rollout is counted too, at that same peak: the floor is optimistic
for it (it does not vectorize like a matmul), so "x the floor" is an upper bound of how far a step is from
the machine's limit.
"""

from __future__ import annotations

import numpy as np
import torch
from common import interleaved, row, timed

from coarsepde.discretization.equations import Burgers
from coarsepde.discretization.interpolation import InterpolationModel
from coarsepde.discretization.interpolation_training import train_interpolation
from coarsepde.discretization.losses import training_pairs
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.training import train

FILTERS, KERNEL = 32, 5


def peak_flops(quick: bool, clock: str = "wall") -> float:
    """FLOP/s of a large float32 matmul at the current thread count (best of a few), timed on ``clock``
    (``coarsepde.numerics.timing.CLOCKS``: the clock the steps it is set against are timed on)."""
    n = 1024 if quick else 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = 0.0
    for _ in range(3 if quick else 5):
        dt, _ = timed(lambda: a @ b, clock)
        best = max(best, 2.0 * n**3 / dt)
    return best


def conv_flops(positions: int, k_out: int, filters: int = FILTERS, kernel: int = KERNEL) -> tuple[float, float]:
    """(forward, backward) FLOPs of the 3-layer periodic CNN on ``positions`` (no input gradient at layer 1)."""
    layers = [(1, filters), (filters, filters), (filters, k_out)]
    fwd = sum(2.0 * kernel * ci * co * positions for ci, co in layers)
    bwd = fwd + sum(2.0 * kernel * ci * co * positions for ci, co in layers[1:])
    return fwd, bwd


def head_flops(cells: int, splits: list[int], n_linear: int) -> float:
    """Forward + backward FLOPs of the pseudolinear head per step: c = c0 + basis z (2 * 6 * K_f per face and
    cell), the 6-point stencils (12 per face), the flux (~6) and update (2); the backward ~2x the forward."""
    fwd = sum(12.0 * k + 12.0 for k in splits) + 8.0 + 2.0 * n_linear
    return 3.0 * fwd * cells


def constant_rhs_flops(faces: int, n_linear: int) -> tuple[float, float]:
    """(forward, adjoint) FLOPs per cell of one constant-coefficient right-hand side evaluation: the stencils
    (12 per face), flux (~6 + 2 per linear face), update (2); the adjoint recomputes the faces and scatters the
    cotangents to cells and stencil weights (24 per face) plus the flux derivatives (~8)."""
    fwd = 12.0 * faces + 8.0 + 2.0 * n_linear
    return fwd, 36.0 * faces + 12.0 + 2.0 * n_linear


def step_flops(model: LearnedDiscretization, cells: int, rollout: tuple[dict, int] | None = None) -> float:
    """FLOPs of one training step (forward + backward) of a P1 model on ``cells`` coarse cells in all (batch x
    cells per sample): the network's convolutions and head, or the constant model's right-hand side; with
    ``rollout`` = (the time-integrated loss's ``n_out``, ``steps_per_output``, ``batch_size``; coarse cells per
    row), plus the midpoint rollout and its adjoint (two right-hand sides per step)."""
    splits = model.splits
    n_lin = len(model.names) - (2 if getattr(model.equation, "flux_form", None) == "godunov" else 1)
    if model.kind == "cnn":
        fwd, bwd = conv_flops(cells, model.n_free)
        return fwd + bwd + head_flops(cells, splits, n_lin)
    rf, ra = constant_rhs_flops(len(splits), n_lin)
    flops = 3.0 * rf * cells
    if rollout is not None:
        i, n = rollout
        evals = 2 * i["n_out"] * i["steps_per_output"] * i["batch_size"] * n
        flops += evals * (rf + ra + 6.0)  # + the midpoint updates, forward and adjoint
    return flops


def interpolation_step_flops(model: InterpolationModel, positions: int) -> float:
    """FLOPs of one training step of Fig. 1's model on ``positions`` known points in all (batch x points)."""
    s, k = model.factor - 1, model.n_free
    fwd, bwd = conv_flops(positions, s * k)
    # head per position: base (2 * 6 * S), projections (2 * 6 * S * K), product and sum (2 * S * K); x3 with
    # the backward
    return fwd + bwd + 3.0 * positions * (12.0 * s + 12.0 * s * k + 2.0 * s * k)


def smooth_fields(n_snap: int, n: int, seed: int) -> np.ndarray:
    """Smooth random periodic fields (S, n) of order one (a training step's cost does not depend on the values)."""
    rng = np.random.default_rng(seed)
    x = np.arange(n) * 2 * np.pi / n
    k = np.arange(1, 7)
    amp = rng.uniform(-0.5, 0.5, (n_snap, k.size))
    ph = rng.uniform(0, 2 * np.pi, (n_snap, k.size))
    return np.einsum("sk,skx->sx", amp, np.sin(k[None, :, None] * x[None, None] + ph[..., None]))


def _cases(cfg: dict, quick: bool) -> list[dict]:
    b = cfg["discretization"]["burgers"]
    tr, integ = b["training"], b["training"]["integrated"]
    n = b["n_fine"]
    per_output = int(round(b["train"]["rollout_horizon"] / b["train"]["rollout_outputs"] / integ["dt"]))
    cases = [
        {"kind": "nn", "model": "cnn", "flux": "centered", "factor": 8, "steps": 6 if quick else 30},
        {"kind": "const", "model": "constant", "flux": "centered", "factor": 8, "steps": 20 if quick else 200},
    ]
    for f in (2,) if quick else (2, 16):
        cases.append(
            {
                "kind": f"const_godunov_{f}x",
                "model": "constant",
                "flux": "godunov",
                "factor": f,
                "steps": 4 if quick else 20,
            }
        )
    for c in cases:
        c |= {"n": n // c["factor"], "batch": tr["batch_snapshots"] * c["factor"], "dtype": getattr(torch, tr["dtype"])}
        if c["flux"] == "godunov":
            c["integrated"] = {
                "dt": integ["dt"],
                "steps_per_output": per_output,
                "n_out": integ["n_outputs"],
                "batch_size": integ["batch_size"],
                "weight": integ["weight"],
            }
    return cases


def _p1_case(c: dict, cfg: dict, repeats: int):
    b = cfg["discretization"]["burgers"]
    eta, length = b["eta"], b["length_pi"] * np.pi
    n, f = c["n"], c["factor"]
    v = smooth_fields(max(2 * c["batch"] // f, 40), n * f, 7)
    d = np.gradient(v, axis=1)  # the labels' values do not change a step's cost
    x, y = training_pairs(v, d, f)
    integrated = None
    if "integrated" in c:
        i = c["integrated"]
        v0 = smooth_fields(256, n, 8)
        targets = np.stack([v0 * (1 - 0.01 * k) for k in range(1, i["n_out"] + 1)], 1)
        integrated = {"v0": v0, "targets": targets} | {
            k: i[k] for k in ("dt", "steps_per_output", "batch_size", "weight")
        }
    equation = Burgers(eta, length, c["flux"])

    def make(fused: bool):
        m = LearnedDiscretization(equation, length / n, c["model"], generator=torch.Generator().manual_seed(0))
        m = m.to(c["dtype"])
        m.fused = fused
        return m

    def go(fused: bool):
        def run():
            train(make(fused), x, y, steps=c["steps"], batch_size=c["batch"], lr_schedule=[(0, 1e-3)],
                  eval_every=c["steps"] + 1, seed=0, integrated=integrated)  # fmt: skip

        return run

    go(True)(), go(False)()  # warm-up: compiled kernels, allocator, thread pool
    (t_new, t_old), _ = interleaved([go(True), go(False)], repeats)
    probe = make(False)
    rollout = None if integrated is None else (c["integrated"], n)
    flops = step_flops(probe, c["batch"] * n, rollout)
    if c["model"] == "cnn":
        from torch.utils.flop_counter import FlopCounterMode

        xb = torch.as_tensor(x[: c["batch"]], dtype=c["dtype"])
        with FlopCounterMode(display=False) as fc:
            probe.time_derivative(xb).square().mean().backward()
        check = f"; torch FlopCounterMode on the reference step: {fc.get_total_flops():.3g} (convolutions and matmuls)"
    else:
        check = ""
    steps = c["steps"] + 1  # train() also evaluates the first mini-batch (no gradient) before step 1
    return t_new / steps, t_old / steps, flops, check


def _interp_case(cfg: dict, quick: bool, repeats: int):
    ic = cfg["discretization"]["burgers"]["interpolation"]
    n, factor, batch = cfg["discretization"]["burgers"]["n_fine"], ic["factor"], ic["batch_size"]
    fields = smooth_fields(max(2 * batch, 64), n, 9)
    steps = 4 if quick else 20

    def go(fused: bool):
        def run():
            m = InterpolationModel(factor, seed=0)
            m.fused = fused
            train_interpolation(
                m, fields, steps=steps, batch_size=batch, lr_schedule=[(0, 1e-3)], eval_every=steps + 1,
                dtype=torch.float32,
            )  # fmt: skip

        return run

    go(True)(), go(False)()
    (t_new, t_old), _ = interleaved([go(True), go(False)], repeats)
    m = InterpolationModel(factor, seed=0)
    flops = interpolation_step_flops(m, batch * (n // factor))
    what = (
        f"Fig. 1 interpolation model, batch {batch} snapshots x {n // factor} known points, "
        f"{(factor - 1) * m.n_free} outputs"
    )
    return t_new / steps, t_old / steps, flops, what


def run(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    torch.set_num_threads(1)
    peak = peak_flops(quick)
    rows = [
        row(
            "p1_peak_flops",
            f"torch float32 matmul ({1024 if quick else 2048}^3, best of a few) on this machine, 1 thread: the peak "
            "against which the P1 training steps are measured",
            peak / 1e9,
            "GFLOP/s",
            threads=1,
        )
    ]
    labels = {
        "nn": "NN (3 x 32 conv, centred flux)",
        "const": "constant coefficients (centred flux)",
    }
    measured = []
    for c in _cases(cfg, quick):
        t_new, t_old, flops, check = _p1_case(c, cfg, 1 if quick else repeats)
        label = labels.get(c["kind"], "constant coefficients (Godunov flux) + time-integrated loss")
        what = f"P1 Burgers {label} at {c['factor']}x: batch {c['batch']} samples of {c['n']} cells, {c['dtype']}" + (
            f"; rollout {c['integrated']['batch_size']} rows x {c['integrated']['n_out'] * c['integrated']['steps_per_output']} "
            f"midpoint steps (dt {c['integrated']['dt']:g})"
            if "integrated" in c
            else ""
        )
        measured.append((c["kind"], what, t_new, t_old, flops, check))
    t_new, t_old, flops, what = _interp_case(cfg, quick, 1 if quick else repeats)
    measured.append(("interpolation", what, t_new, t_old, flops, ""))
    for kind, what, t_new, t_old, flops, check in measured:
        floor = flops / peak
        common = (
            f"{what}; {flops:.3g} FLOPs per step (forward + backward, counted analytically{check}), "
            f"peak {peak / 1e9:.3g} GFLOP/s -> floor {floor * 1e3:.3g} ms per step; compiled {t_new * 1e3:.3g} ms "
            f"({t_new / floor:.3g}x the floor), reference {t_old * 1e3:.3g} ms ({t_old / floor:.3g}x the floor); "
            "1 thread: core-seconds = seconds"
        )
        rows.append(
            row(
                f"p1_train_step_{kind}",
                common + "; reference: the torch path",
                t_new,
                "s/step",
                t_old,
                t_old / t_new,
                threads=1,
            )
        )
        rows.append(
            row(
                f"p1_train_floor_{kind}",
                common + "; reference: the FLOP floor (ratio: the fraction of the floor reached)",
                t_new,
                "s/step",
                floor,
                floor / t_new,
                threads=1,
            )
        )
        print(
            f"  P1 training {kind}: {t_new * 1e3:.3g} ms/step (reference {t_old * 1e3:.3g}, x{t_old / t_new:.3g}); "
            f"floor {floor * 1e3:.3g} ms ({t_new / floor:.3g}x)",
            flush=True,
        )
    return rows

"""Coarse simulations of the three P1 equations, batched over samples, and the fine Burgers solver
(the fine KdV/KS solver is pseudo-spectral: ``spectral.py``).

Methods (Bar-Sinai et al. 2019, "Results"; face quantities by name into ``Burgers.flux``):

- ``fv1`` / ``fv3``: centred polynomial finite volumes of accuracy order 1 / 3 (2-cell / 4-cell
  stencils for v and v_x), the paper's "first-order" and "third-order" baselines;
- ``weno``: WENO5 face values with the Godunov flux, 4-cell order-3 slope for the viscous term
  (also the fine-grid "exact" solver);
- ``const``, ``const_godunov``, ``nn``: learned models (``models.LearnedDiscretization``).

For KdV and KS (Fig. 4) the baselines are ``fv1`` / ``fv3`` on their own fluxes (the same rule for
the higher derivatives: the smallest even stencil of accuracy order 1 or 3; :func:`baseline_for`).

Every run integrates all samples at once with the batched Bogacki-Shampine RK23 of
``coarsepde.numerics.ode`` (the original used scipy's RK23 with max_step 0.01 and default
tolerances, one sample at a time) and records blow-ups as NaN after the divergence time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from coarsepde.discretization.burgers_fused import burgers_weno_godunov_rhs
from coarsepde.discretization.coarse_driver import compiled_run
from coarsepde.discretization.equations import (
    WENO_VX_OFFSETS,
    Burgers,
    Forcing,
    ForcingParams,
    coarse_grain,
    face_derivatives_polynomial,
    face_derivatives_weno,
)
from coarsepde.discretization.fused import time_derivative as fused_time_derivative
from coarsepde.numerics import ode, stencils

__all__ = [
    "BASELINES",
    "LEARNED",
    "Differentiator",
    "WenoFaces",
    "baseline",
    "baseline_for",
    "fine_solutions",
    "run_coarse",
    "run_valid_time",
    "SolverSettings",
    "right_hand_side",
]

BASELINES = ("fv1", "fv3", "weno")
LEARNED = ("const", "const_godunov", "nn")

#: face quantities (v, dx) -> dict
Differentiator = Callable[[torch.Tensor], dict]


@dataclass(frozen=True)
class SolverSettings:
    """The original's scipy RK23 settings: max_step 0.01, rtol 1e-3, atol 1e-6."""

    max_step: float = 0.01
    rtol: float = 1e-3
    atol: float = 1e-6
    bound: float = 1e3  # |v| beyond this is a blow-up (the forced solutions stay O(1))


class WenoFaces:
    """The WENO baseline's face quantities (a :data:`Differentiator`): ``faces(v)`` gives the dict of
    ``face_derivatives_weno`` (differentiable, any device). :meth:`burgers_rhs` is the same Burgers
    right-hand side fused into one compiled pass (``coarsepde.discretization.burgers_fused``; equal to round-off),
    used by :func:`run_coarse` wherever it applies: CPU float64 tensors, no autograd."""

    def __init__(self, dx: float):
        self.dx = float(dx)
        self.slope = np.asarray(stencils.coefficients(WENO_VX_OFFSETS, 1, 3, "finite_volume", self.dx), dtype=float)

    def __call__(self, v: torch.Tensor) -> dict:
        return face_derivatives_weno(v, self.dx)

    def burgers_rhs(self, equation: Burgers, v: torch.Tensor) -> torch.Tensor | None:
        """Unforced dv/dt of ``equation`` (Burgers, Godunov flux) on this grid, or None where the
        fused path does not apply (grad needed, not a 2D CPU float64 tensor)."""
        if (
            v.requires_grad
            or v.device.type != "cpu"
            or v.dtype != torch.float64
            or v.ndim != 2
            or equation.name != "burgers"
            or equation.flux_form != "godunov"
            or v.shape[-1] < 6
        ):
            return None
        return torch.from_numpy(burgers_weno_godunov_rhs(v.numpy(), equation.eta, self.dx, self.slope))


def baseline(method: str, eta: float, length: float, n: int) -> tuple[Burgers, Differentiator]:
    """(equation, face-quantity function) of a Burgers baseline on an n-cell grid."""
    return baseline_for(Burgers(eta, length, "godunov" if method == "weno" else "centered"), method, n)


def baseline_for(equation, method: str, n: int, dx: float | None = None) -> tuple[object, Differentiator]:
    """(equation in the flux form the method needs, face-quantity function) of a baseline for any
    P1 equation on n cells of width ``dx`` (default equation.length / n). WENO is Burgers-only here."""
    dx = equation.length / n if dx is None else float(dx)
    if method == "weno":
        if equation.name != "burgers":
            raise ValueError(f"the WENO baseline is implemented for Burgers only, not {equation.name}")
        return replace(equation, flux_form="godunov"), WenoFaces(dx)
    if method in ("fv1", "fv3"):
        order = int(method[-1])
        centered = replace(equation, flux_form="centered")
        names = centered.derivative_names
        return centered, lambda v: face_derivatives_polynomial(v, dx, names, order)
    raise ValueError(f"unknown baseline {method!r}; choose from {BASELINES}")


def right_hand_side(equation: Burgers, faces: Differentiator, forcing: Forcing | None, dx: float):
    """The method-of-lines right-hand side ``rhs(t, v, rows)`` that :func:`run_coarse` integrates:
    the equation's unforced dv/dt from the face quantities of ``faces`` on cells of width ``dx``
    (the fused Burgers kernel, or a learned model's compiled flux path, where it applies), plus ``forcing``
    of the batch rows ``rows``."""
    fused = faces.burgers_rhs if isinstance(faces, WenoFaces) and faces.dx == dx else None
    learned = faces if getattr(faces, "fused", False) and getattr(faces, "equation", None) == equation else None

    def rhs(t, v, rows):
        dvdt = fused(equation, v) if fused is not None else None
        if dvdt is None and learned is not None:
            dvdt = fused_time_derivative(learned, v, dx)
        if dvdt is None:
            dvdt = equation.time_derivative(faces(v), dx)
        return dvdt if forcing is None else forcing.add_to(dvdt, t, rows)

    return rhs


def run_coarse(
    equation: Burgers,
    faces: Differentiator,
    v0: torch.Tensor,
    forcing: Forcing | None,
    t_eval: np.ndarray,
    settings: SolverSettings = SolverSettings(),
    dx: float | None = None,
    steps: str = "shared",
    compiled: bool = True,
) -> ode.Solution:
    """Integrate v0 (B, N) from t_eval[0] with the given flux; NaN after a sample diverges.

    ``dx`` defaults to equation.length / N; pass it when the grid is not the equation's own domain
    (a model trained on [0, 2 pi) run on [0, 20 pi) keeps its dx, not its length). ``steps``: the
    batch's step-size sharing, see :func:`coarsepde.numerics.ode.integrate`. ``compiled``: with shared steps,
    integrate the WENO baseline and constant-coefficient models in one compiled loop
    (:func:`coarsepde.discretization.coarse_driver.compiled_run`, equal to ``ode.integrate`` to round-off).
    """
    dx = equation.length / v0.shape[-1] if dx is None else float(dx)
    sol = compiled_run(equation, faces, v0, forcing, t_eval, settings, dx) if compiled and steps == "shared" else None
    if sol is not None:
        return sol
    with torch.inference_mode():
        return ode.integrate(
            right_hand_side(equation, faces, forcing, dx),
            v0,
            np.asarray(t_eval, dtype=float),
            max_step=settings.max_step,
            rtol=settings.rtol,
            atol=settings.atol,
            bound=settings.bound,
            steps=steps,
        )


def run_valid_time(
    equation,
    faces: Differentiator,
    exact: np.ndarray,
    t_eval: np.ndarray,
    threshold: float,
    fraction: float = 0.8,
    settings: SolverSettings = SolverSettings(),
    dx: float | None = None,
    chunk: int = 10,
    example: int = 0,
) -> dict:
    """Valid simulation times (Fig. 4) of the unforced coarse method ``faces`` started from
    ``exact[:, 0]``, all samples in one batched integration, stopping each sample at its first
    invalid frame.

    The outputs are integrated ``chunk`` at a time (restarting the adaptive RK23 from the last
    state); after each chunk the samples that have had an invalid frame (fewer than ``fraction`` of
    the cells within ``threshold`` of ``exact``; a diverged sample is invalid) leave the batch, so a
    method that fails early costs little. The valid time is that of
    :func:`coarsepde.discretization.metrics.valid_times` on the full trajectories.

    Returns a dict: ``valid_time`` (S,) after t_eval[0]; ``t_diverged`` (S,) after t_eval[0], inf
    if the sample did not diverge while it was valid; ``nfev``; ``example`` (T, N) the trajectory
    of sample ``example`` (NaN after it left the batch).
    """
    exact = np.asarray(exact)
    t_eval = np.asarray(t_eval, dtype=float)
    S, T = exact.shape[:2]
    if len(t_eval) != T or chunk < 1:
        raise ValueError(f"need len(t_eval) = T = {T} and chunk >= 1, got {len(t_eval)}, {chunk}")

    def frame_ok(y, ref):  # (b, k, N) -> (b, k); NaN is never within the threshold
        with np.errstate(invalid="ignore"):
            return (np.abs(y - ref) <= threshold).mean(axis=-1) >= fraction

    valid = np.full(S, t_eval[-1] - t_eval[0])
    t_div = np.full(S, np.inf)
    traj = np.full(exact.shape[1:], np.nan)
    traj[0] = exact[example, 0]
    ok0 = frame_ok(exact[:, :1], exact[:, :1])[:, 0]
    valid[~ok0] = 0.0
    alive = np.flatnonzero(ok0)
    state = torch.as_tensor(exact[alive, 0])
    nfev, start = 0, 0
    while start < T - 1 and alive.size:
        stop = min(start + chunk, T - 1)
        sol = run_coarse(equation, faces, state, None, t_eval[start : stop + 1], settings, dx=dx)
        nfev += sol.nfev
        y = sol.y.numpy()[:, 1:]
        ok = frame_ok(y, exact[alive, start + 1 : stop + 1])
        bad = ~ok.all(axis=1)
        valid[alive[bad]] = t_eval[start + 1 + np.argmin(ok[bad], axis=1)] - t_eval[0]
        t_div[alive] = np.minimum(t_div[alive], sol.t_diverged - t_eval[0])
        if example in alive:
            traj[start + 1 : stop + 1] = y[np.flatnonzero(alive == example)[0]]
        alive, state = alive[~bad], sol.y[~torch.as_tensor(bad), -1]
        start = stop
    return {"valid_time": valid, "t_diverged": t_div, "nfev": nfev, "example": traj}


def fine_solutions(
    params: ForcingParams,
    *,
    eta: float,
    length: float,
    n_fine: int,
    warmup: float,
    t_out: Sequence[float],
    settings: SolverSettings = SolverSettings(),
    batch: int = 128,
    log: Callable[[str], None] | None = None,
    chunk_outputs: int = 0,
    checkpoint: str | None = None,
    stop_after: int | None = None,
    steps: str = "shared",
):
    """The "exact" data: WENO5-Godunov on the fine grid from v = 0, forced, warm-up then outputs.

    Returns (v (S, T, N), dvdt (S, T, N) the unforced right-hand side at the outputs (the training
    labels exclude the forcing, as the original's), stats dict). Output times are absolute
    (t_out >= warmup, the original's convention: Burgers evaluation runs over t = 10 ... 110).

    ``chunk_outputs`` > 0 integrates each batch in chunks of that many outputs (the warm-up up to
    the first output is the first chunk), each chunk resuming the RK23 from the last output with the
    controller's step proposal (:attr:`coarsepde.numerics.ode.Solution.h_next`): the same steps and
    bits as one integration. With ``checkpoint`` (a path; needs ``chunk_outputs``) every finished
    chunk is committed to a :class:`coarsepde.resume.SimulationCheckpoint`, and a restarted run goes
    on from the last one. ``stop_after``: raise :class:`InterruptedError` after that many chunks of
    this call (tests: a job killed between chunks).

    ``steps`` (:func:`coarsepde.numerics.ode.integrate`): "shared" (default) advances each batch with
    one step size, so every sample is integrated at least as accurately as scipy would on its own
    (on the default data: mean deviation from an rtol = 1e-7 solution 4e-6, against 6e-5 with
    independent steps; the max, 1.3e-2 at shock positions, is the same). "independent" gives every
    sample its own steps, as the original's one-sample-at-a-time scipy RK23 did: a sample's data then
    do not depend on the batch (to round-off), and large batches cost less.
    """
    t_out = np.asarray(t_out, dtype=float)
    if t_out[0] < warmup:
        raise ValueError(f"outputs must start at or after the warm-up ({warmup}), got {t_out[0]}")
    if checkpoint is not None and chunk_outputs < 1:
        raise ValueError("a checkpoint needs chunk_outputs >= 1")
    equation, faces = baseline("weno", eta, length, n_fine)
    dx = length / n_fine
    n, T = len(params.a), len(t_out)
    ckpt = None
    if checkpoint is not None:
        from coarsepde.resume import SimulationCheckpoint, fingerprint

        key = {
            "solver": "weno-rk23",
            "eta": eta,
            "length": length,
            "n_fine": n_fine,
            "warmup": warmup,
            "t_out": t_out.tolist(),
            "settings": vars(settings),
            "batch": batch,
            "chunk_outputs": chunk_outputs,
            "steps": steps,
            "forcing_sha256": fingerprint(*(getattr(params, k) for k in ("a", "omega", "k", "phi"))),
        }
        # one Zarr chunk per (batch, output): a write killed half-way cannot touch a committed output
        chunks = (min(batch, n), 1, n_fine)
        ckpt = SimulationCheckpoint(checkpoint, key=key, arrays={"v": ((n, T, n_fine), chunks)}, log=log)
    v_all, d_all, nfev, diverged, n_chunks = [], [], 0, 0, 0
    for start in range(0, n, batch):
        sl = slice(start, min(start + batch, n))
        sub = ForcingParams(*(getattr(params, k)[sl] for k in ("a", "omega", "k", "phi")))
        forcing = Forcing(sub, length, n_fine)
        prog = ckpt.progress if ckpt is not None else None
        if prog is not None and prog["batch_start"] > start:  # a batch finished before the restart
            v = torch.as_tensor(ckpt.read("v", sl))
            n_steps = "checkpointed"
        elif chunk_outputs < 1:
            v0 = torch.zeros(sl.stop - sl.start, n_fine, dtype=torch.float64)
            times = np.concatenate([[0.0], t_out]) if t_out[0] > 0 else t_out
            # the reference loop, as the chunked path below: chunked, resumed and whole runs give the same bits
            sol = run_coarse(equation, faces, v0, forcing, times, settings, steps=steps, compiled=False)
            v = sol.y[:, -T:]
            nfev += sol.nfev
            diverged += int(np.isfinite(sol.t_diverged).sum())
            n_steps = sol.n_steps
        else:
            v = torch.full((sl.stop - sl.start, T, n_fine), np.nan, dtype=torch.float64)
            if prog is not None and prog["batch_start"] == start and prog["outputs"] > 0:
                k, t, h = prog["outputs"], float(t_out[prog["outputs"] - 1]), prog["h_next"]
                h = np.asarray(h, dtype=float) if isinstance(h, list) else h  # per-sample proposals
                v[:, :k] = torch.as_tensor(ckpt.read("v", (sl, slice(0, k))))
                y = torch.as_tensor(ckpt.state()["y"])
                if log:
                    log(f"fine WENO: samples {sl.start}-{sl.stop - 1} resume at output {k} of {T} (t = {t:g})")
            else:
                k, t, h, y = 0, 0.0, None, torch.zeros(sl.stop - sl.start, n_fine, dtype=torch.float64)
            n_steps = 0
            while k < T:
                stop = min(k + chunk_outputs, T) if k else 1  # the warm-up alone is the first chunk
                times = t_out[k:stop] if t_out[k] == t else np.concatenate([[t], t_out[k:stop]])
                with torch.inference_mode():
                    sol = ode.integrate(
                        right_hand_side(equation, faces, forcing, dx),
                        y,
                        times,
                        t0=t,
                        max_step=settings.max_step,
                        rtol=settings.rtol,
                        atol=settings.atol,
                        bound=settings.bound,
                        first_step=h,
                        steps=steps,
                    )
                nfev += sol.nfev
                n_steps += sol.n_steps
                if np.isfinite(sol.t_diverged).any():
                    diverged += int(np.isfinite(sol.t_diverged).sum())
                    break
                v[:, k:stop] = sol.y[:, -(stop - k) :]
                y, t = sol.y[:, -1], float(t_out[stop - 1])
                h = _next_first_step(sol.h_next, h)
                if ckpt is not None:
                    ckpt.commit(
                        {"v": ((sl, slice(k, stop)), v[:, k:stop].numpy())},
                        {"y": y.numpy()},
                        {
                            "batch_start": start,
                            "outputs": stop,
                            "h_next": h.tolist() if isinstance(h, np.ndarray) else h,
                        },
                    )
                k = stop
                n_chunks += 1
                if stop_after is not None and n_chunks >= stop_after and (k < T or sl.stop < n):
                    raise InterruptedError(f"stopped after {n_chunks} chunks (stop_after)")
            if ckpt is not None and k == T:  # the batch is done: the next restart skips it
                ckpt.commit({}, {"y": y.numpy()}, {"batch_start": sl.stop, "outputs": 0, "h_next": None})
        with torch.inference_mode():
            flat = v.reshape(-1, n_fine)
            d = equation.time_derivative(faces(flat), dx).reshape(v.shape)
        v_all.append(v.numpy())
        d_all.append(d.numpy())
        if log:
            log(f"fine WENO: samples {sl.start}-{sl.stop - 1} done ({n_steps} steps)")
    if diverged:
        raise RuntimeError(f"{diverged} fine solutions diverged: the fine grid is too coarse for these parameters")
    return np.concatenate(v_all), np.concatenate(d_all), {"nfev": nfev}


def _next_first_step(h_next, previous):
    """The first step of the next chunk: the controller's proposal after the last output (a float,
    or per sample for independent steps), the previous one where no step was taken."""
    if isinstance(h_next, np.ndarray):
        if previous is None:
            return h_next if np.isfinite(h_next).all() else None
        return np.where(np.isfinite(h_next), h_next, np.broadcast_to(np.asarray(previous, dtype=float), h_next.shape))
    return h_next if np.isfinite(h_next) else previous


def coarse_all(v: np.ndarray, factors: Sequence[int]) -> dict[int, np.ndarray]:
    """Cell averages of the fine fields at every resample factor."""
    return {f: coarse_grain(v, f) for f in factors}

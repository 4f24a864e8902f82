"""Coarse Burgers runs with a compiled right-hand side, integrated by ONE compiled RK23 loop (numba).

:func:`coarsepde.numerics.ode.integrate` advances a batch with a few dozen small torch ops per step (stage
sums, error norm, step control, divergence test) plus the forcing's per-call evaluation, each a Python
call: on the coarse grids of the evaluation runs that overhead costs more than the compiled flux itself
(``docs/performance.md``). Where the whole right-hand side is compiled -- the WENO5-Godunov kernel of
:mod:`.burgers_fused` or the constant-coefficient models of :mod:`.stencil_kernels`, plus the forcing --
:func:`integrate_compiled` runs the same integrator inside numba: the same Bogacki-Shampine tableau,
scipy's error norm, step-size controller and initial step, the same output clipping, floor handling and
per-sample divergence (a diverged row leaves the batch) as the shared-step loop of ``ode.integrate``,
with the arithmetic in the same order. Only the summation order of reductions (error norms, forcing
sums) and fused multiply-adds differ, so trajectories agree with ``ode.integrate`` to round-off
(tested). Network models keep the torch loop.

The compiled code is :mod:`.coarse_kernels` (imported, with numba, on first use).
"""

from __future__ import annotations

import numpy as np

from coarsepde.numerics.ode_result import Solution

__all__ = ["integrate_compiled", "compiled_run"]

WENO, CONSTANT = 0, 1  # the kinds of coarse_kernels.driver


def integrate_compiled(
    kind: int,
    godunov: bool,
    kp: np.ndarray,
    kf: np.ndarray,
    forcing: tuple,
    y0: np.ndarray,
    t_eval,
    *,
    max_step: float,
    rtol: float,
    atol: float,
    bound: float,
    min_step: float = 1e-6,
) -> Solution:
    """``ode.integrate(rhs, y0, t_eval, ...)`` with shared steps, for the compiled right-hand side ``kind``.

    kind: :data:`WENO` (``kp`` = eta, dx, eps, the 4 slope coefficients) or :data:`CONSTANT` (``kp`` the
    ``prm`` of :mod:`.stencil_kernels`, ``kf`` the (F, 6) stencils, ``godunov`` the flux form). ``forcing``: (a,
    omega, phi, col, sgn, basis) of :class:`~coarsepde.discretization.equations.Forcing`
    (:func:`_forcing_arrays`; a with 0 columns: unforced). ``y0`` (B, N) float64. Returns a :class:`Solution` with torch tensors,
    as ``ode.integrate``.
    """
    import torch

    from coarsepde.discretization.coarse_kernels import driver

    t_eval = np.asarray(t_eval, dtype=float).reshape(-1)
    if t_eval.size == 0 or np.any(np.diff(t_eval) <= 0) or not np.all(np.isfinite(t_eval)):
        raise ValueError("t_eval must be a non-empty, finite, strictly increasing array")
    y0 = np.ascontiguousarray(y0, dtype=np.float64)
    B, T = y0.shape[0], t_eval.size
    out = np.full((B, T) + y0.shape[1:], np.nan)
    t_div = np.full(B, np.inf)
    counts = np.zeros(3, dtype=np.int64)  # nfev, steps, rejected
    h_next = driver(
        kind, bool(godunov), kp, kf, forcing, y0, t_eval, float(t_eval[0]), float(max_step), float(rtol), float(atol),
        float(min_step), float(bound), out, t_div, counts,
    )  # fmt: skip
    return Solution(
        t=t_eval.copy(),
        y=torch.from_numpy(out),
        t_diverged=t_div,
        nfev=int(counts[0]),
        n_steps=int(counts[1]),
        n_rejected=int(counts[2]),
        h_next=float(h_next),
    )


def _forcing_arrays(forcing, n: int) -> tuple:
    """(a, omega, phi, col, sgn, basis) of a Forcing for the driver (M = 0 columns: unforced). The fold (S, 2M,
    2J) has one nonzero per row (the one-hot of the mode's |k|, times the sign of k in the cosine half):
    ``col`` (S, 2M) is its column, ``sgn`` its value."""
    if forcing is None:
        empty = np.zeros((1, 0))
        return empty, empty, empty, np.zeros((1, 0), np.int64), empty, np.zeros((1, n))
    fold = forcing.fold.detach().cpu().numpy()
    col = np.ascontiguousarray(np.abs(fold).argmax(-1), dtype=np.int64)
    sgn = np.ascontiguousarray(np.take_along_axis(fold, col[..., None], -1)[..., 0], dtype=np.float64)
    if not np.array_equal(np.count_nonzero(fold, axis=-1), np.ones(col.shape)):
        raise ValueError("the forcing fold must have exactly one nonzero per mode row")
    a, omega, phi, basis = (
        np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float64)
        for x in (forcing.a, forcing.omega, forcing.phi, forcing.basis)
    )
    return a, omega, phi, col, sgn, basis


def compiled_run(equation, faces, v0, forcing, t_eval, settings, dx: float) -> Solution | None:
    """``run_coarse``'s integration by :func:`integrate_compiled` where the right-hand side compiles: the
    WENO baseline of Burgers (``WenoFaces`` on this grid) or a constant-coefficient model with ``fused`` set
    (any P1 equation, its own flux form); a CPU float64 (B, N) state. None otherwise (the torch loop runs)."""
    from coarsepde.discretization.fused import flux_constants, frozen_stencils

    if v0.device.type != "cpu" or v0.dtype.is_floating_point is False or v0.dtype.itemsize != 8 or v0.ndim != 2:
        return None
    if v0.shape[-1] < 6:
        return None
    if hasattr(faces, "burgers_rhs") and getattr(faces, "dx", None) == dx:  # WenoFaces
        if equation.name != "burgers" or equation.flux_form != "godunov":
            return None
        kind, godunov, kf = WENO, True, np.zeros((1, 6))
        kp = np.concatenate([[equation.eta, dx, 1e-6], faces.slope]).astype(np.float64)
    elif getattr(faces, "kind", None) == "constant" and getattr(faces, "fused", False) and faces.equation == equation:
        if faces.stencil_size != 6:
            return None
        godunov, kp = flux_constants(equation, np.float64)
        kp[0] = dx
        kind, kf = CONSTANT, frozen_stencils(faces, np.float64)
    else:
        return None
    return integrate_compiled(
        kind,
        godunov,
        kp,
        kf,
        _forcing_arrays(forcing, v0.shape[-1]),
        v0.numpy(),
        t_eval,
        max_step=settings.max_step,
        rtol=settings.rtol,
        atol=settings.atol,
        bound=settings.bound,
    )

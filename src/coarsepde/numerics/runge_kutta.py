"""Plain fixed-step explicit Runge-Kutta schemes on batches, differentiable end to end (for
time-integrated training losses). Right-hand sides follow the contract of :mod:`coarsepde.numerics.ode`.

References
----------
C.-W. Shu and S. Osher, J. Comput. Phys. 77, 439-471 (1988) (SSPRK3).
"""

from __future__ import annotations

import torch

from coarsepde.numerics.ode import Rhs

__all__ = ["fixed_step", "FIXED_STEP_METHODS"]

FIXED_STEP_METHODS = ("midpoint", "rk4", "ssprk3")


def fixed_step(
    rhs: Rhs,
    y0: torch.Tensor,
    dt: float,
    n_steps: int,
    method: str = "midpoint",
    t0: float = 0.0,
    rows: torch.Tensor | None = None,
) -> torch.Tensor:
    """Plain fixed-step explicit Runge-Kutta integration, differentiable end to end.

    ``rhs(t, y, rows)`` as for :func:`coarsepde.numerics.ode.integrate` (``rows`` defaults to ``arange(B)``). ``method``:
    "midpoint" (explicit midpoint, 2nd order), "rk4" (classic 4th order) or "ssprk3" (Shu-Osher
    strong-stability-preserving 3rd order). Times are t0 + n dt (not accumulated, so no drift).

    Returns the trajectory, shape (n_steps + 1, B, ...), starting with ``y0``.
    """
    if method not in FIXED_STEP_METHODS:
        raise ValueError(f"method must be one of {FIXED_STEP_METHODS}, got {method!r}")
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    if rows is None:
        rows = torch.arange(y0.shape[0], device=y0.device)
    ys = [y0]
    y = y0
    for n in range(n_steps):
        t = t0 + n * dt
        if method == "midpoint":
            y = y + dt * rhs(t + 0.5 * dt, y + (0.5 * dt) * rhs(t, y, rows), rows)
        elif method == "rk4":
            k1 = rhs(t, y, rows)
            k2 = rhs(t + 0.5 * dt, y + (0.5 * dt) * k1, rows)
            k3 = rhs(t + 0.5 * dt, y + (0.5 * dt) * k2, rows)
            k4 = rhs(t + dt, y + dt * k3, rows)
            y = y + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        else:  # ssprk3: convex combinations of forward-Euler steps
            y1 = y + dt * rhs(t, y, rows)
            y2 = 0.75 * y + 0.25 * (y1 + dt * rhs(t + dt, y1, rows))
            y = y / 3.0 + (2.0 / 3.0) * (y2 + dt * rhs(t + 0.5 * dt, y2, rows))
        ys.append(y)
    return torch.stack(ys)

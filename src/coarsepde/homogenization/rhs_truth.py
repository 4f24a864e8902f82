"""Which "homogenized truth" for the 1D right-hand side (Arbabi et al. 2020, Sect. 5.1, Eq. 24, Fig. 4)?

The patch-dynamics data give dU/dt at the 11 macro nodes. The homogenized right-hand side a* u_xx
(Eq. 22) can be evaluated there in several ways, which differ while the initial conditions' wavenumbers
(Eq. 23: 2 pi l, l up to 4, so k dx up to 2.5 on the macro grid) have not decayed:

- ``coarse_data``: a* times the 3-point second difference of the data's own macro states (the operator
  an 11-node model can represent, at the states it is given);
- ``coarse_ref``: the same stencil on the fine homogenized solution sampled at the macro nodes;
- ``coarse_scheme``: the homogenized FD scheme on the macro grid itself (forward Euler, the data's dt),
  the limit patch dynamics converges to, and its right-hand side;
- ``fine``: the fine reference's FD right-hand side (dx = 5e-3) at the macro nodes (the pipeline's
  truth today);
- ``fine_forward``: the authors' code's truth, the forward difference in time over one snapshot step
  of the fine reference at the macro nodes (1d_example.py ``prepare_data``; NaN at the last time);
- ``exact``: du/dt of the exact solution of Eq. (22) with the Dirichlet data of Eq. (21), from its
  sine series (:func:`modal_solution`).

All fields are numpy arrays (trajectory, time, x) on the macro nodes, 0 at the two Dirichlet nodes.
"""

from __future__ import annotations

import numpy as np

from .learning import rmse_relative
from .problem1d import InitialConditions, homogenized_operator, homogenized_rhs_on_macro_grid

__all__ = ["modal_solution", "homogenized_scheme_rhs", "rhs_truths_1d", "score_against_truths"]


def _cos_integral(c: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """int_0^1 cos(c x + phi) dx = sinc(c / 2) cos(phi + c / 2), without cancellation at small c."""
    return np.sinc(c / (2 * np.pi)) * np.cos(phi + c / 2)


def modal_solution(
    ic: InitialConditions, a_star: float, x: np.ndarray, t: np.ndarray, *, n_modes: int = 400
) -> tuple[np.ndarray, np.ndarray]:
    """Exact solution of u_t = a* u_xx on [0, 1] (Eq. 22) from the Eq. (23) initial conditions ``ic``
    with u(0, t) = u0(0), u(1, t) = u0(1) (Eq. 21).

    u = g + sum_n b_n exp(-a* (n pi)^2 t) sin(n pi x), g the linear interpolant of the boundary data,
    b_n = 2 int_0^1 (u0 - g) sin(n pi x) dx in closed form. Returns u and u_t, each (trajectory, time, x).
    At t = 0 u is u0 itself and u_t is a* u0'' (the series' limit at interior points); u_t is 0 at the
    two boundary nodes. ``n_modes`` terms: enough for t >= 1e-3 (the first snapshot after 0) to round-off.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    alpha = 2 * np.pi * ic.wavenumber  # (B, J)
    n = np.arange(1, n_modes + 1)
    beta = n * np.pi  # (N,)
    left = np.einsum("bj,bj->b", ic.amp, np.sin(ic.phase))
    right = np.einsum("bj,bj->b", ic.amp, np.sin(alpha + ic.phase))
    # 2 int sin(a x + phi) sin(b x) dx = C(a - b, phi) - C(a + b, phi)
    ph = ic.phase[:, :, None]
    two_int = _cos_integral(alpha[:, :, None] - beta, ph) - _cos_integral(alpha[:, :, None] + beta, ph)
    b_u0 = np.einsum("bj,bjn->bn", ic.amp, two_int)
    b_g = 2 * (left[:, None] - right[:, None] * (-1.0) ** n) / beta  # 2 int g sin(n pi x) dx
    b = b_u0 - b_g  # (B, N)
    decay = np.exp(-a_star * beta[None, :] ** 2 * t[:, None])  # (T, N)
    S = np.sin(np.outer(beta, x))  # (N, X)
    g = left[:, None] * (1 - x) + right[:, None] * x  # (B, X)
    u = g[:, None, :] + np.einsum("bn,tn,nx->btx", b, decay, S)
    ut = -a_star * np.einsum("bn,tn,nx->btx", b * beta**2, decay, S)
    first = t == 0
    if first.any():
        u[:, first] = ic(x)[:, None, :]
        u0xx = -np.einsum("bj,bjx->bx", ic.amp * alpha**2, np.sin(alpha[:, :, None] * x + ph))
        ut[:, first] = a_star * u0xx[:, None, :]
    ends = (np.isclose(x, 0.0)) | (np.isclose(x, 1.0))
    ut[..., ends] = 0.0
    return u, ut


def homogenized_scheme_rhs(U0: np.ndarray, a_star: float, *, dt: float, n_steps: int) -> np.ndarray:
    """Right-hand side of the homogenized FD scheme on the macro grid itself (forward Euler, step ``dt``)
    along its own trajectory from the macro states ``U0`` (B, n): (B, n_steps + 1, n)."""
    U = np.atleast_2d(np.asarray(U0, dtype=float)).copy()
    L = homogenized_operator(U.shape[-1], a_star)
    out = np.empty((U.shape[0], n_steps + 1, U.shape[1]))
    for k in range(n_steps + 1):
        F = (L @ U.T).T
        out[:, k] = F
        U = U + dt * F
    return out


def rhs_truths_1d(
    U_data: np.ndarray,
    U_ref: np.ndarray,
    F_ref: np.ndarray,
    times: np.ndarray,
    *,
    a_star: float,
    stride: int,
    ic: InitialConditions | None = None,
) -> dict[str, np.ndarray]:
    """The candidate truths of the module docstring at the macro nodes, each (trajectory, time, x).

    ``U_data``: the patch-dynamics macro states (trajectory, time, x_macro); ``U_ref``, ``F_ref``: the
    fine homogenized reference and its FD right-hand side (trajectory, time, x_ref), whose grid holds the
    macro nodes every ``stride`` points; ``times``: the snapshot times (uniform, starting at 0 for
    ``coarse_scheme``, which starts from ``U_data``'s first snapshot); ``ic``: the trajectories' initial
    conditions, for ``exact`` (left out when None).
    """
    times = np.asarray(times, dtype=float)
    dt = float(times[1] - times[0]) if times.size > 1 else 0.0
    U_ref_macro = U_ref[..., ::stride]
    if U_ref_macro.shape != U_data.shape:
        raise ValueError(f"reference at the macro nodes {U_ref_macro.shape} vs data {U_data.shape}")
    fwd = np.full_like(U_ref_macro, np.nan)
    fwd[:, :-1] = (U_ref_macro[:, 1:] - U_ref_macro[:, :-1]) / dt
    fwd[..., 0] = fwd[..., -1] = 0.0
    truths = {
        "coarse_data": homogenized_rhs_on_macro_grid(U_data, a_star),
        "coarse_ref": homogenized_rhs_on_macro_grid(U_ref_macro, a_star),
        "coarse_scheme": homogenized_scheme_rhs(U_data[:, 0], a_star, dt=dt, n_steps=times.size - 1),
        "fine": np.asarray(F_ref[..., ::stride], dtype=float),
        "fine_forward": fwd,
    }
    if ic is not None:
        x = np.linspace(0.0, 1.0, U_data.shape[-1])
        truths["exact"] = modal_solution(ic, a_star, x, times)[1]
    return truths


def score_against_truths(
    fields: dict[str, np.ndarray], truths: dict[str, np.ndarray], windows: dict[str, np.ndarray]
) -> list[dict]:
    """rMSE (Eq. 24, :func:`~coarsepde.homogenization.learning.rmse_relative`) of every field against
    every truth over every time window (a (time,) bool mask); snapshots where the truth is not finite
    (``fine_forward`` at the last time) are left out. Rows: field, truth, window, snapshots, rmse."""
    rows = []
    for fname, F in fields.items():
        for tname, T in truths.items():
            ok = np.all(np.isfinite(T), axis=(0, 2))
            for wname, mask in windows.items():
                sel = np.asarray(mask, dtype=bool) & ok
                rmse = rmse_relative(F[:, sel], T[:, sel])
                rows.append(
                    {"field": fname, "truth": tname, "window": wname, "snapshots": int(sel.sum()), "rmse": rmse}
                )
    return rows

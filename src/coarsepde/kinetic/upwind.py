"""Periodic finite-difference stencils of the authors' ARS(2,2,2) transport generator (last axis = x).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Appendix 8.1;
reference §2.3): third-order upwind-biased first derivatives and their per-velocity-sign use in v d_x.
u in any units; derivatives in [u]/[x].
"""

from __future__ import annotations

import numpy as np

__all__ = ["d_left3", "d_right3", "d_centered", "vdx_upwind3", "vdx_downwind3"]


def _padded(u: np.ndarray, k: int = 2):
    n = u.shape[-1]
    up = np.concatenate([u[..., -k:], u, u[..., :k]], axis=-1)
    return lambda s: up[..., k + s : k + s + n]


def d_left3(u: np.ndarray, dx: float) -> np.ndarray:
    """Third-order left-biased d/dx (upwind for v > 0): (2u_{j+1} + 3u_j - 6u_{j-1} + u_{j-2})/(6dx)."""
    s = _padded(u)
    return (2.0 * s(1) + 3.0 * s(0) - 6.0 * s(-1) + s(-2)) / (6.0 * dx)


def d_right3(u: np.ndarray, dx: float) -> np.ndarray:
    """Third-order right-biased d/dx (upwind for v < 0): (-u_{j+2} + 6u_{j+1} - 3u_j - 2u_{j-1})/(6dx)."""
    s = _padded(u)
    return (-s(2) + 6.0 * s(1) - 3.0 * s(0) - 2.0 * s(-1)) / (6.0 * dx)


def d_centered(u: np.ndarray, dx: float) -> np.ndarray:
    """Second-order centred d/dx: (u_{j+1} - u_{j-1}) / (2 dx) (the operator of the authors' fits)."""
    return (np.roll(u, -1, axis=-1) - np.roll(u, 1, axis=-1)) / (2.0 * dx)


def _split(v: np.ndarray) -> int:
    """Index of the first v > 0 (velocities must be ascending)."""
    if np.any(np.diff(v) <= 0):
        raise ValueError("velocities must be strictly ascending")
    return int(np.searchsorted(v, 0.0, side="right"))


def vdx_upwind3(g: np.ndarray, v: np.ndarray, dx: float) -> np.ndarray:
    """v d_x g with the upwind-biased third-order stencil per velocity sign; g is (..., nv, nx).
    v > 0 -> :func:`d_left3`, v <= 0 -> :func:`d_right3` (authors' ARS generator, reference §2.3)."""
    k = _split(v)
    vn, vp = v[:k, None], v[k:, None]
    return np.concatenate([vn * d_right3(g[..., :k, :], dx), vp * d_left3(g[..., k:, :], dx)], axis=-2)


def vdx_downwind3(rho: np.ndarray, v: np.ndarray, dx: float) -> np.ndarray:
    """v d_x rho with the OPPOSITE bias (v > 0 -> :func:`d_right3`), broadcast to (..., nv, nx); this
    mimics the staggered coupling rho_{i+1} - rho_i of Eq. (4.9) (authors' ARS generator)."""
    k = _split(v)
    dl = d_left3(rho, dx)[..., None, :]
    dr = d_right3(rho, dx)[..., None, :]
    return np.concatenate([v[:k, None] * dl, v[k:, None] * dr], axis=-2)

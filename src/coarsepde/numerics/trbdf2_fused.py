"""TR-BDF2 steps of u_t = (a u_x)_x on many Dirichlet segments as ONE compiled pass per segment.

The arithmetic of :meth:`coarsepde.numerics.diffusion1d.DiffusionSegments.integrate_reference`
(Arbabi et al. 2020, Eq. 20 discretized conservatively; TR-BDF2 with gamma = 2 - sqrt 2), per step
of size dt with d = gamma dt / 2 and A = I - d L:

    A s     = v + d L v + 2 d g                          (trapezoid to t + gamma dt)
    A v_new = w s - w (1 - gamma)^2 v + d g,  w = 1 / (gamma (2 - gamma))   (BDF2 to t + dt)

g being the source of the two fixed end values. The reference path makes ~20 whole-array numpy
passes and two LAPACK ``dgtsv`` calls per step over the stacked (B x P x n) state, i.e. it
streams the whole state through memory many times per step. Here, for each segment, the
symmetric positive definite tridiagonal A is factored once per step (A = L D L^T: the
no-pivoting elimination ``dgtsv`` performs on this diagonally dominant matrix) and reused for the
two stages of every right-hand side, and each stage is one forward and one backward sweep that
forms its right-hand side on the fly. A segment (some 10^4 points) stays in cache through all
steps. Results agree with the reference to round-off (the back substitution
multiplies by 1/d_j where ``dgtsv`` divides; tested).

Compiled by numba on first use (cached on disk next to this file, or under
``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["trbdf2_segments"]

_KERNEL = None


def _compile():
    import numba

    @numba.njit(inline="always")
    def end_source(gl, gr, b, p, j, n):  # pragma: no cover - compiled
        """The fixed end values' source g at interior point j (0 inside; both ends when n = 1)."""
        g = 0.0
        if j == 0:
            g += gl[b, p]
        if j == n - 1:
            g += gr[b, p]
        return g

    @numba.njit(inline="always")
    def back_substitute(z, out, r, lo, n, B):  # pragma: no cover - compiled
        """out = L^-T D^-1 z for the forward-eliminated z (out may be z itself)."""
        for b in range(B):
            out[n - 1, b] = z[n - 1, b] * r[n - 1]
        for j in range(n - 2, -1, -1):
            rj = r[j]
            lj = lo[j]
            for b in range(B):
                out[j, b] = z[j, b] * rj - lj * out[j + 1, b]

    @numba.njit(cache=True, boundscheck=False, error_model="numpy")
    def kernel(v, gl, gr, diag, off, steps, gam, w, c2):  # pragma: no cover - compiled
        B, P, n = v.shape
        r = np.empty(n)  # 1 / pivots of A = L D L^T
        lo = np.empty(n)  # multipliers l_j = e_j / d_j (last entry unused)
        # one segment's right-hand sides side by side (n, B): the sweeps' recurrences run along j,
        # so the B independent ones fill the pipeline (and SIMD lanes) instead of waiting on latency
        x = np.empty((n, B))
        z = np.empty((n, B))
        for p in range(P):
            for j in range(n):
                for b in range(B):
                    x[j, b] = v[b, p, j]
            for k in range(steps.shape[0]):
                d = 0.5 * gam * steps[k]
                d2 = 2.0 * d
                # factor A = I - d L: diagonal 1 - d diag_j, off-diagonal e_j = -d off_j
                piv = 1.0 - d * diag[p, 0]
                for j in range(n - 1):
                    r[j] = 1.0 / piv
                    e = -d * off[p, j]
                    lo[j] = e * r[j]
                    piv = (1.0 - d * diag[p, j + 1]) - lo[j] * e
                r[n - 1] = 1.0 / piv
                # -- trapezoid stage: rhs = v + d L v + 2 d g, forward elimination
                for j in range(n):
                    dj = diag[p, j]
                    lj = lo[j - 1] if j > 0 else 0.0
                    ends = j == 0 or j == n - 1
                    for b in range(B):
                        Lv = dj * x[j, b]
                        if j > 0:
                            Lv += off[p, j - 1] * x[j - 1, b]
                        if j < n - 1:
                            Lv += off[p, j] * x[j + 1, b]
                        rhs = x[j, b] + d * Lv
                        if ends:
                            rhs += d2 * end_source(gl, gr, b, p, j, n)
                        if j > 0:
                            rhs -= lj * z[j - 1, b]
                        z[j, b] = rhs
                back_substitute(z, z, r, lo, n, B)  # z: the stage value s
                # -- BDF2 stage: rhs = w s - w (1 - gamma)^2 v + d g, forward elimination in place
                for j in range(n):
                    lj = lo[j - 1] if j > 0 else 0.0
                    ends = j == 0 or j == n - 1
                    for b in range(B):
                        rhs = w * z[j, b] - c2 * x[j, b]
                        if ends:
                            rhs += d * end_source(gl, gr, b, p, j, n)
                        if j > 0:
                            rhs -= lj * z[j - 1, b]
                        z[j, b] = rhs
                back_substitute(z, x, r, lo, n, B)
            for j in range(n):
                for b in range(B):
                    v[b, p, j] = x[j, b]
        return v

    return kernel


def trbdf2_segments(
    v: np.ndarray, gl: np.ndarray, gr: np.ndarray, diag: np.ndarray, off: np.ndarray, steps: np.ndarray, gamma: float
) -> np.ndarray:
    """Advance the interior values v (B, P, n), in place, through the TR-BDF2 ``steps``.

    diag (P, n), off (P, n-1): the bands of the symmetric operator L on the interior unknowns;
    gl, gr (B, P): the boundary sources a_{1/2} u_0 / dx^2 and a_{m-3/2} u_{m-1} / dx^2 at the first
    and the last interior point. Returns v.
    """
    global _KERNEL
    if not (isinstance(v, np.ndarray) and v.dtype == np.float64 and v.ndim == 3 and v.flags.c_contiguous):
        raise ValueError("v must be a C-contiguous float64 array (B, P, n)")
    B, P, n = v.shape
    if n < 1:
        raise ValueError("a segment needs at least one interior unknown")
    diag = np.ascontiguousarray(diag, dtype=np.float64)
    off = np.ascontiguousarray(off, dtype=np.float64).reshape(P, max(n - 1, 0))
    gl = np.ascontiguousarray(gl, dtype=np.float64)
    gr = np.ascontiguousarray(gr, dtype=np.float64)
    if diag.shape != (P, n) or gl.shape != (B, P) or gr.shape != (B, P):
        raise ValueError("diag must be (P, n), gl and gr (B, P)")
    steps = np.ascontiguousarray(steps, dtype=np.float64).reshape(-1)
    gam = float(gamma)
    w = 1.0 / (gam * (2.0 - gam))
    c2 = w * (1.0 - gam) ** 2
    if _KERNEL is None:
        _KERNEL = _compile()
    return _KERNEL(v, gl, gr, diag, off, steps, gam, w, c2)

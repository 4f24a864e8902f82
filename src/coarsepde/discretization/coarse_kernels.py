"""Compiled (numba) kernels of the coarse Burgers runs: the WENO5-Godunov right-hand side (one pass per
sample) and the adaptive RK23 loop that integrates it, or a constant-coefficient model, with the forcing.

:func:`weno_godunov_rhs`: dv_i/dt = -(J_{i+1} - J_i) / dx with J_i = G(v-_i, v+_i) - eta v_x,i (P1 Eq. 4),
v-, v+ the WENO5 reconstructions at face i (Jiang & Shu 1996, Eqs. 2.10-2.11, 3.2; eps = 1e-6, p = 2), G
the exact Godunov flux of v^2/2 and v_x the 4-cell order-3 face slope: the formulas of
:func:`coarsepde.numerics.weno.weno5_faces`, :func:`~coarsepde.numerics.weno.godunov_flux` and
``Burgers.time_derivative`` in the same order per face (equal to round-off; tested), every intermediate in
registers instead of about 160 torch ops over whole arrays.

:func:`driver`: the shared-step loop of :func:`coarsepde.numerics.ode.integrate` (Bogacki-Shampine, scipy's
error norm, step control and initial step, output clipping, floor handling, per-sample divergence) with the
right-hand side ``kind`` (0: :func:`weno_godunov_rhs`, 1: :func:`~.stencil_kernels.constant_rhs`) plus the
forcing of :class:`~coarsepde.discretization.equations.Forcing` (its shared basis and fold), all compiled;
the wrapper is :mod:`.coarse_driver`.

This module imports numba; it is imported on first use. Its functions are module-level, so numba's on-disk
cache works across processes (a closure over other compiled functions would recompile in every process).
That cache follows only this file, and the driver also inlines :mod:`.stencil_kernels`: it is cached only
while :data:`DEPENDENCY_SHA256` is that file's hash (``tests/test_p1_fused.py`` fails when it is stale;
until then the kernels compile afresh in each process).
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numba
import numpy as np

from coarsepde.discretization.stencil_kernels import constant_rhs
from coarsepde.numerics.rk23 import ERROR_EXPONENT, ERROR_WEIGHTS, MAX_FACTOR, MIN_FACTOR, SAFETY

__all__ = ["DEPENDENCY_SHA256", "dependency_sha256", "weno_godunov_rhs", "driver", "WENO", "CONSTANT"]

#: right-hand-side kinds of :func:`driver`
WENO, CONSTANT = 0, 1
#: sha256 of stencil_kernels.py, whose constant_rhs the driver inlines
DEPENDENCY_SHA256 = "8057e545c1b89378d02ab04561d0f0105cedc5675585c8605a0c58ab95856bf2"
E0, E1, E2, E3 = ERROR_WEIGHTS


def dependency_sha256() -> str:
    """sha256 of the source of :mod:`.stencil_kernels`."""
    return hashlib.sha256((Path(__file__).resolve().parent / "stencil_kernels.py").read_bytes()).hexdigest()


jit = numba.njit(cache=DEPENDENCY_SHA256 == dependency_sha256(), boundscheck=False, error_model="numpy")
inline = numba.njit(inline="always", error_model="numpy")


@inline
def weno5_face(um2, um1, u0, up1, up2, eps):  # pragma: no cover - compiled
    """Jiang & Shu's reconstruction at the face between u0 and up1, upwind from u0's side: the
    arithmetic of ``coarsepde.numerics.weno._weno5_left_biased``, in its order."""
    q0 = (2.0 * um2 - 7.0 * um1 + 11.0 * u0) / 6.0
    q1 = (-um1 + 5.0 * u0 + 2.0 * up1) / 6.0
    q2 = (2.0 * u0 + 5.0 * up1 - up2) / 6.0
    t = um2 - 2.0 * um1 + u0
    s = um2 - 4.0 * um1 + 3.0 * u0
    b0 = 13.0 / 12.0 * (t * t) + 0.25 * (s * s)
    t = um1 - 2.0 * u0 + up1
    s = um1 - up1
    b1 = 13.0 / 12.0 * (t * t) + 0.25 * (s * s)
    t = u0 - 2.0 * up1 + up2
    s = 3.0 * u0 - 4.0 * up1 + up2
    b2 = 13.0 / 12.0 * (t * t) + 0.25 * (s * s)
    e0 = eps + b0
    e1 = eps + b1
    e2 = eps + b2
    a0 = 0.1 / (e0 * e0)  # WENO5_LINEAR_WEIGHTS (0.1, 0.6, 0.3), p = 2
    a1 = 0.6 / (e1 * e1)
    a2 = 0.3 / (e2 * e2)
    return (a0 * q0 + a1 * q1 + a2 * q2) / (a0 + a1 + a2)


@jit
def weno_godunov_rhs(v, eta, dx, c, eps, out):  # pragma: no cover - compiled
    B, N = v.shape
    pad = np.empty(N + 6)
    J = np.empty(N + 1)
    for b in range(B):
        # periodic ghost cells: pad[k] = v[(k - 3) mod N]
        for k in range(N):
            pad[k + 3] = v[b, k]
        for k in range(3):
            pad[k] = v[b, N - 3 + k]
            pad[N + 3 + k] = v[b, k]
        for i in range(N + 1):
            # face i (between cells i-1 and i) sees cells i-3 .. i+2 = pad[i] .. pad[i+5]; the
            # right-biased value is the mirror image of the left-biased one
            vm = weno5_face(pad[i], pad[i + 1], pad[i + 2], pad[i + 3], pad[i + 4], eps)
            vp = weno5_face(pad[i + 5], pad[i + 4], pad[i + 3], pad[i + 2], pad[i + 1], eps)
            # viscous slope from cells i-2 .. i+1, and the exact Godunov flux of v^2/2
            vx = c[0] * pad[i + 1] + c[1] * pad[i + 2] + c[2] * pad[i + 3] + c[3] * pad[i + 4]
            am = max(vm, 0.0)
            bp = min(vp, 0.0)
            J[i] = 0.5 * max(am * am, bp * bp) - eta * vx
        for i in range(N):
            out[b, i] = -(J[i + 1] - J[i]) / dx
    return out


@jit
def rhs(kind, godunov, t, y, rows, kp, kf, forcing, out):  # pragma: no cover - compiled
    # kp: (eta, dx, eps, slope[4]) for WENO, prm for CONSTANT; kf: the stencils (F, 6)
    if kind == 0:
        weno_godunov_rhs(y, kp[0], kp[1], kp[3:7], kp[2], out)
    else:
        constant_rhs(y, kf, kp, godunov, out)
    a, omega, phi, col, sgn, basis = forcing
    M, Q = a.shape[1], basis.shape[0]
    if M == 0:
        return
    c = np.empty(Q)
    idx = np.empty(Q, np.int64)
    for r in range(y.shape[0]):
        s = rows[r]
        for q in range(Q):
            c[q] = 0.0
        # C[s] = w @ fold[s] with w = (a sin(omega t + phi), a cos(omega t + phi)): the fold has one nonzero
        # (+1 or the sign of k) per row, at column col with value sgn, so the product is a scatter-add, in
        # the order of the fold's rows (the M sine weights, then the M cosine weights)
        for m in range(M):
            ws = a[s, m] * np.sin(omega[s, m] * t + phi[s, m])
            c[col[s, m]] += ws * sgn[s, m]
        for m in range(M):
            wc = a[s, m] * np.cos(omega[s, m] * t + phi[s, m])
            c[col[s, M + m]] += wc * sgn[s, M + m]
        # out += C @ basis over the nonzero coefficients (a realization draws few of the |k|; skipping exact
        # zeros changes no bit), eight or four basis rows per sweep (fewer loads and stores of out)
        nz = 0
        for q in range(Q):
            if c[q] != 0.0:
                idx[nz] = q
                nz += 1
        p = 0
        while p + 8 <= nz:
            q0, q1, q2, q3 = idx[p], idx[p + 1], idx[p + 2], idx[p + 3]
            q4, q5, q6, q7 = idx[p + 4], idx[p + 5], idx[p + 6], idx[p + 7]
            c0, c1, c2, c3, c4, c5, c6, c7 = c[q0], c[q1], c[q2], c[q3], c[q4], c[q5], c[q6], c[q7]
            for i in range(y.shape[1]):
                out[r, i] += (
                    c0 * basis[q0, i]
                    + c1 * basis[q1, i]
                    + c2 * basis[q2, i]
                    + c3 * basis[q3, i]
                    + c4 * basis[q4, i]
                    + c5 * basis[q5, i]
                    + c6 * basis[q6, i]
                    + c7 * basis[q7, i]
                )
            p += 8
        while p + 4 <= nz:
            q0, q1, q2, q3 = idx[p], idx[p + 1], idx[p + 2], idx[p + 3]
            c0, c1, c2, c3 = c[q0], c[q1], c[q2], c[q3]
            for i in range(y.shape[1]):
                out[r, i] += c0 * basis[q0, i] + c1 * basis[q1, i] + c2 * basis[q2, i] + c3 * basis[q3, i]
            p += 4
        while p < nz:
            q0 = idx[p]
            c0 = c[q0]
            for i in range(y.shape[1]):
                out[r, i] += c0 * basis[q0, i]
            p += 1


@jit
def err_norms(fy, k2, k3, k4, w, y, y_new, rtol, atol, tmp, res):  # pragma: no cover - compiled
    # scipy's rms of the embedded error estimate err = h (E . k) over atol + rtol max(|y|, |y_new|), per row;
    # the squares first (a loop that vectorizes), then their sum in four partial sums
    n = y.shape[1]
    for r in range(y.shape[0]):
        for i in range(n):
            e = fy[r, i] * w[0] + k2[r, i] * w[1] + k3[r, i] * w[2] + k4[r, i] * w[3]
            x = e / (np.maximum(abs(y[r, i]), abs(y_new[r, i])) * rtol + atol)
            tmp[i] = x * x
        a0 = a1 = a2 = a3 = 0.0
        i = 0
        while i + 4 <= n:
            a0 += tmp[i]
            a1 += tmp[i + 1]
            a2 += tmp[i + 2]
            a3 += tmp[i + 3]
            i += 4
        while i < n:
            a0 += tmp[i]
            i += 1
        res[r] = math.sqrt(((a0 + a1) + (a2 + a3)) / n)


@jit
def bad(y, bound, res):  # pragma: no cover - compiled
    # rk23.bad_rows: not (max |y| <= bound), NaN and inf included
    anybad = False
    for r in range(y.shape[0]):
        res[r] = False
        for i in range(y.shape[1]):
            if not abs(y[r, i]) <= bound:
                res[r] = True
                anybad = True
                break
    return anybad


@jit
def growth(err_max, after_rejection):  # pragma: no cover - compiled
    factor = MAX_FACTOR if err_max == 0 else min(MAX_FACTOR, SAFETY * err_max**ERROR_EXPONENT)
    return min(1.0, factor) if after_rejection else factor


@jit
def driver(
    kind, godunov, kp, kf, forcing, y0, t_eval, t0, max_step, rtol, atol, min_step, bound, out, t_div, counts
):  # pragma: no cover
    B, N = y0.shape
    T = t_eval.shape[0]
    t, y = t0, y0.copy()
    rows = np.arange(B)
    k = 0
    h_next_out = np.nan
    if t_eval[0] == t0:
        for r in range(B):
            out[r, 0] = y0[r]
        k = 1
    flags = np.zeros(B, np.bool_)
    if bad(y, bound, flags):
        t_div[rows[flags]] = t0
        keep = np.flatnonzero(~flags)
        y, rows = y[keep], rows[keep]
    if k == T or rows.shape[0] == 0:
        return h_next_out
    fy = np.empty_like(y)
    rhs(kind, godunov, t, y, rows, kp, kf, forcing, fy)
    counts[0] += 1
    # scipy's initial step (the smallest over the rows, as rk23.initial_step)
    b = y.shape[0]
    d0, d1, d2 = np.empty(b), np.empty(b), np.empty(b)
    scale_y = np.abs(y) * rtol + atol
    h0 = np.inf
    for r in range(b):
        s0 = 0.0
        s1 = 0.0
        for i in range(N):
            s0 += (y[r, i] / scale_y[r, i]) ** 2
            s1 += (fy[r, i] / scale_y[r, i]) ** 2
        d0[r], d1[r] = math.sqrt(s0 / N), math.sqrt(s1 / N)
        h = 1e-6 if (d0[r] < 1e-5 or d1[r] < 1e-5) else 0.01 * d0[r] / d1[r]
        if math.isfinite(h) and h < h0:
            h0 = h
    interval = t_eval[-1] - t0
    h0 = min(1e-6 if h0 == np.inf else h0, interval)
    f1 = np.empty_like(y)
    rhs(kind, godunov, t + h0, y + h0 * fy, rows, kp, kf, forcing, f1)
    counts[0] += 1
    h1 = np.inf
    for r in range(b):
        s2 = 0.0
        for i in range(N):
            s2 += ((f1[r, i] - fy[r, i]) / scale_y[r, i]) ** 2
        d2[r] = math.sqrt(s2 / N) / h0
        if d1[r] <= 1e-15 and d2[r] <= 1e-15:
            h = max(1e-6, h0 * 1e-3)
        else:
            h = (0.01 / max(d1[r], d2[r])) ** (1.0 / 3.0)
        if math.isfinite(h) and h < h1:
            h1 = h
    h1 = 1e-6 if h1 == np.inf else h1
    h_abs = min(100.0 * h0, h1, interval, max_step)

    k2, k3, k4 = np.empty_like(y), np.empty_like(y), np.empty_like(y)
    ys, y_new = np.empty_like(y), np.empty_like(y)
    err_norm, tmp, w = np.empty(b), np.empty(N), np.empty(4)
    while k < T and rows.shape[0] > 0:
        b = rows.shape[0]
        t_out = t_eval[k]
        h_floor = max(min_step, 10.0 * np.spacing(t))
        h_abs = min(max(h_abs, h_floor), max_step)
        after_rejection = False
        keep = rows[:0]
        dropped = False
        while True:
            clipped = t + h_abs * (1.0 + 1e-8) >= t_out
            t_new = t_out if clipped else t + h_abs
            h = t_new - t
            at_floor = min(h_abs, t_out - t) <= h_floor
            # Bogacki-Shampine: the stage sums of rk23.bs23_step, in its order
            a2, a3 = 0.5 * h, 0.75 * h
            for r in range(b):
                for i in range(N):
                    ys[r, i] = y[r, i] + a2 * fy[r, i]
            rhs(kind, godunov, t + 0.5 * h, ys, rows, kp, kf, forcing, k2)
            for r in range(b):
                for i in range(N):
                    ys[r, i] = y[r, i] + a3 * k2[r, i]
            rhs(kind, godunov, t + 0.75 * h, ys, rows, kp, kf, forcing, k3)
            b1, b2, b3 = (2.0 / 9.0) * h, h / 3.0, (4.0 / 9.0) * h
            for r in range(b):
                for i in range(N):
                    y_new[r, i] = y[r, i] + b1 * fy[r, i] + b2 * k2[r, i] + b3 * k3[r, i]
            rhs(kind, godunov, t + h, y_new, rows, kp, kf, forcing, k4)
            counts[0] += 3
            w[0], w[1], w[2], w[3] = E0 * h, E1 * h, E2 * h, E3 * h
            err_norms(fy, k2, k3, k4, w, y, y_new, rtol, atol, tmp, err_norm[:b])
            err_max = -np.inf
            for r in range(b):
                if np.isnan(err_norm[r]):  # NaN propagates (a non-finite error rejects the step)
                    err_max = np.nan
                    break
                err_max = max(err_max, err_norm[r])
            if err_max < 1.0:
                h_next = h * growth(err_max, after_rejection)
                break
            counts[2] += 1
            if at_floor:
                # the samples that fail even at the floor diverged at t; accept the step for the rest
                ok = err_norm[:b] < 1.0
                t_div[rows[~ok]] = t
                keep = np.flatnonzero(ok)
                dropped = True
                rest = 0.0
                for r in keep:
                    rest = max(rest, err_norm[r])
                h_next = h * growth(rest, False)
                break
            factor = MIN_FACTOR if not math.isfinite(err_max) else max(MIN_FACTOR, SAFETY * err_max**ERROR_EXPONENT)
            h_abs = max(h * factor, h_floor)
            after_rejection = True
        y, y_new = y_new, y
        fy, k4 = k4, fy
        if dropped:
            y, fy, rows = y[keep], fy[keep], rows[keep]
        counts[1] += 1
        if clipped:
            h_next = max(h_next, h_abs)
        h_abs = h_next
        t = t_new
        if bad(y, bound, flags[: rows.shape[0]]):
            t_div[rows[flags[: rows.shape[0]]]] = t
            keep = np.flatnonzero(~flags[: rows.shape[0]])
            y, fy, rows = y[keep], fy[keep], rows[keep]
            dropped = True
        if dropped:
            b = rows.shape[0]
            k2, k3, k4 = np.empty_like(y), np.empty_like(y), np.empty_like(y)
            ys, y_new = np.empty_like(y), np.empty_like(y)
        if clipped:
            for r in range(rows.shape[0]):
                out[rows[r], k] = y[r]
            k += 1
        h_next_out = h_abs
    return h_next_out

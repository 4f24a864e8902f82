"""Compiled (numba) passes of the pseudolinear finite-volume models of Bar-Sinai et al. 2019: face
stencils, flux and conservative update in one sweep per sample, with hand-written adjoints.

Every P1 flux has the form (``equations.py``)

    J_i = w G(q_i) + sum_l lam_l q^(l)_i,        dv_i/dt = -(J_{i+1} - J_i) / dx,

with G = (q^(0))^2 / 2 (centred) or the exact Godunov flux of (q^(0), q^(1)) = (v-, v+), and the linear
faces q^(l) (v_x, v_xx, v_xxx) weighted by lam (Burgers: -eta; KdV: w = 6, lam = 1; KS: 1, 1). Face i
(left face of cell i) reads the six cells i-3 .. i+2:  q^(f)_i = sum_j c^(f)_{i,j} v_{i-3+j}.

- :func:`constant_rhs`: the constant-coefficient model (one stencil per face quantity), inference.
- :func:`constant_rollout` / :func:`constant_rollout_adjoint`: the explicit-midpoint rollout of the
  time-integrated loss (paper footnote *) and its reverse-mode sweep (gradient w.r.t. the stencils).
- :func:`head` / :func:`head_adjoint`: the network model's head, from the free outputs z (B, K, N)
  through c = c0 + basis z (the polynomial-accuracy layer) to dv/dt, and its gradient w.r.t. z.

The arithmetic is done in the arrays' dtype (float32 or float64; the scalar constants come in a
``prm`` array of that dtype so that float32 stays float32); the stencils' gradients are accumulated
elementwise in that dtype (as torch's autograd does) and summed in float64. The formulas are those of
the torch composition (``models.py``, ``equations.py``), so the two agree to round-off (tested); ties of the Godunov maximum split the gradient in halves, as torch's
``maximum`` does. This module imports numba and is imported only where the kernels are used
(:mod:`.fused`); they compile on first use and are cached on disk next to this file (module-level
functions: numba's cache keys closures over other compiled functions per process, so those would
recompile in every process).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "constant_rhs",
    "constant_rhs_adjoint",
    "constant_rollout",
    "constant_rollout_adjoint",
    "head",
    "head_adjoint",
]

# layout of ``prm``: dx, w (convective weight), 1/2, 0, dt, dt/2, 1, then lam of the linear faces
DX, W, HALF, ZERO, DT, HALF_DT, ONE, LAM = range(8)

jit = numba.njit(cache=True, boundscheck=False, error_model="numpy")
inline = numba.njit(inline="always", error_model="numpy")


@inline
def fill_pad(v, pad, N):  # pragma: no cover - compiled
    # pad[k] = v[(k - 3) mod N], k = 0 .. N + 5
    for k in range(N):
        pad[k + 3] = v[k]
    for k in range(3):
        pad[k] = v[N - 3 + k]
        pad[N + 3 + k] = v[k]


@inline
def faces_const(pad, C, q, N):  # pragma: no cover - compiled
    for f in range(C.shape[0]):
        for i in range(N):
            q[f, i] = C[f, 0] * pad[i]
        for j in range(1, 6):
            c = C[f, j]
            for i in range(N):
                q[f, i] += c * pad[i + j]


@inline
def flux_update(q, prm, godunov, J, out, N):  # pragma: no cover - compiled
    # J_i = w G + sum_l lam_l q^(l); out_i = -(J_{i+1} - J_i) / dx
    nc = 2 if godunov else 1
    for i in range(N):
        if godunov:
            am = max(q[0, i], prm[ZERO])
            bp = min(q[1, i], prm[ZERO])
            g = prm[HALF] * max(am * am, bp * bp)
        else:
            g = prm[HALF] * (q[0, i] * q[0, i])
        J[i] = prm[W] * g
    for f in range(nc, q.shape[0]):
        lam = prm[LAM + f - nc]
        for i in range(N):
            J[i] += lam * q[f, i]
    J[N] = J[0]
    for i in range(N):
        out[i] = -(J[i + 1] - J[i]) / prm[DX]


@inline
def stencil6(C, f, pad, i):  # pragma: no cover - compiled
    # the sum of faces_const, in its order, for one face value
    return (
        C[f, 0] * pad[i]
        + C[f, 1] * pad[i + 1]
        + C[f, 2] * pad[i + 2]
        + C[f, 3] * pad[i + 3]
        + C[f, 4] * pad[i + 4]
        + C[f, 5] * pad[i + 5]
    )


@inline
def rhs_onepass(pad, C, prm, godunov, q, J, out, N):  # pragma: no cover - compiled
    # faces_const + flux_update in one sweep over the faces where the flux has one or two linear faces (every
    # Burgers and KdV form, centred KS): the same arithmetic in the same order, without the face arrays
    nc = 2 if godunov else 1
    nl = C.shape[0] - nc
    if godunov and nl == 1:
        for i in range(N):
            am = max(stencil6(C, 0, pad, i), prm[ZERO])
            bp = min(stencil6(C, 1, pad, i), prm[ZERO])
            J[i] = prm[W] * (prm[HALF] * max(am * am, bp * bp)) + prm[LAM] * stencil6(C, 2, pad, i)
    elif not godunov and nl == 1:
        for i in range(N):
            a = stencil6(C, 0, pad, i)
            J[i] = prm[W] * (prm[HALF] * (a * a)) + prm[LAM] * stencil6(C, 1, pad, i)
    elif not godunov and nl == 2:
        for i in range(N):
            a = stencil6(C, 0, pad, i)
            J[i] = (
                prm[W] * (prm[HALF] * (a * a))
                + prm[LAM] * stencil6(C, 1, pad, i)
                + prm[LAM + 1] * stencil6(C, 2, pad, i)
            )
    else:
        faces_const(pad, C, q, N)
        flux_update(q, prm, godunov, J, out, N)
        return
    J[N] = J[0]
    for i in range(N):
        out[i] = -(J[i + 1] - J[i]) / prm[DX]


@inline
def flux_adjoint(q, prm, godunov, w, gq, gJ, N):  # pragma: no cover - compiled
    # gq^(f)_i = dJ_i/dq^(f)_i * gJ_i with gJ_i = (w_i - w_{i-1}) / dx (w: the cotangent of dv/dt);
    # branch-free loops (selects), so that they vectorize
    nc = 2 if godunov else 1
    gJ[0] = (w[0] - w[N - 1]) / prm[DX]
    for i in range(1, N):
        gJ[i] = (w[i] - w[i - 1]) / prm[DX]
    if godunov:
        for i in range(N):
            am = max(q[0, i], prm[ZERO])
            bp = min(q[1, i], prm[ZERO])
            a2 = am * am
            b2 = bp * bp
            s = prm[W] * gJ[i]  # d(w G)/d(max) = w / 2, times d(x^2)/dx = 2 x
            # torch.maximum splits a tie in halves
            ta = prm[ONE] if a2 > b2 else (prm[HALF] if a2 == b2 else prm[ZERO])
            tb = prm[ONE] if a2 < b2 else (prm[HALF] if a2 == b2 else prm[ZERO])
            gq[0, i] = ta * s * am
            gq[1, i] = tb * s * bp
    else:
        for i in range(N):
            gq[0, i] = prm[W] * gJ[i] * q[0, i]
    for f in range(nc, q.shape[0]):
        lam = prm[LAM + f - nc]
        for i in range(N):
            gq[f, i] = lam * gJ[i]


@inline
def scatter_const(pad, C, gq, gqp, gpad, gv, acc, N):  # pragma: no cover - compiled
    # gv = sum_f S_f^T gq^(f) (periodic), gathered per ghost-padded cell k: gpad[k] = sum_f sum_j C[f, j]
    # gq^(f)_{k - j} (gqp: gq after 5 zeros, followed by 6, written here); acc[f, j, i] += gq^(f)_i pad[i + j]
    # in the arrays' dtype, as torch's autograd accumulates (summed over i in float64 by the caller: an
    # elementwise accumulation vectorizes, a reduction would not)
    for f in range(C.shape[0]):
        g = gqp[f]
        for i in range(N):
            g[i + 5] = gq[f, i]
        c0, c1, c2, c3, c4, c5 = C[f, 0], C[f, 1], C[f, 2], C[f, 3], C[f, 4], C[f, 5]
        if f == 0:
            for k in range(N + 6):
                gpad[k] = c0 * g[k + 5] + c1 * g[k + 4] + c2 * g[k + 3] + c3 * g[k + 2] + c4 * g[k + 1] + c5 * g[k]
        else:
            for k in range(N + 6):
                gpad[k] += c0 * g[k + 5] + c1 * g[k + 4] + c2 * g[k + 3] + c3 * g[k + 2] + c4 * g[k + 1] + c5 * g[k]
        for j in range(6):
            a = acc[f, j]
            for i in range(N):
                a[i] += g[i + 5] * pad[i + j]
    for k in range(N):
        gv[k] = gpad[k + 3]
    for k in range(3):
        gv[N - 3 + k] += gpad[k]
        gv[k] += gpad[N + 3 + k]


@inline
def faces_onepass(pad, C, q, N):  # pragma: no cover - compiled
    # faces_const in one sweep per face (the same sums in the same order)
    for f in range(C.shape[0]):
        for i in range(N):
            q[f, i] = stencil6(C, f, pad, i)


@jit
def constant_rhs(v, C, prm, godunov, out):  # pragma: no cover - compiled
    B, N = v.shape
    pad = np.empty(N + 6, v.dtype)
    q = np.empty((C.shape[0], N), v.dtype)
    J = np.empty(N + 1, v.dtype)
    for b in range(B):
        fill_pad(v[b], pad, N)
        rhs_onepass(pad, C, prm, godunov, q, J, out[b], N)


@jit
def constant_rhs_adjoint(v, C, prm, godunov, gout, gC):  # pragma: no cover - compiled
    # accumulates sum_b (d out_b / d C)^T gout_b into gC (float64)
    B, N = v.shape
    pad = np.empty(N + 6, v.dtype)
    gpad = np.empty(N + 6, v.dtype)
    q = np.empty((C.shape[0], N), v.dtype)
    gq = np.empty((C.shape[0], N), v.dtype)
    gJ = np.empty(N, v.dtype)
    gv = np.empty(N, v.dtype)
    gqp = np.zeros((C.shape[0], N + 11), v.dtype)
    acc = np.zeros((C.shape[0], 6, N), v.dtype)
    for b in range(B):
        fill_pad(v[b], pad, N)
        faces_onepass(pad, C, q, N)
        flux_adjoint(q, prm, godunov, gout[b], gq, gJ, N)
        scatter_const(pad, C, gq, gqp, gpad, gv, acc, N)
    for f in range(C.shape[0]):
        for j in range(6):
            total = 0.0
            for i in range(N):
                total += acc[f, j, i]
            gC[f, j] += total


@jit
def constant_rollout(v0, C, prm, godunov, states, mids):  # pragma: no cover - compiled
    # states[0] = v0; states[n+1] = states[n] + dt f(mids[n]), mids[n] = states[n] + dt/2 f(states[n])
    R, N = v0.shape
    pad = np.empty(N + 6, v0.dtype)
    q = np.empty((C.shape[0], N), v0.dtype)
    J = np.empty(N + 1, v0.dtype)
    k = np.empty(N, v0.dtype)
    for r in range(R):
        for i in range(N):
            states[0, r, i] = v0[r, i]
        for n in range(states.shape[0] - 1):
            fill_pad(states[n, r], pad, N)
            rhs_onepass(pad, C, prm, godunov, q, J, k, N)
            for i in range(N):
                mids[n, r, i] = states[n, r, i] + prm[HALF_DT] * k[i]
            fill_pad(mids[n, r], pad, N)
            rhs_onepass(pad, C, prm, godunov, q, J, k, N)
            for i in range(N):
                states[n + 1, r, i] = states[n, r, i] + prm[DT] * k[i]


@jit
def constant_rollout_adjoint(states, mids, C, prm, godunov, gstates, gC):  # pragma: no cover - compiled
    # gstates[n] (n >= 1): cotangent of states[n] from the loss; accumulates d loss / d C into gC
    R, N = states.shape[1], states.shape[2]
    dt = states.dtype
    pad = np.empty(N + 6, dt)
    gpad = np.empty(N + 6, dt)
    q = np.empty((C.shape[0], N), dt)
    gq = np.empty((C.shape[0], N), dt)
    gJ = np.empty(N, dt)
    lam = np.empty(N, dt)
    w = np.empty(N, dt)
    gm = np.empty(N, dt)
    gv = np.empty(N, dt)
    gqp = np.zeros((C.shape[0], N + 11), dt)
    acc = np.zeros((C.shape[0], 6, N), dt)
    for r in range(R):
        for i in range(N):
            lam[i] = prm[ZERO]
        for n in range(states.shape[0] - 2, -1, -1):
            for i in range(N):
                lam[i] += gstates[n + 1, r, i]
                w[i] = prm[DT] * lam[i]
            # v_{n+1} = v_n + dt f(m_n)
            fill_pad(mids[n, r], pad, N)
            faces_onepass(pad, C, q, N)
            flux_adjoint(q, prm, godunov, w, gq, gJ, N)
            scatter_const(pad, C, gq, gqp, gpad, gm, acc, N)
            # m_n = v_n + dt/2 f(v_n)
            for i in range(N):
                lam[i] += gm[i]
                w[i] = prm[HALF_DT] * gm[i]
            fill_pad(states[n, r], pad, N)
            faces_onepass(pad, C, q, N)
            flux_adjoint(q, prm, godunov, w, gq, gJ, N)
            scatter_const(pad, C, gq, gqp, gpad, gv, acc, N)
            for i in range(N):
                lam[i] += gv[i]
    for f in range(C.shape[0]):
        for j in range(6):
            total = 0.0
            for i in range(N):
                total += acc[f, j, i]
            gC[f, j] += total


@inline
def head_faces(pad, z, c0, basis, koff, q, crow, N):  # pragma: no cover - compiled
    # q^(f)_i = sum_j c^(f)_{i,j} pad[i + j],  c^(f)_{i,j} = c0[f, j] + sum_k z[koff[f] + k, i] basis[f, j, k]
    for f in range(c0.shape[0]):
        for j in range(6):
            for i in range(N):
                crow[i] = z[koff[f], i] * basis[f, j, 0]
            for k in range(1, koff[f + 1] - koff[f]):
                b = basis[f, j, k]
                for i in range(N):
                    crow[i] += z[koff[f] + k, i] * b
            if j == 0:
                for i in range(N):
                    q[f, i] = (c0[f, 0] + crow[i]) * pad[i]
            else:
                for i in range(N):
                    q[f, i] += (c0[f, j] + crow[i]) * pad[i + j]


@jit
def head(v, z, c0, basis, koff, prm, godunov, out):  # pragma: no cover - compiled
    B, N = v.shape
    pad = np.empty(N + 6, v.dtype)
    crow = np.empty(N, v.dtype)
    q = np.empty((c0.shape[0], N), v.dtype)
    J = np.empty(N + 1, v.dtype)
    for b in range(B):
        fill_pad(v[b], pad, N)
        head_faces(pad, z[b], c0, basis, koff, q, crow, N)
        flux_update(q, prm, godunov, J, out[b], N)


@jit
def head_adjoint(v, z, c0, basis, koff, prm, godunov, gout, gz):  # pragma: no cover - compiled
    # gz[b, koff[f] + k, i] = gq^(f)_i sum_j basis[f, j, k] pad[i + j]
    B, N = v.shape
    pad = np.empty(N + 6, v.dtype)
    crow = np.empty(N, v.dtype)
    q = np.empty((c0.shape[0], N), v.dtype)
    gq = np.empty((c0.shape[0], N), v.dtype)
    gJ = np.empty(N, v.dtype)
    for b in range(B):
        fill_pad(v[b], pad, N)
        head_faces(pad, z[b], c0, basis, koff, q, crow, N)
        flux_adjoint(q, prm, godunov, gout[b], gq, gJ, N)
        for f in range(c0.shape[0]):
            for k in range(koff[f + 1] - koff[f]):
                row = gz[b, koff[f] + k]
                for i in range(N):
                    row[i] = basis[f, 0, k] * (gq[f, i] * pad[i])
                for j in range(1, 6):
                    bjk = basis[f, j, k]
                    for i in range(N):
                        row[i] += bjk * (gq[f, i] * pad[i + j])

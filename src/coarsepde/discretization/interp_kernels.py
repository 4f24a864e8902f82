"""Compiled (numba) stencil head of Fig. 1's interpolation model (Bar-Sinai et al. 2019), with its adjoint.

``InterpolationModel`` (:mod:`.interpolation`) predicts the ``factor - 1`` points between known points j and
j+1 from 6-point stencils over the known points j-2 .. j+3 whose coefficients are c0 + basis z (the
polynomial-accuracy layer; z from the network). :func:`interp_head` evaluates them in one pass per sample
and sub-position from the network's output layout (B, S K, M), :func:`interp_head_adjoint` gives the
gradient w.r.t. z; both in the arrays' dtype. The torch composition of ``InterpolationModel.forward`` is the
reference (equal to round-off; tested). Imported, with numba, on first use (:mod:`.fused`); module-level
functions, so numba's on-disk cache works across processes.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["interp_head", "interp_head_adjoint"]

jit = numba.njit(cache=True, boundscheck=False, error_model="numpy")


@jit
def interp_head(known, z, c0, basis, out):  # pragma: no cover - compiled
    # Fig. 1's model: out[b, s, m] = sum_p (c0[s, p] + sum_k z[b, s K + k, m] basis[s, p, k]) known[m - 2 + p]
    B, M = known.shape
    S, K = basis.shape[0], basis.shape[2]
    pad = np.empty(M + 5, known.dtype)
    crow = np.empty(M, known.dtype)
    for b in range(B):
        for m in range(M):
            pad[m + 2] = known[b, m]
        for m in range(2):
            pad[m] = known[b, M - 2 + m]
        for m in range(3):
            pad[M + 2 + m] = known[b, m]
        for s in range(S):
            o = out[b, s]
            for p in range(6):
                for m in range(M):
                    crow[m] = z[b, s * K, m] * basis[s, p, 0]
                for k in range(1, K):
                    w = basis[s, p, k]
                    for m in range(M):
                        crow[m] += z[b, s * K + k, m] * w
                if p == 0:
                    for m in range(M):
                        o[m] = (c0[s, 0] + crow[m]) * pad[m]
                else:
                    for m in range(M):
                        o[m] += (c0[s, p] + crow[m]) * pad[m + p]


@jit
def interp_head_adjoint(known, basis, gout, gz):  # pragma: no cover - compiled
    # gz[b, s K + k, m] = gout[b, s, m] sum_p basis[s, p, k] known[m - 2 + p]
    B, M = known.shape
    S, K = basis.shape[0], basis.shape[2]
    pad = np.empty(M + 5, known.dtype)
    for b in range(B):
        for m in range(M):
            pad[m + 2] = known[b, m]
        for m in range(2):
            pad[m] = known[b, M - 2 + m]
        for m in range(3):
            pad[M + 2 + m] = known[b, m]
        for s in range(S):
            g = gout[b, s]
            for k in range(K):
                row = gz[b, s * K + k]
                for m in range(M):
                    row[m] = basis[s, 0, k] * pad[m]
                for p in range(1, 6):
                    w = basis[s, p, k]
                    for m in range(M):
                        row[m] += w * pad[m + p]
                for m in range(M):
                    row[m] *= g[m]

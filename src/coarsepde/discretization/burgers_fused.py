"""The WENO5-Godunov right-hand side of viscous Burgers' equation as ONE compiled pass per sample.

    dv_i/dt = -(J_{i+1} - J_i) / dx,   J_i = G(v-_i, v+_i) - eta v_x,i                (P1 Eq. 4)

with v-_i, v+_i the two WENO5 reconstructions at face i (Jiang & Shu 1996, Eqs. 2.10-2.11, 3.2;
eps = 1e-6, p = 2), G the exact Godunov flux of v^2/2 (``godunov_flux``) and v_x the 4-cell
order-3 face slope. These are exactly the formulas of :func:`coarsepde.numerics.weno.weno5_faces`,
:func:`~coarsepde.numerics.weno.godunov_flux` and ``Burgers.time_derivative`` (same operations in
the same order per face, so the two agree to round-off; tested), which compose about 160 torch ops,
each streaming whole (B, N) arrays through memory. Here every face reads its six cells once and
keeps all intermediates in registers (the speed-up is measured in ``benchmarks/bench_fine.py``).

This is an inference-only fast path (no autograd, CPU, float64): the fine "exact" solver and the
WENO baseline runs use it through ``coarsepde.discretization.simulate``; the torch version stays the
differentiable and device-generic one. Compiled by numba on first use (cached on disk next to this
file, or under ``NUMBA_CACHE_DIR``). The WENO5 face reconstruction is compiled here, beside the
Burgers kernel that inlines it, rather than in ``numerics``: numba's on-disk cache of a kernel is
invalidated only by changes to the kernel's own source file, so a helper kept in another module
could change without the cached kernel noticing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["burgers_weno_godunov_rhs"]

_KERNEL = None


def _compile():
    import numba

    @numba.njit(inline="always", error_model="numpy")
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

    @numba.njit(cache=True, boundscheck=False, error_model="numpy")
    def kernel(v, eta, dx, c, eps, out):  # pragma: no cover - compiled
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

    return kernel


def burgers_weno_godunov_rhs(
    v: np.ndarray, eta: float, dx: float, slope: np.ndarray, eps: float = 1e-6, out: np.ndarray | None = None
) -> np.ndarray:
    """Unforced dv/dt of Burgers' equation (WENO5 faces, exact Godunov flux, viscous slope).

    v : (B, N) float64 periodic cell averages (N >= 6); slope : the 4 coefficients of the face
    slope on cells i-2 .. i+1 (``stencils.coefficients(baseline_offsets(1, 3), 1, 3, "finite_volume",
    dx)``). Returns (B, N) float64 (``out`` if given).
    """
    global _KERNEL
    v = np.ascontiguousarray(v, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] < 6:
        raise ValueError(f"v must be (B, N) with N >= 6 cells, got shape {v.shape}")
    slope = np.ascontiguousarray(slope, dtype=np.float64)
    if slope.shape != (4,):
        raise ValueError(f"slope must hold 4 coefficients, got shape {slope.shape}")
    if out is None:
        out = np.empty_like(v)
    if _KERNEL is None:
        _KERNEL = _compile()
    return _KERNEL(v, float(eta), float(dx), slope, float(eps), out)

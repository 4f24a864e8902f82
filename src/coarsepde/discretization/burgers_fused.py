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
differentiable and device-generic one. The kernel is :func:`coarsepde.discretization.coarse_kernels.weno_godunov_rhs`
(imported, with numba, on first use; compiled once and cached on disk next to that file, or under
``NUMBA_CACHE_DIR``), beside the compiled RK23 loop that also calls it. The WENO5 face reconstruction is
compiled there rather than in ``numerics``: numba's on-disk cache of a kernel is invalidated only by
changes to the kernel's own source file, so a helper kept in another module could change without the
cached kernel noticing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["burgers_weno_godunov_rhs", "compiled_kernel"]


def compiled_kernel():
    """The compiled kernel ``kernel(v, eta, dx, slope, eps, out)`` (a numba dispatcher)."""
    from coarsepde.discretization.coarse_kernels import weno_godunov_rhs

    return weno_godunov_rhs


def burgers_weno_godunov_rhs(
    v: np.ndarray, eta: float, dx: float, slope: np.ndarray, eps: float = 1e-6, out: np.ndarray | None = None
) -> np.ndarray:
    """Unforced dv/dt of Burgers' equation (WENO5 faces, exact Godunov flux, viscous slope).

    v : (B, N) float64 periodic cell averages (N >= 6); slope : the 4 coefficients of the face
    slope on cells i-2 .. i+1 (``stencils.coefficients(baseline_offsets(1, 3), 1, 3, "finite_volume",
    dx)``). Returns (B, N) float64 (``out`` if given).
    """
    v = np.ascontiguousarray(v, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] < 6:
        raise ValueError(f"v must be (B, N) with N >= 6 cells, got shape {v.shape}")
    slope = np.ascontiguousarray(slope, dtype=np.float64)
    if slope.shape != (4,):
        raise ValueError(f"slope must hold 4 coefficients, got shape {slope.shape}")
    if out is None:
        out = np.empty_like(v)
    return compiled_kernel()(v, float(eta), float(dx), slope, float(eps), out)

"""Exact solution of the velocity-discrete linear transport system (continuous in x and t), Fourier mode by mode.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs", Eq. (2.4)-(2.5)
with the Gauss-Legendre velocities; used to validate the micro-macro solvers of :mod:`coarsepde.kinetic.transport`.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from coarsepde.kinetic.transport import TransportSetup, gauss_legendre, initial_state

__all__ = ["fourier_solution"]


def fourier_solution(setup: TransportSetup, rho0, times, g0=None) -> dict:
    """Exact solution of the velocity-discrete micro-macro system (Eq. 2.4-2.5 with the nv-point
    Gauss-Legendre velocities, continuous in x and t) for constant sigma_S, sigma_A and G = 0.

    Each Fourier mode k = 2 pi m / length of (rho, g_1..g_nv) obeys a linear ODE y' = M_k y,
    solved with the matrix exponential. rho0 (and g0) are given on the nodes and represented by
    their discrete Fourier series (exact for band-limited data). Returns rho (E, len(times), nx),
    g (E, len(times), nv, nx), t, x, v, w, eps.
    """
    if np.ndim(setup.sigma_s) != 0 or setup.G != 0.0:
        raise NotImplementedError("fourier_solution needs a constant sigma_s and G = 0")
    v, w = gauss_legendre(setup.nv)
    eps = setup.eps_array
    E, nx, nv = eps.size, setup.nx, setup.nv
    ss, sa = float(setup.sigma_s), float(setup.sigma_a)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    rho, g = initial_state(setup, rho0, g0)
    y0 = np.concatenate([np.fft.fft(rho, axis=-1)[:, None, :], np.fft.fft(g, axis=-1)], axis=1)  # (E, 1+nv, nx)
    m = np.fft.fftfreq(nx, d=1.0 / nx)
    k = 2 * np.pi * m / setup.length
    keep = np.nonzero(np.max(np.abs(y0), axis=(0, 1)) > 1e-13 * max(np.max(np.abs(y0)), 1e-300))[0]
    hw = 0.5 * w
    I = np.eye(nv)
    P = np.ones((nv, 1)) @ hw[None, :]  # (Pg)_i = <g>
    Vd = np.diag(v)
    out = np.zeros((E, times.size, 1 + nv, nx), dtype=complex)
    for e_idx, e in enumerate(eps):
        kk = k[keep][:, None, None]
        M = np.zeros((keep.size, 1 + nv, 1 + nv), dtype=complex)
        M[:, 0, 0] = -sa
        M[:, 0, 1:] = -1j * kk[:, :, 0] * (hw * v)[None, :]
        M[:, 1:, 0] = -1j * kk[:, :, 0] * v[None, :] / e**2
        M[:, 1:, 1:] = -1j * kk / e * ((I - P) @ Vd)[None] - (ss / e**2 + sa) * I[None]
        for ti, t in enumerate(times):
            out[e_idx, ti][:, keep] = np.einsum("kab,bk->ak", expm(M * t), y0[e_idx][:, keep])
    phys = np.real(np.fft.ifft(out, axis=-1))
    return {"rho": phys[:, :, 0], "g": phys[:, :, 1:], "t": times, "x": setup.x, "v": v, "w": w, "eps": eps}

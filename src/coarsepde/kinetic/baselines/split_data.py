"""Clean data for the baselines: the linear g-equation solved with the fit's own space discretisation, and
the "perfectly split" data of MS-HDL (DC-RNN Example 6.9, Eqs. 6.11-6.15), one data set per scale part.

Units: g, rho dimensionless; dt in time units; coefficients true-sign, keyed by
:data:`~coarsepde.kinetic.scoring.PHYSICAL_TERMS` (the exact ones are -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from scipy.linalg import expm

from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.operators import Operators
from coarsepde.kinetic.polynomial import OperatorPolynomial
from coarsepde.kinetic.scoring import PHYSICAL_TERMS, exact_g_coefficients

__all__ = ["part_coefficients", "linear_transport_data", "ms_hdl_steps", "split_scale_data"]


def part_coefficients(part: str, eps: float, sigma_s: float = 1.0) -> dict[str, float]:
    """True-sign coefficients (keys of PHYSICAL_TERMS) of one scale part of the g-equation (2.5), sigma_A = 0:

    * "full":   all four (:func:`~coarsepde.kinetic.scoring.exact_g_coefficients`);
    * "fast":   d_t g = -(sigma_S/eps^2) g - (1/eps^2) v d_x rho          (Eq. 6.13, sigma_A -> sigma_S typo);
    * "medium": d_t g = -(1/eps) (v d_x g - <v d_x g>);
    * "slow":   d_t g = -sigma_A g = 0 here (no data needed).
    """
    ex = exact_g_coefficients(eps, sigma_s)
    keep = {"full": tuple(ex), "fast": ("g", "v d_x rho"), "medium": ("v d_x g", "<v d_x g>"), "slow": ()}
    if part not in keep:
        raise ValueError(f"part must be one of {sorted(keep)}, got {part!r}")
    return {k: (ex[k] if k in keep[part] else 0.0) for k in ex}


def _physical_polynomial(coeffs: Mapping[str, float]) -> OperatorPolynomial:
    return OperatorPolynomial({PHYSICAL_TERMS[k]: float(c) for k, c in coeffs.items() if c != 0.0})


def linear_transport_data(
    ops: Operators,
    rho0,
    g0,
    coeffs: Mapping[str, float],
    dt: float,
    n_snapshots: int,
    method: str = "exact",
    rho_flux: bool = True,
) -> FitData:
    """Snapshots of the linear g-equation d_t g = sum_k coeffs[k] term_k (keys of PHYSICAL_TERMS) with the
    fit's own space discretisation (``ops``: centred v d_x, quadrature <.>), and d_t rho = -<v d_x g>
    (Eq. 2.4, sigma_A = G = 0; ``rho_flux=False`` freezes rho).

    ``method``: "fe" takes forward-Euler steps of size dt in physical space with the exact
    :class:`OperatorPolynomial` (then the FE dictionary fit is exact to round-off), "exact" advances each
    discrete Fourier mode m exactly, y^{n+1} = expm(M_m dt) y^n, the centred v d_x having the symbol
    i v sin(2 pi m dx / L)/dx (needs ops.advection == "centered"; then the only error of an FE fit is its own
    time discretisation). rho0 (nx,), g0 (nv, nx) or None (zero). Returns :class:`FitData` with spacing dt.
    """
    nv, dx = ops.nv, ops.dx
    rho0 = np.asarray(rho0, dtype=float)
    nx = rho0.size
    g0 = np.zeros((nv, nx)) if g0 is None else np.asarray(g0, dtype=float)
    if g0.shape != (nv, nx):
        raise ValueError(f"g0 must be (nv, nx) = {(nv, nx)}, got {g0.shape}")
    T = int(n_snapshots)
    if method == "fe":
        poly = _physical_polynomial(coeffs)
        g = torch.as_tensor(g0, dtype=torch.float64)
        rho = torch.as_tensor(rho0, dtype=torch.float64)
        gs, rs = [g], [rho]
        with torch.no_grad():
            for _ in range(T - 1):
                dg = poly.evaluate(ops, g=g, rho=rho) if len(poly) else torch.zeros_like(g)
                drho = -ops.average(ops.advect(g)) if rho_flux else torch.zeros_like(rho)
                g, rho = g + dt * dg, rho + dt * drho
                gs.append(g)
                rs.append(rho)
        return FitData(torch.stack(gs), torch.stack(rs), dt, ops)
    if method != "exact":
        raise ValueError(f"method must be 'exact' or 'fe', got {method!r}")
    if ops.advection != "centered":
        raise ValueError("method='exact' needs the centred advection stencil")
    v = ops.v.numpy()
    hw = 0.5 * ops.w.numpy()
    c = {k: float(coeffs.get(k, 0.0)) for k in PHYSICAL_TERMS}
    m = np.arange(nx // 2 + 1)
    kap = np.sin(2.0 * np.pi * m / nx) / dx  # centred symbol: d_x -> i kap
    M = np.zeros((m.size, 1 + nv, 1 + nv), dtype=complex)
    ik = 1j * kap[:, None, None]
    if rho_flux:
        M[:, 0, 1:] = -(1j * kap[:, None]) * (hw * v)[None, :]  # -<v d_x g>
    M[:, 1:, 0] = c["v d_x rho"] * (1j * kap[:, None]) * v[None, :]
    Vd = np.diag(v)
    PV = np.ones((nv, 1)) @ (hw * v)[None, :]  # <v . > copied to every row
    M[:, 1:, 1:] = (c["g"] * np.eye(nv))[None] + ik * (c["v d_x g"] * Vd + c["<v d_x g>"] * PV)[None]
    E = expm(M * dt)  # (modes, 1+nv, 1+nv)
    y = np.concatenate([np.fft.rfft(rho0)[None, :], np.fft.rfft(g0, axis=-1)], axis=0).T[:, :, None]
    out = np.empty((T, 1 + nv, nx))
    out[0, 0], out[0, 1:] = rho0, g0
    for n in range(1, T):
        y = E @ y
        out[n] = np.fft.irfft(y[:, :, 0].T, n=nx, axis=-1)
    return FitData(out[:, 1:], out[:, 0], dt, ops)


def ms_hdl_steps(dt: float, eps: float, convention: str = "eps^j") -> dict[str, float]:
    """Time step of each scale part, j = 2 fast, 1 medium, 0 slow (Eqs. 6.11-6.14).

    "eps^j" (default): dt_j = dt * eps^j, so the fast part (time scale eps^2) is sampled at dt eps^2 and the
    medium part (time scale eps) at dt eps: the physically consistent reading (every part then has the
    stiffness number dt_j |lambda_j| ~ dt of an O(1) problem). "paper": dt_j = dt / eps^j as printed
    (fast sampled at dt/eps^2); "swapped": the printed steps with the labels reversed (fast at dt, medium at
    dt/eps: coarser steps for slower scales, as in Liu-Kutz-Brunton's hierarchy).
    """
    if convention == "eps^j":
        return {"fast": dt * eps**2, "medium": dt * eps, "slow": dt}
    if convention == "paper":
        return {"fast": dt / eps**2, "medium": dt / eps, "slow": dt}
    if convention == "swapped":
        return {"fast": dt, "medium": dt / eps, "slow": dt / eps**2}
    raise ValueError(f"convention must be 'eps^j', 'paper' or 'swapped', got {convention!r}")


def split_scale_data(
    ops: Operators,
    rho0,
    eps: float,
    dt_fast: float,
    dt_medium: float,
    n_snapshots: int = 56,
    *,
    sigma_s: float = 1.0,
    g0_medium=None,
    method: str = "exact",
) -> dict[str, FitData]:
    """The "perfectly split" data of Example 6.9: one data set per scale part (the slow part vanishes,
    sigma_A = 0), each from :func:`linear_transport_data` with that part's g-equation and rho obeying its
    own exact equation d_t rho = -<v d_x g>.

    * fast (step ``dt_fast``): from the unsplit data's initial state (rho0, g = 0): g relaxes towards
      -(eps^2/sigma_S)(1/eps^2) v d_x rho; starting off-equilibrium makes the g and v d_x rho columns
      distinguishable.
    * medium (step ``dt_medium``): g0 = ``g0_medium`` or, by default, the leading-order equilibrium
      -(eps/sigma_S) v d_x rho0 shifted by a quarter period in x. The shift is a [CHOICE]: the medium equation
      does not involve rho, and an unshifted equilibrium g0 = -eps v d_x rho0 would make every g word equal
      to -eps times a rho word (g ~ -eps A rho, A g ~ -eps AA rho, ...) over the short data window, i.e. the
      18-term regression unidentifiable.

    ``method``: "exact" (matrix exponential per Fourier mode, default) or "fe" (forward Euler).
    """
    rho0 = np.asarray(rho0, dtype=float)
    nx = rho0.size
    if g0_medium is None:
        r = torch.as_tensor(np.roll(rho0, nx // 4), dtype=torch.float64)
        g0_medium = (-(eps / sigma_s) * ops.advect(ops.lift(r))).numpy()
    fast = linear_transport_data(ops, rho0, None, part_coefficients("fast", eps, sigma_s), dt_fast, n_snapshots, method)
    medium = linear_transport_data(
        ops, rho0, g0_medium, part_coefficients("medium", eps, sigma_s), dt_medium, n_snapshots, method
    )
    return {"fast": fast, "medium": medium}

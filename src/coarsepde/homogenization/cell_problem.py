"""Effective (homogenized) diffusion coefficients from cell problems.

Two discrete cell problems are solved here, both as linear systems (no closed forms in the code
path, so the same routines work for any periodic coefficient):

* 1D, Arbabi et al. 2020 Eqs. (4)-(6): for a period-1 diffusivity ``a(y)`` find the periodic
  corrector chi with ``d/dy(a chi') = a'`` and mean zero, then ``a* = int_0^1 a (1 - chi') dy``.
* 2D lattice, Eqs. (25)-(26): for nearest-neighbour link conductances on a periodic cell of the
  lattice, find the periodic correctors chi_e of the discrete problem ``div(kappa (e + grad chi_e)) = 0``
  for e = e_x, e_y; the homogenized tensor is the cell average of the link fluxes,
  ``K e = < kappa (e + grad chi_e) >``. The macroscale equation is then
  ``u_t = K_xx u_xx + 2 K_xy u_xy + K_yy u_yy``.

:func:`lattice_bloch_rates` gives an independent check of the 2D tensor (and the finite-spacing
numbers the paper printed): the slowest decay rate of a Fourier mode on the full periodic lattice,
from its 3x3-cell Bloch matrix, which tends to ``k^T K k`` as the lattice spacing h -> 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = [
    "CellSolution1D",
    "effective_coefficient_1d",
    "sine_diffusivity",
    "layered_diffusivity",
    "lattice_link_coefficients",
    "lattice_effective_tensor",
    "lattice_bloch_rates",
]


# --------------------------------------------------------------------------------------------
# 1D
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellSolution1D:
    """Discrete solution of the 1D cell problem on ``n`` cells of the unit period.

    ``y`` are the nodes j/n where the corrector ``chi`` lives (dimensionless, period 1);
    ``a_faces`` the diffusivity at the cell faces (j + 1/2)/n; ``a_star`` the effective
    diffusivity (same units as ``a``).
    """

    n: int
    y: np.ndarray
    chi: np.ndarray
    a_faces: np.ndarray
    a_star: float


def _check_positive_periodic(values: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} has non-finite values")
    if np.any(values <= 0):
        raise ValueError(f"{name} must be strictly positive (the cell problem is then elliptic); min = {values.min()}")


def effective_coefficient_1d(a: Callable[[np.ndarray], np.ndarray], n: int) -> CellSolution1D:
    """Solve the periodic cell problem, Eqs. (5)-(6), by finite volumes and evaluate Eq. (4).

    Conservative discretization on ``n`` cells of [0, 1): chi at the nodes y_j = j/n, the
    diffusivity at the faces y_{j+1/2} (the same flux form as the micro solver of Eq. 20):

        [a_{j+1/2} (chi_{j+1} - chi_j) - a_{j-1/2} (chi_j - chi_{j-1})] / dy^2 = (a_{j+1/2} - a_{j-1/2}) / dy,

    with sum_j chi_j = 0 (Eq. 6) imposed through a Lagrange multiplier (the periodic operator has
    the constants as its kernel). Eq. (4) is then the face average of a (1 - chi').

    For a smooth periodic ``a`` the result converges geometrically in ``n`` (it is the midpoint
    rule of a periodic integrand in disguise); for a discontinuous ``a`` at first order.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    n = int(n)
    dy = 1.0 / n
    y = np.arange(n) * dy
    af = np.asarray(a((np.arange(n) + 0.5) * dy), dtype=float)
    if af.shape != (n,):
        raise ValueError(f"a(y) must return one value per point: got shape {af.shape} for {n} points")
    _check_positive_periodic(af, "a(y)")

    a_left = np.roll(af, 1)  # a_{j-1/2}
    # L chi = rhs: rows j, with periodic wrap through the corner entries.
    main = -(af + a_left) / dy**2
    upper = af / dy**2  # coefficient of chi_{j+1}
    lower = a_left / dy**2  # coefficient of chi_{j-1}
    rows = np.concatenate([np.arange(n)] * 3)
    cols = np.concatenate([np.arange(n), (np.arange(n) + 1) % n, (np.arange(n) - 1) % n])
    vals = np.concatenate([main, upper, lower])
    lap = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    rhs = (af - a_left) / dy

    ones = sp.csr_matrix(np.ones((n, 1)))
    bordered = sp.bmat([[lap, ones], [ones.T, None]], format="csc")
    sol = spla.spsolve(bordered, np.append(rhs, 0.0))
    chi = sol[:n]

    dchi = (np.roll(chi, -1) - chi) / dy  # chi' at the faces
    a_star = float(np.mean(af * (1.0 - dchi)))  # Eq. (4), midpoint rule on the faces
    return CellSolution1D(n=n, y=y, chi=chi, a_faces=af, a_star=a_star)


def sine_diffusivity(mean: float, amplitude: float) -> Callable[[np.ndarray], np.ndarray]:
    """a(y) = mean + amplitude * sin(2 pi y), the diffusivity of Eq. (20) (mean 1.1, amplitude 1)."""
    if abs(amplitude) >= mean:
        raise ValueError(f"a(y) = {mean} + {amplitude} sin(2 pi y) is not strictly positive")
    return lambda y: mean + amplitude * np.sin(2.0 * np.pi * np.asarray(y))


def layered_diffusivity(a1: float, a2: float, fraction: float) -> Callable[[np.ndarray], np.ndarray]:
    """Two-phase laminate: a1 on [0, fraction), a2 on [fraction, 1), repeated with period 1."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")
    return lambda y: np.where(np.mod(np.asarray(y), 1.0) < fraction, a1, a2)


# --------------------------------------------------------------------------------------------
# 2D lattice
# --------------------------------------------------------------------------------------------


def lattice_link_coefficients(
    kappa_x: np.ndarray,
    kappa_y: np.ndarray,
    x_link_offset: tuple[int, int] = (0, 0),
    y_link_offset: tuple[int, int] = (0, 0),
) -> tuple[np.ndarray, np.ndarray]:
    """Link conductances on one period cell of the lattice, for a given index alignment.

    Returns ``(cx, cy)`` of the period's shape, where ``cx[P, Q]`` is the conductance of the
    x-link (P, Q) -> (P+1, Q) and ``cy[P, Q]`` that of the y-link (P, Q) -> (P, Q+1), with

        cx[P, Q] = kappa_x[(P - ox_P) mod p, (Q - ox_Q) mod q],
        cy[P, Q] = kappa_y[(P - oy_P) mod p, (Q - oy_Q) mod q].

    Eq. (25) does not pin down how the rows/columns of the matrices of Eq. (26) sit on the
    lattice; the offsets make that choice explicit. Only the *relative* offset of the x and y
    arrays changes the effective tensor (a common shift is a translation of the lattice).
    """
    kx = np.asarray(kappa_x, dtype=float)
    ky = np.asarray(kappa_y, dtype=float)
    if kx.ndim != 2 or kx.shape != ky.shape:
        raise ValueError(f"kappa_x and kappa_y must be 2-D arrays of one shape, got {kx.shape} and {ky.shape}")
    _check_positive_periodic(kx, "kappa_x")
    _check_positive_periodic(ky, "kappa_y")
    cx = np.roll(kx, shift=tuple(int(o) for o in x_link_offset), axis=(0, 1))
    cy = np.roll(ky, shift=tuple(int(o) for o in y_link_offset), axis=(0, 1))
    return cx, cy


def _lattice_operator(cx: np.ndarray, cy: np.ndarray, phase: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Dense matrix of the (Bloch-twisted) lattice diffusion operator on one period cell.

    (L phi)[P,Q] = cx[P,Q] (e^{i tx} phi[P+1,Q] - phi[P,Q]) + cx[P-1,Q] (e^{-i tx} phi[P-1,Q] - phi[P,Q])
                 + cy[P,Q] (e^{i ty} phi[P,Q+1] - phi[P,Q]) + cy[P,Q-1] (e^{-i ty} phi[P,Q-1] - phi[P,Q]),
    indices modulo the period; the twist e^{i t} is applied on every link (it equals the Bloch
    factor per lattice step, so the spectrum is that of Eq. (25) restricted to wavevector t/h).
    Unit lattice spacing. The matrix is Hermitian.
    """
    p, q = cx.shape
    n = p * q
    tx, ty = phase
    eye = np.eye(n).reshape(p, q, n)

    def shift(f, dp, dq):  # f[P+dp, Q+dq]
        return np.roll(f, shift=(-dp, -dq), axis=(0, 1))

    cxl = np.roll(cx, 1, axis=0)  # cx[P-1, Q]
    cyl = np.roll(cy, 1, axis=1)  # cy[P, Q-1]
    c = lambda a: a[..., None]  # noqa: E731 - broadcast over the basis index
    out = (
        c(cx) * (np.exp(1j * tx) * shift(eye, 1, 0) - eye)
        + c(cxl) * (np.exp(-1j * tx) * shift(eye, -1, 0) - eye)
        + c(cy) * (np.exp(1j * ty) * shift(eye, 0, 1) - eye)
        + c(cyl) * (np.exp(-1j * ty) * shift(eye, 0, -1) - eye)
    )
    return out.reshape(n, n)


def lattice_effective_tensor(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Homogenized 2x2 diffusion tensor of a periodic lattice with link conductances ``cx, cy``.

    Unit lattice spacing (the tensor is dimensionless: u_t = sum K_ab d_a d_b u once the lattice
    equation carries its 1/h^2 as in Eq. (25)). Solves, for e = e_x and e = e_y, the discrete cell
    problem L chi_e = -div(kappa e) with zero mean, then averages the link fluxes.
    """
    cx = np.asarray(cx, dtype=float)
    cy = np.asarray(cy, dtype=float)
    p, q = cx.shape
    n = p * q
    lap = _lattice_operator(cx, cy).real
    # div of the constant field kappa e at node (P,Q): flux out through the right/top links minus in.
    div_x = (cx - np.roll(cx, 1, axis=0)).ravel()
    div_y = (cy - np.roll(cy, 1, axis=1)).ravel()
    bordered = np.block([[lap, np.ones((n, 1))], [np.ones((1, n)), np.zeros((1, 1))]])
    K = np.empty((2, 2))
    for col, (ex, ey, div) in enumerate([(1.0, 0.0, div_x), (0.0, 1.0, div_y)]):
        chi = np.linalg.solve(bordered, np.append(-div, 0.0))[:n].reshape(p, q)
        flux_x = cx * (ex + np.roll(chi, -1, axis=0) - chi)
        flux_y = cy * (ey + np.roll(chi, -1, axis=1) - chi)
        K[0, col] = flux_x.mean()
        K[1, col] = flux_y.mean()
    return K


def lattice_bloch_rates(cx: np.ndarray, cy: np.ndarray, lattice_n: int, modes: np.ndarray) -> np.ndarray:
    """Slowest decay rate of Fourier modes on the full periodic lattice of Eq. (25).

    The lattice has ``lattice_n`` points per 2 pi in each direction (h = 2 pi / lattice_n, which
    must be a multiple of the coefficient period). For an integer wavenumber pair (m, n) the
    solution is a Bloch wave exp(i (m x + n y)) phi(P mod p, Q mod q); the rate returned is the
    smallest eigenvalue of -L(m h, n h) / h^2, i.e. the decay rate (1/time) of the macroscale mode.
    As h -> 0 it tends to m^2 K_xx + 2 m n K_xy + n^2 K_yy.
    """
    p, q = np.shape(cx)
    if lattice_n % p or lattice_n % q:
        raise ValueError(f"lattice_n = {lattice_n} must be a multiple of the coefficient period {p}x{q}")
    h = 2.0 * np.pi / lattice_n
    modes = np.atleast_2d(np.asarray(modes, dtype=float))
    rates = np.empty(len(modes))
    for i, (m, k) in enumerate(modes):  # a handful of modes, each a 9x9 eigenproblem
        op = _lattice_operator(cx, cy, (m * h, k * h))
        rates[i] = np.linalg.eigvalsh(-op).min() / h**2
    return rates

"""Stencil coefficients on uniform 1D grids, from polynomial-exactness conditions (never tabulated).

A stencil estimates the ``n``-th derivative at a point x0 (a node, a face or any sub-position) from
values v_j known at offsets s_j (in units of the grid spacing, relative to x0):

    d^n v/dx^n (x0)  ~=  sum_j  alpha_j v_j,                        (Bar-Sinai et al. 2019, Eq. 2)

where v_j is either the point value v(x0 + s_j dx) ("finite_difference") or the cell average over
[x0 + (s_j - 1/2) dx, x0 + (s_j + 1/2) dx] ("finite_volume"). The stencil has accuracy order m
when it is exact for every polynomial of degree < m + n, i.e. (on dx = 1)

    sum_j  alpha_j  <x^p>_j  =  n!  [p == n],     p = 0, ..., m + n - 1,

with <x^p>_j = s_j^p (finite difference) or the cell average of x^p over cell j (finite volume).
An N-point stencil has at most m = N - n; that square system gives the standard ("maximum
accuracy") coefficients. For m < N - n the solutions form an affine space c0 + span(null(A)),
the set the pseudolinear models of Bar-Sinai et al. move in ("polynomial accuracy layer").
Coefficients scale as dx^-n.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "METHODS",
    "constraints",
    "coefficients",
    "nullspace_basis",
    "centered_offsets",
    "baseline_offsets",
]

METHODS = ("finite_volume", "finite_difference")


def _check(offsets, derivative_order: int, accuracy_order: int, method: str) -> np.ndarray:
    s = np.asarray(offsets, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"offsets must be a non-empty 1D sequence, got shape {s.shape}")
    if len(np.unique(s)) != s.size:
        raise ValueError(f"offsets must be distinct, got {s.tolist()}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if derivative_order < 0 or accuracy_order < 1:
        raise ValueError(
            f"need derivative_order >= 0 and accuracy_order >= 1, got {derivative_order}, {accuracy_order}"
        )
    if derivative_order + accuracy_order > s.size:
        raise ValueError(
            f"{s.size} points cannot give derivative order {derivative_order} with accuracy order "
            f"{accuracy_order}: need at least {derivative_order + accuracy_order} points"
        )
    return s


def constraints(offsets, derivative_order: int, accuracy_order: int, method: str = "finite_volume"):
    """(A, b) of the exactness conditions on dx = 1: A has one row per monomial power p < m + n."""
    s = _check(offsets, derivative_order, accuracy_order, method)
    powers = np.arange(derivative_order + accuracy_order)[:, None]
    if method == "finite_difference":
        A = s[None, :] ** powers
    else:  # cell average of x^p over [s - 1/2, s + 1/2]
        A = ((s + 0.5) ** (powers + 1) - (s - 0.5) ** (powers + 1)) / (powers + 1)
    b = np.zeros(derivative_order + accuracy_order)
    b[derivative_order] = math.factorial(derivative_order)
    return A, b


def coefficients(
    offsets, derivative_order: int, accuracy_order: int | None = None, method: str = "finite_volume", dx: float = 1.0
) -> np.ndarray:
    """Stencil coefficients alpha_j (scaled by dx^-n).

    ``accuracy_order=None`` takes the maximum, N - n (a square system with a unique solution). A
    smaller order leaves an affine family; the minimum-norm member is returned.
    """
    if accuracy_order is None:
        accuracy_order = len(offsets) - derivative_order
    A, b = constraints(offsets, derivative_order, accuracy_order, method)
    if A.shape[0] == A.shape[1]:
        c = np.linalg.solve(A, b)
    else:
        c = np.linalg.lstsq(A, b, rcond=None)[0]
    return c / dx**derivative_order


def nullspace_basis(
    offsets, derivative_order: int, accuracy_order: int, method: str = "finite_volume", dx: float = 1.0
) -> np.ndarray:
    """Orthonormal basis (N, N - m - n) of the directions that keep accuracy order m, scaled by dx^-n.

    Taken from the SVD of A (its last right-singular vectors), as in the authors' polynomial
    accuracy layer: c = c0 + basis @ z is exact to order m for every z.
    """
    A, _ = constraints(offsets, derivative_order, accuracy_order, method)
    _, sv, vt = np.linalg.svd(A)
    rank = int(np.sum(sv > sv[0] * 1e-12))
    if rank != A.shape[0]:
        raise ValueError(f"degenerate stencil {list(offsets)}: constraint rank {rank} < {A.shape[0]}")
    return vt[rank:].T / dx**derivative_order


def centered_offsets(n_points: int) -> np.ndarray:
    """Offsets of an ``n_points`` stencil centred on a face: n_points even -> +-1/2, +-3/2, ...;
    odd -> 0, +-1, ..."""
    if n_points < 1:
        raise ValueError(f"n_points must be >= 1, got {n_points}")
    return np.arange(n_points) - (n_points - 1) / 2.0


def baseline_offsets(derivative_order: int, accuracy_order: int) -> np.ndarray:
    """Face-centred stencil of the polynomial baselines of Bar-Sinai et al.: the smallest even
    number of cells >= n + m (e.g. order 1: 2 cells; order 3: 4 cells for v and v_x)."""
    width = derivative_order + accuracy_order
    width += width % 2
    return centered_offsets(max(width, 2))

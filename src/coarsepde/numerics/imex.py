"""Implicit-explicit (IMEX) time integrators: Runge-Kutta double Butcher tableaux and IMEX-BDF (SBDF).

Both families advance a split ODE

    y' = f_ex(t, y) + f_im(t, y),

with the non-stiff part f_ex treated explicitly and the stiff part f_im implicitly. Time is in the
caller's units; nothing here knows about a particular PDE.

IMEX Runge-Kutta (Ascher, Ruuth, Spiteri 1997): with an explicit tableau (a_ex, b_ex), strictly lower
triangular, a diagonally implicit one (a_im, b_im) and the stage times c,

    Y_i     = y^n + dt sum_{j<i} a_ex[i,j] f_ex(t + c[j] dt, Y_j) + dt sum_{j<=i} a_im[i,j] f_im(t + c[j] dt, Y_j)
    y^{n+1} = y^n + dt sum_i b_ex[i] f_ex(.., Y_i) + dt sum_i b_im[i] f_im(.., Y_i).

:func:`imex_rk` is the one stage loop; an equation plugs in through :class:`SplitEquation` (its implicit
solve and the algebra of its terms), :func:`imex_rk_step` through plain functions.

IMEX-BDF-q (SBDF-q; Ascher, Ruuth, Wetton 1995; Dimarco, Pareschi 2017), normalised so alpha_q = 1:

    sum_{i=0}^{q} alpha_i y^{n+i} = dt sum_{i=0}^{q-1} gamma_i f_ex(t_{n+i}, y^{n+i}) + beta dt f_im(t_{n+q}, y^{n+q}).

Its coefficients are derived here from the order conditions in exact rational arithmetic (they are
never typed in); they equal Table 16 of Delgadillo, Hu, Yang ("Multiscale and nonlocal learning for
PDEs using densely connected RNNs", Appendix 8.2, Eq. 8.13-8.14).

References
----------
U. M. Ascher, S. J. Ruuth, R. J. Spiteri, Appl. Numer. Math. 25, 151-167 (1997) (ARS(2,2,2), Sec. 2.6).
U. M. Ascher, S. J. Ruuth, B. T. R. Wetton, SIAM J. Numer. Anal. 32, 797-823 (1995) (SBDF).
G. Dimarco, L. Pareschi, SIAM J. Numer. Anal. 55, 664-690 (2017) (IMEX linear multistep methods).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

__all__ = [
    "IMEXTableau",
    "ARS222",
    "SplitEquation",
    "imex_rk",
    "imex_rk_step",
    "imex_bdf_coefficients",
    "imex_bdf_step",
    "solve_fraction_system",
]


# ---------------------------------------------------------------------------------------------
# IMEX Runge-Kutta
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IMEXTableau:
    """A double Butcher tableau, dimensionless: explicit (a_ex, b_ex), diagonally implicit (a_im, b_im)
    and the stage times c shared by both parts (jax-cfd's ``ImExButcherTableau`` plus c).

    ``order`` is the claimed order of the coupled scheme; :meth:`order_conditions` lists the residuals
    of every condition up to a given order (<= 3), :meth:`satisfies_order` checks them.
    """

    a_ex: np.ndarray
    a_im: np.ndarray
    b_ex: np.ndarray
    b_im: np.ndarray
    c: np.ndarray
    order: int
    name: str

    def __post_init__(self):
        s = len(self.b_ex)
        for arr, shape in ((self.a_ex, (s, s)), (self.a_im, (s, s)), (self.b_im, (s,)), (self.c, (s,))):
            if np.shape(arr) != shape:
                raise ValueError(f"{self.name}: tableau arrays must be (s, s) / (s,), s = {s}")
        if np.any(np.triu(self.a_ex) != 0):
            raise ValueError(f"{self.name}: explicit tableau must be strictly lower triangular")
        if np.any(np.triu(self.a_im, 1) != 0):
            raise ValueError(f"{self.name}: implicit tableau must be lower triangular (DIRK)")

    @property
    def stages(self) -> int:
        return len(self.b_ex)

    @property
    def stiffly_accurate(self) -> bool:
        """True when both weight vectors equal the last rows (y^{n+1} = last stage; ARS 1997 Sec. 2)."""
        return bool(
            np.allclose(self.b_ex, self.a_ex[-1], rtol=0, atol=1e-15)
            and np.allclose(self.b_im, self.a_im[-1], rtol=0, atol=1e-15)
        )

    def order_conditions(self, order: int = 2) -> dict[str, float]:
        """Residuals of the IMEX-RK order conditions up to ``order`` (1, 2 or 3).

        Stage consistency: c = A 1 for both tableaux. Order 1: b.1 = 1. Order 2: b.c = 1/2 for both
        weight vectors. Order 3: b.(c c) = 1/3 and b.(A c) = 1/6 for every combination of ex/im factors
        (the coupling conditions; Ascher, Ruuth, Spiteri 1997, Sec. 2; the partitioned-RK conditions of
        Hairer, Norsett, Wanner I, Sec. II.15).
        """
        if order not in (1, 2, 3):
            raise ValueError(f"order must be 1, 2 or 3, got {order}")
        one = np.ones(self.stages)
        b = {"ex": np.asarray(self.b_ex, float), "im": np.asarray(self.b_im, float)}
        c = np.asarray(self.c, float)
        A = {"ex": np.asarray(self.a_ex, float), "im": np.asarray(self.a_im, float)}
        res: dict[str, float] = {}
        for k in ("ex", "im"):
            res[f"c = A_{k} 1"] = float(np.max(np.abs(A[k] @ one - c)))
            res[f"b_{k}.1 = 1"] = float(b[k] @ one - 1.0)
        if order >= 2:
            for kb in ("ex", "im"):
                res[f"b_{kb}.c = 1/2"] = float(b[kb] @ c - 0.5)
        if order >= 3:
            for kb in ("ex", "im"):
                res[f"b_{kb}.(c c) = 1/3"] = float(b[kb] @ (c * c) - 1.0 / 3.0)
            for kb, kA in itertools.product(("ex", "im"), repeat=2):
                res[f"b_{kb}.A_{kA} c = 1/6"] = float(b[kb] @ (A[kA] @ c) - 1.0 / 6.0)
        return res

    def satisfies_order(self, order: int | None = None, tol: float = 1e-13) -> bool:
        """True when every condition of :meth:`order_conditions` up to ``order`` (default: the claimed
        order) holds to ``tol``."""
        res = self.order_conditions(self.order if order is None else order)
        return all(abs(r) <= tol for r in res.values())


def _ars222() -> IMEXTableau:
    """ARS(2,2,2): gamma = 1 - sqrt(2)/2, delta = 1 - 1/(2 gamma); c = (0, gamma, 1) for both parts.
    Delgadillo-Hu-Yang Appendix 8.1 (the tableau after Eq. 8.5); ARS 1997 Sec. 2.6."""
    g = 1.0 - math.sqrt(2.0) / 2.0
    d = 1.0 - 1.0 / (2.0 * g)
    a_ex = np.array([[0.0, 0.0, 0.0], [g, 0.0, 0.0], [d, 1.0 - d, 0.0]])
    a_im = np.array([[0.0, 0.0, 0.0], [0.0, g, 0.0], [0.0, 1.0 - g, g]])
    return IMEXTableau(
        a_ex=a_ex,
        a_im=a_im,
        b_ex=np.array([d, 1.0 - d, 0.0]),
        b_im=np.array([0.0, 1.0 - g, g]),
        c=np.array([0.0, g, 1.0]),
        order=2,
        name="ARS(2,2,2)",
    )


ARS222 = _ars222()


class SplitEquation(Protocol):
    """What :func:`imex_rk` needs of a split equation y' = f_ex(t, y) + f_im(t, y).

    The stepper owns the tableau bookkeeping (which coefficients are nonzero, the order of the sums,
    which explicit terms are needed, the stiffly accurate shortcut); the equation owns the algebra, so
    that each keeps the exact floating-point association of its own terms. ``coef`` is always
    dt times a tableau entry. States may be any objects the equation understands (arrays, tuples).
    """

    def solve(self, t: float, rhs, a: float) -> tuple[Any, Any]:
        """(Y, aux): Y solves Y - a f_im(t, Y) = rhs (a = dt a_im[i, i]; a = 0: Y = rhs). ``aux`` is
        anything the other methods may reuse (e.g. f_im(t, Y) or shared intermediate fields)."""

    def explicit(self, t: float, y, aux):
        """The explicit term f_ex(t, Y) of a stage, in the form :meth:`add_explicit` takes."""

    def add_explicit(self, acc, coef: float, term):
        """acc + coef f_ex (``term`` from :meth:`explicit`)."""

    def add_implicit(self, acc, coef: float, y, aux):
        """acc + coef f_im(Y) of the stage (Y, aux) returned by :meth:`solve`."""


def imex_rk(tab: IMEXTableau, y, dt: float, eq: SplitEquation, t: float = 0.0):
    """One IMEX Runge-Kutta step of ``eq`` from the state y at time t (time in caller units):

        Y_i     = solve(rhs_i, dt a_im[i,i]),  rhs_i = y + sum_{j<i} (dt a_ex[i,j] f_ex(Y_j) + dt a_im[i,j] f_im(Y_j)),
        y^{n+1} = Y_s (stiffly accurate), else y + sum_i (dt b_ex[i] f_ex(Y_i) + dt b_im[i] f_im(Y_i)).

    Zero tableau entries add nothing (their terms are never formed); an explicit term is evaluated
    only when a later stage or the final sum uses it.
    """
    s, stiff = tab.stages, tab.stiffly_accurate
    need = [bool(np.any(tab.a_ex[i + 1 :, i] != 0) or (not stiff and tab.b_ex[i] != 0)) for i in range(s)]
    ys, auxs, fex = [], [], [None] * s
    for i in range(s):
        rhs = y
        for j in range(i):
            if tab.a_ex[i, j] != 0.0:
                rhs = eq.add_explicit(rhs, dt * tab.a_ex[i, j], fex[j])
            if tab.a_im[i, j] != 0.0:
                rhs = eq.add_implicit(rhs, dt * tab.a_im[i, j], ys[j], auxs[j])
        ti = t + tab.c[i] * dt
        yi, aux = eq.solve(ti, rhs, dt * tab.a_im[i, i])
        if need[i]:
            fex[i] = eq.explicit(ti, yi, aux)
        ys.append(yi)
        auxs.append(aux)
    if stiff:
        return ys[-1]
    out = y
    for i in range(s):
        if tab.b_ex[i] != 0.0:
            out = eq.add_explicit(out, dt * tab.b_ex[i], fex[i])
        if tab.b_im[i] != 0.0:
            out = eq.add_implicit(out, dt * tab.b_im[i], ys[i], auxs[i])
    return out


@dataclass(frozen=True)
class _Functions:
    """:class:`SplitEquation` of plain functions f_ex(t, y), f_im(t, y), solve_im(t, rhs, a) on arrays."""

    f_ex: Callable
    f_im: Callable
    solve_im: Callable

    def solve(self, t, rhs, a):
        y = self.solve_im(t, rhs, a) if a != 0.0 else rhs
        return y, self.f_im(t, y)

    def explicit(self, t, y, aux):
        return self.f_ex(t, y)

    def add_explicit(self, acc, coef, term):
        return acc + coef * term

    def add_implicit(self, acc, coef, y, aux):
        return acc + coef * aux


def imex_rk_step(tab: IMEXTableau, t: float, y, dt: float, f_ex: Callable, f_im: Callable, solve_im: Callable):
    """One IMEX-RK step of y' = f_ex(t, y) + f_im(t, y) (arrays of any shape, time in caller units):
    :func:`imex_rk` on plain functions.

    ``solve_im(t, rhs, a)`` must return Y solving Y - a f_im(t, Y) = rhs (a = dt a_im[i,i] > 0);
    stages with a_im[i,i] = 0 are explicit. Stiffly accurate tableaux return the last stage.
    """
    return imex_rk(tab, y, dt, _Functions(f_ex, f_im, solve_im), t)


# ---------------------------------------------------------------------------------------------
# IMEX-BDF (SBDF) coefficients from the order conditions, exact rational arithmetic
# ---------------------------------------------------------------------------------------------


def solve_fraction_system(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Solve the square system A x = b exactly (Gauss-Jordan elimination with row pivoting on
    nonzero entries, all arithmetic in ``fractions.Fraction``)."""
    n = len(b)
    M = [[Fraction(a) for a in row] + [Fraction(bi)] for row, bi in zip(A, b, strict=True)]
    if any(len(row) != n + 1 for row in M):
        raise ValueError("A must be square and match b")
    for col in range(n):
        piv = next((r for r in range(col, n) if M[r][col] != 0), None)
        if piv is None:
            raise ValueError("singular system")
        M[col], M[piv] = M[piv], M[col]
        p = M[col][col]
        M[col] = [a / p for a in M[col]]
        for r in range(n):
            if r != col and M[r][col] != 0:
                f = M[r][col]
                M[r] = [a - f * bcol for a, bcol in zip(M[r], M[col], strict=True)]
    return [M[r][n] for r in range(n)]


@functools.cache
def imex_bdf_coefficients(q: int) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...], Fraction]:
    """(alpha_0..alpha_q, gamma_0..gamma_{q-1}, beta) of IMEX-BDF-q, derived exactly.

    On the unit grid t_i = i (dt = 1):

    * implicit part = BDF-q, alpha_q = 1: sum_i alpha_i P(i) = beta P'(q) for every polynomial P of
      degree <= q, i.e. sum_{i<q} alpha_i i^p - beta p q^(p-1) = -q^p, p = 0..q (q + 1 unknowns);
    * explicit part: sum_{i<q} gamma_i f(i) = beta f(q) for every f of degree <= q-1 (extrapolation
      of f_ex to t_{n+q}), i.e. sum_{i<q} gamma_i i^p = beta q^p, p = 0..q-1.

    alpha lists oldest to newest. Delgadillo-Hu-Yang Eq. (8.13)-(8.14) and Table 16.
    """
    if not isinstance(q, int) or q < 1:
        raise ValueError(f"q must be a positive integer, got {q!r}")
    Q = Fraction(q)

    def pw(base: Fraction, p: int) -> Fraction:
        return Fraction(1) if p == 0 else base**p  # 0^0 = 1

    A, rhs = [], []
    for p in range(q + 1):
        A.append([pw(Fraction(i), p) for i in range(q)] + [-(p * pw(Q, p - 1)) if p > 0 else Fraction(0)])
        rhs.append(-pw(Q, p))
    sol = solve_fraction_system(A, rhs)
    alpha = tuple(sol[:q]) + (Fraction(1),)
    beta = sol[q]
    G = [[pw(Fraction(i), p) for i in range(q)] for p in range(q)]
    gamma = tuple(solve_fraction_system(G, [beta * pw(Q, p) for p in range(q)]))
    return alpha, gamma, beta


def imex_bdf_step(q: int, ys: list, fex: list, dt: float, t_new: float, solve_im: Callable):
    """y^{n+q} of IMEX-BDF-q from the q previous states ``ys`` = [y^n, ..., y^{n+q-1}] and their
    explicit right-hand sides ``fex`` = [f_ex(t_n, y^n), ...] (Eq. 8.13 with the true-sign
    convention). ``solve_im(t, rhs, a)`` returns Y with Y - a f_im(t, Y) = rhs (a = beta dt).
    """
    alpha, gamma, beta = imex_bdf_coefficients(q)
    if len(ys) != q or len(fex) != q:
        raise ValueError(f"need {q} previous states and explicit RHS values")
    rhs = 0.0
    for i in range(q):
        rhs = rhs - float(alpha[i]) * ys[i] + dt * float(gamma[i]) * fex[i]
    return solve_im(t_new, rhs, float(beta) * dt)

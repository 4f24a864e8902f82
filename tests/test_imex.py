"""IMEX integrators: Table 16 of Delgadillo-Hu-Yang derived exactly, ARS(2,2,2) order conditions, and
measured convergence orders of IMEX-BDF-1..4 and ARS(2,2,2) on a stiff test ODE."""

from fractions import Fraction as F

import numpy as np
import pytest

from coarsepde.numerics.imex import (
    ARS222,
    imex_bdf_coefficients,
    imex_bdf_step,
    imex_rk_step,
    solve_fraction_system,
)

# Delgadillo-Hu-Yang, Table 16 (alpha oldest -> newest, gamma, beta), typed from the paper.
TABLE16 = {
    1: ((F(-1), F(1)), (F(1),), F(1)),
    2: ((F(1, 3), F(-4, 3), F(1)), (F(-2, 3), F(4, 3)), F(2, 3)),
    3: ((F(-2, 11), F(9, 11), F(-18, 11), F(1)), (F(6, 11), F(-18, 11), F(18, 11)), F(6, 11)),
    4: ((F(3, 25), F(-16, 25), F(36, 25), F(-48, 25), F(1)), (F(-12, 25), F(48, 25), F(-72, 25), F(48, 25)), F(12, 25)),
}


@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_table16_exact(q):
    alpha, gamma, beta = imex_bdf_coefficients(q)
    assert all(isinstance(a, F) for a in alpha + gamma + (beta,))
    assert (alpha, gamma, beta) == TABLE16[q]


def test_exact_fraction_solver():
    # the exact solver on a system that needs pivoting
    x = solve_fraction_system([[F(0), F(1)], [F(2), F(3)]], [F(1), F(7)])
    assert x == [F(2), F(1)]


def test_ars222_order_conditions():
    assert ARS222.order == 2 and ARS222.stiffly_accurate
    res = ARS222.order_conditions(2)
    assert len(res) == 6 and max(abs(r) for r in res.values()) < 1e-15
    assert ARS222.satisfies_order(2)
    assert not ARS222.satisfies_order(3)  # it is not third order
    g = 1 - np.sqrt(2) / 2
    assert ARS222.a_im[1, 1] == pytest.approx(g) and ARS222.a_ex[2, 0] == pytest.approx(1 - 1 / (2 * g))


# Stiff test ODE y' = lam y (implicit) + f_ex(t, y) (explicit, nonlinear), exact y = cos t + sin(3t)/2.
LAM, MU, T = -50.0, 1.0, 1.0


def _exact(t):
    return np.cos(t) + 0.5 * np.sin(3 * t)


def _f_ex(t, y):
    dydt = -np.sin(t) + 1.5 * np.cos(3 * t)
    return MU * y**2 + dydt - LAM * _exact(t) - MU * _exact(t) ** 2


def _f_im(t, y):
    return LAM * y


def _solve_im(t, rhs, a):
    return rhs / (1.0 - a * LAM)


def _bdf_error(q, n):
    dt = T / n
    ts = np.arange(n + 1) * dt
    ys = [_exact(ts[i]) for i in range(q)]  # start-up with exact values
    fs = [_f_ex(ts[i], ys[i]) for i in range(q)]
    for k in range(q, n + 1):
        y = imex_bdf_step(q, ys[-q:], fs[-q:], dt, ts[k], _solve_im)
        ys.append(y)
        fs.append(_f_ex(ts[k], y))
    return abs(ys[-1] - _exact(T))


@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_imex_bdf_convergence_order(q):
    e1, e2 = _bdf_error(q, 80), _bdf_error(q, 160)
    order = np.log2(e1 / e2)
    # measured: 1.00, 2.09, 2.99, 4.24
    assert 0.85 * q <= order <= 1.2 * q, (q, e1, e2, order)


def test_ars222_convergence_order():
    def err(n):
        dt, y = T / n, _exact(0.0)
        for k in range(n):
            y = imex_rk_step(ARS222, k * dt, y, dt, _f_ex, _f_im, _solve_im)
        return abs(y - _exact(T))

    e1, e2 = err(80), err(160)
    order = np.log2(e1 / e2)  # measured 1.95
    assert 1.7 <= order <= 2.4, (e1, e2, order)

"""Sparse-regression baselines of Delgadillo, Hu, Yang (DC-RNN), Examples 6.6 (Lasso), 6.7 (STRidge),
6.9 (MS-HDL): the 18-term dictionary, its feature matrix, the three regressions and the scale-split data.

Small grids (nx = 100-128, 16 velocities, <= 20 snapshots) and one thread. Clean data are made with the fit's
own discretisation: forward-Euler steps of the exact g-equation with the centred operators (``method="fe"``: the
FE dictionary fit is then exact up to round-off) or exact-in-time Fourier modes (``method="exact"``: the FE fit's
only error is its own O(dt)). The scikit-learn-style estimators (Lasso, STRidge, MSHDL) keep the functions'
coefficients exactly.
"""

import numpy as np
import pytest
import torch

from coarsepde.kinetic.baselines import (
    DICTIONARY,
    DICTIONARY_G,
    DICTIONARY_RHO,
    MSHDL,
    VANISHING_RHO_WORDS,
    Lasso,
    STRidge,
    lasso,
    least_squares,
    library,
    linear_transport_data,
    ms_hdl,
    ms_hdl_steps,
    part_coefficients,
    split_rows,
    split_scale_data,
    stridge,
    summarize,
    term_name,
    train_stridge,
)
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.operators import Operators
from coarsepde.kinetic.polynomial import OperatorPolynomial, Term, reduce_word
from coarsepde.kinetic.scoring import PHYSICAL_TERMS, error_percent, exact_g_coefficients
from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_nb

torch.set_num_threads(1)
NX = 128
OPS = Operators.periodic(NX)
RHO0 = ic_nb(np.arange(NX) / NX)


def _fe_data(eps, n_snapshots=20):
    """FE steps of the exact g-equation (2.5) with the centred operators, from (IC-nb, g = 0). eps = 1:
    dt = dx^2/2; eps = 1/16: dt = 2 dx^2 eps^2 (stiffness number dt/eps^2 = 1.2e-4)."""
    dt = 0.5 * OPS.dx**2 if eps == 1.0 else 2.0 * OPS.dx**2 * eps**2
    return linear_transport_data(OPS, RHO0, None, part_coefficients("full", eps), dt, n_snapshots, "fe")


@pytest.fixture(scope="module")
def fe1():
    data = _fe_data(1.0)
    return data, library(data)


@pytest.fixture(scope="module")
def fe16():
    data = _fe_data(1.0 / 16)
    return data, library(data)


@pytest.fixture(scope="module")
def ars_data():
    """The authors' ARS(2,2,2) data (sign-biased stencils), eps = 1/16, nx = 100, 6 snapshots, stride 1."""
    setup = TransportSetup(eps=1.0 / 16, nx=100, stride=1, n_snapshots=6)
    return FitData.from_generated(generate_ars222(setup, ic_nb(setup.x)))


# ---------------------------------------------------------------------------------------------
# dictionary and feature matrix
# ---------------------------------------------------------------------------------------------
def test_dictionary_is_the_reference_list():
    assert len(DICTIONARY) == 18 and len(DICTIONARY_G) == 10 and len(DICTIONARY_RHO) == 8
    names = [term_name(t) for t in DICTIONARY]
    assert names == [
        "g",
        "A g",
        "P g",
        "AA g",
        "AP g",
        "PA g",
        "AAA g",
        "AAP g",
        "APA g",
        "PAA g",
        "rho",
        "A rho",
        "AA rho",
        "PAA rho",
        "AAA rho",
        "APAA rho",
        "AAAA rho",
        "PAAAA rho",
    ]
    assert set(PHYSICAL_TERMS.values()) <= set(DICTIONARY)
    assert all(reduce_word(t.word, t.field) == t.word for t in DICTIONARY)  # none reducible / zero
    assert all(reduce_word(t.word, t.field) is None for t in VANISHING_RHO_WORDS)
    assert not set(VANISHING_RHO_WORDS) & set(DICTIONARY)


def test_library_columns_equal_operator_evaluation(ars_data):
    """Columns = OperatorPolynomial.evaluate of the word at g^n, rho^n (n = 0..T-2), rows in (n, v, x) order;
    y = FE difference quotient. On the ARS data no word is dropped (<g> != 0 from the biased stencils)."""
    lib = library(ars_data)
    assert lib.terms == DICTIONARY and lib.dropped == ()
    assert lib.Theta.shape == (5 * 16 * 100, 18) and lib.Theta.dtype == np.float64
    g, rho = ars_data.g[:-1], ars_data.rho[:-1]
    for t in [
        Term((), "g"),
        Term(("P", "A"), "g"),
        Term(("A", "P", "A"), "g"),
        Term(("A", "A", "P"), "g"),
        Term(("A", "A"), "rho"),
        Term(("P", "A", "A", "A", "A"), "rho"),
    ]:
        ref = OperatorPolynomial({t: 1.0}).evaluate(ars_data.ops, g=g, rho=rho).reshape(-1).numpy()
        col = lib.Theta[:, lib.terms.index(t)]
        np.testing.assert_allclose(col, ref, rtol=0, atol=1e-13 * np.abs(ref).max())
    y = ((ars_data.g[1:] - ars_data.g[:-1]) / ars_data.dt).reshape(-1).numpy()
    np.testing.assert_allclose(lib.y, y, rtol=1e-15)
    be = library(ars_data, scheme="be")
    ref = OperatorPolynomial({Term(("A",), "rho"): 1.0}).evaluate(ars_data.ops, rho=ars_data.rho[1:]).reshape(-1)
    np.testing.assert_allclose(be.Theta[:, be.terms.index(Term(("A",), "rho"))], ref.numpy(), rtol=1e-15)
    ce = library(ars_data, scheme="central")
    assert ce.Theta.shape[0] == 4 * 16 * 100
    np.testing.assert_allclose(ce.y, ((ars_data.g[2:] - ars_data.g[:-2]) / (2 * ars_data.dt)).reshape(-1).numpy())
    # row subsampling picks the same rows of the full matrix
    sub = library(ars_data, max_rows=1000, seed=5)
    assert sub.Theta.shape == (1000, 18)
    np.testing.assert_array_equal(sub.Theta, lib.Theta[sub.rows])
    np.testing.assert_array_equal(sub.y, lib.y[sub.rows])


def test_vanishing_and_null_words(ars_data, fe1):
    """PA rho and PAAA rho vanish to round-off on any data (measured max ratio 6e-17); the Pg words are
    round-off (|<g>|/|g| 1e-16) on data of the centred equation, so they are dropped there, while the ARS data
    carry a real <g> (measured max|<g>| / max|g| = 2.7e-4 on these 6 snapshots)."""
    ops = ars_data.ops
    for t in VANISHING_RHO_WORDS:
        val = OperatorPolynomial({t: 1.0}).evaluate(ops, rho=ars_data.rho).abs().max()
        scale = OperatorPolynomial({Term(t.word[1:], "rho"): 1.0}).evaluate(ops, rho=ars_data.rho).abs().max()
        assert val <= 1e-15 * scale
    ratio = (ops.average(ars_data.g).abs().max() / ars_data.g.abs().max()).item()
    assert 1e-6 < ratio < 1e-2
    data, lib = fe1
    assert set(lib.dropped) == {Term(("P",), "g"), Term(("A", "P"), "g"), Term(("A", "A", "P"), "g")}
    assert len(lib.terms) == 15
    assert (data.ops.average(data.g).abs().max() / data.g.abs().max()).item() < 1e-13
    assert len(library(data, null_rtol=None).terms) == 18


# ---------------------------------------------------------------------------------------------
# recovery on clean data
# ---------------------------------------------------------------------------------------------
def test_least_squares_exact_on_fe_data(fe1, fe16):
    """FE data + FE dictionary fit: exact up to round-off (measured Error% 1.2e-10 at eps = 1, 6.6e-12 at
    1/16; the normalised 15-column matrix has cond 36)."""
    for (_data, lib), eps in ((fe1, 1.0), (fe16, 1.0 / 16)):
        s = summarize(least_squares(lib.Theta, lib.y), lib.terms, eps, lib=lib)
        assert s.error_pct < 1e-8
        assert s.max_spurious_contribution < 1e-12


def test_lasso_recovers_g_equation(fe1):
    """Lasso on eps = 1 FE data: Error% grows ~linearly with alpha (the l1 shrinkage: measured 6.4e-5 % at
    alpha = 1e-10, 6.4e-1 % at 1e-6); held-out selection takes a small alpha; spurious contributions tiny."""
    _, lib = fe1
    alphas = np.array([1e-4, 1e-6, 1e-8, 1e-10])
    res = lasso(lib.Theta, lib.y, alphas, terms=lib.terms, eps=1.0)
    assert res.converged.all()
    err = res.error_pct
    assert err[3] < 1e-3 and err[2] < 2e-2 and err[1] < 1.0
    assert np.all(np.diff(err) < 0)  # less shrinkage, smaller error
    assert res.best_error == 3 and res.best_heldout in (2, 3)
    s = summarize(res.coefs[3], lib.terms, 1.0, lib=lib)
    assert s.max_spurious_contribution < 1e-6
    assert res.heldout[3] < 1e-8
    # the least-squares limit is exact
    assert error_percent(dict(zip(PHYSICAL_TERMS, _phys(res.lstsq, lib.terms))), 1.0) < 1e-8


def _phys(coef, terms):
    pos = {t: i for i, t in enumerate(terms)}
    return [coef[pos[t]] for t in PHYSICAL_TERMS.values()]


def test_stridge_recovers_g_equation(fe16):
    """STRidge (lam 1e-5) with a tolerance between the spurious ridge weights (max 31: APAA rho, APA g) and the
    smallest true normalised weight (130: <v d_x g>) keeps exactly the four true terms, measured Error% 1.7e-11;
    tol = 10 keeps APA g and APAA rho in the support, but the final least squares gives them ~1e-11 weights
    (Error% 4.6e-11). TrainSTRidge with PDE-FIND's defaults (lam 1e-5, d_tol 1, l0 = 1e-3 cond) reaches only
    tol 25 in its 25 steps at this data scale and keeps the true terms too (Error% 1.3e-11)."""
    _, lib = fe16
    c = stridge(lib.Theta, lib.y, lam=1e-5, tol=50.0)
    assert {lib.terms[i] for i in np.flatnonzero(c)} == set(PHYSICAL_TERMS.values())
    assert summarize(c, lib.terms, 1 / 16).error_pct < 1e-8
    c = stridge(lib.Theta, lib.y, lam=1e-5, tol=10.0)
    assert {lib.terms[i] for i in np.flatnonzero(c)} >= set(PHYSICAL_TERMS.values())
    s = summarize(c, lib.terms, 1 / 16, lib=lib)
    assert s.error_pct < 1e-8 and s.max_spurious_contribution < 1e-12
    res = train_stridge(lib.Theta, lib.y, terms=lib.terms)
    s = summarize(res.coef, lib.terms, 1 / 16, lib=lib)
    assert s.error_pct < 1e-8 and s.max_spurious_contribution < 1e-12


def test_stridge_large_threshold_drops_true_term(fe16):
    """The hard threshold compares normalised weights |c_k| ||Theta_k|| (each term's contribution to y), not
    coefficients. At eps = 1/16 (20 FE steps from g = 0) they are measured as v d_x rho 2.0e5, g 263,
    v d_x g 232, <v d_x g> 130: coefficients spanning 16 .. 256 give contributions spanning three decades.
    A tol between 130 and 232 first drops <v d_x g>; the ridge refit without it shrinks v d_x g below the tol
    too, so both O(1/eps) transport terms go (measured Error% 5.90, i.e. 2/eps over 2/eps^2 + 2/eps = 5.88
    plus the refit); a tol above 263 keeps only v d_x rho (Error% 53)."""
    _, lib = fe16
    ex = exact_g_coefficients(1 / 16)
    norms = lib.column_norms()
    weight = {k: abs(ex[k]) * norms[lib.terms.index(t)] for k, t in PHYSICAL_TERMS.items()}
    order = sorted(weight, key=weight.get)
    assert order == ["<v d_x g>", "v d_x g", "g", "v d_x rho"]
    assert weight["v d_x rho"] > 100 * weight["g"]
    tol = np.sqrt(weight["<v d_x g>"] * weight["v d_x g"])
    c = stridge(lib.Theta, lib.y, lam=1e-5, tol=tol)
    kept = {lib.terms[i] for i in np.flatnonzero(c)}
    assert kept == {PHYSICAL_TERMS["g"], PHYSICAL_TERMS["v d_x rho"]}
    err = summarize(c, lib.terms, 1 / 16).error_pct
    assert err == pytest.approx(100 * 32 / 544, abs=0.1)
    c = stridge(lib.Theta, lib.y, lam=1e-5, tol=2 * weight["g"])
    assert {lib.terms[i] for i in np.flatnonzero(c)} == {PHYSICAL_TERMS["v d_x rho"]}
    assert summarize(c, lib.terms, 1 / 16).error_pct > 50.0


def test_split_data_and_ms_hdl_recover(fe16):
    """MS-HDL on exact-in-time split data (eps = 1/16, base dt = 4e-6, steps dt eps^j, 20 snapshots): each part
    recovers its own equation; the sum has measured Error% 1.9e-4: the fast part's FE error, a relative
    dt_2 sigma/(2 eps^2) = dt/2 = 2e-6 on the g and v d_x rho coefficients (measured differences 5.12e-4 = 256 x 2e-6),
    the medium coefficients are off by 4e-9; largest spurious coefficient 3.2e-5. On FE split data: 1.2e-9."""
    eps = 1 / 16
    steps = ms_hdl_steps(4e-6, eps)
    assert steps == pytest.approx({"fast": 4e-6 * eps**2, "medium": 4e-6 * eps, "slow": 4e-6})
    parts = split_scale_data(OPS, RHO0, eps, steps["fast"], steps["medium"], 20)
    # the fast part relaxes from g = 0, the medium one transports a shifted equilibrium; <g> stays 0
    assert parts["fast"].g[0].abs().max() == 0 and parts["medium"].g[0].abs().max() > 0
    res = ms_hdl(parts)
    s = summarize(res.coef, DICTIONARY, eps)
    assert s.error_pct < 1e-3
    assert max(abs(c) for _, c, _ in s.spurious) < 1e-3  # vs |coefficients| 16 .. 256
    for name in ("fast", "medium"):
        true = part_coefficients(name, eps)
        got = res.parts[name]["coef_full"]
        for k, t in PHYSICAL_TERMS.items():
            assert got[DICTIONARY.index(t)] == pytest.approx(true[k], abs=1e-3 * 256)
    fe_parts = split_scale_data(OPS, RHO0, eps, steps["fast"], steps["medium"], 20, method="fe")
    assert summarize(ms_hdl(fe_parts).coef, DICTIONARY, eps).error_pct < 1e-7


def test_exact_generator_is_first_order_for_fe_fit():
    """The FE fit of exact-in-time data (full equation, eps = 1) has an O(dt) Error%: halving dt halves it
    (measured ratio 2.00), which checks the Fourier-mode generator against the centred operators."""
    errs = []
    for dt in (4e-4, 2e-4):
        data = linear_transport_data(OPS, RHO0, None, part_coefficients("full", 1.0), dt, 12, "exact")
        lib = library(data)
        errs.append(summarize(least_squares(lib.Theta, lib.y), lib.terms, 1.0).error_pct)
    assert errs[0] / errs[1] == pytest.approx(2.0, rel=0.05)


# ---------------------------------------------------------------------------------------------
# read-out and determinism
# ---------------------------------------------------------------------------------------------
def test_summarize_exact_and_spurious():
    eps = 1 / 8
    ex = exact_g_coefficients(eps)
    coef = np.zeros(len(DICTIONARY))
    for k, t in PHYSICAL_TERMS.items():
        coef[DICTIONARY.index(t)] = ex[k]
    assert summarize(coef, DICTIONARY, eps).error_pct == 0.0
    coef[DICTIONARY.index(PHYSICAL_TERMS["g"])] *= 1.01
    coef[DICTIONARY.index(Term(("A", "A"), "rho"))] = 0.5
    s = summarize(coef, DICTIONARY, eps)
    assert s.error_pct == pytest.approx(100 * 0.01 * 64 / (2 * 64 + 16))
    assert s.spurious[0][:2] == ("AA rho", 0.5) and len(s.spurious) == 1


def test_determinism_with_seed(fe1):
    _, lib = fe1
    tr1, te1 = split_rows(1000, 0.8, 7)
    tr2, te2 = split_rows(1000, 0.8, 7)
    np.testing.assert_array_equal(tr1, tr2)
    assert tr1.size == 800 and np.intersect1d(tr1, te1).size == 0
    assert not np.array_equal(tr1, split_rows(1000, 0.8, 8)[0])
    a = lasso(lib.Theta, lib.y, [1e-6, 1e-9], seed=3)
    b = lasso(lib.Theta, lib.y, [1e-6, 1e-9], seed=3)
    np.testing.assert_array_equal(a.coefs, b.coefs)
    np.testing.assert_array_equal(a.heldout, b.heldout)
    c = lasso(lib.Theta, lib.y, [1e-6, 1e-9], seed=4)
    assert not np.array_equal(a.heldout, c.heldout)
    s1 = train_stridge(lib.Theta, lib.y, l0_penalty=0.0, d_tol=0.8, seed=3)
    s2 = train_stridge(lib.Theta, lib.y, l0_penalty=0.0, d_tol=0.8, seed=3)
    np.testing.assert_array_equal(s1.coef, s2.coef)
    assert s1.history == s2.history
    data, _ = fe1
    r1 = library(data, max_rows=500, seed=11).rows
    np.testing.assert_array_equal(r1, library(data, max_rows=500, seed=11).rows)
    assert not np.array_equal(r1, library(data, max_rows=500, seed=12).rows)


# ---------------------------------------------------------------------------------------------
# scikit-learn-style estimators (fit / predict / coef_)
# ---------------------------------------------------------------------------------------------
def test_estimators_equal_the_functions(fe1, fe16):
    """Lasso, STRidge and MSHDL keep exactly the coefficients of lasso / train_stridge / ms_hdl, predict
    Theta @ coef_, and recover the eps = 1 g-equation from FE data (Lasso at alpha 1e-12: Error% < 1e-3)."""
    data, lib = fe1
    est = Lasso([1e-6, 1e-12], choice="error", terms=lib.terms, eps=1.0, seed=3).fit(lib.Theta, lib.y)
    ref = lasso(lib.Theta, lib.y, [1e-6, 1e-12], terms=lib.terms, eps=1.0, seed=3)
    np.testing.assert_array_equal(est.coef_, ref.coef_error)
    assert est.alpha_ == 1e-12 and est.coefficients() is est.coef_
    np.testing.assert_array_equal(est.predict(lib.Theta), lib.Theta @ ref.coef_error)
    assert summarize(est.coef_, lib.terms, 1.0).error_pct < 1e-3
    held = Lasso([1e-6, 1e-12], seed=3).fit(lib.Theta, lib.y)
    np.testing.assert_array_equal(held.coef_, ref.coef_heldout)
    with pytest.raises(ValueError):
        Lasso(choice="error")
    _, lib16 = fe16
    st = STRidge(d_tol=0.8, l0_penalty=0.0, seed=3).fit(lib16.Theta, lib16.y)
    st_ref = train_stridge(lib16.Theta, lib16.y, d_tol=0.8, l0_penalty=0.0, seed=3)
    np.testing.assert_array_equal(st.coef_, st_ref.coef)
    assert st.tol_ == st_ref.tol
    np.testing.assert_array_equal(st.predict(lib16.Theta), lib16.Theta @ st_ref.coef)
    eps = 1 / 16
    steps = ms_hdl_steps(4e-6, eps)
    parts = split_scale_data(OPS, RHO0, eps, steps["fast"], steps["medium"], 8, method="fe")
    ms = MSHDL().fit(parts)
    np.testing.assert_array_equal(ms.coef_, ms_hdl(parts).coef)
    assert summarize(ms.coef_, DICTIONARY, eps).error_pct < 1e-7
    full = library(parts["fast"], null_rtol=None)
    np.testing.assert_array_equal(ms.predict(full.Theta), full.Theta @ ms.coef_)

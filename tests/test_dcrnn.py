"""Kinetic operators (Sect. 3.1) and the DC-RNN symbolic networks / multiscale ansatz (Sects. 3, 5, 6)
of Delgadillo, Hu, Yang. Small grids only (the whole file runs in a few seconds on one thread)."""

import math

import numpy as np
import pytest
import torch

from coarsepde.kinetic.blocks import DCRNNBlock, RecurrentBlock
from coarsepde.kinetic.dcrnn import MultiscaleDCRNN
from coarsepde.kinetic.operators import Operators, gauss_legendre
from coarsepde.kinetic.polynomial import OperatorPolynomial, Term, reduce_word
from coarsepde.kinetic.scoring import (
    PHYSICAL_TERMS,
    coefficient_differences,
    error_percent,
    exact_g_coefficients,
    format_equation,
)

torch.set_num_threads(1)
DT = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


# ---------------------------------------------------------------------------------------------
# Build 1: operators
# ---------------------------------------------------------------------------------------------
def test_gauss_legendre_matches_the_papers_16_point_set():
    v, w = gauss_legendre(16)
    pos = [0.0950125, 0.2816036, 0.4580168, 0.6178762, 0.7554044, 0.8656312, 0.9445750, 0.9894009]
    wts = [0.1894506, 0.1826034, 0.1691565, 0.1495960, 0.1246290, 0.0951585, 0.0622535, 0.0271525]
    np.testing.assert_allclose(v[8:].numpy(), pos, atol=5e-8)
    np.testing.assert_allclose(w[8:].numpy(), wts, atol=5e-8)
    np.testing.assert_allclose(v.numpy(), -v.flip(0).numpy(), atol=1e-15)
    assert abs(w.sum().item() - 2.0) < 1e-14


def test_projection_identity_on_rho_kills_v_and_is_idempotent():
    ops = Operators.periodic(nx=24)
    gen = _gen(1)
    rho = torch.randn(3, 24, dtype=DT, generator=gen)
    lifted = ops.lift(rho)
    assert lifted.shape == (3, 16, 24)
    assert (ops.project(lifted) - lifted).abs().max().item() < 1e-14  # <rho> = rho
    vfield = ops.v[:, None] * torch.ones(16, 24, dtype=DT)
    assert ops.project(vfield).abs().max().item() < 1e-15  # <v> = 0 (symmetric quadrature)
    v3 = ops.v[:, None] ** 3 * torch.ones(16, 24, dtype=DT)
    assert ops.project(v3).abs().max().item() < 1e-15  # <v^3> = 0
    v2 = ops.v[:, None] ** 2 * torch.ones(16, 24, dtype=DT)
    assert abs(ops.project(v2)[0, 0].item() - 1.0 / 3.0) < 1e-14  # <v^2> = 1/3
    g = torch.randn(2, 16, 24, dtype=DT, generator=gen)
    assert (ops.project(ops.project(g)) - ops.project(g)).abs().max().item() < 1e-14  # P o P = P
    assert ops.average(g).shape == (2, 24)
    with pytest.raises(ValueError, match="lift"):
        ops.advect(rho)


def _sine_errors(advection, nxs=(32, 64, 128, 256)):
    out = []
    for nx in nxs:
        ops = Operators.periodic(nx=nx, advection=advection)
        x = torch.arange(nx, dtype=DT) / nx
        v = ops.v[:, None]
        u = torch.sin(2 * math.pi * x + v)  # v-dependent phase
        e_adv = (ops.advect(u) - v * 2 * math.pi * torch.cos(2 * math.pi * x + v)).abs().max().item()
        e_xx = (ops.dxx(u) + (2 * math.pi) ** 2 * u).abs().max().item()
        out.append((e_adv, e_xx))
    return np.array(out)


def test_advection_and_dxx_convergence_orders():
    cen, upw = _sine_errors("centered"), _sine_errors("upwind")
    order = lambda e: np.log2(e[:-1] / e[1:])  # noqa: E731
    # measured: centred 1.998, 1.9995, 1.99987; upwind 0.9969, 0.9993, 0.99987; dxx 1.9986, 1.9997, 1.99991
    np.testing.assert_allclose(order(cen[:, 0]), 2.0, atol=0.005)
    np.testing.assert_allclose(order(upw[:, 0]), 1.0, atol=0.005)
    np.testing.assert_allclose(order(cen[:, 1]), 2.0, atol=0.005)


def test_upwind_projection_of_advected_rho_is_numerical_diffusion_not_zero():
    ops_c = Operators.periodic(nx=16, advection="centered")
    ops_u = Operators.periodic(nx=16, advection="upwind")
    rho = torch.sin(2 * math.pi * torch.arange(16, dtype=DT) / 16)
    assert ops_c.project(ops_c.advect(ops_c.lift(rho))).abs().max().item() < 1e-14
    assert ops_u.project(ops_u.advect(ops_u.lift(rho))).abs().max().item() > 0.5  # 0.61 measured
    assert ops_c.odd_moments_vanish and not ops_u.odd_moments_vanish


# ---------------------------------------------------------------------------------------------
# Build 2: symbolic polynomials
# ---------------------------------------------------------------------------------------------
def test_reduce_word_rules():
    assert reduce_word("PP", "g") == ("P",)
    assert reduce_word("IAI", "g") == ("A",)
    assert reduce_word("P", "rho") == ()
    assert reduce_word("AP", "rho") == ("A",)
    assert reduce_word("PA", "rho") is None  # <v> d_x rho = 0
    assert reduce_word("PAA", "rho") == ("P", "A", "A")  # <v^2> D^2 rho = 1/3 D^2 rho
    assert reduce_word("PPAA", "rho") == ("P", "A", "A")
    assert reduce_word("PAAA", "rho") is None  # <v^3> = 0
    assert reduce_word("PADA", "rho") == ("P", "A", "D", "A")
    assert reduce_word("PDA", "rho") is None
    assert reduce_word("PAP", "g") is None  # <v> d_x <g> = 0
    assert reduce_word("AP", "g") == ("A", "P")
    assert reduce_word("PA", "g") == ("P", "A")
    assert reduce_word("PA", "rho", odd_moments_vanish=False) == ("P", "A")  # upwind: kept
    assert reduce_word("PP", "rho", odd_moments_vanish=False) == ()
    assert str(Term("PA", "g")) == "<v d_x g>"
    assert str(Term("AAP", "rho")) == "(v d_x)^2 <rho>"


def test_polynomial_algebra():
    A, P, I = OperatorPolynomial.symbol("A"), OperatorPolynomial.symbol("P"), OperatorPolynomial.identity()
    q = (I - P) @ A  # (I - P) v d_x
    assert q.coefficient("A") == 1.0 and q.coefficient("PA") == -1.0
    pp = (P @ P).simplify()
    assert pp.coefficient("P") == 1.0 and len(pp) == 1
    on_rho = (P @ A + 2.0 * (A @ A) + 3.0 * P).apply_to("rho").simplify()
    assert on_rho.coefficient("AA", "rho") == 2.0 and on_rho.coefficient((), "rho") == 3.0
    assert on_rho.coefficient("PA", "rho") == 0.0 and len(on_rho) == 2
    with pytest.raises(ValueError):
        A.apply_to("g") @ A  # the left factor must be a bare operator


@pytest.mark.parametrize("K", [1, 2, 3])
def test_block_polynomial_agrees_with_forward(K):
    """polynomial() (symbolic, then applied word by word) == forward() (network on fields)."""
    ops = Operators.periodic(nx=12, length=6.0)  # dx = 0.5 keeps A^8 moderate
    gen = _gen(K)
    block = DCRNNBlock(3, K, ("I", "A", "P"), init="normal", generator=gen)
    g = torch.randn(2, 16, 12, dtype=DT, generator=gen)
    rho = torch.randn(2, 12, dtype=DT, generator=gen)
    poly = block.polynomial()
    errs = []
    f_g = block(g, ops)
    errs.append(_rel(poly.apply_to("g").evaluate(ops, g=g), f_g))
    errs.append(_rel(poly.apply_to("g").simplify().evaluate(ops, g=g), f_g))
    f_r = block(ops.lift(rho), ops)
    errs.append(_rel(poly.apply_to("rho").simplify().evaluate(ops, rho=rho), f_r))
    if K <= 2:  # raw expansion (no rule applied) too
        raw = block.polynomial(simplify=False)
        errs.append(_rel(raw.apply_to("g").evaluate(ops, g=g), f_g))
        errs.append(_rel(raw.apply_to("rho").evaluate(ops, rho=rho), f_r))
    # callables instead of an Operators instance give the same network
    f_g2 = block(g, [ops.identity, ops.advect, ops.project])
    assert torch.equal(f_g, f_g2)
    assert max(errs) < 1e-10  # measured <= 1e-15


@pytest.mark.parametrize("K", [1, 2])
def test_recurrent_block_polynomial_agrees_with_forward_and_notebook_formulas(K):
    ops = Operators.periodic(nx=12, length=6.0)
    gen = _gen(10 + K)
    bg = RecurrentBlock(2, K, ("A", "P"), init="normal", generator=gen)
    g = torch.randn(2, 16, 12, dtype=DT, generator=gen)
    assert _rel(bg.polynomial().apply_to("g").evaluate(ops, g=g), bg(g, ops)) < 1e-10
    if K == 2:  # the authors' notebook read-out (facts Sect. 3.5), flattened i-major weights
        W0 = bg.hidden[0].detach().flatten()
        W1 = bg.hidden[1].detach().flatten()
        WL = bg.output.detach().flatten()
        pg = bg.polynomial().apply_to("g").simplify()
        assert abs(pg.coefficient("A", "g").item() - WL[0].item()) < 1e-14
        want = WL[3] * W0[0] + WL[5] * (W1[0] + W1[3] * W0[0])
        assert abs(pg.coefficient("PA", "g").item() - want.item()) < 1e-13


def test_K1_expansion_reproduces_eq_3_11_with_typo_corrected():
    """Eq. (3.11), generic A_1, A_2 (here the symbols "A" and "D", no rule relates them)."""
    block = DCRNNBlock(2, 1, ("A", "D"), init="normal", generator=_gen(5))
    (w11, w12), (w21, w22) = block.hidden[0].detach().tolist()
    b1, b2 = block.bias[0].detach().tolist()
    w1, w2, w3 = block.output.detach().tolist()
    p = block.polynomial(simplify=False)
    want = {
        (): w3 * b1 * b2,
        ("A",): w1 + w3 * (w11 * b2 + b1 * w21),
        ("D",): w2 + w3 * (w12 * b2 + b1 * w22),  # the paper prints b1 w21 here (typo)
        ("A", "A"): w3 * w11 * w21,
        ("A", "D"): w3 * w11 * w22,
        ("D", "A"): w3 * w12 * w21,
        ("D", "D"): w3 * w12 * w22,
    }
    assert set(t.word for t in p) == set(want)
    for word, c in want.items():
        assert abs(p.coefficient(word).item() - c) < 1e-14
    # the printed typo would differ unless w21 == w22
    assert abs(p.coefficient("D").item() - (w2 + w3 * (w12 * b2 + b1 * w21))) > 1e-3


def test_K1_without_bias_matches_the_authors_R2_readout():
    """R2 w_of_x_v3.py coeffsg: g, v d_x g, <v d_x g> for dictionary (I, A, P), no bias."""
    block = DCRNNBlock(3, 1, ("I", "A", "P"), bias=False, init="normal", generator=_gen(6))
    W = block.hidden[0].detach()
    WL = block.output.detach()
    p = block.polynomial().apply_to("g").simplify()
    assert abs(p.coefficient((), "g") - (WL[0] + WL[3] * W[1, 0] * W[0, 0])).item() < 1e-14
    assert abs(p.coefficient("A", "g") - (WL[1] + WL[3] * (W[1, 0] * W[0, 1] + W[0, 0] * W[1, 1]))).item() < 1e-14
    assert abs(p.coefficient("PA", "g") - WL[3] * W[1, 1] * W[0, 2]).item() < 1e-14


# ---------------------------------------------------------------------------------------------
# Build 2: the multiscale ansatz
# ---------------------------------------------------------------------------------------------
def _exact_rhs(ops, g, rho, eps, sigma_s=1.0):
    Ag = ops.advect(g)
    return -(Ag - ops.project(Ag)) / eps - ops.advect(ops.lift(rho)) / eps**2 - sigma_s / eps**2 * g


@pytest.mark.parametrize(
    "M,block,eps_range,learn",
    [
        (2, "paper", (1e-3, 0.1), True),
        (2, "paper", None, True),
        (1, "paper", None, True),
        (0, "paper", None, True),
        (2, "recurrent", (1e-3, 0.1), True),
        (2, "paper", (1e-3, 0.1), False),
    ],
)
def test_exact_g_equation_has_zero_error_and_matches_direct_formula(M, block, eps_range, learn):
    eps = 1.0 / 64
    ops = Operators.periodic(nx=20)
    dg, dr = (("I", "A", "P"), ("I", "A")) if block == "paper" else (("A", "P"), ("A",))
    if not learn:
        dg = ("I", "A", "P")
    model = MultiscaleDCRNN(
        dg,
        dr,
        K=2 if block == "recurrent" else 1,
        M=M,
        eps_range=eps_range,
        learn_relaxation=learn,
        operators=ops,
        block=block,
        init="normal",
        seed=3,
    )
    model.load_exact_g_equation(eps)
    gen = _gen(7)
    g = torch.randn(4, 16, 20, dtype=DT, generator=gen)
    g = g - ops.project(g)
    rho = torch.randn(4, 20, dtype=DT, generator=gen)
    want = _exact_rhs(ops, g, rho, eps)
    for method in ("network", "polynomial"):
        assert _rel(model.rhs(g, rho, method=method), want) < 1e-12
    if learn:
        assert abs(model.relaxation().item() * eps**2 - 1.0) < 1e-12
        assert _rel(model.explicit_rhs(g, rho) - model.relaxation() * g, want) < 1e-12
    poly = model.coefficients()
    assert model.error_percent(poly, eps) < 1e-10
    diffs = coefficient_differences(poly, eps)
    for _name, d in diffs.items():
        assert abs(d["difference"]) <= 1e-12 * abs(d["exact"])
    # only the four physical terms survive (exact zeros pruned)
    assert set(poly.numeric().prune(1e-9)) == set(PHYSICAL_TERMS.values())


def test_error_percent_and_printed_form_table_1_row_eps_1_16():
    """Table 1, eps = 1/16: -(16^2 + 0.0836) g - (16 + 0.2052) v d_x g + (16 + 0.2066) <v d_x g>
    - (16^2 - 0.1145) v d_x rho, Error 0.11 %."""
    eps = 1.0 / 16
    poly = OperatorPolynomial(
        {
            PHYSICAL_TERMS["g"]: -(256 + 0.0836),
            PHYSICAL_TERMS["v d_x g"]: -(16 + 0.2052),
            PHYSICAL_TERMS["<v d_x g>"]: 16 + 0.2066,
            PHYSICAL_TERMS["v d_x rho"]: -(256 - 0.1145),
            Term("AA", "g"): 1e-3,
        }
    )
    hand = 100 * (0.0836 + 0.2052 + 0.2066 + 0.1145) / (2 * 16**2 + 2 * 16)  # = 0.112114 %
    assert abs(error_percent(poly, eps) - hand) < 1e-12
    assert abs(hand - 0.1121139706) < 1e-9
    assert math.floor(error_percent(poly, eps) * 100) / 100 == 0.11  # the paper truncates
    text = format_equation(poly, eps)
    assert text == (
        "d_t g = -(16^2 + 8.360e-02) g - (16 + 2.052e-01) v d_x g + (16 + 2.066e-01) <v d_x g>"
        " - (16^2 - 1.145e-01) v d_x rho + ..."
    )
    full = format_equation(poly, eps, others="full", lhs=None)
    assert full.endswith("+ 1.000e-03 (v d_x)^2 g")
    # a mapping of the four names works too; signs are ignored by Error%
    flipped = {"g": 256 + 0.0836, "v d_x g": 16 + 0.2052, "<v d_x g>": -(16 + 0.2066), "v d_x rho": 256 - 0.1145}
    assert abs(error_percent(flipped, eps) - hand) < 1e-12


def test_error_percent_table_3_row_eps_1_512():
    """Table 3 (FE, M = 2), eps = 1/512: differences 0.996e5, 193.6, 194.6, 0.997e5 -> 38.03 %."""
    eps = 1.0 / 512
    c = {
        "g": -(512**2 - 0.996e5),
        "v d_x g": -(512 - 193.6),
        "<v d_x g>": 512 - 194.6,
        "v d_x rho": -(512**2 - 0.997e5),
    }
    hand = 100 * (0.996e5 + 193.6 + 194.6 + 0.997e5) / (2 * 512**2 + 2 * 512)  # = 38.0132 %
    assert abs(error_percent(c, eps) - hand) < 1e-10
    assert abs(error_percent(c, eps) - 38.03) < 0.02
    assert exact_g_coefficients(eps)["g"] == -(512.0**2)


def test_eps_pred_interval_and_gradients():
    ops = Operators.periodic(nx=10)
    model = MultiscaleDCRNN(K=1, M=2, eps_range=(1e-3, 0.1), operators=ops, init="normal", seed=1)
    assert abs(model.eps_pred().item() - ((math.tanh(1.0) + 1) * (0.1 - 1e-3) / 2 + 1e-3)) < 1e-15  # 0.0882
    for w in (-40.0, -3.0, 0.0, 2.0, 40.0):
        with torch.no_grad():
            model.w_eps.fill_(w)
        e = model.eps_pred().item()
        assert 1e-3 <= e <= 0.1
    plain = MultiscaleDCRNN(K=1, M=2, operators=ops)
    assert abs(plain.eps_pred().item() - 0.5 * (math.tanh(1.0) + 1)) < 1e-15  # 0.881
    with pytest.raises(ValueError):
        model.set_eps_pred(0.5)
    model.set_eps_pred(0.02)
    assert abs(model.eps_pred().item() - 0.02) < 1e-15
    gen = _gen(2)
    g = torch.randn(3, 16, 10, dtype=DT, generator=gen)
    rho = torch.randn(3, 10, dtype=DT, generator=gen)
    for method in ("network", "polynomial"):
        model.zero_grad()
        model.rhs(g, rho, method=method).abs().mean().backward()
        assert model.w_eps.grad is not None and torch.isfinite(model.w_eps.grad) and model.w_eps.grad.abs() > 0
        assert model.w_s.grad.abs() > 0
        assert all(p.grad is not None for p in model.regularizable_parameters())
    # coefficients carry the graph too
    model.zero_grad()
    c = model.coefficients()
    c[PHYSICAL_TERMS["v d_x rho"]].backward()
    assert model.w_eps.grad.abs() > 0
    theta = model.regularizable_parameters()  # the sparsity set of Eq. (4.17): everything but w_eps
    assert all(p is not model.w_eps for p in theta) and len(theta) == len(list(model.parameters())) - 1


def test_spatial_weights_and_relaxation_vector():
    nx = 14
    ops = Operators.periodic(nx=nx)
    scalar = MultiscaleDCRNN(K=1, M=1, operators=ops, init="normal", seed=4)
    spatial = MultiscaleDCRNN(K=1, M=1, operators=ops, spatial_weights=nx, relaxation_nx=nx)
    with torch.no_grad():  # copy the scalar weights, constant along x
        for (n1, p1), (n2, p2) in zip(scalar.named_parameters(), spatial.named_parameters()):
            assert n1 == n2
            p2.copy_(p1.unsqueeze(-1).expand_as(p2) if p2.dim() > p1.dim() else p1)
    gen = _gen(8)
    g = torch.randn(2, 16, nx, dtype=DT, generator=gen)
    rho = torch.randn(2, nx, dtype=DT, generator=gen)
    assert _rel(spatial.rhs(g, rho), scalar.rhs(g, rho)) < 1e-13
    assert spatial.relaxation().shape == (nx,)
    cs, cp = scalar.coefficients().numeric(), spatial.coefficients().numeric()
    for t, c in cs.items():
        np.testing.assert_allclose(cp[t], c, rtol=1e-13)
    with pytest.raises(ValueError):
        spatial.explicit_rhs(g, rho, method="polynomial")
    # x-dependent relaxation: sigma_S(x) = 1 + 100 x^2 loaded exactly, rhs matches the formula
    x = torch.arange(nx, dtype=DT) / nx
    sig = 1 + 100 * x**2
    model = MultiscaleDCRNN(K=1, M=2, operators=ops, relaxation_nx=nx)
    model.load_exact_g_equation(0.5, sigma_s=sig)
    assert _rel(model.rhs(g, rho), _exact_rhs(ops, g, rho, 0.5, sig)) < 1e-12
    assert "[" in format_equation(model.coefficients(), 0.5)


def test_rho_equation_model_example_6_10_dictionary():
    """d_t rho = < F(g, rho) > with dictionaries ("A",) on g and ("D",) on rho, K = 0, M = 0."""
    ops = Operators.periodic(nx=16)
    model = MultiscaleDCRNN(("A",), ("D",), K=0, M=0, learn_relaxation=False, operators=ops, equation="rho")
    with torch.no_grad():
        model.blocks_g[0].output.fill_(-1.0)
        model.blocks_rho[0].output.fill_(0.25)
    gen = _gen(9)
    g = torch.randn(2, 16, 16, dtype=DT, generator=gen)
    rho = torch.randn(2, 16, dtype=DT, generator=gen)
    want = -ops.average(ops.advect(g)) + 0.25 * ops.dxx(rho)
    for method in ("network", "polynomial"):
        out = model.explicit_rhs(g, rho, method=method)
        assert out.shape == (2, 16) and _rel(out, want) < 1e-13
    c = model.coefficients().numeric()
    assert c.coefficient("PA", "g") == -1.0 and c.coefficient("D", "rho") == 0.25 and len(c) == 2

"""The multiscale DC-RNN ansatz of one micro-macro equation, Eq. (3.5).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
:class:`MultiscaleDCRNN` sums one block (:mod:`coarsepde.kinetic.blocks`) per order m and input field:

    d_t g = F(g, rho) - sigma_hat g,
    F(g, rho) = sum_{m=0}^{M} eps_pred^{-m} (F^m_g(g) + F^m_rho(rho)),

with eps_pred = (tanh w + 1)/2 (Eq. 5.1) or, on an interval, (tanh w + 1)(eps_max - eps_min)/2
+ eps_min (Eq. 5.2 as the authors coded it), and the learned stiff relaxation
sigma_hat = w_S / eps_pred^M (reference facts Sect. 3.4; it stands for sigma_S/eps^2 and is the
term the IMEX fitting schemes treat implicitly).

Coefficient read-out (reference facts Sects. 3.5-3.6): :meth:`MultiscaleDCRNN.coefficients`
returns the assembled, simplified polynomial of the g-equation in the true-sign convention
(relaxation included as -sigma_hat on the identity word of g);
:func:`~coarsepde.kinetic.scoring.error_percent` and :func:`~coarsepde.kinetic.scoring.format_equation`
compare the four physical terms g, v d_x g, <v d_x g>, v d_x rho with the
exact -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2 (Eq. 2.5; Eq. 2.10 prints a sign typo on a_1).

Units: with x in units of the domain length and t in time units, a coefficient of a word with
a A's and d D's has units [t]^-1 [x]^(a + 2d); eps, eps_pred and all weights are dimensionless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from coarsepde.kinetic.blocks import DCRNNBlock, RecurrentBlock
from coarsepde.kinetic.operators import Operators
from coarsepde.kinetic.polynomial import OperatorPolynomial
from coarsepde.kinetic.scoring import error_percent, format_equation

__all__ = ["MultiscaleDCRNN"]


class MultiscaleDCRNN(torch.nn.Module):
    """Multiscale vector ansatz (3.5) for one equation of the micro-macro system.

    For ``equation="g"`` (default):

        d_t g = F(g, rho) - sigma_hat g,
        F(g, rho) = sum_{m=0}^{M} eps_pred^{-m} ( F^m_g(g) + F^m_rho(rho) )        (3.5)

    with one block per order m and input (``blocks_g[m]``, ``blocks_rho[m]``), eps_pred from
    :meth:`eps_pred` (Eqs. 5.1/5.2) and sigma_hat = :meth:`relaxation` = w_S / eps_pred^M. For
    ``equation="rho"`` the output is projected, d_t rho = < F(g, rho) > (shape (..., nx); no
    relaxation), e.g. Example 6.10 with dictionary_g = ("A",), dictionary_rho = ("D",).

    Parameters
    ----------
    dictionary_g, dictionary_rho : sequences of operator symbols ("I", "A", "P", "D"), or empty /
        None to leave that input out.
    K : hidden composition layers per block (Example 6.1: K = 1; 6.2: K = 2).
    M : highest inverse power of eps_pred (0 = "non-multiscale", 2 = slow/medium/fast).
    eps_range : None for eps_pred = (tanh w + 1)/2 (Eq. 5.1), or (eps_min, eps_max) for
        (tanh w + 1)(eps_max - eps_min)/2 + eps_min (Eq. 5.2 as coded by the authors).
    learn_relaxation : learn w_S (sigma_hat = w_S / eps_pred^M). If False, sigma_hat is
        ``fixed_relaxation`` (e.g. the known sigma_S/eps^2) or 0.
    init : block-weight initialisation: a number (constant, default 1.5 as in the authors'
        notebook), "normal", "abs_normal", "zeros" or a callable; ``seed`` seeds the random ones.
    operators : the :class:`Operators` used by :meth:`explicit_rhs` (a submodule; it may also be
        passed per call).
    block : "paper" (:class:`DCRNNBlock`, Eqs. 3.6-3.9) or "recurrent" (:class:`RecurrentBlock`,
        the authors' notebook form).
    bias : the b^k I terms of Eq. (3.6) (paper block only).
    spatial_weights : nx, to make every block weight x-dependent (Remark 3.3, Eq. 3.10).
    relaxation_nx : nx, to learn a relaxation vector w_S(x) (Example 6.4: sigma_S(x)).
    w_eps_init, w_s_init : initial w_eps (1.0 in the authors' code: eps_pred ~ 0.881 on (0, 1),
        ~ 0.0882 on [1e-3, 0.1]) and w_S (1.0).
    """

    def __init__(
        self,
        dictionary_g: Sequence[str] | None = ("I", "A", "P"),
        dictionary_rho: Sequence[str] | None = ("I", "A"),
        K: int = 1,
        M: int = 2,
        eps_range: tuple[float, float] | None = None,
        learn_relaxation: bool = True,
        init=1.5,
        *,
        operators: Operators | None = None,
        block: str = "paper",
        bias: bool = True,
        spatial_weights: int | None = None,
        relaxation_nx: int | None = None,
        fixed_relaxation=None,
        w_eps_init: float = 1.0,
        w_s_init: float = 1.0,
        seed: int | None = None,
        equation: str = "g",
    ):
        super().__init__()
        if M < 0:
            raise ValueError(f"M must be >= 0, got {M}")
        if equation not in ("g", "rho"):
            raise ValueError(f"equation must be 'g' or 'rho', got {equation!r}")
        if equation == "rho" and (learn_relaxation or fixed_relaxation is not None):
            raise ValueError("the rho-equation has no relaxation term: pass learn_relaxation=False")
        if block not in ("paper", "recurrent"):
            raise ValueError(f"block must be 'paper' or 'recurrent', got {block!r}")
        if eps_range is not None:
            lo, hi = (float(e) for e in eps_range)
            if not 0.0 <= lo < hi:
                raise ValueError(f"eps_range must satisfy 0 <= eps_min < eps_max, got {eps_range}")
            eps_range = (lo, hi)
        self.dictionary_g = tuple(dictionary_g or ())
        self.dictionary_rho = tuple(dictionary_rho or ())
        if not self.dictionary_g and not self.dictionary_rho:
            raise ValueError("both dictionaries are empty")
        self.K, self.M, self.eps_range, self.equation, self.block_kind = int(K), int(M), eps_range, equation, block
        self.operators = operators
        gen = torch.Generator().manual_seed(seed) if seed is not None else None

        def make(symbols):
            if not symbols:
                return None
            if block == "paper":
                blocks = [
                    DCRNNBlock(len(symbols), K, symbols, bias=bias, nx=spatial_weights, init=init, generator=gen)
                    for _ in range(M + 1)
                ]
            else:
                blocks = [
                    RecurrentBlock(len(symbols), K, symbols, nx=spatial_weights, init=init, generator=gen)
                    for _ in range(M + 1)
                ]
            return torch.nn.ModuleList(blocks)

        self.blocks_g = make(self.dictionary_g)
        self.blocks_rho = make(self.dictionary_rho)
        self.w_eps = torch.nn.Parameter(torch.tensor(float(w_eps_init), dtype=torch.float64))
        if learn_relaxation:
            shape = () if relaxation_nx is None else (int(relaxation_nx),)
            self.w_s = torch.nn.Parameter(torch.full(shape, float(w_s_init), dtype=torch.float64))
        else:
            self.w_s = None
        fixed = None if fixed_relaxation is None else torch.as_tensor(fixed_relaxation, dtype=torch.float64)
        self.register_buffer("fixed_relaxation", fixed)

    # -- scale parameter and relaxation -------------------------------------------------------
    def eps_pred(self) -> torch.Tensor:
        """eps_pred = (tanh w + 1)/2 (Eq. 5.1) or (tanh w + 1)(eps_max - eps_min)/2 + eps_min (Eq. 5.2); 0-d."""
        s = torch.tanh(self.w_eps) + 1.0
        if self.eps_range is None:
            return 0.5 * s
        lo, hi = self.eps_range
        return 0.5 * s * (hi - lo) + lo

    def set_eps_pred(self, value: float) -> None:
        """Set w_eps so that eps_pred = value (strictly inside the admissible interval)."""
        lo, hi = self.eps_range if self.eps_range is not None else (0.0, 1.0)
        t = 2.0 * (float(value) - lo) / (hi - lo) - 1.0
        if not -1.0 < t < 1.0:
            raise ValueError(f"eps_pred = {value} is outside the open interval ({lo}, {hi})")
        with torch.no_grad():
            self.w_eps.fill_(math.atanh(t))

    def relaxation(self) -> torch.Tensor:
        """sigma_hat [1/time]: w_S / eps_pred^M (0-d, or (nx,) with ``relaxation_nx``), the fixed value, or 0.

        It multiplies g with a minus sign in the true-sign RHS (d_t g = F - sigma_hat g) and is the
        part an IMEX fit treats implicitly. For M = 2 it stands for sigma_S/eps^2; for M = 0 it is a
        bare constant.
        """
        if self.w_s is not None:
            return self.w_s / self.eps_pred() ** self.M if self.M else self.w_s
        if self.fixed_relaxation is not None:
            return self.fixed_relaxation
        return torch.zeros((), dtype=torch.float64, device=self.w_eps.device)

    # -- evaluation ---------------------------------------------------------------------------
    def _ops(self, ops: Operators | None) -> Operators:
        ops = ops if ops is not None else self.operators
        if ops is None:
            raise ValueError("no Operators: pass operators= to the constructor or ops= to the call")
        return ops

    def explicit_rhs(
        self, g: torch.Tensor, rho: torch.Tensor, ops: Operators | None = None, method: str = "auto"
    ) -> torch.Tensor:
        """F(g, rho) of Eq. (3.5), without the relaxation term; units [g]/[t].

        g: (..., nv, nx), rho: (..., nx) (leading dims broadcast, e.g. a stack of snapshots). Returns
        (..., nv, nx), or (..., nx) for ``equation="rho"``. ``method="network"`` applies the blocks
        to the fields (exact for x-dependent weights; basic features of g and rho computed once and
        shared by all orders); ``method="polynomial"`` evaluates the assembled polynomial of
        :meth:`coefficients` word by word (scalar weights only; equal to rounding for the centred
        stencil). The polynomial route shares every word between the orders m and both blocks (the
        cheaper one); ``"auto"`` (default) takes it when all weights are x-independent, the network route otherwise.
        """
        ops = self._ops(ops)
        if method == "auto":
            method = "network" if any(b.nx is not None for b in self._all_blocks()) else "polynomial"
        if method == "polynomial":
            if any(b.nx is not None for b in self._all_blocks()):
                raise ValueError("method='polynomial' is exact only for x-independent weights")
            # the rho-equation's projection is part of the polynomial, which then maps to v-independent
            # rows: return one of them
            out = self._explicit_polynomial(ops.odd_moments_vanish).evaluate(ops, g=g, rho=rho)
            return out if self.equation == "g" else out[..., 0, :]
        if method != "network":
            raise ValueError(f"method must be 'network' or 'polynomial', got {method!r}")
        eps = self.eps_pred()
        fields = []
        if self.blocks_g is not None:
            fields.append((self.blocks_g, g, [ops.apply(s, g) for s in self.dictionary_g]))
        if self.blocks_rho is not None:
            r = ops.lift(rho)
            fields.append((self.blocks_rho, r, [ops.apply(s, r) for s in self.dictionary_rho]))
        total = None
        for m in range(self.M + 1):
            fm = None
            for blocks, u, base in fields:
                f = blocks[m](u, ops, base=base)
                fm = f if fm is None else fm + f
            if m:
                fm = fm * eps ** (-m)
            total = fm if total is None else total + fm
        return ops.average(total) if self.equation == "rho" else total

    def rhs(
        self, g: torch.Tensor, rho: torch.Tensor, ops: Operators | None = None, method: str = "auto"
    ) -> torch.Tensor:
        """Full true-sign g-RHS F(g, rho) - sigma_hat g (FE/BE/RK4 fits treat it all explicitly)."""
        if self.equation != "g":
            raise ValueError("rhs() is the g-equation's; use explicit_rhs for the rho-equation")
        # sigma_hat is 0-d or (nx,): either broadcasts against (..., nv, nx)
        return self.explicit_rhs(g, rho, ops, method) - self.relaxation() * g

    # -- symbolic read-out --------------------------------------------------------------------
    def _all_blocks(self):
        for blocks in (self.blocks_g, self.blocks_rho):
            if blocks is not None:
                yield from blocks

    def _explicit_polynomial(self, odd_moments_vanish: bool) -> OperatorPolynomial:
        eps = self.eps_pred()
        poly = OperatorPolynomial()
        for m in range(self.M + 1):
            scale = eps ** (-m) if m else 1.0
            for blocks, field in ((self.blocks_g, "g"), (self.blocks_rho, "rho")):
                if blocks is not None:
                    p = blocks[m].polynomial(odd_moments_vanish=odd_moments_vanish).apply_to(field)
                    poly = poly + p * scale
        if self.equation == "rho":
            poly = OperatorPolynomial.symbol("P") @ poly
        return poly.simplify(odd_moments_vanish)

    def coefficients(self, odd_moments_vanish: bool | None = None) -> OperatorPolynomial:
        """The assembled equation as a simplified :class:`OperatorPolynomial` on the fields g and rho.

        Coefficient of each word = sum_m c^(m) / eps_pred^m (Eq. 5.17), torch tensors carrying the
        autograd graph (call ``.numeric()`` for floats). For the g-equation the relaxation enters
        as -sigma_hat on the word () of g (true-sign convention: the printed "g" coefficient of the
        tables). ``odd_moments_vanish`` defaults to the operators' stencil (centred: True) or True
        when the model holds no operators.
        """
        if odd_moments_vanish is None:
            odd_moments_vanish = self.operators.odd_moments_vanish if self.operators is not None else True
        poly = self._explicit_polynomial(odd_moments_vanish)
        if self.equation == "g" and (self.w_s is not None or self.fixed_relaxation is not None):
            poly = poly - OperatorPolynomial.word((), self.relaxation(), "g")
        return poly

    def regularizable_parameters(self) -> list[torch.nn.Parameter]:
        """All trainable parameters except w_eps (the theta of the sparsity penalty, Eq. 4.17)."""
        return [p for name, p in self.named_parameters() if name != "w_eps"]

    def order_parameters(self, m: int) -> list[torch.nn.Parameter]:
        """The block parameters of order m (theta_m of Eqs. 5.12-5.17)."""
        return [p for blocks in (self.blocks_g, self.blocks_rho) if blocks is not None for p in blocks[m].parameters()]

    def load_exact_g_equation(self, eps: float, sigma_s=1.0) -> None:
        """Set the weights so that the model is the exact g-equation (2.5) with sigma_A = 0:

            d_t g = -(1/eps)(I - P)(v d_x g) - (1/eps^2) v d_x rho - (sigma_S/eps^2) g.

        eps_pred is set to eps when M > 0 (must lie in eps_range). Transport goes to order
        min(M, 1), v d_x rho to order min(M, 2), with the missing powers of eps folded into the
        weights; sigma_hat = w_S/eps^M = sigma_S/eps^2. Needs "A" and "P" in dictionary_g, "A" in
        dictionary_rho, K >= 1; without a learned relaxation the stiff term goes to the "I" weight
        of dictionary_g (or is the fixed relaxation).
        """
        if self.equation != "g":
            raise ValueError("load_exact_g_equation needs equation='g'")
        if self.blocks_g is None or self.blocks_rho is None:
            raise ValueError("the exact g-equation needs both dictionaries")
        if self.M:
            self.set_eps_pred(eps)
        m_t, m_r = min(self.M, 1), min(self.M, 2)
        for m in range(self.M + 1):
            _zero(self.blocks_g[m])
            _zero(self.blocks_rho[m])
        self.blocks_g[m_t]._set_exact("g", eps ** (m_t - 1))
        self.blocks_rho[m_r]._set_exact("rho", eps ** (m_r - 2))
        sigma = torch.as_tensor(sigma_s, dtype=torch.float64)
        if self.w_s is not None:
            with torch.no_grad():
                self.w_s.copy_((sigma * eps ** (self.M - 2)).expand_as(self.w_s))
        elif self.fixed_relaxation is None:
            # no relaxation term: the stiff part goes to the weight of "I" in the output layer
            if sigma.dim():
                raise ValueError("an x-dependent sigma_S needs a relaxation vector (relaxation_nx)")
            blk = self.blocks_g[m_r]
            i = blk._index("I")
            with torch.no_grad():
                out = blk.output if isinstance(blk, DCRNNBlock) else blk.output[0]
                out[i] = -float(sigma) * eps ** (m_r - 2)

    def format_equation(self, poly: OperatorPolynomial | None, eps: float, **kwargs) -> str:
        """:func:`format_equation` of ``poly`` (default: this model's :meth:`coefficients`)."""
        return format_equation(self.coefficients() if poly is None else poly, eps, **kwargs)

    def error_percent(self, poly: OperatorPolynomial | None, eps: float, **kwargs) -> float:
        """:func:`error_percent` of ``poly`` (default: this model's :meth:`coefficients`)."""
        return error_percent(self.coefficients() if poly is None else poly, eps, **kwargs)


def _zero(block) -> None:
    with torch.no_grad():
        for p in block.parameters():
            p.zero_()

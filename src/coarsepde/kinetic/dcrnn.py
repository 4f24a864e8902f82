"""DC-RNN: densely connected symbolic RNNs over basic operators, and the multiscale ansatz.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
Three layers of this module:

1. **Symbolic operator polynomials** (:class:`Term`, :class:`OperatorPolynomial`). A *word* is a
   tuple of basic-operator symbols (see :data:`coarsepde.kinetic.operators.SYMBOLS`:
   "I" identity, "A" = v d_x, "P" = <.>, "D" = d_xx), read as a composition: ("A", "P") is
   A o P, i.e. applied to u as A(P(u)) (the rightmost symbol acts first). A :class:`Term` is a word
   plus the field it acts on ("g", "rho", or None for a bare operator). A polynomial maps terms to
   coefficients (floats or torch tensors, differentiable), with sum, scaling and the
   non-commutative composition product ``@``. :meth:`OperatorPolynomial.simplify` applies the exact
   rules of the discrete operators:

   * I is the empty word (I o X = X);
   * P applied to a v-independent function (rho, or anything P produced) is the identity, so in
     particular P o P = P;
   * for the centred advection A = v * D_1 (D_1 v-independent), A^k maps a v-independent f to
     v^k D_1^k f, and a following P gives <v^k> D_1^k f, which vanishes for odd k on the
     symmetric Gauss-Legendre quadrature: e.g. P o A on rho (<v> d_x rho = 0), P o A o A o A on
     rho, P o A o P on g. Those words are dropped. D = d_xx commutes with v and keeps the state.
     (These odd-moment rules are NOT exact for the upwind stencil; pass
     ``odd_moments_vanish=False`` there.)

2. **Blocks**, one per (scale m, block (q, p)) of the vector ansatz (3.5):

   * :class:`DCRNNBlock`, the paper's network, Eqs. (3.6)-(3.9) and Fig. 1: layer k forms two
     operators C_1^(k), C_2^(k) = W^k [A_1..A_n, B_1..B_{k-1}]^T + b^k I and
     B_k = C_1^(k) o C_2^(k) (composition); output F = W^{K+1} [A_1..A_n, B_1..B_K]^T.
   * :class:`RecurrentBlock`, the variant the authors coded in their IMEX-BDF-2 notebook (reference
     facts Sect. 3.3): no bias; hidden fields h_k = sum_j W^k[0,j] A_j u + sum_{i=1}^{k-1} sum_j
     W^k[i,j] A_j h_i, output sum over all A_j h_i (h_0 = u).

   Both apply to fields by applying the basic operators to fields (never forming matrices) and
   return their expansion as an :class:`OperatorPolynomial` (``polynomial()``).

3. **The multiscale g-equation ansatz** :class:`MultiscaleDCRNN`, Eq. (3.5):

       d_t g = F(g, rho) - sigma_hat g,
       F(g, rho) = sum_{m=0}^{M} eps_pred^{-m} (F^m_g(g) + F^m_rho(rho)),

   with eps_pred = (tanh w + 1)/2 (Eq. 5.1) or, on an interval, (tanh w + 1)(eps_max - eps_min)/2
   + eps_min (Eq. 5.2 as the authors coded it), and the learned stiff relaxation
   sigma_hat = w_S / eps_pred^M (reference facts Sect. 3.4; it stands for sigma_S/eps^2 and is the
   term the IMEX fitting schemes treat implicitly).

Coefficient read-out (reference facts Sects. 3.5-3.6): :meth:`MultiscaleDCRNN.coefficients`
returns the assembled, simplified polynomial of the g-equation in the true-sign convention
(relaxation included as -sigma_hat on the identity word of g). :func:`error_percent` and
:func:`format_equation` compare the four physical terms g, v d_x g, <v d_x g>, v d_x rho with
the exact -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2 (Eq. 2.5; Eq. 2.10 prints a sign typo on a_1).

Units: with x in units of the domain length and t in time units, a coefficient of a word with
a A's and d D's has units [t]^-1 [x]^(a + 2d); eps, eps_pred and all weights are dimensionless.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from coarsepde.kinetic.operators import Operators

__all__ = [
    "Term",
    "OperatorPolynomial",
    "reduce_word",
    "DCRNNBlock",
    "RecurrentBlock",
    "MultiscaleDCRNN",
    "PHYSICAL_TERMS",
    "exact_g_coefficients",
    "physical_coefficients",
    "coefficient_differences",
    "error_percent",
    "format_equation",
]

# Operators that commute with multiplication by v (functions of x only): they keep a function's
# v-dependence unchanged in the simplification rules.
_V_INDEPENDENT = frozenset({"D"})
_FIELDS = (None, "g", "rho")


# ==============================================================================================
# 1. Symbolic operator polynomials
# ==============================================================================================
def _as_word(word) -> tuple[str, ...]:
    """("A", "P") or "AP" -> ("A", "P"); a string is read one symbol per character."""
    if isinstance(word, str):
        return tuple(word)
    return tuple(word)


def reduce_word(word: Sequence[str], field: str | None = None, odd_moments_vanish: bool = True):
    """Simplified form of a word acting on ``field``, or None when it vanishes exactly.

    Scans right to left (the order the operators act) and tracks whether the current function is
    v-independent, and if so which power v^k multiplies it (centred A = v D_1):

    * "I" is dropped;
    * "P" on a v-independent function (k = 0) is dropped (P o P = P; P rho = rho);
    * "P" on v^k f with k odd returns None (<v^k> = 0, symmetric quadrature; only when
      ``odd_moments_vanish``), with k even it is kept and the result is v-independent again;
    * "A" raises k (or, when odd moments are not tracked, makes the function v-dependent);
    * "D" (d_xx) commutes with v and leaves the state unchanged; any other symbol makes the
      function v-dependent (conservative).

    ``field`` = "rho" starts v-independent; "g" and None (any input) start v-dependent.
    """
    if field not in _FIELDS:
        raise ValueError(f"field must be one of {_FIELDS}, got {field!r}")
    indep = field == "rho"
    power = 0
    out: list[str] = []
    for s in reversed(_as_word(word)):
        if s == "I":
            continue
        if s == "P":
            if indep and power == 0:
                continue
            if indep and odd_moments_vanish and power % 2 == 1:
                return None
            out.append("P")
            indep, power = True, 0
        elif s == "A":
            out.append("A")
            if indep and odd_moments_vanish:
                power += 1
            else:
                indep, power = False, 0
        elif s in _V_INDEPENDENT:
            out.append(s)
        else:
            out.append(s)
            indep, power = False, 0
    return tuple(reversed(out))


def _render_word(word: tuple[str, ...], field: str | None) -> str:
    """Readable form, e.g. ("P", "A") on g -> "<v d_x g>", ("A", "A") -> "(v d_x)^2 g"."""
    s = field if field is not None else "u"
    i = len(word) - 1
    while i >= 0:
        sym = word[i]
        if sym == "A":
            k = 0
            while i >= 0 and word[i] == "A":
                k += 1
                i -= 1
            s = f"v d_x {s}" if k == 1 else f"(v d_x)^{k} {s}"
            continue
        if sym == "P":
            s = f"<{s}>"
        elif sym == "D":
            s = f"d_xx {s}"
        elif sym != "I":
            s = f"{sym} {s}"
        i -= 1
    return s


@dataclass(frozen=True)
class Term:
    """A word of basic operators (composition, rightmost acts first) applied to ``field``.

    ``field`` is "g" (the kinetic variable), "rho" (the density, lifted along v) or None (a bare
    operator, not yet applied). ``Term(("A", "P"), "g")`` is v d_x <g>; ``Term((), "g")`` is g.
    """

    word: tuple[str, ...] = ()
    field: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "word", _as_word(self.word))
        if self.field not in _FIELDS:
            raise ValueError(f"field must be one of {_FIELDS}, got {self.field!r}")

    def __str__(self) -> str:
        return _render_word(self.word, self.field)


def _accumulate(terms: dict, key: Term, coef) -> None:
    terms[key] = terms[key] + coef if key in terms else coef


def _to_numpy(c) -> np.ndarray:
    if isinstance(c, torch.Tensor):
        return c.detach().cpu().double().numpy()
    return np.asarray(c, dtype=float)


class OperatorPolynomial:
    """A non-commutative polynomial in the basic operators: a dict Term -> coefficient.

    Coefficients are Python floats or torch tensors (0-d, or (nx,) for x-dependent coefficients);
    arithmetic keeps the autograd graph. ``p @ q`` is the composition p o q (``p`` must be a bare
    operator, field None; the result acts on q's field); ``+``, ``-`` and scalar ``*`` are the
    linear-space operations. Nothing is simplified implicitly: call :meth:`simplify`.
    """

    def __init__(self, terms: Mapping | Iterable | None = None):
        self.terms: dict[Term, object] = {}
        if terms is None:
            return
        items = terms.items() if isinstance(terms, Mapping) else terms
        for key, coef in items:
            if not isinstance(key, Term):
                key = Term(key)
            _accumulate(self.terms, key, coef)

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def word(cls, word, coef=1.0, field: str | None = None) -> "OperatorPolynomial":
        return cls({Term(word, field): coef})

    @classmethod
    def identity(cls, coef=1.0) -> "OperatorPolynomial":
        return cls.word((), coef)

    @classmethod
    def symbol(cls, symbol: str, coef=1.0) -> "OperatorPolynomial":
        return cls.word((symbol,), coef)

    # -- container protocol -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self):
        return iter(self.terms)

    def __contains__(self, term) -> bool:
        return term in self.terms

    def items(self):
        return self.terms.items()

    def coefficient(self, word, field: str | None = None, default=0.0):
        """Coefficient of ``Term(word, field)`` (``default`` when absent); ``word`` may be "PA"."""
        return self.terms.get(Term(word, field), default)

    def __getitem__(self, term: Term):
        return self.terms[term]

    # -- algebra ------------------------------------------------------------------------------
    def __add__(self, other: "OperatorPolynomial") -> "OperatorPolynomial":
        if not isinstance(other, OperatorPolynomial):
            return NotImplemented
        out = OperatorPolynomial(self.terms)
        for key, coef in other.terms.items():
            _accumulate(out.terms, key, coef)
        return out

    def __neg__(self) -> "OperatorPolynomial":
        return OperatorPolynomial({k: -c for k, c in self.terms.items()})

    def __sub__(self, other: "OperatorPolynomial") -> "OperatorPolynomial":
        if not isinstance(other, OperatorPolynomial):
            return NotImplemented
        return self + (-other)

    def __mul__(self, scalar) -> "OperatorPolynomial":
        if isinstance(scalar, OperatorPolynomial):
            raise TypeError("use @ for the composition of two operator polynomials")
        return OperatorPolynomial({k: c * scalar for k, c in self.terms.items()})

    __rmul__ = __mul__

    def __matmul__(self, other: "OperatorPolynomial") -> "OperatorPolynomial":
        """Composition self o other: word u o word v = u + v (concatenation), coefficients multiply."""
        if not isinstance(other, OperatorPolynomial):
            return NotImplemented
        if any(k.field is not None for k in self.terms):
            raise ValueError("the left factor of a composition must be a bare operator (field None)")
        out: dict[Term, object] = {}
        for k1, c1 in self.terms.items():
            for k2, c2 in other.terms.items():
                _accumulate(out, Term(k1.word + k2.word, k2.field), c1 * c2)
        return OperatorPolynomial(out)

    def compose(self, other: "OperatorPolynomial") -> "OperatorPolynomial":
        return self @ other

    def apply_to(self, field: str) -> "OperatorPolynomial":
        """The bare operator applied to ``field`` ("g" or "rho"); no simplification."""
        if field not in ("g", "rho"):
            raise ValueError(f"field must be 'g' or 'rho', got {field!r}")
        if any(k.field is not None for k in self.terms):
            raise ValueError("apply_to needs a bare operator polynomial (all fields None)")
        return OperatorPolynomial({Term(k.word, field): c for k, c in self.terms.items()})

    def simplify(self, odd_moments_vanish: bool = True) -> "OperatorPolynomial":
        """Apply :func:`reduce_word` to every term and merge equal terms (vanishing words dropped)."""
        out: dict[Term, object] = {}
        for key, coef in self.terms.items():
            word = reduce_word(key.word, key.field, odd_moments_vanish)
            if word is not None:
                _accumulate(out, Term(word, key.field), coef)
        return OperatorPolynomial(out)

    def prune(self, tol: float = 0.0) -> "OperatorPolynomial":
        """Drop terms whose coefficient satisfies max|c| <= tol (tol = 0: exact zeros only)."""
        return OperatorPolynomial(
            {k: c for k, c in self.terms.items() if np.max(np.abs(_to_numpy(c)), initial=0.0) > tol})

    def numeric(self) -> "OperatorPolynomial":
        """A copy with detached coefficients: floats for scalars, numpy arrays for x-dependent ones."""
        out = {}
        for k, c in self.terms.items():
            a = _to_numpy(c)
            out[k] = float(a) if a.size == 1 else a.copy()
        return OperatorPolynomial(out)

    # -- numerical evaluation -----------------------------------------------------------------
    def evaluate(self, ops: Operators, g: torch.Tensor | None = None, rho: torch.Tensor | None = None,
                 u: torch.Tensor | None = None) -> torch.Tensor:
        """sum_terms c * word(field), applying each word's operators right to left.

        ``g`` (..., nv, nx) feeds terms on "g", ``rho`` (..., nx) (lifted) terms on "rho", ``u``
        (..., nv, nx) bare-operator terms. Shared word suffixes are evaluated once per field.
        """
        inputs = {"g": g, "rho": ops.lift(rho) if rho is not None else None, None: u}
        caches: dict = {f: {} for f in inputs}

        def value(word: tuple[str, ...], field):
            cache = caches[field]
            if word not in cache:
                if not word:
                    base = inputs[field]
                    if base is None:
                        name = "u" if field is None else field
                        raise ValueError(f"the polynomial has terms on {name!r}, which was not given")
                    cache[word] = base
                else:
                    cache[word] = ops.apply(word[0], value(word[1:], field))
            return cache[word]

        total = None
        for key, coef in self.terms.items():
            contrib = coef * value(key.word, key.field)
            total = contrib if total is None else total + contrib
        if total is None:  # empty polynomial: the zero operator
            given = [t for t in inputs.values() if t is not None]
            if not given:
                raise ValueError("cannot evaluate an empty polynomial without an input field")
            return torch.zeros_like(given[0])
        return total

    # -- display ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        if not self.terms:
            return "OperatorPolynomial(0)"
        parts = []
        for k, c in self.terms.items():
            a = _to_numpy(c)
            cs = f"{float(a):.6g}" if a.size == 1 else f"[{a.min():.4g}..{a.max():.4g}]"
            parts.append(f"{cs}*{k}")
        return "OperatorPolynomial(" + " + ".join(parts) + ")"


# ==============================================================================================
# 2. Blocks
# ==============================================================================================
def _init_parameter(p: torch.Tensor, init, generator: torch.Generator | None) -> None:
    """Fill ``p`` in place: a number (constant; the authors' notebook used 1.5), "normal"
    (standard normal draws), "abs_normal" (|N(0,1)|, as in the authors' FE/IMEX1 script), "zeros",
    or a callable(tensor) that fills it."""
    with torch.no_grad():
        if callable(init):
            init(p)
        elif isinstance(init, str):
            if init == "zeros":
                p.zero_()
            elif init in ("normal", "abs_normal"):
                p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype))
                if init == "abs_normal":
                    p.abs_()
            else:
                raise ValueError(f"unknown init {init!r}")
        else:
            p.fill_(float(init))


def _resolve_ops(ops, symbols: Sequence[str] | None, n_ops: int) -> list[Callable]:
    """A list of n_ops callables from an :class:`Operators` (needs ``symbols``) or a sequence of callables."""
    if isinstance(ops, Operators):
        if symbols is None:
            raise ValueError("this block has no symbols: pass a sequence of n_ops callables instead")
        return [(lambda u, s=s: ops.apply(s, u)) for s in symbols]
    ops = list(ops)
    if len(ops) != n_ops:
        raise ValueError(f"expected {n_ops} operators, got {len(ops)}")
    return ops


def _combine(row: torch.Tensor, feats: Sequence[torch.Tensor], bias=None, y=None):
    """sum_j row[j] * feats[j] (+ bias * y); row entries are 0-d or (nx,) (broadcast along x)."""
    out = bias * y if bias is not None else None
    for j, f in enumerate(feats):
        term = row[j] * f
        out = term if out is None else out + term
    return out


class _BlockBase(torch.nn.Module):
    """Shared bookkeeping: dictionary symbols, optional x-dependent weights, float64 parameters."""

    def __init__(self, n_ops: int, K: int, symbols: Sequence[str] | None, nx: int | None):
        super().__init__()
        if n_ops < 1:
            raise ValueError(f"need at least one basic operator, got n_ops={n_ops}")
        if K < 0:
            raise ValueError(f"K must be >= 0, got {K}")
        if symbols is not None:
            symbols = tuple(symbols)
            if len(symbols) != n_ops:
                raise ValueError(f"{len(symbols)} symbols given for n_ops={n_ops}")
        self.n_ops, self.K, self.symbols = int(n_ops), int(K), symbols
        self.nx = None if nx is None else int(nx)
        self._spatial = () if nx is None else (int(nx),)

    def _param(self, *shape) -> torch.nn.Parameter:
        return torch.nn.Parameter(torch.zeros(*shape, *self._spatial, dtype=torch.float64))

    def _symbols(self, symbols) -> tuple[str, ...]:
        symbols = self.symbols if symbols is None else tuple(symbols)
        if symbols is None or len(symbols) != self.n_ops:
            raise ValueError("polynomial() needs one symbol per basic operator")
        return symbols

    def _index(self, symbol: str) -> int:
        if self.symbols is None or symbol not in self.symbols:
            raise ValueError(f"the block's dictionary {self.symbols} does not contain {symbol!r}")
        return self.symbols.index(symbol)


class DCRNNBlock(_BlockBase):
    """The paper's densely connected symbolic RNN for one (scale m, block (q, p)), Eqs. (3.6)-(3.9).

    Parameters (all float64; shape gets a trailing (nx,) when ``nx`` is given, Remark 3.3 / Eq. 3.10):

    * ``hidden[k-1]`` = W^{k} in R^{2 x (n + k - 1)}, k = 1..K (row 0 -> C_1, row 1 -> C_2);
    * ``bias[k-1]``   = b^{k} in R^2 (only when ``bias``; the authors' K = 1 script folds it into
      an "I" in the dictionary instead);
    * ``output``      = W^{K+1} in R^{n + K}.

    Layer k: C_r^(k) = sum_j W^k[r-1, j] X_j + b^k_r I over X = [A_1..A_n, B_1..B_{k-1}] and
    B_k = C_1^(k) o C_2^(k) (Eq. 3.7, "composition": applied to u as C_1(C_2(u))); the output is
    F = sum_j W^{K+1}_j X_j over X = [A_1..A_n, B_1..B_K] (last line of Eq. 3.8). K = 0 gives the
    linear dictionary F = sum_j W_j A_j. With x-dependent weights a weight multiplies the field
    after its operator acted (C = sum_j w_j(x) A_j(.)).

    ``forward`` cost: applying B_1..B_k to a fresh field costs 2^k n basic-operator applications
    (the features of each input are computed once and reused by all later layers).
    """

    def __init__(self, n_ops: int, K: int, symbols: Sequence[str] | None = None, bias: bool = True,
                 nx: int | None = None, init=1.5, generator: torch.Generator | None = None):
        super().__init__(n_ops, K, symbols, nx)
        self.hidden = torch.nn.ParameterList([self._param(2, n_ops + k) for k in range(K)])
        self.bias = torch.nn.ParameterList([self._param(2) for _ in range(K)]) if bias else None
        self.output = self._param(n_ops + K)
        for p in self.parameters():
            _init_parameter(p, init, generator)

    # -- numerical application ----------------------------------------------------------------
    def _features(self, y, ops: Sequence[Callable], depth: int, base=None) -> list[torch.Tensor]:
        """[A_1 y, ..., A_n y, B_1 y, ..., B_depth y]."""
        feats = list(base) if base is not None else [op(y) for op in ops]
        for k in range(depth):
            W = self.hidden[k]
            b = self.bias[k] if self.bias is not None else (None, None)
            z = _combine(W[1], feats, b[1], y)  # C_2^(k+1) y; feats holds the n + k inputs of layer k+1
            fz = self._features(z, ops, k)  # [A_j z, B_1 z .. B_k z]
            feats.append(_combine(W[0], fz, b[0], z))  # B_{k+1} y = C_1(C_2 y)
        return feats

    def forward(self, u: torch.Tensor, ops, base: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """F(u) for a kinetic field u (..., nv, nx).

        ``ops`` is an :class:`Operators` (the block's ``symbols`` name the dictionary) or a sequence
        of n_ops callables A_j. ``base`` may hold precomputed [A_1 u, ..., A_n u] (shared between the
        orders m of a multiscale model).
        """
        ops = _resolve_ops(ops, self.symbols, self.n_ops)
        return _combine(self.output, self._features(u, ops, self.K, base))

    # -- symbolic expansion -------------------------------------------------------------------
    def polynomial(self, symbols: Sequence[str] | None = None, simplify: bool = True,
                   odd_moments_vanish: bool = True) -> OperatorPolynomial:
        """The operator this block represents, expanded as a polynomial in the basic operators.

        For K = 1 and dictionary (A_1, A_2) this is Eq. (3.11) with C_1 = w_{1,1}A_1 + w_{1,2}A_2 +
        b_1 I, C_2 = w_{2,1}A_1 + w_{2,2}A_2 + b_2 I:
        w_3 b_1 b_2 I + (w_1 + w_3(w_{1,1}b_2 + b_1 w_{2,1})) A_1 + (w_2 + w_3(w_{1,2}b_2 + b_1 w_{2,2})) A_2
        + w_3 sum_{i,j} w_{1,i}w_{2,j} A_i o A_j. (The paper prints b_1 w_{2,1} in the A_2 coefficient,
        a typo, reference facts Sect. 3.2.) With ``simplify`` the field-independent rules of
        :func:`reduce_word` are applied after every composition (I dropped, P o P = P, and with
        ``odd_moments_vanish`` P o A^odd o P = 0); with ``simplify=False`` the raw expansion is kept
        (the dictionary's "I" stays a separate symbol from the bias identity, as in Eq. 3.11).
        For x-dependent weights the coefficients are (nx,) tensors in the *frozen-coefficient*
        sense (weights treated as commuting with the operators); exact only for x-constant weights.
        """
        symbols = self._symbols(symbols)
        simp = (lambda p: p.simplify(odd_moments_vanish)) if simplify else (lambda p: p)
        feats = [OperatorPolynomial.symbol(s) for s in symbols]
        for k in range(self.K):
            W = self.hidden[k]
            rows = []
            for r in range(2):
                c = OperatorPolynomial()
                for j, f in enumerate(feats):
                    c = c + f * W[r, j]
                if self.bias is not None:
                    c = c + OperatorPolynomial.identity(self.bias[k][r])
                rows.append(c)
            feats.append(simp(rows[0] @ rows[1]))
        out = OperatorPolynomial()
        for j, f in enumerate(feats):
            out = out + f * self.output[j]
        return simp(out)

    # -- exact initialisation -----------------------------------------------------------------
    def _set_exact(self, kind: str, scale: float) -> None:
        """Zero everything, then F = scale (-A + P o A) ("g") or F = scale (-A) ("rho") or scale I ("I")."""
        with torch.no_grad():
            for p in self.parameters():
                p.zero_()
            if kind == "g":
                if self.K < 1:
                    raise ValueError("<v d_x g> = P o A needs at least one composition layer (K >= 1)")
                iA, iP = self._index("A"), self._index("P")
                self.hidden[0][0, iP] = 1.0  # C_1 = P
                self.hidden[0][1, iA] = 1.0  # C_2 = A
                self.output[iA] = -scale
                self.output[self.n_ops] = scale  # B_1 = P o A
            elif kind == "rho":
                self.output[self._index("A")] = -scale
            elif kind == "I":
                self.output[self._index("I")] = scale
            else:
                raise ValueError(kind)


class RecurrentBlock(_BlockBase):
    """The K-layer "linear recurrent" network of the authors' IMEX-BDF-2 notebook (facts Sect. 3.3).

    No bias. With h_0 = u and the dictionary (A_1..A_n):

        h_k = sum_{i=0}^{k-1} sum_j W^k[i, j] A_j h_i,   k = 1..K      (W^k in R^{k x n})
        F   = sum_{i=0}^{K}   sum_j W^{K+1}[i, j] A_j h_i                (W^{K+1} in R^{(K+1) x n})

    For the notebook's g-net use the dictionary ("A", "P") with K = 2 (weight rows of length
    2, 4, 6 there, flattened i-major); for its rho-net ("A",). ``hidden[k-1]`` = W^k,
    ``output`` = W^{K+1}; an optional trailing (nx,) makes the weights x-dependent.
    """

    def __init__(self, n_ops: int, K: int, symbols: Sequence[str] | None = None, nx: int | None = None,
                 init=1.5, generator: torch.Generator | None = None):
        super().__init__(n_ops, K, symbols, nx)
        self.hidden = torch.nn.ParameterList([self._param(k + 1, n_ops) for k in range(K)])
        self.output = self._param(K + 1, n_ops)
        for p in self.parameters():
            _init_parameter(p, init, generator)

    def forward(self, u: torch.Tensor, ops, base: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """F(u) for u (..., nv, nx); ``ops`` and ``base`` as in :meth:`DCRNNBlock.forward`."""
        ops = _resolve_ops(ops, self.symbols, self.n_ops)
        feats = [list(base) if base is not None else [op(u) for op in ops]]  # feats[i][j] = A_j h_i
        for k in range(self.K):
            h = sum(_combine(self.hidden[k][i], feats[i]) for i in range(k + 1))
            feats.append([op(h) for op in ops])
        return sum(_combine(self.output[i], feats[i]) for i in range(self.K + 1))

    def polynomial(self, symbols: Sequence[str] | None = None, simplify: bool = True,
                   odd_moments_vanish: bool = True) -> OperatorPolynomial:
        """Expansion of F as a polynomial in the basic operators (see :meth:`DCRNNBlock.polynomial`)."""
        symbols = self._symbols(symbols)
        simp = (lambda p: p.simplify(odd_moments_vanish)) if simplify else (lambda p: p)
        ops = [OperatorPolynomial.symbol(s) for s in symbols]
        feats = [[op for op in ops]]  # A_j o H_0, H_0 = I
        for k in range(self.K):
            H = OperatorPolynomial()
            for i in range(k + 1):
                for j in range(self.n_ops):
                    H = H + feats[i][j] * self.hidden[k][i, j]
            H = simp(H)
            feats.append([simp(op @ H) for op in ops])
        out = OperatorPolynomial()
        for i in range(self.K + 1):
            for j in range(self.n_ops):
                out = out + feats[i][j] * self.output[i, j]
        return simp(out)

    def _set_exact(self, kind: str, scale: float) -> None:
        with torch.no_grad():
            for p in self.parameters():
                p.zero_()
            if kind == "g":
                if self.K < 1:
                    raise ValueError("<v d_x g> = P o A needs K >= 1")
                iA, iP = self._index("A"), self._index("P")
                self.hidden[0][0, iA] = 1.0  # h_1 = A u
                self.output[0, iA] = -scale  # -A u
                self.output[1, iP] = scale  # P h_1 = P A u
            elif kind == "rho":
                self.output[0, self._index("A")] = -scale
            elif kind == "I":
                self.output[0, self._index("I")] = scale
            else:
                raise ValueError(kind)


# ==============================================================================================
# 3. The multiscale ansatz
# ==============================================================================================
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

    def __init__(self, dictionary_g: Sequence[str] | None = ("I", "A", "P"),
                 dictionary_rho: Sequence[str] | None = ("I", "A"), K: int = 1, M: int = 2,
                 eps_range: tuple[float, float] | None = None, learn_relaxation: bool = True, init=1.5, *,
                 operators: Operators | None = None, block: str = "paper", bias: bool = True,
                 spatial_weights: int | None = None, relaxation_nx: int | None = None,
                 fixed_relaxation=None, w_eps_init: float = 1.0, w_s_init: float = 1.0,
                 seed: int | None = None, equation: str = "g"):
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
                blocks = [DCRNNBlock(len(symbols), K, symbols, bias=bias, nx=spatial_weights, init=init,
                                     generator=gen) for _ in range(M + 1)]
            else:
                blocks = [RecurrentBlock(len(symbols), K, symbols, nx=spatial_weights, init=init,
                                         generator=gen) for _ in range(M + 1)]
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

    def explicit_rhs(self, g: torch.Tensor, rho: torch.Tensor, ops: Operators | None = None,
                     method: str = "auto") -> torch.Tensor:
        """F(g, rho) of Eq. (3.5), without the relaxation term; units [g]/[t].

        g: (..., nv, nx), rho: (..., nx) (leading dims broadcast, e.g. a stack of snapshots). Returns
        (..., nv, nx), or (..., nx) for ``equation="rho"``. ``method="network"`` applies the blocks
        to the fields (exact for x-dependent weights; basic features of g and rho computed once and
        shared by all orders); ``method="polynomial"`` evaluates the assembled polynomial of
        :meth:`coefficients` word by word (scalar weights only; equal to rounding for the centred
        stencil). The polynomial route shares every word between the orders m and both blocks and
        was 5-20x faster on CPU for K = 1, 2 (55 x 16 x 1000 snapshots); ``"auto"`` (default) takes
        it when all weights are x-independent, the network route otherwise.
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

    def rhs(self, g: torch.Tensor, rho: torch.Tensor, ops: Operators | None = None,
            method: str = "auto") -> torch.Tensor:
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
        return [p for blocks in (self.blocks_g, self.blocks_rho) if blocks is not None
                for p in blocks[m].parameters()]

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


# ==============================================================================================
# 4. Coefficient read-out: the four physical terms, printed form, Error%
# ==============================================================================================
#: The four terms of the g-equation shown in the paper's tables, in the tables' order.
PHYSICAL_TERMS: dict[str, Term] = {
    "g": Term((), "g"),
    "v d_x g": Term(("A",), "g"),
    "<v d_x g>": Term(("P", "A"), "g"),
    "v d_x rho": Term(("A",), "rho"),
}


def exact_g_coefficients(eps: float, sigma_s: float = 1.0) -> dict[str, float]:
    """Exact true-sign coefficients of Eq. (2.5) with sigma_A = 0: -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2."""
    return {"g": -sigma_s / eps**2, "v d_x g": -1.0 / eps, "<v d_x g>": 1.0 / eps, "v d_x rho": -1.0 / eps**2}


def physical_coefficients(poly) -> dict[str, float | np.ndarray]:
    """The four table coefficients of a g-equation polynomial (0.0 when absent).

    ``poly`` is an :class:`OperatorPolynomial` (simplified, so that e.g. the dictionary's "I" and
    the relaxation are merged on the word () of g) or a mapping with the keys of :data:`PHYSICAL_TERMS`.
    """
    out = {}
    for name, term in PHYSICAL_TERMS.items():
        c = poly.terms.get(term, 0.0) if isinstance(poly, OperatorPolynomial) else poly.get(name, 0.0)
        a = _to_numpy(c)
        out[name] = float(a) if a.size == 1 else a.copy()
    return out


def coefficient_differences(poly, eps: float, sigma_s: float = 1.0) -> dict[str, dict[str, float]]:
    """Per physical term: learned, exact, difference = learned - exact (true-sign convention)."""
    learned = physical_coefficients(poly)
    exact = exact_g_coefficients(eps, sigma_s)
    return {k: {"learned": learned[k], "exact": exact[k], "difference": learned[k] - exact[k]} for k in exact}


def error_percent(poly, eps: float, sigma_s: float = 1.0) -> float:
    """Error% of the tables (formula (6.2), reference facts Sect. 3.6), signs ignored:

        100 * sum_k | |c_k^pred| - |c_k^exact| | / sum_k |c_k^exact|,

    over g, v d_x g, <v d_x g>, v d_x rho; with sigma_S = 1 the denominator is 2/eps^2 + 2/eps.
    """
    learned = physical_coefficients(poly)
    exact = exact_g_coefficients(eps, sigma_s)
    for k, c in learned.items():
        if np.ndim(c):
            raise ValueError(f"coefficient of {k!r} is x-dependent; Error% is defined for constants")
    num = sum(abs(abs(learned[k]) - abs(exact[k])) for k in exact)
    den = sum(abs(c) for c in exact.values())
    return 100.0 * num / den


def _magnitude_label(mag: float, inv_eps: float, power: int, prefactor: float = 1.0) -> str:
    n = round(inv_eps)
    if abs(inv_eps - n) <= 1e-9 * inv_eps:
        base = f"{n}^{power}" if power > 1 else f"{n}"
        return base if prefactor == 1.0 else f"{prefactor:g}*{base}"
    return f"{mag:.6g}"


def format_equation(poly, eps: float, sigma_s: float = 1.0, digits: int = 3, others: str = "ellipsis",
                    lhs: str | None = "d_t g") -> str:
    """The paper's printed form (Eq. 6.1) of a learned g-equation, e.g. for eps = 1/16

        d_t g = -(16^2 + 8.360e-02) g - (16 + 2.052e-01) v d_x g + (16 + 2.066e-01) <v d_x g>
                - (16^2 - 1.145e-01) v d_x rho + ...

    Each physical term is printed as s (|exact| +- d) with s = sign(exact) and
    d = s (learned - exact), so the printed expression equals the learned coefficient exactly
    (the paper's tables are loose about this sign; facts Sect. 3.5). x-dependent coefficients are
    printed as their [min, max]. ``others``: "ellipsis" appends "+ ..." when further nonzero
    terms exist, "full" lists them with their coefficients, "none" omits them.
    """
    if others not in ("ellipsis", "full", "none"):
        raise ValueError(f"others must be 'ellipsis', 'full' or 'none', got {others!r}")
    learned = physical_coefficients(poly)
    exact = exact_g_coefficients(eps, sigma_s)
    inv = 1.0 / eps
    labels = {"g": _magnitude_label(abs(exact["g"]), inv, 2, sigma_s),
              "v d_x g": _magnitude_label(inv, inv, 1), "<v d_x g>": _magnitude_label(inv, inv, 1),
              "v d_x rho": _magnitude_label(inv**2, inv, 2)}
    pieces = []
    for k, ex in exact.items():
        s = 1.0 if ex > 0 else -1.0
        c = learned[k]
        if np.ndim(c):
            body = f"[{np.min(c):.{digits}e}, {np.max(c):.{digits}e}]"
            pieces.append(("+", f"{body} {k}"))
            continue
        d = s * (c - ex)
        body = f"({labels[k]} {'+' if d >= 0 else '-'} {abs(d):.{digits}e})"
        pieces.append(("+" if s > 0 else "-", f"{body} {k}"))
    if isinstance(poly, OperatorPolynomial) and others != "none":
        rest = [(t, c) for t, c in poly.numeric().prune().items() if t not in PHYSICAL_TERMS.values()]
        if rest and others == "ellipsis":
            pieces.append(("+", "..."))
        elif rest:
            rest.sort(key=lambda tc: -float(np.max(np.abs(tc[1]))))
            for t, c in rest:
                if np.ndim(c):
                    pieces.append(("+", f"[{np.min(c):.{digits}e}, {np.max(c):.{digits}e}] {t}"))
                else:
                    pieces.append(("+" if c >= 0 else "-", f"{abs(c):.{digits}e} {t}"))
    text = ""
    for i, (sign, body) in enumerate(pieces):
        if i == 0:
            text = ("-" if sign == "-" else "") + body
        else:
            text += f" {sign} {body}"
    return f"{lhs} = {text}" if lhs else text

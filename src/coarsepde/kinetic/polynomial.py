"""Symbolic operator polynomials: the words a DC-RNN block expands into.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".

:class:`Term`, :class:`OperatorPolynomial`. A *word* is a
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

Units: with x in units of the domain length and t in time units, a coefficient of a word with
a A's and d D's has units [t]^-1 [x]^(a + 2d).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from coarsepde.kinetic.operators import Operators

__all__ = ["Term", "OperatorPolynomial", "reduce_word", "as_numpy"]

# Operators that commute with multiplication by v (functions of x only): they keep a function's
# v-dependence unchanged in the simplification rules.
_V_INDEPENDENT = frozenset({"D"})
_FIELDS = (None, "g", "rho")


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


def as_numpy(c) -> np.ndarray:
    """A coefficient (float or torch tensor) as a float64 numpy array (detached, on the CPU)."""
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
    def word(cls, word, coef=1.0, field: str | None = None) -> OperatorPolynomial:
        return cls({Term(word, field): coef})

    @classmethod
    def identity(cls, coef=1.0) -> OperatorPolynomial:
        return cls.word((), coef)

    @classmethod
    def symbol(cls, symbol: str, coef=1.0) -> OperatorPolynomial:
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
    def __add__(self, other: OperatorPolynomial) -> OperatorPolynomial:
        if not isinstance(other, OperatorPolynomial):
            return NotImplemented
        out = OperatorPolynomial(self.terms)
        for key, coef in other.terms.items():
            _accumulate(out.terms, key, coef)
        return out

    def __neg__(self) -> OperatorPolynomial:
        return OperatorPolynomial({k: -c for k, c in self.terms.items()})

    def __sub__(self, other: OperatorPolynomial) -> OperatorPolynomial:
        if not isinstance(other, OperatorPolynomial):
            return NotImplemented
        return self + (-other)

    def __mul__(self, scalar) -> OperatorPolynomial:
        if isinstance(scalar, OperatorPolynomial):
            raise TypeError("use @ for the composition of two operator polynomials")
        return OperatorPolynomial({k: c * scalar for k, c in self.terms.items()})

    __rmul__ = __mul__

    def __matmul__(self, other: OperatorPolynomial) -> OperatorPolynomial:
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

    def compose(self, other: OperatorPolynomial) -> OperatorPolynomial:
        return self @ other

    def apply_to(self, field: str) -> OperatorPolynomial:
        """The bare operator applied to ``field`` ("g" or "rho"); no simplification."""
        if field not in ("g", "rho"):
            raise ValueError(f"field must be 'g' or 'rho', got {field!r}")
        if any(k.field is not None for k in self.terms):
            raise ValueError("apply_to needs a bare operator polynomial (all fields None)")
        return OperatorPolynomial({Term(k.word, field): c for k, c in self.terms.items()})

    def simplify(self, odd_moments_vanish: bool = True) -> OperatorPolynomial:
        """Apply :func:`reduce_word` to every term and merge equal terms (vanishing words dropped)."""
        out: dict[Term, object] = {}
        for key, coef in self.terms.items():
            word = reduce_word(key.word, key.field, odd_moments_vanish)
            if word is not None:
                _accumulate(out, Term(word, key.field), coef)
        return OperatorPolynomial(out)

    def prune(self, tol: float = 0.0) -> OperatorPolynomial:
        """Drop terms whose coefficient satisfies max|c| <= tol (tol = 0: exact zeros only)."""
        return OperatorPolynomial(
            {k: c for k, c in self.terms.items() if np.max(np.abs(as_numpy(c)), initial=0.0) > tol}
        )

    def numeric(self) -> OperatorPolynomial:
        """A copy with detached coefficients: floats for scalars, numpy arrays for x-dependent ones."""
        out = {}
        for k, c in self.terms.items():
            a = as_numpy(c)
            out[k] = float(a) if a.size == 1 else a.copy()
        return OperatorPolynomial(out)

    # -- numerical evaluation -----------------------------------------------------------------
    def evaluate(
        self,
        ops: Operators,
        g: torch.Tensor | None = None,
        rho: torch.Tensor | None = None,
        u: torch.Tensor | None = None,
    ) -> torch.Tensor:
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
            a = as_numpy(c)
            cs = f"{float(a):.6g}" if a.size == 1 else f"[{a.min():.4g}..{a.max():.4g}]"
            parts.append(f"{cs}*{k}")
        return "OperatorPolynomial(" + " + ".join(parts) + ")"

"""The structure of the DC-RNN words on the centred operators: every word is a full field or a rank-one field.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Sects. 3.1, 4).
With the centred advection A = v D (D the v-independent centred difference, (h_{j+1} - h_{j-1}) / (2 dx)) and the
projection P = <.> (lifted along v), a simplified word (:func:`~coarsepde.kinetic.polynomial.reduce_word`) acting on
the data is one of

* ``Full(k)``: A^k g = v^k D^k g, a full (nv, nx) field per snapshot (no P in the word);
* ``Rank1(a, base, e, moments)``: v^a (x) [prod_j mu_j] D^e B, a v-power times an x-field, where B is the moment
  field <A^k0 g> (``base = ("g", k0)``) or rho (``base = ("rho", 0)``), and mu_j = <v^j> are the quadrature moments
  of the P segments the word passes through. A word on rho is always rank one (rho is v-independent).

A residual of the fitting schemes is then sum_q theta_q (full array q) + sum_p beta_p v^{a_p} (x) (x-array f_p):
only the words A^k g cost a full array, everything that passed through P costs an x-array (16x smaller).
:class:`Layout` collects the arrays a set of fits needs (each a stencil over the window's snapshots) and the pairs
p = (v-power a_p, x-array f_p) they are used in, and computes the arrays from the data once.

Units: full arrays in units of g per [x]^k, x-arrays in units of g (or rho) per [x]^e; v dimensionless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.polynomial import Term, reduce_word

__all__ = ["Full", "Rank1", "canonical", "compose", "Layout"]


@dataclass(frozen=True)
class Full:
    """A^k g: v^k D^k g, a full (nv, nx) field."""

    k: int


@dataclass(frozen=True)
class Rank1:
    """v^a (x) [prod_j <v^j>] D^e B, B = <A^k0 g> (base ("g", k0)) or rho (base ("rho", 0))."""

    a: int
    base: tuple[str, int]
    e: int
    moments: tuple[int, ...] = ()


def canonical(term: Term) -> Full | Rank1:
    """The structured form of a simplified word on "g" or "rho" (symbols "A", "P"; "I" is dropped)."""
    if term.field not in ("g", "rho"):
        raise ValueError(f"a word on a field is needed, got {term}")
    syms = [s for s in reversed(term.word) if s != "I"]  # in the order the operators act
    if any(s not in ("A", "P") for s in syms):
        raise ValueError(f"the structured form knows A and P only, got {term}")
    i = 0
    while i < len(syms) and syms[i] == "A":
        i += 1
    k0 = i
    if i == len(syms):
        return Full(k0) if term.field == "g" else Rank1(k0, ("rho", 0), k0)
    # syms[i] == "P": the moment field <A^k0 g>, or <v^k0> D^k0 rho
    if term.field == "g":
        base, e, moments = ("g", k0), 0, []
    else:
        base, e, moments = ("rho", 0), k0, [k0]
    j = 0
    for s in syms[i + 1 :]:
        if s == "A":
            j += 1
        else:  # P after A^j on a v-independent field: <v^j> D^j
            moments.append(j)
            e += j
            j = 0
    return Rank1(j, base, e + j, tuple(moments))


def compose(outer: Sequence[str], inner: Term, odd_moments_vanish: bool = True) -> Term | None:
    """The simplified word ``outer`` o ``inner`` on the inner word's field, or None when it vanishes."""
    w = reduce_word(tuple(outer) + tuple(inner.word), inner.field, odd_moments_vanish)
    return None if w is None else Term(w, inner.field)


def moment(v: torch.Tensor, w: torch.Tensor, j: int) -> torch.Tensor:
    """<v^j> = 1/2 sum_i w_i v_i^j (0-d)."""
    return 0.5 * (w * v**j).sum()


class Layout:
    """The arrays a set of fits on one data set needs, over the windows n = 0 .. N - 1 (``span`` steps each).

    ``full(stencil, k)`` registers sum_i stencil_i A^k g^{n+i} and returns its index; ``rank1(stencil, base, e)``
    registers sum_i stencil_i D^e B^{n+i} and returns its index; ``pair(a, f)`` registers the product v^a (x) X_f.
    :meth:`build` computes them: F (Q, N, nv, nx), X (n_f, N, nx), V (n_a, nv) with V[a] = v^a, and the pairs'
    v-powers ``pa`` and x-arrays ``pf`` (P,).
    """

    def __init__(self, data: FitData, span: int):
        if data.ops.advection != "centered":
            raise ValueError("the structured residuals need the centred advection (A = v D)")
        self.data, self.span = data, int(span)
        self.N = data.T - self.span
        if self.N < 1:
            raise ValueError(f"a window of {span} steps needs more than {data.T} snapshots")
        self.full_keys: list[tuple[tuple[float, ...], int]] = []
        self.x_keys: list[tuple[tuple[float, ...], tuple[str, int], int]] = []
        self.pairs: list[tuple[int, int]] = []
        self.F = self.X = self.V = None

    @staticmethod
    def _index(keys: list, key) -> int:
        if key not in keys:
            keys.append(key)
        return keys.index(key)

    def _stencil(self, stencil) -> tuple[float, ...]:
        s = tuple(float(c) for c in stencil)
        if len(s) != self.span + 1:
            raise ValueError(f"a stencil over {self.span + 1} snapshots is needed, got {s}")
        return s

    def full(self, stencil, k: int) -> int:
        return self._index(self.full_keys, (self._stencil(stencil), int(k)))

    def rank1(self, stencil, base: tuple[str, int], e: int) -> int:
        return self._index(self.x_keys, (self._stencil(stencil), tuple(base), int(e)))

    def pair(self, a: int, f: int) -> int:
        return self._index(self.pairs, (int(a), int(f)))

    @property
    def n_a(self) -> int:
        return 1 + max((a for a, _ in self.pairs), default=0)

    def moment(self, j: int) -> float:
        return float(moment(self.data.ops.v, self.data.ops.w, j))

    def build(self) -> Layout:
        """Compute F, X, V from the data (once; later registrations need another build)."""
        data, ops, N = self.data, self.data.ops, self.N
        kmax = max([k for _, k in self.full_keys] + [b[1] for _, b, _ in self.x_keys if b[0] == "g"] + [0])
        powers = [data.g]  # A^k g on every snapshot
        for _ in range(kmax):
            powers.append(ops.advect(powers[-1]))
        bases: dict[tuple[str, int], list[torch.Tensor]] = {}

        def dpow(base, e):  # D^e B on every snapshot, cached by (base, e)
            chain = bases.setdefault(base, [data.rho if base[0] == "rho" else ops.average(powers[base[1]])])
            while len(chain) <= e:
                h = chain[-1]
                chain.append((torch.roll(h, -1, dims=-1) - torch.roll(h, 1, dims=-1)) / (2.0 * ops.dx))
            return chain[e]

        def window(field, stencil):  # sum_i s_i field[n + i] (the order of FeatureLoss)
            return sum(c * field[i : i + N] for i, c in enumerate(stencil) if c != 0.0)

        F = [window(powers[k], s) for s, k in self.full_keys]
        X = [window(dpow(b, e), s) for s, b, e in self.x_keys]
        nv, nx = data.g.shape[1:]
        self.F = torch.stack(F).contiguous() if F else torch.zeros(0, N, nv, nx, dtype=data.g.dtype)
        self.X = torch.stack(X).contiguous() if X else torch.zeros(0, N, nx, dtype=data.g.dtype)
        self.V = torch.stack([ops.v**a for a in range(self.n_a)]).contiguous()
        self.pa = torch.tensor([a for a, _ in self.pairs], dtype=torch.long)
        self.pf = torch.tensor([f for _, f in self.pairs], dtype=torch.long)
        return self

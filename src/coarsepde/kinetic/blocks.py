"""DC-RNN blocks: one small network per (scale m, block (q, p)) of the multiscale ansatz (3.5).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".

* :class:`DCRNNBlock`, the paper's network, Eqs. (3.6)-(3.9) and Fig. 1: layer k forms two
  operators C_1^(k), C_2^(k) = W^k [A_1..A_n, B_1..B_{k-1}]^T + b^k I and
  B_k = C_1^(k) o C_2^(k) (composition); output F = W^{K+1} [A_1..A_n, B_1..B_K]^T.
* :class:`RecurrentBlock`, the variant the authors coded in their IMEX-BDF-2 notebook (reference
  facts Sect. 3.3): no bias; hidden fields h_k = sum_j W^k[0,j] A_j u + sum_{i=1}^{k-1} sum_j
  W^k[i,j] A_j h_i, output sum over all A_j h_i (h_0 = u).

Both apply to fields by applying the basic operators to fields (never forming matrices) and
return their expansion as an :class:`~coarsepde.kinetic.polynomial.OperatorPolynomial` (``polynomial()``).

Weights are dimensionless float64 parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from coarsepde.kinetic.operators import Operators
from coarsepde.kinetic.polynomial import OperatorPolynomial

__all__ = ["DCRNNBlock", "RecurrentBlock"]


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

    def __init__(
        self,
        n_ops: int,
        K: int,
        symbols: Sequence[str] | None = None,
        bias: bool = True,
        nx: int | None = None,
        init=1.5,
        generator: torch.Generator | None = None,
    ):
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
    def polynomial(
        self, symbols: Sequence[str] | None = None, simplify: bool = True, odd_moments_vanish: bool = True
    ) -> OperatorPolynomial:
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

    def __init__(
        self,
        n_ops: int,
        K: int,
        symbols: Sequence[str] | None = None,
        nx: int | None = None,
        init=1.5,
        generator: torch.Generator | None = None,
    ):
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

    def polynomial(
        self, symbols: Sequence[str] | None = None, simplify: bool = True, odd_moments_vanish: bool = True
    ) -> OperatorPolynomial:
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

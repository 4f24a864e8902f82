"""Fast path of the DC-RNN fits: the loss of a linear multistep scheme from precomputed word features.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Sect. 5.2).
For the linear multistep schemes (FE, BE, IMEX1, IMEX-BDF-q) and
x-independent weights, the residual is linear in the coefficients c_w of the words of the assembled
operator polynomial:

    K^n = Y^n - dt sum_w c_w Psi_w^n + dt sigma_hat Z^n,
    Y^n = sum_i a_i g^{n+i},  Psi_w^n = sum_i c_i w(g, rho)^{n+i},  Z^n = sum_i s_i g^{n+i},

so the word features Psi_w are computed once and a step costs one evaluation of the coefficients (:class:`CoefficientMap`: the blocks run on coordinate vectors of the
word space, batched over the orders m, instead of the symbolic expansion) plus a (W x N) product (l1), or
only the coefficients and a (W+2)^2 triangular product (l2, all windows). Equal to the direct evaluation
to rounding (tested). ARS(2,2,2) and RK4 use the direct residuals with :class:`MappedModel`.
"""

from __future__ import annotations

import math

import torch

from coarsepde.kinetic.blocks import DCRNNBlock, RecurrentBlock
from coarsepde.kinetic.fitdata import FitData, starts
from coarsepde.kinetic.polynomial import OperatorPolynomial, Term, reduce_word
from coarsepde.kinetic.schemes import get_scheme

__all__ = ["has_spatial_weights", "CoefficientMap", "MappedModel", "r_factor", "FeatureLoss", "zero_model_loss"]

DTYPE = torch.float64


def has_spatial_weights(model) -> bool:
    """True when some block weight is x-dependent (Remark 3.3)."""
    blocks = [b for bl in (model.blocks_g, model.blocks_rho) if bl is not None for b in bl]
    return any(b.nx is not None for b in blocks)


class CoefficientMap:
    """Explicit word coefficients of a g-equation :class:`MultiscaleDCRNN`, batched over the orders m.

    The same numbers as ``model.coefficients()`` (minus the relaxation on the word () of g), computed by
    running the blocks' recursions (Eqs. 3.6-3.9, or the recurrent variant) on coordinate vectors in the
    space of simplified words: a basic operator X acts on a word w (on field f) as the word
    :func:`~coarsepde.kinetic.polynomial.reduce_word` (X + w, f), a fixed 0/1 matrix S_X, and the M + 1 orders
    are stacked into one batch. This replaces the symbolic expansion (thousands of scalar tensor ops for
    K = 2) by a few dozen small batched ones, differentiable.

    ``words`` lists the terms (g words first, then rho words) in the order of the returned vector.
    Scalar (x-independent) weights only.
    """

    def __init__(self, model, odd_moments_vanish: bool | None = None):
        if model.equation != "g":
            raise ValueError("CoefficientMap is for the g-equation")
        if has_spatial_weights(model):
            raise ValueError("CoefficientMap needs x-independent block weights")
        if odd_moments_vanish is None:
            odd_moments_vanish = model.operators.odd_moments_vanish if model.operators is not None else True
        self.odd = bool(odd_moments_vanish)
        self.fields = []
        for field_name, blocks, symbols in (
            ("g", model.blocks_g, model.dictionary_g),
            ("rho", model.blocks_rho, model.dictionary_rho),
        ):
            if blocks is None:
                continue
            blk = blocks[0]
            kind = "paper" if isinstance(blk, DCRNNBlock) else "recurrent"
            if not isinstance(blk, (DCRNNBlock, RecurrentBlock)):
                raise TypeError(f"unsupported block type {type(blk).__name__}")
            depth = 2**blk.K if kind == "paper" else blk.K + 1
            basis, mats = self._word_space(tuple(symbols), field_name, depth)
            self.fields.append(
                {
                    "field": field_name,
                    "blocks": blocks,
                    "kind": kind,
                    "basis": basis,
                    "S": mats,
                    "K": blk.K,
                    "bias": kind == "paper" and blk.bias is not None,
                }
            )
        self.words = [Term(w, f["field"]) for f in self.fields for w in f["basis"]]
        self.M = model.M

    def _word_space(self, symbols, field_name, depth):
        """Basis of the simplified words of length <= depth reachable from () and the operator matrices."""
        basis = [()]
        index = {(): 0}
        frontier = [()]
        for _ in range(depth):
            nxt = []
            for w in frontier:
                for sym in symbols:
                    r = reduce_word((sym,) + w, field_name, self.odd)
                    if r is not None and r not in index:
                        index[r] = len(basis)
                        basis.append(r)
                        nxt.append(r)
            frontier = nxt
        D = len(basis)
        mats = []
        for sym in symbols:
            S = torch.zeros(D, D, dtype=DTYPE)  # column = input word, row = output word
            for j, w in enumerate(basis):
                r = reduce_word((sym,) + w, field_name, self.odd)
                if r is not None:
                    if r not in index:  # longer than the block can produce: never reached
                        continue
                    S[index[r], j] = 1.0
            mats.append(S.T.contiguous())  # row vectors: y @ S^T
        return basis, mats

    @staticmethod
    def _paper_features(y, depth, ST, H, Bs):
        feats = [y @ s for s in ST]
        for k in range(depth):
            W = H[k]  # (B, 2, n + k)
            F = torch.stack(feats, 1)  # (B, n + k, D)
            z = torch.einsum("bl,bld->bd", W[:, 1], F)
            if Bs is not None:
                z = z + Bs[k][:, 1, None] * y
            fz = torch.stack(CoefficientMap._paper_features(z, k, ST, H, Bs), 1)
            nb = torch.einsum("bl,bld->bd", W[:, 0], fz)
            if Bs is not None:
                nb = nb + Bs[k][:, 0, None] * z
            feats.append(nb)
        return feats

    def _field_output(self, f) -> torch.Tensor:
        blocks, ST, K = f["blocks"], f["S"], f["K"]
        B, D = len(blocks), len(f["basis"])
        e0 = torch.zeros(B, D, dtype=DTYPE)
        e0[:, 0] = 1.0
        if f["kind"] == "paper":
            H = [torch.stack([b.hidden[k] for b in blocks]) for k in range(K)]
            Bs = [torch.stack([b.bias[k] for b in blocks]) for k in range(K)] if f["bias"] else None
            out = torch.stack([b.output for b in blocks])  # (B, n + K)
            feats = torch.stack(self._paper_features(e0, K, ST, H, Bs), 1)
            return torch.einsum("bl,bld->bd", out, feats)
        # recurrent: h_0 = u; h_k = sum_{i<k} sum_j W^k[i, j] A_j h_i; F = sum_i sum_j W^{K+1}[i, j] A_j h_i
        feats = [torch.stack([e0 @ s for s in ST], 1)]  # (B, n, D)
        for k in range(K):
            Wk = torch.stack([b.hidden[k] for b in blocks])  # (B, k + 1, n)
            h = sum(torch.einsum("bj,bjd->bd", Wk[:, i], feats[i]) for i in range(k + 1))
            feats.append(torch.stack([h @ s for s in ST], 1))
        out = torch.stack([b.output for b in blocks])  # (B, K + 1, n)
        return sum(torch.einsum("bj,bjd->bd", out[:, i], feats[i]) for i in range(K + 1))

    def __call__(self, model) -> torch.Tensor:
        """The explicit coefficient vector (W,), in the order of ``words``."""
        eps = model.eps_pred()
        scale = torch.stack([eps ** (-m) if m else torch.ones((), dtype=DTYPE) for m in range(self.M + 1)])
        return torch.cat([scale @ self._field_output(f) for f in self.fields])


class MappedModel:
    """Stand-in for a MultiscaleDCRNN in the direct residuals (ARS(2,2,2), RK4): ``explicit_rhs``
    evaluates the word polynomial with the coefficients of a :class:`CoefficientMap` (equal to the
    model's polynomial route to rounding, without the symbolic expansion at every call); the
    coefficients are recomputed at every ``explicit_rhs`` call, so the autograd graph stays current."""

    def __init__(self, model, odd_moments_vanish: bool = True):
        self.model = model
        self.cmap = CoefficientMap(model, odd_moments_vanish)

    def explicit_rhs(self, g, rho, ops=None, method: str = "auto"):
        ops = ops if ops is not None else self.model.operators
        poly = OperatorPolynomial(dict(zip(self.cmap.words, self.cmap(self.model))))
        return poly.evaluate(ops, g=g, rho=rho)

    def relaxation(self):
        return self.model.relaxation()

    def regularizable_parameters(self):
        return self.model.regularizable_parameters()


def r_factor(B: torch.Tensor) -> torch.Tensor:
    """R (k x k) with ||R u||^2 = mean((B u)^2) for B (rows, k), from a QR of the column-scaled B (stable:
    the condition number is not squared as in a Gram matrix; word features differ by many orders)."""
    d = B.norm(dim=0)
    d = torch.where(d > 0, d, torch.ones_like(d))
    R = torch.linalg.qr(B / d, mode="r")[1]
    return R * d[None, :] / math.sqrt(B.shape[0])


class FeatureLoss:
    """Data term (+ <g> = 0 penalty) of a linear multistep fitting scheme from precomputed word features.

    Parameters
    ----------
    model : the MultiscaleDCRNN (g-equation, x-independent weights and relaxation); its word set is
        read here (:class:`CoefficientMap`).
    data : :class:`FitData`.
    scheme : a scheme name or :class:`~coarsepde.kinetic.fitting.Scheme` with a linear stencil.
    norm : "l1" (mean |K|) or "l2" (mean K^2).
    mean_zero : weight mu of the penalty mu ||dt <F(g^n, rho^n)>|| (0: not built).
    x_stride : keep every x_stride-th grid point in the loss (the features are computed on the full grid
        first, so the operators are unchanged). 1 = all points.

    ``self(model, idx=None)`` returns the loss term for the windows ``idx`` (default all); it is
    differentiable in the model parameters. With "l2" and all windows the value is ||R u||^2 (+ mu ||R_0 c||^2)
    with u = (1, -dt c, dt sigma_hat) and the small triangular factors R, R_0 of the feature matrices
    (:func:`r_factor`), so a step costs only the coefficient map; :meth:`reduced_residual` returns the
    vector whose squared norm is that loss (for least-squares solvers).
    """

    def __init__(self, model, data: FitData, scheme, *, norm: str = "l1", mean_zero: float = 0.0, x_stride: int = 1):
        sch = get_scheme(scheme)
        if sch.stencil is None:
            raise ValueError(f"scheme {sch.name!r} is not a linear multistep form; use the direct loss")
        if model.equation != "g":
            raise ValueError("the feature path is for the g-equation")
        if has_spatial_weights(model) or model.relaxation().dim() > 0:
            raise ValueError("the feature path needs x-independent block weights and relaxation")
        if norm not in ("l1", "l2"):
            raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")
        self.scheme, self.norm, self.mean_zero = sch, norm, float(mean_zero)
        self.dt = data.dt
        st = sch.stencil
        ops, g, rho = data.ops, data.g, data.rho
        n = starts(data, st.span)
        xs = slice(None, None, int(x_stride))
        self.cmap = CoefficientMap(model, ops.odd_moments_vanish)
        self.words: list[Term] = list(self.cmap.words)
        with torch.no_grad():
            cols = []
            pbar = []
            for w in self.words:
                phi = OperatorPolynomial({w: 1.0}).evaluate(ops, g=g, rho=rho)  # (T, nv, nx)
                psi = sum(c * phi[n + i] for i, c in enumerate(st.c) if c != 0.0)
                cols.append(psi[..., xs].reshape(len(n), -1))
                if self.mean_zero:
                    pbar.append(ops.average(phi[n])[..., xs])
            self.Psi = torch.stack(cols)  # (W, N, P)
            self.Y = sum(a * g[n + i] for i, a in enumerate(st.a) if a != 0.0)[..., xs].reshape(len(n), -1)
            self.Z = sum(s * g[n + i] for i, s in enumerate(st.s) if s != 0.0)[..., xs].reshape(len(n), -1)
            self.Pbar = torch.stack(pbar) if self.mean_zero else None  # (W, N, nx')
            self.R = self.R0 = None
            if norm == "l2":
                W = len(self.words)
                B = torch.cat([self.Y.reshape(1, -1), self.Psi.reshape(W, -1), self.Z.reshape(1, -1)]).T
                self.R = r_factor(B)
                if self.mean_zero:
                    self.R0 = r_factor(self.Pbar.reshape(W, -1).T)
        self.N = len(n)

    def coefficient_vector(self, model) -> tuple[torch.Tensor, torch.Tensor]:
        """(c, sigma_hat): the explicit word coefficients in ``self.words`` order (:class:`CoefficientMap`)
        and the relaxation; differentiable."""
        return self.cmap(model), model.relaxation()

    def _u(self, c, sig):
        return torch.cat([torch.ones(1, dtype=DTYPE), -self.dt * c, (self.dt * sig).reshape(1)])

    def reduced_residual(self, model) -> torch.Tensor:
        """r with ||r||^2 = the "l2" loss over all windows (W + 2 entries, + W with the <g> = 0 penalty)."""
        if self.R is None:
            raise ValueError("reduced_residual needs norm='l2'")
        c, sig = self.coefficient_vector(model)
        r = self.R @ self._u(c, sig)
        if self.mean_zero:
            r = torch.cat([r, math.sqrt(self.mean_zero) * self.dt * (self.R0 @ c)])
        return r

    def residual(self, model, idx=None) -> torch.Tensor:
        """K (N', P) for the windows ``idx`` (default all), P = nv * nx / x_stride entries per window."""
        c, sig = self.coefficient_vector(model)
        Y, Z = self.Y, self.Z
        if idx is not None:
            idx = torch.as_tensor(idx, dtype=torch.long)
            Y, Z = Y[idx], Z[idx]
        return Y - self.dt * self._combine(c, idx) + (self.dt * sig) * Z

    def _combine(self, c: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
        """sum_w c_w Psi[w, n] (N', P) for the windows ``idx`` (None: all).

        A window's features Psi[:, n] are a strided (W, P) view, so each window is one matrix-vector
        product on the stored tensor: no gathered (W, N', P) copy, which on the Adam batches cost about as
        much as the products themselves (``benchmarks/bench_training.py``). The forward values are bitwise
        those of the einsum over the gathered block; the gradient sums the windows in another order
        (round-off, ~1e-19 here)."""
        if idx is None:
            return torch.einsum("w,wnp->np", c, self.Psi)
        return torch.stack([c @ self.Psi[:, n] for n in idx.tolist()])

    def __call__(self, model, idx=None) -> torch.Tensor:
        if self.norm == "l2" and idx is None:
            r = self.reduced_residual(model)
            return r @ r
        c, sig = self.coefficient_vector(model)
        dt = self.dt
        Y, Z, Pb = self.Y, self.Z, self.Pbar
        if idx is not None:
            idx = torch.as_tensor(idx, dtype=torch.long)
            Y, Z = Y[idx], Z[idx]
            Pb = Pb[:, idx] if Pb is not None else None
        r = Y - dt * self._combine(c, idx) + (dt * sig) * Z
        total = r.abs().mean() if self.norm == "l1" else (r * r).mean()
        if self.mean_zero:
            m = dt * torch.einsum("w,wnx->nx", c, Pb)
            total = total + self.mean_zero * (m.abs().mean() if self.norm == "l1" else (m * m).mean())
        return total


def zero_model_loss(data: FitData, scheme, norm: str = "l1", field: str = "g") -> float:
    """Data loss of the zero model (F = 0, sigma_hat = 0): mean |sum_i a_i g^{n+i}| (or its square), the
    natural scale of the data term (for FE: mean |g^{n+1} - g^n|). For ARS(2,2,2) / RK4: mean |g^{n+1} - g^n|.
    ``field="rho"``: the same for the rho snapshots (rho-equation models)."""
    sch = get_scheme(scheme)
    n = starts(data, sch.span)
    u = data.g if field == "g" else data.rho
    if sch.stencil is not None:
        y = sum(a * u[n + i] for i, a in enumerate(sch.stencil.a) if a != 0.0)
    else:
        y = u[n + 1] - u[n]
    return float(y.abs().mean() if norm == "l1" else (y * y).mean())

"""Training of the DC-RNN g-equation models (Sect. 5.2): Adam, least squares, L-BFGS.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
:func:`fit` minimises the fitting loss of :mod:`coarsepde.kinetic.fitting` (residual of a fitting scheme
+ sparsity + <g> = 0 penalty) over all parameters of a :class:`~coarsepde.kinetic.dcrnn.MultiscaleDCRNN`,
in up to three phases, each optional:

1. Adam, TF defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8; the authors' ``AdamOptimizer()``), full batch
   or the stochastic variant of Sect. 5.2 (``batch_windows`` = N_s random time windows per step);
2. ``lsq_steps``: a trust-region least-squares solve (scipy ``least_squares``, "trf", Jacobian scaling,
   exact Jacobians by autograd) of the l2 data term. For the linear multistep schemes the residual is
   reduced exactly to W + 2 numbers (:meth:`FeatureLoss.reduced_residual`); for ARS(2,2,2) / RK4 it is
   a Gauss-Newton iteration in coefficient space (:func:`_gauss_newton`);
3. torch L-BFGS (strong-Wolfe line search, restarts), on the l1 loss of the paper or on l2, e.g. as an
   L1 polish of the least-squares optimum (the paper's L-BFGS-B, Example 6.10).

Fast path (:class:`FeatureLoss`). For the linear multistep schemes (FE, BE, IMEX1, IMEX-BDF-q) and
x-independent weights, the residual is linear in the coefficients c_w of the words of the assembled
operator polynomial:

    K^n = Y^n - dt sum_w c_w Psi_w^n + dt sigma_hat Z^n,
    Y^n = sum_i a_i g^{n+i},  Psi_w^n = sum_i c_i w(g, rho)^{n+i},  Z^n = sum_i s_i g^{n+i},

so the word features Psi_w are computed once (0.1-0.7 s for 56 x 16 x 1000 snapshots) and a step costs
one evaluation of the coefficients (:class:`CoefficientMap`: the blocks run on coordinate vectors of the
word space, batched over the orders m, instead of the symbolic expansion) plus a (W x N) product (l1), or
only the coefficients and a (W+2)^2 triangular product (l2, all windows). Equal to the direct evaluation
to rounding (tested). ARS(2,2,2) and RK4 use the direct residuals with :class:`MappedModel`.

Measured (CPU, one thread, machine shared, T = 56, nv = 16, nx = 1000): one Adam step (FE, fwd + bwd) costs
110 / 165 ms (K = 1 / 2) through ``model.explicit_rhs``, 20-38 ms on the l1 feature path, 7-16 ms with
8 of 55 windows, 2-8 ms on the reduced l2 path; one ARS(2,2,2) loss evaluation 0.3-0.7 s (all windows),
36-76 ms (11 windows). The least-squares phase reaches the free-coefficient optimum of the model's word set
in 40-70 evaluations (< 2 s) for FE and IMEX1 without identity (K = 1), M = 0 and M = 2, from the authors'
initialisation (1.5); BDF-2 (K = 2) in 70-300 (1-7 s; M = 2 at eps = 1/16 needs ~1500, 20 s); ARS(2,2,2)
(K = 2, warm-started from the BDF-2 fit, 11 windows) in 4 Gauss-Newton steps of 30 (15-20 s). Adam with
lr 1e-3 (l2, full batch) needs 12 500-15 000 steps for M = 2 at eps = 1/256, 1/512 (FE, K = 1); for
M = 0 it is still at 86-95 % Error after 20 000 steps (the paper's non-multiscale failure).

History: a :class:`FitHistory` with the iteration (Adam steps, then least-squares and L-BFGS function
evaluations continuing the count), phase, loss (the objective of that phase: data term + penalties,
unnormalised), and, when the true eps is given, Error% (Eq. 6.2 / facts Sect. 3.6) and eps_pred; plus
wall times.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from coarsepde.kinetic.blocks import DCRNNBlock, RecurrentBlock
from coarsepde.kinetic.polynomial import OperatorPolynomial, Term, reduce_word
from coarsepde.kinetic.scoring import error_percent
from coarsepde.kinetic.fitdata import FitData, starts
from coarsepde.kinetic.losses import continuity_penalty, loss as direct_loss, sparsity_penalty
from coarsepde.kinetic.schemes import get_scheme

__all__ = ["CoefficientMap", "MappedModel", "FeatureLoss", "FitHistory", "fit", "zero_model_loss"]

log_ = logging.getLogger(__name__)
DTYPE = torch.float64


# ---------------------------------------------------------------------------------------------
# Fast path: precomputed word features
# ---------------------------------------------------------------------------------------------
def _spatial(model) -> bool:
    """True when some block weight is x-dependent (Remark 3.3)."""
    blocks = [b for bl in (model.blocks_g, model.blocks_rho) if bl is not None for b in bl]
    return any(b.nx is not None for b in blocks)


class CoefficientMap:
    """Explicit word coefficients of a g-equation :class:`MultiscaleDCRNN`, batched over the orders m.

    The same numbers as ``model.coefficients()`` (minus the relaxation on the word () of g), computed by
    running the blocks' recursions (Eqs. 3.6-3.9, or the recurrent variant) on coordinate vectors in the
    space of simplified words: a basic operator X acts on a word w (on field f) as the word
    :func:`~coarsepde.kinetic.dcrnn.reduce_word` (X + w, f), a fixed 0/1 matrix S_X, and the M + 1 orders
    are stacked into one batch. This replaces the symbolic expansion (thousands of scalar tensor ops for
    K = 2) by a few dozen small batched ones: ~10x faster per training step, differentiable.

    ``words`` lists the terms (g words first, then rho words) in the order of the returned vector.
    Scalar (x-independent) weights only.
    """

    def __init__(self, model, odd_moments_vanish: bool | None = None):
        if model.equation != "g":
            raise ValueError("CoefficientMap is for the g-equation")
        if _spatial(model):
            raise ValueError("CoefficientMap needs x-independent block weights")
        if odd_moments_vanish is None:
            odd_moments_vanish = model.operators.odd_moments_vanish if model.operators is not None else True
        self.odd = bool(odd_moments_vanish)
        self.fields = []
        for field_name, blocks, symbols in (("g", model.blocks_g, model.dictionary_g),
                                            ("rho", model.blocks_rho, model.dictionary_rho)):
            if blocks is None:
                continue
            blk = blocks[0]
            kind = "paper" if isinstance(blk, DCRNNBlock) else "recurrent"
            if not isinstance(blk, (DCRNNBlock, RecurrentBlock)):
                raise TypeError(f"unsupported block type {type(blk).__name__}")
            depth = 2 ** blk.K if kind == "paper" else blk.K + 1
            basis, mats = self._word_space(tuple(symbols), field_name, depth)
            self.fields.append({"field": field_name, "blocks": blocks, "kind": kind, "basis": basis,
                                "S": mats, "K": blk.K, "bias": kind == "paper" and blk.bias is not None})
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
            S = torch.zeros(D, D, dtype=DTYPE)      # column = input word, row = output word
            for j, w in enumerate(basis):
                r = reduce_word((sym,) + w, field_name, self.odd)
                if r is not None:
                    if r not in index:               # longer than the block can produce: never reached
                        continue
                    S[index[r], j] = 1.0
            mats.append(S.T.contiguous())            # row vectors: y @ S^T
        return basis, mats

    @staticmethod
    def _paper_features(y, depth, ST, H, Bs):
        feats = [y @ s for s in ST]
        for k in range(depth):
            W = H[k]                                             # (B, 2, n + k)
            F = torch.stack(feats, 1)                            # (B, n + k, D)
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
            out = torch.stack([b.output for b in blocks])       # (B, n + K)
            feats = torch.stack(self._paper_features(e0, K, ST, H, Bs), 1)
            return torch.einsum("bl,bld->bd", out, feats)
        # recurrent: h_0 = u; h_k = sum_{i<k} sum_j W^k[i, j] A_j h_i; F = sum_i sum_j W^{K+1}[i, j] A_j h_i
        feats = [torch.stack([e0 @ s for s in ST], 1)]          # (B, n, D)
        for k in range(K):
            Wk = torch.stack([b.hidden[k] for b in blocks])       # (B, k + 1, n)
            h = sum(torch.einsum("bj,bjd->bd", Wk[:, i], feats[i]) for i in range(k + 1))
            feats.append(torch.stack([h @ s for s in ST], 1))
        out = torch.stack([b.output for b in blocks])           # (B, K + 1, n)
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


def _r_factor(B: torch.Tensor) -> torch.Tensor:
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
    (:func:`_r_factor`), so a step costs only the coefficient map; :meth:`reduced_residual` returns the
    vector whose squared norm is that loss (for least-squares solvers).
    """

    def __init__(self, model, data: FitData, scheme, *, norm: str = "l1", mean_zero: float = 0.0,
                 x_stride: int = 1):
        sch = get_scheme(scheme)
        if sch.stencil is None:
            raise ValueError(f"scheme {sch.name!r} is not a linear multistep form; use the direct loss")
        if model.equation != "g":
            raise ValueError("the feature path is for the g-equation")
        if _spatial(model) or model.relaxation().dim() > 0:
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
                phi = OperatorPolynomial({w: 1.0}).evaluate(ops, g=g, rho=rho)     # (T, nv, nx)
                psi = sum(c * phi[n + i] for i, c in enumerate(st.c) if c != 0.0)
                cols.append(psi[..., xs].reshape(len(n), -1))
                if self.mean_zero:
                    pbar.append(ops.average(phi[n])[..., xs])
            self.Psi = torch.stack(cols)                                   # (W, N, P)
            self.Y = sum(a * g[n + i] for i, a in enumerate(st.a) if a != 0.0)[..., xs].reshape(len(n), -1)
            self.Z = sum(s * g[n + i] for i, s in enumerate(st.s) if s != 0.0)[..., xs].reshape(len(n), -1)
            self.Pbar = torch.stack(pbar) if self.mean_zero else None      # (W, N, nx')
            self.R = self.R0 = None
            if norm == "l2":
                W = len(self.words)
                B = torch.cat([self.Y.reshape(1, -1), self.Psi.reshape(W, -1), self.Z.reshape(1, -1)]).T
                self.R = _r_factor(B)
                if self.mean_zero:
                    self.R0 = _r_factor(self.Pbar.reshape(W, -1).T)
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


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
@dataclass
class FitHistory:
    """Trace of a :func:`fit` run (lists aligned by record) and its summary."""

    iteration: list[int] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    error: list[float] = field(default_factory=list)
    eps_pred: list[float] = field(default_factory=list)
    adam_seconds: float = 0.0
    lsq_seconds: float = 0.0
    lsq_evaluations: int = 0
    gn_iterations: int = 0
    lbfgs_seconds: float = 0.0
    lbfgs_evaluations: int = 0
    setup_seconds: float = 0.0
    final_loss: float = math.nan
    final_error: float = math.nan
    final_eps_pred: float = math.nan

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _finite_state(params):
    return [p.detach().clone() for p in params]


def _restore(params, state) -> None:
    with torch.no_grad():
        for p, b in zip(params, state):
            p.copy_(b)


class _Reduced(torch.nn.Module):
    """forward() = residual_fn(model) (for torch.func.functional_call)."""

    def __init__(self, model, residual_fn: Callable):
        super().__init__()
        self.model = model
        self._fn = residual_fn

    def forward(self):
        return self._fn(self.model)


def _least_squares(model, residual_fn: Callable, max_nfev: int) -> int:
    """Trust-region reflective least squares (scipy ``least_squares``, x_scale "jac", exact Jacobian by
    vectorised reverse-mode autograd) of the small residual vector ``residual_fn(model)`` over the model's
    trainable parameters, in place; keeps the start if the solve ends non-finite or worse. Returns nfev."""
    from scipy.optimize import least_squares

    wrap = _Reduced(model, residual_fn)
    # (w_eps does not enter an M = 0 model)
    named = [(n, p) for n, p in model.named_parameters()
             if p.requires_grad and not (n == "w_eps" and model.M == 0)]
    shapes = [p.shape for _, p in named]
    sizes = [p.numel() for _, p in named]

    def unflat(x: torch.Tensor) -> dict:
        out, i = {}, 0
        for (n, _), sh, sz in zip(named, shapes, sizes):
            out["model." + n] = x[i:i + sz].reshape(sh)
            i += sz
        return out

    def r_of(x: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(wrap, unflat(x), ())

    def fun(x):
        with torch.no_grad():
            r = r_of(torch.from_numpy(np.asarray(x, dtype=np.float64)))
        r = r.numpy()
        return np.where(np.isfinite(r), r, 1e30)

    def jac(x):
        J = torch.autograd.functional.jacobian(r_of, torch.from_numpy(np.asarray(x, dtype=np.float64)),
                                               vectorize=True)
        J = J.numpy()
        return np.where(np.isfinite(J), J, 0.0)

    x0 = torch.cat([p.detach().flatten() for _, p in named]).numpy()
    f0 = float(np.sum(fun(x0) ** 2))
    sol = least_squares(fun, x0, jac=jac, method="trf", x_scale="jac", max_nfev=max_nfev,
                        xtol=1e-15, ftol=1e-15, gtol=1e-15)
    if np.all(np.isfinite(sol.x)) and float(np.sum(fun(sol.x) ** 2)) < f0:
        with torch.no_grad():
            for (_, p), v in zip(named, unflat(torch.from_numpy(sol.x)).values()):
                p.copy_(v)
    return int(sol.nfev)


class _FixedCoefficients:
    """Model stand-in with given explicit word coefficients c and relaxation s (for Jacobians in c)."""

    def __init__(self, words, c, s):
        self.words, self.c, self.s = words, c, s

    def explicit_rhs(self, g, rho, ops=None, method: str = "auto"):
        return OperatorPolynomial(dict(zip(self.words, self.c))).evaluate(ops, g=g, rho=rho)

    def relaxation(self):
        return self.s


#: memory allowed for one batched tangent array of the forward-mode Jacobian (rows x tangents x 8 bytes)
JVP_BATCH_BYTES = 64 * 2**20


def _residual_and_jacobian(r_of: Callable, z0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(r(z0), J = dr/dz (rows, dim z)) by forward-mode AD, the dim z tangents batched through ``vmap``.

    One JVP per coordinate, run in turn, pays torch.func's per-op cost of forward-mode AD once per
    coordinate (in this torch, elementwise ops go through Python decompositions, ~0.4 ms each); batched,
    every op runs once per chunk of tangents: 4.3x faster on the ARS(2,2,2) fits, with columns bitwise
    equal to the one-at-a-time JVPs. Tangents are chunked so a batched array stays under
    :data:`JVP_BATCH_BYTES`."""
    with torch.no_grad():
        r0 = r_of(z0).detach()
    p = z0.numel()
    chunk = max(1, min(p, int(JVP_BATCH_BYTES // max(1, r0.numel() * r0.element_size()))))
    with warnings.catch_warnings():    # torch-internal: torch.func registers jvp decompositions
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
        J = torch.func.vmap(lambda e: torch.func.jvp(r_of, (z0,), (e,))[1], out_dims=1,
                            chunk_size=chunk)(torch.eye(p, dtype=z0.dtype))
    return r0, J.detach()


def _gauss_newton(model, data: FitData, sch, *, iterations: int, inner_nfev: int, idx=None,
                  scheme_kw: dict | None = None, log=None) -> tuple[int, int]:
    """Gauss-Newton in coefficient space for a scheme that is nonlinear in F (ARS(2,2,2), RK4), l2 loss.

    The residual depends on the parameters only through z = (explicit word coefficients c, sigma_hat).
    Each outer iteration linearises it at z_0: r(z) ~ r_0 + J (z - z_0), J by forward-mode AD (one JVP per
    word, batched: :func:`_residual_and_jacobian`), reduces the linear model to a small triangular factor R
    of [r_0, J] (:func:`_r_factor`), and fits the parameters to it with the trust-region solver
    (:func:`_least_squares`, at most ``inner_nfev`` evaluations), plus a Levenberg term sqrt(lam) D (z - z_0)
    (D = column norms of J) that is raised tenfold while the true loss does not decrease. Returns (outer
    iterations done, inner evaluations).
    """
    kw = dict(scheme_kw or {})
    cmap = CoefficientMap(model, data.ops.odd_moments_vanish)
    words = cmap.words
    learn_s = model.w_s is not None
    W = len(words)

    def split(z):
        return z[:W], (z[W] if learn_s else model.relaxation().detach())

    def r_of(z):
        c, s_ = split(z)
        return sch.residual(_FixedCoefficients(words, c, s_), data, idx=idx, **kw).reshape(-1)

    def z_of(m):
        c = cmap(m)
        return torch.cat([c, m.relaxation().reshape(1)]) if learn_s else c

    def true_loss():
        with torch.no_grad():
            r = r_of(z_of(model))
        return float((r * r).mean()) if torch.isfinite(r).all() else math.inf

    params = [p for p in model.parameters() if p.requires_grad]
    nfev = 0
    lam = 0.0
    current = true_loss()
    done = 0
    for _ in range(int(iterations)):
        with torch.no_grad():
            z0 = z_of(model).detach()
        r0, J = _residual_and_jacobian(r_of, z0)
        B = torch.cat([r0[:, None], J], 1)                    # (rows, 1 + dim z)
        R = _r_factor(B)
        D = J.norm(dim=0) / math.sqrt(B.shape[0])
        start = _finite_state(params)
        improved = False
        for _attempt in range(6):
            lam_now = lam

            def reduced(m, R=R, z0=z0, lam_now=lam_now):
                dz = z_of(m) - z0
                r = R @ torch.cat([torch.ones(1, dtype=DTYPE), dz])
                if lam_now > 0:
                    r = torch.cat([r, math.sqrt(lam_now) * D * dz])
                return r

            nfev += _least_squares(model, reduced, inner_nfev)
            new = true_loss()
            if new < current:
                improved = True
                lam = lam / 10.0 if lam > 1e-6 else 0.0
                break
            _restore(params, start)
            lam = 1e-3 if lam == 0.0 else 10.0 * lam
        done += 1
        if log:
            log(f"[{sch.name}] gauss-newton {done}: l2 loss {current:.6e} -> {min(new, current):.6e}")
        if not improved:
            break
        rel = (current - new) / current
        current = new
        if rel < 1e-6:
            break
    return done, nfev


def fit(model, data: FitData, scheme, *, adam_steps: int = 0, lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999), lsq_steps: int = 300, gn_iterations: int = 4,
        lbfgs_steps: int = 0, norm: str = "l1",
        lbfgs_norm: str | tuple[str, ...] | None = None, lbfgs_restarts: int = 2, sparsity: float = 0.0,
        mean_zero: float = 0.0, sparsity_reduction: str = "sum", continuity: float = 0.0, seed: int = 0,
        batch_windows: int | None = None, windows=None, eps_true: float | None = None,
        sigma_s: float = 1.0, history_every: int = 100, log: Callable[[str], None] | bool | None = None,
        fast: bool | None = None, x_stride: int = 1, rho_model=None, lbfgs_history: int = 50,
        scheme_kw: dict | None = None) -> FitHistory:
    """Adam, least squares, then L-BFGS on the fitting loss of ``scheme``; updates ``model`` (and
    ``rho_model``) in place. The defaults are the least-squares phase alone (see the module docstring).

    Parameters
    ----------
    model : MultiscaleDCRNN (g-equation).  data : :class:`FitData`.  scheme : name or Scheme.
    adam_steps, lr, betas : Adam (TF defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8); 0 skips Adam.
    lsq_steps : after Adam, at most this many residual evaluations of a trust-region least-squares solve
        (scipy ``least_squares``, method "trf", x_scale "jac", exact Jacobian by autograd) of the l2 data
        term (+ the l2 <g> = 0 penalty; not the sparsity term) in its reduced form
        (:meth:`FeatureLoss.reduced_residual`). For the schemes nonlinear in F (ARS(2,2,2), RK4) it is the
        inner budget of each of at most ``gn_iterations`` Gauss-Newton steps in coefficient space
        (:func:`_gauss_newton`; on the ``windows`` if given). 0 skips it.
    lbfgs_steps : L-BFGS iterations per run (at most 1.25x as many loss evaluations); 0 skips L-BFGS.
    norm : data-term norm of the Adam phase ("l1", the paper's choice, or "l2").
    lbfgs_norm : norm of the L-BFGS phase, or a sequence of norms run one after the other, e.g.
        ("l2", "l1"): the smooth least-squares problem first (cheap in its reduced form on the fast
        path), then the paper's L1 loss from its optimum. Default: ``norm``.
    lbfgs_restarts : extra L-BFGS runs (fresh curvature history) per norm while the previous run
        lowered the loss; L-BFGS stops early at kinks of the L1 loss and in flat valleys.
    sparsity, sparsity_reduction : gamma and the form of the L1 penalty (Eq. 4.17 / 5.16; "sum", or
        the notebook's per-tensor "mean").  mean_zero : weight of the <g> = 0 penalty (Eq. 4.15).
    continuity : gamma of the continuity penalty ||grad_x theta(x)||_1 of the x-dependent parameters (Eq. 4.18,
        :func:`~coarsepde.kinetic.fitting.continuity_penalty`; Adam and L-BFGS phases, not least squares).
    seed : seeds the window sampling of the stochastic variant.
    batch_windows : N_s random time windows per Adam step (Sect. 5.2 stochastic variant); None = all.
    windows : a fixed subset of window start indices used by every phase (None = all usable windows).
    eps_true, sigma_s : when eps_true is given, Error% (Eq. 6.2) and eps_pred are recorded.
    history_every : record every this many Adam steps / L-BFGS evaluations (first and last always).
    log : callable(str), True (this module's logger) or None.
    fast : use :class:`FeatureLoss` (default: whenever the scheme is a linear multistep form, the
        weights are x-independent and no rho-model is trained).  x_stride : its x subsampling.
    rho_model : learned rho-equation model (ARS(2,2,2) only; trained jointly).
    scheme_kw : extra keywords of the scheme (ARS: sigma_a, source, tableau).

    The L-BFGS objective is divided by :func:`zero_model_loss` (a constant), so its tolerances are
    scale-free; a non-finite loss (overflow during a line search) is answered with a huge value, and a
    run that ends non-finite or worse than it started is rolled back.
    """
    t_setup = time.perf_counter()
    sch = get_scheme(scheme)
    scheme_kw = dict(scheme_kw or {})
    norms = (norm,) if lbfgs_norm is None else ((lbfgs_norm,) if isinstance(lbfgs_norm, str) else tuple(lbfgs_norm))
    if log is True:
        log = log_.info
    if fast is None:
        fast = (sch.stencil is not None and not _spatial(model) and model.relaxation().dim() == 0
                and rho_model is None and not scheme_kw and model.equation == "g")
    params = [p for m in ([model] if rho_model is None else [model, rho_model]) for p in m.parameters()
              if p.requires_grad]
    models = [model] if rho_model is None else [model, rho_model]
    gen = torch.Generator().manual_seed(int(seed))
    all_windows = starts(data, sch.span, windows)
    fixed = None if windows is None else all_windows

    feats: dict[str, FeatureLoss] = {}
    mapped = model
    if not fast and not _spatial(model) and model.equation == "g":
        mapped = MappedModel(model, data.ops.odd_moments_vanish)

    def data_objective(which_norm: str, idx=None) -> torch.Tensor:
        if fast:
            if which_norm not in feats:
                feats[which_norm] = FeatureLoss(model, data, sch, norm=which_norm, mean_zero=mean_zero,
                                                x_stride=x_stride)
            return feats[which_norm](model, idx)
        return direct_loss(mapped, data, sch, norm=which_norm, mean_zero=mean_zero, idx=idx,
                           rho_model=rho_model, **scheme_kw)

    def objective(which_norm: str, idx=None) -> torch.Tensor:
        total = data_objective(which_norm, fixed if idx is None else idx)
        if sparsity:
            total = total + sparsity * sparsity_penalty(models, sparsity_reduction)
        if continuity:
            total = total + continuity * continuity_penalty(models, data.ops.dx)
        return total

    hist = FitHistory()

    def record(it: int, phase: str, value: float) -> None:
        hist.iteration.append(int(it))
        hist.phase.append(phase)
        hist.loss.append(float(value))
        if eps_true is not None:
            with torch.no_grad():
                err = error_percent(model.coefficients(), eps_true, sigma_s)
                hist.error.append(float(err))
                hist.eps_pred.append(float(model.eps_pred()))
        if log:
            extra = f" Error% {hist.error[-1]:.4g} eps_pred {hist.eps_pred[-1]:.4g}" if eps_true is not None else ""
            log(f"[{sch.name}] {phase} {it}: loss {value:.6e}{extra}")

    if fast:  # build the word features now (timed as setup)
        with torch.no_grad():
            for nm in (({norm} if adam_steps else set()) | (set(norms) if lbfgs_steps else set())
                       | ({"l2"} if lsq_steps else set())):
                data_objective(nm)
    hist.setup_seconds = time.perf_counter() - t_setup

    # --- Adam -------------------------------------------------------------------------------
    t0 = time.perf_counter()
    it = 0
    if adam_steps:
        opt = torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8)
        nw = len(all_windows)
        for step in range(adam_steps):
            idx = None
            if batch_windows is not None and batch_windows < nw:
                idx = all_windows[torch.randperm(nw, generator=gen)[:batch_windows].sort().values]
            opt.zero_grad(set_to_none=True)
            val = objective(norm, idx)
            val.backward()
            if step % history_every == 0:
                # the recorded loss is always over all windows (a minibatch value depends on which windows
                # were drawn, and would make traces of different runs incomparable)
                if idx is None:
                    record(step, "adam", val.item())
                else:
                    with torch.no_grad():
                        record(step, "adam", objective(norm).item())
            opt.step()
        it = adam_steps
        with torch.no_grad():
            record(it, "adam", objective(norm).item())
    hist.adam_seconds = time.perf_counter() - t0

    # --- trust-region least squares on the reduced l2 residual ---------------------------------
    t0 = time.perf_counter()
    if lsq_steps:
        if fast:
            if "l2" not in feats:
                feats["l2"] = FeatureLoss(model, data, sch, norm="l2", mean_zero=mean_zero, x_stride=x_stride)
            nfev = _least_squares(model, feats["l2"].reduced_residual, int(lsq_steps))
        else:
            if rho_model is not None or _spatial(model) or model.relaxation().dim() > 0 or mean_zero:
                raise ValueError("the Gauss-Newton phase needs scalar weights, no rho-model, no <g> penalty")
            hist.gn_iterations, nfev = _gauss_newton(model, data, sch, iterations=gn_iterations,
                                                     inner_nfev=int(lsq_steps), idx=fixed,
                                                     scheme_kw=scheme_kw, log=log)
        hist.lsq_evaluations = nfev
        it += nfev
        with torch.no_grad():
            record(it, "lsq", objective("l2").item())
    hist.lsq_seconds = time.perf_counter() - t0

    # --- L-BFGS -------------------------------------------------------------------------------
    t0 = time.perf_counter()
    if lbfgs_steps:
        count = {"n": 0}
        for nm in norms:
            scale = zero_model_loss(data, sch, nm, model.equation)
            scale = scale if scale > 0 else 1.0
            phase = f"lbfgs-{nm}"

            def closure():
                opt.zero_grad(set_to_none=True)
                val = objective(nm)
                if not torch.isfinite(val):
                    return torch.tensor(1e30, dtype=DTYPE)
                (val / scale).backward()
                if count["n"] % history_every == 0:
                    record(it + count["n"], phase, val.item())
                count["n"] += 1
                return val / scale

            with torch.no_grad():
                best = objective(nm).item()
            for _ in range(1 + int(lbfgs_restarts)):
                backup = _finite_state(params)
                opt = torch.optim.LBFGS(params, lr=1.0, max_iter=int(lbfgs_steps),
                                        max_eval=int(1.25 * lbfgs_steps) + 1, tolerance_grad=1e-12,
                                        tolerance_change=1e-15, history_size=int(lbfgs_history),
                                        line_search_fn="strong_wolfe")
                opt.step(closure)
                with torch.no_grad():
                    now = objective(nm).item() if all(torch.isfinite(p).all() for p in params) else math.inf
                if not now < best:
                    _restore(params, backup)
                    break
                improved = (best - now) > 1e-6 * abs(best)
                best = now
                if not improved:
                    break
            with torch.no_grad():
                record(it + count["n"], phase, objective(nm).item())
        hist.lbfgs_evaluations = count["n"]
    hist.lbfgs_seconds = time.perf_counter() - t0

    hist.final_loss = hist.loss[-1] if hist.loss else math.nan
    if eps_true is not None and hist.error:
        hist.final_error = hist.error[-1]
        hist.final_eps_pred = hist.eps_pred[-1]
    return hist

"""Sparse-regression baselines of Delgadillo, Hu, Yang (DC-RNN), Examples 6.6, 6.7, 6.9 (Tables 12, 14).

The DC-RNN paper compares its learned g-equation with three dictionary regressions, all on the same
18-term dictionary of compositions of the basic operators A = v d_x (centred) and P = <.>:

* **Lasso** (Example 6.6, Table 12): l1-penalised least squares of the forward-Euler target
  y = (g^{n+1} - g^n)/dt (the FE residual, Eq. 4.4) on the dictionary, several alphas, "best result
  reported" (:func:`lasso`);
* **STRidge** (Example 6.7): PDE-FIND's sequential threshold ridge regression and its tolerance search
  TrainSTRidge (Rudy, Brunton, Proctor, Kutz 2017), re-implemented from their description
  (:func:`stridge`, :func:`train_stridge`);
* **MS-HDL** (Example 6.9, Eqs. 6.11-6.15, Table 14): the paper's adaptation of multiscale hierarchical
  deep learning (Liu, Kutz, Brunton 2020): data split "perfectly" by scale, one linear dictionary model per
  scale fit with the FE loss at its own time step, the pieces summed (:func:`split_scale_data`,
  :func:`ms_hdl`).

The dictionary (:data:`DICTIONARY`; the paper lists only the four true terms and "14 others built by
compositions of advection and projection", the list is the reference notes' [CHOICE], Sect. 6.1): every word
over {A, P} of length <= 3 on g and <= 5 on rho that is not identically zero on the symmetric Gauss-Legendre
quadrature and not equal to a shorter word (P P = P, P rho = rho):

    on g   (10): g, Ag, Pg, AAg, APg, PAg, AAAg, AAPg, APAg, PAAg
    on rho  (8): rho, A rho, AA rho, PAA rho (= <v^2> D1^2 rho), AAA rho, APAA rho, AAAA rho, PAAAA rho

(words act right to left: "PA" on g is <v d_x g>). PA rho (<v> = 0) and PAAA rho (<v^3> = 0) vanish
exactly and are excluded (:data:`VANISHING_RHO_WORDS`). The four physical terms are the
:data:`~coarsepde.kinetic.dcrnn.PHYSICAL_TERMS` g, Ag, PAg, A rho.

Words built on Pg (Pg, APg, AAPg) are only numerically nonzero: <g> = 0 is conserved by the g-equation
(2.5) with the centred stencil, so in data generated with the fit's own operators these columns are pure
round-off (|<g>| / |g| ~ 1e-16), while in the authors' ARS data (sign-biased stencils, reference Sect. 2.3)
they carry a small systematic <g> (max|<g>| / max|g| = 2.7e-7 on the reconstructed paper data).
:func:`library` drops a word whose projection annihilates its input to round-off (||P u|| <= ``null_rtol``
||u||, default 1e-10) and reports it in ``Library.dropped`` (its coefficient is 0); on the ARS data nothing
is dropped and the Pg words enter as the paper's "undesirable features". Column normalisation would
otherwise blow round-off up to O(1).

Regressions work on numpy float64 feature matrices; rows are all (n, v, x) of the time windows n of the
data (C order of (N, nv, nx)), columns the dictionary words. Sizes: the paper data (56 snapshots, 16 x 1000)
give 55 x 16 x 1000 = 880 000 rows x 18 columns, 127 MB in float64; ``max_rows`` subsamples rows with a
seeded :class:`numpy.random.Generator` to bound memory.

Measured on the reconstructed paper data (``TransportSetup(eps, nx=1000)``: IC-nb, stride 8, 56 snapshots,
dt = 4e-6; :func:`~coarsepde.kinetic.transport.generate_ars222`; 880 000 x 18 features), Error% (6.2):

    method                                          eps = 1/128   eps = 1/256
    least squares, FE target (= the 4-term FE floor)      3.230         12.07
    Lasso FE, best Error% (alpha 1e-12)                   3.230         12.07
    Lasso FE, best held-out (alpha 1e-10, 1.8e-11)        3.230         12.07
    STRidge FE (TrainSTRidge, PDE-FIND defaults)          3.230         12.07
    least squares, central d_t target                     0.073          1.163
    Lasso central, best Error% (alpha 1e-4, 1e-3)         0.015          0.221
    paper Table 12 (Lasso)                                0.18           1.77

With the FE target the 14 extra words do not absorb the FE time error (it sits on the stiff pair g, v d_x rho:
differences 525 / 7884) and Lasso cannot beat the 4-term FE floor (reference Sect. 9: 3.19 / 12.02), so the
paper's Lasso numbers imply a more accurate d_t (PDE-FIND's second-order centred difference lands in their
range). The held-out choice always takes the least-squares end of the grid; "best Error%" is the paper's
choice and profits from shrinkage cancelling part of the time error. TrainSTRidge with PDE-FIND's d_tol = 1
reaches tol 25 only, against normalised weights of 3e6 .. 6e7 (1/128) and 7e6 .. 2.5e8 (1/256) for the true
terms: it drops one word and equals least squares (its 17 kept words include spurious AA rho / PAA rho with
coefficients +-4 at 1/128, +-28 at 1/256; l0 = 0 with d_tol = 1e-3 ||y|| ends the same way).
MS-HDL (exact split data, dt_j = 4e-6 eps^j, 56 snapshots, nx = 1000): Error% 2.0e-4 at 1/64 and 1/128
(paper Table 14: 0.094, 0.070); with the labels swapped (fast at dt, medium at dt/eps): 0.81 and 3.18.

Units: g, rho dimensionless; dt in time units; y in [g]/[t]; a coefficient of a word with a A's has units
[t]^-1 [x]^a (x in units of the domain length). Coefficients are in the true-sign convention of
:mod:`coarsepde.kinetic.dcrnn` (the exact ones are -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.linalg import expm

from coarsepde.kinetic.polynomial import OperatorPolynomial, Term, reduce_word
from coarsepde.kinetic.scoring import (
    PHYSICAL_TERMS,
    error_percent,
    exact_g_coefficients,
    physical_coefficients,
)
from coarsepde.kinetic.fitting import FitData
from coarsepde.kinetic.operators import Operators

__all__ = [
    "DICTIONARY_G",
    "DICTIONARY_RHO",
    "DICTIONARY",
    "VANISHING_RHO_WORDS",
    "term_name",
    "Library",
    "library",
    "split_rows",
    "LassoResult",
    "LASSO_ALPHAS",
    "lasso",
    "least_squares",
    "stridge",
    "STRidgeResult",
    "train_stridge",
    "part_coefficients",
    "linear_transport_data",
    "ms_hdl_steps",
    "split_scale_data",
    "MSHDLResult",
    "ms_hdl",
    "Summary",
    "summarize",
    "to_polynomial",
]

# ---------------------------------------------------------------------------------------------
# 1. The 18-term dictionary
# ---------------------------------------------------------------------------------------------
_G_WORDS = ("", "A", "P", "AA", "AP", "PA", "AAA", "AAP", "APA", "PAA")
_RHO_WORDS = ("", "A", "AA", "PAA", "AAA", "APAA", "AAAA", "PAAAA")

#: The 10 words on g (reference Sect. 6.1 [CHOICE]); Term(("P", "A"), "g") is <v d_x g>.
DICTIONARY_G: tuple[Term, ...] = tuple(Term(tuple(w), "g") for w in _G_WORDS)
#: The 8 words on rho.
DICTIONARY_RHO: tuple[Term, ...] = tuple(Term(tuple(w), "rho") for w in _RHO_WORDS)
#: The 18-term dictionary of Examples 6.6, 6.7, 6.9: g words first, then rho words.
DICTIONARY: tuple[Term, ...] = DICTIONARY_G + DICTIONARY_RHO
#: Words over {A, P} on rho that vanish identically for the centred stencil (odd moments of v).
VANISHING_RHO_WORDS: tuple[Term, ...] = (Term(("P", "A"), "rho"), Term(("P", "A", "A", "A"), "rho"))

assert all(reduce_word(t.word, t.field) == t.word for t in DICTIONARY)          # irreducible, nonzero
assert all(reduce_word(t.word, t.field) is None for t in VANISHING_RHO_WORDS)
assert all(t in DICTIONARY for t in PHYSICAL_TERMS.values())


def term_name(term: Term) -> str:
    """Compact name of a dictionary term: the word and the field, e.g. "PA g", "AA rho", "g"."""
    w = "".join(term.word)
    return f"{w} {term.field}" if w else str(term.field)


# ---------------------------------------------------------------------------------------------
# 2. Feature matrix
# ---------------------------------------------------------------------------------------------
@dataclass
class Library:
    """Feature matrix of a dictionary regression: ``y ~ Theta @ c``.

    Theta: (rows, k) float64, the kept words evaluated at the window starts (FE), ends (BE) or centres
    (central); y: (rows,), (g^{n+1} - g^n)/dt in [g]/[t] (central: (g^{n+1} - g^{n-1})/(2 dt)); terms: the k
    kept words (columns); dropped: words left out as numerically null (coefficient 0); rows: the selected
    flat row indices into (N, nv, nx) or None for all; n_total: N * nv * nx; dt: the snapshot spacing (time
    units); scheme: "fe", "be" or "central".
    """

    Theta: np.ndarray
    y: np.ndarray
    terms: tuple[Term, ...]
    dropped: tuple[Term, ...] = ()
    rows: np.ndarray | None = None
    n_total: int = 0
    dt: float = 0.0
    scheme: str = "fe"

    @property
    def names(self) -> list[str]:
        return [term_name(t) for t in self.terms]

    def column_norms(self) -> np.ndarray:
        """2-norms of the columns (units of each word's values)."""
        return np.linalg.norm(self.Theta, axis=0)

    def full_coefficients(self, coef, terms: Sequence[Term] = DICTIONARY) -> np.ndarray:
        """Coefficients over ``terms`` (default the whole dictionary), 0 for words not in this library."""
        pos = {t: i for i, t in enumerate(self.terms)}
        coef = np.asarray(coef, dtype=float)
        return np.array([coef[pos[t]] if t in pos else 0.0 for t in terms])


def library(data: FitData, words: Sequence[Term] = DICTIONARY, scheme: str = "fe", *,
            max_rows: int | None = None, seed: int | np.random.Generator | None = 0,
            null_rtol: float | None = 1e-10, idx=None) -> Library:
    """The dictionary regression problem of the FE (or BE) residual, Eq. (4.4): columns word(g^m, rho^m),
    target (g^{n+1} - g^n)/dt, rows all (n, v, x) with n over the window starts (``idx``: a subset).

    ``scheme``: "fe" evaluates the words at m = n (forward Euler, Eq. 4.4: the reference's choice for Lasso and
    STRidge, the paper's for MS-HDL), "be" at m = n + 1 (backward Euler, Eq. 4.6), "central" at the interior
    snapshots n = 1 .. T-2 against y = (g^{n+1} - g^{n-1})/(2 dt) (PDE-FIND's second-order finite-difference
    d_t, an O(dt^2) target instead of O(dt)). Words are evaluated with ``data.ops`` (:meth:`Operators.apply`,
    rightmost symbol first; shared suffixes once), equal to :meth:`OperatorPolynomial.evaluate` of each word.
    ``max_rows``: keep that many rows drawn without replacement by ``numpy.random.default_rng(seed)`` (sorted),
    when fewer than all. ``null_rtol``: drop words in which a projection P maps its input u to
    ||P u|| <= null_rtol ||u|| (and all-zero columns), see the module docstring; None keeps every word.
    """
    if scheme not in ("fe", "be", "central"):
        raise ValueError(f"scheme must be 'fe', 'be' or 'central', got {scheme!r}")
    words = tuple(t if isinstance(t, Term) else Term(*t) for t in words)
    for t in words:
        if t.field not in ("g", "rho"):
            raise ValueError(f"dictionary words must act on 'g' or 'rho', got {t!r}")
    lo = 1 if scheme == "central" else 0
    n = torch.arange(lo, data.T - 1) if idx is None else torch.as_tensor(idx, dtype=torch.long).flatten()
    if n.numel() == 0 or int(n.min()) < lo or int(n.max()) >= data.T - 1:
        raise ValueError(f"window indices must lie in [{lo}, {data.T - 2}]")
    m = n + 1 if scheme == "be" else n
    ops = data.ops
    with torch.no_grad():
        g, rho = data.g[m], data.rho[m]
        if scheme == "central":
            y_full = ((data.g[n + 1] - data.g[n - 1]) / (2.0 * data.dt)).reshape(-1)
        else:
            y_full = ((data.g[n + 1] - data.g[n]) / data.dt).reshape(-1)
        n_total = y_full.numel()
        if max_rows is not None and max_rows < n_total:
            rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
            rows = np.sort(rng.choice(n_total, size=int(max_rows), replace=False))
            take = torch.as_tensor(rows)
        else:
            rows, take = None, None
        inputs = {"g": g, "rho": ops.lift(rho)}
        cache: dict = {}
        null: dict = {}

        def value(word: tuple[str, ...], fld: str):
            key = (word, fld)
            if key not in cache:
                if not word:
                    cache[key], null[key] = inputs[fld], False
                else:
                    u = value(word[1:], fld)
                    out = ops.apply(word[0], u)
                    is_null = null[(word[1:], fld)]
                    if null_rtol is not None and word[0] == "P" and not is_null:
                        is_null = bool(torch.linalg.vector_norm(out) <= null_rtol * torch.linalg.vector_norm(u))
                    cache[key], null[key] = out, is_null
            return cache[key]

        cols, kept, dropped = [], [], []
        for t in words:
            col = value(t.word, t.field).reshape(-1)     # rho words are lifted: (N, nv, nx) as well
            if null_rtol is not None and (null[(t.word, t.field)] or not bool(torch.any(col != 0))):
                dropped.append(t)
                continue
            cols.append((col if take is None else col[take]).numpy().astype(np.float64, copy=True))
            kept.append(t)
        y = (y_full if take is None else y_full[take]).numpy().astype(np.float64, copy=True)
    Theta = np.stack(cols, axis=1) if cols else np.zeros((y.size, 0))
    return Library(Theta, y, tuple(kept), tuple(dropped), rows, n_total, data.dt, scheme)


def split_rows(n_rows: int, train_fraction: float = 0.8, seed: int | np.random.Generator | None = 0):
    """Seeded random split of ``n_rows`` rows: (train, test) index arrays (sorted), the first
    round(train_fraction * n_rows) of a permutation for training (PDE-FIND's 80/20 split)."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    perm = rng.permutation(n_rows)
    k = int(round(train_fraction * n_rows))
    return np.sort(perm[:k]), np.sort(perm[k:])


def _rel_residual(X, y, w) -> float:
    ny = float(np.linalg.norm(y))
    return float(np.linalg.norm(y - X @ w)) / ny if ny > 0 else float(np.linalg.norm(X @ w))


def _col_scale(X: np.ndarray) -> np.ndarray:
    s = np.linalg.norm(X, axis=0)
    if np.any(s == 0):
        raise ValueError("a feature column is identically zero; drop it (library(null_rtol=...))")
    return s


def least_squares(Theta: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ordinary least squares on 2-norm-normalised columns (numpy lstsq), coefficients in original units."""
    s = _col_scale(Theta)
    w = np.linalg.lstsq(Theta / s, y, rcond=None)[0]
    return w / s


# ---------------------------------------------------------------------------------------------
# 3. Lasso (Example 6.6)
# ---------------------------------------------------------------------------------------------
#: Default alpha grid: 10^-12 .. 10^-1, 4 per decade (45 values). alpha is dimensionless (see :func:`lasso`).
LASSO_ALPHAS = np.logspace(-12.0, -1.0, 45)


@dataclass
class LassoResult:
    """Per-alpha Lasso fits (alphas descending as given, coefficients in original units, shape (n_alpha, k)).

    heldout: relative held-out residual ||y_te - X_te c|| / ||y_te|| per alpha; train_residual likewise on the
    training rows; n_iter, converged: sklearn's coordinate-descent iterations and whether they stayed below
    max_iter; best_heldout: index of the lowest held-out residual; error_pct and best_error: Error% (6.2) per
    alpha and its argmin (only when ``eps`` was given; the paper reported "the best alpha", i.e. this one);
    nnz: nonzero coefficients per alpha; lstsq: the unpenalised least-squares coefficients (alpha = 0).
    """

    alphas: np.ndarray
    coefs: np.ndarray
    heldout: np.ndarray
    train_residual: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    nnz: np.ndarray
    best_heldout: int
    lstsq: np.ndarray
    terms: tuple[Term, ...] | None = None
    error_pct: np.ndarray | None = None
    best_error: int | None = None
    settings: dict = field(default_factory=dict)

    @property
    def coef_heldout(self) -> np.ndarray:
        return self.coefs[self.best_heldout]

    @property
    def coef_error(self) -> np.ndarray | None:
        return None if self.best_error is None else self.coefs[self.best_error]


def lasso(Theta: np.ndarray, y: np.ndarray, alphas: Sequence[float] | None = None, *,
          terms: Sequence[Term] | None = None, eps: float | None = None, sigma_s: float = 1.0,
          train_fraction: float = 0.8, seed: int | np.random.Generator | None = 0,
          max_iter: int = 100_000, tol: float = 1e-12) -> LassoResult:
    """Lasso sweep: sklearn ``Lasso(fit_intercept=False)`` on normalised features, coefficients rescaled back.

    Normalisation (on the training rows): every column to unit RMS (its 2-norm / sqrt(rows)), the target to unit
    RMS. sklearn minimises (1/(2 rows)) ||y - X w||^2 + alpha ||w||_1, so ``alpha`` is dimensionless and
    independent of the number of rows: alpha >= max_k |X_k . y| / rows (<= 1) gives w = 0, and alpha -> 0 tends
    to least squares (the shrinkage bias of the physical coefficients grows linearly with alpha). Default grid
    :data:`LASSO_ALPHAS` (1e-12 .. 1e-1, 4 per decade), every alpha from a cold start. The Gram matrix X^T X
    (k x k) is precomputed once, so each coordinate-descent sweep costs O(k^2), not O(rows k): ``max_iter`` =
    100 000 sweeps and sklearn's duality-gap tolerance ``tol`` = 1e-12 (relative to ||y||^2) are affordable; a fit
    that hits max_iter is flagged in ``converged`` (small alphas on the ill-conditioned dictionary converge
    slowly).

    Rows are split by :func:`split_rows` (seeded 80/20); the fits use the training rows, the held-out
    residual the others. With ``terms`` (the columns' words) and ``eps``, Error% (6.2) of each alpha is
    recorded too and its argmin reported (what the paper did: "we only present the results associated with
    the best alpha").
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso

    Theta = np.asarray(Theta, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if Theta.ndim != 2 or Theta.shape[0] != y.size:
        raise ValueError(f"need Theta (rows, k) and y (rows,), got {Theta.shape} and {y.shape}")
    alphas = np.asarray(LASSO_ALPHAS if alphas is None else alphas, dtype=float)
    tr, te = split_rows(y.size, train_fraction, seed)
    Xtr, ytr = Theta[tr], y[tr]
    n_tr = tr.size
    s = _col_scale(Xtr) / math.sqrt(n_tr)
    ys = float(np.linalg.norm(ytr)) / math.sqrt(n_tr)
    if ys == 0:
        raise ValueError("the target is identically zero")
    X = np.asfortranarray(Xtr / s)
    yy = ytr / ys
    gram = X.T @ X
    lstsq = np.linalg.lstsq(X, yy, rcond=None)[0] * ys / s
    k = Theta.shape[1]
    coefs = np.zeros((alphas.size, k))
    n_iter = np.zeros(alphas.size, dtype=int)
    for i, alpha in enumerate(alphas):
        # cold start for every alpha: sklearn (1.9) returns a warm-started fit after 0 sweeps when the
        # previous solution already passes its initial duality-gap check, leaving the small-alpha fits
        # stuck at the previous alpha's shrinkage (measured: Error% 3.6e-2 instead of 6.4e-5 at alpha 1e-10)
        model = Lasso(alpha=float(alpha), fit_intercept=False, precompute=gram, max_iter=max_iter, tol=tol,
                      selection="cyclic")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, yy)
        coefs[i] = model.coef_ * ys / s
        n_iter[i] = int(model.n_iter_)
    Xte, yte = Theta[te], y[te]
    heldout = np.array([_rel_residual(Xte, yte, c) for c in coefs])
    train_res = np.array([_rel_residual(Xtr, ytr, c) for c in coefs])
    res = LassoResult(alphas=alphas, coefs=coefs, heldout=heldout, train_residual=train_res, n_iter=n_iter,
                      converged=n_iter < max_iter, nnz=np.count_nonzero(coefs, axis=1),
                      best_heldout=int(np.argmin(heldout)), lstsq=lstsq,
                      terms=None if terms is None else tuple(terms),
                      settings=dict(train_fraction=train_fraction, max_iter=max_iter, tol=tol,
                                    normalisation="unit-RMS columns and target", n_train=int(n_tr),
                                    n_test=int(te.size)))
    if terms is not None and eps is not None:
        terms = tuple(terms)
        if len(terms) != k:
            raise ValueError(f"{len(terms)} terms for {k} columns")
        res.error_pct = np.array([summarize(c, terms, eps, sigma_s).error_pct for c in coefs])
        res.best_error = int(np.nanargmin(res.error_pct))
    return res


# ---------------------------------------------------------------------------------------------
# 4. STRidge and TrainSTRidge (Example 6.7)
# ---------------------------------------------------------------------------------------------
def _ridge(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """argmin ||y - X w||^2 + lam ||w||^2; lam = 0: least squares (lstsq)."""
    if X.shape[1] == 0:
        return np.zeros(0)
    if lam == 0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    # the augmented least-squares form avoids squaring the condition number of X
    k = X.shape[1]
    A = np.vstack([X, math.sqrt(lam) * np.eye(k)])
    b = np.concatenate([y, np.zeros(k)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def _compress(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Triangular factor R ((k+1) x (k+1)) of [X | y] = Q R (Householder QR of the column-scaled matrix, the
    scales put back): R^T R = [X | y]^T [X | y], so least squares and column norms are preserved."""
    A = np.column_stack([X, y])
    s = np.linalg.norm(A, axis=0)
    s[s == 0] = 1.0
    R = np.linalg.qr(A / s, mode="r")
    return R * s


def stridge(Theta: np.ndarray, y: np.ndarray, lam: float, tol: float, maxit: int = 10,
            normalize: int | None = 2) -> np.ndarray:
    """Sequential threshold ridge regression (STRidge, Rudy et al. 2017, Algorithm 1), coefficients in
    original units.

    1. scale each column to unit ``normalize``-norm (2: PDE-FIND's default; None: no scaling);
    2. ridge (X^T X + lam I) w = X^T y;
    3. up to ``maxit`` times: set the entries with |w_k| < tol to zero and solve the ridge problem again on
       the others, until the support stops changing (an empty support returns zeros);
    4. plain least squares on the final support; undo the scaling.

    The threshold compares the *normalised* weights w_k = c_k ||Theta_k|| (y is not scaled, as in PDE-FIND),
    i.e. the size of each term's contribution to y: a term is dropped when its contribution is below ``tol``,
    whatever the size of its coefficient. With true coefficients spanning 1 .. 1/eps^2 and contributions
    spanning O(eps) relative (the O(1/eps) transport terms against the O(1/eps^2) relaxation-coupling pair),
    any tol above the transport terms' weights drops them: the failure mode of Example 6.7.
    """
    X0 = np.asarray(Theta, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    k = X0.shape[1]
    if normalize is None:
        s = np.ones(k)
    else:
        s = np.linalg.norm(X0, ord=normalize, axis=0)
        if np.any(s == 0):
            raise ValueError("a feature column is identically zero")
    X = X0 / s
    w = _ridge(X, y, lam)
    support = np.ones(k, dtype=bool)
    for _ in range(maxit):
        new = np.abs(w) >= tol
        if new.sum() == support.sum():
            break
        support = new
        w = np.zeros(k)
        if not support.any():
            return w
        w[support] = _ridge(X[:, support], y, lam)
    w[~support] = 0.0
    if support.any():
        w[support] = np.linalg.lstsq(X[:, support], y, rcond=None)[0]
    return w / s


@dataclass
class STRidgeResult:
    """Result of :func:`train_stridge`: coefficients (original units, fit on the training rows), the chosen
    tolerance, the l0 penalty used, and the search history (tol, held-out error + penalty, nnz) per step."""

    coef: np.ndarray
    tol: float
    l0_penalty: float
    history: list[tuple[float, float, int]]
    heldout: float
    terms: tuple[Term, ...] | None = None
    settings: dict = field(default_factory=dict)


def train_stridge(Theta: np.ndarray, y: np.ndarray, lam: float = 1e-5, d_tol: float = 1.0, *,
                  maxit: int = 25, str_iters: int = 10, l0_penalty: float | None = None,
                  normalize: int | None = 2, train_fraction: float = 0.8,
                  seed: int | np.random.Generator | None = 0, terms: Sequence[Term] | None = None) -> STRidgeResult:
    """PDE-FIND's tolerance search (TrainSTRidge) around :func:`stridge`.

    Rows are split by :func:`split_rows` (seeded 80/20). The score of a coefficient vector w is the
    held-out error ||y_te - X_te w||_2 (unnormalised, as in PDE-FIND) + ``l0_penalty`` * nnz(w), with the
    default l0_penalty = 0.001 * cond(Theta) (Theta as given, unnormalised: PDE-FIND's default). The search
    starts from the least-squares fit on the training rows (tol 0) and tol = d_tol; a step whose STRidge fit
    scores no worse is accepted and tol grows by d_tol, otherwise tol backs off by 2 d_tol (not below 0),
    d_tol shrinks to 2 d_tol / (maxit - it) and tol grows by the new d_tol; ``maxit`` steps.

    ``lam`` (ridge weight on the unit-norm columns) and ``d_tol`` (in the units of :func:`stridge`'s
    normalised weights, i.e. of ||y||_2) default to the values of PDE-FIND's examples (1e-5, 1); neither the
    tolerance nor the penalty is scale-free. On this dictionary the raw columns span ~(1/dx)^4 in scale and the
    default penalty is large (measured 1e-3 cond = 3.4e5 at nx = 128, 2.6e8 / 3.7e8 on the paper data), so
    whenever the tolerance reaches the true terms' weights the sparsest support wins (eps = 1, nx = 128: a
    one-term model v d_x rho, Error% 75); with d_tol = 1 against normalised weights ~1e2 .. 1e5 the search
    often never gets there (eps = 1/16, and the paper data: the least-squares support, see the module docstring).
    All least-squares solves use the (k+1) x (k+1) QR factor of the training rows (:func:`_compress`): ~2 s
    for 880 000 x 18 (one QR and one cond), the same answers as on the full rows.
    """
    X = np.asarray(Theta, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    tr, te = split_rows(y.size, train_fraction, seed)
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]
    if l0_penalty is None:
        l0_penalty = 1e-3 * float(np.linalg.cond(_compress(X, y)[:, :-1]))
    # every (ridge) least-squares problem on a column subset of the training rows is solved on the
    # triangular factor R of [Xtr | ytr] = Q R instead: ||Xtr_S w - ytr|| = ||R_S w - R_y|| and the column
    # norms are equal, so STRidge gives the same answer at O(k^3) instead of O(rows k^2) per solve
    Rtr = _compress(Xtr, ytr)
    Xc, yc = Rtr[:, :-1], Rtr[:, -1]

    def score(w):
        return float(np.linalg.norm(yte - Xte @ w)) + l0_penalty * int(np.count_nonzero(w))

    w_best = least_squares(Xc, yc) if normalize is not None else np.linalg.lstsq(Xc, yc, rcond=None)[0]
    err_best = score(w_best)
    tol_best = 0.0
    history = [(0.0, err_best, int(np.count_nonzero(w_best)))]
    d = float(d_tol)
    tol = d
    for it in range(maxit):
        w = stridge(Xc, yc, lam, tol, str_iters, normalize)
        err = score(w)
        history.append((tol, err, int(np.count_nonzero(w))))
        if err <= err_best:
            err_best, w_best, tol_best = err, w, tol
            tol = tol + d
        else:
            tol = max(0.0, tol - 2.0 * d)
            d = 2.0 * d / (maxit - it)
            tol = tol + d
    return STRidgeResult(coef=w_best, tol=tol_best, l0_penalty=l0_penalty, history=history,
                         heldout=_rel_residual(Xte, yte, w_best),
                         terms=None if terms is None else tuple(terms),
                         settings=dict(lam=lam, d_tol=d_tol, maxit=maxit, str_iters=str_iters,
                                       normalize=normalize, train_fraction=train_fraction))


# ---------------------------------------------------------------------------------------------
# 5. MS-HDL (Example 6.9): data split by scale, one FE dictionary fit per scale
# ---------------------------------------------------------------------------------------------
def part_coefficients(part: str, eps: float, sigma_s: float = 1.0) -> dict[str, float]:
    """True-sign coefficients (keys of PHYSICAL_TERMS) of one scale part of the g-equation (2.5), sigma_A = 0:

    * "full":   all four (:func:`~coarsepde.kinetic.dcrnn.exact_g_coefficients`);
    * "fast":   d_t g = -(sigma_S/eps^2) g - (1/eps^2) v d_x rho          (Eq. 6.13, sigma_A -> sigma_S typo);
    * "medium": d_t g = -(1/eps) (v d_x g - <v d_x g>);
    * "slow":   d_t g = -sigma_A g = 0 here (no data needed).
    """
    ex = exact_g_coefficients(eps, sigma_s)
    keep = {"full": tuple(ex), "fast": ("g", "v d_x rho"), "medium": ("v d_x g", "<v d_x g>"), "slow": ()}
    if part not in keep:
        raise ValueError(f"part must be one of {sorted(keep)}, got {part!r}")
    return {k: (ex[k] if k in keep[part] else 0.0) for k in ex}


def _physical_polynomial(coeffs: Mapping[str, float]) -> OperatorPolynomial:
    return OperatorPolynomial({PHYSICAL_TERMS[k]: float(c) for k, c in coeffs.items() if c != 0.0})


def linear_transport_data(ops: Operators, rho0, g0, coeffs: Mapping[str, float], dt: float, n_snapshots: int,
                          method: str = "exact", rho_flux: bool = True) -> FitData:
    """Snapshots of the linear g-equation d_t g = sum_k coeffs[k] term_k (keys of PHYSICAL_TERMS) with the
    fit's own space discretisation (``ops``: centred v d_x, quadrature <.>), and d_t rho = -<v d_x g>
    (Eq. 2.4, sigma_A = G = 0; ``rho_flux=False`` freezes rho).

    ``method``: "fe" takes forward-Euler steps of size dt in physical space with the exact
    :class:`OperatorPolynomial` (then the FE dictionary fit is exact to round-off), "exact" advances each
    discrete Fourier mode m exactly, y^{n+1} = expm(M_m dt) y^n, the centred v d_x having the symbol
    i v sin(2 pi m dx / L)/dx (needs ops.advection == "centered"; then the only error of an FE fit is its own
    time discretisation). rho0 (nx,), g0 (nv, nx) or None (zero). Returns :class:`FitData` with spacing dt.
    """
    nv, dx = ops.nv, ops.dx
    rho0 = np.asarray(rho0, dtype=float)
    nx = rho0.size
    g0 = np.zeros((nv, nx)) if g0 is None else np.asarray(g0, dtype=float)
    if g0.shape != (nv, nx):
        raise ValueError(f"g0 must be (nv, nx) = {(nv, nx)}, got {g0.shape}")
    T = int(n_snapshots)
    if method == "fe":
        poly = _physical_polynomial(coeffs)
        g = torch.as_tensor(g0, dtype=torch.float64)
        rho = torch.as_tensor(rho0, dtype=torch.float64)
        gs, rs = [g], [rho]
        with torch.no_grad():
            for _ in range(T - 1):
                dg = poly.evaluate(ops, g=g, rho=rho) if len(poly) else torch.zeros_like(g)
                drho = -ops.average(ops.advect(g)) if rho_flux else torch.zeros_like(rho)
                g, rho = g + dt * dg, rho + dt * drho
                gs.append(g)
                rs.append(rho)
        return FitData(torch.stack(gs), torch.stack(rs), dt, ops)
    if method != "exact":
        raise ValueError(f"method must be 'exact' or 'fe', got {method!r}")
    if ops.advection != "centered":
        raise ValueError("method='exact' needs the centred advection stencil")
    v = ops.v.numpy()
    hw = 0.5 * ops.w.numpy()
    c = {k: float(coeffs.get(k, 0.0)) for k in PHYSICAL_TERMS}
    m = np.arange(nx // 2 + 1)
    kap = np.sin(2.0 * np.pi * m / nx) / dx                     # centred symbol: d_x -> i kap
    M = np.zeros((m.size, 1 + nv, 1 + nv), dtype=complex)
    ik = 1j * kap[:, None, None]
    if rho_flux:
        M[:, 0, 1:] = -(1j * kap[:, None]) * (hw * v)[None, :]   # -<v d_x g>
    M[:, 1:, 0] = c["v d_x rho"] * (1j * kap[:, None]) * v[None, :]
    Vd = np.diag(v)
    PV = np.ones((nv, 1)) @ (hw * v)[None, :]                     # <v . > copied to every row
    M[:, 1:, 1:] = (c["g"] * np.eye(nv))[None] + ik * (c["v d_x g"] * Vd + c["<v d_x g>"] * PV)[None]
    E = expm(M * dt)                                              # (modes, 1+nv, 1+nv)
    y = np.concatenate([np.fft.rfft(rho0)[None, :], np.fft.rfft(g0, axis=-1)], axis=0).T[:, :, None]
    out = np.empty((T, 1 + nv, nx))
    out[0, 0], out[0, 1:] = rho0, g0
    for n in range(1, T):
        y = E @ y
        out[n] = np.fft.irfft(y[:, :, 0].T, n=nx, axis=-1)
    return FitData(out[:, 1:], out[:, 0], dt, ops)


def ms_hdl_steps(dt: float, eps: float, convention: str = "eps^j") -> dict[str, float]:
    """Time step of each scale part, j = 2 fast, 1 medium, 0 slow (Eqs. 6.11-6.14).

    "eps^j" (default): dt_j = dt * eps^j, so the fast part (time scale eps^2) is sampled at dt eps^2 and the
    medium part (time scale eps) at dt eps: the physically consistent reading (every part then has the
    stiffness number dt_j |lambda_j| ~ dt of an O(1) problem). "paper": dt_j = dt / eps^j as printed
    (fast sampled at dt/eps^2); "swapped": the printed steps with the labels reversed (fast at dt, medium at
    dt/eps: coarser steps for slower scales, as in Liu-Kutz-Brunton's hierarchy).
    """
    if convention == "eps^j":
        return {"fast": dt * eps**2, "medium": dt * eps, "slow": dt}
    if convention == "paper":
        return {"fast": dt / eps**2, "medium": dt / eps, "slow": dt}
    if convention == "swapped":
        return {"fast": dt, "medium": dt / eps, "slow": dt / eps**2}
    raise ValueError(f"convention must be 'eps^j', 'paper' or 'swapped', got {convention!r}")


def split_scale_data(ops: Operators, rho0, eps: float, dt_fast: float, dt_medium: float, n_snapshots: int = 56,
                     *, sigma_s: float = 1.0, g0_medium=None, method: str = "exact") -> dict[str, FitData]:
    """The "perfectly split" data of Example 6.9: one data set per scale part (the slow part vanishes,
    sigma_A = 0), each from :func:`linear_transport_data` with that part's g-equation and rho obeying its
    own exact equation d_t rho = -<v d_x g>.

    * fast (step ``dt_fast``): from the unsplit data's initial state (rho0, g = 0): g relaxes towards
      -(eps^2/sigma_S)(1/eps^2) v d_x rho; starting off-equilibrium makes the g and v d_x rho columns
      distinguishable.
    * medium (step ``dt_medium``): g0 = ``g0_medium`` or, by default, the leading-order equilibrium
      -(eps/sigma_S) v d_x rho0 shifted by a quarter period in x. The shift is a [CHOICE]: the medium equation
      does not involve rho, and an unshifted equilibrium g0 = -eps v d_x rho0 would make every g word equal
      to -eps times a rho word (g ~ -eps A rho, A g ~ -eps AA rho, ...) over the short data window, i.e. the
      18-term regression unidentifiable.

    ``method``: "exact" (matrix exponential per Fourier mode, default) or "fe" (forward Euler).
    """
    rho0 = np.asarray(rho0, dtype=float)
    nx = rho0.size
    if g0_medium is None:
        r = torch.as_tensor(np.roll(rho0, nx // 4), dtype=torch.float64)
        g0_medium = (-(eps / sigma_s) * ops.advect(ops.lift(r))).numpy()
    fast = linear_transport_data(ops, rho0, None, part_coefficients("fast", eps, sigma_s), dt_fast,
                                 n_snapshots, method)
    medium = linear_transport_data(ops, rho0, g0_medium, part_coefficients("medium", eps, sigma_s), dt_medium,
                                   n_snapshots, method)
    return {"fast": fast, "medium": medium}


@dataclass
class MSHDLResult:
    """MS-HDL fit: per part the library's words, coefficients (original units) and relative residual;
    ``coef`` the summed equation over :data:`DICTIONARY` (0 for words dropped in every part)."""

    coef: np.ndarray
    parts: dict[str, dict]
    terms: tuple[Term, ...] = DICTIONARY


def ms_hdl(parts: Mapping[str, FitData], words: Sequence[Term] = DICTIONARY, *, method: str = "lstsq",
           max_rows: int | None = None, seed: int = 0, null_rtol: float | None = 1e-10, **kw) -> MSHDLResult:
    """MS-HDL as adapted in Example 6.9: each scale part's data fit by its own linear dictionary model
    F_j = sum_i lambda_ij A_i (Eq. 6.12) with the forward-Euler loss (4.4) at the part's own snapshot
    spacing (the data's dt, see :func:`ms_hdl_steps` and :func:`split_scale_data`); the reported equation is
    the sum of the parts.

    ``method``: "lstsq" (the l2 FE loss minimised exactly, default: the paper names no sparsity for MS-HDL),
    "lasso" (``kw`` to :func:`lasso`, its held-out choice) or "stridge" (``kw`` to :func:`train_stridge`).
    """
    total = np.zeros(len(words))
    out = {}
    for name, data in parts.items():
        lib = library(data, words, "fe", max_rows=max_rows, seed=seed, null_rtol=null_rtol)
        if method == "lstsq":
            c = least_squares(lib.Theta, lib.y)
        elif method == "lasso":
            c = lasso(lib.Theta, lib.y, seed=seed, **kw).coef_heldout
        elif method == "stridge":
            c = train_stridge(lib.Theta, lib.y, seed=seed, **kw).coef
        else:
            raise ValueError(f"method must be 'lstsq', 'lasso' or 'stridge', got {method!r}")
        full = lib.full_coefficients(c, words)
        total = total + full
        out[name] = {"terms": lib.terms, "dropped": lib.dropped, "coef": c, "coef_full": full, "dt": data.dt,
                     "residual": _rel_residual(lib.Theta, lib.y, c)}
    return MSHDLResult(total, out, tuple(words))


# ---------------------------------------------------------------------------------------------
# 6. Read-out: physical coefficients, Error%, spurious terms
# ---------------------------------------------------------------------------------------------
def to_polynomial(coef, terms: Sequence[Term] = DICTIONARY) -> OperatorPolynomial:
    """The learned g-equation as an :class:`OperatorPolynomial` (true sign; zeros omitted)."""
    coef = np.asarray(coef, dtype=float).reshape(-1)
    if coef.size != len(terms):
        raise ValueError(f"{coef.size} coefficients for {len(terms)} terms")
    return OperatorPolynomial({t: float(c) for t, c in zip(terms, coef) if c != 0.0})


@dataclass
class Summary:
    """Read-out of a dictionary fit: the four physical coefficients (PHYSICAL_TERMS keys, true sign), their
    exact values, Error% (6.2), and the spurious terms [(name, coefficient, relative contribution)] sorted by
    relative contribution |c_k| ||Theta_k|| / ||y|| (NaN when no library was given)."""

    physical: dict[str, float]
    exact: dict[str, float]
    error_pct: float
    spurious: list[tuple[str, float, float]]
    polynomial: OperatorPolynomial

    @property
    def max_spurious_contribution(self) -> float:
        vals = [r for _, _, r in self.spurious]
        return max(vals) if vals else 0.0


def summarize(coef, terms: Sequence[Term] = DICTIONARY, eps: float = 1.0, sigma_s: float = 1.0, *,
              lib: Library | None = None) -> Summary:
    """Physical coefficients and Error% (via :func:`~coarsepde.kinetic.dcrnn.error_percent`) of a coefficient
    vector over ``terms``, and the list of nonzero non-physical (spurious) terms with their coefficients and,
    given the ``lib`` the coefficients belong to (same terms), their relative contributions to y."""
    terms = tuple(terms)
    coef = np.asarray(coef, dtype=float).reshape(-1)
    poly = to_polynomial(coef, terms)
    phys = physical_coefficients(poly)
    err = error_percent(poly, eps, sigma_s)
    rel = {}
    if lib is not None:
        if tuple(lib.terms) != terms:
            raise ValueError("lib.terms must equal terms")
        ny = float(np.linalg.norm(lib.y))
        norms = lib.column_norms()
        rel = {t: abs(c) * n / ny for t, c, n in zip(terms, coef, norms)}
    physical_terms = set(PHYSICAL_TERMS.values())
    spur = [(term_name(t), float(c), float(rel.get(t, np.nan))) for t, c in zip(terms, coef)
            if t not in physical_terms and c != 0.0]
    spur.sort(key=lambda s: -(s[2] if np.isfinite(s[2]) else abs(s[1])))
    return Summary(phys, exact_g_coefficients(eps, sigma_s), float(err), spur, poly)

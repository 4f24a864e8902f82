"""Lasso on the dictionary (DC-RNN Example 6.6, Table 12): l1-penalised least squares of a finite-difference
d_t g on the feature matrix of :func:`~coarsepde.kinetic.baselines.library.library`, swept over alpha, "best
result reported" (:func:`lasso`; :class:`Lasso` is its scikit-learn-style estimator)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from coarsepde.kinetic.baselines.readout import summarize
from coarsepde.kinetic.baselines.regression import column_scale, relative_residual, split_rows
from coarsepde.kinetic.polynomial import Term

__all__ = ["LASSO_ALPHAS", "LassoResult", "lasso", "Lasso"]

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


def lasso(
    Theta: np.ndarray,
    y: np.ndarray,
    alphas: Sequence[float] | None = None,
    *,
    terms: Sequence[Term] | None = None,
    eps: float | None = None,
    sigma_s: float = 1.0,
    train_fraction: float = 0.8,
    seed: int | np.random.Generator | None = 0,
    max_iter: int = 100_000,
    tol: float = 1e-12,
) -> LassoResult:
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
    from sklearn.linear_model import Lasso as SklearnLasso

    Theta = np.asarray(Theta, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if Theta.ndim != 2 or Theta.shape[0] != y.size:
        raise ValueError(f"need Theta (rows, k) and y (rows,), got {Theta.shape} and {y.shape}")
    alphas = np.asarray(LASSO_ALPHAS if alphas is None else alphas, dtype=float)
    tr, te = split_rows(y.size, train_fraction, seed)
    Xtr, ytr = Theta[tr], y[tr]
    n_tr = tr.size
    s = column_scale(Xtr) / math.sqrt(n_tr)
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
        model = SklearnLasso(
            alpha=float(alpha), fit_intercept=False, precompute=gram, max_iter=max_iter, tol=tol, selection="cyclic"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, yy)
        coefs[i] = model.coef_ * ys / s
        n_iter[i] = int(model.n_iter_)
    Xte, yte = Theta[te], y[te]
    heldout = np.array([relative_residual(Xte, yte, c) for c in coefs])
    train_res = np.array([relative_residual(Xtr, ytr, c) for c in coefs])
    res = LassoResult(
        alphas=alphas,
        coefs=coefs,
        heldout=heldout,
        train_residual=train_res,
        n_iter=n_iter,
        converged=n_iter < max_iter,
        nnz=np.count_nonzero(coefs, axis=1),
        best_heldout=int(np.argmin(heldout)),
        lstsq=lstsq,
        terms=None if terms is None else tuple(terms),
        settings=dict(
            train_fraction=train_fraction,
            max_iter=max_iter,
            tol=tol,
            normalisation="unit-RMS columns and target",
            n_train=int(n_tr),
            n_test=int(te.size),
        ),
    )
    if terms is not None and eps is not None:
        terms = tuple(terms)
        if len(terms) != k:
            raise ValueError(f"{len(terms)} terms for {k} columns")
        res.error_pct = np.array([summarize(c, terms, eps, sigma_s).error_pct for c in coefs])
        res.best_error = int(np.nanargmin(res.error_pct))
    return res


class Lasso:
    """scikit-learn-style Lasso baseline: :meth:`fit` runs the :func:`lasso` sweep (same arguments) and keeps
    one alpha's coefficients in ``coef_`` (original units): ``choice="heldout"`` the lowest held-out
    residual (what a user without the answer picks), ``"error"`` the lowest Error% (the paper's "best alpha";
    needs ``terms`` and ``eps``). ``result_`` holds the whole sweep (:class:`LassoResult`)."""

    def __init__(
        self,
        alphas: Sequence[float] | None = None,
        *,
        choice: str = "heldout",
        terms: Sequence[Term] | None = None,
        eps: float | None = None,
        sigma_s: float = 1.0,
        train_fraction: float = 0.8,
        seed: int | np.random.Generator | None = 0,
        max_iter: int = 100_000,
        tol: float = 1e-12,
    ):
        if choice not in ("heldout", "error"):
            raise ValueError(f"choice must be 'heldout' or 'error', got {choice!r}")
        if choice == "error" and (terms is None or eps is None):
            raise ValueError("choice='error' needs terms and eps")
        self.alphas, self.choice, self.terms, self.eps, self.sigma_s = alphas, choice, terms, eps, sigma_s
        self.train_fraction, self.seed, self.max_iter, self.tol = train_fraction, seed, max_iter, tol

    def fit(self, Theta: np.ndarray, y: np.ndarray) -> Lasso:
        self.result_ = lasso(
            Theta,
            y,
            self.alphas,
            terms=self.terms,
            eps=self.eps,
            sigma_s=self.sigma_s,
            train_fraction=self.train_fraction,
            seed=self.seed,
            max_iter=self.max_iter,
            tol=self.tol,
        )
        self.coef_ = self.result_.coef_error if self.choice == "error" else self.result_.coef_heldout
        self.alpha_ = float(
            self.result_.alphas[self.result_.best_error if self.choice == "error" else self.result_.best_heldout]
        )
        return self

    def predict(self, Theta: np.ndarray) -> np.ndarray:
        """Theta @ coef_: the fitted d_t g (units of y)."""
        return np.asarray(Theta, dtype=np.float64) @ self.coef_

    def coefficients(self) -> np.ndarray:
        return self.coef_

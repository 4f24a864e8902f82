"""The feature matrix of a dictionary regression (DC-RNN Examples 6.6, 6.7, 6.9): the words of
:mod:`~coarsepde.kinetic.baselines.dictionary` evaluated on the data, against a finite-difference d_t g.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from coarsepde.kinetic.baselines.dictionary import DICTIONARY, term_name
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.polynomial import Term

__all__ = ["Library", "library"]


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


def library(
    data: FitData,
    words: Sequence[Term] = DICTIONARY,
    scheme: str = "fe",
    *,
    max_rows: int | None = None,
    seed: int | np.random.Generator | None = 0,
    null_rtol: float | None = 1e-10,
    idx=None,
) -> Library:
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
            col = value(t.word, t.field).reshape(-1)  # rho words are lifted: (N, nv, nx) as well
            if null_rtol is not None and (null[(t.word, t.field)] or not bool(torch.any(col != 0))):
                dropped.append(t)
                continue
            cols.append((col if take is None else col[take]).numpy().astype(np.float64, copy=True))
            kept.append(t)
        y = (y_full if take is None else y_full[take]).numpy().astype(np.float64, copy=True)
    Theta = np.stack(cols, axis=1) if cols else np.zeros((y.size, 0))
    return Library(Theta, y, tuple(kept), tuple(dropped), rows, n_total, data.dt, scheme)

"""MS-HDL (DC-RNN Example 6.9, Eqs. 6.11-6.15, Table 14): the paper's adaptation of multiscale hierarchical
deep learning (Liu, Kutz, Brunton 2020): data split "perfectly" by scale
(:func:`~coarsepde.kinetic.baselines.split_data.split_scale_data`), one linear dictionary model per scale fit
with the FE loss at its own time step, the pieces summed (:func:`ms_hdl`; :class:`MSHDL` is the
scikit-learn-style estimator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from coarsepde.kinetic.baselines.dictionary import DICTIONARY
from coarsepde.kinetic.baselines.lasso_sweep import lasso
from coarsepde.kinetic.baselines.library import library
from coarsepde.kinetic.baselines.regression import least_squares, relative_residual
from coarsepde.kinetic.baselines.stridge_search import train_stridge
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.polynomial import Term

__all__ = ["MSHDLResult", "ms_hdl", "MSHDL"]


@dataclass
class MSHDLResult:
    """MS-HDL fit: per part the library's words, coefficients (original units) and relative residual;
    ``coef`` the summed equation over :data:`DICTIONARY` (0 for words dropped in every part)."""

    coef: np.ndarray
    parts: dict[str, dict]
    terms: tuple[Term, ...] = DICTIONARY


def ms_hdl(
    parts: Mapping[str, FitData],
    words: Sequence[Term] = DICTIONARY,
    *,
    method: str = "lstsq",
    max_rows: int | None = None,
    seed: int = 0,
    null_rtol: float | None = 1e-10,
    **kw,
) -> MSHDLResult:
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
        out[name] = {
            "terms": lib.terms,
            "dropped": lib.dropped,
            "coef": c,
            "coef_full": full,
            "dt": data.dt,
            "residual": relative_residual(lib.Theta, lib.y, c),
        }
    return MSHDLResult(total, out, tuple(words))


class MSHDL:
    """scikit-learn-style MS-HDL baseline: :meth:`fit` takes the scale-split data {part: FitData} and runs
    :func:`ms_hdl` (same arguments); ``coef_`` is the summed equation over ``words`` (original units),
    ``result_`` the per-part fits (:class:`MSHDLResult`)."""

    def __init__(
        self,
        words: Sequence[Term] = DICTIONARY,
        *,
        method: str = "lstsq",
        max_rows: int | None = None,
        seed: int = 0,
        null_rtol: float | None = 1e-10,
        **kw,
    ):
        self.words, self.method, self.max_rows, self.seed, self.null_rtol, self.kw = (
            tuple(words),
            method,
            max_rows,
            seed,
            null_rtol,
            kw,
        )

    def fit(self, parts: Mapping[str, FitData]) -> MSHDL:
        self.result_ = ms_hdl(
            parts,
            self.words,
            method=self.method,
            max_rows=self.max_rows,
            seed=self.seed,
            null_rtol=self.null_rtol,
            **self.kw,
        )
        self.coef_ = self.result_.coef
        return self

    def predict(self, Theta: np.ndarray) -> np.ndarray:
        """Theta @ coef_, Theta's columns the ``words`` (e.g. a ``library(..., null_rtol=None)`` matrix)."""
        return np.asarray(Theta, dtype=np.float64) @ self.coef_

    def coefficients(self) -> np.ndarray:
        return self.coef_

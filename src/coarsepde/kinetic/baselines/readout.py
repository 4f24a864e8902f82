"""Read-out of a dictionary fit: the learned g-equation as an operator polynomial, its four physical
coefficients, Error% (6.2) and the spurious (non-physical) terms with their contributions.

Coefficients are in the true-sign convention of :mod:`coarsepde.kinetic.scoring` (the exact ones are
-sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2); a coefficient of a word with a A's has units [t]^-1 [x]^a.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coarsepde.kinetic.baselines.dictionary import DICTIONARY, term_name
from coarsepde.kinetic.baselines.library import Library
from coarsepde.kinetic.polynomial import OperatorPolynomial, Term
from coarsepde.kinetic.scoring import PHYSICAL_TERMS, error_percent, exact_g_coefficients, physical_coefficients

__all__ = ["to_polynomial", "Summary", "summarize"]


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


def summarize(
    coef, terms: Sequence[Term] = DICTIONARY, eps: float = 1.0, sigma_s: float = 1.0, *, lib: Library | None = None
) -> Summary:
    """Physical coefficients and Error% (via :func:`~coarsepde.kinetic.scoring.error_percent`) of a coefficient
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
    spur = [
        (term_name(t), float(c), float(rel.get(t, np.nan)))
        for t, c in zip(terms, coef)
        if t not in physical_terms and c != 0.0
    ]
    spur.sort(key=lambda s: -(s[2] if np.isfinite(s[2]) else abs(s[1])))
    return Summary(phys, exact_g_coefficients(eps, sigma_s), float(err), spur, poly)

"""Coefficient read-out of a learned g-equation: the four physical terms, Error% and the printed form.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs"
(reference facts Sects. 3.5-3.6). :func:`error_percent` and :func:`format_equation` compare the four
physical terms g, v d_x g, <v d_x g>, v d_x rho of an :class:`~coarsepde.kinetic.polynomial.OperatorPolynomial`
(or a mapping of them) with the exact -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2 (Eq. 2.5; Eq. 2.10 prints a
sign typo on a_1). Coefficients in the true-sign convention; units [t]^-1 [x]^(a + 2d) for a word with
a A's and d D's.
"""

from __future__ import annotations

import numpy as np

from coarsepde.kinetic.polynomial import OperatorPolynomial, Term, as_numpy

__all__ = [
    "PHYSICAL_TERMS",
    "exact_g_coefficients",
    "physical_coefficients",
    "coefficient_differences",
    "error_percent",
    "format_equation",
]


#: The four terms of the g-equation shown in the paper's tables, in the tables' order.
PHYSICAL_TERMS: dict[str, Term] = {
    "g": Term((), "g"),
    "v d_x g": Term(("A",), "g"),
    "<v d_x g>": Term(("P", "A"), "g"),
    "v d_x rho": Term(("A",), "rho"),
}


def exact_g_coefficients(eps: float, sigma_s: float = 1.0) -> dict[str, float]:
    """Exact true-sign coefficients of Eq. (2.5) with sigma_A = 0: -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2."""
    return {"g": -sigma_s / eps**2, "v d_x g": -1.0 / eps, "<v d_x g>": 1.0 / eps, "v d_x rho": -1.0 / eps**2}


def physical_coefficients(poly) -> dict[str, float | np.ndarray]:
    """The four table coefficients of a g-equation polynomial (0.0 when absent).

    ``poly`` is an :class:`OperatorPolynomial` (simplified, so that e.g. the dictionary's "I" and
    the relaxation are merged on the word () of g) or a mapping with the keys of :data:`PHYSICAL_TERMS`.
    """
    out = {}
    for name, term in PHYSICAL_TERMS.items():
        c = poly.terms.get(term, 0.0) if isinstance(poly, OperatorPolynomial) else poly.get(name, 0.0)
        a = as_numpy(c)
        out[name] = float(a) if a.size == 1 else a.copy()
    return out


def coefficient_differences(poly, eps: float, sigma_s: float = 1.0) -> dict[str, dict[str, float]]:
    """Per physical term: learned, exact, difference = learned - exact (true-sign convention)."""
    learned = physical_coefficients(poly)
    exact = exact_g_coefficients(eps, sigma_s)
    return {k: {"learned": learned[k], "exact": exact[k], "difference": learned[k] - exact[k]} for k in exact}


def error_percent(poly, eps: float, sigma_s: float = 1.0) -> float:
    """Error% of the tables (formula (6.2), reference facts Sect. 3.6), signs ignored:

        100 * sum_k | |c_k^pred| - |c_k^exact| | / sum_k |c_k^exact|,

    over g, v d_x g, <v d_x g>, v d_x rho; with sigma_S = 1 the denominator is 2/eps^2 + 2/eps.
    """
    learned = physical_coefficients(poly)
    exact = exact_g_coefficients(eps, sigma_s)
    for k, c in learned.items():
        if np.ndim(c):
            raise ValueError(f"coefficient of {k!r} is x-dependent; Error% is defined for constants")
    num = sum(abs(abs(learned[k]) - abs(exact[k])) for k in exact)
    den = sum(abs(c) for c in exact.values())
    return 100.0 * num / den


def _magnitude_label(mag: float, inv_eps: float, power: int, prefactor: float = 1.0) -> str:
    n = round(inv_eps)
    if abs(inv_eps - n) <= 1e-9 * inv_eps:
        base = f"{n}^{power}" if power > 1 else f"{n}"
        return base if prefactor == 1.0 else f"{prefactor:g}*{base}"
    return f"{mag:.6g}"


def format_equation(
    poly, eps: float, sigma_s: float = 1.0, digits: int = 3, others: str = "ellipsis", lhs: str | None = "d_t g"
) -> str:
    """The paper's printed form (Eq. 6.1) of a learned g-equation, e.g. for eps = 1/16

        d_t g = -(16^2 + 8.360e-02) g - (16 + 2.052e-01) v d_x g + (16 + 2.066e-01) <v d_x g>
                - (16^2 - 1.145e-01) v d_x rho + ...

    Each physical term is printed as s (|exact| +- d) with s = sign(exact) and
    d = s (learned - exact), so the printed expression equals the learned coefficient exactly
    (the paper's tables are loose about this sign; facts Sect. 3.5). x-dependent coefficients are
    printed as their [min, max]. ``others``: "ellipsis" appends "+ ..." when further nonzero
    terms exist, "full" lists them with their coefficients, "none" omits them.
    """
    if others not in ("ellipsis", "full", "none"):
        raise ValueError(f"others must be 'ellipsis', 'full' or 'none', got {others!r}")
    learned = physical_coefficients(poly)
    exact = exact_g_coefficients(eps, sigma_s)
    inv = 1.0 / eps
    labels = {
        "g": _magnitude_label(abs(exact["g"]), inv, 2, sigma_s),
        "v d_x g": _magnitude_label(inv, inv, 1),
        "<v d_x g>": _magnitude_label(inv, inv, 1),
        "v d_x rho": _magnitude_label(inv**2, inv, 2),
    }
    pieces = []
    for k, ex in exact.items():
        s = 1.0 if ex > 0 else -1.0
        c = learned[k]
        if np.ndim(c):
            body = f"[{np.min(c):.{digits}e}, {np.max(c):.{digits}e}]"
            pieces.append(("+", f"{body} {k}"))
            continue
        d = s * (c - ex)
        body = f"({labels[k]} {'+' if d >= 0 else '-'} {abs(d):.{digits}e})"
        pieces.append(("+" if s > 0 else "-", f"{body} {k}"))
    if isinstance(poly, OperatorPolynomial) and others != "none":
        rest = [(t, c) for t, c in poly.numeric().prune().items() if t not in PHYSICAL_TERMS.values()]
        if rest and others == "ellipsis":
            pieces.append(("+", "..."))
        elif rest:
            rest.sort(key=lambda tc: -float(np.max(np.abs(tc[1]))))
            for t, c in rest:
                if np.ndim(c):
                    pieces.append(("+", f"[{np.min(c):.{digits}e}, {np.max(c):.{digits}e}] {t}"))
                else:
                    pieces.append(("+" if c >= 0 else "-", f"{abs(c):.{digits}e} {t}"))
    text = ""
    for i, (sign, body) in enumerate(pieces):
        if i == 0:
            text = ("-" if sign == "-" else "") + body
        else:
            text += f" {sign} {body}"
    return f"{lhs} = {text}" if lhs else text

"""The registry of the DC-RNN fitting schemes: name -> residual, window span, order in dt, stencil.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Sect. 4,
Appendix 8). The linear multistep forms live in :mod:`coarsepde.kinetic.fitting`, the Runge-Kutta forms in
:mod:`coarsepde.kinetic.rk_fits`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.fitting import STENCILS, LinearStencil, backward_euler, forward_euler, imex1, imex_bdf
from coarsepde.kinetic.rk_fits import ars222, rk4

__all__ = ["Scheme", "SCHEMES", "get_scheme", "residual"]


@dataclass(frozen=True)
class Scheme:
    """A fitting scheme: ``residual(model, data, idx=None, **kw)``, the number of steps a window spans,
    its order in dt, and its :class:`LinearStencil` when it is a linear multistep form (else None)."""

    name: str
    residual: Callable
    span: int
    order: int
    stencil: LinearStencil | None = None
    description: str = field(default="", compare=False)


def _bdf_fn(q):
    def fn(model, data, idx=None):
        return imex_bdf(model, data, q, idx)

    fn.__name__ = f"imex_bdf{q}"
    fn.__doc__ = f"IMEX-BDF-{q} residual (:func:`imex_bdf` with q = {q})."
    return fn


SCHEMES: dict[str, Scheme] = {
    "fe": Scheme("fe", forward_euler, 1, 1, STENCILS["fe"], "forward Euler, Eq. (4.4)"),
    "be": Scheme("be", backward_euler, 1, 1, STENCILS["be"], "backward Euler, Eq. (4.6)"),
    "rk4": Scheme("rk4", rk4, 1, 4, None, "classical RK4, Eq. (4.7) corrected"),
    "imex1": Scheme("imex1", imex1, 1, 1, STENCILS["imex1"], "first-order IMEX, Eq. (4.11)"),
    "ars222": Scheme("ars222", ars222, 1, 2, None, "IMEX-ARS(2,2,2), Eq. (8.6)-(8.12) corrected"),
    **{
        f"bdf{q}": Scheme(f"bdf{q}", _bdf_fn(q), q, q, STENCILS[f"bdf{q}"], f"IMEX-BDF-{q}, Eq. (8.13)-(8.18)")
        for q in (1, 2, 3, 4)
    },
}

_ALIASES = {
    "forward_euler": "fe",
    "euler": "fe",
    "backward_euler": "be",
    "ars": "ars222",
    "ars(2,2,2)": "ars222",
    "imex-ars222": "ars222",
    "imex": "imex1",
}


def get_scheme(scheme) -> Scheme:
    """A :class:`Scheme` from itself or a name: "fe", "be", "rk4", "imex1", "ars222", "bdf1".."bdf4"
    (case-insensitive; also "BDF-2", "IMEX-BDF-2", "ARS", "forward_euler", ...)."""
    if isinstance(scheme, Scheme):
        return scheme
    key = str(scheme).lower().replace("imex-bdf", "bdf").replace("bdf-", "bdf").replace(" ", "")
    key = _ALIASES.get(key, key)
    if key not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; known: {sorted(SCHEMES)}")
    return SCHEMES[key]


def residual(model, data: FitData, scheme, idx=None, **kw):
    """The residual of ``scheme`` (name or :class:`Scheme`); extra keywords go to the scheme (ARS only)."""
    return get_scheme(scheme).residual(model, data, idx=idx, **kw)

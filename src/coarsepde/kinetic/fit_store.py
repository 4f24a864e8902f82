"""The fit store of a P3 table: the results of :func:`coarsepde.kinetic.experiments.fit_one` keyed by (row, eps)
as one xarray Dataset (coefficients, Error%, parameters, Adam traces, both protocols)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from coarsepde.kinetic.protocols import PROTOCOLS
from coarsepde.kinetic.scoring import PHYSICAL_TERMS, exact_g_coefficients

__all__ = ["term_names", "string_array", "results_dataset"]


def term_names() -> list[str]:
    return list(PHYSICAL_TERMS)


def string_array(values) -> np.ndarray:
    """Variable-length strings (Zarr v3 has a specified vlen string type, not fixed-width unicode)."""
    return np.array([str(v) for v in values], dtype=object)


def results_dataset(results: dict, rows: Sequence[str], eps_list: Sequence[float], row_dim: str) -> xr.Dataset:
    """The fit store of :func:`fit_one` results keyed by (row, eps): dims ``row_dim`` (the table's rows: schemes,
    or regularisation variants), inv_eps, protocol, term, word, parameter, record."""
    inv = np.array([round(1.0 / e) for e in eps_list])
    terms = term_names()
    words = sorted({w for r in results.values() for p in PROTOCOLS for w in r[p]["words"]})
    pnames = []  # the union (rows of different M have different parameters; absent ones are NaN)
    for r in results.values():
        pnames += [n for n in r["adam"]["parameter_names"] if n not in pnames]
    pindex = {n: i for i, n in enumerate(pnames)}
    S, E, P, T, W = len(rows), len(eps_list), len(PROTOCOLS), len(terms), len(words)
    n_rec = max(len(r["history"].loss) for r in results.values())
    coef = np.full((S, E, P, T), np.nan)
    word_c = np.zeros((S, E, P, W))
    params = np.full((S, E, P, len(pnames)), np.nan)
    err = np.full((S, E, P), np.nan)
    epsp = np.full((S, E, P), np.nan)
    loss = np.full((S, E, P), np.nan)
    secs = np.full((S, E, P), np.nan)
    h_it = np.full(n_rec, -1, dtype=np.int64)
    h_loss = np.full((S, E, n_rec), np.nan)
    h_err = np.full((S, E, n_rec), np.nan)
    h_eps = np.full((S, E, n_rec), np.nan)
    start = np.empty((S, E), dtype=object)
    exact = np.array([[exact_g_coefficients(e)[k] for k in terms] for e in eps_list])
    for i, scheme in enumerate(rows):
        for j, e in enumerate(eps_list):
            r = results[(scheme, e)]
            for k, p in enumerate(PROTOCOLS):
                s = r[p]
                coef[i, j, k] = [s["coefficients"][t] for t in terms]
                word_c[i, j, k] = [s["words"].get(w, 0.0) for w in words]
                params[i, j, k, [pindex[n] for n in s["parameter_names"]]] = s["parameters"]
                err[i, j, k], epsp[i, j, k], loss[i, j, k] = s["error"], s["eps_pred"], s["loss"]
                secs[i, j, k] = r["seconds"][p]
            h = r["history"]
            n = len(h.loss)
            h_it[:n] = h.iteration
            h_loss[i, j, :n], h_err[i, j, :n], h_eps[i, j, :n] = h.loss, h.error, h.eps_pred
            start[i, j] = r["converged_start"]
    dims = (row_dim, "inv_eps", "protocol")
    ds = xr.Dataset(
        {
            "coefficient": (
                dims + ("term",),
                coef,
                {
                    "long_name": "learned coefficient of the g-equation RHS "
                    "(true-sign convention: d_t g = sum c_k term_k)"
                },
            ),
            "exact": (("inv_eps", "term"), exact, {"long_name": "exact coefficient, Eq. (2.5)"}),
            "error": (dims, err, {"units": "%", "long_name": "Error% (Eq. 6.2, reference facts Sect. 3.6)"}),
            "eps_pred": (dims, epsp, {"long_name": "learned eps_pred (Eq. 5.2)"}),
            "loss": (dims, loss, {"long_name": "final L1 data loss of the fitting scheme"}),
            "seconds": (dims, secs, {"units": "s", "long_name": "wall time of the protocol"}),
            "word_coefficient": (
                dims + ("word",),
                word_c,
                {"long_name": "every term of the expanded learned operator (Eq. 3.11 form)"},
            ),
            "parameters": (dims + ("parameter",), params, {"long_name": "trained network parameters"}),
            "adam_loss": ((row_dim, "inv_eps", "record"), h_loss, {"long_name": "Adam L1 loss"}),
            "adam_error": ((row_dim, "inv_eps", "record"), h_err, {"units": "%"}),
            "adam_eps_pred": ((row_dim, "inv_eps", "record"), h_eps, {}),
            "converged_start": ((row_dim, "inv_eps"), start, {"long_name": "start of the kept converged fit"}),
        },
        coords={
            row_dim: string_array(rows),
            "inv_eps": inv,
            "protocol": string_array(PROTOCOLS),
            "term": string_array(terms),
            "word": string_array(words),
            "parameter": string_array(pnames),
            "record": np.arange(n_rec),
            "adam_iteration": ("record", h_it),
        },
    )
    return ds

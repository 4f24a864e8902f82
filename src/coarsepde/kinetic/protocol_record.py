"""The record of P3 under the authors' own protocol: the batched engine's fits beside the paper and the optimum.

Delgadillo, Hu, Yang (DC-RNN), Tables 1-11 and Fig. 4. ``p3_protocol_fit`` trains, per eps, every Adam fit of
those tables with the notebook's protocol for 80,000 steps; the pipeline's ``p3_fit`` / ``p3_example_fit`` stores
hold the converged optimum of each ansatz on the same data. This module reads both and gives

* :func:`protocol_errors`: Error% per (fit label, 1/eps) of the protocol stores;
* :func:`table_rows`: per table, the rows paper / ours / optimum (what the record prints);
* :func:`claim_errors`: the ``errors`` mapping of the table claims (:mod:`coarsepde.claims.p3_table_rows`) with
  "adam" = the protocol run and "converged" = the pipeline's optimum, for the claims whose every eps has run;
* :func:`regularisation_errors`: Tables 9 and 10 in the form of their checks.

Error% is Eq. (6.2) (reference facts Sect. 3.6), in percent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from coarsepde.claims import TABLE_CLAIM_TABLES
from coarsepde.kinetic.examples import PAPER_TABLE9, PAPER_TABLE10
from coarsepde.kinetic.experiments import PAPER_ERRORS, TABLES

__all__ = [
    "TABLE_LABEL",
    "protocol_errors",
    "converged_errors_of",
    "adam_path",
    "table_rows",
    "claim_errors",
    "regularisation_errors",
    "pending",
]

#: the protocol-run label of each table's fit (Table 11's IMEX-BDF-2 row is Table 7's fit)
TABLE_LABEL = {t: f"T{t}" for t in range(1, 9)}
TABLE9_LABELS = {"plain": "T5", "multiscale": "T7", "multiscale + sparse": "T9-sparse"}
TABLE10_LABELS = {"no <g> = 0": "T10-plain", "<g> = 0": "T10-mean0"}


def protocol_errors(stores: Iterable) -> dict[str, dict[int, dict]]:
    """label -> 1/eps -> {error, eps_pred, loss, seconds, steps} from the ``p3_protocol_fit`` stores."""
    out: dict[str, dict[int, dict]] = {}
    for ds in stores:
        inv = int(ds.attrs["inv_eps"])
        for i, label in enumerate(ds.fit.values):
            out.setdefault(str(label), {})[inv] = {
                "error": float(ds.error.values[i]),
                "eps_pred": float(ds.eps_pred.values[i]),
                "loss": float(ds.loss.values[i]),
                "seconds": float(ds.attrs["adam_seconds"]),
                "steps": int(ds.attrs["steps"]),
            }
    return out


def converged_errors_of(stores: Iterable, var: str = "error") -> dict[tuple[int, str], dict[int, float]]:
    """(table, row) -> 1/eps -> the converged fits' ``var`` ("error": Error%; "loss": the L1 data loss) of the
    pipeline's fit stores (row: scheme, or the variant of Tables 9 and 10); NaN where a store has no ``var``."""
    out: dict[tuple[int, str], dict[int, float]] = {}
    for ds in stores:
        t = int(ds.attrs["table"])
        dim = "scheme" if "scheme" in ds.dims else "variant"
        for r in ds[dim].values:
            for inv in ds.inv_eps.values:
                sel = {dim: r, "inv_eps": inv, "protocol": "converged"}
                out.setdefault((t, str(r)), {})[int(inv)] = float(ds[var].sel(sel)) if var in ds else np.nan
    return out


def adam_path(stores: Iterable, converged_loss: Mapping) -> list[dict]:
    """Per Tables 1-8 fit and eps of the protocol stores: the final Error% and L1 loss, the lowest Error% along
    the Adam path (and the iteration and loss there), and the converged fit's L1 loss: whether the paper's number
    can be a point of the path that is not the optimum (Error% is not the loss)."""
    out = []
    for ds in stores:
        inv = int(ds.attrs["inv_eps"])
        for i, label in enumerate(map(str, ds.fit.values)):
            t = int(ds.table.values[i])
            if label != TABLE_LABEL.get(t):
                continue
            it, err, loss = (ds[k].values[i] for k in ("iteration", "error_history", "loss_history"))
            ok = np.isfinite(err)
            k = int(np.argmin(np.where(ok, err, np.inf)))
            out.append(
                dict(
                    fit=label,
                    inv_eps=inv,
                    paper=PAPER_ERRORS[t].get(inv, np.nan),
                    final=float(ds.error.values[i]),
                    final_loss=float(ds.loss.values[i]),
                    path_min=float(err[k]),
                    at=int(it[k]),
                    loss_there=float(loss[k]),
                    converged_loss=converged_loss.get((t, _scheme(t)), {}).get(inv, np.nan),
                )
            )
    return out


def _scheme(t: int) -> str:
    return TABLES[t].schemes[0]


def table_rows(
    ours: Mapping, converged: Mapping, inv_eps: Iterable[int], table9_inv: int = 256, table11_inv: int = 64
) -> dict[str, list[dict]]:
    """Per table title, rows {inv_eps, paper, ours, eps_pred, optimum} (NaN where not run / not printed); Table 9
    at 1/eps = ``table9_inv`` (the paper's 256), Table 11 at ``table11_inv`` (the paper's 64)."""

    def get(label, inv, key="error"):
        return ours.get(label, {}).get(inv, {}).get(key, np.nan)

    out = {}
    for t in range(1, 9):
        s = _scheme(t)
        out[f"Table {t} ({s}, M = {TABLES[t].M}, K = {TABLES[t].K})"] = [
            dict(
                inv_eps=inv,
                paper=PAPER_ERRORS[t].get(inv, np.nan),
                ours=get(TABLE_LABEL[t], inv),
                eps_pred=get(TABLE_LABEL[t], inv, "eps_pred"),
                optimum=converged.get((t, s), {}).get(inv, np.nan),
            )
            for inv in inv_eps
        ]
    rows9 = []
    for name, label in TABLE9_LABELS.items():
        rows9.append(
            dict(
                inv_eps=name,
                paper=PAPER_TABLE9[name] if table9_inv == 256 else np.nan,
                ours=get(label, table9_inv),
                eps_pred=get(label, table9_inv, "eps_pred"),
                optimum=converged.get((9, name), {}).get(table9_inv, np.nan),
            )
        )
    out[f"Table 9 (IMEX-BDF-2, K = 2, 1/eps = {table9_inv})"] = rows9
    rows10 = []
    for name, label in TABLE10_LABELS.items():
        for inv in sorted(PAPER_TABLE10[name]):
            rows10.append(
                dict(
                    inv_eps=f"{name}, 1/{inv}",
                    paper=PAPER_TABLE10[name][inv],
                    ours=get(label, inv),
                    eps_pred=get(label, inv, "eps_pred"),
                    optimum=converged.get((10, name), {}).get(inv, np.nan),
                )
            )
    out["Table 10 (IMEX-BDF-2, M = 2, <g> = 0 penalty)"] = rows10
    out[f"Table 11 (M = 2, 1/eps = {table11_inv})"] = [
        dict(
            inv_eps=s,
            paper=PAPER_ERRORS[11][s].get(table11_inv, np.nan),
            ours=get("T7" if s == "bdf2" else "T11-bdf4", table11_inv),
            eps_pred=get("T7" if s == "bdf2" else "T11-bdf4", table11_inv, "eps_pred"),
            optimum=converged.get((11, s), {}).get(table11_inv, np.nan),
        )
        for s in ("bdf2", "bdf4")
    ]
    return out


def _table_entry(ours, converged, label, t, s, invs):
    if not all(inv in ours.get(label, {}) for inv in invs):
        return None
    opt = converged.get((t, s), {})
    return {inv: {"adam": ours[label][inv]["error"], "converged": opt.get(inv, np.nan)} for inv in invs}


def claim_errors(ours: Mapping, converged: Mapping, tables_inv: Iterable[int], table11_inv: Iterable[int]):
    """claim ID -> (errors, paper) for the table claims whose every (table, 1/eps) has a protocol fit."""
    tables_inv, table11_inv = sorted(tables_inv), sorted(table11_inv)
    out = {}
    for cid, tables in TABLE_CLAIM_TABLES.items():
        errors, paper = {}, {}
        for t in tables:
            if t == 11:
                for s, label in (("bdf2", "T7"), ("bdf4", "T11-bdf4")):
                    errors[(11, s)] = _table_entry(ours, converged, label, 11, s, table11_inv)
                    paper[(11, s)] = dict(PAPER_ERRORS[11][s])
            else:
                s = _scheme(t)
                errors[(t, s)] = _table_entry(ours, converged, TABLE_LABEL[t], t, s, tables_inv)
                paper[(t, s)] = dict(PAPER_ERRORS[t])
        if all(v is not None for v in errors.values()):
            out[cid] = (errors, paper)
    return out


def regularisation_errors(ours: Mapping, converged: Mapping, table9_inv: int, table10_inv: Iterable[int]):
    """Inputs of the Table 9 and 10 checks (``errors``/``converged`` keyword pairs), None where not all run."""
    t9 = None
    if all(table9_inv in ours.get(lb, {}) for lb in TABLE9_LABELS.values()):
        t9 = dict(
            errors={k: ours[lb][table9_inv]["error"] for k, lb in TABLE9_LABELS.items()},
            converged={k: converged.get((9, k), {}).get(table9_inv, np.nan) for k in TABLE9_LABELS},
        )
    invs = sorted(table10_inv)
    t10 = None
    if all(inv in ours.get(lb, {}) for lb in TABLE10_LABELS.values() for inv in invs):
        t10 = dict(
            errors={inv: {k: ours[lb][inv]["error"] for k, lb in TABLE10_LABELS.items()} for inv in invs},
            converged={inv: {k: converged.get((10, k), {}).get(inv, np.nan) for k in TABLE10_LABELS} for inv in invs},
        )
    return t9, t10


def pending(ours: Mapping, needed: Mapping[str, Iterable[int]]) -> dict[str, list[int]]:
    """label -> the 1/eps of ``needed`` with no protocol fit yet."""
    out = {}
    for label, invs in needed.items():
        miss = [inv for inv in invs if inv not in ours.get(label, {})]
        if miss:
            out[label] = miss
    return out

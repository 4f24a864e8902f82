"""The record of P1 under the authors' own protocol (issue 22 item 3): what the run's stores measure, per replica.

Bar-Sinai et al. 2019. Rule ``p1_protocol`` trains the deciding models of the P1 claims at the paper's budget once
per replica (seed) and integrates them; its record reads the stores named by the run's plan (a settings file: a
manifest of :class:`Entry` and the claims' settings), whichever of them exist, and gives

* :func:`valid_time_samples`, :func:`median_table`: Fig. 4's valid times (Burgers from the coarse runs, KdV / KS
  from their valid-time stores) and their medians with bootstrap CIs, the baselines' and each replica's;
* :func:`mae_tables`: Fig. 3C's mean absolute errors on the 10x domain;
* :class:`RowTable`: the record's rows, one number per replica beside the paper's statement, with
  :func:`summarise` (mean and spread over the replicas); :func:`benchmark_rows`: wall-clock per job;
* :func:`item5_reading`: issue 22 item 5 -- whether the data or the training decide the d/dx stencil's centre of
  mass, from its correlation with v and the loss's sensitivity to mirroring it (``coefficient_stats``).

The claim checks themselves are :mod:`coarsepde.claims` (the record's script joins the two).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from coarsepde.discretization.metrics import bootstrap_median_ci
from coarsepde.discretization.scoring import burgers_valid_times, mae_table
from coarsepde.store import read_dataset

__all__ = [
    "Entry",
    "entries_of",
    "select",
    "complete",
    "valid_time_samples",
    "median_table",
    "mae_tables",
    "summarise",
    "fmt",
    "RowTable",
    "benchmark_rows",
    "item5_reading",
    "ITEM5_MIN_RISE",
]

#: issue 22 item 5: the data decide the d/dx stencil's direction when mirroring it raises the loss by at least
#: this fraction on every replica and the replicas agree on the sign of its correlation with v (the project's
#: choice: a tenth of the loss is well above the spread of the loss between replicas of one budget)
ITEM5_MIN_RISE = 0.1


@dataclass(frozen=True)
class Entry:
    """One store of the run: ``kind`` (data, interpolation, model, history, eval), where it lies and what it holds
    (``replica`` None: the baselines, run once; ``domain``: test or large for Burgers evaluations)."""

    kind: str
    path: str
    replica: int | None = None
    equation: str | None = None
    model: str | None = None
    factor: int | None = None
    domain: str | None = None
    split: str | None = None

    @property
    def exists(self) -> bool:
        return Path(self.path).exists()


def entries_of(stores: Iterable[Mapping]) -> list[Entry]:
    """The manifest of a plan (a list of mappings with :class:`Entry`'s fields) as entries."""
    names = {f.name for f in fields(Entry)}
    out = []
    for s in stores:
        unknown = set(s) - names
        if unknown:
            raise ValueError(f"unknown manifest fields {sorted(unknown)} in {dict(s)}")
        out.append(Entry(**s))
    return out


def select(entries: Iterable[Entry], **match) -> list[Entry]:
    """The entries whose fields equal every ``match`` (e.g. ``kind="eval", replica=None``)."""
    return [e for e in entries if all(getattr(e, k) == v for k, v in match.items())]


def complete(entries: Iterable[Entry]) -> bool:
    """True when there is at least one entry and every one exists."""
    entries = list(entries)
    return bool(entries) and all(e.exists for e in entries)


def valid_time_samples(entries: Iterable[Entry], burgers_fine, fig4: Mapping, log) -> tuple[dict, dict]:
    """Per-simulation valid times of the test-run evaluations ``entries`` (kind eval, domain test: Burgers coarse
    runs, KdV / KS valid-time stores), ``((equation, factor, method) -> (S,) valid times, equation -> t_max)``.
    Burgers's are computed here (:func:`~coarsepde.discretization.scoring.burgers_valid_times`, threshold from the
    fine test data ``burgers_fine``); ``fig4`` holds ``t_max``, ``threshold_quantile`` and ``fraction``."""
    samples, t_max = {}, {}
    entries = list(entries)
    for e in (e for e in entries if e.equation == "burgers"):  # one store at a time: several may share a factor
        q, frac = fig4["threshold_quantile"], fig4["fraction"]
        for f, (methods, vt, _tau, tm) in burgers_valid_times(
            burgers_fine, [e.path], fig4["t_max"], q, frac, log
        ).items():
            t_max["burgers"] = tm
            samples |= {("burgers", f, m): v for m, v in zip(methods, vt)}
    for e in entries:
        if e.equation == "burgers":
            continue
        ds = read_dataset(e.path)
        if ds.attrs["threshold_quantile"] != fig4["threshold_quantile"] or ds.attrs["fraction"] != fig4["fraction"]:
            raise ValueError(f"{e.path} was scored with other valid-time settings")
        t_max[e.equation] = float(ds.attrs["t_max"])
        samples |= {(e.equation, e.factor, str(m)): ds.valid_time.values[i] for i, m in enumerate(ds.method.values)}
    return samples, t_max


def median_table(samples: Mapping, n_boot: int, ci: float, seed: int) -> dict[str, dict[str, dict[int, tuple]]]:
    """equation -> method -> factor -> (median, CI low, CI high) of the valid times ``samples`` (as
    :func:`valid_time_samples`), percentile bootstrap of ``n_boot`` resamples; one seeded stream per cell, derived
    from ``seed`` and the cell (equation, factor, method), so a cell's interval does not depend on the others."""
    out: dict[str, dict[str, dict[int, tuple]]] = {}
    for (eq, f, m), v in sorted(samples.items()):
        cell = sum(ord(c) for c in f"{eq}/{m}") * 1009 + int(f)
        out.setdefault(eq, {}).setdefault(m, {})[int(f)] = bootstrap_median_ci(
            np.asarray(v), n_boot, ci, seed=seed + cell
        )
    return out


def mae_tables(entries: Iterable[Entry], t_max: float, log=None) -> tuple[dict, dict, dict]:
    """``(mae, shown, stable)`` from the 10x-domain coarse runs ``entries`` (kind eval, domain large; the baselines'
    and one replica's): method -> factor -> Fig. 3C's MAE and marker rule
    (:func:`~coarsepde.discretization.scoring.mae_table`), and method -> factor -> True when no run diverged."""
    mae, shown, stable = {}, {}, {}
    for e in entries:
        ds = read_dataset(e.path)
        methods = [str(m) for m in ds.method.values]
        m_, s_ = mae_table({e.factor: ds}, methods, t_max, log)
        for m in methods:
            mae.setdefault(m, {}).update(m_[m])
            shown.setdefault(m, {}).update(s_[m])
            div = ds.t_diverged.sel({"method": m}).values
            stable.setdefault(m, {})[e.factor] = bool(np.all(~np.isfinite(div)))
    return mae, shown, stable


def summarise(values: Mapping[int, float]) -> tuple[float, float]:
    """(mean, spread) of a number over the replicas: spread = max - min of the finite values (NaN with fewer than
    two); a NaN value (a diverged run's MAE) makes the mean NaN."""
    v = np.array([float(x) for x in values.values()], dtype=float)
    if not v.size:
        return math.nan, math.nan
    finite = v[np.isfinite(v)]
    spread = float(finite.max() - finite.min()) if finite.size >= 2 else math.nan
    return float(v.mean()), spread


def fmt(v) -> str:
    """A number of the record: 3 significant digits; "NaN" (e.g. a diverged run's MAE); "—" for None."""
    if v is None:
        return "—"
    return "NaN" if isinstance(v, float) and math.isnan(v) else f"{v:.3g}"


class RowTable:
    """The record's rows: per (row, quantity) the paper's statement, a reference, one number per replica (and
    optionally its printed text, e.g. a median with its CI), then the mean and spread over the replicas."""

    def __init__(self, replicas: Iterable[int]):
        self.replicas = list(replicas)
        self.rows: list[dict] = []

    def add(
        self, row, quantity, paper, values: Mapping[int, float], texts: Mapping[int, str] | None = None, reference=""
    ):
        self.rows.append(
            dict(row=row, quantity=quantity, paper=paper, values=dict(values), texts=texts, reference=reference)
        )

    def markdown(self) -> list[str]:
        """The table's lines; a replica without a value shows "pending"."""
        head = ["row", "quantity", "paper", "reference", *[f"seed {r}" for r in self.replicas], "mean", "spread"]
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for x in self.rows:
            texts = x["texts"] or {r: fmt(v) for r, v in x["values"].items()}
            mean, spread = summarise(x["values"])
            cells = [x["row"], x["quantity"], x["paper"], x["reference"] or "—"]
            cells += [texts.get(r, "pending") for r in self.replicas] + [fmt(mean), fmt(spread)]
            out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        return out


def benchmark_rows(directory: str | Path, prefix: str) -> list[dict]:
    """Wall-clock and CPU seconds of every job whose Snakemake benchmark file ``<directory>/<prefix>*.tsv`` exists:
    ``{"job", "wall_s", "cpu_s", "max_rss_mb"}`` sorted by job (a resumed job: its last attempt only)."""
    rows = []
    for path in sorted(Path(directory).glob(f"{prefix}*.tsv")):
        with open(path, newline="") as fh:
            recs = list(csv.DictReader(fh, delimiter="\t"))
        if not recs:
            continue
        r = recs[-1]
        cpu = r.get("cpu_time", "NA")
        rows.append(
            {
                "job": path.stem,
                "wall_s": float(r["s"]),
                "cpu_s": float(cpu) if cpu not in ("", "NA") else math.nan,
                "max_rss_mb": float(r["max_rss"]) if r.get("max_rss", "NA") not in ("", "NA") else math.nan,
            }
        )
    return rows


def item5_reading(per_replica: Mapping[int, Mapping[str, float]], min_rise: float = ITEM5_MIN_RISE) -> str:
    """Issue 22 item 5 from each replica's d/dx centre-of-mass correlation with v (``corr``) and the loss of its
    model as trained (``model``) and with the d/dx stencil mirrored at every face (``d/dx mirrored``): "the data"
    decide the stencil's direction when mirroring raises the loss by >= ``min_rise`` on every replica and the
    replicas agree on the sign of ``corr``; otherwise "the training" does (the loss leaves it open, each seed's
    training picks one)."""
    if not per_replica:
        return "not measured yet (no replica's model has finished)"
    rises = {r: (p["d/dx mirrored"] - p["model"]) / p["model"] for r, p in per_replica.items()}
    signs = {int(np.sign(p["corr"])) for p in per_replica.values()}
    decided = all(x >= min_rise for x in rises.values()) and len(signs) == 1
    rise_txt = ", ".join(f"{100 * x:+.3g} %" for _, x in sorted(rises.items()))
    corr_txt = ", ".join(f"{p['corr']:+.3f}" for _, p in sorted(per_replica.items()))
    verdict = "the data decide it" if decided else "our training decides it, not the data"
    return (
        f"{verdict}: mirroring the d/dx stencil (which negates its centre of mass) changes the validation loss by "
        f"{rise_txt} (replicas {', '.join(map(str, sorted(per_replica)))}; the data decide when >= "
        f"{100 * min_rise:g} % on every replica and the replicas agree on the sign of r), r(v, centre of mass) = "
        f"{corr_txt}" + ("" if len(per_replica) > 1 else "; one replica: the sign's agreement is not tested")
    )

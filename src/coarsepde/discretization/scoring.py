"""The numbers the P1 claims of Figs. 3 and 4 are scored on, read from the pipeline's stores (Bar-Sinai et al. 2019).

Shared by the figure rules (p1_figure3/4, p1_valid_time) and the paper-protocol record (p1_protocol_record):

- :func:`mae_table`: Fig. 3C's mean absolute error and marker rule per method and factor from coarse integrations;
- :func:`burgers_valid_times`: Burgers valid times per simulation from the coarse integrations of the test runs
  (the threshold from the fine test data, as KdV/KS's);
- :func:`valid_time_stats`: the (median, CI low, CI high) table of one equation from a valid-time store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from coarsepde.discretization.metrics import mae_summary, valid_threshold, valid_times
from coarsepde.store import read_dataset

__all__ = ["mae_table", "burgers_valid_times", "valid_time_stats"]


def mae_table(
    stores: Mapping[int, object], methods: Iterable[str], t_max: float, log: Callable | None = None
) -> tuple[dict[str, dict[int, float]], dict[str, dict[int, bool]]]:
    """``(mae, shown)``, each method -> factor -> value, from coarse-integration stores ``{factor: dataset}``
    (rule p1_evaluate; ``exact`` and one variable per method): the mean absolute error over space, samples and the
    output times < ``t_max`` and Fig. 3C's marker rule (:func:`~coarsepde.discretization.metrics.mae_summary`).
    A method missing from a store is left out at that factor."""
    mae: dict[str, dict[int, float]] = {m: {} for m in methods}
    shown: dict[str, dict[int, bool]] = {m: {} for m in methods}
    for f in sorted(stores):
        ds = stores[f]
        for m in mae:
            if m not in ds.method.values:
                continue
            mae[m][f], shown[m][f] = mae_summary(ds[m].values, ds.exact.values, ds.time.values, t_max)
            if log is not None:
                log("MAE %s %dx: %.4g (%s)", m, f, mae[m][f], "shown" if shown[m][f] else "omitted")
    return mae, shown


def burgers_valid_times(data, evals: Iterable[str], t_max: float, quantile: float, fraction: float, log):
    """{factor: (methods, (M, S) valid times, tau, t_max)} from the Burgers coarse integrations of the test runs
    (``evals``: eval_test_{f}x.zarr stores); ``data`` is the fine test store (path) or its ``v`` (S, T, N)."""
    fine = read_dataset(data).v.values if isinstance(data, str) else np.asarray(data)
    out = {}
    for path in evals:
        ev = read_dataset(path)
        times = ev.time.values
        keep = times <= times[0] + t_max + 1e-9
        tau = valid_threshold(fine[:, : keep.sum()], quantile)
        exact = ev.exact.values[:, keep]
        methods = [str(m) for m in ev.method.values]
        vt = np.array([valid_times(ev[m].values[:, keep], exact, times[keep], tau, fraction) for m in methods])
        out[int(ev.attrs["factor"])] = (methods, vt, tau, float(times[keep][-1] - times[0]))
        log.info(
            "burgers %dx: tau %.4g, median valid times %s",
            ev.attrs["factor"],
            tau,
            {m: float(np.median(v)) for m, v in zip(methods, vt)},
        )
    return out


def valid_time_stats(ds, eq: str) -> dict[str, dict[int, tuple[float, float, float]]]:
    """method -> factor -> (median, ci_low, ci_high) of equation ``eq`` in a valid-time store (rule
    p1_valid_time), methods/factors that were run only."""
    sub = ds.sel(equation=eq)
    out = {}
    for m in ds.method.values:
        rows = {
            int(f): tuple(float(sub[k].sel({"method": m, "factor": f})) for k in ("median", "ci_low", "ci_high"))
            for f in ds.factor.values
        }
        rows = {f: r for f, r in rows.items() if np.isfinite(r[0])}
        if rows:
            out[str(m)] = rows
    return out

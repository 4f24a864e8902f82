"""Statistics of super-resolved Burgers snapshots (Bar-Sinai et al. 2019, Fig. 1B, C; claim
P1-fig1-interp), numpy.

Reconstructions come from :mod:`coarsepde.discretization.interpolation` (the network and the
polynomial baselines); only the points between known points count. Errors are grouped by the
curvature of the exact field over each interval (:func:`interval_curvature`, binned on a log
scale by :func:`curvature_bins`), and the claim compares the two methods in the top decile of
curvature (:func:`decile_ratio`). :func:`interval_overshoot` and :func:`fig1_statistics` give the numbers
the paper's Fig. 1 statements are scored on (overshoot at shocks, poor predictions, the top curvature decile).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from coarsepde.discretization.interpolation import between_indices, known_indices

__all__ = [
    "interval_curvature",
    "interval_overshoot",
    "SHOCK_HALO",
    "curvature_bins",
    "decile_ratio",
    "fig1_statistics",
    "fig1_statistics_of",
    "interpolation_metrics",
]


def interval_curvature(exact, factor: int, length: float = 2 * np.pi) -> np.ndarray:
    """(S, N) -> (S, M): max |v_xx| over the closed interval [known j, known j+1] (fine points
    factor*j + factor - 1 ... factor*(j+1) + factor - 1), v_xx from periodic second differences of the
    exact fine values, dx = length / N."""
    exact = np.asarray(exact, dtype=float)
    n = exact.shape[-1]
    dx = length / n
    vxx = np.abs(np.roll(exact, 1, -1) - 2 * exact + np.roll(exact, -1, -1)) / dx**2
    return vxx[..., _closed_interval_indices(n, factor)].max(-1)


def _closed_interval_indices(n: int, factor: int, halo: int = 0) -> np.ndarray:
    """(M, (2 halo + 1) factor + 1) fine indices from known j - halo to known j + 1 + halo (periodic)."""
    m = known_indices(n, factor).size  # checks the factor
    start = factor * (np.arange(m) - halo) + factor - 1
    return (start[:, None] + np.arange((2 * halo + 1) * factor + 1)[None, :]) % n


#: intervals either side of a shock's interval in its vicinity: a cubic through the 4 nearest known points
#: (known j-1 .. j+2 for the interval [j, j+1]) sees a jump in [j, j+1] from the intervals j-1 and j+1 as well
SHOCK_HALO = 1


def interval_overshoot(exact, predicted, factor: int, halo: int = SHOCK_HALO) -> np.ndarray:
    """(S, N), (S, N) -> (S, M): how far the predicted points between known j - halo and j + 1 + halo (the interval
    [j, j+1] and ``halo`` intervals either side: its vicinity) leave the range of the exact values over that
    closed span, relative to that range: max(0, max pred - max exact, min exact - min pred) / (max exact - min
    exact); 0 where the exact field is constant there.

    Why the vicinity (P1 Fig. 1A: the polynomial "exhibits spurious overshoots in the vicinity of shock
    fronts"): the piecewise cubic through known j-1 .. j+2 is monotone on a sharp front's own interval [j, j+1]
    (values 0, 0, 1, 1: p' = 13/12 - (t - 1/2)^2 > 0) and overshoots on the next one (values 0, 1, 1, 1: p(t) =
    1 + t (t - 1)(t - 2) / 6, at most 0.064 of the jump, at t = 1 - 1/sqrt(3)), and likewise undershoots on the one
    before. The interval that holds the front therefore shows no overshoot; its neighbours do (``halo`` = 0
    scores the interval alone).
    """
    if halo < 0:
        raise ValueError(f"halo must be >= 0, got {halo}")
    exact, predicted = np.asarray(exact, dtype=float), np.asarray(predicted, dtype=float)
    n = exact.shape[-1]
    m = known_indices(n, factor).size
    if 2 * halo + 1 > m:
        raise ValueError(f"halo {halo} spans more than the {m} intervals of the grid")
    ex = exact[..., _closed_interval_indices(n, factor, halo)]
    between = between_indices(n, factor)  # (M, factor - 1)
    pr = predicted[..., between[(np.arange(m)[:, None] + np.arange(-halo, halo + 1)[None, :]) % m]]
    hi, lo = ex.max(-1), ex.min(-1)
    over = np.maximum(0.0, np.maximum(pr.max((-2, -1)) - hi, lo - pr.min((-2, -1))))
    span = hi - lo
    return np.divide(over, span, out=np.zeros_like(over), where=span > 0)


def fig1_statistics(
    curvature,
    abs_error: Mapping[str, np.ndarray],
    overshoot: Mapping[str, np.ndarray],
    *,
    top_quantile: float = 0.9,
    poor_quantile: float = 0.9,
) -> dict[str, float]:
    """The numbers the statements of Fig. 1 are scored on (claim P1-fig1-interp), per method ``name``.

    ``curvature`` (S, M) from :func:`interval_curvature`; ``abs_error[name]`` (S, M, factor-1) the absolute
    error of every interpolated point; ``overshoot[name]`` (S, M) from :func:`interval_overshoot`; both need
    "nn" and "poly". Returns:

    - ``shock_overshoot_<name>``: median over snapshots of ``overshoot[name]`` at the snapshot's shock (its
      interval of largest curvature; with :func:`interval_overshoot`'s default halo, that interval's vicinity);
      ``n_shock``: the number of snapshots;
    - ``poor_threshold``: the ``poor_quantile`` quantile of the polynomial's point errors;
      ``poor_fraction_<name>``: the fraction of points whose error exceeds it; ``poor_ratio`` = poly / nn;
    - ``top_threshold``: the ``top_quantile`` quantile of the interval curvature; ``top_median_<name>``: the
      median point error over the intervals at or above it (``n_top`` intervals); ``top_ratio`` = poly / nn;
    - ``median_<name>``: the median point error over all points; ``median_ratio`` = poly / nn.
    """
    c = np.asarray(curvature, dtype=float)
    shock = np.argmax(c, axis=-1)
    rows = np.arange(c.shape[0])
    poor = float(np.quantile(np.ravel(abs_error["poly"]), poor_quantile))
    top_threshold = float(np.quantile(c, top_quantile))
    top = c >= top_threshold
    out: dict[str, float] = {"n_shock": int(c.shape[0]), "poor_threshold": poor, "top_threshold": top_threshold}
    out["n_top"] = int(top.sum())
    for name in ("nn", "poly"):
        err = np.asarray(abs_error[name], dtype=float)
        out[f"shock_overshoot_{name}"] = float(np.median(np.asarray(overshoot[name])[rows, shock]))
        out[f"poor_fraction_{name}"] = float(np.mean(err > poor))
        out[f"top_median_{name}"] = float(np.median(err[top]))
        out[f"median_{name}"] = float(np.median(err))
    for ratio, key in (("poor_ratio", "poor_fraction"), ("top_ratio", "top_median"), ("median_ratio", "median")):
        nn = out[f"{key}_nn"]
        out[ratio] = out[f"{key}_poly"] / nn if nn > 0 else float("inf")
    return out


def curvature_bins(curvature: np.ndarray) -> np.ndarray:
    """Integer k of the nearest 10^(0.1 k) to each curvature (in log space); -1 << 0 marker for 0."""
    c = np.asarray(curvature, dtype=float)
    with np.errstate(divide="ignore"):
        k = np.where(c > 0, np.rint(10 * np.log10(np.where(c > 0, c, 1.0))), np.iinfo(np.int32).min)
    return k.astype(np.int64)


def decile_ratio(curvature, error_nn, error_poly, top_quantile: float = 0.9) -> dict[str, float]:
    """Median per-interval error ratio poly/NN over all intervals and over those with curvature at or
    above its ``top_quantile`` quantile (the top decile for 0.9)."""
    c = np.ravel(curvature)
    en, ep = np.ravel(error_nn), np.ravel(error_poly)
    threshold = float(np.quantile(c, top_quantile))
    top = c >= threshold
    all_ratio = float(np.median(ep) / np.median(en))
    top_ratio = float(np.median(ep[top]) / np.median(en[top]))
    return {
        "top_threshold": threshold,
        "n_top": int(top.sum()),
        "ratio_all_intervals": all_ratio,
        "ratio_top": top_ratio,
        "top_vs_overall": top_ratio / all_ratio,
        "median_interval_error_nn_top": float(np.median(en[top])),
        "median_interval_error_poly_top": float(np.median(ep[top])),
    }


def interpolation_metrics(
    exact_fine,
    predicted: Mapping[str, np.ndarray],
    factor: int,
    *,
    length: float = 2 * np.pi,
    hist_range: tuple[float, float] = (-2.0, 2.0),
    hist_bins: int = 50,
    quantiles: tuple[float, float] = (0.05, 0.95),
    top_quantile: float = 0.9,
) -> dict[str, np.ndarray | float]:
    """Fig. 1B, C statistics of fine reconstructions ``predicted[name]`` (S, N) of ``exact_fine`` (S, N).

    ``predicted`` must hold "nn" and "poly" (others are allowed and get the same statistics). Only the
    points between known points count (the known points are not predictions). Returns a dict:

    - ``error_<name>`` (S, M): mean |error| over the factor-1 points of each interval; ``abs_error_<name>``
      (S, M, factor-1): the |error| of every interpolated point; ``overshoot_<name>`` (S, M):
      :func:`interval_overshoot`;
      ``curvature`` (S, M): :func:`interval_curvature`;
    - Fig. 1C: ``bin_centre`` (K,) = 10^(0.1 k) for every k present (intervals of zero curvature are left
      out, their number is ``n_zero_curvature``), ``bin_count`` (K,), ``<name>_median``, ``<name>_q05``,
      ``<name>_q95`` (K,): median and ``quantiles`` of the interval errors per bin;
    - Fig. 1B: ``hist_edges`` (bins+1,), ``<name>_hist`` (bins, bins): counts of (exact, predicted) pairs,
      axis 0 exact, axis 1 predicted, over ``hist_range`` on both axes (pairs outside are not counted);
    - scalars: ``median_abs_error_<name>`` (over all interpolated points), ``ratio`` = poly / nn of those,
      and :func:`decile_ratio` of the interval errors (``ratio_top``, ``ratio_all_intervals``,
      ``top_vs_overall``, ``top_threshold``, ...).
    """
    if "nn" not in predicted or "poly" not in predicted:
        raise KeyError(f"predicted needs 'nn' and 'poly', got {sorted(predicted)}")
    exact = np.asarray(exact_fine, dtype=float)
    if exact.ndim != 2:
        raise ValueError(f"exact_fine must be (snapshots, N), got shape {exact.shape}")
    n = exact.shape[-1]
    bidx = between_indices(n, factor)
    truth = exact[:, bidx]  # (S, M, f-1)
    out: dict[str, np.ndarray | float] = {}
    curv = interval_curvature(exact, factor, length)
    out["curvature"] = curv
    k = curvature_bins(curv)
    positive = curv > 0
    ks = np.unique(k[positive])
    out["bin_centre"] = 10.0 ** (0.1 * ks)
    out["bin_count"] = np.array([np.sum(k[positive] == kk) for kk in ks])
    out["n_zero_curvature"] = int((~positive).sum())
    edges = np.linspace(hist_range[0], hist_range[1], hist_bins + 1)
    out["hist_edges"] = edges
    for name, pred in predicted.items():
        pred = np.asarray(pred, dtype=float)
        if pred.shape != exact.shape:
            raise ValueError(f"predicted[{name!r}] has shape {pred.shape}, exact {exact.shape}")
        p = pred[:, bidx]
        abs_err = np.abs(p - truth)
        err = abs_err.mean(-1)
        out[f"error_{name}"] = err
        out[f"median_abs_error_{name}"] = float(np.median(abs_err))
        out[f"abs_error_{name}"] = abs_err
        out[f"overshoot_{name}"] = interval_overshoot(exact, pred, factor)
        e_pos, k_pos = err[positive], k[positive]
        stats = np.array([[np.median(e_pos[k_pos == kk]), *np.quantile(e_pos[k_pos == kk], quantiles)] for kk in ks])
        stats = stats.reshape(len(ks), 3)
        out[f"{name}_median"], out[f"{name}_q05"], out[f"{name}_q95"] = stats[:, 0], stats[:, 1], stats[:, 2]
        out[f"{name}_hist"] = np.histogram2d(truth.ravel(), p.ravel(), bins=[edges, edges])[0]
    out["ratio"] = out["median_abs_error_poly"] / out["median_abs_error_nn"]
    out.update(decile_ratio(curv, out["error_nn"], out["error_poly"], top_quantile))
    return out


def fig1_statistics_of(ev, *, top_quantile: float, poor_quantile: float) -> dict[str, float]:
    """:func:`fig1_statistics` of an evaluation store ``ev`` of rule p1_interpolation_eval (its ``curvature`` and the
    per-point errors and overshoots of "nn" and "poly")."""
    return fig1_statistics(
        ev.curvature.values,
        {m: ev[f"abs_error_{m}"].values for m in ("nn", "poly")},
        {m: ev[f"overshoot_{m}"].values for m in ("nn", "poly")},
        top_quantile=top_quantile,
        poor_quantile=poor_quantile,
    )

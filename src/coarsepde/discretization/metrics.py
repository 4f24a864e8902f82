"""Error metrics of coarse solutions (Bar-Sinai et al. 2019): mean absolute error (Fig. 3C) and
"valid simulation time" with bootstrap confidence intervals of its median (Fig. 4)."""

from __future__ import annotations

import numpy as np

__all__ = ["mae_per_sample", "mae_summary", "valid_threshold", "valid_times", "bootstrap_median_ci"]


def mae_per_sample(pred: np.ndarray, exact: np.ndarray, times: np.ndarray, t_max: float) -> np.ndarray:
    """Mean |pred - exact| over space and the output times < t_max, per sample: (S, T, N) -> (S,).

    NaN propagates: a sample that diverged before t_max has MAE NaN (the original's run_mae.py).
    """
    if pred.shape != exact.shape or pred.ndim != 3:
        raise ValueError(f"need pred and exact of the same shape (S, T, N), got {pred.shape}, {exact.shape}")
    sel = np.asarray(times) < t_max
    if not sel.any():
        raise ValueError(f"no output time below t_max = {t_max}")
    return np.abs(pred[:, sel] - exact[:, sel]).mean(axis=(1, 2))


def mae_summary(pred: np.ndarray, exact: np.ndarray, times: np.ndarray, t_max: float) -> tuple[float, bool]:
    """(mean MAE over samples, shown): the marker of Fig. 3C is omitted ("shown" False) if any
    sample diverged or if the average error is worse than predicting v = 0."""
    per = mae_per_sample(pred, exact, times, t_max)
    zero = mae_per_sample(np.zeros_like(exact), exact, times, t_max).mean()
    mean = float(per.mean())
    return mean, bool(np.isfinite(mean) and mean <= zero)


def valid_threshold(exact: np.ndarray, quantile: float = 0.2) -> float:
    """tau = the ``quantile`` of |v_exact| over every sample, time and point: the 20th percentile of
    the absolute error of predicting v = 0 (Fig. 4 caption; the authors' analysis.py with
    quantile 0.8 of "mostly good" points)."""
    a = np.abs(np.asarray(exact, dtype=float))
    if not a.size or not np.all(np.isfinite(a)):
        raise ValueError("the exact data must be non-empty and finite")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    tau = float(np.quantile(a, quantile))
    if not tau > 0:
        raise ValueError(f"the {quantile} quantile of |v_exact| is 0: the valid-time threshold is degenerate")
    return tau


def valid_times(
    pred: np.ndarray, exact: np.ndarray, times: np.ndarray, threshold: float, fraction: float = 0.8
) -> np.ndarray:
    """Valid simulation time per sample, (S, T, N) -> (S,), in time units after ``times[0]``.

    A frame is valid when at least ``fraction`` of its points have |pred - exact| <= threshold (a
    NaN, i.e. a diverged run, is never within it). The valid time is the time of the first invalid
    frame minus times[0], or times[-1] - times[0] if every frame is valid (the authors'
    ``calculate_survival``); a sample whose initial frame is already invalid has valid time 0.
    """
    pred, exact = np.asarray(pred), np.asarray(exact)
    times = np.asarray(times, dtype=float)
    if pred.shape != exact.shape or pred.ndim != 3 or pred.shape[1] != len(times):
        raise ValueError(
            f"need pred and exact of shape (S, T, N) with T = len(times), got {pred.shape}, "
            f"{exact.shape}, {len(times)} times"
        )
    if not threshold > 0 or not 0 < fraction <= 1:
        raise ValueError(f"need threshold > 0 and 0 < fraction <= 1, got {threshold}, {fraction}")
    with np.errstate(invalid="ignore"):
        good = np.abs(pred - exact) <= threshold  # NaN -> False
    frame_ok = good.mean(axis=-1) >= fraction  # (S, T)
    first_bad = np.argmin(frame_ok, axis=1)  # 0 if all valid: handled below
    t_bad = times[first_bad] - times[0]
    return np.where(frame_ok.all(axis=1), times[-1] - times[0], t_bad)


def bootstrap_median_ci(
    values: np.ndarray, n_boot: int = 10000, ci: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(median, low, high): the median of ``values`` and its percentile-bootstrap ``ci`` interval
    from ``n_boot`` resamples with replacement (Fig. 4 error bars; the authors' bootstrap settings
    were not published). Reproducible: the resamples come from ``numpy.random.default_rng(seed)``."""
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError("bootstrap needs a non-empty array of finite values")
    if n_boot < 1 or not 0 < ci < 1:
        raise ValueError(f"need n_boot >= 1 and 0 < ci < 1, got {n_boot}, {ci}")
    rng = np.random.default_rng(seed)
    medians = np.empty(n_boot)
    chunk = max(1, 2_000_000 // v.size)  # bounded memory for large samples
    for start in range(0, n_boot, chunk):
        m = min(chunk, n_boot - start)
        medians[start : start + m] = np.median(v[rng.integers(0, v.size, size=(m, v.size))], axis=1)
    lo, hi = np.quantile(medians, [(1 - ci) / 2, (1 + ci) / 2])
    return float(np.median(v)), float(lo), float(hi)

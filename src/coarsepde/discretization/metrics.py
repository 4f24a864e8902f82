"""Error metrics of coarse Burgers solutions (Bar-Sinai et al. 2019, Fig. 3C)."""

from __future__ import annotations

import numpy as np

__all__ = ["mae_per_sample", "mae_summary"]


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

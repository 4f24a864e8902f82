"""One figure style for all three papers, and deterministic PNG output.

Figures are written with fixed metadata (no timestamps or software strings that change between
runs), so a rebuilt figure is byte-identical when its data are.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["STYLE", "figure", "padded_range", "panel_label", "periodic_segment", "save", "plt"]

STYLE = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.4,
    "lines.markersize": 4,
    "figure.dpi": 150,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "image.cmap": "viridis",
}


def figure(ncols: int = 1, nrows: int = 1, width: float = 3.3, height: float = 2.6, **kw):
    """A figure of ``nrows x ncols`` panels, each ``width x height`` inches, in the project style."""
    plt.rcParams.update(STYLE)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, layout="constrained", **kw
    )
    return fig, axes


def periodic_segment(x, curves: dict, length: float, lo: float, hi: float):
    """The samples of periodic ``curves`` (each sampled at the increasing ``x`` of one period of ``length``) with
    ``lo <= x <= hi``, shifted by whole periods where the segment leaves that period; returns (x, {name: values})
    in increasing x, so that a segment across the domain's ends plots as one curve."""
    x = np.asarray(x, dtype=float)
    shifts = np.arange(np.floor((lo - x[-1]) / length), np.ceil((hi - x[0]) / length) + 1) * length
    xe = (x[None, :] + shifts[:, None]).ravel()
    keep = (xe >= lo) & (xe <= hi)
    return xe[keep], {k: np.tile(np.asarray(v), shifts.size)[keep] for k, v in curves.items()}


def padded_range(values, pad: float) -> tuple[float, float]:
    """(min, max) of ``values`` widened by ``pad`` times their span at each end (axis limits)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    margin = pad * max(hi - lo, 1e-12)
    return lo - margin, hi + margin


def panel_label(ax, label: str) -> None:
    ax.text(-0.16, 1.02, label, transform=ax.transAxes, fontweight="bold", ha="right", va="bottom")


def save(fig, path: str | Path) -> Path:
    """Save atomically with fixed metadata, then close the figure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    fig.savefig(tmp, metadata={"Software": None} if path.suffix == ".png" else None)
    plt.close(fig)
    os.replace(tmp, path)
    return path

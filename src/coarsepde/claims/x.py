"""Checks of the project's own claims (the X- IDs of CLAIMS.md) that a rule scores today.

X-speed-equal-accuracy, X-determinism, X-provenance and X-p2-cost-vs-original have no check yet
(``pending_ids`` lists them).
"""

from __future__ import annotations

import numpy as np

from .catalogue import CLAIMS
from .rows import ClaimResult

__all__ = ["check_p2_tensor"]


def check_p2_tensor(
    *, K: np.ndarray, paper_diagonal, by_time: dict[float, tuple[float, float]], tol: float, scale: str
) -> ClaimResult:
    """X-p2-tensor: gap-tooth macro fields vs the homogenized PDE with the full tensor and with Eq. (27).

    ``by_time`` maps t -> (relative MSE vs full tensor, relative MSE vs Eq. 27) over all trajectories.
    """
    t_end = max(by_time)
    full_end, eq27_end = by_time[t_end]
    worse = CLAIMS["X-p2-tensor"].thresholds["eq27_worse_factor"]
    passed = bool(full_end < tol and eq27_end > worse * full_end)
    K = np.asarray(K, dtype=float)
    return ClaimResult(
        id="X-p2-tensor",
        claim=(
            f"The lattice's full tensor (cell problem, code alignment) has a cross term Eq. (27) omits; gap-tooth "
            f"macro fields agree with the homogenized PDE on the full tensor to < {tol:g} (relative mean-square "
            f"error over all trajectories) at t = {t_end:g}, and at least {worse:g}x worse with Eq. (27)."
        ),
        paper_value=f"Eq. (27): {paper_diagonal[0]} u_xx + {paper_diagonal[1]} u_yy",
        reproduced_value=(
            f"{K[0, 0]:.4f} u_xx + {2 * K[0, 1]:.4f} u_xy + {K[1, 1]:.4f} u_yy; rel. MSE full tensor / "
            "Eq. 27: " + ", ".join(f"t={t:g}: {a:.2e} / {b:.2e}" for t, (a, b) in sorted(by_time.items()))
        ),
        tolerance=f"full < {tol:g}; Eq. 27 > {worse:g} x full",
        passed=passed,
        scale=scale,
    )

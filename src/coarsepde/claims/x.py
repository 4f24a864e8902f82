"""Checks of the project's own claims (the X- IDs of CLAIMS.md) that a rule scores today.

X-speed-equal-accuracy and X-p2-cost-vs-original have no check yet (``pending_ids`` lists them; claims.csv
carries an unmeasured row for each). X-determinism and X-provenance score the records that
:mod:`.stores` reads from the pipeline's stores.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .catalogue import CLAIMS
from .rows import ClaimResult
from .stores import ProvenanceAudit, StoreComparison

__all__ = ["check_p2_tensor", "check_x_determinism", "check_x_provenance"]


def check_x_determinism(
    comparison: StoreComparison, *, rule: str, seed: int | None, store: str, scale: str
) -> ClaimResult:
    """X-determinism: ``rule`` rerun from the same seed into a fresh store gives the pipeline's ``store``
    again, every decoded array bit for bit and every chunk and metadata file byte for byte."""
    c = comparison
    differing = ", ".join(f"{name} ({n} elements)" for name, n in sorted(c.arrays_differing.items()))
    value = (
        f"{len(c.arrays) - len(c.arrays_differing)} of {len(c.arrays)} arrays ({c.elements} elements) "
        f"bit-identical; {c.files - len(c.files_differing)} of {c.files} files byte-identical, "
        f"{len(c.files_missing)} in one store only"
    )
    if differing:
        value += f"; differing: {differing}"
    if c.files_differing or c.files_missing:
        value += "; files: " + ", ".join(list(c.files_differing) + list(c.files_missing))[:400]
    if c.error:
        value += f"; unreadable: {c.error}"
    return ClaimResult(
        id="X-determinism",
        claim=(
            f"Rerunning rule {rule} (seed {seed}) on CPU into a fresh store gives {store} again: every decoded "
            "array (coordinates included) bit-identical and every chunk and metadata file byte-identical."
        ),
        paper_value="bit-identical (the project's claim)",
        reproduced_value=value,
        tolerance="0 differing bits",
        passed=c.identical,
        scale=scale,
    )


def check_x_provenance(audits: list[ProvenanceAudit], *, scale: str) -> ClaimResult:
    """X-provenance: every store the DAG built carries params (its config), a seed (null only where its rule
    draws nothing at random: those rules are listed), package versions and a code version."""
    bad = [a for a in audits if a.defects]
    no_seed = sorted({a.rule or "?" for a in audits if a.seed is None and not a.defects})
    versions = Counter(a.code_version for a in audits if a.code_version)
    value = f"{len(audits) - len(bad)} of {len(audits)} stores complete"
    for defect in sorted({d for a in bad for d in a.defects}):
        paths = [a.path for a in bad if defect in a.defects]
        more = ", ..." if len(paths) > 3 else ""
        value += f"; {defect} missing in {len(paths)}: {', '.join(paths[:3])}{more}"
    value += f"; seed null (no random draw) in {len(no_seed)} rules: {', '.join(no_seed) or '-'}"
    value += "; code versions: " + ", ".join(f"{v} ({n})" for v, n in sorted(versions.items()))
    return ClaimResult(
        id="X-provenance",
        claim=(
            "Every Zarr store that a rule of the DAG outputs carries in its root attrs a provenance record with "
            "params (the configuration), seed (null only where the rule draws nothing at random), package "
            "versions (python, numpy, coarsepde at least) and a code version (git describe; 'unknown' fails)."
        ),
        paper_value="all stores (the project's claim)",
        reproduced_value=value,
        tolerance="0 stores with a missing field",
        passed=bool(audits) and not bad,
        scale=scale,
    )


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

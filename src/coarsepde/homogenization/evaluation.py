"""Scores of a learned homogenized model against the exact homogenized references (Arbabi et al. 2020).

1D (Sect. 5.1, Eq. 24, Figs. 4-5): :func:`score_rhs_1d` compares the predicted dU/dt at the macro nodes
with the homogenized right-hand side, beside the baselines a learned model must beat (the
patch-dynamics data themselves, predicting zero, the right operator with a wrong diffusivity);
:func:`score_trajectory_1d` compares an integrated trajectory with the homogenized solution.

2D (Sect. 5.2, Figs. 6-8): :func:`evaluate_2d` predicts dU/dt on held-out snapshots and integrates every
held-out trajectory from its first snapshot; :func:`score_2d` compares both with one reference (relative
errors per snapshot, the relative MSE over time, and the largest Fourier amplitudes of Fig. 8b).

All errors are dimensionless; fields are numpy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from torch import nn

from coarsepde.homogenization.learning import rmse_relative
from coarsepde.homogenization.learning2d import fourier_amplitudes, integrate_2d, predict_2d
from coarsepde.homogenization.problem1d import homogenized_rhs_on_macro_grid

__all__ = ["score_rhs_1d", "score_trajectory_1d", "relative_error_per_snapshot", "score_2d", "evaluate_2d"]


def score_rhs_1d(
    F_pred: np.ndarray,
    F_true: np.ndarray,
    *,
    F_patch: np.ndarray,
    U: np.ndarray,
    late: np.ndarray,
    wrong_a: float,
    a_star: float | None = None,
) -> dict[str, float]:
    """rMSE (Eq. 24, :func:`~coarsepde.homogenization.learning.rmse_relative`) of predicted dU/dt
    ``F_pred`` (trajectory, time, x) against the homogenized ``F_true``, and of the baselines.

    ``F_patch``: the patch-dynamics data's own dU/dt (the floor for a learned model); ``U``: the macro
    states the predictions were made at; ``late``: (time,) bool, the snapshots after the unresolved
    modes decay; ``wrong_a``: the diffusivity of the wrong-operator baseline. Returns ``rhs_rmse``,
    ``rhs_rmse_patch``, ``rhs_rmse_late``, ``rhs_rmse_zero`` and ``rhs_rmse_wrong_a``.

    With ``a_star`` (the homogenized coefficient of Eq. 22) it also scores against the homogenized operator
    discretized on the macro grid itself, a* times the 3-point second difference of ``U`` (the operator an
    11-node model can represent; the truth of Fig. 4's caption is the fine-grid one, ``F_true``):
    ``rhs_rmse_coarse`` (the prediction) and ``rhs_rmse_patch_coarse`` (the data).
    """
    out = {
        "rhs_rmse": rmse_relative(F_pred, F_true),
        "rhs_rmse_patch": rmse_relative(F_patch, F_true),
        "rhs_rmse_late": rmse_relative(F_pred[:, late], F_true[:, late]),
        "rhs_rmse_zero": rmse_relative(np.zeros_like(F_true), F_true),
        "rhs_rmse_wrong_a": rmse_relative(homogenized_rhs_on_macro_grid(U, wrong_a), F_true),
    }
    if a_star is not None:
        F_coarse = homogenized_rhs_on_macro_grid(U, a_star)
        out["rhs_rmse_coarse"] = rmse_relative(F_pred, F_coarse)
        out["rhs_rmse_patch_coarse"] = rmse_relative(F_patch, F_coarse)
    return out


def score_trajectory_1d(U_int: np.ndarray, U_true: np.ndarray, *, stride: int, late: np.ndarray) -> dict:
    """rMSE of an integrated trajectory ``U_int`` (time, x_macro) against the homogenized solution
    ``U_true`` (time, x_ref), whose grid holds the macro nodes every ``stride`` points.

    Returns ``traj_rmse`` and ``traj_rmse_late`` (the times ``late`` only), NaN where the integration
    did not stay finite, and ``stable``: finite and max |U_int| < 10 max |U_true|.
    """
    finite = bool(np.all(np.isfinite(U_int)))
    return {
        "traj_rmse": rmse_relative(U_int, U_true[:, ::stride]) if finite else float("nan"),
        "traj_rmse_late": rmse_relative(U_int[late], U_true[late, ::stride]) if finite else float("nan"),
        "stable": bool(np.all(np.isfinite(U_int)) and np.abs(U_int).max() < 10 * np.abs(U_true).max()),
    }


def relative_error_per_snapshot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """||a - b|| / ||b|| over the spatial axes of (trajectory, time, ...) fields -> (trajectory, time)."""
    return np.linalg.norm((a - b).reshape(*b.shape[:2], -1), axis=-1) / np.linalg.norm(
        b.reshape(*b.shape[:2], -1), axis=-1
    )


def score_2d(
    U: np.ndarray, F_pred: np.ndarray, U_int: np.ndarray, Uh: np.ndarray, Fh: np.ndarray, n_modes: int = 6
) -> dict[str, np.ndarray]:
    """A 2D model's predictions against one homogenized reference; all fields (trajectory, time, x, y).

    ``U``: the gap-tooth data; ``F_pred``: the model's dU/dt at ``U``; ``U_int``: the model integrated from
    each trajectory's first snapshot; ``Uh``, ``Fh``: the reference's U and dU/dt. Returns arrays:
    ``rhs_rel_err``, ``u_rel_err``, ``data_rel_err`` (trajectory, time) (:func:`relative_error_per_snapshot`
    of F_pred, U_int, U against the reference), ``rhs_norm`` (trajectory, time) ||Fh||, ``mse_time`` (time,)
    mean((U_int - Uh)^2) / mean(Uh^2) over trajectories and space, and for the last trajectory the
    ``n_modes`` largest Fourier amplitudes of the reference (``amp_ref``, (time, n_modes)) and of the model at
    the same modes (``amp_nn``), with the modes ``fmode_index`` (n_modes, 2) (:func:`fourier_amplitudes`).
    """
    a_h, modes = fourier_amplitudes(Uh[-1], n_modes)
    a_nn, _ = fourier_amplitudes(U_int[-1], n_modes, reference=Uh[-1, 0])
    return {
        "rhs_rel_err": relative_error_per_snapshot(F_pred, Fh),
        "rhs_norm": np.linalg.norm(Fh.reshape(*Fh.shape[:2], -1), axis=-1),
        "u_rel_err": relative_error_per_snapshot(U_int, Uh),
        "data_rel_err": relative_error_per_snapshot(U, Uh),
        "mse_time": np.mean((U_int - Uh) ** 2, axis=(0, 2, 3)) / np.mean(Uh**2, axis=(0, 2, 3)),
        "amp_ref": a_h,
        "amp_nn": a_nn,
        "fmode_index": np.asarray(modes, dtype=np.int64),
    }


def evaluate_2d(
    model: nn.Module,
    U: np.ndarray,
    t: np.ndarray,
    references: Mapping[str, tuple[np.ndarray, np.ndarray]],
    n_modes: int = 6,
):
    """Predict dU/dt of ``U`` (trajectory, time, x, y), integrate each trajectory from its first snapshot
    over times ``t`` (BDF, :func:`~coarsepde.homogenization.learning2d.integrate_2d`), and score both
    against every reference ``name -> (Uh, Fh)`` (:func:`score_2d`).

    Returns (F_pred, U_int, {name: score dict}).
    """
    F_pred = predict_2d(model, U)
    U_int = np.stack([integrate_2d(model, U[j, 0], t) for j in range(U.shape[0])])
    scores = {name: score_2d(U, F_pred, U_int, Uh, Fh, n_modes) for name, (Uh, Fh) in references.items()}
    return F_pred, U_int, scores

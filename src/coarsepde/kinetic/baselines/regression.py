"""Linear-algebra pieces shared by the dictionary regressions: the seeded train/test row split, column
scaling, relative residuals, least squares, ridge, and the QR compression of a tall least-squares problem.
All on numpy float64 arrays: Theta (rows, k), y (rows,)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["split_rows", "relative_residual", "column_scale", "least_squares", "ridge", "qr_compress"]


def split_rows(n_rows: int, train_fraction: float = 0.8, seed: int | np.random.Generator | None = 0):
    """Seeded random split of ``n_rows`` rows: (train, test) index arrays (sorted), the first
    round(train_fraction * n_rows) of a permutation for training (PDE-FIND's 80/20 split)."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    perm = rng.permutation(n_rows)
    k = int(round(train_fraction * n_rows))
    return np.sort(perm[:k]), np.sort(perm[k:])


def relative_residual(X, y, w) -> float:
    """||y - X w|| / ||y|| (||X w|| when y = 0)."""
    ny = float(np.linalg.norm(y))
    return float(np.linalg.norm(y - X @ w)) / ny if ny > 0 else float(np.linalg.norm(X @ w))


def column_scale(X: np.ndarray) -> np.ndarray:
    """2-norms of the columns of X; ValueError when one is identically zero."""
    s = np.linalg.norm(X, axis=0)
    if np.any(s == 0):
        raise ValueError("a feature column is identically zero; drop it (library(null_rtol=...))")
    return s


def least_squares(Theta: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ordinary least squares on 2-norm-normalised columns (numpy lstsq), coefficients in original units."""
    s = column_scale(Theta)
    w = np.linalg.lstsq(Theta / s, y, rcond=None)[0]
    return w / s


def ridge(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """argmin ||y - X w||^2 + lam ||w||^2; lam = 0: least squares (lstsq)."""
    if X.shape[1] == 0:
        return np.zeros(0)
    if lam == 0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    # the augmented least-squares form avoids squaring the condition number of X
    k = X.shape[1]
    A = np.vstack([X, math.sqrt(lam) * np.eye(k)])
    b = np.concatenate([y, np.zeros(k)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def qr_compress(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Triangular factor R ((k+1) x (k+1)) of [X | y] = Q R (Householder QR of the column-scaled matrix, the
    scales put back): R^T R = [X | y]^T [X | y], so least squares and column norms are preserved."""
    A = np.column_stack([X, y])
    s = np.linalg.norm(A, axis=0)
    s[s == 0] = 1.0
    R = np.linalg.qr(A / s, mode="r")
    return R * s

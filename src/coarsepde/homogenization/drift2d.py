"""Mean drift vs lag: where a learned 2D model's late-time error comes from (Arbabi et al. 2020, Fig. 7).

On the bi-periodic square the homogenized operator div(K grad u) conserves the spatial mean, and every
trajectory of Eq. (28) has mean zero, so the homogenized solution decays to the constant 0. A learned
right-hand side that is not zero at a constant field moves the mean instead (a *drift*); one whose
non-constant part decays too slowly *lags* (the paper's word, Fig. 7). The two are orthogonal parts of
the error: with m(.) the spatial mean,

    mean((U - Uh)^2) = (m(U) - m(Uh))^2 + mean((U - m(U) - Uh + m(Uh))^2),

so :func:`mean_drift_scores` splits the relative MSE of Fig. 8a into a mean part and a mean-free part and
gives the mean-free amplitude ratio (> 1: the learned trajectory decays more slowly, a lag), and
:func:`new_mode_share` how much of the mean-free error sits in Fourier modes the reference never holds (a
linear operator with constant coefficients cannot put energy there; a nonlinear learned one can).
:func:`rhs_at_constant` and :func:`growth_rate_at_zero` describe the model itself: its right-hand side
at u = c (the drift's source) and the largest real part of its Jacobian's eigenvalues at u = 0 (> 0: some
small-amplitude pattern grows instead of decaying).

Fields are (trajectory, time, x, y) numpy arrays; all scores are dimensionless except the right-hand
sides (units of U per unit time) and the rate (1 / time).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .learning import DTYPE
from .learning2d import predict_2d

__all__ = ["mean_drift_scores", "new_mode_share", "rhs_at_constant", "growth_rate_at_zero"]


def mean_drift_scores(U_int: np.ndarray, Uh: np.ndarray) -> dict[str, np.ndarray]:
    """Split the pooled relative MSE of ``U_int`` against ``Uh`` (both (trajectory, time, x, y)) by the mean.

    Returns ``mean_nn`` and ``mean_ref`` (trajectory, time): spatial means; and over time, pooled over the
    trajectories and normalised by mean(Uh^2) as Fig. 8a's MSE: ``mse_mean`` (the mean's part),
    ``mse_demeaned`` (the mean-free part; ``mse_mean + mse_demeaned`` is the total), and
    ``amplitude_ratio`` sqrt(mean((U_int - m)^2) / mean((Uh - m_h)^2)), the mean-free learned amplitude
    relative to the reference's (1: same decay; > 1: slower, a lag).
    """
    U_int = np.asarray(U_int, dtype=np.float64)
    Uh = np.asarray(Uh, dtype=np.float64)
    if U_int.shape != Uh.shape or U_int.ndim != 4:
        raise ValueError(f"need equal (trajectory, time, x, y) shapes, got {U_int.shape} and {Uh.shape}")
    m_nn = U_int.mean(axis=(2, 3))
    m_ref = Uh.mean(axis=(2, 3))
    dev_nn = U_int - m_nn[..., None, None]
    dev_ref = Uh - m_ref[..., None, None]
    norm = np.mean(Uh**2, axis=(0, 2, 3))
    return {
        "mean_nn": m_nn,
        "mean_ref": m_ref,
        "mse_mean": np.mean((m_nn - m_ref) ** 2, axis=0) / norm,
        "mse_demeaned": np.mean((dev_nn - dev_ref) ** 2, axis=(0, 2, 3)) / norm,
        "amplitude_ratio": np.sqrt(np.mean(dev_nn**2, axis=(0, 2, 3)) / np.mean(dev_ref**2, axis=(0, 2, 3))),
    }


def new_mode_share(U_int: np.ndarray, Uh: np.ndarray, rel_tol: float = 1e-10) -> np.ndarray:
    """Share of the mean-free error energy sum_k |FFT2(U_int - Uh)|^2 (k != 0) in the modes absent from the
    reference's first snapshot (|FFT2(Uh[:, 0])| <= ``rel_tol`` times its largest), pooled over trajectories;
    (time,). The homogenized solution keeps its modes (each decays at k^T K k), so energy there was created by
    the learned model; with Eq. (28) those are the modes with k_x = 0 or k_y = 0, the slowest-decaying ones."""
    U_int = np.asarray(U_int, dtype=np.float64)
    Uh = np.asarray(Uh, dtype=np.float64)
    if U_int.shape != Uh.shape or U_int.ndim != 4:
        raise ValueError(f"need equal (trajectory, time, x, y) shapes, got {U_int.shape} and {Uh.shape}")
    a0 = np.abs(np.fft.fft2(Uh[:, 0]))  # (trajectory, x, y)
    absent = a0 <= rel_tol * a0.max(axis=(1, 2), keepdims=True)
    absent[:, 0, 0] = False
    E = np.abs(np.fft.fft2(U_int - Uh)) ** 2  # (trajectory, time, x, y)
    E[..., 0, 0] = 0.0
    total = E.sum(axis=(0, 2, 3))
    return np.divide((E * absent[:, None]).sum(axis=(0, 2, 3)), total, out=np.zeros_like(total), where=total > 0)


def rhs_at_constant(model: nn.Module, levels, shape: tuple[int, int], device="cpu") -> tuple[np.ndarray, np.ndarray]:
    """The model's dU/dt at the constant fields U = c for each c in ``levels`` on a grid of ``shape``.

    Returns (mean, spread) over the grid, each (len(levels),): the spatial mean of dU/dt (the rate at which
    the mean moves from U = c; the homogenized operator gives 0) and its max |deviation| from that mean
    (0 for a translation-invariant model).
    """
    levels = np.asarray(levels, dtype=np.float64)
    if levels.ndim != 1 or levels.size < 1:
        raise ValueError(f"levels must be a non-empty 1D list, got shape {levels.shape}")
    F = predict_2d(model, levels[:, None, None] * np.ones((1, *shape)), device=device)
    mean = F.mean(axis=(1, 2))
    return mean, np.abs(F - mean[:, None, None]).max(axis=(1, 2))


def growth_rate_at_zero(model: nn.Module, shape: tuple[int, int], device="cpu") -> float:
    """Largest real part of the eigenvalues of the model's Jacobian d(dU/dt)/dU at U = 0 (1 / time).

    The homogenized operator has 0 (the constant mode) and negative rates -k^T K k; a positive value
    means a small-amplitude pattern grows, so near steady state the model departs from the origin
    instead of lagging behind it. The Jacobian is (nx ny)^2, from torch autograd.
    """
    model.to(device=device, dtype=DTYPE).eval()
    n = shape[0] * shape[1]

    def rhs(u: torch.Tensor) -> torch.Tensor:
        return model(u.reshape(1, *shape)).reshape(n)

    J = torch.autograd.functional.jacobian(rhs, torch.zeros(n, dtype=DTYPE, device=device)).cpu().numpy()
    return float(np.linalg.eigvals(J).real.max())

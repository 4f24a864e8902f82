"""Learned super-resolution of Burgers snapshots (Bar-Sinai et al. 2019, Fig. 1), torch float64.

Task (the authors' super-resolution notebook): a fine periodic field of N point values is known only
every ``factor`` points, at the fine indices ``factor*j + factor - 1`` (j = 0 ... M-1, M = N/factor);
the ``factor - 1`` points between known points j and j+1 are to be interpolated. Target (j, s),
s = 1 ... factor-1, is the fine point ``factor*j + factor - 1 + s`` (mod N), at distance s/factor
(coarse units) to the right of known point j.

- :class:`InterpolationModel`: for every sub-position s a 6-point finite-difference stencil over the
  known points j-2 ... j+3 (offsets (-2, ..., 3) - s/factor relative to the target), made exact on
  polynomials of degree < 1 (accuracy order 1) by :class:`~coarsepde.discretization.layers.PolynomialAccuracy`:
  5 free coefficients per sub-position, 35 outputs at factor 8, predicted by a
  :class:`~coarsepde.discretization.layers.PeriodicConvNet` (3 layers x 32 filters, kernel 5, ReLU) on
  the known values divided by 0.7917 (the Burgers input normalisation). The network output at known
  point j gives the coefficients of interval (j, j+1). With zero network output the model is the
  maximal-order (degree-5) polynomial through the 6 nearest known points.
- :func:`polynomial_interpolation`: the baseline through the n nearest known points (n = 4: the cubic
  through j-1 ... j+2, the paper's "fourth-order polynomial", error O(h^4); n = 2: linear).
- :mod:`coarsepde.discretization.interpolation_training`: its training (Adam on the MSE normalised by linear
  interpolation's, resumable from a checkpoint).
- :func:`split_snapshots`: the authors' 80/20 split of the snapshots into training and validation.
- :mod:`coarsepde.discretization.interpolation_metrics`: the numbers behind Fig. 1B, C and the claim
  P1-fig1-interp.

All functions are pure (no I/O); fields are (snapshots, N) arrays of point values.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from coarsepde.discretization.fused import interpolate as fused_interpolate
from coarsepde.discretization.layers import PeriodicConvNet, PolynomialAccuracy, stencil_patches
from coarsepde.numerics import stencils

__all__ = [
    "BURGERS_INPUT_SCALE",
    "known_indices",
    "between_indices",
    "split_fine",
    "assemble_fine",
    "stencil_offsets",
    "split_snapshots",
    "InterpolationModel",
    "polynomial_interpolation",
    "predict_between",
]

DTYPE = torch.float64

#: Input normalisation of the Burgers models (the authors' equations.py ``standard_deviation``).
BURGERS_INPUT_SCALE = 0.7917


def _tensor(a, device=None) -> torch.Tensor:
    return torch.as_tensor(a, dtype=DTYPE, device=device)


def _check_factor(n: int, factor: int) -> int:
    if factor < 2 or n % factor:
        raise ValueError(f"factor must be >= 2 and divide the {n} fine points, got {factor}")
    return n // factor


def known_indices(n: int, factor: int) -> np.ndarray:
    """Fine indices of the known points: factor*j + factor - 1, j = 0 ... n/factor - 1."""
    m = _check_factor(n, factor)
    return factor * np.arange(m) + factor - 1


def between_indices(n: int, factor: int) -> np.ndarray:
    """(M, factor-1) fine indices of the targets: [j, s-1] -> factor*j + factor - 1 + s (mod n)."""
    m = _check_factor(n, factor)
    return (factor * np.arange(m)[:, None] + factor - 1 + np.arange(1, factor)[None, :]) % n


def split_fine(fine, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., N) fine point values -> known (..., M) and the points between (..., M, factor-1)."""
    fine = _tensor(fine)
    n = fine.shape[-1]
    known = fine[..., torch.as_tensor(known_indices(n, factor), device=fine.device)]
    between = fine[..., torch.as_tensor(between_indices(n, factor), device=fine.device)]
    return known, between


def assemble_fine(known, between) -> torch.Tensor:
    """Inverse of :func:`split_fine`: known (..., M) and between (..., M, factor-1) -> (..., M*factor)."""
    known, between = _tensor(known), _tensor(between)
    m, f1 = between.shape[-2], between.shape[-1]
    if known.shape[-1] != m:
        raise ValueError(f"known has {known.shape[-1]} points, between {m} intervals")
    # fine row r = fine[factor*r : factor*(r+1)] = (between of interval r-1, known r)
    rows = torch.cat((torch.roll(between, 1, dims=-2), known[..., None]), dim=-1)
    return rows.reshape(*known.shape[:-1], m * (f1 + 1))


def stencil_offsets(factor: int, n_points: int) -> np.ndarray:
    """(factor-1, n_points) offsets, in coarse units relative to the target, of the ``n_points``
    nearest known points (j - n/2 + 1 ... j + n/2) for each sub-position s = 1 ... factor-1."""
    if n_points < 2 or n_points % 2:
        raise ValueError(f"n_points must be even and >= 2 (symmetric about the interval), got {n_points}")
    k = np.arange(-(n_points // 2 - 1), n_points // 2 + 1, dtype=float)
    s = np.arange(1, factor, dtype=float) / factor
    return k[None, :] - s[:, None]


def _strided(n_part: int, keep: int) -> np.ndarray:
    """``keep`` evenly strided indices of 0 .. n_part-1 starting at 0 (all of them for keep <= 0 or >= n_part)."""
    if keep <= 0 or keep >= n_part:
        return np.arange(n_part)
    return np.arange(0, n_part, math.ceil(n_part / keep))[:keep]


def split_snapshots(n: int, train_fraction: float, max_snapshots: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the training and validation snapshots among ``n``.

    The first round(n * train_fraction) snapshots are training, the rest validation (the authors'
    80/20 split). ``max_snapshots`` > 0 keeps about that many in all, as evenly strided subsets of
    both parts in the same proportion (each part at least one; the first validation snapshot, Fig.
    1A's example, is always kept); 0 keeps all.
    """
    n_train = int(round(n * train_fraction))
    if not 0 < n_train < n:
        raise ValueError(f"{n} snapshots with train fraction {train_fraction}: an empty part")
    if max_snapshots > 0:
        keep_train = max(1, int(round(max_snapshots * train_fraction)))
        keep_val = max(1, max_snapshots - keep_train)
    else:
        keep_train = keep_val = 0
    return _strided(n_train, keep_train), n_train + _strided(n - n_train, keep_val)


def _apply(known: torch.Tensor, coeffs: torch.Tensor, n_points: int) -> torch.Tensor:
    """known (..., M), coeffs (..., M, S, n) or (S, n) -> (..., M, S)."""
    patches = stencil_patches(known, -(n_points // 2 - 1), n_points)  # (..., M, n)
    if coeffs.dim() == 2:
        return patches @ coeffs.T
    return torch.einsum("...msp,...mp->...ms", coeffs, patches)


def polynomial_interpolation(known, factor: int, n_points: int = 4) -> torch.Tensor:
    """Polynomial (degree n_points - 1) through the ``n_points`` nearest known points, evaluated at the
    factor - 1 points of every interval: known (..., M) -> (..., M, factor-1). Periodic.

    n_points = 4 is the cubic through j-1 ... j+2 (the paper's "fourth-order polynomial"), 2 is linear,
    6 the maximal-order 6-point stencil (the learned model at zero network output).
    """
    known = _tensor(known)
    offsets = stencil_offsets(factor, n_points)
    c = np.stack([stencils.coefficients(o, 0, None, method="finite_difference") for o in offsets])
    return _apply(known, _tensor(c, known.device), n_points)


class InterpolationModel(nn.Module):
    """known (B, M) -> the points between (B, M, factor-1): pseudolinear 6-point stencils per sub-position.

    ``seed`` fixes the network's initial weights (Glorot-uniform, zero biases).
    """

    def __init__(
        self,
        factor: int = 8,
        *,
        stencil_width: int = 6,
        accuracy_order: int = 1,
        layers: int = 3,
        filters: int = 32,
        kernel: int = 5,
        input_scale: float = BURGERS_INPUT_SCALE,
        seed: int = 0,
    ):
        super().__init__()
        self.factor = int(factor)
        self.stencil_width = int(stencil_width)
        self.input_scale = float(input_scale)
        offsets = stencil_offsets(self.factor, self.stencil_width)
        acc = [
            PolynomialAccuracy(o, derivative_order=0, accuracy_order=accuracy_order, method="finite_difference")
            for o in offsets
        ]
        self.n_free = acc[0].n_free
        # fixed affine maps, stacked over sub-positions; rebuilt from the arguments, so not saved
        self.register_buffer("c0", torch.stack([a.c0 for a in acc]), persistent=False)  # (S, n)
        self.register_buffer("basis", torch.stack([a.basis for a in acc]), persistent=False)  # (S, n, K)
        gen = torch.Generator().manual_seed(int(seed))
        self.net = PeriodicConvNet(1, (self.factor - 1) * self.n_free, layers, filters, kernel, generator=gen)

    def free_outputs(self, known: torch.Tensor) -> torch.Tensor:
        """(B, M) -> the network's free outputs z (B, M, factor-1, K)."""
        b, m = known.shape
        z = self.net(known[:, None, :] / self.input_scale)  # (B, S*K, M)
        return z.permute(0, 2, 1).reshape(b, m, self.factor - 1, self.n_free)

    def coefficients(self, known: torch.Tensor) -> torch.Tensor:
        """(B, M) -> stencil coefficients (B, M, factor-1, stencil_width) of the known points j-2 ... j+3."""
        return self.c0 + torch.einsum("bmsk,spk->bmsp", self.free_outputs(known), self.basis)

    @property
    def fused(self) -> bool:
        """The stencil head as a compiled pass and once-padded convolutions (True, the default), or the torch
        composition (False, the reference; equal to round-off)."""
        return self.net.pad_once

    @fused.setter
    def fused(self, value: bool) -> None:
        self.net.pad_once = bool(value)

    def forward(self, known: torch.Tensor) -> torch.Tensor:
        out = fused_interpolate(self, known) if self.fused else None
        if out is not None:
            return out
        # sum_p (c0 + basis z)_sp v_p = c0.v + sum_k z_k (basis_k . v): never forms the coefficients
        patches = stencil_patches(known, -(self.stencil_width // 2 - 1), self.stencil_width)  # (B, M, n)
        base = patches @ self.c0.T  # (B, M, S)
        proj = torch.einsum("bmp,spk->bmsk", patches, self.basis)  # (B, M, S, K)
        return base + (self.free_outputs(known) * proj).sum(-1)


def predict_between(
    model: InterpolationModel, fields, chunk: int = 1024, device: str | torch.device = "cpu"
) -> np.ndarray:
    """The model's full fine reconstruction of ``fields`` (S, N): known points kept, the points between
    predicted from them. No gradients; float64 numpy out."""
    dev = torch.device(device)
    model.to(dev).eval()
    known, _ = split_fine(_tensor(fields, dev), model.factor)
    out = []
    with torch.no_grad():
        for i in range(0, known.shape[0], chunk):
            k = known[i : i + chunk]
            out.append(assemble_fine(k, model(k)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, np.shape(fields)[-1]))

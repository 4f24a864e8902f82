"""Building blocks of the pseudolinear models of Bar-Sinai et al. 2019 (torch, float64).

- ``PolynomialAccuracy``: the fixed affine layer that maps free network outputs z to stencil
  coefficients c = c0 + N z that are exact on polynomials up to a chosen accuracy order
  ("Pseudolinear Representation"; the authors' polynomials.py). With z = 0 the stencil is the
  standard maximum-accuracy one.
- ``PeriodicConvNet``: the fully convolutional network (3 layers x 32 filters, kernel 5, ReLU,
  periodic padding) that produces the free outputs per grid position.
- ``stencil_patches`` / ``apply_stencil``: gather the N cells around every target position and
  contract them with per-position coefficients (the pseudolinear filter, Eq. 2).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from coarsepde.numerics import stencils

__all__ = ["PolynomialAccuracy", "PeriodicConvNet", "stencil_patches", "apply_stencil"]

DTYPE = torch.float64


class PolynomialAccuracy(nn.Module):
    """z (..., K) -> c (..., N): c = c0 + basis @ z, exact to ``accuracy_order`` for every z.

    K = N - (accuracy_order + derivative_order) free outputs; c0 is the maximum-accuracy stencil
    (Bar-Sinai et al.: m = 1 with a 6-point stencil for all results). Buffers, not parameters.
    """

    def __init__(
        self, offsets, derivative_order: int, accuracy_order: int = 1, method: str = "finite_volume", dx: float = 1.0
    ):
        super().__init__()
        offsets = np.asarray(offsets, dtype=float)
        self.derivative_order = derivative_order
        self.accuracy_order = accuracy_order
        c0 = stencils.coefficients(offsets, derivative_order, None, method, dx)
        basis = stencils.nullspace_basis(offsets, derivative_order, accuracy_order, method, dx)
        self.register_buffer("c0", torch.as_tensor(c0, dtype=DTYPE))
        self.register_buffer("basis", torch.as_tensor(basis, dtype=DTYPE))

    @property
    def n_free(self) -> int:
        return self.basis.shape[1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[-1] != self.n_free:
            raise ValueError(f"expected {self.n_free} free outputs in the last dim, got {z.shape[-1]}")
        return self.c0 + z @ self.basis.T


class PeriodicConvNet(nn.Module):
    """(B, C_in, N) -> (B, C_out, N): ``layers`` periodic 1D convolutions, ReLU between them.

    Kernels are centred (odd ``kernel``), padding wraps around the periodic domain. Initialisation
    follows the authors' TF1 defaults: Glorot-uniform kernels and zero biases.

    ``pad_once`` (default True): wrap the input once by the receptive half-width of all layers and run
    unpadded convolutions, instead of a circular pad per layer: the same outputs bit for bit (each value
    sees the same inputs and weights), fewer copies; gradients equal to round-off. False: one circular
    pad per layer (the reference).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        layers: int = 3,
        filters: int = 32,
        kernel: int = 5,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if kernel % 2 != 1:
            raise ValueError(f"kernel must be odd (centred), got {kernel}")
        if layers < 1:
            raise ValueError(f"layers must be >= 1, got {layers}")
        self.pad_once = True
        self.halo = layers * (kernel // 2)
        widths = [in_channels] + [filters] * (layers - 1) + [out_channels]
        self.convs = nn.ModuleList(
            nn.Conv1d(a, b, kernel, padding=kernel // 2, padding_mode="circular", dtype=DTYPE)
            for a, b in zip(widths[:-1], widths[1:])
        )
        for conv in self.convs:
            fan_in, fan_out = conv.in_channels * kernel, conv.out_channels * kernel
            bound = float(np.sqrt(6.0 / (fan_in + fan_out)))
            with torch.no_grad():
                conv.weight.uniform_(-bound, bound, generator=generator)
                conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.convs) - 1
        if self.pad_once and x.shape[-1] >= self.halo:
            h = self.halo
            x = torch.cat([x[..., -h:], x, x[..., :h]], dim=-1)
            for i, conv in enumerate(self.convs):
                x = nn.functional.conv1d(x, conv.weight, conv.bias)
                if i < last:
                    x = torch.relu(x)
            return x
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i < len(self.convs) - 1:
                x = torch.relu(x)
        return x


_PATCH_INDEX: dict = {}


def _patch_index(n: int, first: int, width: int, device) -> torch.Tensor:
    """(n, width) periodic gather index of :func:`stencil_patches`, built once per (n, first, width, device)."""
    key = (n, first, width, str(device))
    idx = _PATCH_INDEX.get(key)
    if idx is None:
        with torch.inference_mode(False):  # a normal tensor: usable later with autograd, too
            idx = (torch.arange(n, device=device)[:, None] + torch.arange(first, first + width, device=device)) % n
        _PATCH_INDEX[key] = idx
    return idx


def stencil_patches(v: torch.Tensor, first: int, width: int) -> torch.Tensor:
    """(..., N) periodic -> (..., N, width): patch i holds cells i+first, ..., i+first+width-1.

    For the left face of cell i with the 6-cell stencil of offsets -2.5..2.5: first = -3.
    """
    return v[..., _patch_index(v.shape[-1], first, width, v.device)]


def apply_stencil(v: torch.Tensor, coeffs: torch.Tensor, first: int) -> torch.Tensor:
    """sum_j coeffs[..., i, j] v[..., i + first + j] (periodic); coeffs (..., N, width) or (width,)."""
    width = coeffs.shape[-1]
    return (stencil_patches(v, first, width) * coeffs).sum(-1)

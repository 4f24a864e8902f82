"""Learned (pseudolinear) finite-volume discretizations of Bar-Sinai et al. 2019, torch float64,
for any of the three equations (Burgers, KdV, KS: ``equations.py``).

A model maps the coarse cell averages v (B, N) of a periodic field to the face quantities an
equation's flux needs (``equation.derivative_names``, e.g. ``{"v": 0, "v_x": 1}``), each as a
6-cell stencil whose coefficients may depend on the solution (paper §"Pseudolinear
Representation", Eq. 2):

    q_i = sum_{j=0..5} alpha^{(q)}_{i,j} v_{i-3+j},     alpha^{(q)}_i = c0^{(q)} + N^{(q)} z^{(q)}_i,

for the LEFT face i of cell i (offsets -2.5 .. 2.5 cell widths). ``PolynomialAccuracy`` maps the
free outputs z to coefficients that are exact on polynomials of degree < m + n (accuracy order
m = 1 by default, derivative order n); z = 0 is the standard maximum-accuracy 6-point stencil.
The face quantities then go through the exact flux and the conservative update
dv_i/dt = -(J_{i+1} - J_i)/dx (paper §"Physical Constraints"), so every model conserves the
integral of v exactly.

Two parameterizations of z (paper §"Learned Coefficients"):

- ``kind="cnn"``: a fully convolutional network (3 periodic conv layers x 32 filters, kernel 5,
  ReLU) on v / input_scale; its output at cell i is z for face i (the authors' convention). For the
  centred fluxes this is the authors' model: 6,793 parameters for Burgers, 6,632 for KdV (v, v_xx:
  K = 5 + 3) and 7,115 for KS (v, v_x, v_xxx: K = 5 + 4 + 2); the same architecture everywhere.
- ``kind="constant"``: "optimized constant coefficients": one trainable z (K,) shared by every face
  and sample, initialised to zero, i.e. starting from the standard 6-point scheme.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from coarsepde.discretization.equations import Burgers, KdV, KuramotoSivashinsky
from coarsepde.discretization.fused import time_derivative as fused_time_derivative
from coarsepde.discretization.layers import PeriodicConvNet, PolynomialAccuracy, apply_stencil, stencil_patches
from coarsepde.numerics import stencils

__all__ = ["LearnedDiscretization", "KINDS", "BURGERS_INPUT_SCALE"]

DTYPE = torch.float64
KINDS = ("cnn", "constant")
# the authors' fixed input normalisation for Burgers (their equations.py ``standard_deviation``)
BURGERS_INPUT_SCALE = Burgers.input_scale


class LearnedDiscretization(nn.Module):
    """Learned face stencils for ``equation`` on a uniform grid of spacing ``dx``.

    Parameters
    ----------
    equation : the (unforced) equation; its ``derivative_names`` fix which face quantities are
        predicted (centred Burgers: v, v_x -> K = 5 + 4 = 9 free outputs per face; Godunov Burgers:
        v_minus, v_plus, v_x -> K = 5 + 5 + 4 = 14).
    dx : coarse cell width (same length units as ``equation.length``); derivative stencils scale
        as dx^-n.
    kind : "cnn" (solution-dependent coefficients) or "constant" (optimized constant coefficients).
    stencil_size : cells per face stencil (even; 6 in the paper: offsets -2.5 .. 2.5).
    accuracy_order : m of the polynomial-accuracy constraint (1 in the paper).
    layers, filters, kernel : CNN architecture (3, 32, 5 in the paper).
    input_scale : the network sees v / input_scale; default: the equation's fixed constant of the
        original code (Burgers 0.7917, KdV 0.594, KS 0.299).
    generator : optional torch.Generator for the Glorot-uniform initialisation (reproducible).

    ``self.fused`` (True; not part of the config): compute :meth:`time_derivative` by the compiled
    flux path of :mod:`coarsepde.discretization.fused` where it applies (equal to round-off); False: the
    torch composition everywhere (the reference the benchmarks and tests compare with).

    ``self.config`` holds these hyper-parameters (plus ``flux_form`` for a consistency check) as
    JSON-able values; ``LearnedDiscretization.from_config(config, equation)`` rebuilds the
    architecture (load weights with ``load_state_dict``).
    """

    def __init__(
        self,
        equation: Burgers | KdV | KuramotoSivashinsky,
        dx: float,
        kind: str = "cnn",
        stencil_size: int = 6,
        accuracy_order: int = 1,
        layers: int = 3,
        filters: int = 32,
        kernel: int = 5,
        input_scale: float | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if input_scale is None:
            input_scale = equation.input_scale
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if stencil_size < 2 or stencil_size % 2:
            raise ValueError(f"stencil_size must be even and >= 2 (face-centred), got {stencil_size}")
        if not dx > 0 or not input_scale > 0:
            raise ValueError(f"need dx > 0 and input_scale > 0, got {dx}, {input_scale}")
        self.equation = equation
        self.dx = float(dx)
        self.kind = kind
        self.stencil_size = int(stencil_size)
        self.first = -self.stencil_size // 2  # face i <- cells i-3 .. i+2 for 6 cells
        self.input_scale = float(input_scale)
        self.config: dict[str, Any] = {
            "kind": kind,
            "dx": self.dx,
            "stencil_size": self.stencil_size,
            "accuracy_order": int(accuracy_order),
            "layers": int(layers),
            "filters": int(filters),
            "kernel": int(kernel),
            "input_scale": self.input_scale,
            "flux_form": equation.flux_form,
        }
        offsets = stencils.centered_offsets(self.stencil_size)
        self.names = list(equation.derivative_names)
        self.accuracy = nn.ModuleDict(
            {
                name: PolynomialAccuracy(offsets, order, accuracy_order, "finite_volume", self.dx)
                for name, order in equation.derivative_names.items()
            }
        )
        self.splits = [self.accuracy[name].n_free for name in self.names]
        self.n_free = sum(self.splits)
        if kind == "cnn":
            self.net = PeriodicConvNet(1, self.n_free, layers, filters, kernel, generator=generator)
        else:
            self.z = nn.Parameter(torch.zeros(self.n_free, dtype=DTYPE))
        self.fused = True

    @property
    def fused(self) -> bool:
        """Compiled flux path and once-padded convolutions (True) or the torch reference (False)."""
        return self._fused

    @fused.setter
    def fused(self, value: bool) -> None:
        self._fused = bool(value)
        if self.kind == "cnn":
            self.net.pad_once = self._fused

    @classmethod
    def from_config(cls, config: dict[str, Any], equation) -> LearnedDiscretization:
        """Rebuild a model (fresh weights) from ``self.config`` and the same equation."""
        config = dict(config)
        flux_form = config.pop("flux_form", equation.flux_form)
        if flux_form != equation.flux_form:
            raise ValueError(f"config was built for flux_form {flux_form!r}, equation has {equation.flux_form!r}")
        return cls(equation, **config)

    def free_outputs(self, v: torch.Tensor) -> torch.Tensor:
        """(B, N) cell averages -> (B, N, K) free outputs z (row i: face i)."""
        if v.ndim != 2:
            raise ValueError(f"expected v of shape (B, N), got {tuple(v.shape)}")
        if self.kind == "cnn":
            return self.net(v[:, None, :] / self.input_scale).transpose(1, 2)
        return self.z.expand(*v.shape, self.n_free)

    def coefficients(self, v: torch.Tensor) -> dict[str, torch.Tensor]:
        """name -> (B, N, stencil_size) coefficients of face i on cells i-3 .. i+2 (units dx^-n)."""
        z = self.free_outputs(v)
        return {name: self.accuracy[name](zk) for name, zk in zip(self.names, torch.split(z, self.splits, dim=-1))}

    def forward(self, v: torch.Tensor) -> dict[str, torch.Tensor]:
        """name -> (B, N) face quantity (index i = left face of cell i)."""
        if self.kind == "constant":
            # one stencil for every face: a fixed-kernel periodic convolution, no (B, N, K) expansion
            # (the time-integrated loss calls this hundreds of times per update)
            patches = stencil_patches(v, self.first, self.stencil_size)
            zs = torch.split(self.z, self.splits)
            return {name: patches @ self.accuracy[name](zk) for name, zk in zip(self.names, zs)}
        return {name: apply_stencil(v, c, self.first) for name, c in self.coefficients(v).items()}

    def time_derivative(self, v: torch.Tensor) -> torch.Tensor:
        """Unforced dv/dt = -(J_{i+1} - J_i)/dx of the cell averages, (B, N); sums to 0 over cells."""
        out = fused_time_derivative(self, v) if self.fused else None
        return self.equation.time_derivative(self.forward(v), self.dx) if out is None else out

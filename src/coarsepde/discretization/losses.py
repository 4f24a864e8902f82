"""What the learned discretizations of Bar-Sinai et al. 2019 are trained on and scored by (torch).

Data (paper §"Choice of Loss"; reference notes §2): the label of a coarse sample is the cell
average of the fine-grid unforced time derivative dv/dt (which telescopes to the coarse-face flux
difference of the fine solution); the input is the cell average of the same fine snapshot. Every
fine snapshot is cyclically shifted by 0 .. factor-1 fine cells before averaging, giving ``factor``
coarse samples (the authors' augmentation; :func:`training_pairs`).

Loss (paper §"Choice of Loss"): the mean-squared error of the predicted coarse time derivative,
divided by the MSE of predicting zero, mean(labels^2), computed once on the training labels (the
authors' ``determine_loss_scales``; :func:`loss_scale`, :func:`evaluate_mse`). A normalised loss
of 1 is "no better than dv/dt = 0".

Time-integrated loss (paper footnote *, used only for the constant-coefficient Godunov Burgers
model): the model's own unforced coarse solution, integrated from coarse initial states with the
explicit midpoint rule (:func:`rollout_midpoint`, the original's integrator for this loss), is
compared with coarse-grained fine solutions, normalised by :func:`integrated_scale`. The training
loop that combines them is :func:`coarsepde.discretization.training.train`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from coarsepde.discretization.equations import coarse_grain
from coarsepde.discretization.fused import rollout_midpoint_fused

__all__ = [
    "DTYPE",
    "as_float64",
    "training_pairs",
    "loss_scale",
    "evaluate_mse",
    "rollout_midpoint",
    "integrated_scale",
]

DTYPE = torch.float64


def as_float64(x) -> torch.Tensor:
    """``x`` (array-like or tensor) as a float64 tensor (a tensor keeps its device)."""
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=DTYPE)


def training_pairs(v_fine, dvdt_fine, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels), each (S * factor, Nf / factor), from fine snapshots.

    Parameters
    ----------
    v_fine : (S, Nf) fine cell averages (velocity units).
    dvdt_fine : (S, Nf) fine UNFORCED time derivative of the same snapshots (velocity / time).
    factor : resample factor (coarse cell = ``factor`` fine cells).

    Row ``s * factor + k`` is snapshot s after a cyclic shift of k fine cells, coarse-grained with
    :func:`coarse_grain` (shift k = 0 is the unshifted grid). The label, the cell average of the
    fine dv/dt, equals the coarse-face flux difference of the fine solution.
    """
    v, d = as_float64(v_fine), as_float64(dvdt_fine)
    if v.ndim != 2 or v.shape != d.shape:
        raise ValueError(f"need v_fine and dvdt_fine of the same shape (S, Nf), got {tuple(v.shape)}, {tuple(d.shape)}")
    if v.shape[-1] % factor:
        raise ValueError(f"factor {factor} does not divide {v.shape[-1]} fine cells")
    n_coarse = v.shape[-1] // factor
    inputs = torch.stack([coarse_grain(v, factor, k) for k in range(factor)], dim=1)
    labels = torch.stack([coarse_grain(d, factor, k) for k in range(factor)], dim=1)
    return inputs.reshape(-1, n_coarse), labels.reshape(-1, n_coarse)


def loss_scale(labels: torch.Tensor) -> float:
    """mean(labels^2): the MSE of predicting dv/dt = 0 (the authors' loss normalisation)."""
    scale = float(torch.mean(as_float64(labels) ** 2))
    if not scale > 0:
        raise ValueError("labels are all zero: the normalised loss is undefined")
    return scale


def evaluate_mse(model, inputs, labels, batch: int = 4096, scale: float | None = None) -> float:
    """Normalised MSE  mean((model.time_derivative(v) - labels)^2) / scale  (inference mode).

    ``model`` is anything with ``time_derivative(v: (B, N)) -> (B, N)`` (learned models, or
    baselines wrapped the same way). ``scale`` defaults to mean(labels^2) of these labels; pass the
    training scale to get the numbers :func:`train` reports as ``val_loss``.
    """
    inputs, labels = as_float64(inputs), as_float64(labels)
    if isinstance(model, nn.Module):
        ref = next(iter(model.parameters()), inputs)
        inputs, labels = inputs.to(ref.device, ref.dtype), labels.to(ref.device, ref.dtype)
    scale = loss_scale(labels) if scale is None else float(scale)
    total = 0.0
    with torch.inference_mode():
        for start in range(0, inputs.shape[0], batch):
            pred = model.time_derivative(inputs[start : start + batch])
            total += float(torch.sum((pred - labels[start : start + batch]) ** 2))
    return total / labels.numel() / scale


def rollout_midpoint(model, v0: torch.Tensor, dt: float, n_steps: int, every: int = 1) -> torch.Tensor:
    """Unforced explicit-midpoint integration of ``model.time_derivative`` (differentiable).

    v0 (R, N) -> (n_steps // every, R, N): the states after every ``every``-th step (the initial
    state is not included). One step:  v <- v + dt f(v + dt/2 f(v)).  ``dt`` in time units.

    A constant-coefficient model with ``fused`` set integrates in one compiled sweep with its adjoint
    (:func:`coarsepde.discretization.fused.rollout_midpoint_fused`, equal to this loop to round-off;
    differentiable w.r.t. the model's coefficients, not ``v0``); otherwise the torch loop below.
    """
    if not v0.requires_grad and getattr(model, "fused", False):
        fast = rollout_midpoint_fused(model, v0, dt, n_steps, every)
        if fast is not None:
            return fast
    out = []
    v = v0
    for step in range(1, n_steps + 1):
        v_mid = v + 0.5 * dt * model.time_derivative(v)
        v = v + dt * model.time_derivative(v_mid)
        if step % every == 0:
            out.append(v)
    return torch.stack(out)


def integrated_scale(v0: torch.Tensor, targets: torch.Tensor) -> float:
    """mean((targets - v0[:, None])^2): the MSE of the constant-in-time prediction v(t) = v0.

    The normalisation of the time-integrated loss (ours; the original's value was not found), so a
    normalised integrated loss of 1 is "no better than not moving" and weight 1 makes it comparable
    with the normalised time-derivative loss.
    """
    scale = float(torch.mean((as_float64(targets) - as_float64(v0)[:, None]) ** 2))
    if not scale > 0:
        raise ValueError("targets equal v0: the normalised integrated loss is undefined")
    return scale

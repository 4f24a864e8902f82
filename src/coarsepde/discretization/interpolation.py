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
- :func:`train_interpolation`: Adam (betas 0.9, 0.99) on the MSE of the interpolated values divided by
  the MSE of linear interpolation on the training set, piecewise-constant learning rate.
- :func:`interpolation_metrics`: the numbers behind Fig. 1B, C and the claim P1-fig1-interp.

All functions are pure (no I/O); fields are (snapshots, N) arrays of point values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from coarsepde.discretization.layers import PeriodicConvNet, PolynomialAccuracy, stencil_patches
from coarsepde.numerics import stencils

__all__ = [
    "BURGERS_INPUT_SCALE",
    "known_indices",
    "split_fine",
    "assemble_fine",
    "stencil_offsets",
    "InterpolationModel",
    "polynomial_interpolation",
    "piecewise_schedule",
    "TrainHistory",
    "train_interpolation",
    "predict_between",
    "interval_curvature",
    "curvature_bins",
    "decile_ratio",
    "interpolation_metrics",
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


def _between_indices(n: int, factor: int) -> np.ndarray:
    """(M, factor-1) fine indices of the targets: [j, s-1] -> factor*j + factor - 1 + s (mod n)."""
    m = _check_factor(n, factor)
    return (factor * np.arange(m)[:, None] + factor - 1 + np.arange(1, factor)[None, :]) % n


def split_fine(fine, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., N) fine point values -> known (..., M) and the points between (..., M, factor-1)."""
    fine = _tensor(fine)
    n = fine.shape[-1]
    known = fine[..., torch.as_tensor(known_indices(n, factor), device=fine.device)]
    between = fine[..., torch.as_tensor(_between_indices(n, factor), device=fine.device)]
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

    def __init__(self, factor: int = 8, *, stencil_width: int = 6, accuracy_order: int = 1, layers: int = 3,
                 filters: int = 32, kernel: int = 5, input_scale: float = BURGERS_INPUT_SCALE, seed: int = 0):
        super().__init__()
        self.factor = int(factor)
        self.stencil_width = int(stencil_width)
        self.input_scale = float(input_scale)
        offsets = stencil_offsets(self.factor, self.stencil_width)
        acc = [PolynomialAccuracy(o, derivative_order=0, accuracy_order=accuracy_order, method="finite_difference")
               for o in offsets]
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

    def forward(self, known: torch.Tensor) -> torch.Tensor:
        # sum_p (c0 + basis z)_sp v_p = c0.v + sum_k z_k (basis_k . v): never forms the coefficients
        patches = stencil_patches(known, -(self.stencil_width // 2 - 1), self.stencil_width)  # (B, M, n)
        base = patches @ self.c0.T  # (B, M, S)
        proj = torch.einsum("bmp,spk->bmsk", patches, self.basis)  # (B, M, S, K)
        return base + (self.free_outputs(known) * proj).sum(-1)


def piecewise_schedule(steps: int, lr: float, lr_final: float) -> list[tuple[int, float]]:
    """The authors' schedule: ``lr`` for the first half of the steps, then ``lr_final``."""
    return [(0, float(lr)), (int(steps) // 2, float(lr_final))]


@dataclass
class TrainHistory:
    """At each evaluation step: the mean normalised training loss since the previous one, and the
    normalised validation loss (NaN without validation data). Losses are MSE / MSE of linear
    interpolation on the training set (``linear_mse``, in field units squared)."""

    step: np.ndarray
    loss: np.ndarray
    val_loss: np.ndarray
    linear_mse: float
    seconds: float


def _lr_at(schedule: Sequence[tuple[int, float]], step: int) -> float:
    lr = schedule[0][1]
    for start, value in schedule:
        if step >= start:
            lr = value
    return lr


def _normalised_mse(model, known, between, linear_mse, chunk=4096) -> float:
    total = 0.0
    with torch.no_grad():
        for i in range(0, known.shape[0], chunk):
            total += float(((model(known[i:i + chunk]) - between[i:i + chunk]) ** 2).sum())
    return total / between.numel() / linear_mse


def train_interpolation(model: InterpolationModel, train_fields, *, steps: int, batch_size: int,
                        lr_schedule: Sequence[tuple[int, float]], seed: int = 0, val_fields=None,
                        eval_every: int = 250, log: Callable[[str], None] | None = None,
                        device: str | torch.device = "cpu", dtype: torch.dtype | None = None) -> TrainHistory:
    """Train ``model`` on fine snapshots ``train_fields`` (S, N) in place and return the history.

    Loss: MSE of the interpolated values / MSE of linear interpolation, the latter computed once on the
    whole training set. Adam (betas 0.9, 0.99); ``lr_schedule`` is [(first_step, lr), ...] in increasing
    first_step (e.g. :func:`piecewise_schedule`). Minibatches of ``batch_size`` snapshots walk through
    seeded random permutations of the training set (a new one per epoch; the whole set when it is
    smaller than a batch). ``seed`` fixes the order; the initial weights come from the model's seed.
    Evaluated every ``eval_every`` steps and at the last step; ``log(message)`` reports progress.
    ``dtype`` (e.g. torch.float32, ~3x faster convolutions on CPU) casts the model and data for
    training; call ``model.double()`` afterwards to predict in float64.
    """
    if steps < 1 or batch_size < 1 or eval_every < 1:
        raise ValueError(f"need steps, batch_size, eval_every >= 1, got {steps}, {batch_size}, {eval_every}")
    if not lr_schedule or lr_schedule[0][0] != 0:
        raise ValueError(f"lr_schedule must start at step 0, got {lr_schedule}")
    dev = torch.device(device)
    dtype = dtype or DTYPE
    model.to(dev, dtype)
    known, between = (t.to(dtype) for t in split_fine(_tensor(train_fields, dev), model.factor))
    if not torch.isfinite(known).all() or not torch.isfinite(between).all():
        raise ValueError("training fields contain non-finite values")
    linear_mse = float(((polynomial_interpolation(known, model.factor, 2) - between) ** 2).mean())
    if not linear_mse > 0:
        raise ValueError("linear interpolation is exact on the training set: the loss is undefined")
    if val_fields is not None:
        val_known, val_between = (t.to(dtype) for t in split_fine(_tensor(val_fields, dev), model.factor))
    n = known.shape[0]
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr_schedule[0][1], betas=(0.9, 0.99))
    perm, pos = torch.randperm(n, generator=gen), 0
    hist_step, hist_loss, hist_val, running = [], [], [], []
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        if batch_size >= n:
            idx = perm
        else:
            if pos + batch_size > n:
                perm, pos = torch.randperm(n, generator=gen), 0
            idx = perm[pos:pos + batch_size]
            pos += batch_size
        idx = idx.to(dev)
        for group in opt.param_groups:
            group["lr"] = _lr_at(lr_schedule, step - 1)
        model.train()
        loss = ((model(known[idx]) - between[idx]) ** 2).mean() / linear_mse
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running.append(float(loss.detach()))
        if step % eval_every == 0 or step == steps:
            model.eval()
            val = _normalised_mse(model, val_known, val_between, linear_mse) if val_fields is not None else math.nan
            hist_step.append(step)
            hist_loss.append(float(np.mean(running)))
            hist_val.append(val)
            running = []
            if log is not None:
                log(f"step {step}/{steps}: loss {hist_loss[-1]:.4e}  val {val:.4e}  "
                    f"({time.perf_counter() - t0:.1f} s)")
    model.eval()
    return TrainHistory(step=np.asarray(hist_step), loss=np.asarray(hist_loss), val_loss=np.asarray(hist_val),
                        linear_mse=linear_mse, seconds=time.perf_counter() - t0)


def predict_between(model: InterpolationModel, fields, chunk: int = 1024,
                    device: str | torch.device = "cpu") -> np.ndarray:
    """The model's full fine reconstruction of ``fields`` (S, N): known points kept, the points between
    predicted from them. No gradients; float64 numpy out."""
    dev = torch.device(device)
    model.to(dev).eval()
    known, _ = split_fine(_tensor(fields, dev), model.factor)
    out = []
    with torch.no_grad():
        for i in range(0, known.shape[0], chunk):
            k = known[i:i + chunk]
            out.append(assemble_fine(k, model(k)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, np.shape(fields)[-1]))


# ---------------------------------------------------------------------------------------------
# metrics (numpy)
# ---------------------------------------------------------------------------------------------


def interval_curvature(exact, factor: int, length: float = 2 * np.pi) -> np.ndarray:
    """(S, N) -> (S, M): max |v_xx| over the closed interval [known j, known j+1] (fine points
    factor*j + factor - 1 ... factor*(j+1) + factor - 1), v_xx from periodic second differences of the
    exact fine values, dx = length / N."""
    exact = np.asarray(exact, dtype=float)
    n = exact.shape[-1]
    m = _check_factor(n, factor)
    dx = length / n
    vxx = np.abs(np.roll(exact, 1, -1) - 2 * exact + np.roll(exact, -1, -1)) / dx**2
    idx = (factor * np.arange(m)[:, None] + factor - 1 + np.arange(factor + 1)[None, :]) % n
    return vxx[..., idx].max(-1)


def curvature_bins(curvature: np.ndarray) -> np.ndarray:
    """Integer k of the nearest 10^(0.1 k) to each curvature (in log space); -1 << 0 marker for 0."""
    c = np.asarray(curvature, dtype=float)
    with np.errstate(divide="ignore"):
        k = np.where(c > 0, np.rint(10 * np.log10(np.where(c > 0, c, 1.0))), np.iinfo(np.int32).min)
    return k.astype(np.int64)


def decile_ratio(curvature, error_nn, error_poly, top_quantile: float = 0.9) -> dict[str, float]:
    """Median per-interval error ratio poly/NN over all intervals and over those with curvature at or
    above its ``top_quantile`` quantile (the top decile for 0.9)."""
    c = np.ravel(curvature)
    en, ep = np.ravel(error_nn), np.ravel(error_poly)
    threshold = float(np.quantile(c, top_quantile))
    top = c >= threshold
    all_ratio = float(np.median(ep) / np.median(en))
    top_ratio = float(np.median(ep[top]) / np.median(en[top]))
    return {"top_threshold": threshold, "n_top": int(top.sum()), "ratio_all_intervals": all_ratio,
            "ratio_top": top_ratio, "top_vs_overall": top_ratio / all_ratio,
            "median_interval_error_nn_top": float(np.median(en[top])),
            "median_interval_error_poly_top": float(np.median(ep[top]))}


def interpolation_metrics(exact_fine, predicted: Mapping[str, np.ndarray], factor: int, *,
                          length: float = 2 * np.pi, hist_range: tuple[float, float] = (-2.0, 2.0),
                          hist_bins: int = 50, quantiles: tuple[float, float] = (0.05, 0.95),
                          top_quantile: float = 0.9) -> dict[str, np.ndarray | float]:
    """Fig. 1B, C statistics of fine reconstructions ``predicted[name]`` (S, N) of ``exact_fine`` (S, N).

    ``predicted`` must hold "nn" and "poly" (others are allowed and get the same statistics). Only the
    points between known points count (the known points are not predictions). Returns a dict:

    - ``error_<name>`` (S, M): mean |error| over the factor-1 points of each interval;
      ``curvature`` (S, M): :func:`interval_curvature`;
    - Fig. 1C: ``bin_centre`` (K,) = 10^(0.1 k) for every k present (intervals of zero curvature are left
      out, their number is ``n_zero_curvature``), ``bin_count`` (K,), ``<name>_median``, ``<name>_q05``,
      ``<name>_q95`` (K,): median and ``quantiles`` of the interval errors per bin;
    - Fig. 1B: ``hist_edges`` (bins+1,), ``<name>_hist`` (bins, bins): counts of (exact, predicted) pairs,
      axis 0 exact, axis 1 predicted, over ``hist_range`` on both axes (pairs outside are not counted);
    - scalars: ``median_abs_error_<name>`` (over all interpolated points), ``ratio`` = poly / nn of those,
      and :func:`decile_ratio` of the interval errors (``ratio_top``, ``ratio_all_intervals``,
      ``top_vs_overall``, ``top_threshold``, ...).
    """
    if "nn" not in predicted or "poly" not in predicted:
        raise KeyError(f"predicted needs 'nn' and 'poly', got {sorted(predicted)}")
    exact = np.asarray(exact_fine, dtype=float)
    if exact.ndim != 2:
        raise ValueError(f"exact_fine must be (snapshots, N), got shape {exact.shape}")
    n = exact.shape[-1]
    bidx = _between_indices(n, factor)
    truth = exact[:, bidx]  # (S, M, f-1)
    out: dict[str, np.ndarray | float] = {}
    curv = interval_curvature(exact, factor, length)
    out["curvature"] = curv
    k = curvature_bins(curv)
    positive = curv > 0
    ks = np.unique(k[positive])
    out["bin_centre"] = 10.0 ** (0.1 * ks)
    out["bin_count"] = np.array([np.sum(k[positive] == kk) for kk in ks])
    out["n_zero_curvature"] = int((~positive).sum())
    edges = np.linspace(hist_range[0], hist_range[1], hist_bins + 1)
    out["hist_edges"] = edges
    for name, pred in predicted.items():
        pred = np.asarray(pred, dtype=float)
        if pred.shape != exact.shape:
            raise ValueError(f"predicted[{name!r}] has shape {pred.shape}, exact {exact.shape}")
        p = pred[:, bidx]
        abs_err = np.abs(p - truth)
        err = abs_err.mean(-1)
        out[f"error_{name}"] = err
        out[f"median_abs_error_{name}"] = float(np.median(abs_err))
        e_pos, k_pos = err[positive], k[positive]
        stats = np.array([[np.median(e_pos[k_pos == kk]), *np.quantile(e_pos[k_pos == kk], quantiles)] for kk in ks])
        stats = stats.reshape(len(ks), 3)
        out[f"{name}_median"], out[f"{name}_q05"], out[f"{name}_q95"] = stats[:, 0], stats[:, 1], stats[:, 2]
        out[f"{name}_hist"] = np.histogram2d(truth.ravel(), p.ravel(), bins=[edges, edges])[0]
    out["ratio"] = out["median_abs_error_poly"] / out["median_abs_error_nn"]
    out.update(decile_ratio(curv, out["error_nn"], out["error_poly"], top_quantile))
    return out

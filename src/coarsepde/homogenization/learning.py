"""Neural-network models of the homogenized 1D PDE, their training, scoring and time integration.

Arbabi et al. 2020, Sects. 4 and 5.1: learn the right-hand side of u_t = a* u_xx (Eq. 22, Dirichlet
ends fixed in time, Eq. 21) from macro snapshots (U, dU/dt) on a coarse grid, with

* :class:`FunctionalNet` -- Eq. (12) / (16), Fig. 3a: dU/dt = F(U, U_x, U_xx) with a pointwise
  3 -> 32 -> 32 -> 1 ReLU network fed by three-point central differences;
* :class:`DiscretizedNet` -- Eq. (13) / (19), Fig. 3b: dU_j/dt = G(U_{j-1}, U_j, U_{j+1}), a kernel-3
  'valid' convolution followed by two 1x1 convolutions.

Both return exact zeros at the two boundary nodes, so the Dirichlet values never change. Training is
Adam on the MSE of dU/dt (Sect. 5.1) in float64, as the authors' Keras code; scoring is the relative MSE
of Eq. (24); :func:`integrate` time-steps a learned model with BDF (Sect. 5.1).

Units: x is dimensionless on [0, 1] (grid spacing ``dx``), t in the paper's time units; dU/dt is in
units of U per unit time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import nn
from torch.nn import functional as tfn

__all__ = [
    "fd_features",
    "glorot_reset",
    "FunctionalNet",
    "DiscretizedNet",
    "build_model",
    "TrainResult",
    "train",
    "predict",
    "rmse_relative",
    "integrate",
]

log = logging.getLogger(__name__)

DTYPE = torch.float64  # the original Keras code set floatx to float64


def _device(device) -> torch.device:
    """'auto' -> CUDA if available, else CPU; anything else is passed to torch.device."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def fd_features(U: torch.Tensor, dx: float) -> torch.Tensor:
    """Three-point central-difference features (U, U_x, U_xx) at the interior nodes.

    ``U``: (..., n) macro field on a uniform grid of spacing ``dx``, boundary nodes included (n >= 3).
    Returns (..., n-2, 3): U, U_x = (U_{j+1} - U_{j-1}) / (2 dx) and U_xx = (U_{j+1} - 2U_j + U_{j-1}) / dx^2
    at nodes 1..n-2 -- the second-order stencil of three the paper uses for the first architecture (Sect. 5.1).
    Only real neighbours are used, so no ghost values are needed at Dirichlet ends.
    """
    if U.shape[-1] < 3:
        raise ValueError(f"need at least 3 nodes along the last axis, got shape {tuple(U.shape)}")
    if not dx > 0:
        raise ValueError(f"dx must be positive, got {dx}")
    left, mid, right = U[..., :-2], U[..., 1:-1], U[..., 2:]
    ux = (right - left) / (2.0 * dx)
    uxx = (right - 2.0 * mid + left) / (dx * dx)
    return torch.stack((mid, ux, uxx), dim=-1)


def glorot_reset(module: nn.Module, generator: torch.Generator) -> None:
    """Keras-default init (Glorot-uniform weights, zero biases), drawn on the CPU from ``generator``.

    Drawing on the CPU and copying makes the weights identical whatever device the model lives on.
    """
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.Conv1d)):
                w = torch.empty(layer.weight.shape, dtype=DTYPE)
                nn.init.xavier_uniform_(w, generator=generator)
                layer.weight.copy_(w)
                if layer.bias is not None:
                    layer.bias.zero_()


def _pad_boundaries(interior: torch.Tensor) -> torch.Tensor:
    """(..., n-2) -> (..., n) with exact zeros at both ends: dU/dt = 0 at Dirichlet nodes (Eq. 21)."""
    return tfn.pad(interior, (1, 1))


class FunctionalNet(nn.Module):
    """Fig. 3a / Eq. (16): dU/dt = F(U, U_x, U_xx), one 3 -> hidden -> hidden -> 1 ReLU net applied at every
    interior node of :func:`fd_features` (U, dx), zero at the two boundary nodes.

    ``dx`` is the macro grid spacing (0.1 for the paper's 11 nodes). ``seed`` fixes the initial weights.
    With hidden = 32 there are 128 + 1056 + 33 = 1,217 parameters, as in the reference.
    """

    def __init__(self, hidden: int = 32, dx: float = 0.1, seed: int = 0):
        super().__init__()
        if hidden < 1 or not dx > 0:
            raise ValueError(f"need hidden >= 1 and dx > 0, got hidden={hidden}, dx={dx}")
        self.dx = float(dx)
        self.net = nn.Sequential(
            nn.Linear(3, hidden, dtype=DTYPE),
            nn.ReLU(),
            nn.Linear(hidden, hidden, dtype=DTYPE),
            nn.ReLU(),
            nn.Linear(hidden, 1, dtype=DTYPE),
        )
        glorot_reset(self, torch.Generator().manual_seed(seed))

    def forward(self, U: torch.Tensor) -> torch.Tensor:
        """U: (batch, n) -> dU/dt: (batch, n), zeros at nodes 0 and n-1."""
        return _pad_boundaries(self.net(fd_features(U, self.dx)).squeeze(-1))


class DiscretizedNet(nn.Module):
    """Fig. 3b / Eq. (19): dU_j/dt = G(U_{j-1}, U_j, U_{j+1}).

    Conv1d(1, filters, kernel, 'valid') -> ReLU -> Conv1d(filters, filters, 1) -> ReLU -> Conv1d(filters, 1, 1)
    gives values at the n-2 interior nodes; the boundary nodes get exact zeros. Only ``kernel = 3`` is
    supported: a wider stencil would need ghost values beyond the Dirichlet ends (the reference code refuses
    it too). ``seed`` fixes the initial weights. With filters = 32: 128 + 1056 + 33 = 1,217 parameters.
    """

    def __init__(self, filters: int = 32, kernel: int = 3, seed: int = 0):
        super().__init__()
        if kernel != 3:
            raise ValueError(f"only kernel=3 is supported with Dirichlet ends, got kernel={kernel}")
        if filters < 1:
            raise ValueError(f"filters must be >= 1, got {filters}")
        self.net = nn.Sequential(
            nn.Conv1d(1, filters, kernel, padding="valid", dtype=DTYPE),
            nn.ReLU(),
            nn.Conv1d(filters, filters, 1, dtype=DTYPE),
            nn.ReLU(),
            nn.Conv1d(filters, 1, 1, dtype=DTYPE),
        )
        glorot_reset(self, torch.Generator().manual_seed(seed))

    def forward(self, U: torch.Tensor) -> torch.Tensor:
        """U: (batch, n) -> dU/dt: (batch, n), zeros at nodes 0 and n-1."""
        n = U.shape[-1]
        if n < 3:
            raise ValueError(f"need at least 3 nodes along the last axis, got shape {tuple(U.shape)}")
        out = self.net(U.reshape(-1, 1, n)).reshape(*U.shape[:-1], n - 2)
        return _pad_boundaries(out)


_MODELS = {"functional": FunctionalNet, "discretized": DiscretizedNet}


def build_model(kind: str, **kw) -> nn.Module:
    """``kind`` 'functional' -> :class:`FunctionalNet` (kw: hidden, dx, seed); 'discretized' ->
    :class:`DiscretizedNet` (kw: filters, kernel, seed)."""
    if kind not in _MODELS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(_MODELS)}")
    return _MODELS[kind](**kw)


@dataclass
class TrainResult:
    """Per-epoch losses (MSE of dU/dt over interior nodes, units (U/time)^2), epochs run, wall seconds.

    ``train_loss[e]`` is the sample-weighted mean of the minibatch losses during epoch e (as Keras reports
    it); ``val_loss[e]`` the loss on the held-out samples after epoch e (NaN if none are held out).
    """

    train_loss: np.ndarray
    val_loss: np.ndarray
    epochs: int
    seconds: float


def _as_snapshots(name: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] < 3:
        raise ValueError(f"{name} must be (samples, n) with n >= 3, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains non-finite values")
    return a


def train(
    model: nn.Module,
    U: np.ndarray,
    dUdt: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    val_fraction: float = 0.1,
    seed: int = 0,
    device="auto",
    progress: Callable[[int, float, float], None] | None = None,
    warm_start: bool = False,
) -> TrainResult:
    """Fit ``model`` to snapshots ``U`` -> ``dUdt`` (both (samples, n), boundary columns included) with Adam
    on the MSE of dU/dt at the interior nodes (Sect. 5.1; the boundary targets are zero by Eq. 21).

    The last ``val_fraction`` of the samples is held out, unshuffled, as Keras' ``validation_split`` does.
    ``seed`` determines everything random: unless ``warm_start`` is set, the weights are first re-drawn from
    it (Glorot-uniform, zero biases: a fresh fit, like a newly built Keras model), and each epoch's shuffle
    of the training samples uses the same seeded generator. ``progress(epoch, train_loss, val_loss)`` is called after every epoch (1-based).
    The model is modified in place and left on ``device`` in eval mode.
    """
    U = _as_snapshots("U", U)
    dUdt = _as_snapshots("dUdt", dUdt)
    if U.shape != dUdt.shape:
        raise ValueError(f"U and dUdt shapes differ: {U.shape} vs {dUdt.shape}")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    n_samples = U.shape[0]
    split = int(n_samples * (1.0 - val_fraction))  # Keras' split point
    if split < 1:
        raise ValueError(f"no training samples left: {n_samples} samples, val_fraction={val_fraction}")

    dev = _device(device)
    gen = torch.Generator().manual_seed(int(seed))  # CPU generator: same draws on any device
    if not warm_start:
        glorot_reset(model, gen)
    model.to(device=dev, dtype=DTYPE)
    X = torch.as_tensor(U, dtype=DTYPE, device=dev)
    Y = torch.as_tensor(dUdt, dtype=DTYPE, device=dev)[:, 1:-1]  # targets live at the interior nodes
    X_tr, Y_tr, X_va, Y_va = X[:split], Y[:split], X[split:], Y[split:]

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    train_loss = np.empty(epochs)
    val_loss = np.full(epochs, np.nan)
    t0 = time.perf_counter()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(split, generator=gen).to(dev)
        total = torch.zeros((), dtype=DTYPE, device=dev)
        for start in range(0, split, batch_size):
            idx = perm[start : start + batch_size]
            loss = tfn.mse_loss(model(X_tr[idx])[:, 1:-1], Y_tr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * idx.numel()
        train_loss[ep] = total.item() / split
        if split < n_samples:
            model.eval()
            with torch.no_grad():
                val_loss[ep] = tfn.mse_loss(model(X_va)[:, 1:-1], Y_va).item()
        if progress is not None:
            progress(ep + 1, float(train_loss[ep]), float(val_loss[ep]))
    model.eval()
    return TrainResult(train_loss=train_loss, val_loss=val_loss, epochs=int(epochs), seconds=time.perf_counter() - t0)


def predict(model: nn.Module, U: np.ndarray, device="auto") -> np.ndarray:
    """dU/dt of ``model`` for snapshots ``U`` (..., n); one batched pass, no gradients; float64 numpy out."""
    dev = _device(device)
    model.to(device=dev, dtype=DTYPE).eval()
    U = np.asarray(U, dtype=np.float64)
    with torch.no_grad():
        X = torch.as_tensor(U, device=dev).reshape(-1, U.shape[-1])
        return model(X).cpu().numpy().reshape(U.shape)


def rmse_relative(pred: np.ndarray, truth: np.ndarray) -> float:
    """Relative MSE of Eq. (24): sum_j ||v^j - v_h^j||^2 / sum_j ||v_h^j - mean(v_h)||^2.

    Sums run over all snapshots j and grid nodes; mean(v_h) is the mean of ``truth`` over all of them (the
    reference code's reading: MSE divided by the variance of the truth). Dimensionless. A non-finite
    ``pred`` (a blown-up integration) gives NaN/inf rather than an error.
    """
    pred = np.asarray(pred, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    if pred.shape != truth.shape:
        raise ValueError(f"pred and truth shapes differ: {pred.shape} vs {truth.shape}")
    if truth.size == 0:
        raise ValueError("empty arrays")
    den = np.sum((truth - truth.mean()) ** 2)
    if not den > 0:
        raise ValueError("truth has zero variance: Eq. (24) is undefined")
    return float(np.sum((pred - truth) ** 2) / den)


# LSODA is left out on purpose: on a blow-up (u' = 1e3 u^3) scipy 1.17's LSODA loops without end instead of
# failing, and a learned model may blow up.
_METHODS = {"RK23", "RK45", "DOP853", "Radau", "BDF"}
_IMPLICIT = {"BDF", "Radau"}  # solve_ivp methods that take a Jacobian


def integrate(
    model: nn.Module,
    U0: np.ndarray,
    t_eval: np.ndarray,
    *,
    method: str = "BDF",
    max_step: float = 0.01,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    device="auto",
) -> np.ndarray:
    """Solve dU/dt = model(U) from U(t_eval[0]) = ``U0`` (n,) and return U at ``t_eval``: (len(t_eval), n).

    scipy ``solve_ivp`` with BDF (Sect. 5.1) and ``max_step`` 0.01 as in the authors' code; the Jacobian is
    exact, from torch autograd of the model at the current state (n x n, cheap for n = 11). The boundary
    nodes stay at their initial values because the model returns 0 there (Eq. 21). If the solver fails (a
    learned model can blow up), the rows it did not reach are NaN and a warning is logged; no exception.
    """
    U0 = np.asarray(U0, dtype=np.float64)
    t_eval = np.asarray(t_eval, dtype=np.float64)
    if U0.ndim != 1 or U0.size < 3 or not np.all(np.isfinite(U0)):
        raise ValueError(f"U0 must be a finite (n,) vector with n >= 3, got shape {U0.shape}")
    if t_eval.ndim != 1 or t_eval.size < 1 or not np.all(np.isfinite(t_eval)) or np.any(np.diff(t_eval) <= 0):
        raise ValueError("t_eval must be a non-empty, finite, strictly increasing 1D array")
    # checked here so that a ValueError from inside the solver can only mean a numerical failure
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {sorted(_METHODS)}")
    if not (max_step > 0 and rtol > 0 and atol > 0):
        raise ValueError(f"max_step, rtol, atol must be positive, got {max_step}, {rtol}, {atol}")
    out = np.full((t_eval.size, U0.size), np.nan)
    out[0] = U0
    if t_eval.size == 1:
        return out

    dev = _device(device)
    model.to(device=dev, dtype=DTYPE).eval()

    def single(u: torch.Tensor) -> torch.Tensor:
        return model(u[None])[0]

    # A non-finite right-hand side needs no special care: the solvers treat it as a failed step and shrink
    # the step until they give up with status -1, which is what we want for a blow-up.
    def rhs(t, y):
        with torch.no_grad():
            return single(torch.as_tensor(y, device=dev)).cpu().numpy()

    def jac(t, y):
        return torch.autograd.functional.jacobian(single, torch.as_tensor(y, device=dev)).cpu().numpy()

    kw = dict(method=method, max_step=max_step, rtol=rtol, atol=atol, t_eval=t_eval)
    if method in _IMPLICIT:
        kw["jac"] = jac
    try:
        sol = solve_ivp(rhs, (t_eval[0], t_eval[-1]), U0, **kw)
    except (ValueError, np.linalg.LinAlgError) as exc:
        # Only reachable when the Jacobian itself overflows (LU refuses inf); the partial result is lost.
        # ReLU nets have bounded Jacobians, so this is for pathological models only.
        log.warning("integration aborted (%s); all rows after t=%g are NaN", exc, t_eval[0])
        return out
    out[: sol.y.shape[1]] = sol.y.T
    reached = max(sol.y.shape[1], 1)  # row 0 is U0 even if the very first step failed
    if sol.status < 0 or reached < t_eval.size:
        log.warning(
            "integration failed after t=%.6g (%s); the last %d of %d rows are NaN",
            t_eval[reached - 1],
            sol.message,
            t_eval.size - reached,
            t_eval.size,
        )
    return out

"""Neural-network models of the homogenized 2D PDE on the bi-periodic square, training, integration.

Arbabi et al. 2020, Sects. 4 and 5.2: learn the right-hand side of the homogenized lattice diffusion
(Eq. 27; as coded, K_xx u_xx + 2 K_xy u_xy + K_yy u_yy, reference Sect. 5.5) from macro snapshots
(U, dU/dt) on the 16 x 16 gap-tooth grid x_i = (i + 1/2) 2 pi / 16 of [0, 2 pi)^2 (first array axis = x,
second = y), with

* :class:`FunctionalNet2D` -- Eq. (12) / (16), Fig. 3a in 2D: dU/dt = F(u, u_x, u_y, u_xx, u_xy, u_yy),
  a pointwise 6 -> 32 -> 16 -> 1 ReLU network fed by spectral derivatives (:func:`fft_features`);
* :class:`DiscretizedNet2D` -- Eq. (13) / (19), Fig. 3b in 2D: a periodically padded 5 x 5 convolution
  followed by two 1 x 1 convolutions;
* :class:`FluxNet2D` -- not in the paper: a pointwise net giving the flux q(u_x, u_y), with dU/dt = div q
  (spectral), so it conserves the spatial mean by construction, as the homogenized div(K grad u) does on
  the periodic square.

Both are periodic, so every grid point is a training target. Training, prediction and BDF integration reuse
:mod:`.learning` (Adam on the MSE of dU/dt in float64, Sect. 5.1-5.2) through a small flattening adapter;
:func:`fourier_amplitudes` gives the Fourier-mode projection of Fig. 8b.

Units: x, y dimensionless on [0, 2 pi), t in the paper's time units; derivatives per unit length, dU/dt
in units of U per unit time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as tfn

from .learning import DTYPE, TrainResult, glorot_reset, integrate, predict, train

__all__ = [
    "fft_features",
    "FunctionalNet2D",
    "DiscretizedNet2D",
    "FluxNet2D",
    "spectral_divergence",
    "build_model_2d",
    "train_2d",
    "predict_2d",
    "integrate_2d",
    "fourier_amplitudes",
]


def _wavenumbers(n: int, dtype, device, half: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer wavenumbers on a 2 pi-periodic axis of n points: (i k for odd derivatives, -k^2 for even).

    The Nyquist mode (n even) gets i k = 0, so odd derivatives of real data stay real (as scipy.fftpack.diff).
    ``half`` gives the rfft half spectrum (k = 0 .. n//2).
    """
    k = (torch.fft.rfftfreq if half else torch.fft.fftfreq)(n, 1.0 / n, dtype=dtype, device=device)
    k1 = k.clone()
    if n % 2 == 0:
        k1[n // 2] = 0.0
    return 1j * k1, -(k * k)


def fft_features(U: torch.Tensor) -> torch.Tensor:
    """Spectral derivative channels of a bi-periodic field on [0, 2 pi)^2.

    ``U``: (..., nx, ny) real samples on a uniform grid of the period square (any offset, e.g. the gap-tooth
    centres (i + 1/2) 2 pi / n). Returns (..., nx, ny, 6): (u, u_x, u_y, u_xx, u_xy, u_yy), x along axis -2
    and y along axis -1, exact for trigonometric polynomials below the Nyquist wavenumber (the inputs of
    the functional net, Eq. 12; the authors used scipy.fftpack.diff, Sect. 4.3 of the reference notes).
    The Nyquist mode's odd derivatives are zero. Differentiable with autograd.
    """
    if U.ndim < 2:
        raise ValueError(f"U must be (..., nx, ny), got shape {tuple(U.shape)}")
    nx, ny = U.shape[-2:]
    rdt = U.dtype if U.dtype.is_floating_point else DTYPE
    U = U.to(rdt)
    Uh = torch.fft.rfft2(U)  # (..., nx, ny//2 + 1)
    ikx, kx2 = (a[:, None] for a in _wavenumbers(nx, rdt, U.device))
    iky, ky2 = (a[None, :] for a in _wavenumbers(ny, rdt, U.device, half=True))

    def back(mult: torch.Tensor) -> torch.Tensor:
        return torch.fft.irfft2(Uh * mult, s=(nx, ny))

    return torch.stack((U, back(ikx), back(iky), back(kx2), back(ikx * iky), back(ky2)), dim=-1)


def _glorot_reset_2d(module: nn.Module, generator: torch.Generator) -> None:
    """Keras-default init (Glorot-uniform, zero biases) from ``generator``: :func:`learning.glorot_reset` for
    Linear / Conv1d layers, then the same for Conv2d layers (fan = channels x kernel area, as Keras)."""
    glorot_reset(module, generator)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Conv2d):
                w = torch.empty(layer.weight.shape, dtype=DTYPE)
                nn.init.xavier_uniform_(w, generator=generator)
                layer.weight.copy_(w)
                if layer.bias is not None:
                    layer.bias.zero_()


def _relu_mlp(n_in: int, hidden: int, hidden2: int | None, n_out: int) -> nn.Sequential:
    """n_in -> hidden -> hidden2 -> n_out with ReLU between (``hidden2`` defaults to ``hidden``)."""
    hidden2 = hidden if hidden2 is None else hidden2
    if hidden < 1 or hidden2 < 1:
        raise ValueError(f"need hidden, hidden2 >= 1, got {hidden}, {hidden2}")
    return nn.Sequential(
        nn.Linear(n_in, hidden, dtype=DTYPE),
        nn.ReLU(),
        nn.Linear(hidden, hidden2, dtype=DTYPE),
        nn.ReLU(),
        nn.Linear(hidden2, n_out, dtype=DTYPE),
    )


class FunctionalNet2D(nn.Module):
    """Fig. 3a / Eq. (16) in 2D: dU/dt = F(u, u_x, u_y, u_xx, u_xy, u_yy), one pointwise
    6 -> hidden -> hidden2 -> 1 ReLU net applied at every grid point to :func:`fft_features` (U).

    ``hidden2`` defaults to ``hidden``; the authors' 2D code used 32 and 16 (6*32+32 + 32*16+16 + 16+1 =
    769 parameters). ``seed`` fixes the initial weights.
    """

    def __init__(self, hidden: int = 32, hidden2: int | None = None, seed: int = 0):
        super().__init__()
        self.net = _relu_mlp(6, hidden, hidden2, 1)
        _glorot_reset_2d(self, torch.Generator().manual_seed(seed))

    def forward(self, U: torch.Tensor) -> torch.Tensor:
        """U: (batch, nx, ny) -> dU/dt: (batch, nx, ny)."""
        return self.net(fft_features(U)).squeeze(-1)


class DiscretizedNet2D(nn.Module):
    """Fig. 3b / Eq. (19) in 2D: dU_ij/dt = G(U on the kernel x kernel neighbourhood of (i, j)).

    Circular padding of kernel//2 (bi-periodic domain) -> Conv2d(1, filters, kernel) -> ReLU ->
    Conv2d(filters, filters, 1) -> ReLU -> Conv2d(filters, 1, 1), as the authors' 2D code with kernel 5
    (the paper does not state it). With filters = 32, kernel = 5: 832 + 1056 + 33 = 1,921 parameters.
    Odd kernels only (a centred stencil). ``seed`` fixes the initial weights.
    """

    def __init__(self, filters: int = 32, kernel: int = 5, seed: int = 0):
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"kernel must be a positive odd integer, got {kernel}")
        if filters < 1:
            raise ValueError(f"filters must be >= 1, got {filters}")
        self.pad = kernel // 2
        self.net = nn.Sequential(
            nn.Conv2d(1, filters, kernel, dtype=DTYPE),
            nn.ReLU(),
            nn.Conv2d(filters, filters, 1, dtype=DTYPE),
            nn.ReLU(),
            nn.Conv2d(filters, 1, 1, dtype=DTYPE),
        )
        _glorot_reset_2d(self, torch.Generator().manual_seed(seed))

    def forward(self, U: torch.Tensor) -> torch.Tensor:
        """U: (batch, nx, ny) -> dU/dt: (batch, nx, ny)."""
        if U.ndim != 3:
            raise ValueError(f"U must be (batch, nx, ny), got shape {tuple(U.shape)}")
        p = self.pad
        X = U[:, None]
        if p:
            X = tfn.pad(X, (p, p, p, p), mode="circular")
        return self.net(X)[:, 0]


def spectral_divergence(qx: torch.Tensor, qy: torch.Tensor) -> torch.Tensor:
    """d_x qx + d_y qy of bi-periodic fields (..., nx, ny) on [0, 2 pi)^2 by FFT (the derivatives of
    :func:`fft_features`, Nyquist odd derivatives zero). The k = 0 coefficient of the result is exactly zero,
    so its sum over the grid vanishes to round-off."""
    nx, ny = qx.shape[-2:]
    ikx = _wavenumbers(nx, qx.dtype, qx.device)[0][:, None]
    iky = _wavenumbers(ny, qx.dtype, qx.device, half=True)[0][None, :]
    return torch.fft.irfft2(torch.fft.rfft2(qx) * ikx + torch.fft.rfft2(qy) * iky, s=(nx, ny))


class FluxNet2D(nn.Module):
    """Mean-conserving variant of :class:`FunctionalNet2D` (not in the paper): the network gives the flux.

    dU/dt = div q, q = (q_x, q_y) = G(u_x, u_y): a pointwise 2 -> hidden -> hidden2 -> 2 ReLU net of the
    spectral gradient (:func:`fft_features`), and the divergence is spectral too (:func:`spectral_divergence`)
    -- the form of the homogenized div(K grad u), whose flux K grad u depends on the gradient only. On the
    periodic square the right-hand side has a zero k = 0 coefficient, so the spatial mean is conserved to
    round-off for any weights, and a constant field (zero gradient, the same flux everywhere) has
    dU/dt = 0 (to round-off). Near u = 0 the model is div(A grad u) with A = dG/d(grad u) at 0: it cannot
    grow a Fourier mode unless the symmetric part of that 2 x 2 matrix has a negative eigenvalue.

    A finite-volume form (face fluxes from forward differences, their difference quotient) was tried
    first (docs/p2.md): with the published conv stack it was unstable at the ci scale, and with a
    one-point flux it is stable but second-order, 20 % off the exact right-hand side at t = 0.01.
    With hidden = hidden2 = 32: 96 + 1,056 + 66 = 1,218 parameters. ``seed`` fixes the initial weights.
    """

    def __init__(self, hidden: int = 32, hidden2: int | None = None, seed: int = 0):
        super().__init__()
        self.net = _relu_mlp(2, hidden, hidden2, 2)
        _glorot_reset_2d(self, torch.Generator().manual_seed(seed))

    def flux(self, U: torch.Tensor) -> torch.Tensor:
        """U: (..., nx, ny) -> q: (..., nx, ny, 2), the flux at the grid points."""
        return self.net(fft_features(U)[..., 1:3])

    def forward(self, U: torch.Tensor) -> torch.Tensor:
        """U: (batch, nx, ny) -> dU/dt = div q: (batch, nx, ny)."""
        q = self.flux(U)
        return spectral_divergence(q[..., 0], q[..., 1])


_MODELS = {"functional": FunctionalNet2D, "discretized": DiscretizedNet2D, "conservative": FluxNet2D}


def build_model_2d(kind: str, **kw) -> nn.Module:
    """``kind`` 'functional' -> :class:`FunctionalNet2D` (kw: hidden, hidden2, seed); 'discretized' ->
    :class:`DiscretizedNet2D` (kw: filters, kernel, seed); 'conservative' -> :class:`FluxNet2D` (kw: hidden,
    hidden2, seed)."""
    if kind not in _MODELS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(_MODELS)}")
    return _MODELS[kind](**kw)


class _Flat(nn.Module):
    """Adapter showing a (batch, nx, ny) model as a (batch, m) one, for the 1D routines of :mod:`.learning`.

    ``pad=False``: m = nx*ny. ``pad=True``: m = nx*ny + 2 with one dummy column at each end that
    :func:`learning.train` treats as its two Dirichlet nodes (output 0, excluded from the loss), so its loss
    is exactly the MSE over all nx*ny grid points.
    """

    def __init__(self, model: nn.Module, shape: tuple[int, int], pad: bool = False):
        super().__init__()
        self.model, self.shape, self.pad = model, tuple(shape), pad

    def forward(self, V: torch.Tensor) -> torch.Tensor:
        if self.pad:
            V = V[:, 1:-1]
        out = self.model(V.reshape(V.shape[0], *self.shape)).reshape(V.shape[0], -1)
        return tfn.pad(out, (1, 1)) if self.pad else out


def _as_fields(name: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 3 or min(a.shape[1:]) < 1:
        raise ValueError(f"{name} must be (samples, nx, ny), got shape {a.shape}")
    return a


def train_2d(
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
) -> TrainResult:
    """Fit ``model`` to snapshots ``U`` -> ``dUdt`` (both (samples, nx, ny)) with Adam on the MSE of dU/dt
    over all grid points (periodic: no boundaries), Sect. 5.2 ("similar to 1D"; authors: lr 1e-3, batch 64).

    Runs :func:`learning.train` unchanged, so its conventions hold: float64, the last ``val_fraction`` of the
    samples held out unshuffled (Keras ``validation_split``), per-epoch shuffles from a generator seeded
    with ``seed``, ``progress(epoch, train_loss, val_loss)`` after every epoch, model left on ``device`` in
    eval mode. The weights are first re-drawn from ``seed`` (Glorot-uniform, zero biases: a fresh fit).
    Losses in the returned :class:`learning.TrainResult` are in (U/time)^2.
    """
    U = _as_fields("U", U)
    dUdt = _as_fields("dUdt", dUdt)
    if U.shape != dUdt.shape:
        raise ValueError(f"U and dUdt shapes differ: {U.shape} vs {dUdt.shape}")
    _glorot_reset_2d(model, torch.Generator().manual_seed(int(seed)))

    def flat(a: np.ndarray) -> np.ndarray:
        return np.pad(a.reshape(a.shape[0], -1), ((0, 0), (1, 1)))

    return train(
        _Flat(model, U.shape[1:], pad=True),
        flat(U),
        flat(dUdt),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        val_fraction=val_fraction,
        seed=seed,
        device=device,
        progress=progress,
        warm_start=True,
    )


def predict_2d(model: nn.Module, U: np.ndarray, device="auto") -> np.ndarray:
    """dU/dt of ``model`` for snapshots ``U`` (..., nx, ny); one batched pass, no gradients; float64 out."""
    U = np.asarray(U, dtype=np.float64)
    if U.ndim < 2:
        raise ValueError(f"U must be (..., nx, ny), got shape {U.shape}")
    shape = U.shape[-2:]
    flat = U.reshape(*U.shape[:-2], shape[0] * shape[1])
    return predict(_Flat(model, shape), flat, device=device).reshape(U.shape)


def integrate_2d(
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
    """Solve dU/dt = model(U) from U(t_eval[0]) = ``U0`` (nx, ny); return U at ``t_eval``: (T, nx, ny).

    :func:`learning.integrate` on the flattened state: scipy ``solve_ivp`` (BDF, Sect. 5.1-5.2; max_step
    0.01 as the authors) with the exact Jacobian from torch autograd (nx*ny = 256 unknowns on the 16 x 16
    grid). If the solver fails, the rows it did not reach are NaN and a warning is logged; no exception.
    """
    U0 = np.asarray(U0, dtype=np.float64)
    if U0.ndim != 2:
        raise ValueError(f"U0 must be (nx, ny), got shape {U0.shape}")
    out = integrate(
        _Flat(model, U0.shape),
        U0.ravel(),
        t_eval,
        method=method,
        max_step=max_step,
        rtol=rtol,
        atol=atol,
        device=device,
    )
    return out.reshape(-1, *U0.shape)


def fourier_amplitudes(
    U: np.ndarray, n_modes: int = 6, reference: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fig. 8b: magnitudes of the ``n_modes`` largest 2D Fourier coefficients along a trajectory.

    ``U``: (..., nx, ny) field(s). The modes are the ``n_modes`` largest in |FFT2(reference)| (default: the
    first snapshot of ``U``, i.e. the initial condition), each +-k conjugate pair counted once, ties broken
    by mode order. Returns (amplitudes (..., n_modes), modes (n_modes, 2)): amplitudes are |numpy.fft.fft2|
    (unnormalised: a cos(k.x + phi) term of amplitude a gives a nx ny / 2; dimension of U), and modes are the
    signed integer wavenumbers (k_x, k_y) of the 2 pi-periodic square, one of each conjugate pair: k_y >= 0,
    and k_x >= 0 (or the Nyquist -nx/2) where k_y = 0 or Nyquist. Which six coefficients the paper used is
    not stated; this is the reading of the reference notes (Sect. 6). Amplitudes do not depend on the grid
    offset.
    """
    U = np.asarray(U, dtype=np.float64)
    if U.ndim < 2:
        raise ValueError(f"U must be (..., nx, ny), got shape {U.shape}")
    nx, ny = U.shape[-2:]
    if reference is None:
        reference = U.reshape(-1, nx, ny)[0]
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape != (nx, ny):
        raise ValueError(f"reference must be ({nx}, {ny}), got shape {reference.shape}")
    kx = np.rint(np.fft.fftfreq(nx, 1.0 / nx)).astype(int)
    ky = np.arange(ny // 2 + 1)
    # rfft2 keeps k_y >= 0; in the self-conjugate columns (k_y = 0 and the Nyquist column) keep k_x >= 0 only
    # (the Nyquist row -nx/2 is its own conjugate and is kept too).
    self_conj = (ky == 0) | ((ny % 2 == 0) & (ky == ny // 2))
    keep = ~(self_conj[None, :] & (kx[:, None] < 0))
    keep[kx == -(nx // 2)] |= nx % 2 == 0
    modes_all = np.stack(np.broadcast_arrays(kx[:, None], ky[None, :]), axis=-1)[keep]  # (m, 2)
    if not 1 <= n_modes <= len(modes_all):
        raise ValueError(f"n_modes must be in 1..{len(modes_all)}, got {n_modes}")
    ref_mag = np.abs(np.fft.rfft2(reference))[keep]
    order = np.argsort(-ref_mag, kind="stable")[:n_modes]
    amps = np.abs(np.fft.rfft2(U)).reshape(*U.shape[:-2], -1)[..., keep.ravel()][..., order]
    return amps, modes_all[order]

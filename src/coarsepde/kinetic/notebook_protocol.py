"""The authors' IMEX-BDF-2 notebook protocol of Delgadillo, Hu, Yang (DC-RNN), rebuilt in torch to compare with ours.

The notebook (reference facts Sects. 1.4, 3.3, 3.4, 3.7, 3.8; the Table 9 source) fits the g-equation at eps = 1/256
with a K = 2 "linear recurrent" network per order m = 0..M and stores its Adam loss traces. This module rebuilds
exactly that protocol, with switches for the places where our pipeline reads the paper differently, so that the
initial loss and the Adam trajectory can be compared one factor at a time (docs/reproductions/
p3-protocol-reconstruction.md):

* data (:func:`notebook_data`): IC-nb, nx = 400, fine step dx^2/20, a snapshot every 10 fine steps (40 snapshots,
  dt_data = dx^2/2), our ARS(2,2,2) generator; training window snapshots 7..36 (round(n/6) .. round(2.75 n/3) - 1);
* network (:class:`NotebookDCRNN`): per order m, with A = s_A v d_x (centred, s_A = -1 in the notebook's code:
  (u_{j-1} - u_{j+1}) / (2 dx)) and P = <.>,

      h1 = W0_0 A g + W0_1 P g,   h2 = W1_0 A g + W1_1 P g + W1_2 A h1 + W1_3 P h1,
      F_g = WL . (A g, P g, A h1, P h1, A h2, P h2),
      k1 = W0_0 A rho,   k2 = W1_0 A rho + W1_2 A k1,   F_rho = WL_0 A rho + WL_2 A k1 + WL_4 A k2

  (separate g- and rho-weights), every weight W = ``scale`` * theta with the trainable theta initialised to
  ``init / scale`` (the notebook: ``1.5 * tf.Variable(ones)``, i.e. scale 1.5, theta = 1);
  eps_pred = (tanh w_eps + 1)(eps_max - eps_min)/2 + eps_min, the stiff coefficient w_S / eps_pred^M;
* residual (:func:`notebook_residual`), windows n = 0 .. n_windows - 1 of the training snapshots:

      K^n = g^{n+2} - 4/3 g^{n+1} + 1/3 g^n + s_F dt sum_m (4/3 F_m^{n+1} - 2/3 F_m^n) / eps_pred^m
            + 2/3 dt (w_S / eps_pred^M) g^{n+2}

  with s_F = +1 in the notebook (our pipeline: s_F = -1 with s_A = +1, the true-sign convention); the notebook
  uses n_dat - 3 = 27 windows of its 30 snapshots (the last one is never used);
* loss: mean |K| over (windows, v, x); the rho-equation is not fitted.

:func:`notebook_coefficients` gives the four printed coefficients (the notebook's own read-out formulas, true-sign
convention) and :func:`error_percent_of` the Error% of reference facts Sect. 3.6.

Units: g, rho dimensionless; dt, dx in the units of the transport data; coefficients in 1/time [x]^k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_nb

__all__ = [
    "NotebookData",
    "notebook_data",
    "NotebookDCRNN",
    "notebook_residual",
    "notebook_loss",
    "G_WORDS",
    "RHO_WORDS",
    "word_coefficients",
    "FeatureResidual",
    "notebook_coefficients",
    "error_percent_of",
    "notebook_window",
    "AdamTrace",
    "run_adam",
]


@dataclass
class NotebookData:
    """Training snapshots g (T, nv, nx), rho (T, nx), velocity nodes v and weights w (nv,), spacings dt, dx."""

    g: torch.Tensor
    rho: torch.Tensor
    v: torch.Tensor
    w: torch.Tensor
    dt: float
    dx: float

    def to(self, dtype) -> NotebookData:
        return NotebookData(self.g.to(dtype), self.rho.to(dtype), self.v.to(dtype), self.w.to(dtype), self.dt, self.dx)

    def window(self, start: int, stop: int) -> NotebookData:
        """Snapshots start .. stop - 1."""
        return NotebookData(self.g[start:stop], self.rho[start:stop], self.v, self.w, self.dt, self.dx)


def notebook_window(n: int) -> tuple[int, int]:
    """The notebook's training snapshots of n stored ones: round(0.5 n / 3) .. round(2.75 n / 3) - 1 (n = 40: 7..36)."""
    return round(0.5 * n / 3.0), round(2.75 * n / 3.0)


def notebook_data(
    eps: float = 1.0 / 256, nx: int = 400, dt_factor: float = 1.0 / 20, stride: int = 10, n_snapshots: int = 40
) -> NotebookData:
    """Transport data with our ARS(2,2,2) generator at the notebook's settings (all ``n_snapshots``, unwindowed):
    IC-nb on the periodic [0, 1), fine step ``dt_factor`` dx^2, a snapshot every ``stride`` fine steps."""
    dx = 1.0 / nx
    setup = TransportSetup(eps=eps, nx=nx, dt_fine=dt_factor * dx * dx, stride=stride, n_snapshots=n_snapshots)
    out = generate_ars222(setup, ic_nb(setup.x))
    f = torch.float64
    return NotebookData(
        torch.as_tensor(out["g"][0], dtype=f),
        torch.as_tensor(out["rho"][0], dtype=f),
        torch.as_tensor(out["v"], dtype=f),
        torch.as_tensor(out["w"], dtype=f),
        float(out["dt"]),
        float(out["dx"]),
    )


class NotebookDCRNN(torch.nn.Module):
    """The notebook's K = 2 linear-recurrent g-equation network (module docstring), orders m = 0..M.

    ``theta_g`` = (W0 (M+1, 2), W1 (M+1, 4), WL (M+1, 6)) and ``theta_rho`` the same shapes (only the even columns
    enter); the weights are ``scale * theta``. ``adv_sign`` is s_A (-1: the notebook's stencil orientation)."""

    def __init__(
        self,
        M: int,
        eps_range: tuple[float, float],
        *,
        init: float = 1.5,
        scale: float = 1.5,
        w_eps: float = 1.0,
        w_s: float = 1.0,
        adv_sign: float = -1.0,
        dtype=torch.float64,
    ):
        super().__init__()
        self.M, self.eps_range, self.scale, self.adv_sign = int(M), tuple(eps_range), float(scale), float(adv_sign)

        def block():
            return torch.nn.ParameterList(
                [torch.nn.Parameter(torch.full((M + 1, n), init / scale, dtype=dtype)) for n in (2, 4, 6)]
            )

        self.theta_g = block()
        self.theta_rho = block()
        self.w_eps = torch.nn.Parameter(torch.tensor(float(w_eps), dtype=dtype))
        self.w_s = torch.nn.Parameter(torch.tensor(float(w_s), dtype=dtype))

    def weights(self, which: str = "g") -> list[torch.Tensor]:
        return [self.scale * p for p in (self.theta_g if which == "g" else self.theta_rho)]

    def eps_pred(self) -> torch.Tensor:
        lo, hi = self.eps_range
        return (torch.tanh(self.w_eps) + 1.0) * (hi - lo) / 2.0 + lo

    def stiff(self) -> torch.Tensor:
        """w_S / eps_pred^M: the implicit relaxation coefficient (sigma_S / eps^2 for M = 2)."""
        return self.w_s / self.eps_pred() ** self.M

    def _ops(self, data: NotebookData):
        v = data.v[:, None]
        s = self.adv_sign / (2.0 * data.dx)

        def A(u):  # s_A v (u_{j+1} - u_{j-1}) / (2 dx), periodic
            return s * v * (torch.roll(u, -1, dims=-1) - torch.roll(u, 1, dims=-1))

        w = 0.5 * data.w[:, None]

        def P(u):
            return (w * u).sum(dim=-2, keepdim=True).expand_as(u)

        return A, P

    def explicit(self, g: torch.Tensor, rho: torch.Tensor, data: NotebookData) -> torch.Tensor:
        """sum_m (F_g^m(g) + F_rho^m(rho)) / eps_pred^m for g (..., nv, nx), rho (..., nx)."""
        A, P = self._ops(data)
        W0, W1, WL = self.weights("g")
        R0, R1, RL = self.weights("rho")
        r = rho[..., None, :].expand_as(g)
        ag, pg, ar = A(g), P(g), A(r)
        eps = self.eps_pred()
        total = 0.0
        for m in range(self.M + 1):
            h1 = W0[m, 0] * ag + W0[m, 1] * pg
            ah1, ph1 = A(h1), P(h1)
            h2 = W1[m, 0] * ag + W1[m, 1] * pg + W1[m, 2] * ah1 + W1[m, 3] * ph1
            fg = WL[m, 0] * ag + WL[m, 1] * pg + WL[m, 2] * ah1 + WL[m, 3] * ph1 + WL[m, 4] * A(h2) + WL[m, 5] * P(h2)
            k1 = R0[m, 0] * ar
            ak1 = A(k1)
            k2 = R1[m, 0] * ar + R1[m, 2] * ak1
            fr = RL[m, 0] * ar + RL[m, 2] * ak1 + RL[m, 4] * A(k2)
            total = total + (fg + fr) / eps**m
        return total


def notebook_residual(
    model: NotebookDCRNN, data: NotebookData, *, f_sign: float = 1.0, n_windows: int | None = None, dt_power: int = 1
) -> torch.Tensor:
    """K^n of the module docstring over windows n = 0 .. n_windows - 1 (default T - 3, the notebook's), (N, nv, nx).

    ``f_sign`` is s_F; ``dt_power`` = 1 multiplies the explicit and stiff terms by dt (the notebook), 0 divides the
    whole residual by dt instead (the difference-quotient reading), for the factor study."""
    T = data.g.shape[0]
    n = T - 3 if n_windows is None else int(n_windows)
    if not 1 <= n <= T - 2:
        raise ValueError(f"n_windows must be in 1..{T - 2}, got {n}")
    g, rho, dt = data.g, data.rho, data.dt
    F = model.explicit(g[: n + 1], rho[: n + 1], data)
    bdf = g[2 : n + 2] - (4.0 / 3.0) * g[1 : n + 1] + (1.0 / 3.0) * g[:n]
    rhs = f_sign * ((4.0 / 3.0) * F[1 : n + 1] - (2.0 / 3.0) * F[:n]) + (2.0 / 3.0) * model.stiff() * g[2 : n + 2]
    if dt_power == 1:
        return bdf + dt * rhs
    if dt_power == 0:
        return bdf / dt + rhs
    raise ValueError(f"dt_power must be 0 or 1, got {dt_power}")


def notebook_loss(model: NotebookDCRNN, data: NotebookData, **kw) -> torch.Tensor:
    """mean |K| over (windows, v, x) (reference facts Sect. 3.7: the notebook's tf.reduce_mean(tf.abs(.)))."""
    return notebook_residual(model, data, **kw).abs().mean()


G_WORDS = ("A", "P", "AA", "AP", "PA", "AAA", "AAP", "APA", "PAA", "PAP")  # words on g (rightmost acts first)
RHO_WORDS = ("A", "AA", "AAA")  # words on rho (lifted along v)


def word_coefficients(model: NotebookDCRNN) -> torch.Tensor:
    """sum_m c_word^(m) / eps_pred^m for the 10 g-words and 3 rho-words (G_WORDS + RHO_WORDS): the network's
    expansion (P P = P; nothing else simplified), so F = sum_word coefficient * word(u) exactly."""
    W0, W1, WL = model.weights("g")
    R0, R1, RL = model.weights("rho")
    eps = model.eps_pred()
    out = 0.0
    for m in range(model.M + 1):
        a, b, c = W0[m], W1[m], WL[m]
        ra, rb, rc = R0[m], R1[m], RL[m]
        cm = torch.stack(
            [
                c[0],
                c[1] + c[3] * a[1] + c[5] * (b[1] + b[3] * a[1]),
                c[2] * a[0] + c[4] * b[0],
                c[2] * a[1] + c[4] * (b[1] + b[3] * a[1]),
                c[3] * a[0] + c[5] * (b[0] + b[3] * a[0]),
                c[4] * b[2] * a[0],
                c[4] * b[2] * a[1],
                c[4] * b[3] * a[0],
                c[5] * b[2] * a[0],
                c[5] * b[2] * a[1],
                rc[0],
                rc[2] * ra[0] + rc[4] * rb[0],
                rc[4] * rb[2] * ra[0],
            ]
        )
        out = out + cm / eps**m
    return out


class FeatureResidual:
    """:func:`notebook_residual` from precomputed word features (the residual is linear in the word coefficients):
    Y_word = 4/3 word(u^{n+1}) - 2/3 word(u^n) stacked (13, N, nv, nx), so each Adam step costs one weighted sum.
    Equal to the network form to rounding (tests); the data may be cast to float32 first."""

    def __init__(self, model: NotebookDCRNN, data: NotebookData, *, f_sign: float = 1.0, n_windows: int | None = None):
        T = data.g.shape[0]
        n = T - 3 if n_windows is None else int(n_windows)
        A, P = model._ops(data)
        g = data.g[: n + 2]
        r = data.rho[: n + 2, None, :].expand_as(g)
        ops = {"A": A, "P": P}

        def word(wd, u):
            for s in reversed(wd):
                u = ops[s](u)
            return u

        X = torch.stack([word(wd, g[: n + 1]) for wd in G_WORDS] + [word(wd, r[: n + 1]) for wd in RHO_WORDS])
        self.Y = (f_sign * data.dt) * ((4.0 / 3.0) * X[:, 1 : n + 1] - (2.0 / 3.0) * X[:, :n])
        self.bdf = g[2 : n + 2] - (4.0 / 3.0) * g[1 : n + 1] + (1.0 / 3.0) * g[:n]
        self.Z = (2.0 / 3.0) * data.dt * g[2 : n + 2]
        self.Yf = self.Y.reshape(self.Y.shape[0], -1)

    def residual(self, model: NotebookDCRNN) -> torch.Tensor:
        c = word_coefficients(model).to(self.Yf.dtype)
        K = self.bdf.reshape(-1) + c @ self.Yf + model.stiff().to(self.Yf.dtype) * self.Z.reshape(-1)
        return K.reshape(self.bdf.shape)

    def loss(self, model: NotebookDCRNN) -> torch.Tensor:
        return self.residual(model).abs().mean()


def notebook_coefficients(model: NotebookDCRNN) -> dict[str, float]:
    """The printed coefficients by the notebook's read-out (``coeffsg``/``coeffsrho``), true-sign RHS convention:
    g: -w_S/eps^M; v d_x g: sum_m WL_0/eps^m; <v d_x g>: sum_m (WL_3 W0_0 + WL_5 (W1_0 + W1_3 W0_0))/eps^m;
    v d_x rho: sum_m WL_0^rho/eps^m (the notebook's -v d_x stencil and its +dt F residual cancel in the sign)."""
    with torch.no_grad():
        e = float(model.eps_pred())
        W0, W1, WL = (w.double() for w in model.weights("g"))
        RL = model.weights("rho")[2].double()
        c = {"g": -float(model.stiff()), "v_dx_g": 0.0, "<v_dx_g>": 0.0, "v_dx_rho": 0.0}
        for m in range(model.M + 1):
            s = e ** (-m)
            c["v_dx_g"] += s * float(WL[m, 0])
            c["<v_dx_g>"] += s * float(WL[m, 3] * W0[m, 0] + WL[m, 5] * (W1[m, 0] + W1[m, 3] * W0[m, 0]))
            c["v_dx_rho"] += s * float(RL[m, 0])
    return c


def error_percent_of(coeffs: dict[str, float], eps: float) -> float:
    """100 sum_k ||c_k| - |c_k^exact|| / (2/eps^2 + 2/eps), exact magnitudes 1/eps^2, 1/eps, 1/eps, 1/eps^2."""
    exact = {"g": eps**-2, "v_dx_g": 1 / eps, "<v_dx_g>": 1 / eps, "v_dx_rho": eps**-2}
    return 100.0 * sum(abs(abs(coeffs[k]) - exact[k]) for k in exact) / (2 / eps**2 + 2 / eps)


@dataclass
class AdamTrace:
    """Adam steps (1-based count of updates done), the loss after each recorded step, Error%, eps_pred, wall time."""

    steps: list[int]
    loss: list[float]
    error: list[float]
    eps_pred: list[float]
    initial_loss: float
    seconds: float


def run_adam(
    model: NotebookDCRNN,
    data: NotebookData,
    steps: int,
    *,
    eps: float,
    lr: float = 1e-3,
    record_every: int = 10,
    time_limit: float = math.inf,
    **residual_kw,
) -> AdamTrace:
    """Full-batch torch.optim.Adam (betas 0.9/0.999, eps 1e-8) on the loss (:class:`FeatureResidual`); like the notebook's loop the
    loss is evaluated after each update, and recorded at updates 1, 1 + record_every, ... (the notebook's "It: k"
    is the loss after k + 1 updates). Stops early after ``time_limit`` seconds."""
    import time

    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    fr = FeatureResidual(model, data, **residual_kw)
    with torch.no_grad():
        initial = float(fr.loss(model))
    tr = AdamTrace([], [], [], [], initial, 0.0)
    t0 = time.perf_counter()
    for k in range(steps):
        opt.zero_grad()
        loss = fr.loss(model)
        loss.backward()
        opt.step()
        if k % record_every == 0 or k == steps - 1:
            with torch.no_grad():
                tr.steps.append(k + 1)
                tr.loss.append(float(fr.loss(model)))
                tr.error.append(error_percent_of(notebook_coefficients(model), eps))
                tr.eps_pred.append(float(model.eps_pred()))
            if time.perf_counter() - t0 > time_limit:
                break
    tr.seconds = time.perf_counter() - t0
    return tr


def as_numpy(trace: AdamTrace) -> dict[str, np.ndarray]:
    return {k: np.asarray(getattr(trace, k)) for k in ("steps", "loss", "error", "eps_pred")}

"""Example 6.4 of Delgadillo, Hu, Yang (DC-RNN): learning a space-dependent scattering cross-section sigma_S(x)
(Eqs. 6.5-6.7, Fig. 5), without and with the continuity penalty of Eq. (4.18).

Model: the g-equation DC-RNN d_t g = F(g, rho) - sigma(x) g with K = 1, dictionaries {v d_x, <.>} on g and
{v d_x} on rho (scalar block weights, no bias) and a relaxation vector sigma(x) = w_S(x), one value per grid
point (``relaxation_nx``, Sect. 4.2: "each of these neural networks have N_x trainable parameters"); eps = 1,
M = 0, IMEX-BDF-2 fitting (Eq. 8.13-8.18, relaxation implicit). Objective (4.13) + (4.18):

    L = mean |K^n| + gamma * mean_j |sigma_{j+1} - sigma_j| / dx,     gamma = gamma_rel * (zero model's loss).

Two protocols, as for the tables (:mod:`coarsepde.kinetic.experiments`):

* ``adam``: the paper's optimizer, Adam on L from sigma = 1 and the authors' block initialisation;
* ``converged``: variable projection on the l2 objective first (sigma eliminated in closed form per grid point,
  L-BFGS on the block weights: :func:`_varpro`), then block-coordinate majorise-minimise on L. The F-step is
  L-BFGS on the block weights
  with sigma fixed. The sigma-step minimises the quadratic majoriser of the L1 term,
  |K| <= K^2 / (2 |K_0|) + |K_0| / 2 (IRLS weights 1/|K_0|), plus the TV term exactly. The residual is linear
  in sigma_j at each grid point, so this is a weighted 1D total-variation problem (fused lasso), solved by ADMM
  with a tridiagonal solve per iteration. Each sweep cannot increase L; a final joint L-BFGS polish on L follows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import solve_banded

from coarsepde.kinetic.dcrnn import MultiscaleDCRNN
from coarsepde.kinetic.features import zero_model_loss
from coarsepde.kinetic.fitdata import FitData, starts
from coarsepde.kinetic.fitting import STENCILS, linear_residual
from coarsepde.kinetic.losses import continuity_penalty
from coarsepde.kinetic.protocols import AdamSettings, Lbfgs, Penalties
from coarsepde.kinetic.scoring import physical_coefficients
from coarsepde.kinetic.training import fit

__all__ = [
    "SigmaProtocol",
    "make_sigma_model",
    "tv_denoise_weighted",
    "sigma_objective",
    "fit_sigma_x",
    "total_variation",
]

SCHEME = "bdf2"


@dataclass(frozen=True)
class SigmaProtocol:
    """Budgets: Adam steps/lr (paper protocol); MM sweeps, L-BFGS steps per F-step, ADMM iterations per
    sigma-step and the final joint L-BFGS polish (converged protocol)."""

    adam_steps: int = 1000
    lr: float = 0.05
    varpro_steps: int = 200
    sweeps: int = 15
    f_steps: int = 30
    admm_iterations: int = 500
    polish_steps: int = 200
    init: float = 1.0


def make_sigma_model(data: FitData, init: float = 1.0) -> MultiscaleDCRNN:
    return MultiscaleDCRNN(
        ("A", "P"), ("A",), K=1, M=0, relaxation_nx=data.nx, bias=False, init=init, operators=data.ops
    )


def total_variation(f) -> float:
    """sum_j |f_{j+1} - f_j| (no wrap-around)."""
    return float(np.abs(np.diff(np.asarray(f, dtype=float))).sum())


def tv_denoise_weighted(
    target: np.ndarray,
    weight: np.ndarray,
    lam: float,
    iterations: int = 500,
    rho: float | None = None,
    tol: float = 1e-10,
) -> np.ndarray:
    """argmin_s 1/2 sum_j w_j (s_j - t_j)^2 + lam sum_j |s_{j+1} - s_j| (weights w_j > 0) by ADMM on u = D s:
    s <- (W + rho D^T D)^{-1} (W t + rho D^T (u - y)) (tridiagonal), u <- shrink(D s + y, lam / rho),
    y <- y + D s - u. ``lam = 0`` returns t."""
    t = np.asarray(target, dtype=float)
    w = np.asarray(weight, dtype=float)
    if t.shape != w.shape or t.ndim != 1:
        raise ValueError("target and weight must be equal-length vectors")
    if np.any(~(w > 0)):
        raise ValueError("weights must be positive")
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    if lam == 0 or t.size < 2:
        return t.copy()
    n = t.size
    rho = float(np.median(w)) if rho is None else float(rho)
    # banded (W + rho D^T D): diagonal w + rho * (1, 2, ..., 2, 1), off-diagonals -rho
    diag = w + rho * np.r_[1.0, 2.0 * np.ones(n - 2), 1.0]
    ab = np.zeros((3, n))
    ab[0, 1:] = -rho
    ab[1] = diag
    ab[2, :-1] = -rho
    u = np.diff(t)
    y = np.zeros(n - 1)
    s = t.copy()
    scale = 1.0 + float(np.max(np.abs(t)))
    for _ in range(int(iterations)):
        v = u - y
        rhs = w * t + rho * (np.r_[0.0, v] - np.r_[v, 0.0])  # D^T v = (-v_0, v_0 - v_1, ..., v_{n-2})
        s = solve_banded((1, 1), ab, rhs)
        ds = np.diff(s)
        z = ds + y
        u_old = u
        u = np.sign(z) * np.maximum(np.abs(z) - lam / rho, 0.0)
        y = y + ds - u
        # primal (D s = u) and dual (u settled) residuals, relative to the data's scale
        if np.max(np.abs(ds - u)) <= tol * scale and np.max(np.abs(u - u_old)) <= tol * scale:
            break
    return s


def sigma_objective(model, data: FitData, gamma: float) -> float:
    """The objective L of the module docstring (L1 data term + gamma * continuity penalty)."""
    with torch.no_grad():
        K = linear_residual(model, data, STENCILS[SCHEME])
        return float(K.abs().mean() + gamma * continuity_penalty([model], data.ops.dx))


def _sigma_step(model, data: FitData, gamma: float, iterations: int, delta_rel: float = 1e-6) -> None:
    """Exact minimiser in sigma of the IRLS majoriser of L (module docstring), written into w_S."""
    st = STENCILS[SCHEME]
    n = starts(data, st.span)
    beta = st.s[-1]
    with torch.no_grad():
        sig = model.relaxation().clone()
        K = linear_residual(model, data, st)  # (N, nv, nx)
        G = data.g[n + st.span]  # g^{n+2}
        R0 = K - beta * data.dt * sig * G  # residual without the relaxation term
        absK = K.abs()
        w = 1.0 / torch.clamp(absK, min=delta_rel * float(absK.mean()) + 1e-300)
        c = beta * data.dt * G
        count = K.numel()
        a = (w * c * c).sum(dim=(0, 1)).numpy() / count  # 1/2 sum w K^2 / count = a/2 (s - s_hat)^2
        b = (w * c * R0).sum(dim=(0, 1)).numpy() / count
    a = np.maximum(a, 1e-300)
    s_hat = -b / a
    # the majoriser of mean |K| is 1/2 mean w K^2 (+ const): weights a_j / 2 * 2 = a_j in the 1/2-form of the TV solver
    lam = gamma / ((data.nx - 1) * data.ops.dx)
    s = tv_denoise_weighted(s_hat, a, lam, iterations) if gamma > 0 else s_hat
    with torch.no_grad():
        model.w_s.copy_(torch.as_tensor(s, dtype=model.w_s.dtype))


def _profiled_residual(model, data: FitData):
    """Residual with sigma eliminated: sigma*(F) = argmin_sigma mean K^2 per grid point (closed form, linear),
    differentiable in the block weights (variable projection). Returns (K*, sigma*)."""
    st = STENCILS[SCHEME]
    n = starts(data, st.span)
    beta = st.s[-1]
    K = linear_residual(model, data, st)
    G = data.g[n + st.span]
    c = beta * data.dt * G
    R0 = K - model.relaxation() * c
    sig = -(R0 * c).sum(dim=(0, 1)) / torch.clamp((c * c).sum(dim=(0, 1)), min=1e-300)
    return R0 + sig * c, sig


def _varpro(model, data: FitData, steps: int) -> None:
    """L-BFGS on the block weights of the l2 objective with sigma profiled out (:func:`_profiled_residual`);
    then sigma = sigma*. Removes the near-degenerate valley between sigma(x) and the v d_x rho coefficient
    (near equilibrium g ~ -(1/sigma) v d_x rho, only their ratio is seen) along which alternating and joint
    first-order methods crawl."""
    params = [p for name, p in model.named_parameters() if name != "w_s"]
    with torch.no_grad():
        scale = float((_profiled_residual(model, data)[0] ** 2).mean()) or 1.0
    opt = torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=int(steps),
        max_eval=int(1.25 * steps) + 1,
        tolerance_grad=1e-14,
        tolerance_change=1e-16,
        history_size=50,
        line_search_fn="strong_wolfe",
    )

    def closure():
        opt.zero_grad(set_to_none=True)
        val = (_profiled_residual(model, data)[0] ** 2).mean() / scale
        val.backward()
        return val

    opt.step(closure)
    with torch.no_grad():
        model.w_s.copy_(_profiled_residual(model, data)[1])


def _summary(model, data: FitData, gamma: float, truth: np.ndarray) -> dict:
    with torch.no_grad():
        poly = model.coefficients().numeric()
        sig = model.relaxation().detach().numpy().copy()
    phys = physical_coefficients(poly)
    coefs = {k: float(v) for k, v in phys.items() if k != "g"}
    words = {
        str(t): (float(c) if np.ndim(c.detach().numpy() if torch.is_tensor(c) else c) == 0 else np.nan)
        for t, c in poly.prune().items()
    }
    return {
        "sigma": sig,
        "coefficients": coefs,
        "words": words,
        "objective": sigma_objective(model, data, gamma),
        "tv": total_variation(sig),
        "max_error": float(np.max(np.abs(sig - truth))),
        "rms_error": float(np.sqrt(np.mean((sig - truth) ** 2))),
    }


def fit_sigma_x(
    data: FitData,
    truth: np.ndarray,
    *,
    gamma_rel: float,
    protocol: SigmaProtocol,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Both protocols for one penalty weight (gamma = gamma_rel x the zero model's L1 loss; 0 = no
    continuity). ``truth`` is the true sigma_S(x) on the grid (for the read-out only). Returns
    {"adam": summary, "converged": summary, "gamma": gamma, "seconds": {...}, "history": [(sweep, L)]}."""
    truth = np.asarray(truth, dtype=float)
    if truth.shape != (data.nx,):
        raise ValueError(f"truth must have shape ({data.nx},), got {truth.shape}")
    gamma = float(gamma_rel) * zero_model_loss(data, SCHEME, "l1")
    torch.manual_seed(seed)
    out = {"gamma": gamma, "seconds": {}}
    model = make_sigma_model(data, protocol.init)
    t0 = time.perf_counter()
    if protocol.adam_steps:
        adam = AdamSettings(protocol.adam_steps, protocol.lr, seed=seed)
        fit(model, data, SCHEME, adam=adam, norm="l1", penalties=Penalties(continuity=gamma))
    out["seconds"]["adam"] = time.perf_counter() - t0
    out["adam"] = _summary(model, data, gamma, truth)
    if log:
        log(
            f"[sigma_x gamma_rel={gamma_rel:g}] adam: L {out['adam']['objective']:.5e}, TV {out['adam']['tv']:.4g}, "
            f"max err {out['adam']['max_error']:.4g}"
        )

    t0 = time.perf_counter()
    model = make_sigma_model(data, protocol.init)
    _varpro(model, data, protocol.varpro_steps)
    hist = [(-1, sigma_objective(model, data, gamma))]
    if log:
        log(f"  variable projection (l2): L {hist[-1][1]:.6e}")
    for sweep in range(protocol.sweeps):
        # F-step first: from sigma = init (constant), F is what the data say with an average relaxation; a
        # sigma-step from the untrained F (every word 1) leads to a spurious local minimum (measured)
        model.w_s.requires_grad_(False)
        fit(model, data, SCHEME, lbfgs=Lbfgs(protocol.f_steps, ("l1",), restarts=0))
        model.w_s.requires_grad_(True)
        _sigma_step(model, data, gamma, protocol.admm_iterations)
        hist.append((sweep, sigma_objective(model, data, gamma)))
        if log:
            log(f"  sweep {sweep}: L {hist[-1][1]:.6e}")
    if protocol.polish_steps:
        polish = Lbfgs(protocol.polish_steps, ("l1",), restarts=1)
        fit(model, data, SCHEME, lbfgs=polish, penalties=Penalties(continuity=gamma))
        hist.append((protocol.sweeps + 1, sigma_objective(model, data, gamma)))
    out["seconds"]["converged"] = time.perf_counter() - t0
    out["converged"] = _summary(model, data, gamma, truth)
    out["history"] = hist
    if log:
        c = out["converged"]
        log(
            f"[sigma_x gamma_rel={gamma_rel:g}] converged: L {c['objective']:.5e}, TV {c['tv']:.4g}, max err "
            f"{c['max_error']:.4g}, coefficients {c['coefficients']}"
        )
    return out

"""Least-squares solvers of the DC-RNN fits (the converged protocol's middle phase, Sect. 5.2).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs".
:func:`least_squares`: scipy's trust-region reflective solver on a small residual vector of the model's
parameters (exact Jacobians by autograd). :func:`gauss_newton`: for the schemes nonlinear in F
(ARS(2,2,2), RK4), a Levenberg-damped Gauss-Newton iteration in the space of the explicit word
coefficients, each linear model solved by :func:`least_squares`. Residuals in units of g.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import torch

from coarsepde.kinetic.features import CoefficientMap, r_factor
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.polynomial import OperatorPolynomial

__all__ = [
    "snapshot_parameters",
    "restore_parameters",
    "least_squares",
    "FixedCoefficients",
    "JVP_BATCH_BYTES",
    "residual_and_jacobian",
    "gauss_newton",
]

DTYPE = torch.float64


def snapshot_parameters(params):
    """Detached copies of ``params`` (for :func:`restore_parameters`)."""
    return [p.detach().clone() for p in params]


def restore_parameters(params, state) -> None:
    """Copy a :func:`snapshot_parameters` state back into ``params``, in place."""
    with torch.no_grad():
        for p, b in zip(params, state):
            p.copy_(b)


class _Reduced(torch.nn.Module):
    """forward() = residual_fn(model) (for torch.func.functional_call)."""

    def __init__(self, model, residual_fn: Callable):
        super().__init__()
        self.model = model
        self._fn = residual_fn

    def forward(self):
        return self._fn(self.model)


def least_squares(model, residual_fn: Callable, max_nfev: int) -> int:
    """Trust-region reflective least squares (scipy ``least_squares``, x_scale "jac", exact Jacobian by
    vectorised reverse-mode autograd) of the small residual vector ``residual_fn(model)`` over the model's
    trainable parameters, in place; keeps the start if the solve ends non-finite or worse. Returns nfev."""
    from scipy.optimize import least_squares

    wrap = _Reduced(model, residual_fn)
    # (w_eps does not enter an M = 0 model)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad and not (n == "w_eps" and model.M == 0)]
    shapes = [p.shape for _, p in named]
    sizes = [p.numel() for _, p in named]

    def unflat(x: torch.Tensor) -> dict:
        out, i = {}, 0
        for (n, _), sh, sz in zip(named, shapes, sizes):
            out["model." + n] = x[i : i + sz].reshape(sh)
            i += sz
        return out

    def r_of(x: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(wrap, unflat(x), ())

    def fun(x):
        with torch.no_grad():
            r = r_of(torch.from_numpy(np.asarray(x, dtype=np.float64)))
        r = r.numpy()
        return np.where(np.isfinite(r), r, 1e30)

    def jac(x):
        J = torch.autograd.functional.jacobian(r_of, torch.from_numpy(np.asarray(x, dtype=np.float64)), vectorize=True)
        J = J.numpy()
        return np.where(np.isfinite(J), J, 0.0)

    x0 = torch.cat([p.detach().flatten() for _, p in named]).numpy()
    f0 = float(np.sum(fun(x0) ** 2))
    sol = least_squares(
        fun, x0, jac=jac, method="trf", x_scale="jac", max_nfev=max_nfev, xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    if np.all(np.isfinite(sol.x)) and float(np.sum(fun(sol.x) ** 2)) < f0:
        with torch.no_grad():
            for (_, p), v in zip(named, unflat(torch.from_numpy(sol.x)).values()):
                p.copy_(v)
    return int(sol.nfev)


class FixedCoefficients:
    """Model stand-in with given explicit word coefficients c and relaxation s (for Jacobians in c)."""

    def __init__(self, words, c, s):
        self.words, self.c, self.s = words, c, s

    def explicit_rhs(self, g, rho, ops=None, method: str = "auto"):
        return OperatorPolynomial(dict(zip(self.words, self.c))).evaluate(ops, g=g, rho=rho)

    def relaxation(self):
        return self.s


#: memory allowed for one batched tangent array of the forward-mode Jacobian (rows x tangents x 8 bytes)
JVP_BATCH_BYTES = 64 * 2**20


def residual_and_jacobian(r_of: Callable, z0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(r(z0), J = dr/dz (rows, dim z)) by forward-mode AD, the dim z tangents batched through ``vmap``.

    One JVP per coordinate, run in turn, would pay torch.func's per-op cost of forward-mode AD once per
    coordinate; batched, every op runs once per chunk of tangents, with columns bitwise equal to the
    one-at-a-time JVPs (tested). Tangents are chunked so a batched array stays under
    :data:`JVP_BATCH_BYTES`."""
    with torch.no_grad():
        r0 = r_of(z0).detach()
    p = z0.numel()
    chunk = max(1, min(p, int(JVP_BATCH_BYTES // max(1, r0.numel() * r0.element_size()))))
    with warnings.catch_warnings():  # torch-internal: torch.func registers jvp decompositions
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
        J = torch.func.vmap(lambda e: torch.func.jvp(r_of, (z0,), (e,))[1], out_dims=1, chunk_size=chunk)(
            torch.eye(p, dtype=z0.dtype)
        )
    return r0, J.detach()


def gauss_newton(
    model, data: FitData, sch, *, iterations: int, inner_nfev: int, idx=None, scheme_kw: dict | None = None, log=None
) -> tuple[int, int]:
    """Gauss-Newton in coefficient space for a scheme that is nonlinear in F (ARS(2,2,2), RK4), l2 loss.

    The residual depends on the parameters only through z = (explicit word coefficients c, sigma_hat).
    Each outer iteration linearises it at z_0: r(z) ~ r_0 + J (z - z_0), J by forward-mode AD (one JVP per
    word, batched: :func:`residual_and_jacobian`), reduces the linear model to a small triangular factor R
    of [r_0, J] (:func:`r_factor`), and fits the parameters to it with the trust-region solver
    (:func:`least_squares`, at most ``inner_nfev`` evaluations), plus a Levenberg term sqrt(lam) D (z - z_0)
    (D = column norms of J) that is raised tenfold while the true loss does not decrease. Returns (outer
    iterations done, inner evaluations).
    """
    kw = dict(scheme_kw or {})
    cmap = CoefficientMap(model, data.ops.odd_moments_vanish)
    words = cmap.words
    learn_s = model.w_s is not None
    W = len(words)

    def split(z):
        return z[:W], (z[W] if learn_s else model.relaxation().detach())

    def r_of(z):
        c, s_ = split(z)
        return sch.residual(FixedCoefficients(words, c, s_), data, idx=idx, **kw).reshape(-1)

    def z_of(m):
        c = cmap(m)
        return torch.cat([c, m.relaxation().reshape(1)]) if learn_s else c

    def true_loss():
        with torch.no_grad():
            r = r_of(z_of(model))
        return float((r * r).mean()) if torch.isfinite(r).all() else math.inf

    params = [p for p in model.parameters() if p.requires_grad]
    nfev = 0
    lam = 0.0
    current = true_loss()
    done = 0
    for _ in range(int(iterations)):
        with torch.no_grad():
            z0 = z_of(model).detach()
        r0, J = residual_and_jacobian(r_of, z0)
        B = torch.cat([r0[:, None], J], 1)  # (rows, 1 + dim z)
        R = r_factor(B)
        D = J.norm(dim=0) / math.sqrt(B.shape[0])
        start = snapshot_parameters(params)
        improved = False
        for _attempt in range(6):
            lam_now = lam

            def reduced(m, R=R, z0=z0, lam_now=lam_now):
                dz = z_of(m) - z0
                r = R @ torch.cat([torch.ones(1, dtype=DTYPE), dz])
                if lam_now > 0:
                    r = torch.cat([r, math.sqrt(lam_now) * D * dz])  # noqa: B023 (used in this iteration only)
                return r

            nfev += least_squares(model, reduced, inner_nfev)
            new = true_loss()
            if new < current:
                improved = True
                lam = lam / 10.0 if lam > 1e-6 else 0.0
                break
            restore_parameters(params, start)
            lam = 1e-3 if lam == 0.0 else 10.0 * lam
        done += 1
        if log:
            log(f"[{sch.name}] gauss-newton {done}: l2 loss {current:.6e} -> {min(new, current):.6e}")
        if not improved:
            break
        rel = (current - new) / current
        current = new
        if rel < 1e-6:
            break
    return done, nfev

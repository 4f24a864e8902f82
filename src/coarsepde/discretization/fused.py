"""The learned discretizations' flux path as compiled passes (:mod:`.stencil_kernels`), wired into torch.

A :class:`~coarsepde.discretization.models.LearnedDiscretization` with ``fused = True`` (the default)
computes its time derivative here wherever the fast path applies (CPU, float32 or float64, 6-point
stencils, no gradient w.r.t. the cell averages):

- network models: the convolutions stay torch's, the head (polynomial-accuracy layer, stencils, flux,
  conservative update) is one compiled pass forward and one backward (:class:`_Head`) instead of about
  25 torch ops each way;
- constant-coefficient models: one compiled pass (:class:`_ConstantRhs`), and the explicit-midpoint
  rollout of the time-integrated loss (paper footnote *) is a single compiled forward sweep plus its
  adjoint sweep (:func:`rollout_midpoint_fused`), instead of a few hundred small autograd ops per step.

``model.fused = False`` selects the torch composition (the reference; the benchmark times both, the tests
compare them: equal to round-off in float64).
"""

from __future__ import annotations

import numpy as np
import torch

_KERNELS: dict = {}


def kernels() -> dict:
    """name -> compiled kernel of :mod:`.stencil_kernels` and :mod:`.interp_kernels` (imported, with numba, on
    first use)."""
    if not _KERNELS:
        from coarsepde.discretization import interp_kernels as ik
        from coarsepde.discretization import stencil_kernels as sk

        for mod in (sk, ik):
            _KERNELS.update({name: getattr(mod, name) for name in mod.__all__})
    return _KERNELS


__all__ = [
    "flux_constants",
    "applies",
    "frozen_stencils",
    "time_derivative",
    "rollout_midpoint_fused",
    "interpolate",
]


def flux_constants(equation, dtype) -> tuple[bool, np.ndarray]:
    """(godunov, prm) of :mod:`.stencil_kernels` for one of the P1 equations: J = w G + sum_l lam_l q^(l).

    Burgers: w = 1, lam = (-eta,); KdV: w = 6 (J = 6 G + v_xx), lam = (1,); KS: w = 1, lam = (1, 1).
    ``prm`` = (dx placeholder, w, 1/2, 0, dt placeholder, dt/2 placeholder, 1, lam...) in ``dtype``.
    """
    if equation.name == "burgers":
        w, lam = 1.0, [-float(equation.eta)]
    elif equation.name == "kdv":
        w, lam = 6.0, [1.0]
    elif equation.name == "ks":
        w, lam = 1.0, [1.0, 1.0]
    else:
        raise ValueError(f"no compiled flux for equation {equation.name!r}")
    return equation.flux_form == "godunov", np.asarray([1.0, w, 0.5, 0.0, 0.0, 0.0, 1.0, *lam], dtype=dtype)


def _prm(model, dtype, dt: float = 0.0, dx: float | None = None) -> tuple[bool, np.ndarray]:
    dx = model.dx if dx is None else float(dx)
    key = (dtype, dt, dx)
    cache = model.__dict__.setdefault("_fused_prm", {})
    if key not in cache:
        godunov, prm = flux_constants(model.equation, dtype)
        prm[0], prm[4], prm[5] = dx, dt, 0.5 * dt
        cache[key] = (godunov, prm)
    return cache[key]


def applies(model, v: torch.Tensor) -> bool:
    """Whether the compiled path can compute ``model.time_derivative(v)``."""
    return (
        getattr(model, "fused", False)
        and model.stencil_size == 6
        and v.device.type == "cpu"
        and v.dtype in (torch.float32, torch.float64)
        and v.ndim == 2
        and v.shape[-1] >= 3
        and not v.requires_grad
    )


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()


class _ConstantRhs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, C, v, godunov, prm):
        ctx.save_for_backward(C, v)
        ctx.godunov, ctx.prm = godunov, prm
        out = np.empty(tuple(v.shape), dtype=prm.dtype)
        kernels()["constant_rhs"](_np(v), _np(C), prm, godunov, out)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, gout):
        C, v = ctx.saved_tensors
        gC = np.zeros(tuple(C.shape))
        kernels()["constant_rhs_adjoint"](_np(v), _np(C), ctx.prm, ctx.godunov, _np(gout.to(v.dtype)), gC)
        return torch.from_numpy(gC).to(C.dtype), None, None, None


class _Head(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, v, c0, basis, koff, godunov, prm):
        ctx.save_for_backward(z, v)
        ctx.consts = (c0, basis, koff, godunov, prm)
        out = np.empty(tuple(v.shape), dtype=prm.dtype)
        kernels()["head"](_np(v), _np(z), c0, basis, koff, prm, godunov, out)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, gout):
        z, v = ctx.saved_tensors
        c0, basis, koff, godunov, prm = ctx.consts
        gz = np.empty(tuple(z.shape), dtype=prm.dtype)
        kernels()["head_adjoint"](_np(v), _np(z), c0, basis, koff, prm, godunov, _np(gout.to(v.dtype)), gz)
        return torch.from_numpy(gz), None, None, None, None, None, None


def _stencils(model) -> torch.Tensor:
    """(F, 6) constant stencils of the face quantities, in ``model.names`` order (differentiable in z)."""
    zs = torch.split(model.z, model.splits)
    return torch.stack([model.accuracy[name](zk) for name, zk in zip(model.names, zs)])


def _head_constants(model, dtype):
    """c0 (F, 6), basis (F, 6, Kmax) zero-padded, koff (F + 1,) offsets of each face's free outputs."""
    cache = model.__dict__.setdefault("_fused_head", {})
    if dtype not in cache:
        acc = [model.accuracy[name] for name in model.names]
        kmax = max(a.n_free for a in acc)
        basis = np.zeros((len(acc), 6, kmax), dtype=dtype)
        for f, a in enumerate(acc):
            basis[f, :, : a.n_free] = a.basis.detach().cpu().numpy()
        c0 = np.stack([a.c0.detach().cpu().numpy() for a in acc]).astype(dtype)
        koff = np.concatenate([[0], np.cumsum(model.splits)]).astype(np.int64)
        cache[dtype] = (c0, basis, koff)
    return cache[dtype]


def frozen_stencils(model, dtype) -> np.ndarray:
    """The (F, 6) stencils as a numpy array, recomputed only when the weights changed (inference). The key is
    the weights' bytes (a handful of numbers): optimizers may update them in place without a version bump."""
    key = (dtype, model.z.detach().cpu().numpy().tobytes())
    cached = model.__dict__.get("_fused_frozen")
    if cached is None or cached[0] != key:
        with torch.no_grad():
            cached = (key, _stencils(model).detach().cpu().numpy().astype(dtype))
        model.__dict__["_fused_frozen"] = cached
    return cached[1]


def time_derivative(model, v: torch.Tensor, dx: float | None = None) -> torch.Tensor | None:
    """``model.time_derivative(v)`` by the compiled path, or None where it does not apply; ``dx`` (default
    ``model.dx``): the cell width of the update, as ``equation.time_derivative(model(v), dx)``."""
    if not applies(model, v):
        return None
    dtype = np.float32 if v.dtype == torch.float32 else np.float64
    godunov, prm = _prm(model, dtype, dx=dx)
    if model.kind == "constant":
        if torch.is_grad_enabled() and model.z.requires_grad:
            return _ConstantRhs.apply(_stencils(model).to(v.dtype), v, godunov, prm)
        # inference (an integrator's right-hand side): no autograd node, stencils computed once
        out = np.empty(tuple(v.shape), dtype=dtype)
        kernels()["constant_rhs"](_np(v), frozen_stencils(model, dtype), prm, godunov, out)
        return torch.from_numpy(out)
    z = model.net(v[:, None, :] / model.input_scale)  # (B, K, N)
    c0, basis, koff = _head_constants(model, dtype)
    if z.requires_grad:
        return _Head.apply(z, v, c0, basis, koff, godunov, prm)
    out = np.empty(tuple(v.shape), dtype=dtype)
    kernels()["head"](_np(v), _np(z), c0, basis, koff, prm, godunov, out)
    return torch.from_numpy(out)


class _Rollout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, C, v0, godunov, prm, n_steps, every):
        R, N = v0.shape
        states = np.empty((n_steps + 1, R, N), dtype=prm.dtype)
        mids = np.empty((n_steps, R, N), dtype=prm.dtype)
        Cn = _np(C)
        kernels()["constant_rollout"](_np(v0), Cn, prm, godunov, states, mids)
        ctx.saved = (Cn, states, mids, godunov, prm, every)
        ctx.c_dtype = C.dtype
        return torch.from_numpy(states[every::every].copy())

    @staticmethod
    def backward(ctx, gout):
        Cn, states, mids, godunov, prm, every = ctx.saved
        gstates = np.zeros_like(states)
        gstates[every::every] = _np(gout)
        gC = np.zeros(Cn.shape)
        kernels()["constant_rollout_adjoint"](states, mids, Cn, prm, godunov, gstates, gC)
        return torch.from_numpy(gC).to(ctx.c_dtype), None, None, None, None, None


def rollout_midpoint_fused(model, v0: torch.Tensor, dt: float, n_steps: int, every: int = 1) -> torch.Tensor | None:
    """:func:`coarsepde.discretization.losses.rollout_midpoint` of a constant-coefficient model as one compiled
    sweep (differentiable w.r.t. the model's coefficients, not w.r.t. ``v0``), or None where it does not apply
    (network models, ``fused`` off, a device or dtype the kernels do not take)."""
    if getattr(model, "kind", None) != "constant" or not applies(model, v0) or n_steps < every:
        return None
    dtype = np.float32 if v0.dtype == torch.float32 else np.float64
    godunov, prm = _prm(model, dtype, float(dt))
    return _Rollout.apply(_stencils(model).to(v0.dtype), v0, godunov, prm, int(n_steps), int(every))


class _InterpHead(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, known, c0, basis):
        ctx.save_for_backward(known)
        ctx.basis = basis
        B, M = known.shape
        out = np.empty((B, basis.shape[0], M), dtype=basis.dtype)
        kernels()["interp_head"](_np(known), _np(z), c0, basis, out)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, gout):
        (known,) = ctx.saved_tensors
        B, M = known.shape
        gz = np.empty((B, ctx.basis.shape[0] * ctx.basis.shape[2], M), dtype=ctx.basis.dtype)
        kernels()["interp_head_adjoint"](_np(known), ctx.basis, _np(gout), gz)
        return torch.from_numpy(gz), None, None, None


def interpolate(model, known: torch.Tensor) -> torch.Tensor | None:
    """Fig. 1's ``InterpolationModel`` forward, known (B, M) -> (B, M, factor - 1), with its stencil head as one
    compiled pass (and adjoint) after the network; None where it does not apply (CPU float32/float64, no
    gradient w.r.t. ``known``, 6-point stencils)."""
    if (
        known.device.type != "cpu"
        or known.dtype not in (torch.float32, torch.float64)
        or known.ndim != 2
        or known.requires_grad
        or model.stencil_width != 6
        or known.shape[-1] < 3
    ):
        return None
    dtype = np.float32 if known.dtype == torch.float32 else np.float64
    cache = model.__dict__.setdefault("_fused_interp", {})
    if dtype not in cache:
        cache[dtype] = (model.c0.detach().cpu().numpy().astype(dtype), model.basis.detach().cpu().numpy().astype(dtype))
    c0, basis = cache[dtype]
    z = model.net(known[:, None, :] / model.input_scale)  # (B, S K, M)
    if z.requires_grad:
        return _InterpHead.apply(z, known, c0, basis).transpose(1, 2)
    out = np.empty((known.shape[0], basis.shape[0], known.shape[1]), dtype=dtype)
    kernels()["interp_head"](_np(known), _np(z), c0, basis, out)
    return torch.from_numpy(out).transpose(1, 2)

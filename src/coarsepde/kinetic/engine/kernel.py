"""The data term of many fits at once: one fused pass over the structured arrays per step (forward and gradient).

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Eq. 4.13).
For B models sharing one :class:`~coarsepde.kinetic.engine.structure.Layout` (full arrays F (Q, N, nv, nx), x-arrays
X (n_f, N, nx), v-powers V (n_a, nv), pairs p = (a_p, f_p)) the residual of model b is

    r_b[n, i, j] = sum_q theta[b, q] F[q, n, i, j] + sum_a V[a, i] h_b[a, n, j],   h_b[a] = sum_{p: a_p = a} beta[b, p] X[f_p],

and its loss sum_n omega[b, n] sum_{i,j} |r_b| (l1; l2: r^2), omega the window weights (1 / (N' nv nx) on the N'
windows the model uses, 0 elsewhere). The compiled kernel walks the windows once; per window and model it forms h
(P x nx operations) and its v-expansion, then one loop over the (nv, nx) points computes r, the loss, the sign
(l1) or 2 r (l2) and its reductions against the F rows (d loss / d theta) in registers; the signs are reduced back
onto the v-powers and the x-arrays (d loss / d beta). No (B, N, nv, nx) array is written. The point loop is
generated with the Q terms unrolled (compiled once per (Q, norm) and process): with a loop over q the compiler
cannot keep the Q loads of a point in registers for the backward reductions, which halves the speed (measured).
:class:`PoolLoss` wraps it as an autograd function; :func:`pool_residual` and :func:`reference_loss` are the plain
torch forms (tests, and the engine's ``kernel="torch"``).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["kernel_source", "pool_residual", "reference_loss", "fused_loss", "PoolLoss"]

_KERNELS: dict[tuple[int, bool], object] = {}


def kernel_source(Q: int, l2: bool) -> str:
    """Python source of the kernel for Q full arrays (module docstring)."""
    qs = range(Q)
    lines = [
        "def kernel(F, X, theta, beta, pa, pf, V, omega, loss, dtheta, dbeta):",
        "    N, nv, nx = F.shape[1], F.shape[2], F.shape[3]",
        "    B, P, na = theta.shape[0], pa.shape[0], V.shape[0]",
        "    h = np.empty((na, nx))",
        "    hv = np.empty((nv, nx))",
        "    sg = np.empty((nv, nx))",
        "    sa = np.empty((na, nx))",
        "    for n in range(N):",
        "        for b in range(B):",
        "            w = omega[b, n]",
        "            if w == 0.0:",
        "                continue",
        "            h[:] = 0.0",
        "            for p in range(P):",
        "                c = beta[b, p]",
        "                a = pa[p]",
        "                f = pf[p]",
        "                for j in range(nx):",
        "                    h[a, j] += c * X[f, n, j]",
        "            for i in range(nv):",
        "                for j in range(nx):",
        "                    hv[i, j] = 0.0",
        "                for a in range(na):",
        "                    t = V[a, i]",
        "                    for j in range(nx):",
        "                        hv[i, j] += t * h[a, j]",
        *[f"            t{q} = theta[b, {q}]" for q in qs],
        "            total = 0.0",
        "            for i in range(nv):",
        *[f"                d{q} = 0.0" for q in qs],
        "                acc = 0.0",
        "                for j in range(nx):",
        *[f"                    f{q} = F[{q}, n, i, j]" for q in qs],
        "                    x = " + " + ".join([f"t{q} * f{q}" for q in qs] + ["hv[i, j]"]),
    ]
    if l2:
        lines += ["                    acc += x * x", "                    s = 2.0 * w * x"]
    else:  # torch's sign: 0 at 0, NaN propagates
        lines += [
            "                    acc += abs(x)",
            "                    s = w if x > 0.0 else (-w if x < 0.0 else (0.0 if x == 0.0 else x))",
        ]
    lines += [
        *[f"                    d{q} += s * f{q}" for q in qs],
        "                    sg[i, j] = s",
        "                total += acc",
        *[f"                dtheta[b, {q}] += d{q}" for q in qs],
        "            loss[b] += w * total",
        "            for a in range(na):",
        "                for j in range(nx):",
        "                    sa[a, j] = 0.0",
        "                for i in range(nv):",
        "                    t = V[a, i]",
        "                    for j in range(nx):",
        "                        sa[a, j] += t * sg[i, j]",
        "            for p in range(P):",
        "                a = pa[p]",
        "                f = pf[p]",
        "                acc = 0.0",
        "                for j in range(nx):",
        "                    acc += sa[a, j] * X[f, n, j]",
        "                dbeta[b, p] += acc",
    ]
    return "\n".join(lines) + "\n"


def _kernel(Q: int, l2: bool):
    key = (int(Q), bool(l2))
    if key not in _KERNELS:
        import numba

        namespace = {"np": np}
        exec(compile(kernel_source(*key), f"<dc-rnn data kernel Q={key[0]} l2={key[1]}>", "exec"), namespace)
        _KERNELS[key] = numba.njit(boundscheck=False, error_model="numpy", fastmath={"reassoc", "contract", "nsz"})(
            namespace["kernel"]
        )
    return _KERNELS[key]


def _h(beta: torch.Tensor, X: torch.Tensor, pa: torch.Tensor, pf: torch.Tensor, n_a: int) -> torch.Tensor:
    """h[b, a] = sum_{p: a_p = a} beta[b, p] X[f_p]: (B, n_a, N, nx)."""
    B, N, nx = beta.shape[0], X.shape[1], X.shape[2]
    h = torch.zeros(B, n_a, N, nx, dtype=X.dtype)
    if beta.shape[1] == 0:
        return h
    return h.index_add(1, pa, beta[:, :, None, None] * X[pf][None])


def pool_residual(theta, beta, F, X, V, pa, pf) -> torch.Tensor:
    """r (B, N, nv, nx) of the module docstring (torch, differentiable)."""
    full = torch.einsum("bq,qnij->bnij", theta, F)
    return full + torch.einsum("ai,banj->bnij", V, _h(beta, X, pa, pf, V.shape[0]))


def reference_loss(theta, beta, F, X, V, pa, pf, omega, norm: str = "l1") -> torch.Tensor:
    """Loss (B,) from :func:`pool_residual` (torch autograd): sum_n omega[b, n] sum_{i,j} |r| (or r^2)."""
    r = pool_residual(theta, beta, F, X, V, pa, pf)
    e = r.abs() if norm == "l1" else r * r
    return (e.sum((2, 3)) * omega).sum(1)


class PoolLoss(torch.autograd.Function):
    """loss (B,) = :func:`reference_loss` by the compiled kernel; the gradient comes from the same pass."""

    @staticmethod
    def forward(ctx, theta, beta, F, X, V, pa, pf, omega, l2: bool):
        B = theta.shape[0]
        loss, dtheta, dbeta = np.zeros(B), np.zeros((B, F.shape[0])), np.zeros((B, beta.shape[1]))
        _kernel(F.shape[0], l2)(
            F.numpy(),
            X.numpy(),
            np.ascontiguousarray(theta.detach().numpy()),
            np.ascontiguousarray(beta.detach().numpy()),
            pa.numpy(),
            pf.numpy(),
            V.numpy(),
            np.ascontiguousarray(omega.numpy()),
            loss,
            dtheta,
            dbeta,
        )
        ctx.save_for_backward(torch.from_numpy(dtheta), torch.from_numpy(dbeta))
        return torch.from_numpy(loss)

    @staticmethod
    def backward(ctx, grad):
        dtheta, dbeta = ctx.saved_tensors
        return dtheta * grad[:, None], dbeta * grad[:, None], None, None, None, None, None, None, None


def fused_loss(theta, beta, F, X, V, pa, pf, omega, norm: str = "l1") -> torch.Tensor:
    """Loss (B,) by the compiled kernel (:class:`PoolLoss`)."""
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")
    return PoolLoss.apply(theta, beta, F, X, V, pa, pf, omega, norm == "l2")

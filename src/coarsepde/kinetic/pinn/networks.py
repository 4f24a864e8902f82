"""The networks of the PINN baseline (DC-RNN Example 6.8): N_g(t, x, v), N_rho(t, x) as tanh MLPs with the
data normalisation inside the graph, and the trainable coefficients of Eq. (6.8) ("plain") or (6.10) ("pt")."""

from __future__ import annotations

import math

import torch

from coarsepde.kinetic.pinn.protocol import VARIANTS

__all__ = ["MLP", "PINNModel"]


class MLP(torch.nn.Module):
    """tanh MLP n_in -> hidden (x layers) -> 1, Xavier-normal weights, zero biases."""

    def __init__(self, n_in: int, hidden: int, layers: int):
        super().__init__()
        sizes = [n_in] + [hidden] * layers + [1]
        # initialised in float32 whatever torch's global default dtype is (the model is cast to the protocol's
        # dtype afterwards), so the seeded draws never depend on global state
        self.linears = torch.nn.ModuleList(
            torch.nn.Linear(a, b, dtype=torch.float32) for a, b in zip(sizes[:-1], sizes[1:])
        )
        for lin in self.linears:
            torch.nn.init.xavier_normal_(lin.weight)
            torch.nn.init.zeros_(lin.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        for lin in self.linears[:-1]:
            z = torch.tanh(lin(z))
        return self.linears[-1](z).squeeze(-1)


class PINNModel(torch.nn.Module):
    """N_g(t, x, v), N_rho(t, x) and the coefficients of Eq. (6.8) ("plain") or (6.10) ("pt").

    ``t_span = (t_0, t_end)``, ``length`` = L (period in x), ``g_scale``, ``rho_mean``, ``rho_scale``: the
    data normalisation (module docstring). Call :meth:`g` / :meth:`rho` with physical coordinates of any
    (broadcastable) shape.
    """

    def __init__(
        self,
        variant: str,
        *,
        t_span: tuple[float, float],
        length: float,
        g_scale: float,
        rho_mean: float,
        rho_scale: float,
        hidden: int = 32,
        layers: int = 4,
        x_harmonics: int = 1,
        eps_range: tuple[float, float] = (1e-3, 0.1),
        w_eps_init: float = 1.0,
        lambda_init: float = 0.0,
        dtype: torch.dtype = torch.float64,
    ):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        t0, t1 = (float(t) for t in t_span)
        if not t1 > t0:
            raise ValueError(f"t_span must be increasing, got {t_span}")
        if not (length > 0 and g_scale > 0 and rho_scale > 0):
            raise ValueError("length, g_scale and rho_scale must be positive")
        self.variant = variant
        self.t0, self.t1, self.length = t0, t1, float(length)
        self.g_scale, self.rho_mean, self.rho_scale = float(g_scale), float(rho_mean), float(rho_scale)
        self.eps_min, self.eps_max = (float(e) for e in eps_range)
        self.register_buffer("k", torch.arange(1, x_harmonics + 1, dtype=torch.float64))
        nf = 2 * x_harmonics
        self.net_g = MLP(1 + nf + 1, hidden, layers)
        self.net_rho = MLP(1 + nf, hidden, layers)
        if variant == "plain":
            self.lam = torch.nn.Parameter(torch.full((4,), float(lambda_init), dtype=torch.float64))
        else:
            self.lam = torch.nn.Parameter(torch.full((4, 3), float(lambda_init), dtype=torch.float64))
            self.w_eps = torch.nn.Parameter(torch.tensor(float(w_eps_init), dtype=torch.float64))
        self.to(dtype)

    # -- inputs ---------------------------------------------------------------------------------
    def _features(self, t, x):
        th = 2.0 * (t - self.t0) / (self.t1 - self.t0) - 1.0
        ph = (2.0 * math.pi / self.length) * x.unsqueeze(-1) * self.k.to(x.dtype)
        return torch.cat([th.unsqueeze(-1), torch.sin(ph), torch.cos(ph)], dim=-1)

    def g(self, t, x, v):
        t, x, v = torch.broadcast_tensors(t, x, v)
        z = torch.cat([self._features(t, x), v.unsqueeze(-1)], dim=-1)
        return self.g_scale * self.net_g(z)

    def rho(self, t, x):
        t, x = torch.broadcast_tensors(t, x)
        return self.rho_mean + self.rho_scale * self.net_rho(self._features(t, x))

    # -- coefficients -----------------------------------------------------------------------------
    def eps_pred(self) -> torch.Tensor | None:
        """eps_pred = (tanh w + 1)(eps_max - eps_min)/2 + eps_min (PT variant); None for "plain"."""
        if self.variant == "plain":
            return None
        return (torch.tanh(self.w_eps) + 1.0) * (self.eps_max - self.eps_min) / 2.0 + self.eps_min

    def coefficients(self) -> torch.Tensor:
        """The assembled lam_1..lam_4 of Eq. (6.8) (COEFFICIENT_ORDER); Eq. (6.10) for the PT variant."""
        if self.variant == "plain":
            return self.lam
        e = self.eps_pred()
        return self.lam[:, 0] + self.lam[:, 1] / e + self.lam[:, 2] / e**2

    def penalty(self) -> torch.Tensor:
        """sum_{i,j} |lam_{i,j}| (PT variant; 0 for "plain": Eq. 6.8 has no sparsity term)."""
        if self.variant == "plain":
            return torch.zeros((), dtype=self.lam.dtype)
        return self.lam.abs().sum()

"""What defines one PINN fit of DC-RNN Example 6.8: the two variants, the order of the four coefficients of
Eq. (6.8), and the protocol (networks, optimiser budget, sampling, penalties, seed, dtype)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import torch

__all__ = ["VARIANTS", "COEFFICIENT_ORDER", "DTYPES", "PINNProtocol"]

#: "plain" = Eq. (6.8) ("No PT-expansion"), "pt" = Eq. (6.10) ("Yes PT-expansion").
VARIANTS = ("plain", "pt")
#: Order of lam_1 .. lam_4 of Eq. (6.8), as PHYSICAL_TERMS keys (true-sign coefficients of d_t g).
COEFFICIENT_ORDER = ("v d_x g", "<v d_x g>", "v d_x rho", "g")
#: torch dtype of each ``PINNProtocol.dtype`` name.
DTYPES = {"float64": torch.float64, "float32": torch.float32}


# ---------------------------------------------------------------------------------------------
# Protocol
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PINNProtocol:
    """Everything that defines one PINN fit (except the data and the variant); all keys config-drivable.

    hidden, layers   width and number of hidden tanh layers of both MLPs
    x_harmonics      number K of periodic features sin/cos(2 pi k x / L), k = 1..K
    adam_steps       Adam iterations (>= 0)
    lr, lr_final     Adam learning rate, exponentially decayed to lr_final over adam_steps
    lbfgs_steps      L-BFGS iterations after Adam (0: none)
    n_collocation    residual points (t, x) per Adam step (each with all nv velocities)
    n_data           g data points per Adam step (rho: n_data // 4)
    sparsity         gamma of the l1 penalty on the lam_{i,j} (PT variant only)
    eps_range        (eps_min, eps_max) of eps_pred (PT variant only)
    w_eps_init       initial w of eps_pred (1.0: eps_pred = 0.0882 on [1e-3, 0.1])
    lambda_init      initial value of every lam (both variants)
    seed             seeds the initialisation and all sampling (global RNG untouched)
    history_every    record the loss every this many iterations (and the last)
    dtype            "float64" or "float32"
    """

    hidden: int = 32
    layers: int = 4
    x_harmonics: int = 1
    adam_steps: int = 1500
    lr: float = 3e-3
    lr_final: float = 3e-4
    lbfgs_steps: int = 500
    n_collocation: int = 256
    n_data: int = 2048
    sparsity: float = 1e-6
    eps_range: tuple[float, float] = (1e-3, 0.1)
    w_eps_init: float = 1.0
    lambda_init: float = 0.0
    seed: int = 0
    history_every: int = 100
    dtype: str = "float32"

    def __post_init__(self):
        for name in ("hidden", "layers", "x_harmonics", "n_collocation", "n_data", "history_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("adam_steps", "lbfgs_steps"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.adam_steps + self.lbfgs_steps < 1:
            raise ValueError("need at least one Adam or L-BFGS step")
        if not (self.lr > 0 and self.lr_final > 0):
            raise ValueError(f"lr and lr_final must be positive, got {self.lr}, {self.lr_final}")
        if not self.sparsity >= 0:
            raise ValueError(f"sparsity must be >= 0, got {self.sparsity}")
        lo, hi = (float(e) for e in self.eps_range)
        if not 0 < lo < hi:
            raise ValueError(f"eps_range must satisfy 0 < eps_min < eps_max, got {self.eps_range}")
        object.__setattr__(self, "eps_range", (lo, hi))
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {self.dtype!r}")
        if not math.isfinite(self.w_eps_init) or not math.isfinite(self.lambda_init):
            raise ValueError("w_eps_init and lambda_init must be finite")

    @classmethod
    def from_mapping(cls, cfg: Mapping | None = None, **overrides) -> PINNProtocol:
        """From a config mapping (unknown keys raise ValueError); ``overrides`` win."""
        merged = dict(cfg or {}) | overrides
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ValueError(f"unknown PINN protocol keys {unknown}; known: {sorted(known)}")
        if "eps_range" in merged:
            merged["eps_range"] = tuple(merged["eps_range"])
        return cls(**merged)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["eps_range"] = list(self.eps_range)
        return d

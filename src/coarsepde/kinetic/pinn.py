"""PINN-style baseline of Delgadillo, Hu, Yang (DC-RNN), Example 6.8 (Eqs. 6.8-6.10, Table 13).

The method the paper compares against (after Raissi et al., its refs. [34, 35]): two neural networks fit
the data, N_g(t, x, v) ~ g and N_rho(t, x) ~ rho, and a PDE residual of the g-equation, evaluated on the
networks by automatic differentiation, ties them to four trainable coefficients

    F(rho, g) = d_t g - (lam_1 v d_x g + lam_2 <v d_x g> + lam_3 v d_x rho + lam_4 g),           (6.8)
    Loss      = ||F|| + ||g - N_g|| + ||rho - N_rho||.                                            (6.9)

Two variants (``variant``):

* ``"plain"`` ("No PT-expansion"): the four lam_i are plain trainable scalars (Eq. 6.8);
* ``"pt"`` ("Yes PT-expansion", Eq. 6.10): lam_i = lam_{i,0} + lam_{i,1}/eps_pred + lam_{i,2}/eps_pred^2
  with eps_pred = (tanh w + 1)(eps_max - eps_min)/2 + eps_min trainable (the DC-RNN's Eq. 5.2 as the
  authors coded it, default interval [1e-3, 0.1], w initialised to 1.0 as in their notebook, so
  eps_pred(0) = 0.0882), plus the l1 penalty gamma * sum_{i,j} |lam_{i,j}| (Eq. 4.17 style; w is not
  penalised). Only the assembled lam_i enter F; eps_pred alone is not identifiable (lam_{i,1}/eps +
  lam_{i,2}/eps^2 can produce any value) and is reported for information only.

The true eps is never used in training: the plain variant has no eps at all, the PT variant learns
eps_pred. (``eps`` of :func:`fit_pinn` is used only to report Error% afterwards.)

Sign convention. The learned lam_i are returned as the true-sign coefficients of d_t g = sum_k c_k term_k,
keyed by :data:`~coarsepde.kinetic.dcrnn.PHYSICAL_TERMS` ("v d_x g" = lam_1, "<v d_x g>" = lam_2,
"v d_x rho" = lam_3, "g" = lam_4); exact: -1/eps, +1/eps, -1/eps^2, -1/eps^2 (sigma_S = 1, sigma_A = 0).
Error% is :func:`~coarsepde.kinetic.dcrnn.error_percent` (reference facts Sect. 3.6).

Choices (the paper states none of these; reference facts Sect. 6.5 [CHOICE]):

* Networks: tanh MLPs (``layers`` hidden layers of width ``hidden``, Xavier-normal weights, zero biases, as
  the authors' PINN test code). Inputs: t mapped affinely to [-1, 1] on the data's time span; x through the
  periodic features sin(2 pi k x / L), cos(2 pi k x / L), k = 1 .. ``x_harmonics`` (L = nx dx, x_j = j dx);
  v as is (already in [-1, 1]). Outputs are scaled by the data: N_g = s_g * MLP, N_rho = m_rho + s_rho * MLP
  (s_g = RMS of g, m_rho / s_rho = mean / std of rho). Derivatives d_t, d_x are taken by autograd with respect
  to the PHYSICAL t and x (the normalisation is inside the graph), so no chain-rule factors are hand-coded.
* <.> is the data's quadrature 1/2 sum_i w_i (.)_i over its nv velocity nodes: N_g is evaluated at all nodes
  for every collocation point (t, x) (same formula as :meth:`Operators.average`).
* Norms: mean squares, each made dimensionless by a data-derived scale, so the three terms are relative
  errors of comparable size:

      L = mean(F^2) / s_F^2 + mean((N_g - g)^2) / s_g^2 + mean((N_rho - rho)^2) / s_rho^2  [+ gamma sum|lam_ij|],

  s_F = RMS of the forward-difference time derivative (g^{n+1} - g^n)/dt of the data (it is O(1/eps^2) at
  small eps; it uses nothing the method does not see). Data terms: random subsets (``n_data`` g-points of the
  (T, nv, nx) grid and ``n_data // 4`` rho-points of (T, nx)) of the stored grid values per Adam step;
  residual: ``n_collocation`` uniform random (t, x) in [t_0, t_end] x [0, L), times all nv velocities.
* Optimiser, the same for both variants: Adam (all parameters one learning rate ``lr``, decayed
  exponentially to ``lr_final`` over the Adam steps; ``lr_final = lr`` is constant), then optionally
  ``lbfgs_steps`` iterations of torch L-BFGS (strong Wolfe) on one FIXED sample four times the Adam batch
  sizes (L-BFGS needs a deterministic loss). Initialisation: all lam (lam_i, resp. lam_{i,j}) = ``lambda_init``
  (default 0, i.e. both variants start from the zero equation), w = ``w_eps_init``.
* float32 by default (2.8x faster per step than float64 here; :func:`fit_pinn`), float64 on request.

Measured on the reconstructed paper data at eps = 1/64 (results/kinetic/transport_eps64.zarr: 56 snapshots,
16 x 1000, dt = 4e-6), default protocol (float32, 32 x 4 tanh, x_harmonics 1, Adam 1500 steps lr 3e-3 -> 3e-4,
then L-BFGS 500, 2048 data + 256 x 16 collocation points per step, gamma 1e-6, seed 0, one thread on a shared
machine):

    variant  Error%   g          v d_x g   <v d_x g>   v d_x rho   eps_pred  rel. err N_g / d_t N_g   wall
    plain    99.90    +2.65      -0.84     -1.01       -3.61       -         0.36 / 0.83              122 s (*)
    pt        1.46    -4016.7    -61.25    +60.33      -4060.3     0.0288    0.0073 / 0.018             77 s
    exact             -4096      -64       +64         -4096

The plain lambdas stay O(1) (Adam moves each by ~lr per step, and the L-BFGS phase starts from the basin where
d_t N_g ~ 0: the residual with small lambdas forces N_g to be nearly constant in time, its data fit stays poor,
the paper's "mediocre fit"). The PT variant's accuracy is limited by the network derivative d_t N_g (its
least-squares coefficients for the final networks give the same Error%, 1.45%), so a larger budget helps: with
Adam 1000 + L-BFGS 300 it was still at 30% (d_t N_g 10% off; plain: 99.95%). Cost (one thread, float32):
~25 ms per Adam step (25 s per 1000), ~75 ms per L-BFGS iteration, ~2.5 s final evaluation. (*) under load.

Diagnostics in the result: ``lstsq_coefficients`` = the coefficients minimising mean(F^2) for the FINAL
networks on a fixed evaluation sample (F is linear in the four coefficients); if the learned coefficients
are far from these, the optimiser (not the network fit) limits the answer; if these are far from exact,
the networks' derivatives do. ``fit_errors`` = relative RMS errors of N_g, N_rho on the whole data grid and
of d_t N_g against the data's centred time differences (interior snapshots).

Units: t and x in the data's units (x in units of the domain length), g, rho dimensionless; coefficients of
d_x terms have units [t]^-1 [x], the others [t]^-1.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch

from coarsepde.kinetic.scoring import PHYSICAL_TERMS, error_percent
from coarsepde.kinetic.fitting import FitData

__all__ = [
    "VARIANTS",
    "COEFFICIENT_ORDER",
    "PINNProtocol",
    "PINNResult",
    "MLP",
    "PINNModel",
    "residual_terms",
    "residual",
    "quadrature_average",
    "fit_pinn",
]

#: "plain" = Eq. (6.8) ("No PT-expansion"), "pt" = Eq. (6.10) ("Yes PT-expansion").
VARIANTS = ("plain", "pt")
#: Order of lam_1 .. lam_4 of Eq. (6.8), as PHYSICAL_TERMS keys (true-sign coefficients of d_t g).
COEFFICIENT_ORDER = ("v d_x g", "<v d_x g>", "v d_x rho", "g")
_DTYPES = {"float64": torch.float64, "float32": torch.float32}


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
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}")
        if not math.isfinite(self.w_eps_init) or not math.isfinite(self.lambda_init):
            raise ValueError("w_eps_init and lambda_init must be finite")

    @classmethod
    def from_mapping(cls, cfg: Mapping | None = None, **overrides) -> "PINNProtocol":
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


# ---------------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------------
class MLP(torch.nn.Module):
    """tanh MLP n_in -> hidden (x layers) -> 1, Xavier-normal weights, zero biases."""

    def __init__(self, n_in: int, hidden: int, layers: int):
        super().__init__()
        sizes = [n_in] + [hidden] * layers + [1]
        self.linears = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
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

    def __init__(self, variant: str, *, t_span: tuple[float, float], length: float, g_scale: float,
                 rho_mean: float, rho_scale: float, hidden: int = 32, layers: int = 4, x_harmonics: int = 1,
                 eps_range: tuple[float, float] = (1e-3, 0.1), w_eps_init: float = 1.0,
                 lambda_init: float = 0.0, dtype: torch.dtype = torch.float64):
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


# ---------------------------------------------------------------------------------------------
# Residual (autodiff)
# ---------------------------------------------------------------------------------------------
def quadrature_average(u: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """<u> = 1/2 sum_i w_i u_i over the LAST axis (velocity nodes): (..., nv) -> (...)."""
    return 0.5 * (u * w).sum(-1)


def residual_terms(g_fn: Callable, rho_fn: Callable, t: torch.Tensor, x: torch.Tensor, v: torch.Tensor,
                   w: torch.Tensor, create_graph: bool = True) -> dict[str, torch.Tensor]:
    """d_t g and the four terms of Eq. (6.8) at collocation points (t_p, x_p) x all velocity nodes.

    ``g_fn(t, x, v)`` and ``rho_fn(t, x)`` are differentiable torch functions of broadcastable physical
    coordinates (the networks, or any smooth function); t, x: (n,), v, w: (nv,) nodes and weights.
    Returns a dict of (n, nv) tensors: "d_t g", "g", "v d_x g", "<v d_x g>" (the quadrature average,
    copied to every velocity), "v d_x rho". Derivatives by autograd (``create_graph`` keeps them
    differentiable with respect to parameters).
    """
    t, x, v, w = (torch.as_tensor(a) for a in (t, x, v, w))
    if t.dim() != 1 or x.shape != t.shape:
        raise ValueError(f"t and x must be 1-D of equal length, got {tuple(t.shape)}, {tuple(x.shape)}")
    if v.dim() != 1 or w.shape != v.shape:
        raise ValueError(f"v and w must be 1-D of equal length, got {tuple(v.shape)}, {tuple(w.shape)}")
    n, nv = t.numel(), v.numel()
    tg = t.detach().unsqueeze(1).expand(n, nv).clone().requires_grad_(True)
    xg = x.detach().unsqueeze(1).expand(n, nv).clone().requires_grad_(True)
    vg = v.detach().unsqueeze(0).expand(n, nv)
    g = g_fn(tg, xg, vg)
    dtg, dxg = torch.autograd.grad(g.sum(), (tg, xg), create_graph=create_graph)
    xr = x.detach().clone().requires_grad_(True)
    rho = rho_fn(t.detach(), xr)
    (dxr,) = torch.autograd.grad(rho.sum(), (xr,), create_graph=create_graph)
    adv_g = vg * dxg
    avg = quadrature_average(adv_g, w.to(adv_g.dtype)).unsqueeze(1).expand(n, nv)
    return {"d_t g": dtg, "g": g, "v d_x g": adv_g, "<v d_x g>": avg, "v d_x rho": vg * dxr.unsqueeze(1)}


def residual(terms: Mapping[str, torch.Tensor], coefficients) -> torch.Tensor:
    """F = d_t g - sum_k c_k term_k, Eq. (6.8); ``coefficients`` a (4,) tensor in COEFFICIENT_ORDER or a
    mapping keyed by the PHYSICAL_TERMS names."""
    F = terms["d_t g"]
    if isinstance(coefficients, Mapping):
        coefficients = [coefficients[k] for k in COEFFICIENT_ORDER]
    elif isinstance(coefficients, torch.Tensor):
        if coefficients.shape != (4,):
            raise ValueError(f"need 4 coefficients, got shape {tuple(coefficients.shape)}")
        coefficients = coefficients.to(F.dtype)
    for c, k in zip(coefficients, COEFFICIENT_ORDER):
        F = F - c * terms[k]
    return F


def _lstsq_coefficients(terms: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """The coefficients minimising mean(F^2) for the given terms (column-scaled least squares)."""
    X = np.stack([terms[k].detach().double().numpy().ravel() for k in COEFFICIENT_ORDER], axis=1)
    y = terms["d_t g"].detach().double().numpy().ravel()
    s = np.linalg.norm(X, axis=0)
    s[s == 0] = 1.0
    c = np.linalg.lstsq(X / s, y, rcond=None)[0] / s
    return {k: float(ci) for k, ci in zip(COEFFICIENT_ORDER, c)}


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------
@dataclass
class PINNResult:
    """Outcome of :func:`fit_pinn`. Coefficients are true-sign, keyed by the PHYSICAL_TERMS names.

    history: list of dicts (phase "adam"/"lbfgs", iteration = cumulative optimiser iteration, total, data,
    residual, penalty; data = g + rho terms, all dimensionless as in the module docstring).
    final_losses: the same four numbers on the fixed evaluation sample after training.
    lambdas: the raw lam (plain: {name: lam_i}; pt: {name: [lam_{i,0}, lam_{i,1}, lam_{i,2}]}).
    """

    variant: str
    coefficients: dict[str, float]
    eps_pred: float | None
    lambdas: dict[str, float | list[float]]
    history: list[dict]
    final_losses: dict[str, float]
    lstsq_coefficients: dict[str, float]
    fit_errors: dict[str, float]
    wall_seconds: float
    adam_seconds: float
    protocol: PINNProtocol
    error_percent: float | None = None
    lstsq_error_percent: float | None = None
    eps: float | None = None
    model: PINNModel | None = field(default=None, repr=False)

    def evaluate(self, eps: float) -> "PINNResult":
        """Fill Error% (of the learned and of the least-squares coefficients) for the true eps."""
        self.eps = float(eps)
        self.error_percent = float(error_percent(self.coefficients, eps))
        self.lstsq_error_percent = float(error_percent(self.lstsq_coefficients, eps))
        return self

    def summary(self) -> dict:
        """JSON-ready dict (no model, no history)."""
        out = {k: getattr(self, k) for k in ("variant", "coefficients", "eps_pred", "lambdas", "final_losses",
                                             "lstsq_coefficients", "fit_errors", "wall_seconds", "adam_seconds",
                                             "error_percent", "lstsq_error_percent", "eps")}
        out["protocol"] = self.protocol.to_dict()
        return out


# ---------------------------------------------------------------------------------------------
# Fit
# ---------------------------------------------------------------------------------------------
class _Sampler:
    """Random data / collocation batches on the data grid, drawn from a private generator."""

    def __init__(self, data: FitData, gen: torch.Generator, dtype, length: float):
        self.data, self.gen, self.dtype, self.length = data, gen, dtype, length
        T, nv, nx = data.g.shape
        self.T, self.nv, self.nx = T, nv, nx
        self.t_grid = torch.arange(T, dtype=torch.float64) * data.dt
        self.x_grid = torch.arange(nx, dtype=torch.float64) * data.ops.dx
        self.v = data.ops.v.to(dtype)
        self.w = data.ops.w.to(dtype)

    def g_batch(self, n):
        i = torch.randint(0, self.T * self.nv * self.nx, (n,), generator=self.gen)
        it, rest = i // (self.nv * self.nx), i % (self.nv * self.nx)
        iv, ix = rest // self.nx, rest % self.nx
        return (self.t_grid[it].to(self.dtype), self.x_grid[ix].to(self.dtype), self.v[iv],
                self.data.g[it, iv, ix].to(self.dtype))

    def rho_batch(self, n):
        i = torch.randint(0, self.T * self.nx, (n,), generator=self.gen)
        it, ix = i // self.nx, i % self.nx
        return self.t_grid[it].to(self.dtype), self.x_grid[ix].to(self.dtype), self.data.rho[it, ix].to(self.dtype)

    def collocation(self, n):
        u = torch.rand((2, n), generator=self.gen, dtype=torch.float64)
        t = self.t_grid[0] + u[0] * (self.t_grid[-1] - self.t_grid[0])
        return t.to(self.dtype), (u[1] * self.length).to(self.dtype)


def _losses(model: PINNModel, sampler: _Sampler, batch, scales, sparsity: float):
    (tg, xg, vg, gd), (tr, xr, rd), (tc, xc) = batch
    s_g, s_rho, s_F = scales
    l_g = ((model.g(tg, xg, vg) - gd) ** 2).mean() / s_g**2
    l_rho = ((model.rho(tr, xr) - rd) ** 2).mean() / s_rho**2
    terms = residual_terms(model.g, model.rho, tc, xc, sampler.v, sampler.w)
    F = residual(terms, model.coefficients())
    l_F = (F**2).mean() / s_F**2
    pen = sparsity * model.penalty()
    total = l_F + l_g + l_rho + pen
    with torch.no_grad():
        parts = {"total": float(total), "data": float(l_g + l_rho), "residual": float(l_F), "penalty": float(pen)}
    return total, parts


def _draw(sampler: _Sampler, n_data: int, n_coll: int):
    return sampler.g_batch(n_data), sampler.rho_batch(max(1, n_data // 4)), sampler.collocation(n_coll)


def fit_pinn(data: FitData, variant: str, protocol: PINNProtocol | Mapping | None = None, *,
             eps: float | None = None, log: Callable[[str], None] | None = None, **overrides) -> PINNResult:
    """Fit the PINN baseline of Example 6.8 to ``data``; ``variant`` "plain" (Eq. 6.8) or "pt" (Eq. 6.10).

    ``protocol``: a :class:`PINNProtocol`, a config mapping of its keys, or None (defaults); keyword
    ``overrides`` (protocol keys, e.g. ``adam_steps=500``) win. ``eps`` (optional) is the TRUE eps, used only
    to fill Error% in the result after training. ``log``: called with one progress line per history record.
    Deterministic for a given seed, data, protocol and thread count (the global torch RNG and thread count are
    neither used nor changed).

    float32 vs float64 (measured, 1 thread, hidden 32 x 4 layers, 2048 data + 256 x 16 collocation points
    per step): 26 ms vs 74 ms per Adam step, so float32 is the default (the loss is made dimensionless, the
    coefficients reach O(1/eps^2) ~ 4e3 with 7 significant digits to spare); float64 is available for tight
    numerical checks (the tests use it).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if not isinstance(data, FitData):
        raise ValueError(f"data must be a FitData, got {type(data).__name__}")
    if isinstance(protocol, PINNProtocol):
        proto = PINNProtocol.from_mapping(protocol.to_dict(), **overrides) if overrides else protocol
    else:
        proto = PINNProtocol.from_mapping(protocol, **overrides)
    if data.T < 3:
        raise ValueError(f"need at least 3 snapshots, got {data.T}")
    if eps is not None and not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    if not (torch.isfinite(data.g).all() and torch.isfinite(data.rho).all()):
        raise ValueError("data contain non-finite values")

    dtype = _DTYPES[proto.dtype]
    length = data.nx * data.ops.dx
    g_rms = float(data.g.pow(2).mean().sqrt())
    rho_mean, rho_std = float(data.rho.mean()), float(data.rho.std())
    dgdt_rms = float(((data.g[1:] - data.g[:-1]) / data.dt).pow(2).mean().sqrt())
    if not (g_rms > 0 and rho_std > 0 and dgdt_rms > 0):
        raise ValueError("g, rho and d_t g of the data must not be identically constant")
    scales = (g_rms, rho_std, dgdt_rms)

    t_start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(proto.seed)
        model = PINNModel(variant, t_span=(0.0, (data.T - 1) * data.dt), length=length, g_scale=g_rms,
                          rho_mean=rho_mean, rho_scale=rho_std, hidden=proto.hidden, layers=proto.layers,
                          x_harmonics=proto.x_harmonics, eps_range=proto.eps_range,
                          w_eps_init=proto.w_eps_init, lambda_init=proto.lambda_init, dtype=dtype)
    gen = torch.Generator().manual_seed(proto.seed + 1)
    sampler = _Sampler(data, gen, dtype, length)
    history: list[dict] = []

    def record(phase, it, parts):
        history.append({"phase": phase, "iteration": it, **parts})
        if log is not None:
            c = model.coefficients().detach()
            log(f"[pinn {variant}] {phase} {it}: total {parts['total']:.3e} data {parts['data']:.3e} "
                f"residual {parts['residual']:.3e} coeffs " + " ".join(f"{float(ci):.4g}" for ci in c))

    # Adam ---------------------------------------------------------------------------------------
    n_adam = int(proto.adam_steps)
    if n_adam:
        opt = torch.optim.Adam(model.parameters(), lr=proto.lr)
        gamma = (proto.lr_final / proto.lr) ** (1.0 / max(n_adam, 1))
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
        for it in range(n_adam):
            batch = _draw(sampler, proto.n_data, proto.n_collocation)
            opt.zero_grad(set_to_none=True)
            total, parts = _losses(model, sampler, batch, scales, proto.sparsity)
            if not math.isfinite(parts["total"]):
                raise FloatingPointError(f"non-finite PINN loss at Adam step {it}")
            total.backward()
            opt.step()
            sched.step()
            if it % proto.history_every == 0 or it == n_adam - 1:
                record("adam", it, parts)
    adam_seconds = time.perf_counter() - t_start

    # L-BFGS on a fixed sample -------------------------------------------------------------------
    if proto.lbfgs_steps:
        batch = _draw(sampler, 4 * proto.n_data, 4 * proto.n_collocation)
        lbfgs = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=int(proto.lbfgs_steps),
                                  max_eval=int(1.25 * proto.lbfgs_steps) + 1, history_size=50,
                                  tolerance_grad=1e-12, tolerance_change=1e-14, line_search_fn="strong_wolfe")
        count = [0]

        def closure():
            lbfgs.zero_grad(set_to_none=True)
            total, parts = _losses(model, sampler, batch, scales, proto.sparsity)
            total.backward()
            if count[0] % proto.history_every == 0:
                record("lbfgs", n_adam + count[0], parts)
            count[0] += 1
            return total

        lbfgs.step(closure)
        record("lbfgs", n_adam + count[0], _losses(model, sampler, batch, scales, proto.sparsity)[1])

    # Evaluation ---------------------------------------------------------------------------------
    eval_sampler = _Sampler(data, torch.Generator().manual_seed(proto.seed + 2), dtype, length)
    batch = _draw(eval_sampler, 8 * proto.n_data, 8 * proto.n_collocation)
    total, final = _losses(model, eval_sampler, batch, scales, proto.sparsity)
    terms = residual_terms(model.g, model.rho, *batch[2], eval_sampler.v, eval_sampler.w, create_graph=False)
    lstsq = _lstsq_coefficients(terms)
    fit_errors = _fit_errors(model, data, dtype)
    wall = time.perf_counter() - t_start

    lam = model.lam.detach().double().numpy()
    coeffs = {k: float(c) for k, c in zip(COEFFICIENT_ORDER, model.coefficients().detach().double())}
    coeffs = {k: coeffs[k] for k in PHYSICAL_TERMS}
    lambdas = ({k: float(lam[i]) for i, k in enumerate(COEFFICIENT_ORDER)} if variant == "plain"
               else {k: [float(a) for a in lam[i]] for i, k in enumerate(COEFFICIENT_ORDER)})
    e_pred = model.eps_pred()
    res = PINNResult(variant=variant, coefficients=coeffs, eps_pred=None if e_pred is None else float(e_pred.detach()),
                     lambdas=lambdas, history=history, final_losses=final, lstsq_coefficients=lstsq,
                     fit_errors=fit_errors, wall_seconds=wall, adam_seconds=adam_seconds, protocol=proto,
                     model=model)
    if eps is not None:
        res.evaluate(eps)
    return res


@torch.no_grad()
def _fit_errors_values(model: PINNModel, data: FitData, dtype):
    T, nv, nx = data.g.shape
    t = (torch.arange(T, dtype=torch.float64) * data.dt).to(dtype)
    x = (torch.arange(nx, dtype=torch.float64) * data.ops.dx).to(dtype)
    v = data.ops.v.to(dtype)
    g = torch.stack([model.g(t[n], x[None, :], v[:, None]) for n in range(T)]).double()
    rho = model.rho(t[:, None], x[None, :]).double()
    return g, rho


def _fit_errors(model: PINNModel, data: FitData, dtype) -> dict[str, float]:
    """Relative RMS errors on the whole grid: N_g vs g, N_rho vs rho (std-normalised), and d_t N_g at the
    interior snapshots vs the data's centred differences (the latter carry their own O(dt^2) error)."""
    g, rho = _fit_errors_values(model, data, dtype)
    out = {"g": float((g - data.g).pow(2).mean().sqrt() / data.g.pow(2).mean().sqrt()),
           "rho": float((rho - data.rho).pow(2).mean().sqrt() / data.rho.std())}
    T, nv, nx = data.g.shape
    x = (torch.arange(nx, dtype=torch.float64) * data.ops.dx).to(dtype)
    v = data.ops.v.to(dtype)
    dts = []
    for n in range(1, T - 1):  # one snapshot at a time: bounded memory
        tt = torch.full((nv, nx), n * data.dt, dtype=dtype, requires_grad=True)
        with torch.enable_grad():
            gg = model.g(tt, x[None, :], v[:, None])
            (d,) = torch.autograd.grad(gg.sum(), (tt,))
        dts.append(d.double())
    dt_g = torch.stack(dts)
    ref = (data.g[2:] - data.g[:-2]) / (2 * data.dt)
    out["d_t g"] = float((dt_g.double() - ref).pow(2).mean().sqrt() / ref.pow(2).mean().sqrt())
    return out

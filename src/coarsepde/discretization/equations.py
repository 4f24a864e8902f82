"""The three equations of Bar-Sinai et al. 2019 in conservative finite-volume form, torch float64:
forced Burgers (Eq. 4), and the unforced Korteweg-de Vries and Kuramoto-Sivashinsky equations of
"Other Examples" (Fig. 4). The Burgers part:

    dv/dt + d/dx J = f(x, t),      J = v^2/2 - eta dv/dx,                               (Eq. 4)

on a periodic domain [0, L). Cell i of an N-cell grid (dx = L/N) is centred at x_i = i dx; face
arrays have the same shape as cell arrays and index i is the LEFT face of cell i (x_i - dx/2), so

    dv_i/dt = -(J_{i+1} - J_i)/dx + f_i.

An equation never computes its own spatial derivatives: it receives the face quantities by name
(the seam of the authors' equations.py), so polynomial stencils, WENO and learned models all plug
into the same flux:

- ``("v", "v_x")``                 J = v^2/2 - eta v_x                       (conservative models)
- ``("v_minus", "v_plus", "v_x")`` J = G(v_-, v_+) - eta v_x, G the Godunov flux of v^2/2

The random forcing (the authors' RandomForcing, with their draw order so a seed gives their
realization):  f(x, t) = sum_{m<M} a_m sin(omega_m t + 2 pi k_m x / L + phi_m), drawn from
``numpy.random.RandomState(seed)`` as a ~ U(-A/2, A/2), omega ~ U(-0.4, 0.4), k uniform on
{-k_max..-k_min, k_min..k_max}, phi ~ U(0, 2 pi). It is evaluated at the fine-grid points and
cell-averaged (mean of the fine values) onto coarse grids, as the original did.

KdV and KS (reference notes Sect. 1.2-1.3; the authors' equations.py), periodic, no forcing:

    KdV on [0, 32):  v_t + d/dx (3 v^2 + v_xx) = 0          faces ("v", "v_xx")
    KS  on [0, 64):  v_t + d/dx (v^2/2 + v_x + v_xxx) = 0    faces ("v", "v_x", "v_xxx")

with Godunov variants J = 6 G(v_-, v_+) + v_xx (KdV) and G(v_-, v_+) + v_x + v_xxx (KS). Their
initial conditions are the same random sum, at t = 0, of 10 sinusoids with |k| <= 3
(:func:`random_initial_conditions`). The fine "exact" solver is pseudo-spectral (``spectral.py``),
for which each equation exposes its Fourier-diagonal linear symbol and the coefficient of its
quadratic term, v_t = L v - c d/dx (v^2).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import torch

from coarsepde.numerics import stencils
from coarsepde.numerics.weno import godunov_flux, weno5_faces

__all__ = [
    "Burgers",
    "KdV",
    "KuramotoSivashinsky",
    "EQUATIONS",
    "make_equation",
    "equation_to_dict",
    "equation_from_dict",
    "random_initial_conditions",
    "Forcing",
    "draw_forcing",
    "coarse_grain",
    "FLUX_NAMES",
    "face_derivatives_polynomial",
    "face_derivatives_weno",
    "WENO_VX_OFFSETS",
]

DTYPE = torch.float64

# face quantities each flux form needs: name -> derivative order
FLUX_NAMES = {
    "centered": {"v": 0, "v_x": 1},
    "godunov": {"v_minus": 0, "v_plus": 0, "v_x": 1},
}


@dataclass(frozen=True)
class Burgers:
    """Eq. (4) with viscosity ``eta`` on [0, ``length``); ``flux`` is "centered" or "godunov"."""

    eta: float = 0.01
    length: float = 2 * np.pi
    flux_form: str = "centered"

    name: ClassVar[str] = "burgers"
    #: the authors' fixed input normalisation of the network (their equations.py ``standard_deviation``)
    input_scale: ClassVar[float] = 0.7917

    def __post_init__(self):
        if self.flux_form not in FLUX_NAMES:
            raise ValueError(f"flux_form must be one of {sorted(FLUX_NAMES)}, got {self.flux_form!r}")
        if not self.eta >= 0:
            raise ValueError(f"eta must be >= 0, got {self.eta}")

    @property
    def derivative_names(self) -> dict[str, int]:
        return FLUX_NAMES[self.flux_form]

    def flux(self, faces: Mapping[str, torch.Tensor]) -> torch.Tensor:
        missing = set(self.derivative_names) - set(faces)
        if missing:
            raise KeyError(f"{self.flux_form} flux needs face quantities {sorted(missing)}")
        if self.flux_form == "godunov":
            convective = godunov_flux(faces["v_minus"], faces["v_plus"])
        else:
            convective = 0.5 * faces["v"] ** 2
        return convective - self.eta * faces["v_x"]

    def time_derivative(self, faces: Mapping[str, torch.Tensor], dx: float) -> torch.Tensor:
        """-(J_{i+1} - J_i)/dx: the unforced right-hand side; sums to zero exactly (conservation)."""
        J = self.flux(faces)
        return -(torch.roll(J, -1, dims=-1) - J) / dx


class _HigherOrder:
    """Shared part of the unforced KdV and KS equations: the conservative update, the flux check,
    and the pseudo-spectral pieces of the fine solver (v_t = L v - c d/dx (v^2), Fourier-diagonal L)."""

    flux_forms: ClassVar[dict[str, dict[str, int]]] = {}

    def __post_init__(self):
        if self.flux_form not in self.flux_forms:
            raise ValueError(f"{self.name} flux_form must be one of {sorted(self.flux_forms)}, got {self.flux_form!r}")
        if not self.length > 0:
            raise ValueError(f"length must be > 0, got {self.length}")

    @property
    def derivative_names(self) -> dict[str, int]:
        return self.flux_forms[self.flux_form]

    def _faces(self, faces: Mapping[str, torch.Tensor]):
        missing = set(self.derivative_names) - set(faces)
        if missing:
            raise KeyError(f"{self.name} {self.flux_form} flux needs face quantities {sorted(missing)}")
        if self.flux_form == "godunov":
            return godunov_flux(faces["v_minus"], faces["v_plus"])
        return 0.5 * faces["v"] ** 2

    def time_derivative(self, faces: Mapping[str, torch.Tensor], dx: float) -> torch.Tensor:
        """-(J_{i+1} - J_i)/dx; sums to zero exactly over the cells (conservation)."""
        J = self.flux(faces)
        return -(torch.roll(J, -1, dims=-1) - J) / dx


@dataclass(frozen=True)
class KdV(_HigherOrder):
    """Korteweg-de Vries, v_t = -6 v v_x - v_xxx, i.e. v_t + d/dx (3 v^2 + v_xx) = 0, on [0, 32)
    (the authors' final domain; reference notes Sect. 1.2). Solitons (c/2) sech^2(sqrt(c)/2 (x - c t))."""

    length: float = 32.0
    flux_form: str = "centered"

    name: ClassVar[str] = "kdv"
    input_scale: ClassVar[float] = 0.594
    flux_forms: ClassVar[dict[str, dict[str, int]]] = {
        "centered": {"v": 0, "v_xx": 2},
        "godunov": {"v_minus": 0, "v_plus": 0, "v_xx": 2},
    }
    #: v_t = L v - c (v^2)_x with c = 3 (6 v v_x = 3 (v^2)_x)
    nonlinear_coefficient: ClassVar[float] = 3.0

    def flux(self, faces: Mapping[str, torch.Tensor]) -> torch.Tensor:
        # 6 * (v^2/2) = 3 v^2 (the Godunov variant uses 6 G, the authors' GodunovKdV)
        return 6.0 * self._faces(faces) + faces["v_xx"]

    @staticmethod
    def linear_symbol(k: np.ndarray) -> np.ndarray:
        """Fourier symbol of -d^3/dx^3: -(i k)^3 = i k^3 (purely dispersive)."""
        return 1j * np.asarray(k, dtype=float) ** 3


@dataclass(frozen=True)
class KuramotoSivashinsky(_HigherOrder):
    """Kuramoto-Sivashinsky, v_t = -v v_x - v_xx - v_xxxx, i.e. v_t + d/dx (v^2/2 + v_x + v_xxx) = 0,
    on [0, 64) (reference notes Sect. 1.3): chaotic, modes 0 < |k| < 1 grow."""

    length: float = 64.0
    flux_form: str = "centered"

    name: ClassVar[str] = "ks"
    input_scale: ClassVar[float] = 0.299
    flux_forms: ClassVar[dict[str, dict[str, int]]] = {
        "centered": {"v": 0, "v_x": 1, "v_xxx": 3},
        "godunov": {"v_minus": 0, "v_plus": 0, "v_x": 1, "v_xxx": 3},
    }
    nonlinear_coefficient: ClassVar[float] = 0.5

    def flux(self, faces: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self._faces(faces) + faces["v_x"] + faces["v_xxx"]

    @staticmethod
    def linear_symbol(k: np.ndarray) -> np.ndarray:
        """Fourier symbol of -d^2/dx^2 - d^4/dx^4: k^2 - k^4 (real; unstable for 0 < |k| < 1)."""
        k = np.asarray(k, dtype=float)
        return (k**2 - k**4).astype(complex)


#: equation name -> class
EQUATIONS = {"burgers": Burgers, "kdv": KdV, "ks": KuramotoSivashinsky}


def make_equation(name: str, *, flux_form: str = "centered", **kwargs):
    """An equation by name ("burgers", "kdv", "ks"); kwargs are its fields (eta, length)."""
    if name not in EQUATIONS:
        raise ValueError(f"unknown equation {name!r}; choose from {sorted(EQUATIONS)}")
    return EQUATIONS[name](flux_form=flux_form, **kwargs)


def equation_to_dict(equation) -> dict:
    """JSON-able description (``name`` plus the dataclass fields), inverse of :func:`equation_from_dict`."""
    return {"name": equation.name} | {f.name: getattr(equation, f.name) for f in fields(equation)}


def equation_from_dict(d: Mapping) -> Burgers | KdV | KuramotoSivashinsky:
    """Rebuild an equation from :func:`equation_to_dict`; a dict without ``name`` is Burgers (stores
    written before KdV/KS existed)."""
    d = dict(d)
    return make_equation(d.pop("name", "burgers"), **d)


def random_initial_conditions(
    seeds: Sequence[int],
    length: float,
    n: int,
    n_modes: int = 10,
    k_max: int = 3,
    amplitude: float = 1.0,
    k_min: int = 1,
) -> np.ndarray:
    """KdV/KS initial conditions at the n points x_j = j L/n, (S, n):

        v(x, 0) = sum_{i<n_modes} a_i sin(2 pi k_i x / L + phi_i),   a ~ U(-A/2, A/2),
        k uniform on {-k_max..-k_min, k_min..k_max}, phi ~ U(0, 2 pi),

    the authors' RandomForcing at t = 0 with 10 modes and 1 <= |k| <= 3 (their draw order, so a seed
    gives their realization; the frequencies are drawn but unused). Reference notes Sect. 1.2.
    ``k_min`` > 1 keeps the wavelengths on a larger domain (10x domain: k in 10..30)."""
    params = draw_forcing(seeds, n_modes, k_min, k_max, amplitude)
    return Forcing(params, length, n)(0.0).numpy()


def face_derivatives_polynomial(
    v: torch.Tensor, dx: float, names: Mapping[str, int], accuracy_order: int
) -> dict[str, torch.Tensor]:
    """Face values/derivatives from the centred polynomial baseline stencils ("first-order" and
    "third-order" finite volumes: the smallest even stencil of accuracy ``accuracy_order``).
    Godunov names get the same centred value on both sides."""
    out = {}
    for name, order in names.items():
        first, c = _baseline_stencil(order, accuracy_order, float(dx))
        # sum_j c_j v_{i + first + j}: a handful of rolls, no (B, N, width) gather (this runs in
        # every right-hand-side evaluation of the baselines)
        out[name] = sum(float(cj) * torch.roll(v, -(first + j), -1) for j, cj in enumerate(c))
    return out


@functools.lru_cache(maxsize=64)
def _baseline_stencil(order: int, accuracy_order: int, dx: float) -> tuple[int, tuple[float, ...]]:
    """(first cell offset from face i, coefficients) of the baseline stencil, computed once."""
    offsets = stencils.baseline_offsets(order, accuracy_order)
    c = stencils.coefficients(offsets, order, accuracy_order, "finite_volume", dx)
    return int(offsets[0] - 0.5), tuple(float(x) for x in c)


#: the derivative stencil the WENO solver uses for the viscous term: 4 cells, order 3
WENO_VX_OFFSETS = stencils.baseline_offsets(1, 3)


def face_derivatives_weno(v: torch.Tensor, dx: float) -> dict[str, torch.Tensor]:
    """WENO5 face values (both biases) and the 4-cell order-3 face slope."""
    vm, vp = weno5_faces(v)
    c = torch.as_tensor(stencils.coefficients(WENO_VX_OFFSETS, 1, 3, "finite_volume", dx), dtype=v.dtype)
    v_x = torch.roll(v, 2, -1) * c[0] + torch.roll(v, 1, -1) * c[1] + v * c[2] + torch.roll(v, -1, -1) * c[3]
    return {"v_minus": vm, "v_plus": vp, "v_x": v_x}


@dataclass(frozen=True)
class ForcingParams:
    """Per-realization mode parameters, each (S, M)."""

    a: np.ndarray
    omega: np.ndarray
    k: np.ndarray
    phi: np.ndarray


def draw_forcing(
    seeds: Sequence[int], n_modes: int = 20, k_min: int = 3, k_max: int = 6, amplitude: float = 1.0
) -> ForcingParams:
    """The authors' draw, one ``RandomState(seed)`` per realization, in their order (a, omega, k, phi)."""
    if not 1 <= k_min <= k_max:
        raise ValueError(f"need 1 <= k_min <= k_max, got {k_min}, {k_max}")
    out = {"a": [], "omega": [], "k": [], "phi": []}
    ks = np.arange(k_min, k_max + 1)
    for s in seeds:
        rs = np.random.RandomState(int(s))
        out["a"].append(0.5 * amplitude * rs.uniform(-1, 1, size=n_modes))
        out["omega"].append(rs.uniform(-0.4, 0.4, size=n_modes))
        out["k"].append(rs.choice(np.concatenate([-ks, ks]), size=n_modes))
        out["phi"].append(rs.uniform(0, 2 * np.pi, size=n_modes))
    return ForcingParams(**{k: np.asarray(v, dtype=float) for k, v in out.items()})


class Forcing:
    """f(x, t) for S realizations on a grid of N cells obtained by averaging ``factor`` fine points.

    sin(omega t + k x + phi) = sin(omega t + phi) cos(k x) + cos(omega t + phi) sin(k x), and every
    realization draws its wavenumbers from the same few integers (|k| in 3..6 for Burgers): the
    spatial parts are a SHARED basis cos(|k| x), sin(|k| x) over the J distinct |k| of all
    realizations (cell-averaged like the fields), and one evaluation is

        f[s] = sum_j C_cos[s, j] cos(|k_j| x) + C_sin[s, j] sin(|k_j| x),
        C_cos[s, j] = sum_{m: |k_sm| = k_j} a_sm sin(omega_sm t + phi_sm),
        C_sin[s, j] = sum_{m: |k_sm| = k_j} sign(k_sm) a_sm cos(omega_sm t + phi_sm):

    (S, M) mode phases folded into (S, 2J) coefficients (one batched product with a block-diagonal
    fold), then one (S, 2J) x (2J, N) product, fused with the addition to the rest of the
    right-hand side (:meth:`add_to`). A call streams the (2J, N) basis, not the (S, M, N)
    per-realization tables of a direct evaluation (``benchmarks/bench_fine.py``, row
    ``p1_forcing_basis_vs_tables``).
    """

    def __init__(self, params: ForcingParams, length: float, n_fine: int, factor: int = 1):
        if n_fine % factor:
            raise ValueError(f"factor {factor} does not divide {n_fine} fine points")
        k = np.asarray(params.k)
        if not np.array_equal(k, np.round(k)):
            raise ValueError("forcing wavenumbers must be integers (periodic modes)")
        kabs = np.abs(k).astype(np.int64)
        self.wavenumbers = np.unique(kabs)  # (J,) distinct |k|
        j = np.searchsorted(self.wavenumbers, kabs)  # (S, M) basis index of each mode
        onehot = (j[..., None] == np.arange(self.wavenumbers.size)).astype(float)  # (S, M, J)
        x = np.arange(n_fine) * (length / n_fine)
        phase = 2 * np.pi * self.wavenumbers[:, None] * x / length  # (J, n_fine)
        J, M = self.wavenumbers.size, k.shape[-1]
        cos = np.cos(phase).reshape(J, n_fine // factor, factor).mean(-1)
        sin = np.sin(phase).reshape(J, n_fine // factor, factor).mean(-1)
        #: (2J, N): cos(|k_j| x) for j < J, then sin(|k_j| x), cell-averaged
        self.basis = torch.as_tensor(np.concatenate([cos, sin]), dtype=DTYPE)
        #: (S, 2M, 2J) block-diagonal fold: the M sin(phase) weights onto the cos half of the basis, the
        #: M cos(phase) weights (with the sign of k) onto its sin half
        fold = np.zeros((k.shape[0], 2 * M, 2 * J))
        fold[:, :M, :J] = onehot
        fold[:, M:, J:] = onehot * np.sign(k)[..., None]
        self.fold = torch.as_tensor(fold, dtype=DTYPE)
        self.basis_cos, self.basis_sin = self.basis[:J], self.basis[J:]
        self.fold_cos, self.fold_sin = self.fold[:, :M, :J], self.fold[:, M:, J:]
        self.a = torch.as_tensor(params.a, dtype=DTYPE)
        self.omega = torch.as_tensor(params.omega, dtype=DTYPE)
        self.phi = torch.as_tensor(params.phi, dtype=DTYPE)
        self._cache = None  # (rows, gathered parameters) of the last rows object, see _rows

    def coefficients(self, t, rows: torch.Tensor | None = None) -> torch.Tensor:
        """(S or len(rows), 2J) coefficients (C_cos, C_sin) on :attr:`basis` at time ``t``: a float, or a
        (len(rows),) tensor of per-realization times (integrators with per-sample steps)."""
        a, omega, phi, fold = self._rows(rows)
        t = torch.as_tensor(t, dtype=DTYPE)
        arg = omega * (t[..., None] if t.ndim else t) + phi
        w = torch.cat([a * torch.sin(arg), a * torch.cos(arg)], dim=-1)  # (b, 2M)
        return torch.bmm(w.unsqueeze(1), fold).squeeze(1)

    def _rows(self, rows: torch.Tensor | None):
        """The per-realization parameters of ``rows``; the gather is cached for the last ``rows`` object
        (an integrator passes the same tensor until its batch changes; do not modify ``rows`` in place)."""
        if rows is None:
            return self.a, self.omega, self.phi, self.fold
        cached = self._cache
        if cached is None or cached[0] is not rows:
            self._cache = cached = (rows, tuple(x[rows] for x in (self.a, self.omega, self.phi, self.fold)))
        return cached[1]

    def __call__(self, t, rows: torch.Tensor | None = None) -> torch.Tensor:
        """(S or len(rows), N) forcing at time ``t`` (a float, or per-row times as for :meth:`coefficients`)."""
        return self.coefficients(t, rows) @ self.basis

    def add_to(self, dvdt: torch.Tensor, t, rows: torch.Tensor | None = None) -> torch.Tensor:
        """``dvdt + self(t, rows)`` as one fused product-and-add (``torch.addmm``)."""
        return torch.addmm(dvdt, self.coefficients(t, rows), self.basis)


def coarse_grain(v, factor: int, shift: int = 0):
    """Cell averages over ``factor`` consecutive fine cells (after a cyclic shift of ``shift`` fine
    cells, the authors' augmentation): (..., N) -> (..., N / factor). numpy or torch."""
    n = v.shape[-1]
    if n % factor:
        raise ValueError(f"factor {factor} does not divide {n} cells")
    if shift:
        v = torch.roll(v, -shift, -1) if isinstance(v, torch.Tensor) else np.roll(v, -shift, -1)
    return v.reshape(*v.shape[:-1], n // factor, factor).mean(-1)

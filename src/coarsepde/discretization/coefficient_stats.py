"""The learned d/dx coefficients of Bar-Sinai et al. 2019, Fig. 2, as numbers.

Fig. 2 compares the coefficients alpha_1 .. alpha_6 of dv/dx at a face with the centred and one-sided polynomial
finite-volume stencils (A), and shows the density of the NN coefficients' "centre of mass"
sum_j |alpha_j| x_j / sum_j |alpha_j| (x_j the cell offsets from the face, -2.5 .. 2.5 cell widths) against the
face value v (B, inset): upwind coefficients put it opposite to sign(v), a negative correlation.

- :func:`polynomial_stencils`, :func:`polynomial_distances`, :func:`constant_stencil`: panel A's stencils, the
  relative distance of a coefficient vector from each, and the optimized constant coefficients;
- :func:`centre_of_mass`, :func:`face_values`, :func:`centre_statistics`: the inset's numbers;
  :func:`model_centres` computes a model's centres over many snapshots a chunk at a time;
- :func:`stencil_sensitivity` (issue 22 item 5): how much the time-derivative loss the model was trained on
  changes when one stencil is replaced at every face (mirrored, which flips the sign of its centre of mass, or the
  standard centred 6-point one) -- whether the data decide that stencil's direction at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

from coarsepde.discretization.layers import apply_stencil
from coarsepde.discretization.losses import evaluate_mse
from coarsepde.numerics import stencils

__all__ = [
    "OFFSETS",
    "polynomial_stencils",
    "polynomial_distances",
    "constant_stencil",
    "centre_of_mass",
    "face_values",
    "centre_statistics",
    "model_centres",
    "STENCIL_SWAPS",
    "stencil_sensitivity",
]

#: cell offsets of the 6-cell face stencil from the face, in cell widths: -2.5 ... 2.5
OFFSETS = stencils.centered_offsets(6)


def polynomial_stencils() -> dict[str, np.ndarray]:
    """d/dx stencils on subsets of the 6 cells, embedded in the 6-cell vector, in units of 1/dx."""
    out = {}
    for name, cells in (
        ("centred 2-pt", [2, 3]),
        ("centred 4-pt", [1, 2, 3, 4]),
        ("centred 6-pt", list(range(6))),
        ("one-sided left 3-pt", [0, 1, 2]),
        ("one-sided right 3-pt", [3, 4, 5]),
        ("one-sided left 4-pt", [0, 1, 2, 3]),
        ("one-sided right 4-pt", [2, 3, 4, 5]),
    ):
        c = np.zeros(6)
        c[cells] = stencils.coefficients(OFFSETS[cells], 1, None, "finite_volume")
        out[name] = c
    return out


def polynomial_distances(c: np.ndarray) -> dict[str, float]:
    """Relative L2 distance ||c - p|| / ||p|| of the d/dx coefficients ``c`` (units 1/dx) from every stencil of
    :func:`polynomial_stencils`."""
    return {k: float(np.linalg.norm(c - p) / np.linalg.norm(p)) for k, p in polynomial_stencils().items()}


def constant_stencil(model) -> np.ndarray:
    """The d/dx coefficients (6, units 1/dx) of an optimized constant-coefficient model (the same at every face)."""
    with torch.inference_mode():
        c = model.coefficients(torch.zeros(1, 6, dtype=torch.float64))["v_x"][0, 0]
    return c.numpy() * model.dx


def centre_of_mass(c: np.ndarray) -> np.ndarray:
    """sum_j |c_j| x_j / sum_j |c_j| over the last axis (6 cells), in cell widths from the face."""
    w = np.abs(c)
    return (w * OFFSETS).sum(-1) / w.sum(-1)


def face_values(v: np.ndarray) -> np.ndarray:
    """(B, N) cell averages -> (B, N) face values, face i between cells i-1 and i (the mean of the two)."""
    return 0.5 * (v + np.roll(v, 1, axis=-1))


def centre_statistics(com: np.ndarray, com_v: np.ndarray, v: np.ndarray) -> dict:
    """The inset's numbers from the centres of mass of the d/dx (``com``) and value (``com_v``) stencils at every
    face of the snapshots ``v`` (B, N): the flattened centres and face values, and the Pearson correlation of each
    centre with the face value (``corr``: the d/dx stencil, Fig. 2; ``corr_v``: the value stencil, SI Fig. S3C)."""
    v_face = face_values(v).ravel()
    com, com_v = np.ravel(com), np.ravel(com_v)
    return {
        "com": com,
        "com_v": com_v,
        "v_face": v_face,
        "corr": float(np.corrcoef(com, v_face)[0, 1]),
        "corr_v": float(np.corrcoef(com_v, v_face)[0, 1]),
    }


def model_centres(model, v: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """(B, N) centres of mass of ``model``'s d/dx and value stencils at every face of the snapshots ``v`` (B, N),
    ``chunk`` snapshots at a time (the coefficients of a whole test set do not fit in memory at once)."""
    com, com_v = [], []
    with torch.inference_mode():
        for i in range(0, len(v), chunk):
            co = model.coefficients(torch.as_tensor(np.asarray(v[i : i + chunk], dtype=float)))
            com.append(centre_of_mass(co["v_x"].numpy() * model.dx))
            com_v.append(centre_of_mass(co["v"].numpy()))
    return np.concatenate(com), np.concatenate(com_v)


def _mirror_derivative(c: torch.Tensor) -> torch.Tensor:
    """alpha_j -> -alpha_{5-j}: the same first-derivative accuracy, the centre of mass negated."""
    return -torch.flip(c, dims=(-1,))


def _mirror_value(c: torch.Tensor) -> torch.Tensor:
    """alpha_j -> alpha_{5-j}: the same value accuracy, the centre of mass negated."""
    return torch.flip(c, dims=(-1,))


#: the replacements :func:`stencil_sensitivity` measures: name -> (stencil, transform of its (B, N, 6)
#: coefficients; None: the model's standard maximum-accuracy stencil c0, i.e. zero network output)
STENCIL_SWAPS: dict[str, tuple[str, Callable | None]] = {
    "d/dx mirrored": ("v_x", _mirror_derivative),
    "d/dx centred 6-pt": ("v_x", None),
    "value mirrored": ("v", _mirror_value),
}


class _Swapped:
    """``model`` with its ``name`` stencil replaced at every face (``transform`` of its coefficients, or c0)."""

    def __init__(self, model, name: str, transform: Callable | None):
        self.model, self.name, self.transform = model, name, transform

    def time_derivative(self, v: torch.Tensor) -> torch.Tensor:
        m = self.model
        coeffs = m.coefficients(v)
        c = coeffs[self.name]
        coeffs[self.name] = self.transform(c) if self.transform is not None else m.accuracy[self.name].c0.expand_as(c)
        faces = {k: apply_stencil(v, ck, m.first) for k, ck in coeffs.items()}
        return m.equation.time_derivative(faces, m.dx)


def stencil_sensitivity(model, inputs, labels, swaps: Mapping[str, tuple[str, Callable | None]] = STENCIL_SWAPS):
    """The normalised time-derivative MSE (:func:`~coarsepde.discretization.losses.evaluate_mse`, the training
    loss) of ``model`` on (``inputs``, ``labels``) (B, N), as trained (``"model"``) and with each replacement of
    ``swaps`` at every face; a replacement that barely moves it is one the data do not constrain."""
    out = {"model": evaluate_mse(model, inputs, labels)}
    for key, (name, transform) in swaps.items():
        if name not in model.names:
            raise ValueError(f"{key}: the model has no {name!r} stencil (it has {model.names})")
        out[key] = evaluate_mse(_Swapped(model, name, transform), inputs, labels)
    return out

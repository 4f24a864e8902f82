"""Linear stability of a coarse method-of-lines right-hand side (issue 22 item 4: why the 2x KdV NN
diverges).

A coarse method (a learned model or a polynomial baseline) defines dv/dt = F(v) for the N cell
averages. Linearised about a state u, a perturbation grows like exp(J t) with J = dF/dv (u), so the
largest real part of J's eigenvalues (in 1/time) is the fastest growth the semi-discrete model
allows near u, whatever the time integrator does. The exact PDE has no grid-scale mode; the coarse
grid's highest one is the sawtooth s_i = (-1)^i (N even). At a constant state u a translation-
equivariant method (finite volumes, the periodic CNN of ``models.py``) has a circulant J, so s is an
eigenvector, with the real eigenvalue

    lambda_saw(u) = (J s)_i / s_i = 2 (dJ/dq . S)/dx,   S = sum_j alpha_j (-1)^(j+1),

the flux's response to the face stencils' sawtooth sums (zero for every symmetric stencil, such as the
centred polynomial baselines: their sawtooth is neutral). A positive lambda_saw is a grid-scale
instability of the semi-discrete model (:func:`sawtooth_rate`).

Nothing here integrates in time; :func:`high_wavenumber_amplitude` measures which modes grow in a
trajectory computed elsewhere (``simulate.run_coarse``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from coarsepde.discretization.simulate import baseline_for

__all__ = [
    "Rhs",
    "learned_rhs",
    "baseline_rhs",
    "rhs_jacobian",
    "leading_mode",
    "sawtooth_rate",
    "high_wavenumber_amplitude",
]

#: unforced coarse right-hand side, (B, N) float64 -> (B, N)
Rhs = Callable[[torch.Tensor], torch.Tensor]


def learned_rhs(model) -> Rhs:
    """The unforced right-hand side of a learned model (differentiable in v: its torch path)."""
    return model.time_derivative


def baseline_rhs(equation, method: str, n: int) -> Rhs:
    """The unforced right-hand side of a baseline ("fv1", "fv3") of ``equation`` on n cells."""
    eq, faces = baseline_for(equation, method, n)
    dx = equation.length / n
    return lambda v: eq.time_derivative(faces(v), dx)


def rhs_jacobian(rhs: Rhs, v) -> np.ndarray:
    """dF/dv at the state v (N,), an (N, N) array in 1/time (torch autograd, float64)."""
    v = torch.as_tensor(np.asarray(v, dtype=float))
    return torch.autograd.functional.jacobian(lambda x: rhs(x[None])[0], v).numpy()


def leading_mode(jacobian: np.ndarray, high_fraction: float = 0.25) -> tuple[complex, float, int]:
    """(eigenvalue of largest real part, share of its eigenvector's energy at wavenumbers
    |k| > ``high_fraction`` N, the cell where the eigenvector peaks). A share near 1 is a grid-scale
    mode; a share near 0 a resolved (smooth) one."""
    ev, vecs = np.linalg.eig(jacobian)
    i = int(np.argmax(ev.real))
    w = vecs[:, i]
    n = w.size
    power = np.abs(np.fft.fft(w)) ** 2
    k = np.abs(np.fft.fftfreq(n) * n)
    return complex(ev[i]), float(power[k > high_fraction * n].sum() / power.sum()), int(np.argmax(np.abs(w)))


def sawtooth_rate(rhs: Rhs, u: float, n: int) -> float:
    """lambda_saw(u): the growth rate (1/time) of the grid-scale sawtooth (-1)^i about the constant
    state u on n cells (n even), by one forward-mode derivative. Exact eigenvalue of the Jacobian for
    translation-equivariant methods (then J s = lambda s; checked: ValueError otherwise)."""
    if n % 2:
        raise ValueError(f"the sawtooth needs an even number of cells, got {n}")
    s = torch.as_tensor((-1.0) ** np.arange(n))[None]
    v = torch.full((1, n), float(u), dtype=torch.float64)
    _, js = torch.autograd.functional.jvp(rhs, v, s)
    rate = float(torch.mean(js * s))
    residual = float(torch.max(torch.abs(js - rate * s)))
    if residual > 1e-8 * max(1.0, float(torch.max(torch.abs(js)))):
        raise ValueError(
            f"the sawtooth is not an eigenvector here (residual {residual:.3g}): not translation-equivariant"
        )
    return rate


def high_wavenumber_amplitude(v, high_fraction: float = 0.25) -> np.ndarray:
    """RMS over the cells of the part of v (..., N) at wavenumbers |k| > ``high_fraction`` N (NaN
    stays NaN): the grid-scale content of a coarse trajectory."""
    v = np.asarray(v, dtype=float)
    n = v.shape[-1]
    vh = np.fft.rfft(v, axis=-1)
    k = np.arange(vh.shape[-1])
    vh[..., k <= high_fraction * n] = 0.0
    return np.sqrt(np.mean(np.fft.irfft(vh, n=n, axis=-1) ** 2, axis=-1))

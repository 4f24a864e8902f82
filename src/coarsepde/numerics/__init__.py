"""Numerics that know no paper and do no I/O (DESIGN.md, "Who may import whom").

- :mod:`.stencils`: stencil coefficients on uniform 1D grids from polynomial exactness.
- :mod:`.weno`: WENO5 face reconstruction and the Godunov flux of u^2/2 (torch, differentiable).
- :mod:`.ode`: batched adaptive RK23 with divergence detection, built on :mod:`.rk23` (the
  Bogacki-Shampine pair and scipy's step-size controller).
- :mod:`.runge_kutta`: fixed-step explicit Runge-Kutta schemes (differentiable).
- :mod:`.diffusion1d`: TR-BDF2 for u_t = (a u_x)_x on many Dirichlet segments at once, compiled
  by :mod:`.trbdf2_fused`.
- :mod:`.imex`: IMEX Runge-Kutta and IMEX-BDF schemes.
- :mod:`.timing`: wall-clock of a call, medians of interleaved repeats.

The names below are importable from the package itself; each submodule is imported on first use
(so ``import coarsepde.numerics`` loads neither torch nor scipy).
"""

from __future__ import annotations

import importlib

#: public name -> the submodule that defines it
_SOURCES = {
    # stencils
    "METHODS": "stencils",
    "constraints": "stencils",
    "coefficients": "stencils",
    "nullspace_basis": "stencils",
    "centered_offsets": "stencils",
    "baseline_offsets": "stencils",
    # weno
    "WENO5_LINEAR_WEIGHTS": "weno",
    "weno5_faces": "weno",
    "godunov_flux": "weno",
    "godunov_flux_without_sonic_fix": "weno",
    # ode, rk23, runge_kutta
    "Solution": "ode_result",
    "integrate": "ode",
    "Rhs": "ode_result",
    "SAFETY": "rk23",
    "MIN_FACTOR": "rk23",
    "MAX_FACTOR": "rk23",
    "ERROR_EXPONENT": "rk23",
    "ERROR_WEIGHTS": "rk23",
    "rms": "rk23",
    "bad_rows": "rk23",
    "initial_step": "rk23",
    "initial_step_independent": "rk23",
    "bs23_step": "rk23",
    "growth": "rk23",
    "fixed_step": "runge_kutta",
    "FIXED_STEP_METHODS": "runge_kutta",
    # diffusion1d, trbdf2_fused
    "DiffusionSegments": "diffusion1d",
    "geometric_steps": "diffusion1d",
    "TRBDF2_GAMMA": "diffusion1d",
    "trbdf2_segments": "trbdf2_fused",
    # timing
    "timed": "timing",
    "interleaved": "timing",
}

__all__ = list(_SOURCES)


def __getattr__(name: str):
    if name in _SOURCES:
        return getattr(importlib.import_module(f".{_SOURCES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

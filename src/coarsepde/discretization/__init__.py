"""P1: learned data-driven discretizations (Bar-Sinai et al. 2019).

The public API is the modules below (scripts import them directly; importing the package loads
none of them, and with them neither torch nor numba):

- :mod:`.equations`: Burgers, KdV, Kuramoto-Sivashinsky as flux forms fed face quantities by name;
  forcing; coarse graining; the polynomial and WENO face quantities.
- :mod:`.burgers_fused`: the WENO5-Godunov Burgers right-hand side as one compiled pass.
- :mod:`.coarse_driver`, :mod:`.coarse_kernels`: coarse runs (WENO, constant coefficients) in one compiled
  RK23 loop with the forcing.
- :mod:`.fused`, :mod:`.stencil_kernels`, :mod:`.interp_kernels`: the learned models' flux path (stencils,
  flux, update), the time-integrated loss's rollout and Fig. 1's stencil head as compiled passes with their
  adjoints.
- :mod:`.simulate`: batched coarse simulations, valid times, the fine WENO "exact" solver.
- :mod:`.spectral`: the fine pseudo-spectral KdV / KS solver.
- :mod:`.layers`, :mod:`.models`: polynomial-accuracy layer, periodic CNN, the learned discretization.
- :mod:`.losses`, :mod:`.training`, :mod:`.checkpoint`: training pairs and normalised losses, the Adam
  loop, resumable checkpoints.
- :mod:`.persist`: learned models on disk (Zarr).
- :mod:`.metrics`: mean absolute errors, valid simulation times, bootstrap intervals.
- :mod:`.stability`: Jacobians of coarse right-hand sides, their leading modes, the sawtooth growth rate.
- :mod:`.interpolation`, :mod:`.interpolation_metrics`: Fig. 1's learned super-resolution and its statistics.
"""

__all__ = [
    "equations",
    "burgers_fused",
    "coarse_driver",
    "coarse_kernels",
    "fused",
    "stencil_kernels",
    "interp_kernels",
    "simulate",
    "spectral",
    "layers",
    "models",
    "losses",
    "training",
    "checkpoint",
    "persist",
    "metrics",
    "stability",
    "interpolation",
    "interpolation_metrics",
]

"""P2: learning homogenized PDEs from equation-free fine-scale simulation (Arbabi et al. 2020).

The public API is the modules below (scripts import them directly; importing the package loads
none of them):

- :mod:`.cell_problem`: effective coefficients from discrete cell problems (1D, 2D lattice).
- :mod:`.effective`: the effective coefficients of both problems as one dataset and table.
- :mod:`.equation_free`: teeth and patches, restriction and lifting, gap-tooth, patch dynamics,
  projective integration (1D).
- :mod:`.problem1d`: the 1D heterogeneous problem, its initial conditions and references.
- :mod:`.lattice2d`: the 2D lattice, its gap-tooth patch scheme, exact homogenized solutions.
- :mod:`.learning`, :mod:`.learning2d`: the two network architectures in 1D and 2D, training,
  prediction, BDF integration.
- :mod:`.evaluation`: scores of a learned model against the homogenized references.
- :mod:`.drift2d`: a learned 2D model's late-time error split into mean drift and lag.
"""

__all__ = [
    "cell_problem",
    "effective",
    "equation_free",
    "problem1d",
    "lattice2d",
    "learning",
    "learning2d",
    "evaluation",
    "drift2d",
]

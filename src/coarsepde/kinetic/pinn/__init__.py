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
* float32 by default (:func:`fit_pinn`), float64 on request.

Measured on the reconstructed paper data at eps = 1/64 (results/kinetic/transport_eps64.zarr: 56 snapshots,
16 x 1000, dt = 4e-6), default protocol (float32, 32 x 4 tanh, x_harmonics 1, Adam 1500 steps lr 3e-3 -> 3e-4,
then L-BFGS 500, 2048 data + 256 x 16 collocation points per step, gamma 1e-6, seed 0):

    variant  Error%   g          v d_x g   <v d_x g>   v d_x rho   eps_pred  rel. err N_g / d_t N_g
    plain    99.90    +2.65      -0.84     -1.01       -3.61       -         0.36 / 0.83
    pt        1.46    -4016.7    -61.25    +60.33      -4060.3     0.0288    0.0073 / 0.018
    exact             -4096      -64       +64         -4096

The plain lambdas stay O(1) (Adam moves each by ~lr per step, and the L-BFGS phase starts from the basin where
d_t N_g ~ 0: the residual with small lambdas forces N_g to be nearly constant in time, its data fit stays poor,
the paper's "mediocre fit"). The PT variant's accuracy is limited by the network derivative d_t N_g (its
least-squares coefficients for the final networks give the same Error%, 1.45%), so a larger budget helps: with
Adam 1000 + L-BFGS 300 it was still at 30% (d_t N_g 10% off; plain: 99.95%).

Diagnostics in the result: ``lstsq_coefficients`` = the coefficients minimising mean(F^2) for the FINAL
networks on a fixed evaluation sample (F is linear in the four coefficients); if the learned coefficients
are far from these, the optimiser (not the network fit) limits the answer; if these are far from exact,
the networks' derivatives do. ``fit_errors`` = relative RMS errors of N_g, N_rho on the whole data grid and
of d_t N_g against the data's centred time differences (interior snapshots).

Modules of this package: ``protocol`` (the variants, :class:`PINNProtocol`), ``networks`` (:class:`PINNModel`),
``autodiff`` (the residual of Eq. 6.8), ``sampling`` (random batches), ``diagnostics``, ``result``
(:class:`PINNResult`), ``fit`` (:func:`fit_pinn`).

Units: t and x in the data's units (x in units of the domain length), g, rho dimensionless; coefficients of
d_x terms have units [t]^-1 [x], the others [t]^-1.
"""

from __future__ import annotations

from coarsepde.kinetic.pinn.autodiff import quadrature_average, residual, residual_terms
from coarsepde.kinetic.pinn.fit import fit_pinn
from coarsepde.kinetic.pinn.networks import MLP, PINNModel
from coarsepde.kinetic.pinn.protocol import COEFFICIENT_ORDER, VARIANTS, PINNProtocol
from coarsepde.kinetic.pinn.result import PINNResult

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

"""Sparse-regression baselines of Delgadillo, Hu, Yang (DC-RNN), Examples 6.6, 6.7, 6.9 (Tables 12, 14).

The DC-RNN paper compares its learned g-equation with three dictionary regressions, all on the same
18-term dictionary of compositions of the basic operators A = v d_x (centred) and P = <.>
(:mod:`~coarsepde.kinetic.baselines.dictionary`, feature matrix :mod:`~coarsepde.kinetic.baselines.library`).
One estimator per module, each with a scikit-learn surface (``fit`` / ``predict`` / ``coef_``) over the
functions that do the work:

* **Lasso** (Example 6.6, Table 12; :mod:`~coarsepde.kinetic.baselines.lasso_sweep`): l1-penalised least
  squares of the forward-Euler target y = (g^{n+1} - g^n)/dt (the FE residual, Eq. 4.4) on the dictionary,
  several alphas, "best result reported" (:class:`Lasso`, :func:`lasso`);
* **STRidge** (Example 6.7; :mod:`~coarsepde.kinetic.baselines.stridge_search`): PDE-FIND's sequential
  threshold ridge regression and its tolerance search TrainSTRidge (:class:`STRidge`, :func:`stridge`,
  :func:`train_stridge`);
* **MS-HDL** (Example 6.9, Eqs. 6.11-6.15, Table 14; :mod:`~coarsepde.kinetic.baselines.multiscale_hdl`):
  data split "perfectly" by scale (:mod:`~coarsepde.kinetic.baselines.split_data`), one linear dictionary
  model per scale fit with the FE loss at its own time step, the pieces summed (:class:`MSHDL`,
  :func:`ms_hdl`).

Read-out (physical coefficients, Error% (6.2), spurious terms): :mod:`~coarsepde.kinetic.baselines.readout`;
shared least squares, ridge and row split: :mod:`~coarsepde.kinetic.baselines.regression`.

Measured on the reconstructed paper data (``TransportSetup(eps, nx=1000)``: IC-nb, stride 8, 56 snapshots,
dt = 4e-6; :func:`~coarsepde.kinetic.transport.generate_ars222`; 880 000 x 18 features), Error% (6.2):

    method                                          eps = 1/128   eps = 1/256
    least squares, FE target (= the 4-term FE floor)      3.230         12.07
    Lasso FE, best Error% (alpha 1e-12)                   3.230         12.07
    Lasso FE, best held-out (alpha 1e-10, 1.8e-11)        3.230         12.07
    STRidge FE (TrainSTRidge, PDE-FIND defaults)          3.230         12.07
    least squares, central d_t target                     0.073          1.163
    Lasso central, best Error% (alpha 1e-4, 1e-3)         0.015          0.221
    paper Table 12 (Lasso)                                0.18           1.77

With the FE target the 14 extra words do not absorb the FE time error (it sits on the stiff pair g, v d_x rho:
differences 525 / 7884) and Lasso cannot beat the 4-term FE floor (reference Sect. 9: 3.19 / 12.02), so the
paper's Lasso numbers imply a more accurate d_t (PDE-FIND's second-order centred difference lands in their
range). The held-out choice always takes the least-squares end of the grid; "best Error%" is the paper's
choice and profits from shrinkage cancelling part of the time error. TrainSTRidge with PDE-FIND's d_tol = 1
reaches tol 25 only, against normalised weights of 3e6 .. 6e7 (1/128) and 7e6 .. 2.5e8 (1/256) for the true
terms: it drops one word and equals least squares (its 17 kept words include spurious AA rho / PAA rho with
coefficients +-4 at 1/128, +-28 at 1/256; l0 = 0 with d_tol = 1e-3 ||y|| ends the same way).
MS-HDL (exact split data, dt_j = 4e-6 eps^j, 56 snapshots, nx = 1000): Error% 2.0e-4 at 1/64 and 1/128
(paper Table 14: 0.094, 0.070); with the labels swapped (fast at dt, medium at dt/eps): 0.81 and 3.18.

Units: g, rho dimensionless; dt in time units; y in [g]/[t]; a coefficient of a word with a A's has units
[t]^-1 [x]^a (x in units of the domain length). Coefficients are in the true-sign convention of
:mod:`coarsepde.kinetic.scoring` (the exact ones are -sigma_S/eps^2, -1/eps, +1/eps, -1/eps^2).
"""

from coarsepde.kinetic.baselines.dictionary import (
    DICTIONARY,
    DICTIONARY_G,
    DICTIONARY_RHO,
    VANISHING_RHO_WORDS,
    term_name,
)
from coarsepde.kinetic.baselines.lasso_sweep import LASSO_ALPHAS, Lasso, LassoResult, lasso
from coarsepde.kinetic.baselines.library import Library, library
from coarsepde.kinetic.baselines.multiscale_hdl import MSHDL, MSHDLResult, ms_hdl
from coarsepde.kinetic.baselines.readout import Summary, summarize, to_polynomial
from coarsepde.kinetic.baselines.regression import least_squares, split_rows
from coarsepde.kinetic.baselines.split_data import (
    linear_transport_data,
    ms_hdl_steps,
    part_coefficients,
    split_scale_data,
)
from coarsepde.kinetic.baselines.stridge_search import STRidge, STRidgeResult, stridge, train_stridge

__all__ = [
    "DICTIONARY_G",
    "DICTIONARY_RHO",
    "DICTIONARY",
    "VANISHING_RHO_WORDS",
    "term_name",
    "Library",
    "library",
    "split_rows",
    "least_squares",
    "Lasso",
    "LassoResult",
    "LASSO_ALPHAS",
    "lasso",
    "STRidge",
    "stridge",
    "STRidgeResult",
    "train_stridge",
    "part_coefficients",
    "linear_transport_data",
    "ms_hdl_steps",
    "split_scale_data",
    "MSHDL",
    "MSHDLResult",
    "ms_hdl",
    "Summary",
    "summarize",
    "to_polynomial",
]

"""P3: multiscale and nonlocal learning of kinetic (linear transport) equations with densely connected RNNs
(Delgadillo, Hu, Yang).

The public names below are loaded lazily from their modules (importing this package imports neither torch
nor scipy); scripts import the modules directly. Map of the core:

* data: :mod:`.transport` (micro-macro solvers), :mod:`.upwind` (their stencils), :mod:`.exact` (Fourier
  solution), :mod:`.operators` (the basic operators the models are built from);
* model: :mod:`.polynomial` (symbolic words), :mod:`.blocks` (DC-RNN blocks), :mod:`.dcrnn` (the multiscale
  ansatz), :mod:`.scoring` (physical coefficients, Error%, printed form);
* fitting: :mod:`.fitdata`, :mod:`.fitting` (linear multistep residuals), :mod:`.rk_fits` (RK4, ARS(2,2,2)),
  :mod:`.schemes` (registry), :mod:`.losses`;
* training: :mod:`.features` (fast path), :mod:`.least_squares`, :mod:`.training` (``fit``);
* the paper's tables and experiments: :mod:`.experiments`, :mod:`.tables`, :mod:`.sigma_x`.
"""

from __future__ import annotations

import importlib

# --- core: name -> module ----------------------------------------------------------------------------------
_CORE = {
    "transport": [
        "gauss_legendre",
        "project",
        "ic_nb",
        "ic_ho",
        "ic_lo",
        "TransportSetup",
        "initial_state",
        "MicroMacroStages",
        "generate_ars222",
        "generate_imex1_staggered",
    ],
    "upwind": ["d_left3", "d_right3", "d_centered", "vdx_upwind3", "vdx_downwind3"],
    "exact": ["fourier_solution"],
    "operators": ["Operators", "SYMBOLS"],
    "polynomial": ["Term", "OperatorPolynomial", "reduce_word", "as_numpy"],
    "blocks": ["DCRNNBlock", "RecurrentBlock"],
    "dcrnn": ["MultiscaleDCRNN"],
    "scoring": [
        "PHYSICAL_TERMS",
        "exact_g_coefficients",
        "physical_coefficients",
        "coefficient_differences",
        "error_percent",
        "format_equation",
    ],
    "fitdata": ["FitData", "starts", "known_flux"],
    "fitting": ["LinearStencil", "STENCILS", "linear_residual", "forward_euler", "backward_euler", "imex1", "imex_bdf"],
    "rk_fits": ["rk4", "FitStages", "ars222"],
    "schemes": ["Scheme", "SCHEMES", "get_scheme", "residual"],
    "losses": ["data_loss", "sparsity_penalty", "continuity_penalty", "mean_zero_penalty", "loss"],
    "features": ["has_spatial_weights", "CoefficientMap", "MappedModel", "r_factor", "FeatureLoss", "zero_model_loss"],
    # (its solver ``least_squares`` is left out here: the name is the submodule's)
    "least_squares": [
        "snapshot_parameters",
        "restore_parameters",
        "FixedCoefficients",
        "JVP_BATCH_BYTES",
        "residual_and_jacobian",
        "gauss_newton",
    ],
    "training": ["FitHistory", "fit"],
    "protocols": ["PROTOCOLS", "AdamProtocol", "ConvergedProtocol", "protocols_from_settings"],
    "experiments": [
        "TableSpec",
        "TABLES",
        "PAPER_ERRORS",
        "make_model",
        "fit_data_from_store",
        "load_flat_parameters",
        "fit_one",
        "fit_table",
    ],
    "fit_store": ["results_dataset", "term_names", "string_array"],
    "tables": [
        "ERROR_NOTE",
        "SCHEME_NAMES",
        "table_frame",
        "table_markdown",
        "table16_frame",
        "PAPER_TABLE16",
        "table16_markdown",
    ],
    "sigma_x": [
        "SigmaProtocol",
        "make_sigma_model",
        "tv_denoise_weighted",
        "sigma_objective",
        "fit_sigma_x",
        "total_variation",
    ],
}

# --- baselines, PINN, Examples 6.3-6.10: name -> module (filled in by those modules' owners) -----------------
_EXTRAS: dict[str, list[str]] = {}

_WHERE = {name: module for table in (_CORE, _EXTRAS) for module, names in table.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__():
    return sorted(set(globals()) | set(__all__))

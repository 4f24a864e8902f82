"""One fit store per example table of Delgadillo, Hu, Yang (DC-RNN), Examples 6.3 and 6.6-6.10, from the config's
kinetic section: the dispatch behind rule ``p3_example_fit``.

* 9, 10: DC-RNN with and without the sparsity (Eq. 5.16) / <g> = 0 (Eq. 4.15) regularisations, IMEX-BDF-2,
  K = 2, both protocols (:func:`~coarsepde.kinetic.examples.fit_variants`);
* 12: Lasso (alpha sweep) and STRidge on the 18-term dictionary
  (:func:`~coarsepde.kinetic.baseline_tables.lasso_table`);
* 13: the PINN-style fit without and with the perturbation expansion (Eqs. 6.8-6.10,
  :func:`~coarsepde.kinetic.baseline_tables.pinn_table`);
* 14: MS-HDL on perfectly split data (Eqs. 6.11-6.15, :func:`~coarsepde.kinetic.baseline_tables.ms_hdl_table`);
* 15: the rho-equation in the diffusion limit (sigma_S = 1/3,
  :func:`~coarsepde.kinetic.diffusion_limit.limit_fits`).

``settings`` is the part of the config's kinetic section a table reads (``examples`` and, for 9 and 10,
``adam.linear``, ``converged.bdf``, ``model``); each builder returns the fit store and the settings it used
(recorded in the store's provenance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import xarray as xr

from coarsepde.kinetic import examples as ex
from coarsepde.kinetic.baseline_tables import lasso_table, ms_hdl_table, pinn_table
from coarsepde.kinetic.diffusion_limit import limit_fits
from coarsepde.kinetic.experiments import AdamProtocol, ConvergedProtocol, fit_data_from_store
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.pinn import PINNProtocol

__all__ = ["EXAMPLE_TITLES", "EXAMPLE_FITS", "check_example_data", "fit_example"]

#: Title of each example table's fit store.
EXAMPLE_TITLES = {
    9: "sparsity regularisation",
    10: "<g> = 0 regularisation",
    12: "Lasso and STRidge baselines",
    13: "PINN-style fits",
    14: "MS-HDL baseline",
    15: "diffusion limit (rho-equation)",
}

Log = Callable[[str], None] | None


def _regularization(table: int, datasets: Mapping[float, FitData], settings: Mapping, seed: int, log: Log):
    exm = settings["examples"]
    a, c = settings["adam"]["linear"], settings["converged"]["bdf"]
    adam = AdamProtocol(a["steps"], a["lr"], a["batch_windows"] or None, a["history_every"])
    conv = ConvergedProtocol(c["lsq_steps"], c["gn_iterations"], c["window_every"], c["lbfgs_steps"], c["from_init"])
    ds = ex.fit_variants(
        datasets,
        ex.REGULARIZATION_TABLES[table],
        adam=adam,
        converged=conv,
        gamma_rel=exm["gamma_rel"],
        eps_range=settings["model"]["eps_range"],
        init=settings["model"]["init"],
        seed=seed,
        log=log,
    )
    return ds, {"adam": vars(adam), "converged": vars(conv), "gamma_rel": exm["gamma_rel"]}


def _lasso(table: int, datasets: Mapping[float, FitData], settings: Mapping, seed: int, log: Log):
    targets = settings["examples"]["table12_targets"]
    return lasso_table(datasets, targets=targets, seed=seed, log=log), {"targets": targets}


def _pinn(table: int, datasets: Mapping[float, FitData], settings: Mapping, seed: int, log: Log):
    ((eps, data),) = datasets.items()
    protocol = PINNProtocol.from_mapping(settings["examples"]["pinn"])
    return pinn_table(data, eps, protocol, seed=seed, log=log), {"pinn": protocol.to_dict()}


def _ms_hdl(table: int, datasets: Mapping[float, FitData], settings: Mapping, seed: int, log: Log):
    conventions = settings["examples"]["ms_hdl_conventions"]
    return ms_hdl_table(datasets, conventions=conventions, seed=seed, log=log), {"conventions": conventions}


def _limit(table: int, datasets: Mapping[float, FitData], settings: Mapping, seed: int, log: Log):
    lim = settings["examples"]["limit"]
    ds = limit_fits(
        datasets,
        K=lim["K"],
        adam_steps=lim["adam_steps"],
        lr=lim["lr"],
        lbfgs_steps=lim["lbfgs_steps"],
        gamma_rel=lim["gamma_rel"],
        init=lim["init"],
        seed=seed,
        log=log,
    )
    return ds, dict(lim)


#: table -> builder(table, datasets, settings, seed, log) -> (fit store, settings used)
EXAMPLE_FITS = {9: _regularization, 10: _regularization, 12: _lasso, 13: _pinn, 14: _ms_hdl, 15: _limit}


def check_example_data(table: int, stores: Sequence[xr.Dataset]) -> None:
    """ValueError unless the transport stores suit the table: constant sigma_S = 1 (1/3 for Table 15), and one
    eps for Table 13."""
    sigma = {float(ds.attrs["sigma_s"]) for ds in stores}
    want = 1.0 / 3.0 if table == 15 else 1.0
    if any(abs(s - want) > 1e-12 for s in sigma) or any(float(ds.attrs.get("sigma_s_x2", 0.0)) for ds in stores):
        raise ValueError(f"Table {table} needs data with constant sigma_S = {want:.6g}, got {sorted(sigma)}")
    if table == 13 and len({float(ds.attrs["eps"]) for ds in stores}) != 1:
        raise ValueError("Table 13 fits one eps")


def fit_example(
    table: int, stores: Sequence[xr.Dataset], settings: Mapping, *, seed: int = 0, log: Log = None
) -> tuple[xr.Dataset, dict]:
    """The fit store of example ``table`` (9, 10, 12, 13, 14, 15) from its transport stores (one per eps,
    written by ``p3_transport_data``; check them with :func:`check_example_data`), and the provenance
    parameters: the table, the settings used, the 1/eps list and the data's parameters (eps dropped)."""
    if table not in EXAMPLE_FITS:
        raise ValueError(f"table must be one of {sorted(EXAMPLE_FITS)}, got {table!r}")
    datasets = {float(ds.attrs["eps"]): fit_data_from_store(ds) for ds in stores}
    ds, used = EXAMPLE_FITS[table](table, datasets, settings, seed, log)
    ds.attrs.update(table=table)
    params = {
        "table": table,
        **used,
        "inv_eps": sorted(round(1.0 / e) for e in datasets),
        "data": stores[0].attrs["provenance"]["params"] | {"eps": None},
    }
    return ds, params

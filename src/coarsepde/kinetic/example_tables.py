"""The example tables of Delgadillo, Hu, Yang (DC-RNN): Tables 9, 10, 12, 13, 14, 15 (Examples 6.3, 6.6-6.10)
from their fit stores (:mod:`coarsepde.kinetic.example_fits`), as rows beside the paper's values, notes, and
the inputs of the table's claim check (the claim itself is scored by the caller: this package does not import
:mod:`coarsepde.claims`). Tables 12 and 14 add the DC-RNN rows from the fit store of a Tables 1-8 table.

Coefficients are true-sign, in the order g, v d_x g, <v d_x g>, v d_x rho; "diff[...]" columns are the learned
minus the exact coefficient (sigma_S = 1, sigma_A = 0: -1/eps^2, -1/eps, +1/eps, -1/eps^2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from coarsepde.kinetic.baseline_tables import PAPER_TABLE12, PAPER_TABLE14
from coarsepde.kinetic.diffusion_limit import PAPER_TABLE15
from coarsepde.kinetic.examples import PAPER_TABLE9, PAPER_TABLE10

__all__ = [
    "TERMS",
    "DCRNN_TABLES",
    "TableOptions",
    "ExampleTable",
    "coefficient_columns",
    "exact_coefficients",
    "dcrnn_rows",
    "EXAMPLE_TABLES",
    "example_table",
]

#: Order of the coefficient columns.
TERMS = ("g", "v d_x g", "<v d_x g>", "v d_x rho")
#: Tables that compare with the DC-RNN rows of a Tables 1-8 fit store.
DCRNN_TABLES = (12, 14)


@dataclass(frozen=True)
class TableOptions:
    """What a table needs beside its fit store: the DC-RNN fit store (Tables 12, 14), the config's kinetic
    claims section, the DC-RNN protocol the claims are scored on ("converged" or "adam"), the scale's name."""

    claim_settings: Mapping = field(default_factory=dict)
    protocol: str = "converged"
    scale: str = "unknown"
    dcrnn: xr.Dataset | None = None


@dataclass
class ExampleTable:
    """Rows (one dict each), notes (Markdown lines after the table) and the keyword arguments of the table's
    claim check (``coarsepde.claims.check_p3_table<N>``)."""

    table: int
    rows: list[dict]
    notes: list[str]
    claim_inputs: dict

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def markdown(self, claim) -> str:
        """The table in Markdown, the notes, and the claim line(s) (``claim``: the check's ClaimResult, or a list
        of them, one per protocol, each line then naming its protocol and verdict)."""
        md = (
            f"# P3 Table {self.table}\n\n"
            + self.frame().to_markdown(index=False, floatfmt=".4g")
            + "\n\n"
            + "\n".join(self.notes)
            + "\n"
        )
        if not isinstance(claim, (list, tuple)):
            return md + f"\nClaim {claim.id}: {'PASS' if claim.passed else 'FAIL'}: {claim.reproduced_value}\n"
        return md + "".join(
            f"\nClaim {c.id} [{c.protocol}]: {'PASS' if c.passed else 'FAIL'} ({c.verdict}): {c.reproduced_value}\n"
            + (f"Evidence: {c.evidence}\n" if c.evidence else "")
            for c in claim
        )


def coefficient_columns(values, exact=None) -> dict:
    """{"c[term]": value} for the four TERMS, and {"diff[term]": value - exact} when ``exact`` is given."""
    out = {}
    for t, v in zip(TERMS, values):
        out[f"c[{t}]"] = float(v)
        if exact is not None:
            out[f"diff[{t}]"] = float(v) - float(exact[TERMS.index(t)])
    return out


def exact_coefficients(inv):
    """The exact coefficients (TERMS order) at 1/eps = ``inv`` (sigma_S = 1, sigma_A = 0)."""
    return [-(inv**2), -inv, inv, -(inv**2)]


def dcrnn_rows(dc: xr.Dataset, inv_list, paper) -> tuple[str, list[dict], dict[str, dict[int, float]]]:
    """The DC-RNN rows of Tables 12 and 14 from a Tables 1-8 fit store: (label, rows, {protocol: {1/eps: Error%}})."""
    label = f"Table {dc.attrs['table']} ({dc.scheme.values[0]}, M = {dc.attrs['M']})"
    rows, err = [], {}
    for pr in dc.protocol.values:
        err[str(pr)] = {}
        for inv in inv_list:
            sel = dc.sel({"inv_eps": inv, "protocol": pr}).isel(scheme=0)
            e = float(sel.error)
            err[str(pr)][int(inv)] = e
            rows.append(
                {
                    "method": f"DC-RNN {label} [{pr}]",
                    "inv_eps": int(inv),
                    "error_pct": e,
                    "paper_error_pct": paper.get(int(inv)),
                    **coefficient_columns(sel.coefficient.values, exact_coefficients(int(inv))),
                }
            )
    return label, rows, err


def _regularization(t: int, ds: xr.Dataset, opt: TableOptions) -> ExampleTable:
    rows = []
    for var in ds.variant.values:
        for inv in ds.inv_eps.values:
            for pr in ds.protocol.values:
                s = ds.sel({"variant": var, "inv_eps": inv, "protocol": pr})
                paper = PAPER_TABLE9.get(str(var)) if t == 9 else PAPER_TABLE10[str(var)].get(int(inv))
                rows.append(
                    {
                        "variant": str(var),
                        "inv_eps": int(inv),
                        "protocol": str(pr),
                        "error_pct": float(s.error),
                        "paper_error_pct": paper,
                        "eps_pred": float(s.eps_pred),
                        "gamma": float(ds.gamma.sel({"variant": var, "inv_eps": inv})),
                        **coefficient_columns(s.coefficient.values, exact_coefficients(int(inv))),
                    }
                )
    err = {
        pr: {
            int(inv): {
                str(v): float(ds.error.sel({"variant": v, "inv_eps": inv, "protocol": pr})) for v in ds.variant.values
            }
            for inv in ds.inv_eps.values
        }
        for pr in ("adam", "converged")
    }
    if t == 9:
        inv = int(ds.inv_eps.values[0])
        claim = dict(
            errors=err["adam"][inv], converged=err["converged"][inv], paper=PAPER_TABLE9, inv_eps=inv, scale=opt.scale
        )
    else:
        claim = dict(errors=err["adam"], converged=err["converged"], paper=PAPER_TABLE10, scale=opt.scale)
    prm = ds.attrs["provenance"]["params"]
    notes = [
        f"DC-RNN, IMEX-BDF-2 fitting, K = 2; Adam {prm['adam']['steps']} steps at lr {prm['adam']['lr']:g}; "
        f"sparsity gamma = {prm['gamma_rel']:g} x the zero model's L1 data loss (column gamma)."
    ]
    return ExampleTable(t, rows, notes, claim)


def _lasso(t: int, ds: xr.Dataset, opt: TableOptions) -> ExampleTable:
    rows = []
    for m in ds.method.values:
        for tg in ds.target.values:
            for inv in ds.inv_eps.values:
                s = ds.sel({"method": m, "target": tg, "inv_eps": inv})
                rows.append(
                    {
                        "method": f"{m} [{tg} d_t]",
                        "inv_eps": int(inv),
                        "error_pct": float(s.error),
                        "paper_error_pct": PAPER_TABLE12["lasso"].get(int(inv)) if "lasso (best" in str(m) else None,
                        "nnz": int(s.nnz),
                        "max_spurious": float(s.max_spurious),
                        **coefficient_columns(s.coefficient.values, exact_coefficients(int(inv))),
                    }
                )
    label, drows, derr = dcrnn_rows(_dcrnn(t, opt), [int(k) for k in ds.inv_eps.values], PAPER_TABLE12["dc-rnn"])
    rows += drows
    lasso = {
        int(k): float(ds.error.sel({"method": "lasso (best alpha)", "target": "central", "inv_eps": k}))
        for k in ds.inv_eps.values
    }
    others = {
        f"{m} [{tg}]": {
            int(k): float(ds.error.sel({"method": m, "target": tg, "inv_eps": k})) for k in ds.inv_eps.values
        }
        for m in ds.method.values
        for tg in ds.target.values
        if not (m == "lasso (best alpha)" and tg == "central")
    }
    claim = dict(
        dcrnn=derr[opt.protocol],
        lasso=lasso,
        others=others,
        paper=PAPER_TABLE12,
        dcrnn_label=f"{label}, {opt.protocol} fits",
        scale=opt.scale,
    )
    return ExampleTable(t, rows, [], claim)


def _pinn(t: int, ds: xr.Dataset, opt: TableOptions) -> ExampleTable:
    inv = int(ds.inv_eps)
    rows = []
    for v in ds.variant.values:
        s = ds.sel(variant=v)
        rows.append(
            {
                "variant": "no PT-expansion (Eq. 6.8)" if v == "plain" else "PT-expansion (Eq. 6.10)",
                "inv_eps": inv,
                "error_pct": float(s.error),
                "lstsq_error_pct": float(s.lstsq_error),
                "eps_pred": float(s.eps_pred),
                "seconds": float(s.seconds),
                "paper": "LARGE" if v == "plain" else "Small",
                **coefficient_columns(s.coefficient.values, exact_coefficients(inv)),
            }
        )
    cs = opt.claim_settings
    claim = dict(
        plain=float(ds.error.sel(variant="plain")),
        pt=float(ds.error.sel(variant="pt")),
        inv_eps=inv,
        fail_above=cs["pinn_fail_above"],
        pass_below=cs["pinn_pass_below"],
        scale=opt.scale,
    )
    notes = [
        "lstsq_error_pct: Error% of the least-squares coefficients of the final networks (what the "
        "networks' derivatives allow)."
    ]
    return ExampleTable(t, rows, notes, claim)


def _ms_hdl(t: int, ds: xr.Dataset, opt: TableOptions) -> ExampleTable:
    rows = []
    for cv in ds.convention.values:
        for inv in ds.inv_eps.values:
            s = ds.sel({"convention": cv, "inv_eps": inv})
            rows.append(
                {
                    "method": f"MS-HDL [dt_j: {cv}]",
                    "inv_eps": int(inv),
                    "error_pct": float(s.error),
                    "paper_error_pct": PAPER_TABLE14["ms-hdl"].get(int(inv)),
                    **coefficient_columns(s.coefficient.values, exact_coefficients(int(inv))),
                }
            )
    label, drows, derr = dcrnn_rows(_dcrnn(t, opt), [int(k) for k in ds.inv_eps.values], PAPER_TABLE14["dc-rnn"])
    rows += drows
    errs = {
        str(cv): {int(k): float(ds.error.sel({"convention": cv, "inv_eps": k})) for k in ds.inv_eps.values}
        for cv in ds.convention.values
    }
    primary = str(ds.convention.values[0])
    claim = dict(
        dcrnn=derr[opt.protocol],
        ms_hdl=errs[primary],
        others={k: v for k, v in errs.items() if k != primary},
        paper=PAPER_TABLE14,
        factor=opt.claim_settings["mshdl_factor"],
        dcrnn_label=f"{label}, {opt.protocol} fits",
        scale=opt.scale,
    )
    notes = [
        "MS-HDL data: each scale part generated alone (exact in time per Fourier mode, centred operators) "
        "from the unsplit data's initial density; dt_j conventions: eps^j = dt eps^j (primary), "
        "paper = dt / eps^j as printed, swapped = fast at dt, medium at dt / eps."
    ]
    return ExampleTable(t, rows, notes, claim)


def _limit(t: int, ds: xr.Dataset, opt: TableOptions) -> ExampleTable:
    rows, coefs, split = [], {}, {}
    for inv in ds.inv_eps.values:
        s = ds.sel(inv_eps=inv)
        c = [float(x) for x in s.coefficient.values]
        coefs[int(inv)] = tuple(c)
        pp = [float(x) for x in s.paper.values]
        r = {
            "inv_eps": int(inv),
            "c[d_xx rho]": c[0],
            "c[<v d_x g>]": c[1],
            "paper c[d_xx rho]": pp[0],
            "paper c[<v d_x g>]": pp[1],
        }
        for fs in s.fit_scheme.values:
            for fm in s.form.values:
                r[f"one-term residual {fm} [{fs}]"] = float(s.one_term_residual.sel(fit_scheme=fs, form=fm))
        if "two_term" in s:
            for k in s.stride.values:
                tt = [float(x) for x in s.two_term.sel(stride=k).values]
                r[f"two-term optimum (d_xx rho, <v d_x g>) [dt x {int(k)}]"] = f"({tt[0]:.4f}, {tt[1]:.4f})"
                split.setdefault(int(inv), {})[int(k)] = tuple(tt)
        rows.append(r)
    cs = opt.claim_settings
    claim = dict(
        coefficients=coefs,
        paper={k: v for k, v in PAPER_TABLE15.items() if k in coefs},
        tol=cs["limit_tol"],
        limit_from=cs["limit_from"],
        scale=opt.scale,
    )
    if split:  # stores written before the two-term evidence have none
        claim.update(split=split, dt_data=float(ds.dt_data.values[-1]))
    notes = [
        "rho-equation DC-RNN (K = 1, dictionary v d_x on g and d_xx on rho), forward-Euler fitting, Adam then "
        "L-BFGS with the l1 penalty. One-term residuals: relative l2 residual of the best d_t rho = c <v d_x g> "
        "(kinetic) or c d_xx rho (diffusion) with the word at t_n (fe) or t_{n+1} (be)."
    ]
    return ExampleTable(t, rows, notes, claim)


def _dcrnn(t: int, opt: TableOptions) -> xr.Dataset:
    if opt.dcrnn is None:
        raise ValueError(f"Table {t} needs the DC-RNN fit store (TableOptions.dcrnn)")
    return opt.dcrnn


#: table -> builder(table, fit store, options) -> ExampleTable
EXAMPLE_TABLES: dict[int, Callable[[int, xr.Dataset, TableOptions], ExampleTable]] = {
    9: _regularization,
    10: _regularization,
    12: _lasso,
    13: _pinn,
    14: _ms_hdl,
    15: _limit,
}


def example_table(table: int, fits: xr.Dataset, options: TableOptions | None = None) -> ExampleTable:
    """Rows, notes and claim inputs of example ``table`` (9, 10, 12, 13, 14, 15) from its fit store."""
    if table not in EXAMPLE_TABLES:
        raise ValueError(f"table must be one of {sorted(EXAMPLE_TABLES)}, got {table!r}")
    return EXAMPLE_TABLES[table](table, fits, options or TableOptions())

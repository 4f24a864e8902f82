"""Table 15 of Delgadillo, Hu, Yang (DC-RNN), Example 6.10: the rho-equation in the diffusion limit
(sigma_S = 1/3, so the limit d_t rho = d_xx rho has unit diffusivity 1/(3 sigma_S)).

Choice the paper leaves open (reference facts Sects. 3.7, 5, 6, 8) and made here: Table 15 learns the
rho-equation d_t rho = <F(g, rho)> with the DC-RNN, dictionary A = v d_x on g and D = d_xx on rho, K = 1 (words
<v d_x g>, <(v d_x)^2 g>, d_xx rho, d_xx^2 rho), forward-Euler fitting (Eq. 4.4), Adam then L-BFGS (the paper:
L-BFGS-B; with no bounds the two coincide) with the l1 sparsity, gamma = ``gamma_rel`` x the zero model's L1
data loss (:func:`~coarsepde.kinetic.training.zero_model_loss`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
import xarray as xr

from coarsepde.kinetic.dcrnn import MultiscaleDCRNN
from coarsepde.kinetic.experiments import string_array
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.polynomial import Term
from coarsepde.kinetic.protocols import AdamSettings, Lbfgs, Penalties
from coarsepde.kinetic.training import fit, zero_model_loss

__all__ = ["PAPER_TABLE15", "LIMIT_WORDS", "SPLIT_STRIDES", "single_term_residuals", "two_term_split", "limit_fits"]

#: snapshot strides of :func:`two_term_split` (dt_data x 1, 2, 4, 8)
SPLIT_STRIDES = (1, 2, 4, 8)

#: Table 15: (d_xx rho, <v d_x g>) coefficients by 1/eps (the 1/4096 row is garbled in the text).
PAPER_TABLE15 = {
    16: (-0.000141, -0.993171),
    256: (-0.0436861, -1.042619),
    2048: (0.985353, -0.003806),
    4096: (0.985596, -0.010862),
}


LIMIT_WORDS: dict[str, Term] = {
    "d_xx rho": Term(("D",), "rho"),
    "<v d_x g>": Term(("P", "A"), "g"),
}


def single_term_residuals(data: FitData, schemes: Sequence[str] = ("fe", "be")) -> dict[str, dict[str, float]]:
    """Evidence for Table 15: the best one-term rho-equation of each form, d_t rho = c <v d_x g> (kinetic,
    Eq. 2.4) or d_t rho = c d_xx rho (Chapman-Enskog, Eq. 2.7), by l2 least squares under each fitting scheme
    ("fe": the word at t_n, "be": at t_{n+1}). Returns {scheme: {form: relative residual, form + " coef": c}}."""
    ops = data.ops
    with torch.no_grad():
        kin = -ops.average(ops.advect(data.g))
        dif = ops.dxx(data.rho)
        y = data.rho[1:] - data.rho[:-1]
        out = {}
        for sch in schemes:
            if sch not in ("fe", "be"):
                raise ValueError(f"scheme must be 'fe' or 'be', got {sch!r}")
            sl = slice(None, -1) if sch == "fe" else slice(1, None)
            row = {}
            for form, F in (("kinetic", kin), ("diffusion", dif)):
                X = data.dt * F[sl]
                c = float((X * y).sum() / (X * X).sum())
                row[form] = float((y - c * X).norm() / y.norm())
                row[form + " coef"] = c
            out[sch] = row
    return out


def two_term_split(data: FitData, strides: Sequence[int] = SPLIT_STRIDES) -> np.ndarray:
    """Evidence for Table 15: the l2 optimum of the two-term rho-equation d_t rho = c1 d_xx rho + c2 <v d_x g>
    under forward-Euler fitting (the words at t_n, Eq. 4.4), on the data subsampled to every ``stride``-th snapshot
    (dt_data x stride). In the diffusion limit the two words are nearly collinear (<v d_x g> = -d_xx rho to
    leading order in eps for sigma_S = 1/3), so the data fix c1 - c2 (= 1, unit diffusivity) and the split between
    them is decided by the time step and the initial layer. Returns (len(strides), 3): c1, c2, relative l2 residual."""
    ops = data.ops
    with torch.no_grad():
        pvg, dxx = ops.average(ops.advect(data.g)), ops.dxx(data.rho)
        out = []
        for k in strides:
            idx = slice(0, data.g.shape[0], int(k))
            rho, a, b = data.rho[idx], dxx[idx][:-1], pvg[idx][:-1]
            y = (rho[1:] - rho[:-1]).reshape(-1, 1)
            X = (data.dt * k) * torch.stack([a.reshape(-1), b.reshape(-1)], 1)
            c = torch.linalg.lstsq(X, y).solution
            out.append([float(c[0]), float(c[1]), float((y - X @ c).norm() / y.norm())])
    return np.array(out)


def limit_fits(
    datasets: Mapping[float, FitData],
    *,
    K: int = 1,
    scheme: str = "fe",
    adam_steps: int,
    lr: float,
    lbfgs_steps: int,
    gamma_rel: float,
    init: float = 0.5,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Table 15: the rho-equation DC-RNN (module docstring) fit by Adam then L-BFGS on the L1 loss + gamma
    ||theta||_1 (gamma = gamma_rel x the zero model's loss), for every eps. Returns every learned word's
    coefficient (true sign, d_t rho = sum c_w w), the two table coefficients, the final losses, the one-term
    residuals of :func:`single_term_residuals` and the wall time."""
    eps_list = sorted(datasets, reverse=True)
    rows, words = [], set()
    for e in eps_list:
        data = datasets[e]
        torch.manual_seed(seed)
        model = MultiscaleDCRNN(
            ("A",), ("D",), K=K, M=0, learn_relaxation=False, bias=False, init=init, operators=data.ops, equation="rho"
        )
        gamma = gamma_rel * zero_model_loss(data, scheme, "l1", "rho")
        t0 = time.perf_counter()
        hist = fit(
            model,
            data,
            scheme,
            adam=AdamSettings(adam_steps, lr, seed=seed),
            lbfgs=Lbfgs(lbfgs_steps, ("l1",)) if lbfgs_steps else None,
            norm="l1",
            penalties=Penalties(sparsity=gamma),
        )
        secs = time.perf_counter() - t0
        with torch.no_grad():
            poly = model.coefficients().numeric()
        coefs = {str(t): float(c) for t, c in poly.items()}
        words |= set(coefs)
        row = {
            "eps": e,
            "words": coefs,
            "gamma": gamma,
            "loss": hist.final_loss,
            "seconds": secs,
            "table": [float(poly.terms.get(t, 0.0)) for t in LIMIT_WORDS.values()],
            "single": single_term_residuals(data),
            "split": two_term_split(data),
            "dt": float(data.dt),
        }
        if log:
            log(
                f"[Table 15] 1/eps = {1 / e:g}: d_xx rho {row['table'][0]:.6f}, <v d_x g> {row['table'][1]:.6f} "
                f"({secs:.1f} s); one-term residuals {row['single']}"
            )
        rows.append(row)
    words = sorted(words)
    inv = np.array([round(1.0 / e) for e in eps_list])
    forms, schemes = ["kinetic", "diffusion"], ["fe", "be"]
    return xr.Dataset(
        {
            "coefficient": (
                ("inv_eps", "term"),
                np.array([r["table"] for r in rows]),
                {"long_name": "learned coefficient of the rho-equation (d_t rho = sum c term)"},
            ),
            "word_coefficient": (
                ("inv_eps", "word"),
                np.array([[r["words"].get(w, 0.0) for w in words] for r in rows]),
            ),
            "gamma": ("inv_eps", np.array([r["gamma"] for r in rows])),
            "loss": ("inv_eps", np.array([r["loss"] for r in rows]), {"long_name": "final loss (data + l1)"}),
            "seconds": ("inv_eps", np.array([r["seconds"] for r in rows]), {"units": "s"}),
            "one_term_residual": (
                ("inv_eps", "fit_scheme", "form"),
                np.array([[[r["single"][s][f] for f in forms] for s in schemes] for r in rows]),
                {"long_name": "relative l2 residual of the best one-term rho-equation"},
            ),
            "one_term_coefficient": (
                ("inv_eps", "fit_scheme", "form"),
                np.array([[[r["single"][s][f + " coef"] for f in forms] for s in schemes] for r in rows]),
            ),
            "paper": (("inv_eps", "term"), np.array([PAPER_TABLE15.get(int(k), (np.nan, np.nan)) for k in inv])),
            "two_term": (
                ("inv_eps", "stride", "term"),
                np.array([r["split"][:, :2] for r in rows]),
                {"long_name": "l2 optimum of d_t rho = c1 d_xx rho + c2 <v d_x g>, FE, data every stride-th snapshot"},
            ),
            "two_term_residual": (("inv_eps", "stride"), np.array([r["split"][:, 2] for r in rows])),
            "dt_data": ("inv_eps", np.array([r["dt"] for r in rows]), {"units": "time between snapshots"}),
        },
        coords={
            "inv_eps": inv,
            "term": string_array(LIMIT_WORDS),
            "word": string_array(words),
            "fit_scheme": string_array(schemes),
            "form": string_array(forms),
            "stride": np.array(SPLIT_STRIDES),
        },
        attrs={"table": 15, "example": "6.10", "K": int(K), "scheme": scheme},
    )

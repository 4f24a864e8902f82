"""Checks of P3 (Delgadillo, Hu, Yang), Examples 6.3-6.10: Tables 9, 10, 12-15 and Fig. 5.

Re-exported by :mod:`coarsepde.claims.p3`; each check takes plain numbers and returns one
:class:`~coarsepde.claims.rows.ClaimResult`.
"""

from __future__ import annotations

from .p3_protocols import ROW_PROTOCOL
from .rows import ClaimResult

__all__ = [
    "check_p3_table9",
    "check_p3_table10",
    "check_p3_table12",
    "check_p3_table13",
    "check_p3_table14",
    "table14_refutation",
    "check_p3_table15",
    "check_p3_fig5",
]


def _pct(v: float) -> str:
    return f"{v:.3g}%"


def check_p3_table9(
    *,
    errors: dict[str, float],
    converged: dict[str, float],
    paper: dict[str, float],
    inv_eps: int,
    scale: str,
    protocol: str = "adam",
) -> ClaimResult:
    """P3-table9-sparse: Error% of multiscale + sparse < multiscale < plain, on the fits of ``protocol`` ("adam":
    ``errors``; "converged": ``converged``); both are reported."""
    e = errors if protocol == "adam" else converged
    passed = bool(e["multiscale + sparse"] < e["multiscale"] < e["plain"])
    return ClaimResult(
        id="P3-table9-sparse",
        claim=f"[{protocol} fits] At eps = 1/{inv_eps} (IMEX-BDF-2, K = 2): Error% multiscale + sparse < "
        "multiscale < plain.",
        paper_value=", ".join(f"{k} {_pct(v)}" for k, v in paper.items()) + " (from the printed differences)",
        reproduced_value="adam fits: "
        + ", ".join(f"{k} {_pct(v)}" for k, v in errors.items())
        + "; converged fits: "
        + ", ".join(f"{k} {_pct(v)}" for k, v in converged.items()),
        tolerance="strict ordering",
        passed=passed,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table10(
    *,
    errors: dict[int, dict[str, float]],
    converged: dict[int, dict[str, float]],
    paper: dict[str, dict[int, float]],
    scale: str,
    protocol: str = "adam",
) -> ClaimResult:
    """P3-table10-mass: the <g> = 0 penalty lowers the Error% at every eps of Table 10, on the fits of
    ``protocol`` ("adam": ``errors``; "converged": ``converged``); both are reported."""
    scored = errors if protocol == "adam" else converged
    fails = [f"1/{k}" for k, e in sorted(scored.items()) if not e["<g> = 0"] < e["no <g> = 0"]]

    def fmt(d):
        return "; ".join(
            f"1/{k}: without {_pct(e['no <g> = 0'])}, with {_pct(e['<g> = 0'])}" for k, e in sorted(d.items())
        )

    return ClaimResult(
        id="P3-table10-mass",
        claim=f"[{protocol} fits] The <g> = 0 penalty (Eq. 4.15) lowers the Error% at eps = "
        + ", ".join(f"1/{k}" for k in sorted(errors))
        + ".",
        paper_value="; ".join(
            f"1/{k}: without {_pct(paper['no <g> = 0'][k])}, with {_pct(paper['<g> = 0'][k])}"
            for k in sorted(paper["<g> = 0"])
        ),
        reproduced_value="adam fits: "
        + fmt(errors)
        + " | converged fits: "
        + fmt(converged)
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="strictly lower",
        passed=not fails,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table12(
    *,
    dcrnn: dict[int, float],
    lasso: dict[int, float],
    others: dict[str, dict[int, float]],
    paper: dict[str, dict[int, float]],
    dcrnn_label: str,
    scale: str,
    protocol: str = "adam",
) -> ClaimResult:
    """P3-table12-lasso: DC-RNN Error% < Lasso Error% (the paper's best alpha) at every eps of Table 12; ``dcrnn``
    holds the DC-RNN fits of ``protocol`` ("adam" or "converged")."""
    fails = [f"1/{k}" for k in sorted(dcrnn) if not dcrnn[k] < lasso[k]]
    row = lambda d: ", ".join(f"1/{k} {_pct(v)}" for k, v in sorted(d.items()))  # noqa: E731
    fe = others.get("lasso (best alpha) [fe]")
    # the paper names "the best alpha" but not the d_t target; on a failure, say what the other target gives
    # (the verdict stays unexplained: neither target gives the paper's Lasso numbers)
    evidence = (
        "the d_t target, which the paper does not name, decides the row: best-alpha Lasso on the centred "
        f"difference {row(lasso)}, on the forward difference {row(fe)}, against DC-RNN {row(dcrnn)}; the paper's "
        f"Lasso {row(paper['lasso'])} lies between the two"
        if fails and fe
        else ""
    )
    return ClaimResult(
        id="P3-table12-lasso",
        claim=f"DC-RNN ({dcrnn_label}) Error% < Lasso Error% (alpha of lowest Error%, the paper's 'best alpha'; "
        "d_t target: PDE-FIND's centred difference) on the 18-term dictionary at eps = "
        + ", ".join(f"1/{k}" for k in sorted(dcrnn))
        + "; the other regressions (STRidge) are reported.",
        paper_value="Lasso " + row(paper["lasso"]) + "; DC-RNN " + row(paper["dc-rnn"]),
        reproduced_value="DC-RNN "
        + row(dcrnn)
        + "; Lasso "
        + row(lasso)
        + "; "
        + "; ".join(f"{k} {row(v)}" for k, v in others.items())
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance="strictly lower",
        passed=not fails,
        evidence=evidence,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def table14_refutation(
    *, dcrnn: dict[int, float], ms_hdl: dict[int, float], others: dict[str, dict[int, float]], factor: float
) -> str:
    """The measurement that refutes P3-table14-mshdl on the converged DC-RNN fits, or "": at every eps where
    the converged DC-RNN (the optimum of its ansatz on the unsplit data) exceeds ``factor`` x MS-HDL with steps
    dt eps^j, while the printed steps dt / eps^j (``others["paper"]``) fail (> 50 %), so the printed steps
    cannot be what gave the paper's MS-HDL rows (0.094, 0.070 %) and the consistent reading is the setup."""
    printed = others.get("paper", {})
    fails = [k for k in sorted(dcrnn) if not dcrnn[k] <= factor * ms_hdl[k]]
    if not fails or not printed or not all(printed.get(k, 0.0) > 50.0 for k in dcrnn):
        return ""
    return (
        "on perfectly split data MS-HDL with dt_j = dt eps^j is "
        + ", ".join(f"1/{k} {_pct(ms_hdl[k])}" for k in fails)
        + ", below 1/"
        + f"{factor:g} of the converged DC-RNN optimum on the unsplit data ("
        + ", ".join(f"1/{k} {_pct(dcrnn[k])}" for k in fails)
        + "): no DC-RNN fit of this ansatz comes within the factor; the printed dt_j = dt / eps^j gives "
        + ", ".join(f"1/{k} {_pct(v)}" for k, v in sorted(printed.items()))
        + ", so it is not what produced the paper's MS-HDL 0.094 / 0.070 % (a typo, reference Sect. 6.6)"
    )


def check_p3_table13(
    *, plain: float, pt: float, inv_eps: int, fail_above: float, pass_below: float, scale: str
) -> ClaimResult:
    """P3-table13-pinn: the PINN-style fit fails without the perturbation expansion and succeeds with it."""
    return ClaimResult(
        id="P3-table13-pinn",
        claim=f"PINN-style fit at eps = 1/{inv_eps}: Error% > {fail_above:g}% without the perturbation expansion "
        f"(Eq. 6.8), < {pass_below:g}% with it (Eq. 6.10).",
        paper_value="without: LARGE (every coefficient off by ~ its value); with: Small",
        reproduced_value=f"without {_pct(plain)}, with {_pct(pt)}",
        tolerance=f"> {fail_above:g}% / < {pass_below:g}%",
        passed=bool(plain > fail_above and pt < pass_below),
        scale=scale,
    )


def check_p3_table14(
    *,
    dcrnn: dict[int, float],
    ms_hdl: dict[int, float],
    others: dict[str, dict[int, float]],
    paper: dict[str, dict[int, float]],
    factor: float,
    dcrnn_label: str,
    scale: str,
    protocol: str = "adam",
) -> ClaimResult:
    """P3-table14-mshdl: DC-RNN (unsplit data) Error% <= factor x MS-HDL's (perfectly split data); ``dcrnn``
    holds the DC-RNN fits of ``protocol`` ("adam" or "converged")."""
    fails = [f"1/{k}" for k in sorted(dcrnn) if not dcrnn[k] <= factor * ms_hdl[k]]
    row = lambda d: ", ".join(f"1/{k} {_pct(v)}" for k, v in sorted(d.items()))  # noqa: E731
    return ClaimResult(
        id="P3-table14-mshdl",
        claim=f"DC-RNN ({dcrnn_label}, unsplit data) Error% <= {factor:g} x MS-HDL's (data split by scale, "
        "dt_j = dt eps^j) at eps = " + ", ".join(f"1/{k}" for k in sorted(dcrnn)) + ".",
        paper_value="MS-HDL "
        + row(paper["ms-hdl"])
        + "; DC-RNN "
        + row(paper["dc-rnn"])
        + " (1/128 printed 0.010%, its own differences give 0.10%)",
        reproduced_value="DC-RNN "
        + row(dcrnn)
        + "; MS-HDL "
        + row(ms_hdl)
        + "; "
        + "; ".join(f"MS-HDL ({k}) {row(v)}" for k, v in others.items())
        + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"<= {factor:g} x",
        passed=not fails,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )


def check_p3_table15(
    *,
    coefficients: dict[int, tuple[float, float]],
    paper: dict[int, tuple[float, float]],
    tol: float,
    limit_from: int,
    scale: str,
    split: dict[int, dict[int, tuple[float, float]]] | None = None,
    dt_data: float = float("nan"),
) -> ClaimResult:
    """P3-table15-limit: (d_xx rho, <v d_x g>) coefficients: <v d_x g> within tol of -1 at the largest eps, and
    d_xx rho within tol of 1 for every 1/eps >= limit_from. Only the coefficient the claim names is scored at each
    end; the other one is reported. ``split[inv][stride]``: the two-term l2 optimum on the data every stride-th
    snapshot (:func:`~coarsepde.kinetic.diffusion_limit.two_term_split`, time step ``dt_data`` x stride); a
    failure in the limit carries it as a note: what the data fix (c1 - c2) and what the time step decides."""
    inv = sorted(coefficients)
    fails = []
    if not abs(coefficients[inv[0]][1] + 1.0) <= tol:
        fails.append(f"1/{inv[0]}: <v d_x g> {coefficients[inv[0]][1]:.4f}")
    limit = [k for k in inv if k >= limit_from]
    fails += [f"1/{k}: d_xx rho {coefficients[k][0]:.4f}" for k in limit if not abs(coefficients[k][0] - 1.0) <= tol]
    if not limit:
        fails.append(f"no eps <= 1/{limit_from} evaluated")
    fmt = lambda d: "; ".join(f"1/{k}: d_xx rho {d[k][0]:.4f}, <v d_x g> {d[k][1]:.4f}" for k in sorted(d))  # noqa: E731
    note = ""
    if fails and split and limit:
        parts = []
        for k in limit:
            if k in split:
                sp = split[k]
                s1 = sp[min(sp)]
                parts.append(
                    f"1/{k}: two-term FE l2 optimum ({s1[0]:.4f}, {s1[1]:.4f}), c1 - c2 = {s1[0] - s1[1]:.4f}; d_xx rho "
                    + ", ".join(f"{sp[j][0]:.3f} at dt_data x {j}" for j in sorted(sp))
                )
        note = (
            f"not scored, a measurement: in the limit <v d_x g> ~ -d_xx rho, so the data fix c1 - c2 (unit "
            f"diffusivity) and the split "
            f"follows the data time step (dt_data = {dt_data:.3g}; the paper does not state Example 6.10's): "
            + "; ".join(parts)
        )
    return ClaimResult(
        id="P3-table15-limit",
        claim=f"Learned rho-equation (sigma_S = 1/3): coefficient of <v d_x g> within {tol:g} of -1 at eps = "
        f"1/{inv[0]}, and of d_xx rho within {tol:g} of 1 for every eps <= 1/{limit_from} evaluated (diffusion "
        "limit); the other coefficient at each end is reported, not scored.",
        paper_value=fmt(paper),
        reproduced_value=fmt(coefficients) + (f"; failing: {', '.join(fails)}" if fails else ""),
        tolerance=f"+-{tol:g}",
        passed=not fails,
        scale=scale,
        evidence=note,
    )


def check_p3_fig5(
    *,
    tv: dict[str, float],
    max_error: dict[str, float],
    true_tv: float,
    true_range: float,
    scale: str,
    protocol: str = "adam",
) -> ClaimResult:
    """P3-fig5-sigma: with the continuity penalty the learned sigma_S(x) has lower total variation and lower max
    error than without. Both fits must have learned sigma_S first (max error below half the truth's range, the
    project's threshold: the paper's two panels both follow the truth), else two fits that learned nothing
    would be compared on noise."""
    learned = {v: bool(max_error[v] < 0.5 * true_range) for v in ("plain", "continuity")}
    passed = bool(
        all(learned.values()) and tv["continuity"] < tv["plain"] and max_error["continuity"] < max_error["plain"]
    )
    unlearned = [v for v, ok in learned.items() if not ok]
    return ClaimResult(
        id="P3-fig5-sigma",
        claim=f"[{protocol} fits] Learned sigma_S(x) (sigma_S = 1 + 100 x^2, eps = 1): both fits learn sigma_S (max "
        f"error < half the truth's range, {0.5 * true_range:.4g}; the project's threshold), and with the continuity "
        "penalty (Eq. 4.18) its total variation and its max error vs the truth are lower than without.",
        paper_value="without: jumps (over-fitting), range [1.100, 96.243]; with: smooth, range [1.060, 96.107]",
        reproduced_value=(
            f"TV without {tv['plain']:.4g}, with {tv['continuity']:.4g} (truth {true_tv:.4g}); max error "
            f"without {max_error['plain']:.4g}, with {max_error['continuity']:.4g}"
            + (f"; not learned: {', '.join(unlearned)}" if unlearned else "")
        ),
        tolerance=f"max error < {0.5 * true_range:.4g}; strictly lower (both)",
        passed=passed,
        scale=scale,
        protocol=ROW_PROTOCOL[protocol],
    )

#!/usr/bin/env python
"""P2 2D figures (Arbabi et al. Figs. 6, 7, 8), drawn against both homogenized references, and their claims.

Figs. 7 and 8 also draw the project's variants (``--variant-evaluation``: models not in the paper, e.g. the
mean-conserving flux form) beside the published models; the claims are scored on the published ones."""

import argparse

import numpy as np

from coarsepde.claims import check_p2_fig6_rhs2d, check_p2_fig7_traj2d, check_p2_fig8_phase, write_fragments
from coarsepde.homogenization.lattice2d import amplitude_distance
from coarsepde.plotting import plt, save
from coarsepde.store import read_dataset

REFS = {"eq27": "Eq. (27) as printed", "full": "full cell-problem tensor"}


def _img(ax, field, title, cmap="RdGy", sym=True):
    v = np.nanmax(np.abs(field)) if sym else None
    im = ax.imshow(
        np.asarray(field).T,
        origin="lower",
        extent=(0, 2 * np.pi, 0, 2 * np.pi),
        cmap=cmap,
        vmin=-v if sym else None,
        vmax=v if sym else None,
    )
    ax.set_title(title, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    plt.colorbar(im, ax=ax, fraction=0.046)


def fig6(args, evals, ref):
    traj = int(evals["functional"].trajectory.values[-1])
    times = [
        float(ref.time.values[min(5, ref.sizes["time"] - 1)]),
        float(ref.time.values[int(0.9 * (ref.sizes["time"] - 1))]),
    ]
    fig, axes = plt.subplots(2, 5, figsize=(11, 4.2), layout="constrained")
    for row, t in enumerate(times):
        truth = ref.dUdt_eq27.sel(trajectory=traj, time=t).values
        full = ref.dUdt_full.sel(trajectory=traj, time=t).values
        _img(axes[row, 0], truth, f"d_t u, Eq. 27, t = {t:.2f}")
        for k, (arch, ev) in enumerate(evals.items()):
            pred = ev.dUdt_pred.sel(trajectory=traj, time=t).values
            _img(
                axes[row, 1 + 2 * k],
                pred - truth,
                f"{arch} - Eq. 27 ({np.linalg.norm(pred - truth) / np.linalg.norm(truth):.1%})",
            )
            _img(
                axes[row, 2 + 2 * k],
                pred - full,
                f"{arch} - full K ({np.linalg.norm(pred - full) / np.linalg.norm(full):.1%})",
            )
    save(fig, args.output)
    rel = {a: {r: ev[f"rhs_rel_err_{r}"].values for r in REFS} for a, ev in evals.items()}
    norm = {r: evals["functional"][f"rhs_norm_{r}"].values for r in REFS}
    write_fragments([check_p2_fig6_rhs2d(rel_err=rel, rhs_norm=norm, scale=args.scale)], args.claim)


def _label(arch, variants):
    return f"{arch} (variant)" if arch in variants else arch


def _drift(ev, r="full"):
    """The late-time split of one evaluation store against reference ``r`` (claim P2-fig7-traj2d's evidence)."""
    mse = ev[f"mse_time_{r}"].values[-1]
    zero = int(np.argmin(np.abs(ev.level.values)))
    return {
        "rhs_zero": float(ev.rhs_at_constant.values[zero]),
        "growth": float(ev.growth_rate_at_zero.values),
        "mean_share": float(ev[f"mse_time_mean_{r}"].values[-1] / mse),
        "mean_end": float(np.abs(ev.mean_integrated.values[:, -1]).max()),
        "demeaned": float(np.sqrt(ev[f"mse_time_demeaned_{r}"].values[-1])),
        "amp_ratio": float(ev[f"amplitude_ratio_{r}"].values[-1]),
        "new_share": float(ev[f"new_mode_share_{r}"].values[-1]),
    }


def _early_late(ev, mask):
    # pooled over the test trajectories (a per-trajectory ratio explodes for a trajectory that decays to ~0)
    early = {r: float(np.sqrt(ev[f"mse_time_{r}"].values[mask].max())) for r in REFS}
    late = {r: float(np.sqrt(ev[f"mse_time_{r}"].values[-1])) for r in REFS}
    return early, late


def _data_early(ev, ref, r, mask):
    """The gap-tooth data's own error against reference ``r``, pooled over the test trajectories as mse_time."""
    sq = ref[f"U_{r}"].sel(trajectory=ev.trajectory.values).values[:, mask] ** 2
    norm2 = sq.sum(axis=(2, 3))  # (trajectory, time)
    err2 = ev[f"data_rel_err_{r}"].values[:, mask] ** 2 * norm2
    return float(np.sqrt((err2.sum(axis=0) / norm2.sum(axis=0)).max()))


def fig7(args, evals, ref, variants):
    models = evals | variants
    traj = int(evals["functional"].trajectory.values[-1])
    tsel = [t for t in (0.1, 0.2, 0.5, 1.0) if t <= ref.time.values[-1] + 1e-9]
    ncol = 1 + 2 * len(models)
    fig, axes = plt.subplots(
        len(tsel), ncol, figsize=(2.2 * ncol, 2.1 * len(tsel)), layout="constrained", squeeze=False
    )
    for row, t in enumerate(tsel):
        full = ref.U_full.sel(trajectory=traj, time=t, method="nearest").values
        eq27 = ref.U_eq27.sel(trajectory=traj, time=t, method="nearest").values
        _img(axes[row, 0], full, f"u (full K), t = {t:g}")
        for k, (arch, ev) in enumerate(models.items()):
            u = ev.U_integrated.sel(trajectory=traj, time=t, method="nearest").values
            name = _label(arch, variants)
            _img(
                axes[row, 1 + 2 * k],
                u - eq27,
                f"{name} - Eq. 27 ({np.linalg.norm(u - eq27) / np.linalg.norm(eq27):.1%})",
            )
            _img(
                axes[row, 2 + 2 * k],
                u - full,
                f"{name} - full K ({np.linalg.norm(u - full) / np.linalg.norm(full):.1%})",
            )
    save(fig, args.output)
    t = evals["functional"].time.values
    mask = t <= args.early_time + 1e-12
    scored = {a: _early_late(ev, mask) for a, ev in evals.items()}
    data_early = {r: _data_early(evals["functional"], ref, r, mask) for r in REFS}
    write_fragments(
        [
            check_p2_fig7_traj2d(
                early={a: e for a, (e, _) in scored.items()},
                late={a: v for a, (_, v) in scored.items()},
                early_time=args.early_time,
                early_tol=args.early_tol,
                scale=args.scale,
                data_early=data_early,
                drift={a: _drift(ev) for a, ev in models.items()},
                variants={a: dict(zip(("early", "late"), _early_late(ev, mask))) for a, ev in variants.items()},
            )
        ],
        args.claim,
    )


def fig8(args, evals, ref, variants):
    models = evals | variants
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.0), layout="constrained")
    ax = axes[0]
    t = evals["functional"].time.values
    for k, (arch, ev) in enumerate(models.items()):
        for r, ls in (("eq27", "-"), ("full", "--")):
            ax.semilogy(
                t, ev[f"mse_time_{r}"].values, ls, color=f"C{k}", label=f"{_label(arch, variants)} vs {REFS[r]}"
            )
    for r, ls in (("eq27", "-"), ("full", "--")):
        d = evals["functional"][f"data_rel_err_{r}"].values ** 2
        ax.semilogy(t, d.mean(axis=0), ls, color="0.5", lw=0.8, label=f"gap-tooth data vs {REFS[r]}")
    ax.set_xlabel("t")
    ax.set_ylabel("relative MSE, test trajectories")
    ax.legend(fontsize=5.5)
    ax.set_title("(a)")
    ev0 = evals["functional"]
    for j in range(3):
        ax = axes[1 + j]
        # the frame is the homogenized paths' (with a margin): a diverging model leaves it instead of hiding them
        lim = 1.3 * max(np.nanmax(ev0[f"amp_ref_{r}"].values[:, 2 * j : 2 * j + 2]) for r in REFS)
        for r, ls in (("eq27", "k-"), ("full", "k--")):
            a = ev0[f"amp_ref_{r}"].values
            ax.plot(a[:, 2 * j], a[:, 2 * j + 1], ls, lw=1.2, label=f"homogenized ({REFS[r]})")
        for k, (arch, ev) in enumerate(models.items()):
            a = ev["amp_nn_eq27"].values
            off = " (leaves the frame)" if not np.nanmax(a[:, 2 * j : 2 * j + 2]) <= lim else ""
            ax.plot(a[:, 2 * j], a[:, 2 * j + 1], ".", color=f"C{k}", ms=2.5, label=_label(arch, variants) + off)
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        m = ev0["fmode_index_eq27"].values
        ax.set_xlabel(f"|a({m[2 * j, 0]},{m[2 * j, 1]})|")
        ax.set_ylabel(f"|a({m[2 * j + 1, 0]},{m[2 * j + 1, 1]})|")
        ax.set_title(f"({'bcd'[j]})")
        if j == 0:
            ax.legend(fontsize=5.5)
    # (e), not in the paper: the spatial mean, which the homogenized operator conserves (0 here)
    ax = axes[4]
    uh = ref.U_full.sel(trajectory=ev0.trajectory.values).values
    ax.semilogy(t, np.sqrt(np.mean(uh**2, axis=(0, 2, 3))), "k--", lw=1.2, label="RMS of u, homogenized (full K)")
    for k, (arch, ev) in enumerate(models.items()):
        m = np.sqrt(np.mean(ev.mean_integrated.values**2, axis=0))
        ax.semilogy(t, np.maximum(m, 1e-300), color=f"C{k}", label=f"|spatial mean|, {_label(arch, variants)}")
    ax.set_xlabel("t")
    ax.set_title("(e) |spatial mean| (homogenized: 0)", fontsize=8)
    ax.legend(fontsize=5.5)
    save(fig, args.output)

    def phase(ev):
        distance = {r: amplitude_distance(ev[f"amp_nn_{r}"].values, ev[f"amp_ref_{r}"].values) for r in REFS}
        return distance, {r: float(ev[f"mse_time_{r}"].values[-1]) for r in REFS}

    scored = {a: phase(ev) for a, ev in evals.items()}
    write_fragments(
        [
            check_p2_fig8_phase(
                distance={a: d for a, (d, _) in scored.items()},
                mse_end={a: m for a, (_, m) in scored.items()},
                scale=args.scale,
                variants={a: dict(zip(("distance", "mse_end"), phase(ev))) for a, ev in variants.items()},
            )
        ],
        args.claim,
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("figure", choices=["6", "7", "8"])
    p.add_argument("--reference", required=True)
    p.add_argument("--evaluation", nargs=2, required=True, help="functional and discretized evaluation stores")
    p.add_argument(
        "--variant-evaluation", nargs="*", default=[], help="evaluation stores of variants (Figs. 7, 8; named by arch)"
    )
    p.add_argument("--early-time", type=float, required=True)
    p.add_argument("--early-tol", type=float, required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--claim", required=True)
    args = p.parse_args(argv)
    evals = {a: read_dataset(f) for a, f in zip(("functional", "discretized"), args.evaluation)}
    ref = read_dataset(args.reference)
    if args.figure == "6":
        fig6(args, evals, ref)
        return
    variants = {ds.attrs["arch"]: ds for ds in map(read_dataset, args.variant_evaluation)}
    {"7": fig7, "8": fig8}[args.figure](args, evals, ref, variants)


if __name__ == "__main__":
    main()

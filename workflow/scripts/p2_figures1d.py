#!/usr/bin/env python
"""P2 1D figures (Arbabi et al. Figs. 1, 2, 4, 5) and their claim checks; one figure per call."""

import argparse
import json

import numpy as np

from coarsepde.claims import (
    check_p2_cost,
    check_p2_fig1_grid,
    check_p2_fig2_snapshot,
    check_p2_fig4_rhs,
    check_p2_fig5_integrate,
    write_fragments,
)
from coarsepde.plotting import figure, panel_label, plt, save
from coarsepde.store import read_dataset


def fig1(args):
    """Space-time grids of gap-tooth (left) and patch dynamics (right), from the configured geometry.
    Tooth and patch widths are drawn magnified (stated on the figure): at true scale they are invisible."""
    data = read_dataset(args.data)
    x = data.x.values
    xc = x[1:-1]
    h, H, burst, Dt = args.tooth_width, args.patch_width, args.burst, args.macro_dt
    mag, mag_h = args.magnify, args.magnify * 20  # teeth magnified more than patches, or they vanish
    fig, axes = figure(ncols=2, width=3.3, height=2.8)
    n_show = 4
    for ax, kind in zip(axes[0], ("gap-tooth", "patch dynamics")):
        for c in xc:
            for n in range(n_show):
                t0 = n * Dt
                if kind == "gap-tooth":
                    ax.add_patch(plt.Rectangle((c - mag_h * h / 2, t0), mag_h * h, Dt, fc="C0", alpha=0.5, ec="C0"))
                else:
                    tb = max(burst * args.time_magnify, 0.0)
                    ax.add_patch(plt.Rectangle((c - mag * H / 2, t0), mag * H, tb, fc="C1", alpha=0.35, ec="C1"))
                    ax.add_patch(plt.Rectangle((c - mag_h * h / 2, t0), mag_h * h, tb, fc="C0", alpha=0.8, ec="C0"))
                    ax.annotate(
                        "", xy=(c, t0 + Dt), xytext=(c, t0 + tb), arrowprops=dict(arrowstyle="->", lw=0.6, color="0.4")
                    )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, (n_show + 1.4) * Dt)
        ax.set_xlabel("x")
        ax.set_ylabel("t")
        ax.set_yticks(np.arange(n_show + 1) * Dt)
        ax.set_title(kind)
    axes[0, 0].text(
        0.02,
        0.97,
        f"teeth h = {h:g} (drawn x{mag_h:g})\nmacro step {Dt:g}: teeth run all the time",
        transform=axes[0, 0].transAxes,
        va="top",
        fontsize=7,
        bbox=dict(fc="w", alpha=0.8),
    )
    axes[0, 1].text(
        0.02,
        0.97,
        f"teeth h = {h:g} (x{mag_h:g}), patches H = {H:g} (x{mag:g})\nburst dt = {burst:g} (x{args.time_magnify:g}), "
        f"projective step {Dt:g}\n{100 * data.attrs['space_fraction']:.1f}% of space, "
        f"{100 * data.attrs['time_fraction']:.2f}% of time",
        transform=axes[0, 1].transAxes,
        va="top",
        fontsize=7,
        bbox=dict(fc="w", alpha=0.8),
    )
    panel_label(axes[0, 0], "a")
    panel_label(axes[0, 1], "b")
    save(fig, args.output)
    write_fragments(
        [
            check_p2_fig1_grid(
                space_fraction=data.attrs["space_fraction"],
                time_fraction=data.attrs["time_fraction"],
                n_patches=xc.size,
                scale=args.scale,
            )
        ],
        args.claim,
    )


def fig2(args):
    from coarsepde.homogenization.problem1d import dominant_period, relative_l2

    fr = read_dataset(args.fully_resolved)
    ref = read_dataset(args.reference)
    t = fr.attrs["t_final"]
    hom = ref.U.isel(trajectory=fr.attrs["trajectory"]).sel(time=t, method="nearest").values
    stride = (ref.sizes["x"] - 1) // (fr.sizes["x_macro"] - 1)
    fig = plt.figure(figsize=(6.8, 4.6), layout="constrained")
    gs = fig.add_gridspec(2, 2)
    ax = fig.add_subplot(gs[0, :])
    ax.plot(fr.x_ref, fr.u_fully_resolved_smooth, "k-", lw=2.5, alpha=0.35, label="fully resolved (period averages)")
    ax.plot(ref.x, hom, "C0--", label="homogenized (Eq. 22)")
    ax.plot(fr.x_macro, fr.U_patch, "C3o", label="patch dynamics")
    ax.plot(fr.x_macro, fr.U_homog_macro, "C2+", ms=8, label="homogenized FD on the macro grid")
    ax.set_xlabel("x")
    ax.set_ylabel(f"u(x, t = {t:g})")
    ax.legend()
    panel_label(ax, "a")
    for k, (xv, uv, name) in enumerate(
        (
            (fr.x_zoom, fr.u_fully_resolved_zoom, "fully resolved"),
            (fr.x_zoom_patch, fr.u_patch_zoom, "patch dynamics (after the burst)"),
        )
    ):
        ax = fig.add_subplot(gs[1, k])
        ax.plot((xv - xv.mean()) / args.eps, uv, "-", color="k" if k == 0 else "C3", lw=1)
        ax.set_xlabel(f"(x - {float(xv.mean()):.4g}) / eps")
        ax.set_ylabel("u")
        ax.set_title(f"zoom: {name}", fontsize=8)
        ax.ticklabel_format(axis="y", useOffset=False)
        panel_label(ax, "bc"[k])
    save(fig, args.output)

    homn = hom[::stride]
    period = dominant_period(fr.x_zoom.values, fr.u_fully_resolved_zoom.values)
    timing = json.loads(open(args.timing).read())
    write_fragments(
        [
            check_p2_fig2_snapshot(
                rel_fr_homog=relative_l2(fr.U_fully_resolved.values, homn),
                rel_pd_homog=relative_l2(fr.U_patch.values, homn),
                rel_pd_fr=relative_l2(fr.U_patch.values, fr.U_fully_resolved.values),
                oscillation_period=period,
                rel_pd_macro_fd=relative_l2(fr.U_patch.values, fr.U_homog_macro.values),
                eps=args.eps,
                tol=args.tol,
                scale=args.scale,
            ),
            check_p2_cost(
                space_fraction=fr.attrs["space_fraction"],
                time_fraction=fr.attrs["time_fraction"],
                patch_seconds=timing["patch_dynamics_seconds"],
                full_seconds=timing["fully_resolved_seconds"],
                interval=t,
                scale=args.scale,
            ),
        ],
        args.claim,
    )


def fig4(args):
    evals = {a: read_dataset(p) for a, p in zip(("functional", "discretized"), args.evaluation)}
    ref = read_dataset(args.reference)
    fig, axes = figure(ncols=2, width=3.3, height=2.7)
    for ax, (arch, ev) in zip(axes[0], evals.items()):
        traj = int(ev.trajectory.values[-1])
        nt = ev.sizes["time"]
        for j, frac in enumerate((0.1, 0.03, 0.3)):  # early, very early and later snapshots
            it = min(nt - 1, int(round(frac * (nt - 1))))
            tv = float(ev.time.values[it])
            ax.plot(
                ref.x, ref.dUdt.sel(trajectory=traj, time=tv).values, "k--", lw=1, label="truth" if j == 0 else None
            )
            ax.plot(
                ev.x,
                ev.dUdt_pred.sel(trajectory=traj).isel(time=it).values,
                "x",
                color=f"C{j}",
                ms=6,
                label=f"NN, t = {tv:.3f}",
            )
        ax.set_title(f"{arch}: test rMSE {ev.attrs['rhs_rmse']:.2e}")
        ax.set_xlabel("x")
        ax.set_ylabel(r"$\partial_t u$")
        ax.legend(fontsize=6.5)
    panel_label(axes[0, 0], "a")
    panel_label(axes[0, 1], "b")
    save(fig, args.output)
    write_fragments(
        [
            check_p2_fig4_rhs(
                rmse={a: float(e.attrs["rhs_rmse"]) for a, e in evals.items()},
                data_rmse=float(evals["functional"].attrs["rhs_rmse_patch_data"]),
                tol=args.tol,
                late={a: float(e.attrs["rhs_rmse_late"]) for a, e in evals.items()},
                late_time=float(evals["functional"].attrs["late_time"]),
                coarse={a: float(e.attrs["rhs_rmse_coarse"]) for a, e in evals.items()},
                data_coarse=float(evals["functional"].attrs["rhs_rmse_patch_data_coarse"]),
                t_max=float(next(iter(evals.values())).time.values[-1]),
                scale=args.scale,
            )
        ],
        args.claim,
    )


def fig5(args):
    evals = {a: read_dataset(p) for a, p in zip(("functional", "discretized"), args.evaluation)}
    fig, axes = figure(ncols=3, nrows=2, width=2.3, height=2.0)
    for row, (arch, ev) in enumerate(evals.items()):
        t = ev.time_int.values
        truth = ev.U_true_integrated.values
        pred = ev.U_integrated.values
        stride = (ev.sizes["x_ref"] - 1) // (ev.sizes["x"] - 1)
        lev = np.linspace(np.nanmin(truth), np.nanmax(truth), 31)
        for col, (xv, field, title) in enumerate(
            (
                (ev.x_ref, truth, "truth (homogenized)"),
                (ev.x, pred, f"{arch} NN"),
                (ev.x, np.abs(pred - truth[:, ::stride]), f"|error|, rMSE {ev.attrs['traj_rmse']:.2e}"),
            )
        ):
            ax = axes[row, col]
            cs = ax.contourf(xv, t, field, levels=31 if col == 2 else lev, cmap="jet")
            fig.colorbar(cs, ax=ax)
            ax.set_title(title, fontsize=8)
            ax.set_xlabel("x")
            ax.set_ylabel("t")
    save(fig, args.output)
    write_fragments(
        [
            check_p2_fig5_integrate(
                rmse={a: float(e.attrs["traj_rmse"]) for a, e in evals.items()},
                stable={a: bool(e.attrs["stable"]) for a, e in evals.items()},
                tol=args.tol,
                late={a: float(e.attrs["traj_rmse_late"]) for a, e in evals.items()},
                late_time=float(evals["functional"].attrs["late_time"]),
                t_max=float(next(iter(evals.values())).time_int.values[-1]),
                scale=args.scale,
            )
        ],
        args.claim,
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("figure", choices=["1", "2", "4", "5"])
    p.add_argument("--data")
    p.add_argument("--reference")
    p.add_argument("--fully-resolved")
    p.add_argument("--timing")
    p.add_argument("--evaluation", nargs=2, help="functional and discretized evaluation stores")
    p.add_argument("--eps", type=float)
    p.add_argument("--tooth-width", type=float)
    p.add_argument("--patch-width", type=float)
    p.add_argument("--burst", type=float)
    p.add_argument("--macro-dt", type=float)
    p.add_argument("--magnify", type=float, default=5.0)
    p.add_argument("--time-magnify", type=float, default=100.0)
    p.add_argument("--tol", type=float)
    p.add_argument("--scale", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--claim", required=True, help="JSON file for the claim rows of this figure")
    args = p.parse_args(argv)
    {"1": fig1, "2": fig2, "4": fig4, "5": fig5}[args.figure](args)


if __name__ == "__main__":
    main()

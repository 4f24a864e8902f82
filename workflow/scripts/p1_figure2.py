#!/usr/bin/env python
"""P1 Fig. 2: finite-volume coefficients alpha_1..alpha_6 of dv/dx at a face. (A) centred and
one-sided polynomial stencils and the optimized constant coefficients; (B) a test snapshot (fine
solution dashed, cell averages solid) with the NN's coefficients at selected faces; (B, inset) the
density of the NN coefficient "centre of mass" (sum |alpha_j| x_j / sum |alpha_j|, x_j the cell
offsets from the face in units of dx) against the face value v over the whole test set.
Writes claim P1-fig2-coeffs."""

import numpy as np
import torch
from matplotlib.colors import LogNorm

from coarsepde.claims import PAPER_P1, check_p1_fig2, p1_budgets_from_settings, p1_paper_verdict, write_fragment
from coarsepde.claims.p1_protocol import protocol_record
from coarsepde.cli import common_parser, read_settings, setup_logging
from coarsepde.discretization.coefficient_stats import (
    centre_of_mass,
    centre_statistics,
    constant_stencil,
    polynomial_distances,
    polynomial_stencils,
)
from coarsepde.discretization.equations import coarse_grain
from coarsepde.discretization.persist import load_model
from coarsepde.plotting import panel_label, plt, save
from coarsepde.store import read_dataset


def bars(ax, c, color, title, ymax):
    ax.bar(np.arange(1, 7), c, color=color, width=0.7)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylim(-ymax, ymax)
    ax.set_xticks(range(1, 7))
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title, fontsize=7)


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--const", required=True, help="constant-coefficient model store (centred flux)")
    p.add_argument("--nn", required=True, help="NN model store at the same factor")
    p.add_argument("--data", required=True, help="test.zarr")
    p.add_argument("--factor", type=int, required=True)
    p.add_argument("--max-correlation", type=float, required=True)
    p.add_argument("--min-distance", type=float, required=True)
    p.add_argument("--n-faces", type=int, default=4, help="faces with coefficients drawn in panel B")
    p.add_argument("--figure", required=True)
    p.add_argument("--claim", required=True)
    p.add_argument("--budget", required=True, help="settings file: the training budgets of the models scored")
    p.add_argument(
        "--protocol-record", default=None, help="claim rows of the committed P1 paper-protocol record (cited)"
    )
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(1)

    const, nn = load_model(args.const), load_model(args.nn)
    ds = read_dataset(args.data)
    v_fine = ds.v.values  # (S, T, Nf)
    v = coarse_grain(v_fine, args.factor)  # (S, T, N)
    S, T, N = v.shape
    c_const = constant_stencil(const)
    with torch.inference_mode():
        coeffs_nn = nn.coefficients(torch.as_tensor(v.reshape(-1, N)))
    c_nn = coeffs_nn["v_x"].numpy() * nn.dx  # (S*T, N, 6)
    # the d/dx stencil's centre of mass (Fig. 2) and the face-value stencil's (SI Fig. S3C) against v
    st = centre_statistics(centre_of_mass(c_nn), centre_of_mass(coeffs_nn["v"].numpy()), v.reshape(-1, N))
    com, com_v, v_face, corr, corr_v = (st[k] for k in ("com", "com_v", "v_face", "corr", "corr_v"))
    poly = polynomial_stencils()
    dist = polynomial_distances(c_const)
    log.info("constant coefficients %s; distances %s; correlation %.3f", np.round(c_const, 4), dist, corr)

    fig = plt.figure(figsize=(11.0, 6.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 2.1])
    names = ["centred 2-pt", "centred 4-pt", "centred 6-pt", "one-sided left 3-pt", "one-sided right 3-pt"]
    axes = top.subplots(1, len(names) + 1)
    ymax = 1.1 * max(np.abs(np.concatenate([poly[n] for n in names] + [c_const])).max(), 1e-9)
    for ax, name in zip(axes, names):
        bars(ax, poly[name], "0.5", name.replace(" ", "\n", 1), ymax)
    bars(axes[-1], c_const, "C2", f"optimized constant\n({args.factor}x)", ymax)
    panel_label(axes[0], "A")

    ax_b, ax_in, ax_v = bottom.subplots(1, 3, width_ratios=[2.2, 1, 1])
    # the snapshot: the test frame with the steepest cell-average jump
    jumps = np.abs(np.diff(v, axis=-1)).max(-1)
    s, t = np.unravel_index(np.argmax(jumps), jumps.shape)
    dxc = float(ds.attrs["length"]) / N
    edges = np.arange(N + 1) * dxc + (ds.x.values[0] - 0.5 * (ds.x.values[1] - ds.x.values[0]))
    ax_b.plot(ds.x.values, v_fine[s, t], "k--", lw=0.9, label="solution")
    ax_b.stairs(v[s, t], edges, baseline=None, color="C0", lw=1.4, label=f"cell averages ({args.factor}x)")
    shock = int(np.argmax(np.abs(v[s, t] - np.roll(v[s, t], 1))))
    faces = sorted({(shock + k * N // args.n_faces) % N for k in range(args.n_faces)})
    coeffs = c_nn.reshape(S, T, N, 6)[s, t]
    cmax = np.abs(coeffs[faces]).max() * 1.1
    lo, hi = v[s, t].min(), v[s, t].max()
    ax_b.set_ylim(lo - 0.15 * (hi - lo), hi + 0.9 * (hi - lo))
    for _k, i in enumerate(faces):
        xf = edges[i]
        ax_b.axvline(xf, color="C3", lw=0.6, ls=":")
        ins = ax_b.inset_axes(
            [xf - 2.5 * dxc, hi + 0.15 * (hi - lo), 5 * dxc, 0.6 * (hi - lo)], transform=ax_b.transData
        )
        bars(ins, coeffs[i], "C3", "", cmax)
        ins.set_xticks([])
        ins.set_facecolor("none")
    ax_b.set_xlabel("x")
    ax_b.set_ylabel("v")
    ax_b.set_title(
        f"test realization {int(ds.sample.values[s])}, t = {ds.time.values[t]:g}: NN coefficients at dotted faces"
    )
    ax_b.legend(loc="lower left", fontsize=7)
    panel_label(ax_b, "B")

    for ax, c, r, title in (
        (ax_in, com, corr, "B inset: d/dx stencil"),
        (ax_v, com_v, corr_v, "value stencil\n(SI Fig. S3C)"),
    ):
        h, xe, ye = np.histogram2d(v_face, c, bins=[60, 60], range=[[-2.0, 2.0], [-1.5, 1.5]], density=True)
        ax.pcolormesh(xe, ye, np.ma.masked_equal(h.T, 0), norm=LogNorm(), cmap="viridis")
        ax.set_xlabel("v (face value)")
        ax.set_title(f"{title}\nr(v, centre) = {r:.2f}", fontsize=8)
        ax.axhline(0, color="w", lw=0.6)
        ax.axvline(0, color="w", lw=0.6)
        ax.grid(False)
    ax_in.set_ylabel("coefficient centre of mass (dx)")
    save(fig, args.figure)

    result = check_p1_fig2(
        correlation=corr,
        value_correlation=corr_v,
        max_correlation=args.max_correlation,
        distances=dist,
        min_distance=args.min_distance,
        factor=args.factor,
        scale=args.scale,
    )
    result = p1_paper_verdict(
        result,
        p1_budgets_from_settings(read_settings(args.budget)),
        paper=PAPER_P1,
        record=protocol_record(result.id, args.protocol_record),
    )
    write_fragment(result, args.claim)
    log.info("%s: %s (%s)", result.id, "PASS" if result.passed else "FAIL", result.reproduced_value)


if __name__ == "__main__":
    main()

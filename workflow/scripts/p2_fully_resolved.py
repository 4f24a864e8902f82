#!/usr/bin/env python
"""P2 Fig. 2 data: the detailed problem (Eq. 20) fully resolved on [0, 1] and patch dynamics from
the same initial condition to t_final, with their wall-clock times (claim P2-cost).

Stores: the fully resolved field's tooth averages at the macro nodes and its period averages on the
reference grid; the fine field in zoom windows around a tooth; the patch-dynamics macro field and
its micro profile after the burst at t_final in the same window."""

import json
import time
from pathlib import Path

import numpy as np
import xarray as xr

from coarsepde.cli import add_patch1d_args, common_parser, patch1d_kwargs, setup_logging
from coarsepde.homogenization.equation_free import lift, restrict
from coarsepde.homogenization.problem1d import (
    fully_resolved,
    heterogeneous_diffusivity,
    homogenized_on_macro_grid,
    setup,
    window_averages,
)
from coarsepde.store import provenance, read_dataset, write_dataset


def main(argv=None):
    p = add_patch1d_args(common_parser(__doc__))
    p.add_argument("--trajectory", type=int, required=True, help="which initial condition of the seed's sequence")
    p.add_argument("--macro-dt", type=float, required=True)
    p.add_argument("--t-final", type=float, required=True)
    p.add_argument("--fr-points-per-period", type=int, required=True)
    p.add_argument("--fr-first-step", type=float, required=True)
    p.add_argument("--fr-growth", type=float, required=True)
    p.add_argument("--fr-max-step", type=float, required=True)
    p.add_argument("--zoom-periods", type=int, required=True)
    p.add_argument("--reference-nodes", type=int, required=True)
    p.add_argument("--effective", required=True, help="effective_coefficients.zarr (a*)")
    p.add_argument("--output", required=True)
    p.add_argument("--timing", required=True, help="JSON with the wall-clock times (machine facts, not data)")
    args = p.parse_args(argv)
    log = setup_logging()
    ic, teeth, pd = setup(**patch1d_kwargs(args))
    if not 0 <= args.trajectory < ic.amp.shape[0]:
        p.error(f"--trajectory must be in [0, {ic.amp.shape[0]}) (--n-traj), got {args.trajectory}")
    u0 = ic.subset(slice(args.trajectory, args.trajectory + 1))  # x -> (1, len(x)), that trajectory only

    a = heterogeneous_diffusivity(args.eps, args.a_mean, args.a_amplitude)
    x, u, fr_seconds, fr_steps = fully_resolved(
        u0,
        a,
        eps=args.eps,
        points_per_period=args.fr_points_per_period,
        t_final=args.t_final,
        first_step=args.fr_first_step,
        growth=args.fr_growth,
        max_step=args.fr_max_step,
    )
    u = u[0]
    dxf = x[1] - x[0]
    log.info("fully resolved: %d points, %d steps, %.1f s", x.size, fr_steps, fr_seconds)

    # patch dynamics over the same interval, one trajectory
    n_steps = int(round(args.t_final / args.macro_dt))
    U = u0(teeth.x_macro)
    t0 = time.perf_counter()
    for _ in range(n_steps):
        U = U + args.macro_dt * pd.time_derivative(U)  # forward-Euler projective steps (Eq. 11)
    pd_seconds = time.perf_counter() - t0
    a_star = float(read_dataset(args.effective).a_star_1d.values[-1])
    U_fd = homogenized_on_macro_grid(u0(teeth.x_macro), a_star, dt=args.macro_dt, n_steps=n_steps)[0]
    u_patch = pd.micro.integrate(lift(U, teeth, args.lift_degree), pd.steps)  # micro state after the burst at t_final
    log.info("patch dynamics: %d macro steps, %.2f s", n_steps, pd_seconds)

    # averages of the fully resolved field: over each tooth, and over one period around reference nodes
    tooth_avg = window_averages(u, dxf, teeth.x_macro, args.tooth_width)
    tooth_avg[[0, -1]] = u[[0, -1]]
    xr_ = np.linspace(0, 1, args.reference_nodes)
    period_avg = window_averages(u, dxf, xr_, args.eps)
    period_avg[[0, -1]] = u[[0, -1]]
    # zoom: zoom_periods periods centred on the tooth of the middle patch
    p_mid = teeth.patch_nodes.size // 2
    xc = teeth.centers[p_mid]
    half = args.zoom_periods * args.eps / 2
    sel = (x >= xc - half - 1e-15) & (x <= xc + half + 1e-15)
    psel = np.abs(teeth.offsets) <= half + 1e-15
    ds = xr.Dataset(
        {
            "U_fully_resolved": (
                ("x_macro",),
                tooth_avg,
                {"units": "1", "long_name": "tooth averages of the detailed solution"},
            ),
            "U_patch": (("x_macro",), U[0], {"units": "1", "long_name": "patch-dynamics macro field"}),
            "U_homog_macro": (
                ("x_macro",),
                U_fd,
                {"units": "1", "long_name": "homogenized FD on the macro grid, forward Euler (macro-grid error only)"},
            ),
            "u_fully_resolved_smooth": (
                ("x_ref",),
                period_avg,
                {"units": "1", "long_name": "one-period averages of the detailed solution"},
            ),
            "u_fully_resolved_zoom": (("x_zoom",), u[sel], {"units": "1", "long_name": "detailed solution (zoom)"}),
            "u_patch_zoom": (
                ("x_zoom_patch",),
                u_patch[0, p_mid, psel],
                {"units": "1", "long_name": "patch micro profile after the burst (zoom)"},
            ),
            "u_patch_restricted": (("x_macro_patch",), restrict(u_patch, teeth)[0], {"units": "1"}),
        },
        coords={
            "x_macro": ("x_macro", teeth.x_macro, {"units": "length"}),
            "x_macro_patch": ("x_macro_patch", teeth.centers, {"units": "length"}),
            "x_ref": ("x_ref", xr_, {"units": "length"}),
            "x_zoom": ("x_zoom", x[sel], {"units": "length"}),
            "x_zoom_patch": ("x_zoom_patch", xc + teeth.offsets[psel], {"units": "length"}),
        },
        attrs={
            "t_final": args.t_final,
            "trajectory": args.trajectory,
            "fully_resolved_points": int(x.size),
            "fully_resolved_steps": int(fr_steps),
            "patch_micro_points": pd.micro_points,
            "patch_macro_steps": n_steps,
            "space_fraction": teeth.space_fraction,
            "time_fraction": args.burst / args.macro_dt,
        },
    )
    # wall-clock times are measurements of this machine, not of the data: they go to a separate JSON
    # (the store stays byte-identical on reruns)
    Path(args.timing).parent.mkdir(parents=True, exist_ok=True)
    Path(args.timing).write_text(
        json.dumps(
            {
                "fully_resolved_seconds": fr_seconds,
                "patch_dynamics_seconds": pd_seconds,
                "patch_dynamics_seconds_per_macro_step": pd_seconds / n_steps,
            },
            indent=2,
        )
        + "\n"
    )
    params = {k: v for k, v in vars(args).items() if k not in ("output", "timing", "rule", "wildcards", "seed")}
    write_dataset(
        ds,
        args.output,
        title="P2 Fig. 2: fully resolved vs patch dynamics at t_final",
        source=f"rule {args.rule}",
        references="Arbabi et al. 2020, Eq. (20), Fig. 2",
        provenance=provenance(params, seed=args.seed, rule=args.rule),
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""P3 data: the linear transport equation (Eq. 2.1) in micro-macro form (Eqs. 2.4-2.5), solved with the
authors' collocated IMEX ARS(2,2,2) scheme (Appendix 8.1; third-order upwind-biased transport, 16 Gauss-
Legendre velocities, periodic [0, 1), dx = 1/nx, dt = dx^2/2) for every eps at once (batched), from the
notebook's initial density IC-nb and g = 0. Stores every ``stride``-th fine step, ``n_snapshots`` of them:
one Zarr store per eps (rho (time, x), g (time, v, x), sigma_S (x), velocities and weights). sigma_S may
depend on x as sigma_s + sigma_s_x2 x^2 (Example 6.4)."""

import numpy as np
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_ho, ic_lo, ic_nb, project
from coarsepde.store import provenance, write_dataset

ICS = {"nb": ic_nb, "ho": ic_ho, "lo": ic_lo}


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--inv-eps", type=int, nargs="+", required=True, help="1/eps of each run")
    p.add_argument("--nx", type=int, required=True)
    p.add_argument("--stride", type=int, required=True, help="fine steps between snapshots")
    p.add_argument("--n-snapshots", type=int, required=True)
    p.add_argument(
        "--dt-factor",
        type=float,
        default=0.5,
        help="fine step dt = dt_factor dx^2 (0.5: the paper's dx^2/2; sigma_S = 1/3 at eps <= 1/4096 needs "
        "0.25 or less: the scheme's diffusion limit is explicit, with diffusivity 1/(3 sigma_S))",
    )
    p.add_argument("--sigma-s", type=float, required=True, help="sigma_S (its constant part)")
    p.add_argument(
        "--sigma-s-x2",
        type=float,
        default=0.0,
        help="x^2 coefficient: sigma_S(x) = sigma_s + sigma_s_x2 x^2 (Example 6.4: 1 + 100 x^2)",
    )
    p.add_argument("--sigma-a", type=float, required=True)
    p.add_argument("--source", type=float, required=True, help="G")
    p.add_argument("--ic", choices=sorted(ICS), required=True)
    p.add_argument("--output", nargs="+", required=True, help="one store per --inv-eps, same order")
    args = p.parse_args(argv)
    log = setup_logging()
    if len(args.output) != len(args.inv_eps):
        p.error(f"{len(args.inv_eps)} --inv-eps values but {len(args.output)} --output stores")
    if min(args.inv_eps) < 1:
        p.error("--inv-eps must be positive integers")
    eps = 1.0 / np.asarray(args.inv_eps, dtype=float)
    x = np.arange(args.nx) / args.nx
    sigma = args.sigma_s + args.sigma_s_x2 * x**2 if args.sigma_s_x2 else args.sigma_s
    if np.any(np.asarray(sigma) <= 0):
        p.error("sigma_S must be positive")
    setup = TransportSetup(
        eps=eps,
        nx=args.nx,
        sigma_s=sigma,
        sigma_a=args.sigma_a,
        G=args.source,
        dt_fine=args.dt_factor / args.nx**2,
        stride=args.stride,
        n_snapshots=args.n_snapshots,
    )
    out = generate_ars222(setup, ICS[args.ic](setup.x))
    if not np.all(np.isfinite(out["rho"])) or not np.all(np.isfinite(out["g"])) or np.abs(out["rho"]).max() > 1e6:
        p.error(f"the solution blew up (max|rho| {np.nanmax(np.abs(out['rho'])):.3g}): lower --dt-factor")
    for k, (inv, path) in enumerate(zip(args.inv_eps, args.output)):
        mean_g = np.abs(project(out["g"][k], out["w"])).max()
        log.info(
            f"1/eps = {inv}: max|rho| {np.abs(out['rho'][k]).max():.4g}, max|g| {np.abs(out['g'][k]).max():.4g}, "
            f"max|<g>| {mean_g:.3g}"
        )
        ds = xr.Dataset(
            {
                "sigma_s": (("x",), setup.sigma_s_x, {"units": "1/time", "long_name": "scattering cross-section"}),
                "rho": (("time", "x"), out["rho"][k], {"units": "1", "long_name": "density <f>"}),
                "g": (("time", "v", "x"), out["g"][k], {"units": "1", "long_name": "micro part (f - rho)/eps"}),
                "w": (("v",), out["w"], {"units": "1", "long_name": "Gauss-Legendre weights (sum 2)"}),
            },
            coords={
                "time": ("time", out["t"], {"units": "time"}),
                "x": ("x", out["x"], {"units": "length"}),
                "v": ("v", out["v"], {"units": "1"}),
            },
            attrs={
                "eps": float(eps[k]),
                "inv_eps": int(inv),
                "dx": float(setup.dx),
                "dt_fine": float(setup.dt),
                "dt_data": float(setup.dt_data),
                "sigma_s": args.sigma_s,
                "sigma_s_x2": args.sigma_s_x2,
                "sigma_a": args.sigma_a,
                "G": args.source,
                "ic": args.ic,
                "scheme": "IMEX ARS(2,2,2), collocated, upwind-biased",
            },
        )
        params = {k2: v for k2, v in vars(args).items() if k2 not in ("output", "seed", "scale", "rule", "wildcards")}
        prov = provenance(params | {"eps": float(eps[k])}, rule=args.rule, wildcards=args.wildcards)
        write_dataset(
            ds,
            path,
            title=f"P3 linear transport data, eps = 1/{inv}",
            source=f"rule {args.rule}",
            references="Delgadillo, Hu, Yang: Eqs. (2.1), (2.4)-(2.5), Appendix 8.1 (ARS(2,2,2)), Sect. 6",
            provenance=prov,
        )


if __name__ == "__main__":
    main()

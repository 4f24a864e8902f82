#!/usr/bin/env python
"""X-p2-cost-vs-original: the wall-clock of one 1D patch-dynamics macro step at the paper's micro resolution
(the problem flags, points per period and trajectories set by homogenization.one_d.cost_check) against the
original implementation's cost per macro step (a settings file: the cost_check section of the config)."""

from dataclasses import asdict

from coarsepde.claims import check_x_p2_cost, write_fragment
from coarsepde.cli import add_patch1d_args, common_parser, patch1d_kwargs, read_settings, setup_logging
from coarsepde.homogenization.problem1d import setup
from coarsepde.homogenization.step_cost import time_macro_step


def main(argv=None):
    p = add_patch1d_args(common_parser(__doc__))
    p.add_argument("--macro-dt", type=float, required=True)
    p.add_argument("--macro-method", required=True)
    p.add_argument("--settings", required=True, help="the cost_check section: repeats, original_seconds, ...")
    p.add_argument("--output", required=True, help="claim fragment (JSON)")
    args = p.parse_args(argv)
    log = setup_logging()
    s = read_settings(args.settings)
    ic, teeth, pd = setup(**patch1d_kwargs(args))
    U0 = ic(teeth.x_macro)  # the first n_traj initial conditions of the seed, as every P2 rule draws them
    cost = time_macro_step(pd, U0, dt=args.macro_dt, method=args.macro_method, repeats=s["repeats"])
    log.info("one macro step: %s", cost)
    result = check_x_p2_cost(
        asdict(cost) | {"dx": teeth.dx, "method": args.macro_method},
        original_seconds=s["original_seconds"],
        min_speedup=s["min_speedup"],
        source=s["original_source"],
        scale=args.scale,
    )
    log.info("X-p2-cost-vs-original passed=%s: %s", result.passed, result.reproduced_value)
    write_fragment(result, args.output)


if __name__ == "__main__":
    main()

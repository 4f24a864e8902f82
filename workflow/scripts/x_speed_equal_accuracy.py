#!/usr/bin/env python
"""X-speed-equal-accuracy: every learned Burgers model (NN, constant coefficients) at every resample factor
against WENO at the coarsest factor as accurate (MAE of the pipeline's Fig. 3C evaluation stores), both
timed side by side in this process on the evaluation runs of the large domain."""

import math

import torch

from coarsepde.claims import SpeedRecord, check_x_speed_equal_accuracy, write_fragment
from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.simulate import SolverSettings
from coarsepde.discretization.speed import LEARNED, ZERO, equal_accuracy_pairs, mae_table, time_coarse_solvers


def keyed(text: str) -> tuple[str, str]:
    """'KEY=PATH' -> (KEY, PATH)."""
    key, sep, path = text.partition("=")
    if not sep or not key or not path:
        raise ValueError(f"expected KEY=PATH, got {text!r}")
    return key, path


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--data", required=True, help="the large-domain exact data (large.zarr)")
    p.add_argument("--evaluation", type=keyed, action="append", required=True, help="FACTOR=eval store (repeat)")
    p.add_argument("--model", type=keyed, action="append", required=True, help="METHOD_FACTOR=model store (repeat)")
    p.add_argument("--mae-t-max", type=float, required=True)
    p.add_argument("--max-step", type=float, required=True)
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--atol", type=float, required=True)
    p.add_argument("--accurate-fraction", type=float, required=True)
    p.add_argument("--span", type=float, required=True, help="time units of the evaluation runs timed")
    p.add_argument("--repeats", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="cpu",
        help="cpu: the process's CPU time (every solver single-threaded: its own compute, robust to other jobs on "
        "the machine; a loaded default run measured wall-clock ratios half of the idle ones); wall: wall-clock",
    )
    p.add_argument("--output", required=True, help="claim fragment (JSON)")
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    evaluations = {int(f): path for f, path in args.evaluation}
    models = {}
    for key, path in args.model:
        method, _, factor = key.rpartition("_")
        models[(method, int(factor))] = path
    factors = sorted(evaluations)
    mae = mae_table(evaluations, args.mae_t_max)
    pairs = equal_accuracy_pairs(mae, factors, available=models)
    runs = {(m, f) for m, f, _ in pairs} | {(w, g) for *_, g in pairs if g is not None for w in ("weno", "weno_torch")}
    settings = SolverSettings(max_step=args.max_step, rtol=args.rtol, atol=args.atol)
    timing, problem = time_coarse_solvers(
        args.data, runs, models, settings=settings, span=args.span, repeats=args.repeats, clock=args.clock
    )
    matched = {(m, f): g for m, f, g in pairs}
    records = []
    for m in LEARNED:
        for f in factors:
            g = matched.get((m, f))
            seconds = timing[(m, f)].seconds if (m, f) in matched else math.nan
            weno = (timing[("weno", g)].seconds, timing[("weno_torch", g)].seconds) if g else (math.nan, math.nan)
            records.append(
                SpeedRecord(
                    method=m,
                    factor=f,
                    mae=mae.get(m, {}).get(f, math.nan),
                    zero_mae=mae[ZERO][f],
                    weno_factor=g,
                    weno_mae=mae["weno"][g] if g else math.nan,
                    seconds=seconds,
                    weno_seconds=weno[0],
                    weno_torch_seconds=weno[1],
                )
            )
            log.info("%s", records[-1])
    text = (
        f"{problem['samples']} samples on [0, {problem['length'] / math.pi:.0f} pi], t in [{problem['t0']:g}, {problem['t1']:g}], "
        f"medians of {args.repeats} interleaved repeats, "
        + ("process CPU time (single-threaded solvers)" if args.clock == "cpu" else "wall-clock")
    )
    result = check_x_speed_equal_accuracy(
        records, accurate_fraction=args.accurate_fraction, problem=text, scale=args.scale
    )
    log.info("X-speed-equal-accuracy passed=%s: %s", result.passed, result.reproduced_value)
    write_fragment(result, args.output)


if __name__ == "__main__":
    main()

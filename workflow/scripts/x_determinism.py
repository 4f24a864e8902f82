#!/usr/bin/env python
"""X-determinism: a store rebuilt by rerunning its rule (same flags, same seed) against the pipeline's store,
every decoded array bit for bit and every chunk and metadata file byte for byte."""

from coarsepde.claims import check_x_determinism, compare_stores, write_fragment
from coarsepde.cli import common_parser, setup_logging


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--reference", required=True, help="the pipeline's store")
    p.add_argument("--rerun", required=True, help="the same rule's store, rebuilt")
    p.add_argument("--compared-rule", required=True, help="the rule that built both")
    p.add_argument("--output", required=True, help="claim fragment (JSON)")
    args = p.parse_args(argv)
    log = setup_logging()
    comparison = compare_stores(args.reference, args.rerun)
    result = check_x_determinism(
        comparison, rule=args.compared_rule, seed=args.seed, store=args.reference, scale=args.scale
    )
    log.info("X-determinism passed=%s: %s", result.passed, result.reproduced_value)
    write_fragment(result, args.output)


if __name__ == "__main__":
    main()

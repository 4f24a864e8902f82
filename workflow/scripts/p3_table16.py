#!/usr/bin/env python
"""P3 Table 16: IMEX-BDF-q coefficients (alpha, gamma, beta), q = 1..4, derived by code from the order
conditions as exact rationals (coarsepde.numerics.imex), compared with the printed table; claim P3-table16-bdf."""

from pathlib import Path

from coarsepde.claims import check_p3_table16, write_fragment
from coarsepde.cli import common_parser, setup_logging
from coarsepde.kinetic.tables import table16_frame, table16_markdown


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--claim", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    df = table16_frame()
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.csv, index=False)
    md = table16_markdown(df)
    Path(args.md).write_text(md)
    log.info("\n" + md)
    derived = {int(r.q): f"alpha ({r.alpha}), gamma ({r.gamma}), beta {r.beta}" for _, r in df.iterrows()}
    equal = {int(r.q): bool(r.equals_paper) for _, r in df.iterrows()}
    write_fragment(check_p3_table16(derived=derived, equal=equal, scale=args.scale), args.claim)


if __name__ == "__main__":
    main()

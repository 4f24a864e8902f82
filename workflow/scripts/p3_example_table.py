#!/usr/bin/env python
"""P3 Tables 9, 10, 12, 13, 14, 15 (Examples 6.3, 6.6-6.10) from their fit stores (rule p3_example_fit), as CSV
and Markdown beside the paper's values, and the table's claim. Tables 12 and 14 add the DC-RNN rows from the
fit store of a Tables 1-8 table (--dcrnn). The tables: coarsepde.kinetic.example_tables.example_table."""

from pathlib import Path

from coarsepde.claims import (
    check_p3_table9,
    check_p3_table10,
    check_p3_table12,
    check_p3_table13,
    check_p3_table14,
    check_p3_table15,
    write_fragment,
)
from coarsepde.cli import common_parser, read_settings, setup_logging
from coarsepde.kinetic.example_tables import DCRNN_TABLES, TableOptions, example_table
from coarsepde.store import read_dataset

CHECKS = {
    9: check_p3_table9,
    10: check_p3_table10,
    12: check_p3_table12,
    13: check_p3_table13,
    14: check_p3_table14,
    15: check_p3_table15,
}


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--table", type=int, choices=[9, 10, 12, 13, 14, 15], required=True)
    p.add_argument("--fits", required=True)
    p.add_argument("--dcrnn", default=None, help="Tables 12, 14: fit store of the DC-RNN table compared")
    p.add_argument("--claim-settings", required=True, help="settings file: the config's kinetic claims section")
    p.add_argument(
        "--protocol",
        choices=["converged", "adam"],
        required=True,
        help="the DC-RNN fits Tables 12 and 14 are scored on",
    )
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--claim", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    ds = read_dataset(args.fits)
    dcrnn = read_dataset(args.dcrnn) if args.table in DCRNN_TABLES else None
    options = TableOptions(
        claim_settings=read_settings(args.claim_settings), protocol=args.protocol, scale=args.scale, dcrnn=dcrnn
    )
    table = example_table(args.table, ds, options)
    res = CHECKS[args.table](**table.claim_inputs)
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    table.frame().to_csv(args.csv, index=False)
    md = table.markdown(res)
    Path(args.md).write_text(md)
    write_fragment(res, args.claim)
    log.info("\n" + md)


if __name__ == "__main__":
    main()

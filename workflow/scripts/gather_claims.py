#!/usr/bin/env python
"""Gather the claim fragments of every implemented check into results/claims.csv."""

import argparse
import logging

from coarsepde.claims import gather, pending_ids, write_claims_csv


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("fragments", nargs="+", help="JSON claim fragments")
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    table = gather(args.fragments)
    write_claims_csv(table, args.output)
    for row in table.itertuples():
        logging.info("%-22s passed=%s  %s", row.id, row.passed, row.reproduced_value)
    logging.info("not implemented yet: %s", ", ".join(pending_ids(table["id"])))


if __name__ == "__main__":
    main()

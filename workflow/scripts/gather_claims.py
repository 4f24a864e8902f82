#!/usr/bin/env python
"""Gather the claim fragments into results/claims.csv: a row for every ID of the contract (an ID that no rule
measured at this scale gets a failed, unexplained "not measured" row, listed in the log)."""

import argparse
import logging

from coarsepde.claims import UNMEASURED, gather, write_claims_csv


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("fragments", nargs="*", help="JSON claim fragments")
    p.add_argument("--scale", required=True, help="the config scale (every fragment must carry it)")
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    table = gather(args.fragments, scale=args.scale)
    write_claims_csv(table, args.output)
    for row in table.itertuples():
        logging.info("%-22s %-9s %-11s %s", row.id, row.protocol, row.verdict, row.reproduced_value)
    counts = table["verdict"].value_counts()
    logging.info(
        "%d rows, %d IDs: %s", len(table), table["id"].nunique(), ", ".join(f"{v} {n}" for v, n in counts.items())
    )
    logging.info("%s: %s", UNMEASURED, ", ".join(table.loc[table["reproduced_value"] == UNMEASURED, "id"]) or "-")


if __name__ == "__main__":
    main()

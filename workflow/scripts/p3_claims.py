#!/usr/bin/env python
"""P3 table claims (P3-table1-2, P3-table3-4, P3-table5-6, P3-table7-8, P3-table11-order) from the fit stores
of the tables they compare: two rows per claim, protocol "paper" (scored on the Adam fits, at the budget the
stores record) and "converged" (scored on the converged fits), with their verdicts
(coarsepde.claims.p3_protocols)."""

from dataclasses import fields

from coarsepde.claims import (
    TABLE_CLAIM_TABLES,
    TableThresholds,
    budgets_from_provenance,
    floor_note,
    record_evidence,
    recorded_verdict,
    table_claim_rows,
    write_fragments,
)
from coarsepde.cli import common_parser, setup_logging
from coarsepde.kinetic.experiments import PAPER_ERRORS
from coarsepde.store import read_dataset


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--claim-id", choices=sorted(TABLE_CLAIM_TABLES), required=True)
    p.add_argument("--fits", nargs="+", required=True, help="fit stores (rule p3_fit) of the tables compared")
    p.add_argument("--fail-threshold", type=float, default=50.0, help="P3-table1-2: %% at the smallest eps")
    p.add_argument(
        "--growth-band", type=float, required=True, help="P3-table1-2: %% points the error may fall per eps step"
    )
    p.add_argument("--ms-ratio", type=float, default=0.5, help="P3-table3-4: M=2 / M=0 error at the smallest eps")
    p.add_argument("--ms-cap", type=float, default=40.0, help="P3-table3-4: M=2 error cap at the smallest eps (%%)")
    p.add_argument("--agree-factor", type=float, default=2.0)
    p.add_argument("--agree-min-inv", type=int, default=128)
    p.add_argument("--small", type=float, default=1.0, help="%% for 'small' errors (Tables 5-8)")
    p.add_argument("--large", type=float, default=30.0, help="%% for failed fits (Tables 5-6)")
    p.add_argument("--bdf2-fail-from", type=int, default=256)
    p.add_argument("--ars-fail-from", type=int, default=64)
    p.add_argument("--small-max-inv", type=int, default=256, help="Tables 7-8: errors small up to this 1/eps")
    p.add_argument("--ars-cap", type=float, default=15.0)
    p.add_argument("--protocol-record", default=None, help="claim rows of the committed paper-protocol record")
    p.add_argument(
        "--floor-record",
        default=None,
        help="json of benchmarks/p3_floor_vs_dt.py: the optimum against the snapshot spacing, cited by an "
        "unexplained converged row",
    )
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    stores = {int(ds.attrs["table"]): ds for ds in (read_dataset(f) for f in args.fits)}
    missing = sorted(set(TABLE_CLAIM_TABLES[args.claim_id]) - set(stores))
    if missing:
        p.error(f"{args.claim_id} needs the fits of Tables {missing}")
    errors, paper, budgets = {}, {}, {}
    for t in TABLE_CLAIM_TABLES[args.claim_id]:
        ds = stores[t]
        budgets |= budgets_from_provenance(ds.attrs["provenance"]["params"])
        for s in ds.scheme.values:
            s = str(s)
            errors[(t, s)] = {
                int(inv): {
                    str(pr): float(ds.error.sel({"scheme": s, "inv_eps": inv, "protocol": pr}))
                    for pr in ds.protocol.values
                }
                for inv in ds.inv_eps.values
            }
            ref = PAPER_ERRORS[t].get(s, PAPER_ERRORS[t])
            paper[(t, s)] = {k: v for k, v in ref.items() if isinstance(k, int)}
    th = TableThresholds(**{f.name: getattr(args, f.name) for f in fields(TableThresholds)})
    record = record_evidence(args.claim_id, args.protocol_record)
    floor = floor_note(args.claim_id, args.floor_record, paper)
    verdict = recorded_verdict(args.claim_id, args.protocol_record)
    rows = table_claim_rows(args.claim_id, errors, paper, budgets, th, args.scale, record, floor, verdict)
    for r in rows:
        log.info(f"{r.id} [{r.protocol}] {r.verdict}: {r.evidence or r.reproduced_value}")
    write_fragments(rows, args.output)


if __name__ == "__main__":
    main()

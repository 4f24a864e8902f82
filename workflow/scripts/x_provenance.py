#!/usr/bin/env python
"""X-provenance: the root attrs of every store matching the rules' Zarr output patterns (a settings file:
{"stores": {rule: [pattern, ...]}}) carry params, seed, package versions and code version."""

from coarsepde.claims import audit_provenance, check_x_provenance, find_stores, write_fragment
from coarsepde.cli import common_parser, read_settings, setup_logging


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--settings", required=True, help="settings file with the rules' store patterns")
    p.add_argument("--root", default=".", help="directory the patterns are relative to")
    p.add_argument("--output", required=True, help="claim fragment (JSON)")
    args = p.parse_args(argv)
    log = setup_logging()
    patterns = [pat for pats in read_settings(args.settings)["stores"].values() for pat in pats]
    audits = [audit_provenance(path) for path in find_stores(patterns, args.root)]
    for a in audits:
        log.info("%s: rule %s, seed %s, code %s, missing %s", a.path, a.rule, a.seed, a.code_version, a.defects or "-")
    result = check_x_provenance(audits, scale=args.scale)
    log.info("X-provenance passed=%s: %s", result.passed, result.reproduced_value)
    write_fragment(result, args.output)


if __name__ == "__main__":
    main()

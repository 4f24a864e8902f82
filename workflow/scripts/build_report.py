#!/usr/bin/env python
"""Build results/report.html: the claims table, then one section per artifact (figure or table, caption, claim
rows, and the rule -> script -> package path that built it), in one self-contained file.

The artifacts come from a settings file the workflow writes (rule report_html): for each job that makes a figure
or table of ``rule all``, its files, rule, wildcards, rendered caption, script, the package names the script
imports and its import closure.
"""

import argparse
import json
import logging

from coarsepde.claims.catalogue import CATALOGUE
from coarsepde.report import Artifact, write_report


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--claims", required=True, help="results/claims.csv")
    p.add_argument("--settings", required=True, help="JSON: {'scale': ..., 'artifacts': [...]}")
    p.add_argument("--root", default=".", help="folder the artifact paths are relative to")
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = json.loads(open(args.settings).read())
    artifacts = [Artifact.from_dict(a) for a in settings["artifacts"]]
    out = write_report(args.claims, artifacts, CATALOGUE, args.output, root=args.root, scale=settings.get("scale", ""))
    logging.info("%s: %d artifacts, %d bytes", out, len(artifacts), out.stat().st_size)


if __name__ == "__main__":
    main()

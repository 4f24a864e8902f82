# The artifacts of results/report.html, read from the workflow (functions only; report.smk calls them once every
# paper's rules are defined): for each figure (PNG) and table (Markdown) of ALL_TARGETS, the rule and job that
# make it, its report caption (rendered as Snakemake's report renders it), the rule's script, the package names
# the script imports, its import closure and the claim fragments the job writes. See coarsepde.report.
import os
from types import SimpleNamespace

import jinja2
from snakemake.io import apply_wildcards
from snakemake.iocontainers import Wildcards

from coarsepde.report.sources import entry_points

REPORT_SUFFIXES = (".png", ".md")


def _rule_script(job_rule, wildcards):
    """The workflow script of a job: its input `script`, directly or from an unpack()-ed input function."""
    names = dict(job_rule.input._names)
    if "script" in names:
        return str(job_rule.input[names["script"][0]])
    for item in job_rule.input:
        if item.is_callable() and item.flags.get("unpack"):
            value, _ = job_rule.apply_input_function(item, Wildcards(fromdict=wildcards))
            if isinstance(value, dict) and value.get("script"):
                return str(value["script"])
    return ""


def _caption(job_rule, wildcards):
    """(caption file relative to the workflow, its text rendered as Snakemake's report renders it)."""
    for out in job_rule.output:
        obj = out.flags.get("report")
        if obj is not None and obj.caption is not None:
            path = Path(os.path.relpath(os.path.normpath(str(obj.caption)), workflow.basedir))
            context = SimpleNamespace(config=config, wildcards=Wildcards(fromdict=wildcards))
            text = jinja2.Template(path.read_text()).render(snakemake=context)
            return str(path), text, obj.category or ""
    return "", "", ""


def report_artifacts():
    """One entry per job that makes a figure (PNG) or table (Markdown) of ALL_TARGETS (see coarsepde.report)."""
    jobs = {}
    for target in ALL_TARGETS:
        if not target.endswith(REPORT_SUFFIXES):
            continue
        producers = [r for r in workflow.rules if r.is_producer(target)]
        if len(producers) != 1:
            raise ValueError(f"report: {target} is made by {len(producers)} rules")
        job_rule = producers[0]
        wildcards = dict(job_rule.get_wildcards(target))
        key = (job_rule.name, tuple(sorted(wildcards.items())))
        if key in jobs:
            jobs[key]["files"].append(target)
            continue
        script = _rule_script(job_rule, wildcards)
        caption_file, caption, category = _caption(job_rule, wildcards)
        outputs = [apply_wildcards(str(o), wildcards) for o in job_rule.output]
        jobs[key] = {
            "files": [target],
            "rule": job_rule.name,
            "wildcards": wildcards,
            "category": category,
            "caption": caption,
            "caption_file": caption_file,
            "script": script,
            "entry_points": entry_points(script) if script else [],
            "code": [str(c) for c in import_closure(script, "src")] if script else [],
            "fragments": [o for o in outputs if o.startswith("results/claims/") and o.endswith(".json")],
        }
    arts = list(jobs.values())
    for a in arts:
        a["title"] = " + ".join(Path(f).name for f in a["files"])
    # by paper (file names start with P1_, P2_, P3_), then in the order of ALL_TARGETS
    return sorted(arts, key=lambda a: Path(a["files"][0]).name[:2])

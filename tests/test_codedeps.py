"""Rules track the code they run: the import closure of a script (coarsepde.codedeps) and, end to end,
a dry run after editing one numerics module reruns exactly the rules whose scripts import it."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_workflow, snakemake

from coarsepde.codedeps import import_closure, imported_modules

CI = ("--configfile", "config/ci.yaml")


def _package(tmp_path):
    """A tiny package `coarsepde` with absolute, relative, nested-function imports and a data file."""
    src = tmp_path / "src"
    pkg = src / "coarsepde"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from . import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..leaf import g\n    return g\n")
    (pkg / "sub" / "table.yaml").write_text("x: 1\n")
    (pkg / "leaf.py").write_text("import numpy\n")
    (pkg / "unused.py").write_text("")
    script = tmp_path / "script.py"
    script.write_text("import os\nfrom coarsepde.sub import a\n")
    return src, script


def test_closure_follows_relative_nested_and_package_imports(tmp_path):
    src, script = _package(tmp_path)
    got = {Path(p).relative_to(src).as_posix() for p in import_closure(script, src)}
    assert got == {
        "coarsepde/__init__.py",
        "coarsepde/sub/__init__.py",
        "coarsepde/sub/a.py",
        "coarsepde/sub/b.py",
        "coarsepde/leaf.py",
        "coarsepde/sub/table.yaml",
    }


def test_imported_modules_resolves_relative_names(tmp_path):
    src, _ = _package(tmp_path)
    assert imported_modules(src / "coarsepde/sub/b.py", src) == {"coarsepde.leaf", "coarsepde.leaf.g"}
    assert imported_modules(src / "coarsepde/leaf.py", src) == set()


def test_relative_import_outside_the_package_is_an_error(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("from . import x\n")
    with pytest.raises(ValueError, match="relative import"):
        imported_modules(script, tmp_path / "src")


def _jobs(dry_run_stdout):
    """(rule, script, reason, inputs) of every job block of a dry run with -p."""
    out = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run_stdout):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if m:
            reason = re.search(r"\n\s+reason: (.*)", block)
            shell = re.search(r"python (workflow/scripts/\w+\.py)", block)
            inputs = re.search(r"\n\s+input: (.*)", block)
            out.append(
                (
                    m.group(1),
                    shell.group(1) if shell else None,
                    reason.group(1) if reason else "",
                    set(inputs.group(1).split(", ")) if inputs else set(),
                )
            )
    return out


# Run in a fresh interpreter: execute each script's top level (its imports; main() is guarded by
# __name__ == "__main__") and record which coarsepde modules that loaded, dropping them in between.
_PROBE = """
import json, runpy, sys
out = {}
for script in sys.argv[1:]:
    for name in [m for m in sys.modules if m.split(".")[0] == "coarsepde"]:
        del sys.modules[name]
    runpy.run_path(script, run_name="codedeps_probe")
    out[script] = sorted(m.__file__ for n, m in sys.modules.items()
                         if n.split(".")[0] == "coarsepde" and getattr(m, "__file__", None))
print(json.dumps(out))
"""


def _modules_run_by(wf, scripts):
    """script -> the coarsepde files (relative to ``wf``) it really imports when it starts."""
    env = dict(os.environ, PYTHONPATH=str(wf / "src"))
    res = subprocess.run(
        [sys.executable, "-c", _PROBE, *scripts], cwd=wf, env=env, capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stderr[-3000:]
    files = json.loads(res.stdout.splitlines()[-1])
    return {s: {Path(f).resolve().relative_to(wf.resolve()).as_posix() for f in fs} for s, fs in files.items()}


@pytest.mark.slow
def test_editing_a_numerics_module_reruns_exactly_the_rules_that_import_it(tmp_path):
    wf = copy_workflow(tmp_path)
    listing = snakemake(wf, "-n", "-p", "--forceall", *CI)
    assert listing.returncode == 0, listing.stderr[-3000:]
    script_of = {rule: script for rule, script, _, _ in _jobs(listing.stdout) if script}
    summary = snakemake(wf, "--summary", *CI)
    assert summary.returncode == 0, summary.stderr[-3000:]
    outputs = [line.split("\t")[0] for line in summary.stdout.splitlines()[1:] if "\t" in line]
    assert len(outputs) > 50
    # Every output present and newer than every source: nothing to do.
    t0 = time.time() - 1000
    for f in wf.rglob("*"):
        os.utime(f, (t0, t0))
    for out in outputs:
        p = wf / out
        p.parent.mkdir(parents=True, exist_ok=True)
        p.mkdir() if out.endswith(".zarr") else p.touch()
        os.utime(p, (t0 + 100, t0 + 100))
    quiet = snakemake(wf, "-n", "--rerun-triggers", "mtime", *CI)
    assert quiet.returncode == 0 and "Nothing to be done" in quiet.stdout + quiet.stderr, quiet.stdout[-3000:]

    real = _modules_run_by(wf, sorted(set(script_of.values())))
    for module in ("src/coarsepde/numerics/diffusion1d.py", "src/coarsepde/numerics/stencils.py"):
        # rules whose scripts import the module at start-up (measured), and at any depth (the source,
        # imports inside functions included: they run when the script's main() does)
        measured = {rule for rule, script in script_of.items() if module in real[script]}
        expected = {
            rule for rule, script in script_of.items() if str(wf / module) in import_closure(wf / script, wf / "src")
        }
        assert measured, f"no script imports {module}: pick another module for this test"
        assert measured <= expected, (module, sorted(measured - expected))
        # the derived code inputs name the module in exactly those rules
        listed = {rule for rule, _, _, inputs in _jobs(listing.stdout) if module in inputs}
        assert listed == expected, (module, sorted(listed ^ expected))
        os.utime(wf / module, (t0 + 200, t0 + 200))
        dry = snakemake(wf, "-n", "-p", "--rerun-triggers", "mtime", *CI)
        assert dry.returncode == 0, dry.stderr[-3000:]
        jobs = _jobs(dry.stdout)
        # every job the dry run plans reruns because of the module, directly or through its inputs
        for rule, _, reason, _ in jobs:
            assert (reason == f"Updated input files: {module}" and rule in expected) or reason.startswith(
                "Input files updated by another job"
            ), (module, rule, reason)
        # ... and every rule that imports it is among them (Snakemake names only the upstream reason
        # when both apply)
        assert expected <= {rule for rule, *_ in jobs}, (module, sorted(expected - {rule for rule, *_ in jobs}))
        assert any(reason.startswith("Updated input files") for _, _, reason, _ in jobs)
        os.utime(wf / module, (t0, t0))

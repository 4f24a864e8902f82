"""After a killed run: the lock Snakemake leaves is recognised as stale and removed, a live run's lock
is kept, and the next run starts (coarsepde.runlock, called by `make run`)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import copy_workflow, snakemake, snakemake_env

from coarsepde.runlock import held_locks, snakemake_pids, unlock_if_stale

CI = ("--configfile", "config/ci.yaml")
TARGET = "results/tables/P2_effective_coefficients.md"
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def test_stale_lock_of_a_killed_run_is_removed_and_a_live_one_kept(tmp_path):
    wf = copy_workflow(tmp_path)
    env = snakemake_env()
    run = subprocess.Popen(
        [SNAKEMAKE, TARGET, "--cores", "1", *CI],
        cwd=wf,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while not held_locks(wf):
            assert run.poll() is None, "the run ended before it locked the directory"
            assert time.time() < deadline, "no lock appeared"
            time.sleep(0.05)
        # live: the lock is kept and the message names the running process
        assert run.pid in snakemake_pids(wf)
        msg = unlock_if_stale(wf, SNAKEMAKE, list(CI))
        assert "is running" in msg and str(run.pid) in msg and "--unlock" in msg
        assert held_locks(wf)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the killed run: no chance to clean up
        run.wait()
    assert held_locks(wf) and snakemake_pids(wf) == []
    blocked = snakemake(wf, TARGET, "--cores", "1", *CI)
    assert blocked.returncode != 0 and "lock" in (blocked.stdout + blocked.stderr).lower()

    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "coarsepde.runlock",
            str(wf),
            "--snakemake",
            SNAKEMAKE,
            "--configfile",
            "config/ci.yaml",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    assert "stale lock" in res.stdout and not held_locks(wf)
    done = snakemake(wf, TARGET, "--cores", "1", *CI)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (wf / TARGET).is_file()
    # nothing to do: no message, nothing changed
    assert unlock_if_stale(wf, SNAKEMAKE) == ""

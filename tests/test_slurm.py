"""End to end on a real SLURM cluster: `--profile profiles/slurm` submits every non-local job of a
small part of the ci-scale workflow through sbatch, the stores equal those of a local run bit for
bit, and a failing job is reported as failed (by Snakemake and by sacct).

The cluster is a private single-node SLURM (slurmctld + slurmd, accounting through slurmdbd on a
private MariaDB, munge authentication) brought up from the Debian packages in a temporary directory
with its own `SLURM_CONF`: nothing is written to /etc/slurm (a slurm.conf there makes every Snakemake
call wait for a controller). Every daemon is started here, by PID, and stopped by PID at the end of
the module, also when a test fails. Needs root and apt-get (or the packages already installed);
otherwise skipped, and with COARSEPDE_REQUIRE_SLURM=1 (CI) that skip is a failure.
"""

import getpass
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import copy_workflow, snakemake, snakemake_env

pytestmark = pytest.mark.slow

REQUIRED = os.environ.get("COARSEPDE_REQUIRE_SLURM") == "1"
PACKAGES = ["slurm-wlm", "munge", "slurmdbd", "mariadb-server"]
# the programs used below; the packages above provide them
PROGRAMS = [
    "slurmctld",
    "slurmd",
    "slurmdbd",
    "sbatch",
    "srun",
    "sacct",
    "sacctmgr",
    "sinfo",
    "squeue",
    "scancel",
    "scontrol",
    "munged",
    "munge",
    "mariadbd",
    "mariadb-install-db",
    "mariadb",
    "mariadb-admin",
]
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

CLUSTER = "coarsepde"
ACCOUNT = "coarsepde"
PARTITION = "coarsepde"  # not the default partition: the profile must pass it (from the environment)
CI = ("--configfile", "config/ci.yaml")
# Three cluster jobs (effective_coefficients -> p2_homog1d is a dependency across two sbatch jobs;
# p2_patch1d runs beside them) and one local rule (the table) that reads a cluster job's store.
TARGETS = [
    "results/tables/P2_effective_coefficients.md",
    "results/homogenization/patch1d.zarr",
    "results/homogenization/homog1d.zarr",
]
CLUSTER_RULES = ["effective_coefficients", "p2_homog1d", "p2_patch1d"]
LOCAL_RULES = ["effective_coefficients_table"]
STORES = [
    "results/homogenization/effective_coefficients.zarr",
    "results/homogenization/patch1d.zarr",
    "results/homogenization/homog1d.zarr",
]
FAIL_RULE = """

rule slurm_test_fail:
    \"\"\"Added by tests/test_slurm.py: a job that fails.\"\"\"
    output:
        "results/slurm_test_fail.txt",
    log:
        "results/logs/slurm_test_fail.log",
    resources:
        mem_mb=100,
        runtime=2,
    shell:
        "echo 'deliberate failure' > {log}; exit 3"
"""


def _unavailable(reason):
    if REQUIRED:
        pytest.fail(f"COARSEPDE_REQUIRE_SLURM=1, but no SLURM cluster can be started: {reason}")
    pytest.skip(reason)


def _which(program):
    return shutil.which(program, path=os.environ.get("PATH", "") + os.pathsep + SYSTEM_PATH)


def _ensure_packages():
    """Install slurm-wlm, munge, slurmdbd and MariaDB from apt once per machine (skip if impossible)."""
    if sys.platform != "linux":
        _unavailable(f"needs Linux, not {sys.platform}")
    if all(_which(p) for p in PROGRAMS):
        return
    if os.geteuid() != 0:
        _unavailable("the SLURM packages are not installed and installing them needs root")
    apt = _which("apt-get")
    if apt is None:
        _unavailable("the SLURM packages are not installed and there is no apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", PATH=SYSTEM_PATH)
    # Debian starts the packages' services on installation unless policy-rc.d forbids it; the
    # system's services would then hold /run/munge and the default ports. Forbid it for this install.
    policy = Path("/usr/sbin/policy-rc.d")
    own_policy = not policy.exists()
    if own_policy:
        policy.write_text("#!/bin/sh\n# written by coarsepde tests/test_slurm.py during apt-get install\nexit 101\n")
        policy.chmod(0o755)
    try:
        install = [apt, "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q", *PACKAGES]
        proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:  # a stale package list: refresh it once
            subprocess.run([apt, "update", "-q"], env=env, capture_output=True, text=True, timeout=600)
            proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    finally:
        if own_policy:
            policy.unlink()
    missing = [p for p in PROGRAMS if not _which(p)]
    if proc.returncode != 0 or missing:
        _unavailable(
            f"apt-get install {' '.join(PACKAGES)} failed (rc {proc.returncode}, missing {missing}):"
            f" {(proc.stdout + proc.stderr)[-1500:]}"
        )


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what, check, timeout, procs=(), log=None):
    """Poll ``check()`` until it returns a truthy value; fail with the daemon's log on timeout or death."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        for name, proc in procs:
            if proc.poll() is not None:
                tail = log.read_text()[-3000:] if log and log.exists() else ""
                raise RuntimeError(f"{name} exited with {proc.returncode} while waiting for {what}:\n{tail}")
        time.sleep(0.25)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"timed out after {timeout} s waiting for {what} (last: {last!r}):\n{tail}")


class Cluster:
    """A single-node SLURM cluster with accounting, all state under ``root``, every daemon by PID."""

    def __init__(self, root: Path):
        self.root = root
        for d in ("etc", "state", "spool", "log", "run", "munge", "mysql", "bin"):
            (root / d).mkdir(mode=0o700)
        self.conf = root / "etc" / "slurm.conf"
        # snakemake-executor-plugin-slurm-jobstep removes every SLURM_* variable, SLURM_CONF too, from
        # the environment of the srun it starts inside the job; on a real cluster srun then finds
        # /etc/slurm/slurm.conf (or the configless cache). Here an srun first on PATH puts it back.
        self.bin = root / "bin"
        srun = self.bin / "srun"
        srun.write_text(f'#!/bin/sh\nSLURM_CONF={self.conf}; export SLURM_CONF\nexec {_which("srun")} "$@"\n')
        srun.chmod(0o755)
        self.munge_socket = root / "munge" / "munge.socket.2"
        self.mysql_socket = root / "run" / "mysqld.sock"
        self.host = socket.gethostname().split(".")[0]
        self.ports = {k: _free_port() for k in ("slurmctld", "slurmd", "slurmdbd", "mysql")}
        self.procs = []  # (name, Popen), in start order
        self.env = dict(
            os.environ, SLURM_CONF=str(self.conf), PATH=os.environ.get("PATH", "") + os.pathsep + SYSTEM_PATH
        )
        self.env.pop("SLURM_JOB_ID", None)

    # -- helpers ----------------------------------------------------------------------------------
    def run(self, *cmd, check=True, timeout=60):
        proc = subprocess.run([str(c) for c in cmd], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
        return proc

    def ok(self, *cmd):
        try:
            return self.run(*cmd, check=False, timeout=20).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def start_daemon(self, name, *cmd):
        out = open(self.root / "log" / f"{name}.out", "w")
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        self.procs.append((name, proc))
        return proc

    def mysql(self, sql):
        return self.run(_which("mariadb"), "--no-defaults", f"--socket={self.mysql_socket}", "-u", "root", "-e", sql)

    # -- bring-up ---------------------------------------------------------------------------------
    def start(self):
        self._start_munge()
        self._start_mariadb()
        self._write_configs()
        self._start_slurmdbd()
        self._start_slurm()

    def _start_munge(self):
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        m = self.root / "munge"
        self.start_daemon(
            "munged",
            _which("munged"),
            "--foreground",
            "--force",
            f"--key-file={key}",
            f"--socket={self.munge_socket}",
            f"--pid-file={m / 'munged.pid'}",
            f"--log-file={self.root / 'log' / 'munged.log'}",
            f"--seed-file={m / 'munged.seed'}",
        )
        _wait(
            "munged",
            lambda: self.munge_socket.exists() and self.ok(_which("munge"), "-n", f"--socket={self.munge_socket}"),
            30,
            self.procs[-1:],
            self.root / "log" / "munged.log",
        )

    def _start_mariadb(self):
        data = self.root / "mysql"
        small = ["--innodb-log-file-size=16M", "--innodb-buffer-pool-size=64M"]  # not 100 MB of redo log
        self.run(
            _which("mariadb-install-db"),
            "--no-defaults",
            "--user=root",
            f"--datadir={data}",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
            *small,
            timeout=180,
        )
        log = self.root / "log" / "mariadb.log"
        self.start_daemon(
            "mariadbd",
            _which("mariadbd"),
            "--no-defaults",
            "--user=root",
            f"--datadir={data}",
            f"--socket={self.mysql_socket}",
            f"--port={self.ports['mysql']}",
            "--bind-address=127.0.0.1",
            "--skip-networking=0",
            "--skip-name-resolve",
            f"--pid-file={self.root / 'run' / 'mariadbd.pid'}",
            f"--log-error={log}",
            "--innodb-lock-wait-timeout=900",
            *small,
        )  # the lock timeout slurmdbd asks for
        _wait(
            "mariadbd",
            lambda: self.ok(
                _which("mariadb-admin"), "--no-defaults", f"--socket={self.mysql_socket}", "-u", "root", "ping"
            ),
            90,
            self.procs[-1:],
            log,
        )
        self.db_password = os.urandom(8).hex()
        self.mysql(
            f"CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '{self.db_password}';"
            " GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"
        )

    def _write_configs(self):
        r = self.root
        mem_total_mb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024
        common = ["AuthType=auth/munge", f"AuthInfo=socket={self.munge_socket}"]
        slurm_conf = common + [
            f"ClusterName={CLUSTER}",
            f"SlurmctldHost={self.host}(127.0.0.1)",
            f"SlurmctldPort={self.ports['slurmctld']}",
            f"SlurmdPort={self.ports['slurmd']}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "CredType=cred/munge",
            f"StateSaveLocation={r / 'state'}",
            f"SlurmdSpoolDir={r / 'spool'}",
            f"SlurmctldPidFile={r / 'run' / 'slurmctld.pid'}",
            f"SlurmdPidFile={r / 'run' / 'slurmd.pid'}",
            f"SlurmctldLogFile={r / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={r / 'log' / 'slurmd.log'}",
            f"PlugStackConfig={r / 'etc' / 'plugstack.conf'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            # no cgroups: processes tracked through /proc, tasks not bound
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "SchedulerType=sched/backfill",
            "MpiDefault=none",
            "ReturnToService=2",
            "SlurmdParameters=config_overrides",  # take CPUs / RealMemory from here, whatever the machine
            "KillWait=5",
            "InactiveLimit=0",
            "AccountingStorageType=accounting_storage/slurmdbd",
            "AccountingStorageHost=127.0.0.1",
            f"AccountingStoragePort={self.ports['slurmdbd']}",
            # the munge socket for connections to slurmdbd (AuthInfo covers only slurmctld / slurmd)
            f"AccountingStoragePass=socket={self.munge_socket}",
            "AccountingStoreFlags=job_comment",  # the plugin's comment (rule_<name>...) reaches sacct
            "JobCompType=jobcomp/none",
            f"NodeName={self.host} NodeAddr=127.0.0.1 CPUs=2 RealMemory={min(8000, mem_total_mb // 2)} State=UNKNOWN",
            f"PartitionName=main Nodes={self.host} Default=YES MaxTime=INFINITE State=UP",
            f"PartitionName={PARTITION} Nodes={self.host} Default=NO MaxTime=INFINITE State=UP",
        ]
        self.conf.write_text("\n".join(slurm_conf) + "\n")
        (r / "etc" / "plugstack.conf").write_text("")
        dbd = r / "etc" / "slurmdbd.conf"  # found beside $SLURM_CONF
        dbd.write_text(
            "\n".join(
                common
                + [
                    "DbdHost=localhost",
                    "DbdAddr=127.0.0.1",
                    f"DbdPort={self.ports['slurmdbd']}",
                    "SlurmUser=root",
                    f"PidFile={r / 'run' / 'slurmdbd.pid'}",
                    f"LogFile={r / 'log' / 'slurmdbd.log'}",
                    "DebugLevel=info",
                    "StorageType=accounting_storage/mysql",
                    "StorageHost=127.0.0.1",
                    f"StoragePort={self.ports['mysql']}",
                    "StorageUser=slurm",
                    f"StoragePass={self.db_password}",
                    "StorageLoc=slurm_acct_db",
                ]
            )
            + "\n"
        )
        dbd.chmod(0o600)  # slurmdbd refuses a readable one (it holds the password)

    def _start_slurmdbd(self):
        self.start_daemon("slurmdbd", _which("slurmdbd"), "-D")
        _wait(
            "slurmdbd",
            lambda: self.ok(_which("sacctmgr"), "-n", "list", "cluster"),
            90,
            self.procs[-1:],
            self.root / "log" / "slurmdbd.log",
        )
        user = getpass.getuser()
        self.run(_which("sacctmgr"), "-i", "add", "cluster", CLUSTER)
        self.run(
            _which("sacctmgr"),
            "-i",
            "add",
            "account",
            ACCOUNT,
            f"Cluster={CLUSTER}",
            "Description=coarsepde test",
            "Organization=coarsepde",
        )
        self.run(_which("sacctmgr"), "-i", "add", "user", user, f"Account={ACCOUNT}", f"Cluster={CLUSTER}")

    def _start_slurm(self):
        log = self.root / "log" / "slurmctld.log"
        self.start_daemon("slurmctld", _which("slurmctld"), "-D", "-i")
        _wait(
            "slurmctld",
            lambda: "UP" in self.run(_which("scontrol"), "ping", check=False).stdout,
            60,
            self.procs[-1:],
            log,
        )
        self.start_daemon("slurmd", _which("slurmd"), "-D", "-N", self.host)

        def idle():
            out = self.run(_which("sinfo"), "-h", "-N", "-p", PARTITION, "-o", "%T", check=False).stdout
            return out.strip() == "idle"

        _wait("the node to be idle", idle, 60, self.procs[-2:], self.root / "log" / "slurmd.log")

        def registered():  # slurmctld has registered with slurmdbd: job records reach sacct
            out = self.run(
                _which("sacctmgr"),
                "-n",
                "-P",
                "list",
                "cluster",
                f"cluster={CLUSTER}",
                "format=ControlHost",
                check=False,
            ).stdout
            return out.strip() != ""

        _wait("slurmctld to register with slurmdbd", registered, 60, self.procs[-2:], log)

    # -- tear-down --------------------------------------------------------------------------------
    def stop(self):
        names = dict(self.procs)
        if "slurmctld" in names and names["slurmctld"].poll() is None:
            self.run(_which("scancel"), "--full", "-u", getpass.getuser(), check=False)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                q = self.run(_which("squeue"), "-h", "-o", "%i", check=False)
                if q.returncode != 0 or not q.stdout.strip():
                    break
                time.sleep(0.5)
        for _name, proc in reversed(self.procs):  # slurmd, slurmctld, slurmdbd, mariadbd, munged
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        self._kill_leftovers()
        shutil.rmtree(self.root / "mysql", ignore_errors=True)  # 100 MB of database; the logs stay

    def _kill_leftovers(self):
        """Job processes (slurmstepd, srun, the job itself) of this cluster still alive: they carry
        this cluster's SLURM_CONF in their environment, which no other process can have."""
        marker = f"SLURM_CONF={self.conf}".encode()
        for pid_dir in Path("/proc").iterdir():
            if not pid_dir.name.isdigit() or int(pid_dir.name) == os.getpid():
                continue
            try:
                environ = (pid_dir / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0"):
                try:
                    os.kill(int(pid_dir.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def sacct(self, job_name, since):
        """One dict per job (allocation, not steps) named ``job_name`` since ``since``."""
        fields = [
            "JobIDRaw",
            "JobName",
            "Comment",
            "State",
            "ExitCode",
            "Partition",
            "Account",
            "ReqMem",
            "Timelimit",
            "AllocCPUS",
        ]
        out = self.run(
            _which("sacct"),
            "-X",
            "--parsable2",
            "--noheader",
            "--name",
            job_name,
            "--starttime",
            since.strftime("%Y-%m-%dT%H:%M:%S"),
            "--endtime",
            "now",
            "--format",
            ",".join(f"{f}%200" for f in fields),
        ).stdout
        return [dict(zip(fields, line.split("|"))) for line in out.splitlines() if line.strip()]

    def sacct_settled(self, job_name, since, n, timeout=60):
        """sacct rows of ``job_name`` once ``n`` of them have finished (accounting lags the controller)."""
        done = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"}

        def settled():
            rows = self.sacct(job_name, since)
            return rows if len(rows) >= n and all(r["State"].split()[0] in done for r in rows) else None

        try:
            return _wait(f"sacct to show {n} finished jobs named {job_name}", settled, timeout)
        except RuntimeError:
            return self.sacct(job_name, since)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, request):
    _ensure_packages()
    if os.geteuid() != 0:
        _unavailable("starting slurmctld, slurmd and slurmdbd as SlurmUser=root needs root")
    if Path("/etc/slurm/slurm.conf").exists():
        # not ours to touch; its controller would also answer for the plugin's status checks
        _unavailable("/etc/slurm/slurm.conf exists: this machine has its own SLURM set-up")
    root = tmp_path_factory.mktemp("slurm")  # kept by pytest for a while: the daemons' logs
    if len(str(root)) > 70:  # unix socket paths are limited to 108 bytes
        root = Path(tempfile.mkdtemp(prefix="coarsepde-slurm-"))
        request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    c = Cluster(root)
    request.addfinalizer(c.stop)  # registered before start (and run first): a half-started cluster is stopped too
    c.start()
    return c


def _digest_tree(path):
    """Relative path -> sha256 of every file under ``path`` (Snakemake's timestamp marker excluded)."""
    out = {}
    for dirpath, _, files in os.walk(path):
        for f in files:
            if f != ".snakemake_timestamp":
                p = os.path.join(dirpath, f)
                out[os.path.relpath(p, path)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


def _run_id(proc):
    m = re.search(r"SLURM run ID: (\S+)", proc.stderr + proc.stdout)
    assert m, (proc.stderr + proc.stdout)[-4000:]
    return m.group(1)


def _on_cluster(cluster, monkeypatch):
    """The environment of a Snakemake call that submits to ``cluster``: its slurm.conf, the slurm
    commands on PATH, and the partition / account handed to the profile through the environment."""
    monkeypatch.setenv("SLURM_CONF", str(cluster.conf))
    monkeypatch.setenv("PATH", os.pathsep.join([str(cluster.bin), os.environ.get("PATH", ""), SYSTEM_PATH]))
    monkeypatch.setenv("COARSEPDE_SLURM_PARTITION", PARTITION)
    monkeypatch.setenv("COARSEPDE_SLURM_ACCOUNT", ACCOUNT)


SLURM = ("--profile", "profiles/slurm", "--slurm-init-seconds-before-status-checks", "2")


def test_profile_runs_jobs_through_sbatch_and_matches_a_local_run(cluster, tmp_path, monkeypatch):
    (tmp_path / "local").mkdir()
    (tmp_path / "slurm").mkdir()
    local, remote = copy_workflow(tmp_path / "local"), copy_workflow(tmp_path / "slurm")
    # the local reference run (one core: the threads of every job are those of the cluster jobs)
    # runs beside the cluster run; its output goes to a file, so that it never waits on a full pipe
    local_log = tmp_path / "local.log"
    with open(local_log, "w") as out:
        env = snakemake_env()  # the same PATH and code version as the cluster run's
        local_run = subprocess.Popen(
            [sys.executable, "-m", "snakemake", *TARGETS, "--cores", "1", *CI],
            cwd=local,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _on_cluster(cluster, monkeypatch)
        since = datetime.now() - timedelta(minutes=1)
        proc = snakemake(remote, *TARGETS, *SLURM, *CI, timeout=900)
    finally:
        try:
            local_run.wait(timeout=600)
        except subprocess.TimeoutExpired:
            local_run.kill()
            local_run.wait()
    log = proc.stderr + proc.stdout
    assert proc.returncode == 0, log[-6000:]
    assert local_run.returncode == 0, local_log.read_text()[-4000:]

    # Snakemake's own account: which rules went to the cluster, which ran locally
    submitted = sorted(re.findall(r"^rule (\w+):", log, re.M))
    local_jobs = sorted(re.findall(r"^localrule (\w+):", log, re.M))
    assert submitted == CLUSTER_RULES, log[-4000:]
    assert local_jobs == LOCAL_RULES, log[-4000:]

    # SLURM's account: one sbatch job per cluster job, all COMPLETED, named after this run, with the
    # rule in the comment and the resources of config/ci.yaml, partition and account of the environment
    rows = cluster.sacct_settled(_run_id(proc), since, len(CLUSTER_RULES))
    assert sorted(r["Comment"] for r in rows) == [f"rule_{name}" for name in CLUSTER_RULES], rows
    for r in rows:
        assert r["State"] == "COMPLETED" and r["ExitCode"] == "0:0", r
        assert (r["Partition"], r["Account"]) == (PARTITION, ACCOUNT), r
        assert r["ReqMem"] in ("1000M", "1000Mn"), r  # resources.default.mem_mb of ci.yaml
        assert r["Timelimit"] == "00:10:00", r  # resources.default.runtime of ci.yaml (minutes)
        assert r["AllocCPUS"] == "1", r  # cpus_per_task = threads

    # bit for bit the stores of a local run (same code, same threads)
    for store in STORES:
        assert (remote / store / "zarr.json").exists(), store
        assert _digest_tree(remote / store) == _digest_tree(local / store), store
    md = "results/tables/P2_effective_coefficients.md"
    assert (remote / md).read_bytes() == (local / md).read_bytes()

    # nothing left to do: the cluster run's bookkeeping is complete
    again = snakemake(remote, *TARGETS, *SLURM, *CI, "-n", timeout=120)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr, again.stderr[-3000:]


def test_a_failing_job_is_reported_failed(cluster, tmp_path, monkeypatch):
    wf = copy_workflow(tmp_path)
    with open(wf / "Snakefile", "a") as f:
        f.write(FAIL_RULE)
    _on_cluster(cluster, monkeypatch)
    since = datetime.now() - timedelta(minutes=1)
    proc = snakemake(wf, "results/slurm_test_fail.txt", *SLURM, *CI, timeout=600)
    log = proc.stderr + proc.stdout
    assert proc.returncode != 0, log[-4000:]
    assert "Error in rule slurm_test_fail" in log, log[-4000:]
    assert not (wf / "results/slurm_test_fail.txt").exists()
    # profiles/slurm has retries: 1, so the job is submitted twice and fails twice; the batch step
    # runs Snakemake, which exits with 1 when its job fails
    rows = cluster.sacct_settled(_run_id(proc), since, 2)
    assert len(rows) == 2, rows
    for r in rows:
        assert r["Comment"] == "rule_slurm_test_fail", r
        assert r["State"] == "FAILED" and r["ExitCode"] == "1:0", r
    assert (wf / "results/logs/slurm_test_fail.log").read_text().strip() == "deliberate failure"

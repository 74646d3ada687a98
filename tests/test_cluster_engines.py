"""Sweeps on real distributed engines, all on this machine and on 127.0.0.1 only.

- **SLURM**: a single-node cluster of Debian's slurm-wlm 22.05 (slurmctld, slurmd) with its own
  munged, started from ``tests/fixtures/slurm/slurm.conf`` in a temporary folder, no accounting;
- **Ray**: a cluster started with ``ray start --head --node-ip-address=127.0.0.1``, which the
  sweep connects to (the path that needs care: no local-only settings, the cluster's token);
- **Dask**: the launcher's own LocalCluster on 127.0.0.1.

For each engine: the collected tables equal the serial sweep's bit for bit; and one job killed
mid-run (SLURM: scancel; Ray, Dask: SIGKILL of the worker process running it) is listed as
failed with its cause, the other jobs' results are kept, the sweep ends with the resume command,
and the resume runs only that job and gives the serial tables. Every daemon and cluster a test
starts is stopped by its fixture's finalizer. ``.ci/run`` installs slurm and munge.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from netsim import sweep

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
# the equality sweep: 4 tiny jobs (8 schools, 10 weeks, 2 replicates)
TINY = ["meeting_interval_weeks=3,6", "leader_participation=0.2,1.0", "calendar.years=0.25",
        "replicates=2", "network.n_schools=8"]
# the kill sweep: jobs 0 and 1 run 50 replicates of a school year (a few seconds: long enough to
# be killed mid-run), jobs 2 and 3 five
KILL = ["replicates=50,5", "leader_participation=0.2,1.0", "calendar.years=1",
        "network.n_schools=8"]
HANG_GUARD_S = 600  # a sweep that has not ended by then has hung: the test fails


def netsim(*args: str, cwd: Path, env: dict[str, str] | None = None,
           timeout: float = HANG_GUARD_S) -> subprocess.CompletedProcess[str]:
    """Run the real ``netsim`` command."""
    return subprocess.run([sys.executable, "-m", "netsim.cli", *args], cwd=cwd,
                          env={**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})},
                          capture_output=True, text=True, timeout=timeout, check=False)


def tables(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    summary, series = sweep.collect(folder, write=False)
    return summary.sort("job", "replicate"), series.sort("job", "replicate", "week")


def assert_same_tables(folder: Path, reference: Path) -> None:
    got, want = tables(folder), tables(reference)
    assert got[0].height == want[0].height > 0
    assert got[0].equals(want[0]) and got[1].equals(want[1])  # bit for bit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(*commands: str) -> None:
    """Skip when an engine's programs are missing, except in CI (.ci/run installs them)."""
    missing = [c for c in commands if shutil.which(c) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def serial_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serial") / "tiny"
    proc = netsim("run", "-m", *TINY, f"hydra.sweep.dir={folder}", cwd=folder.parent)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return folder


@pytest.fixture(scope="module")
def serial_kill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serial") / "kill"
    proc = netsim("run", "-m", *KILL, f"hydra.sweep.dir={folder}", cwd=folder.parent)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return folder


def run_and_kill(args: list[str], folder: Path, cwd: Path, env: dict[str, str],
                 kill: Callable[[dict], None],
                 while_running: Callable[[dict], None] | None = None
                 ) -> tuple[int, str, dict]:
    """Start a sweep, kill job 0 once it runs (``kill`` gets its running.json), wait for the
    sweep to end; returns (exit code, output, job 0's running.json)."""
    proc = subprocess.Popen([sys.executable, "-m", "netsim.cli", "run", "-m", *args,
                             f"hydra.sweep.dir={folder}"], cwd=cwd,
                            env={**os.environ, "HYDRA_FULL_ERROR": "0", **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        running = folder / "0" / sweep.RUNNING_FILE
        deadline = time.monotonic() + HANG_GUARD_S
        while not running.is_file():
            assert proc.poll() is None, "the sweep ended before job 0 ran: " + proc.stdout.read()
            assert time.monotonic() < deadline, "job 0 never started"
            time.sleep(0.05)
        info = json.loads(running.read_text())
        if while_running is not None:
            while_running(info)
        kill(info)
        out, _ = proc.communicate(timeout=HANG_GUARD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, info


def check_killed_sweep(rc: int, out: str, folder: Path, causes: dict[int, str]) -> list[str]:
    """The sweep ended with the jobs in ``causes`` failed with those causes (regular
    expressions), the others kept, and the resume command; returns its arguments."""
    failed = sorted(causes)
    kept = [j for j in range(4) if j not in causes]
    assert rc == 1, out
    assert "4 of 4 jobs" in out, out
    assert f"{len(kept)} run, 0 skipped (finished earlier), {len(failed)} failed" in out, out
    for job, cause in causes.items():
        (line,) = [ln for ln in out.splitlines() if ln.startswith(f"  job {job} (")]
        assert re.search(cause, line), line
        err = json.loads((folder / str(job) / sweep.ERROR_FILE).read_text())
        assert re.search(cause, err["error"])
        assert not (folder / str(job) / sweep.SUMMARY_FILE).exists()
        assert not (folder / str(job) / sweep.RUNNING_FILE).exists()
    for job in kept:
        assert (folder / str(job) / sweep.SUMMARY_FILE).is_file()
    st = sweep.status(folder)
    assert (st.jobs["done"], st.jobs["failed"]) == (kept, failed)
    assert "Traceback" not in out
    (resume,) = [ln for ln in out.splitlines() if ln.startswith("resume with: netsim run ")]
    args = shlex.split(resume.removeprefix("resume with: netsim run "))
    assert args[0] == "-m" and f"hydra.sweep.dir={folder}" in args
    return args


def check_resume(args: list[str], folder: Path, cwd: Path, env: dict[str, str],
                 reference: Path, failed: int = 1) -> str:
    proc = netsim("run", *args, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    # only the unfinished jobs are submitted
    assert f"{failed} job(s) to run, {4 - failed} finished earlier" in proc.stdout
    assert f"{failed} run, {4 - failed} skipped (finished earlier), 0 failed" in proc.stdout
    assert_same_tables(folder, reference)
    return proc.stdout


# --------------------------------------------------------------------------------------------
# SLURM


def _stop_pidfile(path: Path) -> None:
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def slurm() -> Iterator[dict[str, str]]:
    """A single-node SLURM cluster (slurmctld + slurmd + munged) on 127.0.0.1; yields the
    environment (SLURM_CONF) its commands need. Stopped (by pid) at the end."""
    require("slurmctld", "slurmd", "munged", "sbatch", "squeue")
    work = Path(tempfile.mkdtemp(prefix="nsslurm"))  # short: munge's socket path
    for sub in ("state", "spool"):
        (work / sub).mkdir()
    key = work / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    sock = work / "munge.sock"
    subprocess.run(["munged", f"--socket={sock}", f"--key-file={key}", "--force",
                    f"--pid-file={work / 'munged.pid'}", f"--log-file={work / 'munged.log'}",
                    f"--seed-file={work / 'munge.seed'}"], check=True, timeout=60)
    conf = (FIXTURES / "slurm" / "slurm.conf").read_text()
    for name, value in {"DIR": str(work), "HOST": socket.gethostname().split(".")[0],
                        "CPUS": str(os.cpu_count() or 1), "CTLD_PORT": str(free_port()),
                        "SLURMD_PORT": str(free_port()), "MUNGE_SOCKET": str(sock)}.items():
        conf = conf.replace(f"@{name}@", value)
    (work / "slurm.conf").write_text(conf)
    env = {"SLURM_CONF": str(work / "slurm.conf")}
    full = {**os.environ, **env}
    try:
        subprocess.run(["slurmctld", "-f", str(work / "slurm.conf")], check=True, env=full,
                       timeout=60)
        subprocess.run(["slurmd", "-f", str(work / "slurm.conf")], check=True, env=full,
                       timeout=60)
        deadline = time.monotonic() + 120
        while True:
            proc = subprocess.run(["sinfo", "-h", "-o", "%T"], env=full, capture_output=True,
                                  text=True, timeout=60)
            if proc.stdout.strip() == "idle":
                break
            assert time.monotonic() < deadline, f"SLURM did not come up: {proc.stderr}"
            time.sleep(0.5)
        yield env
    finally:
        subprocess.run(["scancel", "--full", "-u", "root"], env=full, capture_output=True,
                       timeout=60, check=False)
        for pidfile in ("slurmd.pid", "slurmctld.pid", "munged.pid"):
            _stop_pidfile(work / pidfile)
        shutil.rmtree(work, ignore_errors=True)


def test_slurm_sweep_equals_serial(slurm: dict[str, str], serial_tiny: Path,
                                   tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    proc = netsim("run", "-m", *TINY, "hydra/launcher=slurm", "hydra.launcher.poll_s=1",
                  f"hydra.sweep.dir={folder}", cwd=tmp_path, env=slurm)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert re.search(r"submitted job array \d+ \(4 jobs\)", proc.stdout)
    assert "4 run, 0 skipped" in proc.stdout
    assert proc.stdout.count(" done in ") == 4  # each job's line, shown by the launcher
    assert len(list(folder.glob(".submitit/*/*_result.pkl"))) == 4  # four SLURM jobs
    assert_same_tables(folder, serial_tiny)


def test_slurm_dead_and_cancelled_jobs_are_failed_with_their_causes_and_resumed(
        slurm: dict[str, str], serial_kill: Path, tmp_path: Path) -> None:
    """One job at a time (array_parallelism=1): while job 0 runs, status sees it running and
    the others queued in SLURM (asked with squeue); then job 0's process is killed mid-run
    (a dead job) and job 1, still waiting, is cancelled (scancel). No accounting here."""
    folder = tmp_path / "sweep"
    args = [*KILL, "hydra/launcher=slurm", "hydra.launcher.poll_s=1",
            "hydra.launcher.result_grace_s=3", "hydra.launcher.array_parallelism=1"]
    seen: dict[str, list[int]] = {}

    def look(info: dict) -> None:
        old = os.environ.get("SLURM_CONF")
        os.environ["SLURM_CONF"] = slurm["SLURM_CONF"]
        try:
            st = sweep.status(folder)
        finally:
            if old is None:
                os.environ.pop("SLURM_CONF")
            else:
                os.environ["SLURM_CONF"] = old
        seen.update(running=st.jobs["running"], queued=st.jobs["queued"])

    def kill(info: dict) -> None:
        os.kill(info["pid"], signal.SIGKILL)  # job 0 dies mid-run
        waiting = json.loads((folder / "engine.json").read_text())["jobs"]["1"]
        subprocess.run(["scancel", waiting], env={**os.environ, **slurm}, check=True,
                       timeout=60)

    rc, out, info = run_and_kill(args, folder, tmp_path, slurm, kill, look)
    assert info["engine"] == "slurm" and re.fullmatch(r"\d+_0", info["job_id"])
    assert seen == {"running": [0], "queued": [1, 2, 3]}
    resume = check_killed_sweep(rc, out, folder, {
        0: r"SLURM job \d+_0 ended FAILED, reason NonZeroExitCode without a result",
        # a cancelled waiting array task leaves squeue at once (slurm 22.05): without
        # accounting nothing says why, and netsim says so
        1: r"SLURM job \d+_1 (ended CANCELLED|left the queue without a result and SLURM "
           r"keeps no record of why \(no accounting)"})
    check_resume(resume, folder, tmp_path, slurm, serial_kill, failed=2)


def test_slurm_job_gone_from_the_queue_without_accounting_is_failed(
        slurm: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job SLURM no longer knows (past MinJobAge, no accounting) that left no result is
    failed with that cause once the grace period is over: the wait cannot hang on it."""
    import submitit

    from hydra_plugins.netsim_launchers.slurm_launcher import _SlurmEngine
    from netsim.engines import Submitted

    monkeypatch.setenv("SLURM_CONF", slurm["SLURM_CONF"])
    job = submitit.SlurmJob(folder=tmp_path, job_id="987654_0")  # never submitted
    engine = _SlurmEngine({0: job}, grace_s=0.0, unreachable_s=60.0)
    pending = {0: Submitted(0, ["a=1"], "987654_0", time.time())}
    (kind, cause), = engine.poll(pending).values()
    assert kind == "failed"
    assert "987654_0 left the queue without a result" in cause and "no accounting" in cause


def test_slurm_ctrl_c_cancels_the_array_and_a_second_session_is_refused_meanwhile(
        slurm: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", **slurm}
    cmd = [sys.executable, "-m", "netsim.cli", "run", "-m", *KILL, "hydra/launcher=slurm",
           "hydra.launcher.poll_s=1", "hydra.launcher.array_parallelism=1",
           f"hydra.sweep.dir={folder}"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while not (folder / "0" / sweep.RUNNING_FILE).is_file():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        # a second session into the same folder would mix its jobs into this one's progress
        second = netsim("run", "-m", *KILL, "hydra/launcher=slurm", f"hydra.sweep.dir={folder}",
                        cwd=tmp_path, env=slurm)
        assert second.returncode == 2
        assert "Traceback" not in second.stderr and len(second.stderr.splitlines()) == 1
        assert "of an earlier session" in second.stderr and "scancel" in second.stderr
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = proc.communicate(timeout=HANG_GUARD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, out + err
    assert re.search(r"cancelled 4 SLURM job\(s\): scancel \d+_0 \d+_1 \d+_2 \d+_3", out + err)
    assert "resume with: netsim run -m" in err
    array = json.loads((folder / "engine.json").read_text())["array"]
    deadline = time.monotonic() + 120
    while True:  # nothing of the array is left running or waiting
        states = subprocess.run(
            ["squeue", "-h", "-r", "-t", "all", "-j", array, "-o", "%T"], env=env,
            capture_output=True, text=True, timeout=60).stdout.split()
        if states and all(s in ("CANCELLED", "COMPLETED") for s in states):
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.5)
    assert "CANCELLED" in states


# --------------------------------------------------------------------------------------------
# Ray


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """``ray start --head`` on 127.0.0.1 (2 CPUs, no dashboard); yields its address. Stopped
    by signalling its process group (all its processes, none other)."""
    pytest.importorskip("ray")
    ray_bin = Path(sys.executable).parent / "ray"
    temp = Path(tempfile.mkdtemp(prefix="nsray"))
    port = free_port()
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # bind 127.0.0.1 only
    log = open(temp / "head.log", "w")  # noqa: SIM115 - closed in the finalizer
    head = subprocess.Popen([str(ray_bin), "start", "--head", "--block",
                             "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
                             "--include-dashboard=false", "--disable-usage-stats",
                             f"--temp-dir={temp}"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in (temp / "head.log").read_text():
            assert head.poll() is None, (temp / "head.log").read_text()
            assert time.monotonic() < deadline, "ray start did not come up"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGTERM)  # ray start --block stops what it started
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=5)
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # whatever of the group is left
        head.wait(timeout=10)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_sweep_on_a_running_cluster_equals_serial(ray_cluster: str, serial_tiny: Path,
                                                      tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    proc = netsim("run", "-m", *TINY, "hydra/launcher=ray",
                  f"hydra.launcher.address={ray_cluster}", f"hydra.sweep.dir={folder}",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Connected to Ray cluster" in proc.stdout + proc.stderr  # not a local instance
    assert "4 run, 0 skipped" in proc.stdout and proc.stdout.count(" done in ") == 4
    engine = json.loads((folder / "engine.json").read_text())
    assert engine["engine"] == "ray" and engine["address"] == ray_cluster
    assert_same_tables(folder, serial_tiny)


def test_ray_killed_worker_is_failed_with_its_cause_and_resumed(
        ray_cluster: str, serial_kill: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    args = [*KILL, "hydra/launcher=ray", f"hydra.launcher.address={ray_cluster}"]
    rc, out, info = run_and_kill(args, folder, tmp_path, {},
                                 lambda info: os.kill(info["pid"], signal.SIGKILL))
    assert info["engine"] == "ray" and len(info["job_id"]) > 8
    resume = check_killed_sweep(rc, out, folder, {0: r"Ray worker process running it died"})
    check_resume(resume, folder, tmp_path, {}, serial_kill)


# --------------------------------------------------------------------------------------------
# Dask


def test_dask_sweep_on_a_local_cluster_equals_serial(serial_tiny: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    folder = tmp_path / "sweep"
    proc = netsim("run", "-m", *TINY, "hydra/launcher=dask", "hydra.launcher.n_workers=2",
                  f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "4 run, 0 skipped" in proc.stdout and proc.stdout.count(" done in ") == 4
    engine = json.loads((folder / "engine.json").read_text())
    assert engine["engine"] == "dask" and engine["address"].startswith("tcp://127.0.0.1:")
    assert_same_tables(folder, serial_tiny)


def test_dask_killed_worker_is_failed_with_its_cause_and_resumed(
        serial_kill: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    folder = tmp_path / "sweep"
    args = [*KILL, "hydra/launcher=dask", "hydra.launcher.n_workers=2"]
    rc, out, info = run_and_kill(args, folder, tmp_path, {},
                                 lambda info: os.kill(info["pid"], signal.SIGKILL))
    assert info["engine"] == "dask" and info["job_id"].startswith("netsim-job-0-")
    resume = check_killed_sweep(rc, out, folder, {0: r"Dask worker running it died"})
    check_resume(resume, folder, tmp_path, {}, serial_kill)


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """A Dask scheduler and two single-threaded workers (``dask scheduler``, ``dask worker``)
    on 127.0.0.1; yields the scheduler's address. Stopped by signalling their process groups."""
    pytest.importorskip("distributed")
    dask_bin = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask_bin, "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + 120
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline and procs[0].poll() is None
            time.sleep(0.3)
        procs.append(subprocess.Popen([dask_bin, "worker", address, "--nthreads", "1",
                                       "--nworkers", "2", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def test_dask_sweep_on_a_running_scheduler_equals_serial_and_status_asks_it(
        dask_scheduler: str, serial_kill: Path, tmp_path: Path) -> None:
    """Through a scheduler's address; while jobs 0 and 1 run on the two workers, status asks
    the scheduler and sees jobs 2 and 3 waiting there."""
    folder = tmp_path / "sweep"
    seen: dict[str, list[int]] = {}

    def look(info: dict) -> None:
        st = sweep.status(folder)
        seen.update(running=st.jobs["running"], queued=st.jobs["queued"])

    rc, out, info = run_and_kill([*KILL, "hydra/launcher=dask",
                                  f"hydra.launcher.address={dask_scheduler}"], folder, tmp_path,
                                 {}, lambda info: None, look)
    assert rc == 0, out
    assert info["engine"] == "dask" and info["address"] == dask_scheduler
    assert 0 in seen["running"] and {2, 3} <= set(seen["queued"]), seen
    assert "4 run, 0 skipped" in out
    assert_same_tables(folder, serial_kill)

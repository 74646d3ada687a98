"""Hardening (issue 13): faults during a run or a sweep are reported by netsim and lose
nothing.

Real ``netsim`` processes on tiny scenarios: a run that fails after Hydra made its folder
leaves no folder behind; read-only places and a full disk give one line; a job that Hydra
cannot set up is a failed job and the sweep goes on; a sweep's workers do not outlive it.
Read-only and full disks are real: small tmpfs mounts made for the test (root only; the tests
that need them are skipped where mounting is not allowed).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netsim import sweep

TINY = ["replicates=1", "calendar.years=0.1", "network.n_schools=3"]


def netsim(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "netsim.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False, **kw)


def one_line(proc: subprocess.CompletedProcess[str], *parts: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("netsim: error: "), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def _can_mount() -> bool:
    if os.geteuid() != 0 or not Path("/proc/mounts").exists():
        return False
    probe = Path(f"/tmp/netsim-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                        capture_output=True, check=False).returncode == 0
    if ok:
        subprocess.run(["umount", str(probe)], check=False)
    probe.rmdir()
    return ok


CAN_MOUNT = _can_mount()
needs_mount = pytest.mark.skipif(not CAN_MOUNT, reason="needs root and mount(8) to make a "
                                 "read-only or full disk")


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# --- a run's own ConfigError after Hydra made the folder: nothing left -----------------------


def test_a_run_that_fails_on_its_network_leaves_nothing(tmp_path: Path) -> None:
    proc = netsim("run", "scenario=meeting_groups", "network.n_schools=1",
                  "practices.local_schools=1", *TINY[:2], cwd=tmp_path)
    one_line(proc, "network.group_size_min = 15", "cannot split")
    assert list(tmp_path.iterdir()) == []  # no outputs/ folder, not even .hydra
    proc = netsim("run", "adoption.rule=count_threshold", "adoption.seed_nodes=[1000000000]",
                  *TINY, cwd=tmp_path)
    one_line(proc, "adoption.seed_nodes contains '1000000000'", "node labels")
    assert list(tmp_path.iterdir()) == []


# --- read-only places ----------------------------------------------------------------------


@needs_mount
def test_read_only_places_are_one_line(tmp_path: Path) -> None:
    done = tmp_path / "done"
    proc = netsim("run", "-m", "formality=0.2,0.8", *TINY, f"hydra.sweep.dir={done}",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ro = tmp_path / "ro"
    ro.mkdir()
    subprocess.run(["mount", "--bind", "-o", "ro", str(done), str(ro)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=False)
        before = sorted(os.listdir(ro))
        one_line(netsim("run", *TINY, cwd=ro), "hydra.run.dir", "read-only file system")
        one_line(netsim("run", *TINY, f"hydra.run.dir={ro / 'run'}", cwd=tmp_path),
                 "read-only file system")
        one_line(netsim("run", "-m", "formality=0.2,0.8", *TINY, f"hydra.sweep.dir={ro}",
                        cwd=tmp_path), "hydra.sweep.dir", "read-only file system")
        one_line(netsim("collect", str(ro), cwd=tmp_path), "collected/summary.parquet",
                 "read-only file system")
        assert sorted(os.listdir(ro)) == before
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)


# --- a full disk ---------------------------------------------------------------------------


@needs_mount
def test_a_full_disk_is_refused_up_front(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", "size=64k") as disk:
        (disk / "filler").write_bytes(b"x" * 40_000)
        line = one_line(netsim("run", *TINY, f"hydra.run.dir={disk / 'run'}", cwd=tmp_path),
                        "is full", "MiB free")
        assert "hydra.run.dir" in line
        assert sorted(os.listdir(disk)) == ["filler"]


@needs_mount
@pytest.mark.parametrize("inodes", [9, 11])
def test_a_disk_that_fills_during_a_run_leaves_no_folder(tmp_path: Path, inodes: int) -> None:
    """Out of inodes (a real ENOSPC) at each of the run's files in turn: provenance, summary,
    figure, report. The run folder goes; nothing looks finished."""
    with tmpfs(tmp_path / "full", f"size=5m,nr_inodes={inodes}") as disk:
        proc = netsim("run", *TINY, f"hydra.run.dir={disk / 'run'}", cwd=tmp_path)
        line = one_line(proc, "the disk is full", str(disk / "run"))
        assert ".netsim-partial" not in line
        assert os.listdir(disk) == []


@needs_mount
def test_a_disk_that_fills_during_a_sweep(tmp_path: Path) -> None:
    """Jobs that meet the full disk are failed jobs with the cause 'disk full'; the sweep goes
    on to its end, lists them, and status counts them failed."""
    with tmpfs(tmp_path / "full", "size=5m,nr_inodes=30") as disk:
        folder = disk / "sw"
        proc = netsim("run", "-m", "formality=0.1,0.3,0.5,0.7", *TINY,
                      f"hydra.sweep.dir={folder}", cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr + proc.stdout
        assert "of 4 jobs" in proc.stdout
        st = sweep.status(folder)
        assert st.count("done") >= 1 and st.count("failed") >= 1
        assert st.count("done") + st.count("failed") == 4
        for job in st.jobs["failed"]:
            assert "disk full" in st.errors[job] or "No space left" in st.errors[job]
            assert f"job {job} (" in proc.stdout
            assert not (folder / str(job) / "summary.parquet").exists()


# --- set-up failures are failed jobs ---------------------------------------------------------


def test_a_job_folder_that_cannot_be_made_is_a_failed_job(tmp_path: Path) -> None:
    folder = tmp_path / "sw"
    folder.mkdir()
    (folder / "1").write_text("a regular file where job 1's folder goes")
    proc = netsim("run", "-m", "formality=0.1,0.5,0.9", *TINY, f"hydra.sweep.dir={folder}",
                  cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "2 run, 0 skipped (finished earlier), 1 failed" in proc.stdout
    assert "job 1 (formality=0.5" in proc.stdout and "is a file, not a folder" in proc.stdout
    st = sweep.status(folder)
    assert (st.jobs["done"], st.jobs["failed"]) == ([0, 2], [1])
    status = netsim("status", str(folder), cwd=tmp_path)
    assert "     1  failed" in status.stdout and "is a file, not a folder" in status.stdout


def test_a_job_whose_config_cannot_be_composed_is_recorded_not_raised(tmp_path: Path) -> None:
    """The launcher's per-job composition (Hydra's own loader) failing: the job gets its
    overrides and the error, and run_job records it as failed."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from netsim.app import register_configs
    from netsim.config import configs_dir

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(configs_dir()), version_base="1.3"):
        loader = sweep.SetupSafeLoader(GlobalHydra.instance().config_loader())
        master = loader.load_configuration(
            "config", [f"hydra.sweep.dir={tmp_path}"], RunMode.MULTIRUN)
        good = loader.load_sweep_config(master, ["formality=0.3"])
        assert good.formality == 0.3 and sweep.SETUP_ERROR_KEY not in good
        bad = loader.load_sweep_config(master, ["replicates=1e1"])
    GlobalHydra.instance().clear()
    assert list(bad.hydra.overrides.task) == ["replicates=1e1"]
    assert "replicates" in bad[sweep.SETUP_ERROR_KEY]
    assert sweep._setup_error(bad).startswith("Hydra could not set the job up")


# --- no process outlives its sweep -----------------------------------------------------------


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_sigkill_of_a_joblib_sweep_leaves_no_worker(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "netsim.cli", "run", "-m", "formality=0.1,0.3,0.5,0.7",
         # jobs of several seconds: a 0.4 s job can finish before the look below
         "replicates=30", "calendar.years=3", "network.n_schools=45", "hydra/launcher=joblib",
         "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={tmp_path / 'sw'}"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "sw" / "0" / "running.json").exists():
        time.sleep(0.2)
        workers |= _children(proc.pid)
    time.sleep(0.5)
    workers |= _children(proc.pid)
    assert (tmp_path / "sw" / "0" / "running.json").exists(), "no job started"
    assert len(workers) >= 2  # loky's workers (and its resource tracker)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.5)
    assert [w for w in workers if _alive(w)] == []


@needs_mount
def test_compare_on_a_disk_that_fills_leaves_no_half_report(tmp_path: Path) -> None:
    from test_compare import build_sweep

    sweep_dir = build_sweep(tmp_path / "sw", "meeting_interval_weeks", [3, 6], 2, years=0.1)
    with tmpfs(tmp_path / "full", "size=64k") as disk:
        proc = netsim("compare", str(sweep_dir), "--baseline", "meeting_interval_weeks=6",
                      "--out", str(disk / "report"), cwd=tmp_path)
        one_line(proc, "the disk is full")
        assert os.listdir(disk) == []

"""Sweeps: running a Hydra multirun job robustly, its progress, status and collecting results.

A sweep folder (Hydra's multirun folder, ``hydra.sweep.dir``) holds ``multirun.yaml`` (Hydra's
record of the sweep), ``sweep.json`` (the jobs this sweep expects and when the last session
started, written by :class:`SweepCallback`), ``progress.jsonl`` (one line per job finished in
the last session) and one folder per job, ``<sweep_dir>/<job number>/``, holding Hydra's
``.hydra/`` folder and the files of :func:`netsim.results.write_run`: ``timeseries.parquet``,
``provenance.json`` and, written last, ``summary.parquet``, whose presence marks a finished job.

Each job (:func:`run_job`, called by the ``netsim run -m`` task in every launcher):

- **skips** itself when its folder already holds a finished result of the same job: same
  resolved scenario (which includes seed and replicates), same overrides, same netsim version
  and git commit (read from ``provenance.json``); so re-running a sweep command resumes it;
- otherwise removes any old ``summary.parquet`` first (an interrupted re-run can then never
  leave an old summary next to new files), runs the scenario's replicates and writes the results
  atomically (:func:`netsim.results.atomic_write`);
- on any exception writes ``error.json`` (overrides, error line, traceback) and logs the error,
  so the other jobs still run; the ``netsim run`` command exits non-zero at the end and lists
  the failures;
- while running keeps a ``running.json`` (process id and host; on a cluster engine also the
  engine and its job id, :func:`netsim.engines.job_engine_info`) in its folder for ``status``.

:func:`status` classifies every expected job as done, failed, running, interrupted (started,
no result, not running), stale (a result of a different job, e.g. after the sweep changed) or
missing. :func:`collect` merges the finished jobs into ``<sweep_dir>/collected/summary.parquet``
and ``timeseries.parquet`` with polars (one lazy scan per table), adding the columns ``job``,
``arm`` (the job's overrides, sorted by key, joined by a space; ``(defaults)`` when none),
``point_key`` and one column per overridden key holding its value.

Besides :mod:`netsim.app` and :mod:`netsim.cli`, this is the only module that imports Hydra
(for the callback and to expand a sweep the way Hydra's basic sweeper does); :func:`collect` and
:func:`status` need Hydra only for sweep folders without ``sweep.json``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
import logging
import os
import re
import shlex
import socket
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.experimental.callback import Callback

from netsim.results import (
    CASCADES_FILE,
    PROVENANCE_FILE,
    SERIES_FILE,
    SUMMARY_FILE,
    _git_commit,
    _package_versions,
    atomic_write,
)

if TYPE_CHECKING:  # polars loads when a job writes or collect reads (not in a sweep's parent)
    import polars as pl

__all__ = ["COLLECTED_DIR", "ERROR_FILE", "CollectError", "JobOutcome", "JobSetupError",
           "SetupSafeLoader", "SweepCallback", "SweepStatus", "arm_label", "collect",
           "expand_sweep", "expected_jobs", "format_status",
           "job_folder_problem", "last_sweep_dir", "override_key", "override_value",
           "record_failure", "record_progress", "record_setup_failure", "run_job",
           "session_report", "status"]

log = logging.getLogger("netsim.sweep")

SWEEP_FILE = "sweep.json"
PROGRESS_FILE = "progress.jsonl"
ERROR_FILE = "error.json"
RUNNING_FILE = "running.json"
COLLECTED_DIR = "collected"
DEFAULT_ARM = "(defaults)"

# the sweep folder of the last multirun started in this process (set by SweepCallback)
_last_sweep_dir: Path | None = None


# --------------------------------------------------------------------------------------------
# overrides and arms


def override_key(override: str) -> str:
    """The config key of a ``key=value`` override, without Hydra's ``+``/``++``/``~`` prefix
    and ``@package`` suffix.

    >>> override_key("+experiment=trust"), override_key("trust.initial=0.2")
    ('experiment', 'trust.initial')
    """
    key = override.split("=", 1)[0].strip().lstrip("+~")
    return key.split("@", 1)[0]


_INT = re.compile(r"[+-]?\d+")


def override_value(override: str) -> int | float | str | None:
    """The value of a ``key=value`` override: int, float, None for ``null``, else the text
    (quotes removed). Booleans stay text (``"true"``).

    >>> override_value("meeting_interval_weeks=6"), override_value("trust.initial=0.25")
    (6, 0.25)
    >>> override_value("scenario=meeting_groups"), override_value("network.file=null")
    ('meeting_groups', None)
    """
    text = override.split("=", 1)[1].strip() if "=" in override else ""
    if text == "null":
        return None
    if _INT.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        return text
    return value


def arm_label(overrides: Sequence[str]) -> str:
    """The arm of a job: its overrides sorted by key (then text), joined by a space.

    >>> arm_label(["meeting_interval_weeks=3", "+experiment=formality", "formality=0.2"])
    '+experiment=formality formality=0.2 meeting_interval_weeks=3'
    >>> arm_label([])
    '(defaults)'
    """
    items = sorted((override_key(o), o) for o in overrides)
    return " ".join(o for _, o in items) or DEFAULT_ARM


def expand_sweep(params: Mapping[str, Any] | None, task_overrides: Sequence[str],
                 config_loader: Any = None) -> list[list[str]]:
    """The jobs of a sweep, in Hydra's order: each job's list of overrides.

    Expands like Hydra's basic sweeper: the config's ``hydra.sweeper.params`` first, then the
    command-line overrides (which replace a param of the same key), cartesian product in that
    key order. ``glob(...)`` sweeps over config groups need Hydra's ``config_loader``.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    lines = [f"{k}={v}" for k, v in (params or {}).items()] + list(task_overrides)
    parser = OverridesParser.create(config_loader=config_loader)
    parsed = parser.parse_overrides(lines)
    (batch,) = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for job in batch]


_BASIC_SWEEPERS = ("hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                   "hydra_plugins.netsim_sweeper.CheckedSweeper")


class SweepCallback(Callback):
    """Hydra callback (``hydra.callbacks.netsim_sweep`` in ``configs/config.yaml``).

    At the start of a multirun, in the launching process, it writes ``sweep.json`` (start time,
    the expected jobs, the command) into the sweep folder and empties ``progress.jsonl``, so the
    jobs, in whichever process a launcher runs them, can show ``[k/N]`` and the time left.
    """

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        global _last_sweep_dir
        from hydra.core.global_hydra import GlobalHydra
        from omegaconf import OmegaConf

        sweep_dir = Path(str(config.hydra.sweep.dir)).resolve()
        sweep_dir.mkdir(parents=True, exist_ok=True)
        _last_sweep_dir = sweep_dir
        task = [str(o) for o in config.hydra.overrides.task]
        node = config.hydra.sweeper.get("params")
        params = {} if node is None else OmegaConf.to_container(node, resolve=True)
        jobs: list[list[str]] | None = None
        if str(config.hydra.sweeper.get("_target_", "")) in _BASIC_SWEEPERS:
            gh = GlobalHydra.instance()
            loader = gh.config_loader() if gh.is_initialized() else None
            try:
                jobs = expand_sweep(params, task, loader)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - progress only; the sweeper reports it
                log.warning("could not list the sweep's jobs (%s); progress without totals", exc)
        info = {
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "started_unix": time.time(),
            "n_jobs": None if jobs is None else len(jobs),
            "jobs": jobs,
            "params": params,
            "overrides": task,
            "launcher": str(config.hydra.launcher.get("_target_", "")),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": "netsim run -m " + " ".join(shlex.quote(o) for o in task),
        }
        atomic_write(sweep_dir / SWEEP_FILE,
                     lambda p: p.write_text(json.dumps(info, indent=1, default=str)))
        atomic_write(sweep_dir / PROGRESS_FILE, lambda p: p.write_text(""))


def last_sweep_dir() -> Path | None:
    """The sweep folder of the last multirun started in this process, if any."""
    return _last_sweep_dir


# --------------------------------------------------------------------------------------------
# one job


@dataclass
class JobOutcome:
    """What happened to one job of a sweep (the line ``netsim run -m`` prints)."""

    job: int
    status: str  # "done", "skipped" or "failed"
    overrides: list[str]
    folder: Path
    seconds: float
    replicates: int = 0
    error: str = ""
    done: int = 0  # jobs finished so far in this session, this one included
    total: int | None = None  # jobs in the sweep (None when unknown)
    eta_seconds: float | None = None
    elapsed_seconds: float | None = None

    def line(self) -> str:
        """One progress line: ``[k/N] job j ...``."""
        total = "?" if self.total is None else str(self.total)
        what = " ".join(self.overrides) or DEFAULT_ARM
        if self.status == "done":
            head = f"job {self.job} done: {self.replicates} replicates in {self.seconds:.1f} s"
        elif self.status == "skipped":
            head = f"job {self.job} skipped: finished earlier"
        else:
            head = f"job {self.job} FAILED after {self.seconds:.1f} s"
        tail = ""
        if self.elapsed_seconds is not None:
            tail = f"; {_hms(self.elapsed_seconds)} elapsed"
            if self.eta_seconds is not None:
                tail += f", about {_hms(self.eta_seconds)} left"
        return f"[{self.done}/{total}] {head} ({what}){tail}"


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _netsim_version() -> str | None:
    return _package_versions()["netsim"]  # looked up once per process


def finished_matches(folder: Path, scenario_dict: Mapping[str, Any], overrides: Sequence[str],
                     git_commit: str | None, ensemble: str | None = None) -> bool:
    """True when ``folder`` holds a finished run of this job that can be reused.

    Reused when ``summary.parquet`` exists and ``provenance.json`` records the same resolved
    scenario, the same overrides (in any order), the same netsim version and git commit, and,
    for a run on an ensemble file, the same file contents (:func:`netsim.ensemble.file_digest`).
    """
    if not (folder / SUMMARY_FILE).is_file() or not (folder / SERIES_FILE).is_file():
        return False
    prov = _read_json(folder / PROVENANCE_FILE)
    if prov is None:
        return False
    if ensemble or prov.get("ensemble"):
        from netsim.ensemble import file_digest

        try:
            digest = file_digest(ensemble) if ensemble else None
        except OSError:
            return False
        if (prov.get("ensemble") or {}).get("digest") != digest:
            return False
    return (prov.get("scenario") == json.loads(json.dumps(scenario_dict))
            and sorted(prov.get("overrides") or []) == sorted(overrides)
            and prov.get("netsim_version") == _netsim_version()
            and prov.get("git_commit") == git_commit)


def _progress(sweep_dir: Path, entry: dict[str, Any]) -> tuple[int, int, int | None, float | None]:
    """Append ``entry`` to progress.jsonl; return (done, computed, total, started_unix)."""
    path = sweep_dir / PROGRESS_FILE
    line = json.dumps(entry, default=str)[:3000] + "\n"
    done = computed = 0
    try:
        with open(path, "a", encoding="utf-8") as fh:  # one short append: atomic on POSIX
            fh.write(line)
        done, computed = _count_progress(path)
    except OSError:
        pass
    info = _read_json(sweep_dir / SWEEP_FILE) or {}
    return done, computed, info.get("n_jobs"), info.get("started_unix")


# per progress file: (inode, bytes read, jobs finished, jobs computed) seen by this process
_progress_seen: dict[str, tuple[int, int, int, int]] = {}


def _count_progress(path: Path) -> tuple[int, int]:
    """Jobs finished and computed (not skipped) so far, from ``progress.jsonl``.

    Each process remembers how far it has read and parses only the lines appended since (by any
    process), so a sweep of n jobs parses O(n) lines per process, not O(n^2). A file that was
    replaced (a new session of the sweep) is read from the start.
    """
    key = str(path)
    with open(path, "rb") as fh:
        stat = os.fstat(fh.fileno())
        ino, offset, done, computed = _progress_seen.get(key, (stat.st_ino, 0, 0, 0))
        if ino != stat.st_ino or stat.st_size < offset:
            ino, offset, done, computed = stat.st_ino, 0, 0, 0
        fh.seek(offset)
        chunk = fh.read()
    end = chunk.rfind(b"\n") + 1  # complete lines only: another process may be appending
    for raw in chunk[:end].splitlines():
        try:
            rec = json.loads(raw)
        except ValueError:
            continue
        done += 1
        computed += rec.get("status") != "skipped"
    _progress_seen[key] = (ino, offset + end, done, computed)
    return done, computed


_fast_exit_registered = False


def _register_fast_exit() -> None:
    """Let a process that ran jobs exit without a last garbage collection (once per process).

    Such a process holds Mesa, SciPy, pandas and polars, about 10^5 objects, and the
    interpreter's final collections over them take 0.2-0.4 s at exit, which the parent of a
    parallel sweep waits for (joblib's loky executor joins its workers). ``gc.freeze`` at exit
    puts those objects out of the collector's reach: the memory goes back to the system with
    the process, results are written and closed by then, and logging (whose exit handler runs
    after this one) still flushes and closes its files.
    """
    global _fast_exit_registered
    if not _fast_exit_registered:
        atexit.register(gc.freeze)
        _fast_exit_registered = True


class JobSetupError(RuntimeError):
    """Hydra could not set a job up (compose its config); recorded as the job's failure."""


SETUP_ERROR_KEY = "netsim_setup_error"


def _setup_error(cfg: Any) -> str | None:
    try:
        value = cfg.get(SETUP_ERROR_KEY) if hasattr(cfg, "get") else None
    except Exception:  # noqa: BLE001 - a config without the key
        return None
    return str(value) if value else None


def _error_line(exc: BaseException) -> str:
    """The recorded cause of a failed job: its type and message on one line, a full disk
    named as such."""
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"OSError: disk full{where} (no space left on device)"
    if isinstance(exc, OSError) and exc.filename:
        return f"{type(exc).__name__}: {exc.filename}: {exc.strerror or exc}"
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def record_failure(folder: Path, job: int, overrides: Sequence[str], error: str,
                   details: str = "") -> None:
    """Record a failed job: ``error.json`` in its folder (its partial result files removed,
    so the folder never looks finished and a full disk gets room for the record) and the
    log. Never raises: when even ``error.json`` cannot be written (a job folder that cannot be
    written), the failure is still in the log and in the session's ``progress.jsonl``."""
    for name in (SUMMARY_FILE, SERIES_FILE, PROVENANCE_FILE):
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError:
            pass
    record = {"job": job, "overrides": list(overrides), "error": error, "traceback": details,
              "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    where = folder / ERROR_FILE
    try:
        atomic_write(where, lambda p: p.write_text(json.dumps(record, indent=1, default=str)))
    except OSError as exc:
        where = Path(f"(not written: {exc.strerror or exc})")
    log.error("job %d (%s) failed: %s [details: %s]", job, " ".join(overrides) or DEFAULT_ARM,
              error, where)


class SetupSafeLoader:
    """Hydra's config loader for a sweep's jobs, turning a job whose config cannot be composed
    into a failed job instead of a stopped sweep.

    Launchers (basic, joblib, submitit) call ``load_sweep_config`` for every job, and an
    exception there ends the whole sweep. This wrapper (installed by netsim's sweeper,
    ``hydra_plugins.netsim_sweeper``) composes the job without its task overrides instead,
    records the job's overrides and the error in the config (``netsim_setup_error``), and the
    job then records the failure (``error.json``, listing, ``status``) like any other. Every
    other call goes to the wrapped loader. Picklable, for launchers that run jobs in other
    processes.
    """

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_loader":
            raise AttributeError(name)
        return getattr(self._loader, name)

    def load_sweep_config(self, master_config: Any, sweep_overrides: list[str]) -> Any:
        try:
            return self._loader.load_sweep_config(master_config, sweep_overrides)
        except Exception as exc:  # noqa: BLE001 - becomes the job's recorded failure
            from omegaconf import open_dict

            from netsim.app import _message

            message = _message(exc, list(sweep_overrides))
            cfg = self._loader.load_sweep_config(master_config, [])
            with open_dict(cfg):
                cfg.hydra.overrides.task = list(sweep_overrides)
                cfg[SETUP_ERROR_KEY] = f"Hydra could not set the job up: {message}"
            return cfg


def job_folder_problem(folder: Path) -> str | None:
    """Why a job folder cannot be created or written (Hydra would stop the whole sweep on it),
    or None when it can."""
    target = folder
    while not os.path.lexists(target) and target.parent != target:
        target = target.parent
    if not target.is_dir():
        return f"{target} is a file, not a folder"
    if not os.access(target, os.W_OK):
        return f"{target} cannot be written (permission denied)"
    if folder.is_dir() and (folder / ".hydra").exists() and not (
            (folder / ".hydra").is_dir() and os.access(folder / ".hydra", os.W_OK)):
        return f"{folder / '.hydra'} cannot be written"
    try:
        st = os.statvfs(target)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return f"{target} is on a read-only file system"
    if st.f_bavail * st.f_frsize < 256 * 1024 or (st.f_files > 0 and st.f_favail < 8):
        return f"disk full at {target} (no space left on device)"
    return None


def record_setup_failure(sweep_dir: Path, job: int, overrides: Sequence[str],
                         problem: str) -> None:
    """A job that Hydra cannot set up at all (its folder cannot be written): logged and
    listed in ``progress.jsonl`` as failed, so the sweep goes on, ``netsim run`` lists it and
    ``status`` counts it failed."""
    error = problem if problem.startswith("Hydra could not") else \
        f"OSError: the job folder cannot be used: {problem}"
    log.error("job %d (%s) failed: %s", job, " ".join(overrides) or DEFAULT_ARM, error)
    _progress(sweep_dir, {"job": job, "status": "failed", "seconds": 0.0, "cpu_seconds": 0.0,
                          "overrides": list(overrides), "error": error, "t": time.time()})


_watching = False


def _watch_launching_process(sweep_dir: Path) -> None:
    """In a worker process of a local parallel launcher (joblib's loky, submitit_local), exit
    when the process that launched the sweep is gone (killed with SIGKILL, it cannot stop its
    workers), so no process outlives its sweep. Started once per process; nothing happens in
    the launching process itself or on another host, nor under SLURM, Ray or Dask (a cluster
    job belongs to its scheduler, and their workers serve many sweeps).
    """
    global _watching
    if _watching:
        return
    info = _read_json(sweep_dir / SWEEP_FILE) or {}
    pid, host = info.get("pid"), info.get("host")
    if not isinstance(pid, int) or host != socket.gethostname() or pid == os.getpid():
        return
    launcher = str(info.get("launcher", ""))
    if "Slurm" in launcher or "netsim_launchers" in launcher:
        return  # a scheduler's job, or a persistent Ray/Dask worker that outlives any one sweep
    parent = os.getppid()
    _watching = True
    import threading

    def watch() -> None:
        while True:
            time.sleep(1.0)
            gone = os.getppid() != parent
            if not gone:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    gone = True
                except OSError:
                    pass
            if gone:
                log.error("the sweep's launching process %d is gone; this worker (%d) exits",
                          pid, os.getpid())
                os._exit(3)

    threading.Thread(target=watch, name="netsim-sweep-watch", daemon=True).start()


def run_job(cfg: Any) -> JobOutcome:
    """Run one job of a multirun (inside Hydra's job context); never raises an Exception.

    Skips the job when its folder already holds a matching finished result; otherwise runs the
    replicates and writes results, or on error writes ``error.json`` and logs the error.
    """
    _register_fast_exit()
    from hydra.core.hydra_config import HydraConfig

    from netsim.app import scenario_from_cfg
    from netsim.config import scenario_to_dict
    from netsim.results import write_run
    from netsim.runner import run_scenario

    hc = HydraConfig.get()
    folder = Path(hc.runtime.output_dir)
    sweep_dir = Path(str(hc.sweep.dir)).resolve()
    job = int(hc.job.num)
    overrides = [str(o) for o in hc.overrides.task]
    command = "netsim run " + " ".join(shlex.quote(o) for o in overrides)
    start, cpu_start = time.perf_counter(), time.process_time()
    status_, error, replicates = "done", "", 0
    running = folder / RUNNING_FILE
    _watch_launching_process(sweep_dir)
    from netsim.engines import job_engine_info  # SLURM job id, Ray task, Dask key (or none)

    try:
        atomic_write(running, lambda p: p.write_text(json.dumps(
            {**job_engine_info(), "pid": os.getpid(), "host": socket.gethostname(),
             "started_unix": time.time()})))
        (folder / ERROR_FILE).unlink(missing_ok=True)
        setup_error = _setup_error(cfg)
        if setup_error:
            raise JobSetupError(setup_error)
        scenario = scenario_from_cfg(cfg)
        replicates = scenario.replicates
        commit = _git_commit()
        ensemble = cfg.get("ensemble")  # runs on plausible worlds (netsim.ensemble)
        if finished_matches(folder, scenario_to_dict(scenario), overrides, commit, ensemble):
            status_ = "skipped"
        else:
            (folder / SUMMARY_FILE).unlink(missing_ok=True)
            extra: dict[str, Any] = {}
            if ensemble:
                from netsim.ensemble import load_ensemble, run_on_ensemble

                result, extra["ensemble"] = run_on_ensemble(scenario, load_ensemble(ensemble),
                                                            overrides)
            else:
                result = run_scenario(scenario)
            write_run(folder, result, overrides=overrides, command=command, job=job,
                      sweep_dir=str(sweep_dir), **extra)
    except Exception as exc:  # noqa: BLE001 - a failed job must not stop the sweep
        status_ = "failed"
        error = _error_line(exc)
        record_failure(folder, job, overrides, error, traceback.format_exc())
    finally:
        running.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    done, total, eta, elapsed = record_progress(sweep_dir, job, status_, overrides, seconds,
                                                time.process_time() - cpu_start, error)
    return JobOutcome(job, status_, overrides, folder, seconds, replicates, error, done, total,
                      eta, elapsed)


def record_progress(sweep_dir: Path, job: int, status_: str, overrides: Sequence[str],
                    seconds: float, cpu_seconds: float, error: str = ""
                    ) -> tuple[int, int | None, float | None, float | None]:
    """Record a finished job in ``progress.jsonl``; return (done, total, eta, elapsed).

    ``done`` counts the sweep's finished jobs (this one included), ``total`` its jobs (None
    when unknown), ``eta`` the seconds left at the pace of the jobs computed so far and
    ``elapsed`` the seconds since the sweep started (None before it is known). Used by every
    runner of sweep jobs (:func:`run_job`, :func:`netsim.designs.run_job`).
    """
    done, computed, total, started = _progress(sweep_dir, {
        "job": job, "status": status_, "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3), "overrides": list(overrides),
        "error": error[:1000], "t": time.time()})
    elapsed = eta = None
    if started is not None:
        elapsed = max(0.0, time.time() - float(started))
        if total is not None and computed:
            eta = elapsed / computed * max(0, int(total) - done)
    return done, total, eta, elapsed


def session_report(sweep_dir: Path | str) -> tuple[str, int]:
    """Summary of the last session of a sweep (from progress.jsonl): (text, failed jobs)."""
    sweep_dir = Path(sweep_dir)
    info = _read_json(sweep_dir / SWEEP_FILE) or {}
    records = []
    path = sweep_dir / PROGRESS_FILE
    if path.is_file():
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(raw))
            except ValueError:
                continue
    counts = {s: sum(r.get("status") == s for r in records) for s in ("done", "skipped",
                                                                      "failed")}
    elapsed = ""
    if info.get("started_unix"):
        elapsed = f" in {_hms(time.time() - float(info['started_unix']))}"
    total = info.get("n_jobs")
    lines = [f"sweep {sweep_dir}: {len(records)}"
             + (f" of {total}" if total is not None else "") + f" jobs{elapsed}: "
             f"{counts['done']} run, {counts['skipped']} skipped (finished earlier), "
             f"{counts['failed']} failed"]
    failed = sorted((r for r in records if r.get("status") == "failed"),
                    key=lambda r: r.get("job", 0))
    for r in failed:
        lines.append(f"  job {r.get('job')} ({' '.join(r.get('overrides') or []) or DEFAULT_ARM})"
                     f": {r.get('error', '')}")
    return "\n".join(lines), len(failed)


# --------------------------------------------------------------------------------------------
# status


def expected_jobs(sweep_dir: Path | str) -> list[list[str]] | None:
    """The jobs a sweep folder expects (each a list of overrides), or None when unknown.

    Read from ``sweep.json``; for folders without it, expanded from Hydra's ``multirun.yaml``.
    """
    sweep_dir = Path(sweep_dir)
    info = _read_json(sweep_dir / SWEEP_FILE)
    if info is not None and info.get("jobs") is not None:
        return [list(j) for j in info["jobs"]]
    multirun = sweep_dir / "multirun.yaml"
    if not multirun.is_file():
        return None
    try:
        import yaml

        data = yaml.safe_load(multirun.read_text()) or {}
        hydra = data.get("hydra") or {}
        sweeper = hydra.get("sweeper") or {}
        if str(sweeper.get("_target_", "")) not in _BASIC_SWEEPERS:
            return None
        task = (hydra.get("overrides") or {}).get("task") or []
        return expand_sweep(sweeper.get("params") or {}, [str(o) for o in task])
    except Exception as exc:  # noqa: BLE001 - e.g. glob() sweeps need Hydra's config loader
        log.warning("could not expand the sweep in %s: %s", multirun, exc)
        return None


def _sweep_folder(sweep_dir: Path | str) -> Path:
    """``sweep_dir`` as a Path, or FileNotFoundError when it is not a sweep folder."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"sweep folder {str(sweep_dir)!r} does not exist")
    try:
        has_jobs = bool(_job_dirs(sweep_dir))
    except OSError as exc:
        raise FileNotFoundError(f"sweep folder {str(sweep_dir)!r} cannot be read: "
                                f"{exc.strerror}") from None
    if not (has_jobs or (sweep_dir / SWEEP_FILE).is_file()
            or (sweep_dir / "multirun.yaml").is_file()):
        raise FileNotFoundError(f"{str(sweep_dir)!r} is not a sweep folder (no {SWEEP_FILE}, "
                                "multirun.yaml or job folders); allowed: a folder written by "
                                "netsim run -m (its hydra.sweep.dir, e.g. multirun/DATE/TIME)")
    return sweep_dir


def _session_failures(sweep_dir: Path) -> dict[int, str]:
    """Jobs of the last session recorded as failed in ``progress.jsonl`` (their last record)."""
    out: dict[int, str] = {}
    try:
        text = (sweep_dir / PROGRESS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return out
    for raw in text.splitlines():
        try:
            rec = json.loads(raw)
            job = int(rec["job"])
        except (ValueError, KeyError, TypeError):
            continue
        if rec.get("status") == "failed":
            out[job] = str(rec.get("error", ""))
        else:
            out.pop(job, None)
    return out


def _alive(info: Mapping[str, Any] | None) -> bool:
    if not info or info.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def _job_dirs(sweep_dir: Path) -> dict[int, Path]:
    out = {}
    with os.scandir(sweep_dir) as it:
        for entry in it:
            if entry.is_dir() and entry.name.isdigit():
                out[int(entry.name)] = Path(entry.path)
    return out


@dataclass
class SweepStatus:
    """Where every job of a sweep stands (see :func:`status`)."""

    sweep_dir: Path
    expected: int | None
    jobs: dict[str, list[int]] = field(default_factory=dict)
    overrides: dict[int, list[str]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)

    def count(self, state: str) -> int:
        """Number of jobs in ``state``."""
        return len(self.jobs.get(state, []))


STATES = ("done", "failed", "running", "queued", "interrupted", "stale", "missing", "extra")


def _classify(folder: Path | None, expected: list[str] | None) -> tuple[str, str]:
    if folder is None:
        return "missing", ""
    running = _read_json(folder / RUNNING_FILE)
    if _alive(running):
        return "running", ""
    if (folder / SUMMARY_FILE).is_file():
        if expected is None:
            return "done", ""
        prov = _read_json(folder / PROVENANCE_FILE) or {}
        if sorted(prov.get("overrides") or []) == sorted(expected):
            return "done", ""
        return "stale", ""
    err = _read_json(folder / ERROR_FILE)
    if err is not None:
        return "failed", str(err.get("error", ""))
    return "interrupted", ""


def status(sweep_dir: Path | str) -> SweepStatus:
    """Classify the jobs of a sweep folder.

    States: ``done`` (finished result of this job), ``failed`` (``error.json``), ``running``
    (``running.json`` of a live process on this host, or a job its cluster engine reports
    running), ``queued`` (submitted to a cluster engine and waiting there; both asked by
    :func:`netsim.engines.refine_status`), ``interrupted`` (started, no result, not running:
    killed, or on another machine no engine could be asked about), ``stale`` (a result of a
    different job, e.g. from before the sweep was changed; it is rerun on resume and not
    collected),
    ``missing`` (not started) and ``extra`` (a job folder beyond the sweep's jobs).
    """
    sweep_dir = _sweep_folder(sweep_dir)
    jobs = expected_jobs(sweep_dir)
    dirs = _job_dirs(sweep_dir)
    session_failures = _session_failures(sweep_dir)
    st = SweepStatus(sweep_dir, None if jobs is None else len(jobs),
                     {s: [] for s in STATES})
    numbers = range(len(jobs)) if jobs is not None else sorted(dirs)
    for num in numbers:
        exp = jobs[num] if jobs is not None else None
        state, error = _classify(dirs.get(num), exp)
        if state in ("missing", "interrupted") and num in session_failures:
            state, error = "failed", session_failures[num]  # no error.json could be written
        st.jobs[state].append(num)
        if exp is not None:
            st.overrides[num] = exp
        elif num in dirs:
            prov = _read_json(dirs[num] / PROVENANCE_FILE) or {}
            err = _read_json(dirs[num] / ERROR_FILE) or {}
            st.overrides[num] = list(prov.get("overrides") or err.get("overrides") or [])
        if error:
            st.errors[num] = error
    if jobs is not None:
        st.jobs["extra"] = sorted(n for n in dirs if n >= len(jobs))
    from netsim.engines import refine_status  # ask SLURM, Ray or Dask about unfinished jobs

    refine_status(st)
    return st


def format_status(st: SweepStatus) -> str:
    """Human-readable status (what ``netsim status`` prints)."""
    expected = ("unknown (no sweep.json or multirun.yaml)" if st.expected is None
                else str(st.expected))
    lines = [f"sweep {st.sweep_dir}: {expected} jobs expected"]
    labels = {"done": "done", "failed": "failed", "running": "running",
              "queued": "queued (submitted, waiting in the engine's queue)",
              "interrupted": "interrupted (started, no result, not running here)",
              "stale": "stale (result of a different job; rerun on resume)",
              "missing": "missing (not started)",
              "extra": "extra (job folders beyond this sweep; not collected)"}
    for state in STATES:
        nums = st.jobs.get(state, [])
        if not nums and state in ("stale", "extra", "running", "queued", "interrupted"):
            continue
        lines.append(f"  {nums.__len__():6d}  {labels[state]}")
        if state == "done" or not nums:
            continue
        show = nums if state == "failed" else nums[:10]
        for n in show:
            what = " ".join(st.overrides.get(n, [])) or DEFAULT_ARM
            err = f": {st.errors[n]}" if n in st.errors else ""
            lines.append(f"          job {n} ({what}){err}")
        if len(nums) > len(show):
            lines.append(f"          ... and {len(nums) - len(show)} more")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# collect


def _finished(sweep_dir: Path) -> tuple[list[int], list[str], list[dict[str, Any]], int]:
    """Finished jobs that belong to the sweep: (numbers, folders, provenances, left out)."""
    jobs = expected_jobs(sweep_dir)
    nums, folders, provs, left_out = [], [], [], 0
    join, isfile = os.path.join, os.path.isfile  # plain strings: 10,000s of folders
    for num, path in sorted(_job_dirs(sweep_dir).items()):
        folder = str(path)
        if not isfile(join(folder, SUMMARY_FILE)):
            continue
        try:
            with open(join(folder, PROVENANCE_FILE), encoding="utf-8") as fh:
                prov = json.load(fh)
        except (OSError, ValueError):
            prov = None
        if prov is None or not isfile(join(folder, SERIES_FILE)):
            left_out += 1
            continue
        if jobs is not None and (num >= len(jobs) or
                                 sorted(prov.get("overrides") or []) != sorted(jobs[num])):
            left_out += 1
            continue
        nums.append(num)
        folders.append(folder)
        provs.append(prov)
    return nums, folders, provs, left_out


def _value_series(name: str, values: list[int | float | str | None]) -> pl.Series:
    import polars as pl

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) for v in present):
        return pl.Series(name, values, dtype=pl.Int64)
    if present and all(isinstance(v, (int, float)) for v in present):
        return pl.Series(name, [None if v is None else float(v) for v in values],
                         dtype=pl.Float64)
    return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)


def _read(paths: list[str], jobs: pl.DataFrame, counts: list[int | None]) -> pl.DataFrame:
    """All files (one per job, in ``jobs`` order) as one frame with the job columns in front.

    One lazy multi-file scan (polars reads the files in parallel); the job columns are
    gathered by each file's row count (recorded in ``provenance.json``, else read from the
    Parquet footer), which is much cheaper than a per-row file-path column and a join.
    """
    import numpy as np
    import polars as pl
    import pyarrow.parquet as pq

    rows = [n if isinstance(n, int) else pq.read_metadata(p).num_rows
            for p, n in zip(paths, counts)]
    try:
        data = pl.scan_parquet(paths).collect()
    except (pl.exceptions.PolarsError, OSError):  # files with differing schemas: align them
        data = pl.concat([pl.read_parquet(p) for p in paths], how="diagonal_relaxed")
    if data.height != sum(rows):  # a count on record is wrong: read every footer
        rows = [pq.read_metadata(p).num_rows for p in paths]
    front = jobs.select(pl.all().gather(np.repeat(np.arange(len(paths)), rows)))
    return pl.concat([front, data.drop([c for c in front.columns if c in data.columns])],
                     how="horizontal")


def collected_is_current(sweep_dir: Path | str) -> bool:
    """Whether ``<sweep_dir>/collected/`` exists and is newer than every job's results and the
    sweep's job list (a resumed, extended or re-run sweep makes it stale)."""
    sweep_dir = Path(sweep_dir)
    try:
        collected = os.stat(sweep_dir / COLLECTED_DIR / SUMMARY_FILE).st_mtime_ns
    except OSError:
        return False
    newest = 0
    for entry in os.scandir(sweep_dir):
        if entry.name == COLLECTED_DIR:
            continue
        path = os.path.join(entry.path, SUMMARY_FILE) if entry.is_dir() else entry.path
        if entry.is_dir() or entry.name == SWEEP_FILE:
            try:
                newest = max(newest, os.stat(path).st_mtime_ns)
            except OSError:
                continue
    return collected >= newest


class CollectError(ValueError):
    """A finished job's result file cannot be read (damaged, e.g. by a failing disk)."""


def _damaged(folders: Sequence[str], exc: BaseException) -> CollectError:
    """The first job file that cannot be read, as a CollectError naming it and the fix."""
    import pyarrow.parquet as pq

    for folder in folders:
        for name in (SUMMARY_FILE, SERIES_FILE):
            path = os.path.join(folder, name)
            try:
                pq.read_metadata(path)
                continue
            except Exception as bad:  # noqa: BLE001 - any reader error means damaged
                why = " ".join(str(bad).split())[:200]
            return CollectError(
                f"{path} cannot be read ({why}); allowed: a complete Parquet file: delete "
                f"{os.path.join(folder, SUMMARY_FILE)} and run the sweep's command again to "
                "recompute that job (finished jobs are skipped)")
    return CollectError(f"the sweep's result files cannot be read together: "
                        f"{' '.join(str(exc).split())[:300]}")


class ModelVersionError(ValueError):
    """Finished jobs of one sweep come from different model versions (``MODEL_VERSION``)."""


def _job_ranges(nums: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    parts: list[str] = []
    start = prev = None
    for n in sorted(nums):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def check_model_versions(nums: Sequence[int], provs: Sequence[Mapping[str, Any]],
                         where: Path | str = "") -> None:
    """Refuse to put results of different model versions in one table.

    Each job's ``provenance.json`` records ``model_version`` (``netsim.MODEL_VERSION``; results
    from before it was recorded count as "unrecorded"). Results of different versions of the
    model's rules are not comparable, so a table must hold one version only.

    Raises:
        ModelVersionError: one line naming the versions and which jobs have each.
    """
    by_version: dict[str, list[int]] = {}
    for num, prov in zip(nums, provs):
        version = prov.get("model_version")
        by_version.setdefault("unrecorded" if version is None else str(version), []).append(num)
    if len(by_version) > 1:
        listed = "; ".join(f"model_version {v}: job(s) {_job_ranges(j)}"
                           for v, j in sorted(by_version.items()))
        raise ModelVersionError(
            f"sweep folder {str(where)!r} mixes results of different model versions ({listed});"
            " re-run the older jobs with this netsim (netsim run -m ...) or compare them apart")


def sweep_model_versions(sweep_dir: Path | str) -> None:
    """:func:`check_model_versions` for the finished jobs in ``sweep_dir`` (none: nothing to
    check)."""
    nums, _, provs, _ = _finished(Path(sweep_dir))
    check_model_versions(nums, provs, sweep_dir)


def collect(sweep_dir: Path | str, write: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Merge the finished jobs of a sweep into (summary, timeseries) tables.

    Each row gets ``job``, ``arm``, ``point_key`` and one column per overridden key (named as
    the key, e.g. ``trust.initial``; numeric when every value is, else text). Jobs that are not
    finished, or whose result belongs to a different job of an older sweep, are left out.
    With ``write`` the tables go to ``<sweep_dir>/collected/{summary,timeseries}.parquet``, and
    when jobs ran a textbook rule their per-cascade tables (one row per replicate, cascade and
    week, with the same job columns) to ``<sweep_dir>/collected/cascades.parquet``.

    Raises:
        FileNotFoundError: the folder does not exist, is not a sweep folder or holds no
            finished job.
        CollectError: a finished job's file cannot be read.
        ModelVersionError: the finished jobs come from different model versions.
    """
    import polars as pl

    sweep_dir = _sweep_folder(sweep_dir)
    nums, folders, provs, left_out = _finished(sweep_dir)
    if not nums:
        raise FileNotFoundError(f"sweep folder {str(sweep_dir)!r} holds no finished job "
                                "(no <job>/summary.parquet); see netsim status")
    check_model_versions(nums, provs, sweep_dir)
    if left_out:
        log.warning("%d finished job folder(s) in %s are not part of the current sweep or lack "
                    "files; left out", left_out, sweep_dir)
    overrides = [list(p.get("overrides") or []) for p in provs]
    keys: list[str] = []
    for ovs in overrides:
        for o in ovs:
            if override_key(o) not in keys:
                keys.append(override_key(o))
    keys.sort()
    reserved = {"job", "arm", "point_key", "replicate"}
    values: dict[str, list[Any]] = {k: [] for k in keys}
    for ovs in overrides:
        mine = {override_key(o): override_value(o) for o in ovs}
        for k in keys:
            values[k].append(mine.get(k))
    base = pl.DataFrame([
        pl.Series("job", nums, dtype=pl.Int64),
        pl.Series("arm", [arm_label(o) for o in overrides], dtype=pl.String),
        *[_value_series(k, values[k]) for k in keys if k not in reserved],
    ])
    point_keys = pl.Series("point_key", [int((p.get("seed") or {}).get("point_key", 0))
                                         for p in provs], dtype=pl.UInt64)
    id_cols = base.columns
    counts = [p.get("rows") or {} for p in provs]
    try:
        summary = _read([os.path.join(f, SUMMARY_FILE) for f in folders], base,
                        [c.get("summary") for c in counts])
        series = _read([os.path.join(f, SERIES_FILE) for f in folders],
                       base.with_columns(point_keys), [c.get("timeseries") for c in counts])
    except Exception as exc:  # noqa: BLE001 - a damaged file: name it
        raise _damaged(folders, exc) from None
    first = [*id_cols, "replicate", "point_key"]
    summary = summary.select(*first, *[c for c in summary.columns if c not in first])
    series = series.select(*first, *[c for c in series.columns if c not in first])
    cascades = None
    with_cascades = [i for i, f in enumerate(folders)
                     if os.path.isfile(os.path.join(f, CASCADES_FILE))]
    if with_cascades:  # textbook jobs: one row per replicate, cascade and week
        try:
            cascades = _read([os.path.join(folders[i], CASCADES_FILE) for i in with_cascades],
                             base[with_cascades], [None] * len(with_cascades))
        except Exception as exc:  # noqa: BLE001 - a damaged file: name it
            raise _damaged([folders[i] for i in with_cascades], exc) from None
    if write:
        out = sweep_dir / COLLECTED_DIR
        def both(path: Path) -> None:  # the summary is renamed only once the series is in
            summary.write_parquet(path)
            atomic_write(out / SERIES_FILE, lambda p: series.write_parquet(p))
            if cascades is not None:
                atomic_write(out / CASCADES_FILE, lambda p: cascades.write_parquet(p))
            else:
                (out / CASCADES_FILE).unlink(missing_ok=True)

        atomic_write(out / SUMMARY_FILE, both)
    return summary, series

"""Distributed engines for sweeps (SLURM, Ray, Dask): checks, the launching side's wait, status.

netsim's three cluster launchers (``hydra/launcher=slurm``, ``ray``, ``dask``; the plugins live
in ``src/hydra_plugins/netsim_launchers/``) share what is here, so a fault is netsim's, never the
engine's (modelling of faults: operational choice, no model content):

- **Resume submits only unfinished jobs** (:func:`plan`): a job whose folder holds a finished
  result of the same job (:func:`netsim.sweep.finished_matches`) is not submitted; it is
  counted as skipped.
- **Every wait has a liveness check** (:func:`wait_for_jobs`): the launcher polls the engine;
  a job the engine reports dead, cancelled, timed out or gone without a result is *failed with
  its cause* (``<job>/error.json`` and a ``failed`` line in ``progress.jsonl``), so ``netsim
  run`` ends with its failure list and the resume command. A job that runs longer than the
  launcher's ``timeout_min`` is cancelled and failed (SLURM enforces its own time limit).
  An engine that stops answering (SLURM controller, Dask scheduler, Ray cluster) for longer
  than the launcher allows fails the remaining jobs with that cause.
- **Ctrl-C cancels what this session submitted** (scancel, ``ray.cancel``, Dask ``cancel``)
  and logs the cancel command for anything it could not cancel.
- ``running.json`` in a job folder records the engine and the engine's job id
  (:func:`job_engine_info`); ``<sweep_dir>/engine.json`` records what the last session
  submitted; :func:`refine_status` asks the engine (squeue; the Dask scheduler; the process
  on this host for Ray) whether a job still runs or waits in the queue.
- :func:`check_launcher` is the up-front check of ``netsim run``: the engine must be reachable
  (SLURM: ``sbatch`` and the controller; Ray/Dask: the address), else one line, exit 2.

Nothing here imports SLURM's, Ray's or Dask's Python packages at module level.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.errors import CompactHydraException

log = logging.getLogger("netsim.engines")

ENGINE_FILE = "engine.json"
#: SLURM job states after which a job runs no more (squeue's long names)
SLURM_ENDED = frozenset({"BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED",
                         "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "REVOKED", "SPECIAL_EXIT",
                         "TIMEOUT"})
SLURM_QUEUED = frozenset({"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                          "RESIZING", "SUSPENDED", "STOPPED", "SIGNALING"})

# the engine of the job running in this process (set by a launcher's worker function)
_current: dict[str, Any] = {}
# one Hydra job at a time per process: Hydra's job state (HydraConfig, logging) is global
_JOB_LOCK = threading.Lock()


class EngineError(CompactHydraException):
    """An engine is not reachable or refused the sweep: one line for the user (Hydra prints a
    compact exception's message alone, without a traceback)."""


# --------------------------------------------------------------------------------------------
# the worker side


def job_engine_info() -> dict[str, Any]:
    """The engine running this process's job: ``{"engine", "job_id", ...}``, or ``{}``.

    Set by netsim's Ray and Dask workers; under SLURM read from SLURM's environment
    (``SLURM_ARRAY_JOB_ID``/``SLURM_ARRAY_TASK_ID``, else ``SLURM_JOB_ID``).
    """
    if _current:
        return dict(_current)
    env = os.environ
    if env.get("SLURM_JOB_ID"):
        array, task = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
        job_id = f"{array}_{task}" if array and task else env["SLURM_JOB_ID"]
        return {"engine": "slurm", "job_id": job_id, "cluster": env.get("SLURM_CLUSTER_NAME")}
    return {}


def run_one(hydra_context: Any, task_function: Any, config: Any, overrides: Sequence[str],
            num: int, singleton_state: Any, engine_info: Mapping[str, Any],
            sweep_dir: str | None = None) -> Any:
    """Run job ``num`` of a sweep in this (worker) process, as Hydra's launchers do: compose
    its config from the sweep's config and its overrides, then Hydra's ``run_job``.

    Returns Hydra's ``JobReturn``. Jobs in one process run one at a time (a Dask worker with
    several threads would otherwise mix Hydra's process-wide job state).
    """
    from hydra.core.singleton import Singleton
    from hydra.core.utils import run_job, setup_globals
    from omegaconf import open_dict

    with _JOB_LOCK:
        setup_globals()
        Singleton.set_state(singleton_state)
        _current.clear()
        _current.update(engine_info)
        try:
            sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = str(engine_info.get("job_id") or num)
                sweep_config.hydra.job.num = num
                if sweep_dir is not None:  # absolute: a worker's working directory may differ
                    sweep_config.hydra.sweep.dir = sweep_dir
            return run_job(hydra_context=hydra_context, task_function=task_function,
                           config=sweep_config, job_dir_key="hydra.sweep.dir",
                           job_subdir_key="hydra.sweep.subdir")
        finally:
            _current.clear()


# --------------------------------------------------------------------------------------------
# the launching side: plan, wait, fail, cancel


@dataclass
class Submitted:
    """A job this session submitted: its number, overrides and the engine's id for it."""

    num: int
    overrides: list[str]
    engine_id: str
    submitted_unix: float


def sweep_dir_of(config: Any) -> Path:
    """The sweep folder of a multirun config (created)."""
    path = Path(str(config.hydra.sweep.dir)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def plan(config: Any, config_loader: Any, job_overrides: Sequence[Sequence[str]],
         initial_job_idx: int) -> tuple[list[tuple[int, list[str]]], list[int]]:
    """Split a batch into jobs to submit and jobs finished earlier (not submitted again).

    A job is finished when its folder holds a result that :func:`netsim.sweep.finished_matches`
    accepts (same resolved scenario, overrides, netsim version and git commit); only folders
    with a ``summary.parquet`` are composed to check, so a fresh sweep costs nothing here.
    Finished jobs get a ``skipped`` line in ``progress.jsonl``.
    """
    from netsim import sweep
    from netsim.results import SUMMARY_FILE, _git_commit

    sweep_dir = sweep_dir_of(config)
    todo: list[tuple[int, list[str]]] = []
    skipped: list[int] = []
    commit = None
    for i, overrides in enumerate(job_overrides):
        num, ovs = initial_job_idx + i, [str(o) for o in overrides]
        folder = sweep_dir / str(num)
        if (folder / SUMMARY_FILE).is_file() and _matches(folder, config, config_loader, ovs,
                                                          commit := commit or _git_commit()):
            skipped.append(num)
            sweep._progress(sweep_dir, {"job": num, "status": "skipped", "seconds": 0.0,
                                        "cpu_seconds": 0.0, "overrides": ovs, "error": "",
                                        "t": time.time()})
        else:
            todo.append((num, ovs))
    return todo, skipped


def _matches(folder: Path, config: Any, config_loader: Any, overrides: list[str],
             commit: str | None) -> bool:
    from omegaconf import open_dict

    from netsim import sweep
    from netsim.app import scenario_from_cfg
    from netsim.config import scenario_to_dict

    prov = sweep._read_json(folder / "provenance.json") or {}
    if sorted(prov.get("overrides") or []) != sorted(overrides):
        return False
    try:
        cfg = config_loader.load_sweep_config(config, overrides)
        with open_dict(cfg):
            del cfg["hydra"]  # the scenario alone (hydra's node needs the job's number)
        return sweep.finished_matches(folder, scenario_to_dict(scenario_from_cfg(cfg)),
                                      overrides, commit, cfg.get("ensemble"))
    except Exception as exc:  # noqa: BLE001 - the job itself reports a config that fails
        log.debug("job folder %s: not reusable (%s)", folder, exc)
        return False


def write_engine_file(sweep_dir: Path, engine: str, jobs: Mapping[int, str],
                      **extra: Any) -> None:
    """Record what this session submitted (``<sweep_dir>/engine.json``) for status and for
    the check that no earlier session still runs."""
    from netsim.results import atomic_write

    info = {"engine": engine, "host": socket.gethostname(), "pid": os.getpid(),
            "session_unix": time.time(), "jobs": {str(k): v for k, v in jobs.items()}, **extra}
    atomic_write(sweep_dir / ENGINE_FILE,
                 lambda p: p.write_text(json.dumps(info, indent=1, default=str)))


def record_failure(sweep_dir: Path, num: int, overrides: Sequence[str], cause: str,
                   engine: str) -> None:
    """Fail job ``num`` with ``cause`` as netsim's own failures are: ``<job>/error.json`` and
    a ``failed`` line in ``progress.jsonl`` (so the session report lists it)."""
    from netsim import sweep
    from netsim.results import atomic_write

    folder = sweep_dir / str(num)
    folder.mkdir(parents=True, exist_ok=True)
    import datetime as dt

    record = {"job": num, "overrides": list(overrides), "error": cause, "engine": engine,
              "traceback": "", "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    atomic_write(folder / sweep.ERROR_FILE,
                 lambda p: p.write_text(json.dumps(record, indent=1, default=str)))
    (folder / sweep.RUNNING_FILE).unlink(missing_ok=True)
    sweep._progress(sweep_dir, {"job": num, "status": "failed", "seconds": 0.0,
                                "cpu_seconds": 0.0, "overrides": list(overrides),
                                "error": cause[:1000], "t": time.time()})


def _progress_logger() -> logging.Logger:
    """Progress lines of the launching process: plain lines on stdout, whatever Hydra's
    logging set-up (its format prefixes every line with a time stamp and ``[HYDRA]``)."""
    plog = logging.getLogger("netsim.progress")
    if not plog.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        plog.addHandler(handler)
        plog.setLevel(logging.INFO)
        plog.propagate = False
    return plog


class ProgressPrinter:
    """Shows, in the launching process, one line per job as it ends (from ``progress.jsonl``,
    which the jobs append to wherever they run), with ``[k/N]`` and the time left."""

    def __init__(self, sweep_dir: Path) -> None:
        from netsim import sweep

        self.path = sweep_dir / sweep.PROGRESS_FILE
        info = sweep._read_json(sweep_dir / sweep.SWEEP_FILE) or {}
        self.total = info.get("n_jobs")
        self.started = float(info.get("started_unix") or time.time())
        self.offset = 0
        self.done = self.computed = 0
        self.reported: set[int] = set()
        self.log = _progress_logger()

    def flush(self) -> None:
        """Print the lines appended since the last call."""
        from netsim.sweep import DEFAULT_ARM, _hms

        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except OSError:
            return
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        for raw in chunk[:end].splitlines():
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            self.done += 1
            status = rec.get("status")
            self.computed += status != "skipped"
            self.reported.add(int(rec.get("job", -1)))
            what = " ".join(rec.get("overrides") or []) or DEFAULT_ARM
            elapsed = time.time() - self.started
            if status == "done":
                head = f"job {rec.get('job')} done in {float(rec.get('seconds', 0)):.1f} s"
            elif status == "skipped":
                head = f"job {rec.get('job')} skipped: finished earlier"
            else:
                head = f"job {rec.get('job')} FAILED: {rec.get('error', '')}"
            tail = f"; {_hms(elapsed)} elapsed"
            if self.total is not None and self.computed:
                left = elapsed / self.computed * max(0, int(self.total) - self.done)
                tail += f", about {_hms(left)} left"
            total = "?" if self.total is None else self.total
            self.log.info("[%d/%s] %s (%s)%s", self.done, total, head, what, tail)


class Engine:
    """What :func:`wait_for_jobs` needs from an engine (one object per session)."""

    name = "engine"

    def poll(self, pending: Mapping[int, Submitted]) -> dict[int, tuple[str, Any]]:
        """Jobs that ended since the last call: ``num -> ("ok", JobReturn | None)`` or
        ``num -> ("failed", cause)``."""
        raise NotImplementedError

    def lost(self) -> str | None:
        """A cause when the engine itself is gone for good (all pending jobs fail), else None."""
        return None

    def cancel(self, jobs: Sequence[Submitted]) -> str:
        """Cancel jobs; returns what was done (one line)."""
        raise NotImplementedError

    def cancel_command(self, jobs: Sequence[Submitted]) -> str | None:
        """The command a user runs to cancel these jobs by hand, if there is one."""
        return None


def _started(sweep_dir: Path, num: int, since: float) -> float | None:
    """When job ``num`` started in this session (its running.json), or None."""
    from netsim.sweep import RUNNING_FILE, _read_json

    info = _read_json(sweep_dir / str(num) / RUNNING_FILE) or {}
    started = info.get("started_unix")
    return float(started) if isinstance(started, (int, float)) and started >= since - 5 else None


def wait_for_jobs(engine: Engine, sweep_dir: Path, pending: dict[int, Submitted], *,
                  poll_s: float = 2.0, timeout_min: float | None = None,
                  unreachable_s: float = 600.0,
                  on_result: Callable[[int, Any], None] | None = None) -> dict[int, Any]:
    """Wait until every submitted job has ended, ok or failed; never longer than the engine
    keeps answering, and never longer than ``timeout_min`` of running per job.

    A job that ended without reporting itself (no line in ``progress.jsonl``) is failed with
    the engine's cause (:func:`record_failure`); an engine whose queries keep failing for
    ``unreachable_s`` fails the jobs still pending with that cause. Ctrl-C cancels the jobs
    still pending and
    raises ``KeyboardInterrupt`` again (``netsim run`` then prints the resume command).

    Returns:
        ``num -> JobReturn`` (or None) for the jobs that ended normally.
    """
    printer = ProgressPrinter(sweep_dir)
    results: dict[int, Any] = {}
    session = time.time()

    def fail(num: int, cause: str) -> None:
        sub = pending.pop(num)
        printer.flush()
        if num in printer.reported:  # the job reported itself before the engine lost it
            log.info("job %d: %s (after it had reported its outcome)", num, cause)
            return
        record_failure(sweep_dir, num, sub.overrides, cause, engine.name)

    failing_since: float | None = None
    try:
        while pending:
            try:
                ended = engine.poll(pending)
                failing_since = None
            except Exception as exc:  # noqa: BLE001 - an engine's hiccup, or the engine gone
                failing_since = failing_since or time.time()
                ended = {}
                if time.time() - failing_since > unreachable_s:
                    first = (str(exc).strip().splitlines() or [""])[0]
                    cause = (f"{engine.name} stopped answering for {unreachable_s:g} s "
                             f"({type(exc).__name__}: {first})")
                    ended = {num: ("failed", cause) for num in pending}
                else:
                    log.warning("%s did not answer (%s); trying again", engine.name, exc)
            for num, (kind, value) in ended.items():
                if num not in pending:
                    continue
                if kind == "ok":
                    pending.pop(num)
                    results[num] = value
                    if on_result is not None:
                        on_result(num, value)
                else:
                    fail(num, str(value))
            if timeout_min:
                limit = 60.0 * float(timeout_min)
                printer.flush()
                for num in list(pending):
                    if num in printer.reported:  # finished just now: its engine says so next
                        continue
                    started = _started(sweep_dir, num, session)
                    if started is not None and time.time() - started > limit:
                        sub = pending[num]
                        engine.cancel([sub])
                        fail(num, f"timed out: still running after {timeout_min:g} min "
                                  "(hydra.launcher.timeout_min); cancelled")
            cause = engine.lost() if pending else None
            if cause:
                left = list(pending.values())
                hint = engine.cancel_command(left)
                for sub in left:
                    fail(sub.num, cause)
                if hint:
                    _progress_logger().warning("netsim: if they still run, cancel them with: %s",
                                               hint)
            printer.flush()
            if pending:
                time.sleep(poll_s)
    except KeyboardInterrupt:
        left = list(pending.values())
        if left:
            try:
                done = engine.cancel(left)
                _progress_logger().warning("netsim: %s", done)
            except Exception as exc:  # noqa: BLE001 - the user must learn how to cancel
                hint = engine.cancel_command(left)
                _progress_logger().warning("netsim: could not cancel the %d submitted jobs (%s)"
                                           "%s", len(left), exc,
                                           f"; cancel them with: {hint}" if hint else "")
        raise
    printer.flush()
    return results


def job_return(overrides: Sequence[str], value: Any = None) -> Any:
    """A completed Hydra ``JobReturn`` for a job handled by the launcher (skipped or failed:
    netsim's session report, not Hydra's sweeper, reports it)."""
    from hydra.core.utils import JobReturn, JobStatus

    return JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED, _return_value=value)


def settle(sweep_dir: Path, nums: Sequence[int], overrides: Mapping[int, list[str]],
           results: Mapping[int, Any], engine: str) -> list[Any]:
    """Hydra's list of JobReturns, in job order. A job whose JobReturn says it raised (outside
    netsim's own handling, e.g. while Hydra set it up) is failed with that error instead of
    letting Hydra's sweeper raise it in the launching process."""
    from hydra.core.utils import JobStatus

    out = []
    for num in nums:
        ret = results.get(num)
        if ret is not None and getattr(ret, "status", None) == JobStatus.FAILED:
            exc = ret._return_value
            err_file = sweep_dir / str(num) / "error.json"
            if not err_file.is_file():
                record_failure(sweep_dir, num, overrides[num], f"{type(exc).__name__}: {exc}",
                               engine)
            ret = None
        out.append(ret if ret is not None else job_return(overrides[num]))
    return out


# --------------------------------------------------------------------------------------------
# SLURM commands (the SLURM launcher and status use them)


def _cmd(args: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                          check=False)


def slurm_states(job_ids: Sequence[str],
                 timeout: float = 30.0) -> dict[str, tuple[str, str]] | None:
    """``job id -> (state, reason)`` from squeue for the given jobs (ended ones too, while
    SLURM keeps them, ``MinJobAge``); jobs SLURM no longer knows are absent. None when squeue
    cannot reach the controller."""
    if not job_ids:
        return {}
    try:
        proc = _cmd(["squeue", "-h", "-r", "-t", "all", "-o", "%i|%T|%r",
                     "-j", ",".join(sorted({_array_of(j) for j in job_ids}))], timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        if "Invalid job id" in proc.stderr:  # every listed job has left SLURM's memory
            return {}
        return None
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) == 3:
            out[parts[0]] = (parts[1], parts[2])
    return out


def _array_of(job_id: str) -> str:
    return str(job_id).split("_", 1)[0]


def sacct_state(job_id: str) -> str | None:
    """A job's final state from SLURM's accounting (``sacct``), or None without accounting."""
    if shutil.which("sacct") is None:
        return None
    try:
        proc = _cmd(["sacct", "-n", "-X", "-P", "-j", job_id, "-o", "State,ExitCode"], 20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = proc.stdout.strip().splitlines()[:1]
    if proc.returncode != 0 or not line:
        return None
    state, _, code = line[0].partition("|")
    return f"{state} (exit code {code})" if code else state


def slurm_cancel(job_ids: Sequence[str]) -> str:
    """scancel the given jobs; returns what was done."""
    ids = sorted(set(job_ids))
    proc = _cmd(["scancel", *ids])
    if proc.returncode != 0:
        raise EngineError(proc.stderr.strip() or f"scancel exited {proc.returncode}")
    return f"cancelled {len(ids)} SLURM job(s): scancel {' '.join(ids)}"


# --------------------------------------------------------------------------------------------
# up-front checks (netsim run, before Hydra starts)


def _engine_of(target: str) -> str | None:
    if target.startswith("hydra_plugins.netsim_launchers."):
        return target.rsplit(".", 1)[0].rsplit(".", 1)[1].removesuffix("_launcher")
    return None


def check_launcher(cfg: Any) -> None:
    """Refuse a cluster launcher whose engine is not reachable, in one line (:class:`ConfigError`).

    SLURM: ``sbatch`` and ``squeue`` exist and the controller answers (``sinfo``); a named
    partition exists; no job of an earlier session of the same sweep folder still runs (it
    would mix into this session's progress). Ray and Dask: the package is installed and the
    address answers. (submitit's own ``submitit_slurm`` is checked in :mod:`netsim.app`.)
    """
    from omegaconf import OmegaConf

    from netsim.config import ConfigError

    target = str(OmegaConf.select(cfg, "hydra.launcher._target_", default="") or "")
    engine = _engine_of(target)
    if engine is None:
        return
    launcher = OmegaConf.select(cfg, "hydra.launcher")
    try:
        if engine == "slurm":
            _check_slurm(launcher, engine, cfg)
        elif engine == "ray":
            _check_ray(launcher)
        elif engine == "dask":
            _check_dask(launcher)
    except EngineError as exc:
        raise ConfigError(str(exc)) from None


def _need(module: str, extra: str, engine: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise EngineError(f"hydra/launcher={engine} needs the {extra!r} extra: "
                          f"pip install 'netsim[{extra}]'")


def _check_slurm(launcher: Any, engine: str, cfg: Any) -> None:
    _need("submitit", "slurm", engine)
    missing = [c for c in ("sbatch", "squeue", "sinfo", "scancel") if shutil.which(c) is None]
    if missing:
        raise EngineError(f"hydra/launcher={engine} needs a SLURM cluster, and this machine has "
                          f"no `{missing[0]}`; run it on the cluster's login node, or use "
                          "hydra/launcher=joblib (local cores) here")
    try:
        proc = _cmd(["sinfo", "-h", "-o", "%R"], timeout=30)
    except subprocess.TimeoutExpired:
        raise EngineError(f"hydra/launcher={engine}: the SLURM controller did not answer in 30 s "
                          "(sinfo); check `scontrol ping`") from None
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [f"sinfo exited {proc.returncode}"])[-1]
        raise EngineError(f"hydra/launcher={engine}: cannot reach the SLURM controller "
                          f"({first.strip()}); check `scontrol ping` and SLURM_CONF")
    partitions = sorted({p.strip() for p in proc.stdout.split() if p.strip()})
    partition = launcher.get("partition") if hasattr(launcher, "get") else None
    if partition and str(partition) not in partitions:
        raise EngineError(f"hydra.launcher.partition = {partition!r} is not a partition of this "
                          f"cluster; allowed: {', '.join(partitions) or '(none)'}")
    sweep_dir = Path(str(cfg.hydra.sweep.dir))
    earlier = _read(sweep_dir / ENGINE_FILE)
    if earlier and earlier.get("engine") == "slurm":
        ids = [str(v) for v in (earlier.get("jobs") or {}).values()]
        states = slurm_states(ids) or {}
        live = sorted(j for j, (st, _) in states.items()
                      if st not in SLURM_ENDED and j in set(ids) | {_array_of(i) for i in ids})
        if live:
            raise EngineError(f"{len(live)} SLURM job(s) of an earlier session of {sweep_dir} "
                              f"still run or wait ({', '.join(live[:5])}"
                              f"{', ...' if len(live) > 5 else ''}); wait for them or cancel "
                              "them first: scancel "
                              + " ".join(sorted({_array_of(j) for j in live})))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    text = address.split("://", 1)[-1].rstrip("/")
    host, _, port = text.rpartition(":")
    if not host:
        return text, default_port
    return host.strip("[]"), int(port)


def _reachable(host: str, port: int, timeout: float = 5.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ray_address(address: str | None) -> str | None:
    """The Ray cluster address to connect to: ``auto`` resolved from ``RAY_ADDRESS`` or the
    file ``ray start`` leaves (``/tmp/ray/ray_current_cluster``); None means a new local one."""
    if address in (None, "", "null", "local"):
        return None
    if address == "auto":
        found = os.environ.get("RAY_ADDRESS")
        if not found:
            text = (_read_text(Path(os.environ.get("RAY_TMPDIR", "/tmp")) / "ray"
                               / "ray_current_cluster"))
            found = text.strip() if text else None
        if not found:
            raise EngineError("hydra.launcher.address = 'auto' but no running Ray cluster was "
                              "found on this machine; start one (ray start --head "
                              "--node-ip-address=127.0.0.1) or give its address")
        return found
    return str(address)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _check_ray(launcher: Any) -> None:
    _need("ray", "ray", "ray")
    address = ray_address(launcher.get("address"))
    if address is None:
        return
    host, port = _host_port(address, 10001 if address.startswith("ray://") else 6379)
    if not _reachable(host, port):
        raise EngineError(f"hydra.launcher.address = {address!r}: no Ray cluster answers at "
                          f"{host}:{port}; start it (ray start --head --node-ip-address="
                          f"{host} --port={port}) or set hydra.launcher.address=null for a "
                          "local one")


def _check_dask(launcher: Any) -> None:
    _need("distributed", "dask", "dask")
    address = launcher.get("address")
    if address in (None, "", "null"):
        return
    host, port = _host_port(str(address), 8786)
    if not _reachable(host, port):
        raise EngineError(f"hydra.launcher.address = {address!r}: no Dask scheduler answers at "
                          f"{host}:{port}; start one (dask scheduler --host {host} --port "
                          f"{port}) or set hydra.launcher.address=null for a local cluster")


# --------------------------------------------------------------------------------------------
# status: ask the engine


def refine_status(st: Any) -> None:
    """Move jobs that :func:`netsim.sweep.status` sees as interrupted or missing to
    ``running`` or ``queued`` when their engine says so (``running.json``'s engine job id, or
    ``engine.json``'s record of what the last session submitted). An engine that cannot be
    asked leaves them as they were, with a note."""
    from netsim.sweep import RUNNING_FILE, _read_json

    sweep_dir = Path(st.sweep_dir)
    submitted = _read(sweep_dir / ENGINE_FILE) or {}
    ids_by_job = {int(k): str(v) for k, v in (submitted.get("jobs") or {}).items()}
    candidates: dict[int, dict[str, Any]] = {}
    for num in [*st.jobs.get("interrupted", []), *st.jobs.get("missing", [])]:
        info = _read_json(sweep_dir / str(num) / RUNNING_FILE) or {}
        if info.get("engine"):
            candidates[num] = {**info, "started": True}
        elif num in ids_by_job and submitted.get("engine"):
            candidates[num] = {"engine": submitted["engine"], "job_id": ids_by_job[num],
                               "address": submitted.get("address"), "started": False}
    if not candidates:
        return
    verdicts: dict[int, str | None] = {}
    slurm = {n: i for n, i in candidates.items() if i["engine"] == "slurm"}
    if slurm:
        states = slurm_states([str(i["job_id"]) for i in slurm.values()])
        for num, info in slurm.items():
            if states is None:
                verdicts[num] = None
                continue
            state = states.get(str(info["job_id"]), ("", ""))[0]
            verdicts[num] = ("running" if state in ("RUNNING", "COMPLETING") else
                             "queued" if state in SLURM_QUEUED else "")
    dask = {n: i for n, i in candidates.items() if i["engine"] == "dask"}
    if dask:
        verdicts.update(_dask_verdicts(dask))
    # Ray tasks live as long as the process that submitted them (engine.json's pid): a job
    # not started yet waits in Ray's queue while that process runs
    driver = _pid_verdict(submitted) if submitted.get("engine") == "ray" else None
    for num, info in candidates.items():
        if info["engine"] == "ray" and num not in verdicts:
            verdicts[num] = (_pid_verdict(info) if info.get("started") else
                             "queued" if driver == "running" else driver)
    for num, verdict in verdicts.items():
        old = "interrupted" if num in st.jobs.get("interrupted", []) else "missing"
        if verdict is None:
            st.errors.setdefault(num, f"could not ask {candidates[num]['engine']} whether it "
                                      "still runs")
            continue
        if verdict:
            st.jobs[old].remove(num)
            st.jobs.setdefault(verdict, []).append(num)
            st.jobs[verdict].sort()


def _pid_verdict(info: Mapping[str, Any]) -> str | None:
    if info.get("host") != socket.gethostname() or "pid" not in info:
        return None
    try:
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError):
        return ""
    return "running"


def _dask_verdicts(jobs: Mapping[int, Mapping[str, Any]]) -> dict[int, str | None]:
    addresses = {str(i.get("address")) for i in jobs.values() if i.get("address")}
    if len(addresses) != 1:
        return {n: _pid_verdict(i) for n, i in jobs.items()}
    (address,) = addresses
    if address.startswith("inproc") or not _reachable(*_host_port(address, 8786), timeout=3):
        return {n: _pid_verdict(i) for n, i in jobs.items()}
    try:
        from distributed import Client

        with Client(address, timeout=10) as client:
            states = client.run_on_scheduler(_scheduler_task_states,
                                             keys=[str(i["job_id"]) for i in jobs.values()])
    except Exception as exc:  # noqa: BLE001 - status must not fail on an engine's hiccup
        log.warning("could not ask the Dask scheduler at %s: %s", address, exc)
        return {n: None for n in jobs}
    out: dict[int, str | None] = {}
    for num, info in jobs.items():
        state = states.get(str(info["job_id"]))
        if state == "processing":  # assigned to a worker; it runs once it wrote running.json
            out[num] = "running" if info.get("started") else "queued"
        else:
            out[num] = "queued" if state in ("waiting", "queued", "no-worker", "released") else ""
    return out


def _scheduler_task_states(dask_scheduler: Any, keys: Sequence[str]) -> dict[str, str]:
    return {k: dask_scheduler.tasks[k].state for k in keys if k in dask_scheduler.tasks}


# --------------------------------------------------------------------------------------------
# the launcher plugins' common part


def _to_plain(value: Any) -> Any:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


class SweepLauncher:
    """The common part of netsim's cluster launchers (mixed into a Hydra ``Launcher``).

    ``launch`` submits only the unfinished jobs (:func:`plan`), records them in
    ``engine.json``, waits for them (:func:`wait_for_jobs`) and returns Hydra's job returns.
    A subclass sets ``engine_name`` and implements :meth:`submit`.
    """

    engine_name = "engine"

    def __init__(self, **params: Any) -> None:
        self.params = {k: _to_plain(v) for k, v in params.items()}
        self.config: Any = None
        self.hydra_context: Any = None
        self.task_function: Any = None

    def setup(self, *, hydra_context: Any, task_function: Any, config: Any) -> None:
        """Hydra's set-up call: keep what the jobs need."""
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def submit(self, sweep_dir: Path, jobs: list[tuple[int, list[str]]],
               shared: tuple[Any, ...]) -> tuple[Engine, dict[int, Submitted], dict[str, Any]]:
        """Submit ``jobs`` (number, overrides); ``shared`` are :func:`run_one`'s first and
        last arguments. Returns the engine, the submitted jobs and extras for engine.json."""
        raise NotImplementedError

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list[Any]:
        """Hydra's launch: run the batch on the engine; one JobReturn per job, in order."""
        from hydra.core.singleton import Singleton
        from hydra.core.utils import configure_log, setup_globals

        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = sweep_dir_of(self.config)
        todo, skipped = plan(self.config, self.hydra_context.config_loader, job_overrides,
                             initial_job_idx)
        overrides = {initial_job_idx + i: [str(o) for o in ovs]
                     for i, ovs in enumerate(job_overrides)}
        results: dict[int, Any] = {}
        _progress_logger().info("%s: %d job(s) to run, %d finished earlier; sweep folder %s",
                                self.engine_name, len(todo), len(skipped), sweep_dir)
        if todo:
            shared = (self.hydra_context, self.task_function, self.config,
                      Singleton.get_state(), str(sweep_dir), os.getcwd())
            engine, submitted, extra = self.submit(sweep_dir, todo, shared)
            try:
                write_engine_file(sweep_dir, self.engine_name,
                                  {n: s.engine_id for n, s in submitted.items()}, **extra)
                results = wait_for_jobs(
                    engine, sweep_dir, dict(submitted),
                    poll_s=float(self.params.get("poll_s") or 2.0),
                    timeout_min=(None if self.engine_name == "slurm"
                                 else self.params.get("timeout_min")),
                    unreachable_s=float(self.params.get("unreachable_timeout_s") or 600))
            finally:
                self.close(engine)
        else:
            ProgressPrinter(sweep_dir).flush()
        return settle(sweep_dir, sorted(overrides), overrides, results, self.engine_name)

    def close(self, engine: Engine) -> None:
        """Release the engine (disconnect, stop a local cluster)."""


def run_shared(shared: Sequence[Any], overrides: Sequence[str], num: int,
               engine_info: Mapping[str, Any]) -> Any:
    """:func:`run_one` with the launcher's shared tuple: in the sweep's working directory and
    sweep folder (absolute), whatever the worker's own working directory."""
    hydra_context, task_function, config, singleton_state, sweep_dir, cwd = shared
    if os.path.isdir(cwd) and os.getcwd() != cwd:
        os.chdir(cwd)
    return run_one(hydra_context, task_function, config, overrides, num, singleton_state,
                   engine_info, sweep_dir)

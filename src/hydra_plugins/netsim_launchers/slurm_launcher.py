"""``hydra/launcher=slurm``: the jobs of a sweep are one SLURM job array, submitted with
submitit's ``sbatch`` script; netsim waits for them itself.

submitit's own wait reads job states from ``sacct``, which a cluster without accounting does
not have (its wait then never ends), and it raises on a cancelled job. Here the launcher reads
the queue with ``squeue`` (ended jobs stay listed for SLURM's ``MinJobAge``, 5 min by default)
and each job's result file: a job that ended (cancelled, timed out, failed, node failure) or
left the queue without a result is failed with its cause after ``result_grace_s``. SLURM
enforces ``timeout_min``. Fault handling and waiting: :mod:`netsim.engines`.
"""

import logging
import time
from pathlib import Path
from typing import Any, Dict, List

from hydra.plugins.launcher import Launcher

from netsim.engines import (
    SLURM_ENDED,
    Engine,
    EngineError,
    Submitted,
    SweepLauncher,
    job_engine_info,
    run_shared,
    sacct_state,
    slurm_cancel,
    slurm_states,
)

log = logging.getLogger(__name__)


def _slurm_job(shared: Any, overrides: List[str], num: int) -> Any:
    """One job, in a SLURM job (submitit's ``_submit`` runs it)."""
    import os
    import socket

    info = {**job_engine_info(), "host": socket.gethostname(), "pid": os.getpid()}
    return run_shared(shared, overrides, num, info)


class _SlurmEngine(Engine):
    name = "slurm"

    def __init__(self, jobs: Dict[int, Any], grace_s: float, unreachable_s: float) -> None:
        self.jobs = jobs
        self.grace_s, self.unreachable_s = grace_s, unreachable_s
        self.ended_at: Dict[int, float] = {}
        self.unreachable_since: Any = None

    def poll(self, pending: Dict[int, Submitted]) -> Dict[int, Any]:
        from submitit.core.utils import pickle_load

        states = slurm_states([s.engine_id for s in pending.values()])
        now = time.time()
        self.unreachable_since = (self.unreachable_since or now) if states is None else None
        out: Dict[int, Any] = {}
        for num, sub in pending.items():
            job = self.jobs[num]
            result = Path(job.paths.result_pickle)
            if result.is_file():
                try:
                    outcome, value = pickle_load(result)
                except Exception:  # noqa: BLE001 - still being written: next poll
                    continue
                if outcome == "success":
                    out[num] = ("ok", value)
                else:
                    last = [ln for ln in str(value).strip().splitlines() if ln.strip()][-1:]
                    out[num] = ("failed", f"raised in SLURM job {sub.engine_id}: "
                                          f"{last[0].strip() if last else value}")
                continue
            if states is None:
                continue
            state = states.get(sub.engine_id)
            if state is not None and state[0] not in SLURM_ENDED:
                self.ended_at.pop(num, None)
                continue
            first = self.ended_at.setdefault(num, now)
            if now - first < self.grace_s:
                continue
            log_file = Path(job.paths.stderr)
            if state is not None:
                reason = f", reason {state[1]}" if state[1] not in ("", "None") else ""
                cause = (f"SLURM job {sub.engine_id} ended {state[0]}{reason} without a "
                         f"result (log: {log_file})")
            else:
                acct = sacct_state(sub.engine_id)
                cause = (f"SLURM job {sub.engine_id} ended {acct} without a result "
                         f"(log: {log_file})" if acct else
                         f"SLURM job {sub.engine_id} left the queue without a result and SLURM "
                         f"keeps no record of why (no accounting; log: {log_file})")
            out[num] = ("failed", cause)
        return out

    def lost(self) -> Any:
        if self.unreachable_since and time.time() - self.unreachable_since > self.unreachable_s:
            return (f"the SLURM controller did not answer squeue for {self.unreachable_s:g} s; "
                    "the job may still run: see squeue, then resume")
        return None

    def cancel(self, jobs: List[Submitted]) -> str:
        return slurm_cancel([s.engine_id for s in jobs])

    def cancel_command(self, jobs: List[Submitted]) -> str:
        return "scancel " + " ".join(sorted(s.engine_id for s in jobs))


class SlurmLauncher(SweepLauncher, Launcher):
    """netsim's SLURM launcher (preset ``configs/hydra/launcher/slurm.yaml``)."""

    engine_name = "slurm"

    def submit(self, sweep_dir: Any, jobs: List[Any], shared: Any) -> Any:
        import submitit

        p = self.params
        folder = p.get("submitit_folder") or str(Path(sweep_dir) / ".submitit" / "%j")
        executor = submitit.SlurmExecutor(folder=folder, max_num_timeout=0)
        options = {
            "time": int(p.get("timeout_min") or 60),
            "cpus_per_task": int(p.get("cpus_per_task") or 1),
            "mem": f"{p['mem_gb']}GB" if p.get("mem_gb") else None,
            "partition": p.get("partition"),
            "account": p.get("account"),
            "qos": p.get("qos"),
            "array_parallelism": int(p.get("array_parallelism") or 256),
            "job_name": p.get("name") or "netsim",
            "additional_parameters": dict(p.get("additional_parameters") or {}),
            "setup": list(p.get("setup") or []),
        }
        executor.update_parameters(**{k: v for k, v in options.items() if v is not None})
        nums = [num for num, _ in jobs]
        try:
            handles = executor.map_array(_slurm_job, [shared] * len(jobs),
                                         [ovs for _, ovs in jobs], nums)
        except Exception as exc:  # submitit's FailedJobError carries sbatch's message
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
            raise EngineError("netsim: error: sbatch refused the sweep: "
                              + " ".join(lines[-2:])) from None
        now = time.time()
        submitted = {num: Submitted(num, ovs, str(h.job_id), now)
                     for (num, ovs), h in zip(jobs, handles)}
        array = str(handles[0].job_id).split("_", 1)[0] if handles else ""
        _progress = logging.getLogger("netsim.progress")
        _progress.info("slurm: submitted job array %s (%d jobs); cancel with: scancel %s",
                       array, len(handles), array)
        engine = _SlurmEngine(dict(zip(nums, handles)), float(p.get("result_grace_s") or 15),
                              float(p.get("unreachable_timeout_s") or 600))
        return engine, submitted, {"array": array}

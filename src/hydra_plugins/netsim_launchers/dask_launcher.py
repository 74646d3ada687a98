"""``hydra/launcher=dask``: each job of a sweep is one ``dask.distributed`` task
(``Client.submit``).

With ``hydra.launcher.address`` unset (null) a LocalCluster on 127.0.0.1 runs the sweep (one
single-threaded worker process per core, or ``n_workers``) and is closed after it; with
``tcp://<host>:<port>`` the sweep goes to a running scheduler. The workers must be able to
import netsim (this module included). Fault handling and waiting: :mod:`netsim.engines`.
"""

import logging
import time
from typing import Any, Dict, List

from hydra.plugins.launcher import Launcher

from netsim.engines import Engine, Submitted, SweepLauncher, run_shared

log = logging.getLogger(__name__)


def _dask_job(shared: Any, overrides: List[str], num: int, address: str) -> Any:
    """One job, in a Dask worker."""
    import os
    import socket

    from distributed import get_worker

    import contextlib
    import io

    worker = get_worker()
    info = {"engine": "dask", "job_id": str(worker.get_current_task()), "address": address,
            "worker": worker.address, "host": socket.gethostname(), "pid": os.getpid()}
    # a LocalCluster's workers share the terminal: the launcher prints each job's line
    with contextlib.redirect_stdout(io.StringIO()):
        return run_shared(shared, overrides, num, info)


class _DaskEngine(Engine):
    name = "dask"

    def __init__(self, client: Any, futures: Dict[int, Any], address: str,
                 no_worker_timeout_s: float, resubmit: Any, sweep_dir: Any) -> None:
        self.client, self.futures, self.address = client, futures, address
        self.no_worker_timeout_s = no_worker_timeout_s
        self.resubmit, self.sweep_dir = resubmit, sweep_dir
        self.session = time.time()
        self.resubmitted: Dict[int, int] = {}
        self._bad_since: Any = None

    def _never_started(self, num: int) -> bool:
        from netsim.engines import _started

        return _started(self.sweep_dir, num, self.session) is None

    def poll(self, pending: Dict[int, Submitted]) -> Dict[int, Any]:
        from distributed import KilledWorker

        out: Dict[int, Any] = {}
        for num in pending:
            fut = self.futures[num]
            if fut.status == "finished":
                out[num] = ("ok", fut.result(timeout=60))
            elif fut.status == "error":
                exc = fut.exception(timeout=60)
                if isinstance(exc, KilledWorker) and self._never_started(num) \
                        and self.resubmitted.get(num, 0) < 3:
                    # it was only waiting on the worker that died: submit it again
                    self.resubmitted[num] = self.resubmitted.get(num, 0) + 1
                    self.futures[num] = self.resubmit(num, self.resubmitted[num])
                elif isinstance(exc, KilledWorker):
                    out[num] = ("failed", "the Dask worker running it died (killed, or out of "
                                          "memory: KilledWorker)")
                else:
                    out[num] = ("failed", f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            elif fut.status == "cancelled":
                out[num] = ("failed", "cancelled in Dask (the scheduler dropped it)")
        return out

    def lost(self) -> Any:
        problem = None
        if self.client.status not in ("running", "connecting"):
            problem = f"lost the connection to the Dask scheduler at {self.address}"
        elif not self.client.scheduler_info().get("workers"):
            problem = f"the Dask scheduler at {self.address} has no workers"
        if problem is None:
            self._bad_since = None
            return None
        self._bad_since = self._bad_since or time.time()
        if time.time() - self._bad_since > self.no_worker_timeout_s:
            return f"{problem} for {self.no_worker_timeout_s:g} s"
        return None

    def cancel(self, jobs: List[Submitted]) -> str:
        import json

        self.client.cancel([self.futures[s.num] for s in jobs], force=True)
        # a running task is not stopped by cancel: restart the worker processes running them
        workers = set()
        for sub in jobs:
            if not self._never_started(sub.num):
                try:
                    info = json.loads((self.sweep_dir / str(sub.num) / "running.json").read_text())
                except (OSError, ValueError):
                    continue
                if info.get("worker"):
                    workers.add(str(info["worker"]))
        if workers:
            self.client.restart_workers(sorted(workers), timeout=60, raise_for_error=False)
        return (f"cancelled {len(jobs)} Dask task(s)"
                + (f", restarting {len(workers)} worker(s) that ran them" if workers else ""))


class DaskLauncher(SweepLauncher, Launcher):
    """netsim's Dask launcher (preset ``configs/hydra/launcher/dask.yaml``)."""

    engine_name = "dask"

    def submit(self, sweep_dir: Any, jobs: List[Any], shared: Any) -> Any:
        import uuid

        import dask
        from distributed import Client, LocalCluster

        address = self.params.get("address")
        self._cluster = None
        for name in ("distributed", "bokeh", "tornado"):  # their INFO lines are not netsim's
            logging.getLogger(name).setLevel(logging.ERROR)
        if address in (None, "", "null"):
            # a worker that dies fails its job at once (resume reruns it); one job per worker
            dask.config.set({"distributed.scheduler.allowed-failures":
                             int(self.params.get("allowed_failures") or 0),
                             "distributed.scheduler.worker-saturation": 1.0})
            self._cluster = LocalCluster(
                n_workers=self.params.get("n_workers"), threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None,
                memory_limit=self.params.get("memory_limit") or "auto")
            self._client = Client(self._cluster)
        else:
            self._client = Client(str(address), timeout=f"{self.params.get('connect_s') or 30}s")
        where = str(self._client.scheduler.address)
        # the shared part goes with each task, not scattered: a task that depends on data
        # held by one worker is not queued by the scheduler but assigned to that worker at
        # once, so one dying worker would take several jobs with it
        token = uuid.uuid4().hex[:8]
        by_num = dict(jobs)

        def submit_one(num: int, attempt: int = 0) -> Any:
            key = f"netsim-job-{num}-{token}" + (f"-{attempt}" if attempt else "")
            return self._client.submit(_dask_job, shared, by_num[num], num, where, key=key,
                                       pure=False, retries=0)

        futures = {num: submit_one(num) for num, _ in jobs}
        submitted = {num: Submitted(num, ovs, futures[num].key, time.time()) for num, ovs in jobs}
        engine = _DaskEngine(self._client, futures, where,
                             float(self.params.get("no_worker_timeout_s") or 300), submit_one,
                             sweep_dir)
        return engine, submitted, {"address": where}

    def close(self, engine: Any) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

"""``hydra/launcher=ray``: each job of a sweep is one Ray task (``ray.remote``).

With ``hydra.launcher.address`` unset (null) a local Ray instance is started on 127.0.0.1 for
the sweep and stopped after it; ``auto`` or ``<host>:<port>`` connects to a running cluster
(``ray start --head --node-ip-address=<ip>``), with no local-only settings passed (Ray refuses
``object_store_memory`` and CPU counts when connecting). Written for netsim because
hydra-ray-launcher 1.2 pins cloudpickle<3. Fault handling and waiting: :mod:`netsim.engines`.
"""

import logging
import os
from typing import Any, Dict, List

from hydra.plugins.launcher import Launcher

from netsim.engines import Engine, Submitted, SweepLauncher, ray_address, run_shared

log = logging.getLogger(__name__)

# ray.init settings that only apply when starting a local instance
_LOCAL_ONLY = ("num_cpus", "num_gpus", "object_store_memory", "resources", "_node_ip_address",
               "include_dashboard", "dashboard_host", "_temp_dir")


def _ray_job(shared: Any, overrides: List[str], num: int, address: str) -> Any:
    """One job, in a Ray worker."""
    import ray

    import socket

    ctx = ray.get_runtime_context()
    info = {"engine": "ray", "job_id": ctx.get_task_id(), "address": address,
            "node": ctx.get_node_id(), "host": socket.gethostname(), "pid": os.getpid()}
    return run_shared(shared, overrides, num, info)


class _RayEngine(Engine):
    name = "ray"

    def __init__(self, refs: Dict[int, Any]) -> None:
        self.refs = refs

    def poll(self, pending: Dict[int, Submitted]) -> Dict[int, Any]:
        import ray
        from ray import exceptions as rex

        refs = [self.refs[n] for n in pending]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0.5)
        by_ref = {r: n for n, r in self.refs.items()}
        out: Dict[int, Any] = {}
        for ref in ready:
            num = by_ref[ref]
            try:
                out[num] = ("ok", ray.get(ref, timeout=60))
            except rex.TaskCancelledError:
                out[num] = ("failed", "cancelled in Ray (TaskCancelledError)")
            except rex.WorkerCrashedError:
                out[num] = ("failed", "the Ray worker process running it died (killed, or out "
                                      "of memory: WorkerCrashedError)")
            except rex.RayTaskError as exc:
                cause = exc.cause if exc.cause is not None else exc
                out[num] = ("failed", f"{type(cause).__name__}: {str(cause).splitlines()[0]}")
            except rex.RayError as exc:
                first = (str(exc).strip().splitlines() or [""])[0]
                out[num] = ("failed", f"Ray lost it ({type(exc).__name__}: {first})")
        return out

    def lost(self) -> Any:
        import ray

        if not ray.is_initialized():
            return "the connection to the Ray cluster was lost"
        return None

    def cancel(self, jobs: List[Submitted]) -> str:
        import ray

        for sub in jobs:
            ray.cancel(self.refs[sub.num], force=True)
        return f"cancelled {len(jobs)} Ray task(s)"


class RayLauncher(SweepLauncher, Launcher):
    """netsim's Ray launcher (preset ``configs/hydra/launcher/ray.yaml``)."""

    engine_name = "ray"

    def submit(self, sweep_dir: Any, jobs: List[Any], shared: Any) -> Any:
        address = ray_address(self.params.get("address"))
        host = (address or "").split("://", 1)[-1].rsplit(":", 1)[0]
        if address is None or host in ("127.0.0.1", "localhost", "::1"):
            # keep Ray on the loopback address: otherwise it swaps 127.0.0.1 for the machine's
            # outward address (a local instance listens there; a driver connecting to a
            # cluster on 127.0.0.1 waits for it there forever). Read when ray is imported.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        token = os.path.join(os.path.expanduser("~"), ".ray", "auth_token")
        if address is not None and (os.environ.get("RAY_AUTH_TOKEN") or os.path.isfile(token)):
            # Ray 2.60 starts clusters with token authentication, but a driver that connects
            # without RAY_AUTH_MODE=token sends no token and is refused (after 20 s of retries)
            os.environ.setdefault("RAY_AUTH_MODE", "token")
        import ray

        kwargs = dict(self.params.get("init") or {})
        if address is None:
            kwargs.update(address="local", _node_ip_address="127.0.0.1",
                          include_dashboard=False)
            if self.params.get("num_cpus"):
                kwargs["num_cpus"] = int(self.params["num_cpus"])
        else:
            kwargs["address"] = address
            for key in _LOCAL_ONLY:
                kwargs.pop(key, None)
        kwargs.setdefault("log_to_driver", False)  # netsim prints each job's line itself
        self._started = not ray.is_initialized()
        if self._started:
            ray.init(**kwargs)
        where = ray.get_runtime_context().gcs_address
        fn = ray.remote(num_cpus=float(self.params.get("cpus_per_job") or 1),
                        max_retries=int(self.params.get("max_retries") or 0),
                        retry_exceptions=False)(_ray_job)
        shared_ref = ray.put(shared)
        refs, submitted = {}, {}
        import time

        for num, overrides in jobs:
            refs[num] = fn.options(name=f"netsim-job-{num}").remote(shared_ref, overrides, num,
                                                                    where)
            submitted[num] = Submitted(num, overrides, refs[num].task_id().hex(), time.time())
        return _RayEngine(refs), submitted, {"address": where}

    def close(self, engine: Any) -> None:
        import ray

        if getattr(self, "_started", False) and ray.is_initialized():
            ray.shutdown()

"""netsim's Hydra sweeper: the basic sweeper without its second composition of every job, and
with jobs that fail while Hydra sets them up recorded as failed jobs instead of stopping the
sweep.

Hydra only instantiates sweepers that live in the ``hydra_plugins`` namespace package, so this
small class lives here; ``configs/config.yaml`` selects it (``hydra.sweeper._target_``). It
must stay cheap to import: Hydra imports every ``hydra_plugins`` module when it starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

__all__ = ["CheckedSweeper"]


class _SetupCheckedLauncher:
    """Wraps the configured launcher: a job whose folder cannot be created or written (Hydra
    would raise out of the launcher and end the sweep) is recorded as failed and left out;
    the other jobs are launched as before, in runs of consecutive job numbers."""

    def __init__(self, launcher: Any, config: Any) -> None:
        self._launcher = launcher
        self._config = config

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_launcher", "_config"):
            raise AttributeError(name)
        return getattr(self._launcher, name)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Any:
        from omegaconf import OmegaConf

        from netsim.sweep import job_folder_problem, record_setup_failure

        sweep = OmegaConf.to_container(self._config.hydra.sweep, resolve=False)
        by_number = str(sweep.get("subdir")) == "${hydra.job.num}"  # type: ignore[union-attr]
        sweep_dir = Path(str(self._config.hydra.sweep.dir))
        serial = type(self._launcher).__name__ == "BasicLauncher"  # one job at a time anyway
        results: list[Any] = []
        start = 0
        jobs = list(job_overrides)
        for i, overrides in enumerate([*jobs, None]):
            problem = None
            if overrides is not None:
                if by_number:
                    problem = job_folder_problem(sweep_dir / str(initial_job_idx + i))
                if problem is None and not serial:
                    continue
            if i > start or (serial and overrides is not None and problem is None):
                end = i + 1 if serial and problem is None else i
                results += self._launch(jobs[start:end], initial_job_idx + start, sweep_dir)
            if problem is not None:
                record_setup_failure(sweep_dir, initial_job_idx + i, list(overrides), problem)
            start = i + 1
        return results

    def _launch(self, jobs: list[Sequence[str]], first: int, sweep_dir: Path) -> list[Any]:
        """Launch ``jobs`` (numbers from ``first``); when Hydra fails to set one up (e.g. the
        disk filled up), the jobs without a result are recorded as failed and the sweep goes
        on."""
        from netsim.sweep import SUMMARY_FILE, record_setup_failure

        try:
            return list(self._launcher.launch(jobs, initial_job_idx=first))
        except Exception as exc:  # noqa: BLE001 - a set-up failure ends only these jobs
            why = " ".join(f"{type(exc).__name__}: {exc}".split())
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, OSError):
                why += f" ({cause.strerror or cause})"
            for k, overrides in enumerate(jobs):
                if not (sweep_dir / str(first + k) / SUMMARY_FILE).is_file():
                    record_setup_failure(sweep_dir, first + k, list(overrides),
                                         f"Hydra could not set the job up: {why}")
            return []


class CheckedSweeper(BasicSweeper):
    """Hydra's basic sweeper (same jobs, order and ``params``) minus its up-front composition
    of every job's config in the launching process, plus set-up failures as failed jobs.

    ``netsim run -m`` checks every sweep value before Hydra starts
    (:func:`netsim.app.check_overrides`) and each job composes its own config when it runs, so
    the basic sweeper's extra composition only delayed the first job by ~0.2 s per job (10 s
    for a 50-job sweep). A job whose config cannot be composed when it runs
    (:class:`netsim.sweep.SetupSafeLoader`) or whose folder cannot be written is recorded as a
    failed job (listed at the end, counted by ``netsim status``) and the sweep goes on.
    """

    def setup(self, *, hydra_context: Any, task_function: Any, config: Any) -> None:
        from hydra.types import HydraContext

        from netsim.sweep import SetupSafeLoader

        safe = HydraContext(config_loader=SetupSafeLoader(hydra_context.config_loader),
                            callbacks=hydra_context.callbacks)
        super().setup(hydra_context=safe, task_function=task_function, config=config)
        self.launcher = _SetupCheckedLauncher(self.launcher, config)  # type: ignore[assignment]

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        return None

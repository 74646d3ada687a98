"""Design rows run in batches through the sweep machinery (what sensitivity analysis,
calibration and robust comparison run).

A *design* is a table of rows, each a set of parameter overrides on top of one base scenario
(a preset plus the user's fixed overrides); every row is run with the scenario's replicates.
Running 100,000 rows as 100,000 Hydra jobs would spend most of the time in Hydra, so rows are
**batched**: job ``b`` of the sweep runs rows ``b*k .. b*k+k-1``. The sweep is an ordinary
``netsim run -m`` multirun (Hydra's launchers, :class:`netsim.sweep.SweepCallback` for
``[k/N]`` and the time left, ``netsim status`` on its folder), swept over the batch number
``+netsim_batch=range(0,N)``; the design itself sits in the analysis folder, where every job
reads it (``+netsim_design=<folder>``).

Folder layout (``<folder>`` = one design, e.g. ``<out>/morris``)::

    design.parquet    row, batch, and one column per parameter (its value in that row)
    design.json       base overrides, replicates, rows per batch, the design's hash
    runs/             the sweep folder: runs/<job>/summary.parquet (one row per design row
                      and replicate, with ``row``), provenance.json, error.json on failure

Each job **skips** itself when its folder holds a finished result of the same design hash,
batch, base scenario, model version and git commit, so re-running the command resumes it. A
job whose rows raise is recorded as failed (``error.json``) and the others still run; a design
row that is invalid (a relation between settings broken by sampled values) is listed in the
job's provenance and left out, which the caller reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import shlex
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from netsim.config import ConfigError
from netsim.results import PROVENANCE_FILE, SUMMARY_FILE, atomic_write

__all__ = ["DESIGN_FILE", "YEAR_COLUMNS", "DesignResult", "batch_rows_for", "run_design",
           "yearly_values"]

log = logging.getLogger("netsim.designs")

#: receives progress lines (``netsim``'s commands pass a function that prints them)
Progress = Callable[[str], None]

DESIGN_FILE = "design.parquet"
DESIGN_INFO = "design.json"
RUNS_DIR = "runs"
#: design runs per job when not given: about 10-20 s of simulation per job at the default
#: size, so Hydra's per-job cost (~0.2 s) stays near 1 % of the time
RUNS_PER_JOB = 60
#: weekly series columns also recorded at the end of every school year, as ``<column>_y<k>``
#: (``k = 0`` is the start): what first-year targets and fact checks read
YEAR_COLUMNS = ("adoption_members", "adoption_colleagues", "adoption_all", "practice_adoption",
                "knowledge_members", "knowledge_all", "trust_members", "strong_ties_per_member",
                "schools_changed", "school_inequality", "version_quality", "version_diversity",
                "network_alive", "person_hours_cum")


@dataclass
class DesignResult:
    """The outcomes of a design: one row per design row and replicate.

    Attributes:
        design: the design table (``row`` and the parameter columns).
        outcomes: ``row``, ``replicate`` and the run summary's outcome columns.
        missing_rows: design rows without results (failed jobs or invalid rows), with reasons.
        folder: the design's folder.
        failed_jobs: the number of failed jobs in the last session.
    """

    design: pl.DataFrame
    outcomes: pl.DataFrame
    missing_rows: dict[int, str]
    folder: Path
    failed_jobs: int = 0

    def mean_by_row(self, outcome: str) -> Any:
        """Per design row, the mean of ``outcome`` over its replicates (NaN when none)."""
        import numpy as np

        if outcome not in self.outcomes.columns:
            raise ConfigError(f"outcome {outcome!r} is not in the run summary")
        means = (self.outcomes.group_by("row")
                 .agg(pl.col(outcome).cast(pl.Float64).fill_nan(None).mean().alias("m")))
        y = np.full(self.design.height, np.nan)
        rows = means["row"].to_numpy()
        vals = means["m"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        y[rows] = vals
        return y


def batch_rows_for(n_rows: int, replicates: int, batch_rows: int | None = None) -> int:
    """Design rows per job: given, or about :data:`RUNS_PER_JOB` runs per job."""
    if batch_rows is not None:
        if batch_rows < 1:
            raise ConfigError(f"--batch-rows = {batch_rows} is too small; allowed: >= 1")
        return int(batch_rows)
    return max(1, min(n_rows, math.ceil(RUNS_PER_JOB / max(1, replicates))))


def _design_hash(design: pl.DataFrame, base: Sequence[str]) -> str:
    h = hashlib.blake2b(digest_size=12)
    h.update(json.dumps(sorted(base)).encode())
    h.update(json.dumps(design.columns).encode())
    for col in design.columns:
        h.update(design[col].cast(pl.Float64).to_numpy().tobytes())
    return h.hexdigest()


def _nested(overrides: Mapping[str, Any]) -> dict[str, Any]:
    from netsim.config import _dotted_to_nested

    return _dotted_to_nested(overrides)


def _row_scenario(base: dict[str, Any], overrides: Mapping[str, Any]) -> Any:
    from netsim.config import _deep_merge, scenario_from_dict

    return scenario_from_dict(_deep_merge(base, _nested(overrides)))


def _split_hydra(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(scenario overrides, hydra/launcher overrides)."""
    hydra = [a for a in args if a.split("=", 1)[0].lstrip("+~").startswith("hydra")]
    return [a for a in args if a not in hydra], hydra


def check_base(overrides: Sequence[str]) -> Any:
    """The base scenario of a design from the user's fixed overrides (ConfigError if bad)."""
    from netsim.app import check_overrides

    for o in overrides:
        if "," in o.split("=", 1)[-1] and not o.split("=", 1)[0].startswith("hydra"):
            raise ConfigError(f"{o!r} asks for several values; allowed here: one value per key "
                              "(the analysis chooses the values it samples)")
        if o.split("=", 1)[0].lstrip("+") in ("netsim_design", "netsim_batch"):
            raise ConfigError(f"{o!r} is set by the analysis itself; allowed: leave it out")
        if o.split("=", 1)[0].lstrip("+") == "ensemble":
            raise ConfigError(f"{o!r} is a setting of netsim run and its sweeps; allowed here: "
                              "leave it out (netsim robust takes --ensemble FILE and runs every "
                              "arm on every member)")
    (scenario,) = check_overrides(list(overrides))[:1]
    return scenario


def _values(design: pl.DataFrame, i: int, names: Sequence[str]) -> dict[str, Any]:
    """The overrides of design row ``i`` (a null cell leaves that setting as it is)."""
    row = design.row(i, named=True)
    return {k: row[k] for k in names if row[k] is not None}


def yearly_values(series: pl.DataFrame, weeks_per_year: int) -> pl.DataFrame:
    """Per replicate, :data:`YEAR_COLUMNS` at weeks ``0, wpy, 2 wpy, ...`` as ``<col>_y<k>``."""
    last = int(series["week"].max())
    frames = []
    for k in range(last // weeks_per_year + 1):
        at = series.filter(pl.col("week") == k * weeks_per_year)
        frames.append(at.select("replicate", *[pl.col(c).cast(pl.Float64).alias(f"{c}_y{k}")
                                               for c in YEAR_COLUMNS if c in at.columns]))
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f, on="replicate", how="left")
    return out


def run_design(folder: Path | str, design: pl.DataFrame, overrides: Sequence[str] = (),
               batch_rows: int | None = None, progress: Progress | None = None
               ) -> DesignResult:
    """Run every row of ``design`` through a Hydra multirun in ``folder``; collect outcomes.

    Args:
        folder: the design's folder (created; re-using it resumes the design).
        design: ``row`` (0..n-1) and one column per parameter key (values to override).
            Integer parameters must already hold whole numbers.
        overrides: the user's command-line overrides: fixed scenario settings
            (``scenario=meeting_groups``, ``replicates=10``, ``network.n_schools=12``) and Hydra
            settings (``hydra/launcher=joblib``, ``hydra.launcher.n_jobs=2``).
        batch_rows: design rows per job (default :func:`batch_rows_for`).
        progress: called with each progress line (a finished job with the time left; the
            session's summary at the end); None for no lines. ``netsim`` passes a function
            that prints; a job on another process calls it there (it must pickle: a
            module-level function).

    Raises:
        ConfigError: a bad fixed override, a design row that is invalid, or a folder that holds
            a different design (nothing is written then).
    """
    folder = Path(folder)
    base_over, hydra_over = _split_hydra(list(overrides))
    scenario = check_base([*base_over, *hydra_over])
    from netsim.config import scenario_to_dict

    names = [c for c in design.columns if c != "row"]
    if design.height == 0:
        raise ConfigError("the design has no rows")
    base = scenario_to_dict(scenario)
    # the corners of the design are checked here, so a bad range stops before any job starts
    for i in {0, design.height - 1}:
        try:
            _row_scenario(base, _values(design, i, names))
        except ConfigError as exc:
            raise ConfigError(f"design row {i} is invalid: {exc}") from None
    k = batch_rows_for(design.height, scenario.replicates, batch_rows)
    design = design.with_columns((pl.col("row") // k).cast(pl.Int64).alias("batch"))
    n_batches = int(design["batch"].max()) + 1
    digest = _design_hash(design.drop("batch"), base_over)
    info_path = folder / DESIGN_INFO
    if info_path.is_file():
        old = json.loads(info_path.read_text())
        if old.get("hash") != digest or old.get("batch_rows") != k:
            raise ConfigError(f"folder {str(folder)!r} holds a different design (other "
                              "parameters, ranges, sample size, seed or settings); allowed: a new "
                              "--out folder, or the same command to resume")
    info = {"hash": digest, "overrides": base_over, "replicates": scenario.replicates,
            "rows": design.height, "batch_rows": k, "batches": n_batches, "parameters": names,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / DESIGN_FILE, lambda p: design.write_parquet(p))
    if not info_path.is_file():
        atomic_write(info_path, lambda p: p.write_text(json.dumps(info, indent=1)))
    runs = (folder / RUNS_DIR).resolve()
    failed = _launch(runs, folder.resolve(), n_batches, [*base_over, *hydra_over], progress)
    return _gather(folder, design, runs, failed)


def _launch(runs: Path, folder: Path, n_batches: int, overrides: list[str],
            progress: Progress | None) -> int:
    """Run the batches as one Hydra multirun; return the number of failed jobs."""
    import hydra
    from hydra.core.global_hydra import GlobalHydra

    from netsim import sweep
    from netsim.app import register_configs
    from netsim.config import configs_dir

    register_configs()
    GlobalHydra.instance().clear()
    argv = ["netsim", "-m", f"+netsim_design={folder}", f"+netsim_batch=range(0,{n_batches})",
            f"hydra.sweep.dir={runs}", *overrides]
    saved = sys.argv
    sys.argv = argv
    try:
        hydra.main(config_path=str(configs_dir()), config_name="config",
                   version_base="1.3")(_BatchTask(progress))()
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()
    text, failed = sweep.session_report(runs)
    if progress is not None:
        progress(text)
    return failed


def _gather(folder: Path, design: pl.DataFrame, runs: Path, failed: int) -> DesignResult:
    frames, missing = [], {}
    have: set[int] = set()
    for b in range(int(design["batch"].max()) + 1):
        path = runs / str(b)
        prov = _read_json(path / PROVENANCE_FILE)
        if not (path / SUMMARY_FILE).is_file() or prov is None:
            err = _read_json(path / "error.json") or {}
            reason = err.get("error") or "no result (job not run)"
            for r in design.filter(pl.col("batch") == b)["row"].to_list():
                missing[int(r)] = f"job {b}: {reason}"
            continue
        for r, why in (prov.get("invalid_rows") or {}).items():
            missing[int(r)] = why
        frames.append(pl.read_parquet(path / SUMMARY_FILE))
    outcomes = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(
        {"row": [], "replicate": []})
    have = set(outcomes["row"].unique().to_list()) if outcomes.height else set()
    for r in design["row"].to_list():
        if r not in have and r not in missing:
            missing[int(r)] = "no result"
    return DesignResult(design.drop("batch"), outcomes.sort("row", "replicate"), missing,
                        folder, failed)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class _BatchTask:
    """The Hydra task of a design sweep: run the rows of one batch, then hand its line
    (``[k/N] ... time left``) to ``progress``. A picklable object, so launchers that run jobs
    in other processes (joblib, submitit, Ray, Dask) take it with its callback."""

    progress: Progress | None = None

    def __call__(self, cfg: Any) -> None:
        outcome = run_batch(cfg)
        if self.progress is not None:
            self.progress(outcome.line())


def run_batch(cfg: Any) -> Any:
    """Run one batch of a design (inside Hydra's job context); never raises an Exception.

    Mirrors :func:`netsim.sweep.run_job`: skip a finished batch, write results atomically,
    ``error.json`` on failure, ``running.json`` while running, a line in ``progress.jsonl``.
    """
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from netsim import MODEL_VERSION, sweep
    from netsim.config import scenario_from_dict, scenario_to_dict
    from netsim.results import _git_commit, _package_versions
    from netsim.runner import point_key, run_scenario

    sweep._register_fast_exit()
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    sweep_dir = Path(str(hc.sweep.dir)).resolve()
    job = int(hc.job.num)
    overrides = [str(o) for o in hc.overrides.task]
    start, cpu_start = time.perf_counter(), time.process_time()
    status_, error, n_runs = "done", "", 0
    running = out / sweep.RUNNING_FILE
    atomic_write(running, lambda p: p.write_text(json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(), "started_unix": time.time()})))
    try:
        (out / sweep.ERROR_FILE).unlink(missing_ok=True)
        data = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
        data.pop("hydra", None)
        data.pop("ensemble", None)  # refused by check_base; not a scenario setting
        folder = Path(str(data.pop("netsim_design")))
        batch = int(data.pop("netsim_batch"))
        base_scenario = scenario_from_dict(data)
        base = scenario_to_dict(base_scenario)
        info = json.loads((folder / DESIGN_INFO).read_text())
        design = pl.read_parquet(folder / DESIGN_FILE).filter(pl.col("batch") == batch)
        names = [c for c in design.columns if c not in ("row", "batch")]
        commit = _git_commit()
        key = {"design_hash": info["hash"], "batch": batch, "scenario": base,
               "model_version": MODEL_VERSION, "git_commit": commit,
               "netsim_version": _package_versions()["netsim"]}
        prov = _read_json(out / PROVENANCE_FILE) or {}
        if (out / SUMMARY_FILE).is_file() and all(prov.get(k) == json.loads(json.dumps(v))
                                                  for k, v in key.items()):
            status_ = "skipped"
        else:
            (out / SUMMARY_FILE).unlink(missing_ok=True)
            frames, invalid = [], {}
            sim_seconds = 0.0
            for i in range(design.height):
                row = int(design["row"][i])
                values = _values(design, i, names)
                try:
                    scenario = _row_scenario(base, values)
                except ConfigError as exc:
                    invalid[row] = f"invalid settings: {exc}"
                    continue
                t0 = time.perf_counter()
                result = run_scenario(scenario)
                sim_seconds += time.perf_counter() - t0
                n_runs += result.summary.height
                years = yearly_values(result.series, scenario.calendar.weeks_per_year)
                frames.append(result.summary.join(years.with_columns(
                    pl.col("replicate").cast(result.summary["replicate"].dtype)),
                    on="replicate", how="left").with_columns(pl.lit(row, pl.Int64).alias("row")))
            if not frames:
                raise ConfigError("every row of this batch is invalid: "
                                  + next(iter(invalid.values()), ""))
            summary = pl.concat(frames, how="diagonal_relaxed")
            summary = summary.select("row", "replicate",
                                     *[c for c in summary.columns if c not in ("row",
                                                                               "replicate")])
            record = {**key, "overrides": overrides, "rows": design["row"].to_list(),
                      "invalid_rows": invalid, "runs": summary.height,
                      "sim_seconds": round(sim_seconds, 4),
                      "base_point_key": point_key(base_scenario),
                      "seed": {"base_seed": base_scenario.seed,
                               "common_random_numbers": base_scenario.common_random_numbers,
                               "scheme": "SeedSequence(base_seed, spawn_key=(stream, "
                                         "replicate)) per design row (netsim.runner)"},
                      "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
            atomic_write(out / PROVENANCE_FILE,
                         lambda p: p.write_text(json.dumps(record, indent=1, default=str)))
            atomic_write(out / SUMMARY_FILE, lambda p: summary.write_parquet(p))
    except Exception as exc:  # noqa: BLE001 - a failed job must not stop the sweep
        status_ = "failed"
        error = f"{type(exc).__name__}: {exc}"
        rec = {"job": job, "overrides": overrides, "error": error,
               "traceback": traceback.format_exc(),
               "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        atomic_write(out / sweep.ERROR_FILE,
                     lambda p: p.write_text(json.dumps(rec, indent=1, default=str)))
        log.error("job %d (%s) failed: %s", job, " ".join(overrides), error)
    finally:
        running.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    done, total, eta, elapsed = sweep.record_progress(sweep_dir, job, status_, overrides, seconds,
                                                      time.process_time() - cpu_start, error)
    shown = [o for o in overrides if o.startswith("netsim_batch") or o.startswith("+netsim_batch")]
    return sweep.JobOutcome(job, status_, shown, out, seconds, n_runs, error, done, total, eta,
                            elapsed)


def command_line(prog: str, args: Sequence[str]) -> str:
    """The command as typed (for reports and the resume hint)."""
    return f"netsim {prog} " + " ".join(shlex.quote(a) for a in args)

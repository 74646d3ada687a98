"""Tests for netsim.sweep: expanding, resuming, failing, status and collecting sweeps.

The end-to-end tests run the real ``netsim`` command (Hydra multirun, basic and joblib
launchers) in a temporary folder on a tiny scenario; the others build sweep folders by hand.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from netsim import sweep
from netsim.app import check_overrides, list_experiments
from netsim.config import ConfigError, list_presets, load_scenario
from netsim.metrics import SERIES_COLUMNS, SUMMARY_COLUMNS
from netsim.results import write_run
from netsim.runner import point_key, run_scenario, seed_sequence

# a tiny scenario: 8 schools, 0.25 school years (10 weeks), 2 replicates
TINY = ["calendar.years=0.25", "replicates=2", "network.n_schools=8"]
TINY_WEEKS = 10


def netsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``netsim`` command in ``cwd``."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([sys.executable, "-m", "netsim.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def sorted_tables(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    summary, series = sweep.collect(folder, write=False)
    return summary.sort("job", "replicate"), series.sort("job", "replicate", "week")


# --------------------------------------------------------------------------------------------
# overrides, arms, expansion (no simulation)


def test_override_key_and_value_parse_hydra_syntax() -> None:
    assert sweep.override_key("++trust.initial=0.3") == "trust.initial"
    assert sweep.override_key("~network.file") == "network.file"
    assert sweep.override_key("scenario@foo=bar") == "scenario"
    assert sweep.override_value("meeting_interval_weeks=12") == 12
    assert sweep.override_value("formality=1e-1") == pytest.approx(0.1, abs=0)
    assert sweep.override_value("network.leaders_invited=true") == "true"
    assert sweep.override_value("name='a b'") == "a b"


def test_arm_label_is_canonical_whatever_the_order() -> None:
    a = sweep.arm_label(["trust.initial=0.2", "+experiment=trust", "formality=0.5"])
    b = sweep.arm_label(["formality=0.5", "trust.initial=0.2", "+experiment=trust"])
    assert a == b == "+experiment=trust formality=0.5 trust.initial=0.2"
    assert sweep.arm_label([]) == "(defaults)"


def test_expand_sweep_follows_the_basic_sweepers_order_and_precedence() -> None:
    jobs = sweep.expand_sweep({"a": "1,2", "b": "x,y"}, ["b=z", "c=3,4"])
    # params first (a, b), the command line replaces b and adds c; cartesian product
    assert jobs == [["a=1", "b=z", "c=3"], ["a=1", "b=z", "c=4"],
                    ["a=2", "b=z", "c=3"], ["a=2", "b=z", "c=4"]]
    assert sweep.expand_sweep({}, ["m=range(3,10,3)"]) == [["m=3"], ["m=6"], ["m=9"]]


def test_progress_line_shows_count_and_time_left() -> None:
    out = sweep.JobOutcome(job=4, status="done", overrides=["formality=0.2"],
                           folder=Path("x"), seconds=1.25, replicates=20, done=5, total=20,
                           eta_seconds=75.0, elapsed_seconds=25.0)
    assert out.line() == ("[5/20] job 4 done: 20 replicates in 1.2 s (formality=0.2); "
                          "0:00:25 elapsed, about 0:01:15 left")


def test_a_process_that_ran_jobs_skips_the_last_garbage_collection_at_exit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[object] = []
    monkeypatch.setattr(sweep, "_fast_exit_registered", False)
    monkeypatch.setattr(sweep.atexit, "register", registered.append)
    sweep._register_fast_exit()
    sweep._register_fast_exit()  # every job calls it; registered once per process
    assert registered == [gc.freeze]


# --------------------------------------------------------------------------------------------
# seeds and point keys


def test_point_key_is_stable_when_a_sweep_is_reordered_or_extended() -> None:
    def keys(*overrides: str) -> dict[tuple[str, ...], tuple[int, int]]:
        """point -> (job number, point key), each job composed by Hydra as in a run."""
        out = {}
        for num, job in enumerate(sweep.expand_sweep({}, list(overrides))):
            (scenario,) = check_overrides(job)
            out[tuple(sorted(job))] = (num, point_key(scenario))
        return out

    first = keys("meeting_interval_weeks=3,6", "formality=0.2,0.8")
    later = keys("formality=0.8,0.5,0.2", "meeting_interval_weeks=12,6,3")  # reordered, extended
    assert len(first) == 4 and len(later) == 9 and first.keys() <= later.keys()
    assert any(first[p][0] != later[p][0] for p in first)  # the jobs were renumbered ...
    for p in first:
        assert first[p][1] == later[p][1]  # ... but every point keeps its key
    assert len({k for _, k in later.values()}) == 9
    # the key is a function of the settings only: same point written in another key order
    a = load_scenario(overrides={"formality": 0.2, "trust.initial": 0.4})
    b = load_scenario(overrides={"trust.initial": 0.4, "formality": 0.2})
    assert point_key(a) == point_key(b)
    # ... and different settings give different keys, run settings do not count
    assert point_key(load_scenario(overrides={"formality": 0.3})) != point_key(a)
    assert point_key(load_scenario(overrides={"replicates": 3, "seed": 1})) == \
        point_key(load_scenario())


def test_common_random_numbers_share_replicate_streams_across_arms() -> None:
    a = load_scenario(overrides={"formality": 0.2})
    b = load_scenario(overrides={"formality": 0.8})
    assert seed_sequence(a, 3).spawn_key == seed_sequence(b, 3).spawn_key == (0, 3)
    ia = load_scenario(overrides={"formality": 0.2, "common_random_numbers": False})
    ib = load_scenario(overrides={"formality": 0.8, "common_random_numbers": False})
    assert seed_sequence(ia, 3).spawn_key == (point_key(ia), 3)
    assert seed_sequence(ia, 3).spawn_key != seed_sequence(ib, 3).spawn_key


# --------------------------------------------------------------------------------------------
# validating sweeps and the committed experiments


@pytest.mark.parametrize("name", list_experiments())
def test_committed_experiments_compose_and_every_value_validates(name: str) -> None:
    checked = check_overrides([f"+experiment={name}"], multirun=True)
    if name.startswith("compare_designs"):  # every preset but the national-scale ones
        designs = [p for p in list_presets() if not p.startswith("national_")]
        assert sorted(s.name for s in checked) == designs
    elif name == "fact_8_incremental":  # one design point followed over five years
        assert len(checked) == 1 and checked[0].calendar.years == 5.0
    else:
        assert len(checked) >= 3
    assert len({point_key(s) for s in checked}) == len(checked)  # every value is a new point


def test_expected_experiments_are_committed() -> None:
    assert {"leader_participation", "trust", "formality", "meeting_interval_weeks",
            "conditions_grid", "compare_designs"} <= set(list_experiments())


def test_a_bad_value_in_an_experiment_sweep_stops_before_running() -> None:
    with pytest.raises(ConfigError, match=r"leader_participation = 1\.5"):
        check_overrides(["+experiment=leader_participation", "leader_participation=0.5,1.5"],
                        multirun=True)
    with pytest.raises(ConfigError, match="add -m"):
        check_overrides(["+experiment=formality"], multirun=False)
    with pytest.raises(ConfigError, match="allowed experiments: .*trust"):
        check_overrides(["+experiment=no_such_experiment"], multirun=True)


# --------------------------------------------------------------------------------------------
# collect and status on hand-built sweep folders


def _fake_sweep(root: Path, values: list[float], replicates: int = 2) -> Path:
    """A sweep folder as netsim run -m writes it, built without Hydra (formality sweep)."""
    jobs = [[f"formality={v}", "calendar.years=0.1"] for v in values]
    for num, job in enumerate(jobs):
        sc = load_scenario(overrides={"formality": values[num], "calendar.years": 0.1,
                                      "network.n_schools": 4, "replicates": replicates})
        write_run(root / str(num), run_scenario(sc), overrides=job)
    (root / sweep.SWEEP_FILE).write_text(json.dumps({"jobs": jobs, "n_jobs": len(jobs)}))
    return root


def test_collect_adds_job_arm_and_override_columns(tmp_path: Path) -> None:
    root = _fake_sweep(tmp_path / "s", [0.2, 0.5, 0.8])
    summary, series = sweep.collect(root)
    assert summary.height == 3 * 2
    assert summary.columns[:6] == ["job", "arm", "calendar.years", "formality", "replicate",
                                   "point_key"]
    assert set(SUMMARY_COLUMNS) <= set(summary.columns)
    assert set(SERIES_COLUMNS) <= set(series.columns)
    assert summary.schema["job"] == pl.Int64 and summary.schema["point_key"] == pl.UInt64
    assert summary.schema["formality"] == pl.Float64
    assert sorted(summary["formality"].unique().to_list()) == [0.2, 0.5, 0.8]
    assert summary.filter(pl.col("job") == 1)["arm"].unique().to_list() == \
        ["calendar.years=0.1 formality=0.5"]
    # the weekly table carries the same job columns and each job's point key
    keys = summary.select("job", "point_key").unique()
    joined = series.select("job", "point_key").unique().join(keys, on="job", suffix="_s")
    assert joined.height == 3 and (joined["point_key"] == joined["point_key_s"]).all()
    assert series.height == sum(pl.read_parquet(root / str(j) / "timeseries.parquet").height
                                for j in range(3))
    # written to <sweep_dir>/collected/ and identical when read back
    assert pl.read_parquet(root / "collected" / "summary.parquet").equals(summary)
    assert pl.read_parquet(root / "collected" / "timeseries.parquet").equals(series)


def test_collect_ignores_unfinished_partial_and_stale_jobs(tmp_path: Path) -> None:
    root = _fake_sweep(tmp_path / "s", [0.2, 0.5, 0.8])
    # job 1 was killed after writing its time series: no summary, so not finished
    (root / "1" / "summary.parquet").unlink()
    # a half-written temporary file from a killed write is never read
    (root / "2" / ".summary.parquet.abc.tmp").write_bytes(b"PAR1 half written")
    # job 3 is left over from an older, larger sweep: not one of this sweep's jobs
    shutil.copytree(root / "0", root / "3")
    summary, _ = sweep.collect(root, write=False)
    assert sorted(summary["job"].unique().to_list()) == [0, 2]
    st = sweep.status(root)
    assert (st.count("done"), st.count("interrupted"), st.count("extra")) == (2, 1, 1)
    # the sweep changes: job 2 now means formality=0.9, so its old result is stale
    info = json.loads((root / sweep.SWEEP_FILE).read_text())
    info["jobs"][2] = ["formality=0.9", "calendar.years=0.1"]
    (root / sweep.SWEEP_FILE).write_text(json.dumps(info))
    assert sweep.status(root).jobs["stale"] == [2]
    assert sorted(sweep.collect(root, write=False)[0]["job"].unique().to_list()) == [0]


def test_status_counts_running_interrupted_failed_and_missing(tmp_path: Path) -> None:
    root = _fake_sweep(tmp_path / "s", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], replicates=1)
    for num in (1, 2, 3):
        (root / str(num) / "summary.parquet").unlink()
    host = __import__("socket").gethostname()
    (root / "1" / sweep.RUNNING_FILE).write_text(json.dumps({"pid": os.getpid(), "host": host}))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (root / "2" / sweep.RUNNING_FILE).write_text(json.dumps({"pid": int(dead), "host": host}))
    (root / "3" / sweep.ERROR_FILE).write_text(json.dumps(
        {"overrides": ["formality=0.4"], "error": "RuntimeError: boom"}))
    shutil.rmtree(root / "5")
    st = sweep.status(root)
    assert st.expected == 6
    assert {s: st.jobs[s] for s in ("done", "running", "interrupted", "failed", "missing")} == \
        {"done": [0, 4], "running": [1], "interrupted": [2], "failed": [3], "missing": [5]}
    text = sweep.format_status(st)
    assert "job 3 (formality=0.4 calendar.years=0.1): RuntimeError: boom" in text


# --------------------------------------------------------------------------------------------
# end to end through the real command


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-job sweep (2 x 2 arms, 2 replicates each) run serially by ``netsim run -m``."""
    cwd = tmp_path_factory.mktemp("serial")
    proc = netsim("run", "-m", "meeting_interval_weeks=3,6", "leader_participation=0.2,1.0",
                  *TINY, f"hydra.sweep.dir={cwd / 'sweep'}", cwd=cwd)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return cwd / "sweep"


@pytest.mark.slow
def test_multirun_end_to_end_then_collect(serial_sweep: Path) -> None:
    cwd = serial_sweep.parent
    proc = netsim("collect", str(serial_sweep), cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "collected 4 jobs, 8 runs" in proc.stdout
    summary = pl.read_parquet(serial_sweep / "collected" / "summary.parquet")
    series = pl.read_parquet(serial_sweep / "collected" / "timeseries.parquet")
    assert summary.height == 4 * 2
    assert series.height == 4 * 2 * (TINY_WEEKS + 1)  # week 0 plus 10 weeks
    assert {"job", "arm", "point_key", "replicate", "meeting_interval_weeks",
            "leader_participation", "calendar.years", "replicates", "network.n_schools"} \
        <= set(summary.columns)
    assert summary.schema["meeting_interval_weeks"] == pl.Int64
    arms = summary.group_by("arm").len()
    assert arms.height == 4 and (arms["len"] == 2).all()
    assert summary.group_by("arm").agg(pl.col("point_key").n_unique())["point_key"].max() == 1
    # every job's record: provenance with the resolved config, seeds, versions, overrides
    prov = json.loads((serial_sweep / "0" / "provenance.json").read_text())
    assert prov["overrides"] == ["meeting_interval_weeks=3", "leader_participation=0.2", *TINY]
    assert prov["scenario"]["meeting_interval_weeks"] == 3
    assert prov["seed"]["point_key"] == summary.filter(pl.col("job") == 0)["point_key"][0]
    assert prov["packages"]["hydra-core"] and prov["netsim_version"]
    status = netsim("status", str(serial_sweep), cwd=cwd)
    assert "4 jobs expected" in status.stdout and "     4  done" in status.stdout


@pytest.mark.slow
def test_rerunning_a_sweep_skips_finished_jobs_and_gives_the_same_table(
        serial_sweep: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    shutil.copytree(serial_sweep, folder)
    before = sorted_tables(folder)
    (folder / "2" / "summary.parquet").unlink()  # as if killed before job 2 finished
    kept = {j: (folder / str(j) / "summary.parquet").stat().st_mtime_ns for j in (0, 1, 3)}
    proc = netsim("run", "-m", "meeting_interval_weeks=3,6", "leader_participation=0.2,1.0",
                  *TINY, f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert proc.stdout.count("skipped: finished earlier") == 3
    assert "job 2 done" in proc.stdout
    assert "1 run, 3 skipped" in proc.stdout
    for j, mtime in kept.items():
        assert (folder / str(j) / "summary.parquet").stat().st_mtime_ns == mtime
    after = sorted_tables(folder)
    assert after[0].equals(before[0]) and after[1].equals(before[1])


@pytest.mark.slow
def test_joblib_launcher_gives_identical_results(serial_sweep: Path, tmp_path: Path) -> None:
    proc = netsim("run", "-m", "meeting_interval_weeks=3,6", "leader_participation=0.2,1.0",
                  *TINY, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                  f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Joblib.Parallel" in proc.stdout  # really the joblib launcher
    # progress from worker processes: [k/N] with the time left, k counting up to N
    done = sorted(int(m) for m in re.findall(r"^\[(\d)/4\] job \d done", proc.stdout, re.MULTILINE))
    assert done == [1, 2, 3, 4] and proc.stdout.count("left") >= 3
    jobs = {json.loads((tmp_path / "sweep" / str(j) / "provenance.json").read_text())["job"]
            for j in range(4)}
    assert jobs == {0, 1, 2, 3}
    serial, parallel = sorted_tables(serial_sweep), sorted_tables(tmp_path / "sweep")
    outcomes = [c for c in SUMMARY_COLUMNS if c in serial[0].columns]
    assert parallel[0].select(outcomes).equals(serial[0].select(outcomes))  # bit-identical
    assert parallel[0].equals(serial[0]) and parallel[1].equals(serial[1])


@pytest.mark.slow
def test_submitit_launcher_gives_identical_results(serial_sweep: Path, tmp_path: Path) -> None:
    """The cluster launcher (submitit; ``submitit_local`` runs each job as a submitit job on
    this machine, as ``submitit_slurm`` does on a cluster's nodes) gives the serial results."""
    folder = tmp_path / "sweep"
    proc = netsim("run", "-m", "meeting_interval_weeks=3,6", "leader_participation=0.2,1.0",
                  *TINY, "hydra/launcher=submitit_local", f"hydra.sweep.dir={folder}",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Submitit 'local' sweep output dir" in proc.stdout + proc.stderr
    assert len(list(folder.glob(".submitit/*/*_result.pkl"))) == 4  # four submitit jobs
    assert "4 run, 0 skipped" in proc.stdout
    serial, cluster = sorted_tables(serial_sweep), sorted_tables(folder)
    assert cluster[0].equals(serial[0]) and cluster[1].equals(serial[1])  # bit-identical


@pytest.mark.slow
def test_a_failing_job_is_reported_and_the_others_finish(tmp_path: Path) -> None:
    # Each value passes the up-front check (one key at a time, the other sweep at its first
    # value), but the combination min=25 > max=20 fails netsim's validation when job 3 runs:
    # the same thing happens to a user who crosses two related settings.
    folder = tmp_path / "sweep"
    proc = netsim("run", "-m", "network.group_size_min=10,25", "network.group_size_max=30,20",
                  *TINY, f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr + proc.stdout
    assert "of 4 jobs" in proc.stdout
    assert "3 run, 0 skipped (finished earlier), 1 failed" in proc.stdout
    assert "job 3 (network.group_size_min=25 network.group_size_max=20" in proc.stdout
    err = json.loads((folder / "3" / "error.json").read_text())
    assert err["overrides"][:2] == ["network.group_size_min=25", "network.group_size_max=20"]
    assert err["error"].startswith("ConfigError: network.group_size_min = 25 is larger than")
    assert "Traceback" in err["traceback"]
    for job in (0, 1, 2):
        assert (folder / str(job) / "summary.parquet").is_file()
    st = sweep.status(folder)
    assert (st.jobs["done"], st.jobs["failed"]) == ([0, 1, 2], [3])
    status = netsim("status", str(folder), cwd=tmp_path)
    assert "     1  failed" in status.stdout
    assert "job 3 (network.group_size_min=25 network.group_size_max=20" in status.stdout
    summary, _ = sweep.collect(folder, write=False)
    assert summary.height == 3 * 2


def test_progress_counts_each_line_once_across_appends_and_new_sessions(tmp_path):
    """Progress reads only what was appended since its last look (a 10,000-job sweep must not
    parse the file 10,000 times over), counts lines other processes appended in between,
    skips a half-written last line until it is complete, and starts over when a new session
    replaces the file."""
    (tmp_path / sweep.SWEEP_FILE).write_text(json.dumps({"n_jobs": 6, "started_unix": 1.0}))
    progress = tmp_path / sweep.PROGRESS_FILE
    progress.write_text("")
    assert sweep._progress(tmp_path, {"job": 0, "status": "done"})[:3] == (1, 1, 6)
    with open(progress, "a") as fh:  # another worker finished two jobs, one skipped
        fh.write('{"job": 1, "status": "skipped"}\n{"job": 2, "status": "done"}\n{"job": 3, ')
    assert sweep._count_progress(progress) == (3, 2)  # job 3's line is still being written
    with open(progress, "a") as fh:
        fh.write('"status": "done"}\n')
    assert sweep._count_progress(progress) == (4, 3)
    assert sweep._progress(tmp_path, {"job": 4, "status": "failed"})[:2] == (5, 4)
    with open(progress, "a") as fh:
        fh.write('{"job": 5, "status": "done"}\n')
    assert sweep._count_progress(progress) == (6, 5)
    assert sweep._count_progress(progress) == (6, 5)  # nothing new: nothing counted twice
    tmp = tmp_path / "new"
    tmp.write_text('{"job": 0, "status": "done"}\n')
    os.replace(tmp, progress)  # a new session empties the file (atomic replace)
    assert sweep._count_progress(progress) == (1, 1)


def test_collect_gathers_the_per_cascade_tables_of_textbook_jobs(tmp_path: Path) -> None:
    """A sweep of textbook rules: collected/cascades.parquet holds every job's per-cascade
    curves (one row per replicate, cascade and week) with the job's columns in front."""
    proc = netsim("run", "-m", "scenario=textbook",
                  "adoption.rule=independent_cascade,count_threshold", "replicates=2",
                  "hydra.sweep.dir=multirun/tb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary, _ = sweep.collect(tmp_path / "multirun/tb")
    cascades = pl.read_parquet(tmp_path / "multirun/tb/collected/cascades.parquet")
    for job in (0, 1):
        own = pl.read_parquet(tmp_path / f"multirun/tb/{job}/cascades.parquet")
        mine = cascades.filter(pl.col("job") == job)
        assert mine.height == own.height > 0
        assert mine.select(own.columns).equals(own)
    assert set(cascades["adoption.rule"]) == {"independent_cascade", "count_threshold"}
    assert set(cascades["arm"]) == set(summary["arm"])

"""`netsim compare` end to end: the report, its figures, errors, and a direction of effect on
real model runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from netsim import cli
from netsim.analysis import compare, frames_from_runs, load_collected
from netsim.config import load_scenario
from netsim.results import write_run
from netsim.runner import run_scenario

YEARS = 0.5


def build_sweep(folder: Path, key: str, values: list, replicates: int,
                years: float = YEARS) -> Path:
    """A sweep folder as `netsim run -m` + `netsim collect` leave it: one job folder per value
    (written by write_run) and the collected tables."""
    runs = []
    for job, value in enumerate(values):
        result = run_scenario(load_scenario(overrides={key: value, "calendar.years": years}),
                              replicates)
        write_run(folder / str(job), result, overrides=[f"{key}={value}"])
        runs.append(({key: value}, result))
    summary, series = frames_from_runs(runs)
    (folder / "collected").mkdir(parents=True)
    summary.write_parquet(folder / "collected" / "summary.parquet")
    series.write_parquet(folder / "collected" / "timeseries.parquet")
    return folder


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    return build_sweep(tmp_path_factory.mktemp("sweep"), "meeting_interval_weeks", [3, 6, 12], 5)


def test_cli_writes_report_with_embedded_figures(sweep, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = cli.main(["compare", str(sweep), "--baseline", "meeting_interval_weeks=6",
                     "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "adoption among all staff" in printed and "6 (baseline)" in printed
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["adoption_curves.png", "cost_vs_adoption.png", "differences.png",
                    "outcomes_by_meeting_interval_weeks.png"]
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 20_000
    page = (out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(pngs)
    assert "<script" not in page and not re.search(r'(src|href)="https?:', page)
    md = (out / "report.md").read_text()
    for heading in ("## Arms", "## What the results say", "## Cost and cost-effectiveness",
                    "## How the intervals were computed"):
        assert heading in md
    for name in pngs:
        assert f"]({name})" in md
    table = pl.read_parquet(out / "comparison.parquet")
    assert table.equals(pl.read_csv(out / "comparison.csv", schema=table.schema))
    assert set(table["arm"]) == {f"meeting_interval_weeks={v}" for v in (3, 6, 12)}
    assert table.filter(pl.col("is_baseline"))["arm"].unique().to_list() == \
        ["meeting_interval_weeks=6"]
    # default outcomes: 9 per arm, paired over the 5 replicates (common random numbers)
    assert table.height == 3 * 9
    assert set(table.filter(~pl.col("is_baseline"))["method"]) == {"paired"}
    assert "provenance of 3 jobs" in md


def test_default_out_folder_and_outcome_choice(sweep, capsys):
    code = cli.main(["compare", str(sweep), "--baseline", "meeting_interval_weeks=3",
                     "--outcomes", "adoption_colleagues,trust_members"])
    assert code == 0
    table = pl.read_csv(sweep / "comparison" / "comparison.csv")
    assert table["outcome"].unique(maintain_order=True).to_list() == [
        "adoption_colleagues", "trust_members", "person_hours", "adoption_per_100_person_hours"]


def test_unknown_baseline_is_one_clear_error(sweep, capsys):
    code = cli.main(["compare", str(sweep), "--baseline", "meeting_interval_weeks=5"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("netsim: error: --baseline 'meeting_interval_weeks=5' matches no arm")
    assert "'meeting_interval_weeks=12'" in err and "Traceback" not in err


def test_unknown_baseline_subprocess_has_no_traceback(sweep):
    proc = subprocess.run([sys.executable, "-m", "netsim.cli", "compare", str(sweep),
                           "--baseline", "nope=1"], capture_output=True, text=True, check=False,
                          timeout=120, env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 2
    assert "available arms" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_sweep_folder_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["compare", str(tmp_path / "nowhere"), "--baseline", "x=1"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_results_newer_than_the_collected_tables_are_collected_again(tmp_path, caplog):
    """A sweep extended after `netsim collect` (a new job, a re-run job): compare must not
    read the stale tables."""
    folder = build_sweep(tmp_path / "s", "meeting_interval_weeks", [3, 6], 2, years=0.1)
    summary, _ = load_collected(folder)
    assert summary["arm"].n_unique() == 2
    extra = run_scenario(load_scenario(overrides={"meeting_interval_weeks": 12,
                                                  "calendar.years": 0.1}), 2)
    write_run(folder / "2", extra, overrides=["meeting_interval_weeks=12"])
    collected = folder / "collected" / "summary.parquet"
    older = (folder / "2" / "summary.parquet").stat().st_mtime_ns - 10**9
    os.utime(collected, ns=(older, older))  # collected before the new job finished
    with caplog.at_level("WARNING"):
        summary, series = load_collected(folder)
    assert "collecting again" in caplog.text
    assert sorted(summary["arm"].unique()) == ["meeting_interval_weeks=12",
                                               "meeting_interval_weeks=3",
                                               "meeting_interval_weeks=6"]
    assert series is not None and series["arm"].n_unique() == 3
    caplog.clear()
    load_collected(folder)  # now current: read as it is
    assert "collecting again" not in caplog.text


def test_folder_without_finished_jobs_is_a_clear_error(tmp_path, capsys):
    """Whether or not `netsim collect` is available, an empty folder ends with exit 2."""
    code = cli.main(["compare", str(tmp_path), "--baseline", "x=1"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("netsim: error:") and "Traceback" not in err


@pytest.mark.slow
def test_leaders_taking_part_raise_colleague_adoption(tmp_path):
    """Direction of effect on real runs: with every leader attending (1.0) rather than none
    (0.0), adoption among colleagues at home is higher, and the paired 95 % interval over 20
    common-random-number replicates excludes zero."""
    folder = build_sweep(tmp_path / "lp", "leader_participation", [0.0, 1.0], 20)
    summary, _ = load_collected(folder)
    c = compare(summary, "leader_participation=0", sweep_dir=folder)
    r = c.table.filter((pl.col("arm") == "leader_participation=1")
                       & (pl.col("outcome") == "adoption_colleagues")).row(0, named=True)
    assert r["method"] == "paired" and r["n_pairs"] == 20
    assert r["diff"] > 0 and r["diff_low"] > 0
    from netsim.compare_report import reading

    assert any("adoption among their colleagues higher" in line for line in reading(c))


@pytest.mark.slow
def test_real_sweep_through_hydra_and_collect(tmp_path):
    """`netsim run -m` + `netsim collect` + `netsim compare` as a user runs them."""
    sweep_dir = tmp_path / "mi"
    run = [sys.executable, "-m", "netsim.cli"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run([*run, "run", "-m", "meeting_interval_weeks=3,6", f"calendar.years={YEARS}",
                    "replicates=5", f"hydra.sweep.dir={sweep_dir}"], check=True, env=env,
                   capture_output=True, timeout=300)
    subprocess.run([*run, "collect", str(sweep_dir)], check=True, env=env,
                   capture_output=True, timeout=300)
    proc = subprocess.run([*run, "compare", str(sweep_dir), "--baseline",
                           "meeting_interval_weeks=6"], env=env, capture_output=True, check=False,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = sweep_dir / "comparison"
    assert (out / "report.html").read_text().count("data:image/png;base64,") >= 3
    table = pl.read_parquet(out / "comparison.parquet")
    assert table["arm"].n_unique() == 2


def test_table_rows_mark_only_differences_whose_interval_excludes_zero():
    from netsim.compare_report import arm_names, format_rows, reading

    summary = pl.DataFrame({
        "job": [0] * 4 + [1] * 4 + [2] * 4,
        "arm": ["meeting_interval_weeks=6"] * 4 + ["meeting_interval_weeks=3"] * 4
        + ["meeting_interval_weeks=12"] * 4,
        "replicate": list(range(4)) * 3,
        "meeting_interval_weeks": [6] * 4 + [3] * 4 + [12] * 4,
        # 3 weeks: +5 points in every replicate; 12 weeks: -1, +1, -1, +1 points (mean 0)
        "adoption_all": [0.40, 0.50, 0.60, 0.70] + [0.45, 0.55, 0.65, 0.75]
        + [0.39, 0.51, 0.59, 0.71],
    })
    c = compare(summary, "meeting_interval_weeks=6", ["adoption_all"])
    assert arm_names(c) == {"meeting_interval_weeks=3": "3", "meeting_interval_weeks=6": "6",
                            "meeting_interval_weeks=12": "12"}
    title, rows = format_rows(c)[0]
    assert title == "adoption among all staff (%); difference (percentage points)"
    by_arm = {r[0]: r for r in rows}
    assert [r[0] for r in rows] == ["3", "6 (baseline)", "12"]
    assert by_arm["3"][4:] == ("+5.0", "[+5.0, +5.0]", "* better")
    assert by_arm["12"][4] == "0.0" and by_arm["12"][6] == ""
    assert by_arm["6 (baseline)"][4:] == ("", "", "")
    text = " ".join(reading(c))
    assert "weeks between gatherings = 3** compared with the baseline" in text
    assert "adoption among all staff higher by 5.0 percentage points" in text
    assert "cannot be told apart from the baseline" in text and "= 12" in text

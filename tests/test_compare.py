"""`netsim compare` end to end: the report, its figures, errors, and a direction of effect on
real model runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def test_cli_table_has_headers_and_money_costs(sweep, tmp_path, capsys):
    out = tmp_path / "money"
    code = cli.main(["compare", str(sweep), "--baseline", "meeting_interval_weeks=6",
                     "--out", str(out), "--wage-rate", "450", "--currency", "NOK"])
    printed = capsys.readouterr().out
    assert code == 0
    blocks = [b.strip("\n").splitlines() for b in printed.split("\n\n")]
    tables = [b for b in blocks if "; difference" in b[0] and not b[0].startswith("mean and")]
    assert len(tables) == 10  # 9 default outcomes and the money cost
    for block in tables:
        header = block[1].split()
        assert header[:3] == ["arm", "n", "mean"] and "difference" in header
    assert "cost in money (NOK); difference (NOK)" in printed
    assert "against the baseline (adoption among all staff and cost):" in printed
    table = pl.read_parquet(out / "comparison.parquet")
    money = table.filter(pl.col("outcome") == "money_cost")["mean"].to_numpy()
    hours = table.filter(pl.col("outcome") == "person_hours")["mean"].to_numpy()
    np.testing.assert_allclose(money, 450 * hours)
    md = (out / "report.md").read_text()
    assert "cost in NOK [95 % interval]" in md and "![Cost against adoption per arm]" in md


def test_cli_rejects_a_bad_wage_rate(sweep, capsys):
    code = cli.main(["compare", str(sweep), "--baseline", "meeting_interval_weeks=6",
                     "--wage-rate", "0"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("netsim: error: --wage-rate = 0.0 is not allowed")


def test_forest_colours_follow_the_direction_of_each_outcome(tmp_path):
    """More adoption is better (blue); more person-hours is worse (red), although both are
    increases."""
    from matplotlib.colors import to_hex

    from netsim.compare_report import _BETTER, _WORSE, forest_figure

    summary = pl.DataFrame({
        "job": [0] * 4 + [1] * 4, "replicate": list(range(4)) * 2,
        "arm": ["meeting_interval_weeks=6"] * 4 + ["meeting_interval_weeks=3"] * 4,
        "meeting_interval_weeks": [6] * 4 + [3] * 4,
        "adoption_all": [0.40, 0.50, 0.60, 0.70] + [0.45, 0.56, 0.64, 0.76],
        "person_hours": [1000.0, 1100.0, 1200.0, 1300.0] + [1500.0, 1590.0, 1710.0, 1800.0],
    })
    c = compare(summary, "meeting_interval_weeks=6", ["adoption_all"])
    import matplotlib

    matplotlib.use("Agg")
    fig_path = forest_figure(c, tmp_path / "f.png", outcomes=["adoption_all", "person_hours"])
    assert fig_path.exists()
    from netsim.compare_report import _judge

    rows = {r["outcome"]: r for r in c.table.filter(~pl.col("is_baseline")).iter_rows(named=True)}
    assert _judge(rows["adoption_all"], c.info("adoption_all")) == "better"
    assert _judge(rows["person_hours"], c.info("person_hours")) == "worse"
    assert to_hex(_BETTER) != to_hex(_WORSE)


def test_pareto_front_and_tradeoffs_of_real_runs(tmp_path):
    """compare_runs writes the report from Python; an arm with more adoption and fewer hours
    is 'better and cheaper' and on the Pareto front; the baseline it beats is not."""
    from netsim.compare_report import compare_runs, pareto_front, tradeoffs

    assert pareto_front([1, 2, 3], [1, 2, 3]) == [0, 1, 2]  # each dearer one does more
    assert pareto_front([1, 2], [2, 1]) == [0]  # cheaper and better beats the other
    assert pareto_front([1, 1], [1, 2]) == [1]
    runs = [({"leader_participation": p},
             run_scenario(load_scenario(overrides={"leader_participation": p,
                                                   "calendar.years": YEARS}), 4))
            for p in (0.0, 1.0)]
    c, paths = compare_runs(runs, baseline="leader_participation=0", out=tmp_path / "r",
                            wage_rate=500, currency="EUR")
    assert paths["report.html"].read_text().count("data:image/png;base64,") >= 3
    assert paths["cost"].name == "cost_vs_adoption.png"
    words = tradeoffs(c)["leader_participation=1"]
    e = c.table.filter((pl.col("arm") == "leader_participation=1")
                       & (pl.col("outcome") == "adoption_all")).row(0, named=True)
    m = c.table.filter((pl.col("arm") == "leader_participation=1")
                       & (pl.col("outcome") == "money_cost")).row(0, named=True)
    if e["diff_low"] > 0 and m["diff_low"] > 0:
        assert words.startswith("better but dearer") and "EUR per extra" in words
    elif e["diff_low"] > 0 and m["diff_high"] < 0:
        assert words.startswith("better and cheaper")
    assert "Runs made in Python" in paths["report.md"].read_text()


def test_cli_warns_when_populations_differ(tmp_path, capsys):
    folder = tmp_path / "designs"
    runs = []
    for job, preset in enumerate(("resource_teacher_network", "meeting_groups")):
        result = run_scenario(load_scenario(preset, {"calendar.years": 0.1}), 2)
        write_run(folder / str(job), result, overrides=[f"scenario={preset}"])
        runs.append(({"scenario": preset}, result))
    summary, series = frames_from_runs(runs)
    (folder / "collected").mkdir()
    summary.write_parquet(folder / "collected" / "summary.parquet")
    series.write_parquet(folder / "collected" / "timeseries.parquet")
    code = cli.main(["compare", str(folder), "--baseline", "scenario=resource_teacher_network"])
    captured = capsys.readouterr()
    assert code == 0
    assert "netsim: warning: The arms do not simulate the same population" in captured.err
    n = load_scenario("resource_teacher_network").network
    assert (f"network.n_schools={n.n_schools} network.teachers_per_school="
            f"{n.teachers_per_school}") in captured.err
    html_page = (folder / "comparison" / "report.html").read_text()
    assert "Caution: the arms simulate different populations" in html_page

"""The output of `netsim run`: folder name, report description and table, adoption figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from netsim.config import Scenario, load_scenario
from netsim.plots import adoption_figure, adoption_plot, events, split_runs
from netsim.report import describe, folder_tag, format_table, outcome_table

SCRIPT = Path(sys.executable).with_name("netsim")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "netsim.cli"]


def test_description_follows_the_settings():
    formal = describe(load_scenario("resource_teacher_network"))
    assert "a formal frame (formality 0.8" in formal and "every 6 weeks" in formal
    informal = describe(load_scenario("resource_teacher_network",
                                      {"formality": 0.2, "meeting_interval_weeks": 12,
                                       "turnover.key_person_loss_week": 40}))
    assert "an informal frame (formality 0.2" in informal and "formal mandate" not in informal
    assert "every 12 weeks" in informal and "leaves in week 40" in informal
    groups = describe(load_scenario("meeting_groups"))
    assert "every teacher is a network member" in groups and "gatherings in weeks" in groups


def test_folder_tag_names_the_changed_settings_safely():
    assert folder_tag("resource_teacher_network", ["leader_participation=0", "replicates=10"]) \
        == "resource_teacher_network_leader_participation=0_replicates=10"
    assert folder_tag("x", ["network.file=data/my edges.csv", "hydra.run.dir=z"]) \
        == "x_network.file=data-my-edges.csv"
    long = folder_tag("x", [f"trust.initial=0.{i}" for i in range(40)])
    other = folder_tag("x", [f"trust.initial=0.{i}" for i in range(41)])
    assert len(long) <= 90 and long != other


def test_reached_is_said_only_for_the_weeks_to_outcomes():
    summary = pl.DataFrame({"adoption_colleagues": [float("nan")] * 4,
                            "adoption_all": [0.2, 0.3, 0.4, 0.5],
                            "time_to_50": [30.0, float("nan"), 40.0, float("nan")]})
    rows = {r[0].split(" (")[0]: r[0] for r in format_table(outcome_table(summary))}
    assert rows["weeks to 50 % adoption"].endswith("(2/4 runs reached it)")
    assert "reached" not in rows["adoption among their colleagues"]
    assert rows["adoption among their colleagues"].endswith("(defined in 0/4 runs)")
    assert rows["adoption among all staff"] == "adoption among all staff (%)"


def test_split_runs_finds_two_groups_only_when_there_are_two():
    assert split_runs([0.1, 0.12, 0.15, 0.7, 0.75, 0.8]) == pytest.approx(0.425)
    assert split_runs(np.linspace(0.2, 0.8, 20)) is None  # spread, not split
    assert split_runs([0.1] * 19 + [0.9]) is None  # one outlier is not a group


def test_events_of_a_run():
    sc = load_scenario(overrides={"turnover.key_person_loss_week": 40,
                                  "calendar.gathering_end_week": 60})
    marks = events(sc)
    wpy = sc.calendar.weeks_per_year
    assert [w for w, _, k in marks if k == "year"] == [wpy, 2 * wpy]
    assert (40, "key person leaves", "key_person") in marks
    assert (60, "last gathering", "end") in marks
    assert "8 % of staff replaced" in marks[0][1]


def _series(finals: list[float], weeks: int = 40) -> pl.DataFrame:
    rows = []
    for r, top in enumerate(finals):
        for w in range(weeks + 1):
            x = top * w / weeks
            rows.append({"replicate": r, "week": w, "adoption_members": x,
                         "adoption_colleagues": x, "adoption_all": x})
    return pl.DataFrame(rows)


def test_adoption_figure_draws_every_run_and_marks_events(tmp_path):
    import matplotlib.image

    sc = load_scenario(overrides={"calendar.years": 2, "turnover.key_person_loss_week": 20})
    path = adoption_figure(_series([0.4, 0.5, 0.6]), tmp_path / "a.png", "t", 38, scenario=sc)
    assert matplotlib.image.imread(path).shape[0] > 500
    one = adoption_plot(_series([0.4, 0.5, 0.6]), "t", 38, scenario=sc)
    two = adoption_plot(_series([0.1, 0.12, 0.11, 0.8, 0.82, 0.79]), "t", 38, scenario=sc)
    # 3 groups x (3 runs + 1 mean), the events as vertical lines, no side panel
    ax = one.axes[0]
    assert len(one.axes) == 1
    data_lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
    assert len(data_lines) == 3 * (3 + 1)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "key person leaves (week 20)" in labels
    assert any(lab.startswith("school year ends") for lab in labels)
    # runs that split: a second panel with where each run ends, and the caption says so
    assert len(two.axes) == 2
    assert sum(len(c.get_offsets()) for c in two.axes[1].collections) == 3 * 6
    caption = " ".join(t.get_text() for t in two.texts)
    assert "The runs split: 3 of 6 end below" in caption


def test_run_folder_title_and_report_name_the_changed_settings(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}
    proc = subprocess.run([*COMMAND, "run", "replicates=2", "calendar.years=0.2",
                           "formality=0.2"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    (folder,) = list((tmp_path / "outputs").glob("*/*"))
    assert folder.name.endswith("_resource_teacher_network_replicates=2_calendar.years=0.2_"
                                "formality=0.2")
    report = (folder / "report.md").read_text()
    assert report.startswith("# netsim run: resource_teacher_network (replicates=2 "
                             "calendar.years=0.2 formality=0.2)")
    assert "an informal frame (formality 0.2" in report and "formal mandate" not in report
    assert str(folder) in proc.stdout
    assert Scenario().formality != 0.2  # the override, not the default, is described

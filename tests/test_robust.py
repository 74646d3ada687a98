"""Robust comparison: PRIM on planted boxes, the across-world statistics, and the command."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from netsim.calibrate import write_ensemble
from netsim.cli import main
from netsim.config import ConfigError
from netsim.prim import prim
from netsim.robust import parse_arm, robust_stats


def test_prim_finds_a_planted_box_and_only_its_dimensions():
    rng = np.random.default_rng(0)
    x = rng.random((2000, 4))
    y = ((x[:, 0] > 0.6) & (x[:, 2] < 0.3)).astype(float)
    box = prim(x, y, names=["a", "b", "c", "d"])
    assert box.restricted == [0, 2]
    assert box.lo[0] == pytest.approx(0.6, abs=0.03)
    assert box.hi[2] == pytest.approx(0.3, abs=0.03)
    assert box.density > 0.95 and box.coverage > 0.9
    text = box.describe("{:.1f}")
    assert text == ["a > 0.6", "c < 0.3"]


def test_prim_with_noisy_labels_still_finds_the_box_core():
    rng = np.random.default_rng(1)
    x = rng.random((3000, 3))
    y = ((x[:, 1] > 0.5) & (x[:, 1] < 0.8)).astype(float)
    flip = rng.random(3000) < 0.1
    y[flip] = 1 - y[flip]
    box = prim(x, y, names=["a", "b", "c"])
    assert 1 in box.restricted
    assert box.lo[1] == pytest.approx(0.5, abs=0.06)
    assert box.hi[1] == pytest.approx(0.8, abs=0.06)
    # inside the planted band 90 % are 1; the box is about that dense
    assert box.density == pytest.approx(0.9, abs=0.06)


def test_prim_respects_weights():
    rng = np.random.default_rng(2)
    x = rng.random((1000, 2))
    y = (x[:, 0] > 0.5).astype(float)
    # the same points, but only those with x1 < 0.5 carry weight: y=1 lives at x0 > 0.5 there
    w = np.where(x[:, 1] < 0.5, 1.0, 1e-9)
    box = prim(x, y, w, names=["a", "b"])
    assert box.lo[0] == pytest.approx(0.5, abs=0.05)
    assert box.support == pytest.approx(0.5, abs=0.08)


def test_robust_stats_across_worlds():
    # 4 worlds, baseline and two arms; arm 1 wins in worlds 0-2, arm 2 only in world 3
    values = np.array([[0.5, 0.6, 0.4], [0.5, 0.7, 0.45], [0.4, 0.5, 0.3], [0.4, 0.3, 0.6]])
    effects = values - values[:, :1]
    w = np.array([0.1, 0.2, 0.3, 0.4])
    st = robust_stats(values, effects, w, ["base", "one", "two"])
    assert st[1].p_beats == pytest.approx(0.6)
    assert st[2].p_beats == pytest.approx(0.4)
    assert st[1].mean_effect == pytest.approx(0.1 * 0.1 + 0.2 * 0.2 + 0.3 * 0.1 - 0.4 * 0.1)
    # regret of arm 1: 0 in worlds 0-2, 0.3 in world 3
    assert st[1].expected_regret == pytest.approx(0.4 * 0.3)
    assert st[1].worst_regret == pytest.approx(0.3)
    assert st[2].p_best == pytest.approx(0.4)
    assert sum(s.p_best for s in st) == pytest.approx(1.0)
    # lower is better (a cost): the ranking reverses
    low = robust_stats(values, effects, w, ["base", "one", "two"], lower_is_better=True)
    assert low[1].p_beats == pytest.approx(0.4)


def test_robust_stats_names_the_region_where_the_ranking_flips():
    rng = np.random.default_rng(3)
    x = rng.random((400, 3))
    base = np.zeros(400)
    arm = np.where(x[:, 1] > 0.7, -0.05, 0.05)  # the arm wins unless x1 > 0.7
    values = np.c_[base, arm]
    st = robust_stats(values, values - values[:, :1], np.ones(400), ["base", "arm"], x=x,
                      names=["growth", "trust.growth", "rate"])
    s = st[1]
    assert s.p_beats == pytest.approx(float(np.mean(x[:, 1] <= 0.7)))
    assert s.box_is_loss and s.box_explains
    assert s.box.describe("{:.1f}") == ["trust.growth > 0.7"]


def test_arm_syntax():
    assert parse_arm("meeting_interval_weeks=3 formality=0.5") == (
        ("formality", 0.5), ("meeting_interval_weeks", 3))
    assert parse_arm("") == ()
    with pytest.raises(ConfigError, match="not key=value"):
        parse_arm("meeting_interval_weeks")
    with pytest.raises(ConfigError, match="not allowed"):
        parse_arm("scenario=meeting_groups")


def _old_ensemble(tmp_path):
    import pyarrow.parquet as pq

    import netsim

    members = pl.DataFrame({"member": [0, 1], "weight": [0.5, 0.5],
                            "trial.trial_rate": [0.05, 0.1]})
    path = write_ensemble(tmp_path / "e.parquet", members, ["trial.trial_rate"], {})
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"netsim_ensemble"])
    meta["model_version"] = netsim.MODEL_VERSION - 1
    pq.write_table(table.replace_schema_metadata(
        {b"netsim_ensemble": json.dumps(meta).encode()}), tmp_path / "old.parquet")
    return tmp_path / "old.parquet"


@pytest.mark.parametrize("args, message", [
    (["--worlds", "4"], "no --arm given"),
    (["--arm", "formality=0.5"], "give either --ensemble FILE"),
    (["--worlds", "4", "--arm", "formality=1.5"], "formality = 1.5 is out of range"),
    (["--worlds", "4", "--arm", "formality=0.5", "--outcome", "joy"], "outcome 'joy'"),
    (["--worlds", "4", "--arm", "formality=0.8", "--baseline", "formality=0.8"], "same settings"),
    (["--ensemble", "OLD", "--arm", "formality=0.5"], "was calibrated on model version"),
])
def test_robust_bad_input_stops_with_one_line_and_writes_nothing(tmp_path, capsys, args,
                                                                 message):
    args = [str(_old_ensemble(tmp_path)) if a == "OLD" else a for a in args]
    out = tmp_path / "rob"
    assert main(["robust", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


SMALL = ["network.n_schools=4", "calendar.years=0.5", "network.teachers_per_school=8"]


@pytest.mark.slow
def test_robust_command_on_an_ensemble(tmp_path, capsys):
    members = pl.DataFrame({"member": [0, 1, 2], "weight": [0.2, 0.3, 0.5],
                            "trial.trial_rate": [0.05, 0.1, 0.2],
                            "motivation.staff_initial": [0.4, 0.5, 0.6]})
    ens = write_ensemble(tmp_path / "ensemble.parquet", members,
                         ["trial.trial_rate", "motivation.staff_initial"], {})
    out = tmp_path / "rob"
    args = ["robust", "--ensemble", str(ens), "--baseline", "leader_participation=0.0",
            "--arm", "leader_participation=1.0", "--arm", "leader_participation=0.5",
            "--outcome", "knowledge_all", "--replicates", "2", "--out", str(out), *SMALL]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Across 3 plausible worlds" in printed
    for name in ("robust.parquet", "arms.csv", "effects.png", "report.md", "report.html"):
        assert (out / name).is_file(), name
    table = pl.read_parquet(out / "robust.parquet")
    assert table.height == 9
    base = table.filter(pl.col("arm") == "leader_participation=0.0")
    assert (base["effect"] == 0).all()  # paired with itself
    assert sorted(table["weight"].unique().to_list()) == [0.2, 0.3, 0.5]
    # each world's parameters reached the runs: worlds differ in the baseline's value
    assert base["value"].n_unique() > 1
    html = (out / "report.html").read_text()
    assert "For planners" in html


@pytest.mark.parametrize("weights, flagged", [([0.9, 0.05, 0.03, 0.02], True),
                                              ([0.25, 0.25, 0.25, 0.25], False)])
def test_planner_text_warns_when_a_few_worlds_carry_the_weight(tmp_path, weights, flagged):
    from netsim.robust import RobustRun
    from netsim.robust_report import planner_text

    values = np.array([[0.5, 0.6], [0.5, 0.7], [0.4, 0.5], [0.4, 0.3]])
    effects = values - values[:, :1]
    w = np.array(weights)
    labels = ["leader_participation=0.0", "leader_participation=1.0"]
    stats = robust_stats(values, effects, w, labels)
    run = RobustRun(tmp_path, "adoption_colleagues", labels, stats,
                    pl.DataFrame({"world": [0, 1, 2, 3], "weight": w}), [], np.zeros((4, 0)),
                    effects, np.zeros_like(effects), "an ensemble", False)
    text = " ".join(planner_text(run))
    assert ("effective number of worlds 1.2 of 4; the heaviest carries 90 % of the weight"
            in text) is flagged
    assert ("weights are concentrated" in text) is flagged

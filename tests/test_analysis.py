"""Statistics of netsim.analysis: intervals with known answers, pairing, baselines, NaNs."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from netsim.analysis import (
    CompareError,
    arm_table,
    compare,
    condition_label,
    mean_interval,
    outcome_info,
    paired_interval,
    random_numbers_status,
    resolve_baseline,
    welch_interval,
)


def synthetic(arms: dict[str, dict[str, np.ndarray]], key: str = "meeting_interval_weeks",
              values: dict[str, object] | None = None) -> pl.DataFrame:
    """A collected-format summary: one row per (arm, replicate) with the given outcomes."""
    frames = []
    for job, (arm, outcomes) in enumerate(arms.items()):
        n = len(next(iter(outcomes.values())))
        value = values[arm] if values else int(arm.split("=")[1])
        frames.append(pl.DataFrame({
            "job": [job] * n, "arm": [arm] * n, "point_key": pl.Series([job] * n,
                                                                       dtype=pl.UInt64),
            "replicate": list(range(n)), key: [value] * n,
            **{k: np.asarray(v, dtype=float) for k, v in outcomes.items()}}))
    return pl.concat(frames, how="diagonal_relaxed")


def row(comparison, arm: str, outcome: str) -> dict:
    t = comparison.table.filter((pl.col("arm") == arm) & (pl.col("outcome") == outcome))
    assert t.height == 1
    return t.row(0, named=True)


# ---------------------------------------------------------------------------------------------
# interval functions


def test_mean_interval_matches_hand_computation():
    # mean 2, sd 1, n 3: half width t(0.975, 2) / sqrt(3) = 4.302653 / 1.732051 = 2.484138
    mean, lo, hi, n = mean_interval([1.0, 2.0, 3.0, math.nan])
    assert (mean, n) == (2.0, 3)
    assert hi - mean == pytest.approx(2.484138, abs=1e-6)
    assert mean - lo == pytest.approx(2.484138, abs=1e-6)
    assert math.isnan(mean_interval([4.0])[1])
    assert mean_interval([])[3] == 0


def test_constant_difference_gives_zero_width_paired_and_wide_unpaired():
    rng = np.random.default_rng(1)
    base = rng.normal(50, 10, size=20)
    arm = base + 3.0
    d, lo, hi, n = paired_interval(arm, base)
    assert (d, n) == (pytest.approx(3.0), 20)
    assert hi - lo == pytest.approx(0.0, abs=1e-9)
    assert lo == pytest.approx(3.0)
    wd, wlo, whi, _ = welch_interval(arm, base)
    assert wd == pytest.approx(3.0)
    # equal variances and sizes: Welch's df is 2 (n - 1) = 38
    from scipy import stats

    expected = 2 * stats.t.ppf(0.975, 38) * base.std(ddof=1) * math.sqrt(2 / 20)
    assert whi - wlo == pytest.approx(expected, rel=1e-9)
    assert whi - wlo > 5


def test_welch_interval_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(2)
    a, b = rng.normal(1, 1, 12), rng.normal(0, 3, 30)
    _, lo, hi, n = welch_interval(a, b)
    res = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (lo, hi) == (pytest.approx(res.low, rel=1e-9), pytest.approx(res.high, rel=1e-9))
    assert n == 12


def test_paired_interval_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(3)
    shared = rng.normal(0, 5, 15)
    a, b = shared + rng.normal(1, 1, 15), shared + rng.normal(0, 1, 15)
    _, lo, hi, _ = paired_interval(a, b)
    res = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (lo, hi) == (pytest.approx(res.low, rel=1e-9), pytest.approx(res.high, rel=1e-9))


@pytest.mark.parametrize("which", ["mean", "paired", "welch"])
def test_interval_coverage_is_95_percent(which):
    """Over 4000 synthetic experiments with a known true value, the 95 % interval covers it in
    95 % of them; tolerance 0.015 is 4.4 binomial standard errors (sqrt(.95*.05/4000))."""
    rng = np.random.default_rng(20261123)
    reps, n, truth, covered = 4000, 10, 2.0, 0
    for _ in range(reps):
        shared = rng.normal(0, 5, n)  # noise common to both arms (common random numbers)
        if which == "mean":
            _, lo, hi, _ = mean_interval(rng.normal(truth, 3, n))
        elif which == "paired":
            _, lo, hi, _ = paired_interval(shared + truth + rng.normal(0, 1, n),
                                           shared + rng.normal(0, 2, n))
        else:
            _, lo, hi, _ = welch_interval(rng.normal(truth, 1, n), rng.normal(0, 4, 2 * n))
        covered += lo <= truth <= hi
    assert abs(covered / reps - 0.95) < 0.015


# ---------------------------------------------------------------------------------------------
# compare()


def test_compare_pairs_by_replicate_not_row_order():
    base = np.arange(10, dtype=float) / 20  # replicate r has adoption r/20
    summary = synthetic({"meeting_interval_weeks=6": {"adoption_all": base},
                         "meeting_interval_weeks=3": {"adoption_all": base + 0.1}})
    shuffled = summary.sample(fraction=1.0, shuffle=True, seed=7)
    assert shuffled["replicate"].to_list() != summary["replicate"].to_list()
    for s in (summary, shuffled):
        c = compare(s, "meeting_interval_weeks=6", ["adoption_all"])
        r = row(c, "meeting_interval_weeks=3", "adoption_all")
        assert r["method"] == "paired"
        assert r["diff"] == pytest.approx(10.0)  # percentage points
        assert r["diff_high"] - r["diff_low"] == pytest.approx(0.0, abs=1e-9)
    a = compare(summary, "meeting_interval_weeks=6", ["adoption_all"]).table
    b = compare(shuffled, "meeting_interval_weeks=6", ["adoption_all"]).table
    assert a.sort("arm", "outcome").equals(b.sort("arm", "outcome"))


def test_compare_scales_shares_to_percent_and_reports_n():
    summary = synthetic({"meeting_interval_weeks=6": {"adoption_all": [0.5, 0.5, 0.5]},
                         "meeting_interval_weeks=3": {"adoption_all": [0.6, 0.7, 0.8]}})
    c = compare(summary, "meeting_interval_weeks=6", ["adoption_all"])
    r = row(c, "meeting_interval_weeks=3", "adoption_all")
    assert r["mean"] == pytest.approx(70.0)
    assert r["diff"] == pytest.approx(20.0)
    assert (r["n"], r["n_valid"], r["n_pairs"], r["unit"]) == (3, 3, 3, "%")
    b = row(c, "meeting_interval_weeks=6", "adoption_all")
    assert b["is_baseline"] and b["method"] == "baseline" and b["diff"] == 0.0


def test_time_to_share_uses_replicates_where_both_reached():
    nan = math.nan
    summary = synthetic({
        "meeting_interval_weeks=6": {"time_to_50": [40, 50, nan, 30, nan]},
        "meeting_interval_weeks=3": {"time_to_50": [35, nan, 20, 26, 24]}})
    c = compare(summary, "meeting_interval_weeks=6", ["time_to_50"])
    r = row(c, "meeting_interval_weeks=3", "time_to_50")
    assert r["n_valid"] == 4 and r["mean"] == pytest.approx((35 + 20 + 26 + 24) / 4)
    # both reached in replicates 0 and 3: differences -5 and -4
    assert r["n_pairs"] == 2 and r["diff"] == pytest.approx(-4.5)
    assert row(c, "meeting_interval_weeks=6", "time_to_50")["n_valid"] == 3
    assert any("reached" in note for note in c.notes)


def test_percent_interval_is_clipped_to_0_100():
    summary = synthetic({"meeting_interval_weeks=6": {"network_alive": [1, 1, 1, 0, 1]},
                         "meeting_interval_weeks=3": {"network_alive": [1, 1, 1, 1, 1]}})
    c = compare(summary, "meeting_interval_weeks=6", ["network_alive"])
    r = row(c, "meeting_interval_weeks=6", "network_alive")
    assert r["mean"] == pytest.approx(80.0) and r["high"] == 100.0 and r["low"] >= 0.0


def test_welch_when_crn_off_or_replicates_differ():
    rng = np.random.default_rng(4)
    base = rng.normal(0.5, 0.1, 8)
    summary = synthetic({"meeting_interval_weeks=6": {"adoption_all": base},
                         "meeting_interval_weeks=3": {"adoption_all": base + 0.05}})
    off = summary.with_columns(pl.lit(False).alias("common_random_numbers"))
    c = compare(off, "meeting_interval_weeks=6", ["adoption_all"])
    r = row(c, "meeting_interval_weeks=3", "adoption_all")
    assert r["method"] == "welch" and r["diff_high"] - r["diff_low"] > 5
    assert not c.paired and any("Welch" in n for n in c.notes)
    # replicate numbers 0..7 against 100..107: no pairs to make
    shifted = summary.with_columns(
        pl.when(pl.col("arm") == "meeting_interval_weeks=3")
        .then(pl.col("replicate") + 100).otherwise(pl.col("replicate")).alias("replicate"))
    c = compare(shifted, "meeting_interval_weeks=6", ["adoption_all"])
    assert row(c, "meeting_interval_weeks=3", "adoption_all")["method"] == "welch"
    assert any("replicate numbers do not match" in n for n in c.notes)


def test_cost_outcomes_always_compared_and_unknown_outcome_rejected():
    summary = synthetic({"meeting_interval_weeks=6": {"adoption_all": [0.1, 0.2],
                                                      "person_hours": [10, 12]},
                         "meeting_interval_weeks=3": {"adoption_all": [0.2, 0.3],
                                                      "person_hours": [20, 22]}})
    c = compare(summary, "meeting_interval_weeks=6", ["adoption_all"])
    assert c.outcomes == ["adoption_all", "person_hours"]
    assert row(c, "meeting_interval_weeks=3", "person_hours")["diff"] == pytest.approx(10.0)
    with pytest.raises(CompareError, match="'nonsense' not in the results; allowed"):
        compare(summary, "meeting_interval_weeks=6", ["nonsense"])


# ---------------------------------------------------------------------------------------------
# baselines and arms


@pytest.fixture
def three_arms() -> pl.DataFrame:
    ones = {"adoption_all": [0.1, 0.2]}
    return synthetic({"meeting_interval_weeks=12": ones, "meeting_interval_weeks=3": ones,
                      "meeting_interval_weeks=6": ones})


def test_arms_sorted_numerically_with_short_labels(three_arms):
    arms = arm_table(three_arms)
    assert arms["meeting_interval_weeks"].to_list() == [3, 6, 12]
    assert arms["label"].to_list() == ["meeting_interval_weeks=3", "meeting_interval_weeks=6",
                                       "meeting_interval_weeks=12"]


def test_baseline_by_label_or_shorthand(three_arms):
    assert resolve_baseline(three_arms, "meeting_interval_weeks=6") == "meeting_interval_weeks=6"
    assert resolve_baseline(three_arms, "meeting_interval_weeks=6.0") == \
        "meeting_interval_weeks=6"
    designs = synthetic({"scenario=a replicates=5": {"adoption_all": [0.1]},
                         "replicates=5 scenario=meeting_groups": {"adoption_all": [0.2]}},
                        key="scenario",
                        values={"scenario=a replicates=5": "a",
                                "replicates=5 scenario=meeting_groups": "meeting_groups"})
    assert resolve_baseline(designs, "scenario=meeting_groups") == \
        "replicates=5 scenario=meeting_groups"
    # a key that is not a column is matched against the label's key=value tokens
    assert resolve_baseline(designs, "replicates=5 scenario=a") == "scenario=a replicates=5"


def test_unknown_or_ambiguous_baseline_lists_the_arms(three_arms):
    with pytest.raises(CompareError) as err:
        resolve_baseline(three_arms, "meeting_interval_weeks=5")
    msg = str(err.value)
    assert "matches no arm" in msg
    for arm in ("meeting_interval_weeks=3", "meeting_interval_weeks=6",
                "meeting_interval_weeks=12"):
        assert repr(arm) in msg
    with pytest.raises(CompareError, match="available arms"):
        resolve_baseline(three_arms, None)
    with pytest.raises(CompareError, match="not an arm and not key=value"):
        resolve_baseline(three_arms, "six")
    grid = synthetic({"a=1 b=1": {"adoption_all": [0.1]}, "a=1 b=2": {"adoption_all": [0.1]}},
                     key="a", values={"a=1 b=1": 1, "a=1 b=2": 1})
    with pytest.raises(CompareError, match="matches 2 arms"):
        resolve_baseline(grid, "a=1")


def test_random_numbers_status_reads_provenance(tmp_path, three_arms):
    for job in range(3):
        (tmp_path / str(job)).mkdir()
        (tmp_path / str(job) / "provenance.json").write_text(json.dumps(
            {"seed": {"common_random_numbers": True, "base_seed": 1}}))
    assert random_numbers_status(three_arms, tmp_path)[0] is True
    (tmp_path / "2" / "provenance.json").write_text(json.dumps(
        {"seed": {"common_random_numbers": False, "base_seed": 1}}))
    crn, note = random_numbers_status(three_arms, tmp_path)
    assert crn is False and "off" in note
    seeds = three_arms.with_columns(pl.col("job").alias("seed"))
    assert random_numbers_status(seeds)[0] is False


def test_labels_in_words():
    assert condition_label("meeting_interval_weeks") == "weeks between gatherings"
    assert condition_label("trust.max_strong_ties") == "strong ties a person can keep " \
        "(fewer than 10)"
    assert condition_label("no.such.key") == "no.such.key"
    assert outcome_info("time_to_50").diff_unit == "weeks"
    assert outcome_info("adoption_colleagues").diff_unit == "percentage points"


# ------------------------------------------------------------ direction, population, money


def test_direction_is_declared_per_outcome():
    from netsim.analysis import DIRECTION, outcome_info
    from netsim.report import KEY_OUTCOMES

    assert outcome_info("adoption_all").better == 1
    assert outcome_info("person_hours").better == -1  # a cost increase is worse
    assert outcome_info("time_to_50").better == -1
    assert outcome_info("money_cost", "NOK").label == "cost in money (NOK)"
    # every key outcome of the run report has a declared direction
    assert {c for c, *_ in KEY_OUTCOMES} <= set(DIRECTION)


def _two_designs(n_schools_b: int) -> pl.DataFrame:
    return pl.DataFrame({
        "job": [0] * 3 + [1] * 3, "replicate": [0, 1, 2] * 2,
        "arm": ["scenario=a"] * 3 + ["scenario=b"] * 3, "scenario": ["a"] * 3 + ["b"] * 3,
        "n_schools": [45] * 3 + [n_schools_b] * 3,
        "n_staff": [1100.0, 1105.0, 1098.0] + [1100.0 * n_schools_b / 45] * 3,
        "adoption_all": [0.5, 0.6, 0.7, 0.55, 0.65, 0.75],
        "person_hours": [1000.0, 1100.0, 1200.0, 900.0, 1000.0, 1100.0],
    })


def test_different_populations_are_warned_about_with_the_fixing_command(tmp_path):
    from netsim.analysis import population_check

    same = _two_designs(45)
    assert population_check(same, "scenario=a") == ""
    assert compare(same, "scenario=a").population_warning == ""
    odd = _two_designs(33)
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "provenance.json").write_text(json.dumps(
        {"scenario": {"network": {"n_schools": 45, "teachers_per_school": 24,
                                  "school_size_spread": 0.3}}}))
    c = compare(odd, "scenario=a", sweep_dir=tmp_path)
    w = c.population_warning
    assert "45 schools" in w and "scenario=b (33 schools" in w
    assert "network.n_schools=45 network.teachers_per_school=24" in w
    assert c.notes[0].startswith("Populations differ.")


def test_money_cost_is_person_hours_times_the_wage_rate():
    summary = _two_designs(45)
    c = compare(summary, "scenario=a", wage_rate=450, currency="NOK")
    money = c.table.filter(pl.col("outcome") == "money_cost")
    hours = c.table.filter(pl.col("outcome") == "person_hours")
    np.testing.assert_allclose(money["mean"].to_numpy(), 450 * hours["mean"].to_numpy())
    np.testing.assert_allclose(money["diff_low"].to_numpy(), 450 * hours["diff_low"].to_numpy())
    assert money["unit"].unique().to_list() == ["NOK"]
    assert any("450 NOK per person-hour" in n for n in c.notes)
    with pytest.raises(CompareError, match="wage-rate"):
        compare(summary, "scenario=a", wage_rate=-1)


@pytest.mark.parametrize("effect, cost, start", [
    ((2.0, 1.0, 3.0), (-50.0, -80.0, -20.0), "better and cheaper"),
    ((2.0, 1.0, 3.0), (100.0, 80.0, 120.0), "better but dearer: about 50 person-hours"),
    ((-2.0, -3.0, -1.0), (-100.0, -120.0, -80.0), "cheaper but worse: saves about 50"),
    ((-2.0, -3.0, -1.0), (100.0, 80.0, 120.0), "worse and dearer"),
    ((0.5, -1.0, 2.0), (-100.0, -120.0, -80.0), "cheaper (100 person-hours less) with an"),
    ((0.5, -1.0, 2.0), (5.0, -10.0, 20.0), "cannot be told apart"),
])
def test_tradeoffs_in_words(effect, cost, start):
    from netsim.analysis import tradeoff_words

    words = tradeoff_words(effect, cost)
    assert words.startswith(start)
    assert "-" not in words.split(":")[-1].replace("person-hours", "")  # no negative prices

"""Tests for the scenario presets in configs/scenario (network designs, issue 3).

Every preset composes through Hydra, validates, runs, and traces each value to a source; each
design's own structure and calendar works as documented (gatherings per area or group, cost
of its own meeting pattern, informal ties outliving a formal project).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from netsim.app import check_overrides
from netsim.config import ConfigError, Design, configs_dir, list_presets, load_scenario
from netsim.model import LearningNetworkModel
from netsim.runner import run_scenario
from netsim.state import Role

PRESETS = ("resource_teacher_network", "city_developer_networks", "meeting_groups",
           "partnership_network", "significant_networks", "formal_seeds_informal")


def test_all_six_designs_are_presets() -> None:
    assert set(PRESETS) <= set(list_presets())


@pytest.mark.parametrize("name", PRESETS)
def test_preset_composes_validates_and_runs_a_short_horizon(name: str) -> None:
    (scenario,) = check_overrides([f"scenario={name}"])
    assert scenario.name == name
    assert len(scenario.description) > 40
    assert scenario == load_scenario(name)  # Hydra and the plain loader agree
    short = load_scenario(name, {"calendar.years": 0.5})
    result = run_scenario(short, replicates=2)
    assert result.summary.height == 2
    for column in ("adoption_all", "knowledge_all", "person_hours", "schools_changed",
                   "school_inequality", "trust_members"):
        values = result.summary[column].to_numpy()
        assert np.all(np.isfinite(values)), column
    # members or their colleagues (a design may have no members, or no one outside them)
    members = result.summary["adoption_members"].to_numpy()
    colleagues = result.summary["adoption_colleagues"].to_numpy()
    assert np.all(np.isfinite(members) | np.isfinite(colleagues))
    assert np.all(result.summary["person_hours"].to_numpy() >= 0)


_KEY_VALUE = re.compile(r"^(\s*)([A-Za-z_]+):\s*(\S.*)?$")


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_value_names_its_source(name: str) -> None:
    lines = (configs_dir() / "scenario" / f"{name}.yaml").read_text().splitlines()
    list_indent = None
    unsourced = []
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if list_indent is not None and (indent > list_indent or stripped.startswith("- ")):
            continue  # inside a list of settings whose key carries the comment
        list_indent = None
        match = _KEY_VALUE.match(line)
        if not match or stripped.startswith("#"):
            continue
        key, value = match.group(2), (match.group(3) or "")
        if key in ("name", "description") or value in ("", ">-") or value.startswith("#"):
            if value.startswith("#") or (not value and key == "channels"):
                list_indent = indent
            continue
        comment = value.partition("#")[2].lower()
        if not ("seed" in comment or "modelling choice" in comment or "issue" in comment):
            unsourced.append(line.strip())
    assert not unsourced, f"{name}: values without a source: {unsourced}"


def test_preset_combines_with_overrides_and_conditions() -> None:
    (scenario,) = check_overrides(["scenario=meeting_groups", "leader_participation=1.0",
                                   "trust.initial=0.4", "formality=0.3"])
    assert scenario.network.design is Design.meeting_groups
    assert (scenario.leader_participation, scenario.trust.initial, scenario.formality) == (
        1.0, 0.4, 0.3)
    assert scenario.calendar.gathering_weeks == [5, 15, 25, 35]  # the preset's own calendar
    # its study days are fixed weeks: the meeting interval counts only once they are cleared
    with pytest.raises(ConfigError, match="meeting_interval_weeks = 3 has no effect"):
        check_overrides(["scenario=meeting_groups", "meeting_interval_weeks=3"])
    (scenario,) = check_overrides(["scenario=meeting_groups", "meeting_interval_weeks=3",
                                   "calendar.gathering_weeks=[]",
                                   "calendar.gathering_hours_list=[]"])
    assert scenario.meeting_interval_weeks == 3 and scenario.calendar.gathering_weeks == []


def test_leaders_attend_meeting_groups_when_asked() -> None:
    """``leader_participation=1.0`` on the meeting-groups preset: every school leader came to
    the last meeting of the year when the owner fully backs the network (owner commitment 1:
    no loss of priority); the preset's own value, 0, keeps them away."""
    def leaders_came(participation: float) -> float:
        scenario = load_scenario("meeting_groups", {"calendar.years": 1.0,
                                                    "leader_participation": participation,
                                                    "motivation.owner_commitment": 1.0})
        model = LearningNetworkModel(scenario, seed=0)
        model.run()
        return float(model.state.leader_attended.mean())

    assert leaders_came(0.0) == 0.0
    assert leaders_came(1.0) == 1.0


@pytest.mark.parametrize("overrides, message", [
    ({"calendar.gathering_weeks": [10, 5]}, "not strictly increasing"),
    ({"calendar.gathering_weeks": [5, 40]}, "after the end of the school year"),
    ({"calendar.gathering_hours_list": [3.0]}, "has 1 entries but calendar.gathering_weeks"),
    ({"network.all_teachers_members": False}, "all_teachers_members = false"),
])
def test_meeting_groups_calendar_errors_name_the_key(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_scenario("meeting_groups", overrides)


@pytest.mark.parametrize("preset, overrides, message", [
    ("resource_teacher_network", {"calendar.area_meeting_interval_weeks": 6},
     "area_meeting_interval_weeks = 6 needs areas"),
    ("resource_teacher_network", {"network.gatherings_by_area": True}, "needs areas"),
    ("city_developer_networks", {"network.n_areas": 0, "calendar.area_meeting_interval_weeks": 0},
     "n_areas = 0 is not allowed"),
    ("significant_networks", {"network.n_facilitators": 2}, "n_facilitators = 2"),
])
def test_design_constraints_are_validated(preset: str, overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_scenario(preset, overrides)


# ------------------------------------------------------------------ calendars and cost


def test_meeting_groups_cost_counts_attendees_times_hours_of_its_four_meetings() -> None:
    """Deterministic case: everyone invited attends (motivation held at 1, attendance base 1,
    formality 0.5), so a year costs (teachers + expert per group + expert's preparation per
    group) x (3 + 3 + 3 + 6) hours exactly."""
    scenario = load_scenario("meeting_groups", {
        "calendar.years": 1.0, "network.leaders_invited": False, "formality": 0.5,
        "gathering.attendance_base": 1.0, "processes.home_transfer": False,
        "processes.cocreation": False, "processes.trial": False, "processes.dynamics": False,
        "processes.turnover": False})
    model = LearningNetworkModel(scenario, seed=4)
    model.state.motivation[:] = 1.0
    st = model.state
    n_teachers = int(((st.role == Role.TEACHER) | (st.role == Role.RESOURCE_TEACHER)).sum())
    n_groups = int(st.area.max()) + 1
    model.run()
    series = model.series()
    weeks = np.flatnonzero(series["gatherings"] > 0)
    assert weeks.tolist() == [5, 15, 25, 35]
    assert np.all(series["gatherings"][weeks] == n_groups)  # each group meets on its own
    assert np.all(series["attendees"][weeks] == n_teachers + n_groups)
    expected = (n_teachers + 2 * n_groups) * (3 + 3 + 3 + 6)
    assert series["person_hours"].sum() == pytest.approx(expected, rel=1e-12)
    assert series["person_hours"][35] == pytest.approx(2 * series["person_hours"][5])


def test_city_gatherings_and_area_gatherings_run_on_their_own_calendars() -> None:
    scenario = load_scenario("city_developer_networks", {"calendar.years": 1.0})
    model = LearningNetworkModel(scenario, seed=2)
    model.run()
    held = model.series()["gatherings"]
    n_areas = scenario.network.n_areas
    city_weeks = list(range(1, 39, 6))    # meeting_interval_weeks = 6 from week 1
    area_weeks = list(range(4, 39, 6))    # area_meeting_interval_weeks = 6 from week 4
    assert np.flatnonzero(held).tolist() == sorted(city_weeks + area_weeks)
    assert np.all(held[city_weeks] == 1)
    assert np.all(held[area_weeks] == n_areas)


def test_area_gatherings_carry_the_network_to_the_schools() -> None:
    """Direction of effect: without area gatherings far fewer area members (resource teachers
    and leaders, not in the city network) adopt; 3 replicates, one school year, margin 0.1
    (model version 2 measured about 0.31 with and 0.11 without)."""
    def area_adoption(interval: int) -> float:
        values = []
        for seed in range(3):
            scenario = load_scenario("city_developer_networks", {
                "calendar.years": 1.0, "calendar.area_meeting_interval_weeks": interval})
            model = LearningNetworkModel(scenario, seed=seed)
            model.run()
            area_only = model.invited_area & ~model.invited_network
            values.append(float(model.state.adopted_any()[area_only].mean()))
        return float(np.mean(values))

    assert area_adoption(6) > area_adoption(0) + 0.1


# ------------------------------------------------------------------ significant networks


def test_significant_networks_keep_fewer_than_10_strong_ties_and_no_gatherings() -> None:
    scenario = load_scenario("significant_networks", {"calendar.years": 2.0})
    model = LearningNetworkModel(scenario, seed=1)
    model.run()
    ties = model.state.member_ties
    strong_degree = ties.strong_degree(scenario.trust.strong)
    assert strong_degree.max() <= scenario.trust.max_strong_ties < 10
    assert strong_degree.sum() > 0  # the significant ties are still there after two years
    series = model.series()
    assert series["gatherings"].sum() == 0 and series["person_hours"].sum() == 0


# ------------------------------------------------------------------ formal seeds informal


def _persistence(overrides: dict, replicates: int = 6) -> tuple[float, float, float]:
    """Ties strong when the project ends (week 38): their mean trust and the share still
    strong at the end of year 2 (week 76), and gatherings held after week 38."""
    trust_76, still, late = [], [], 0.0
    for seed in range(replicates):
        scenario = load_scenario("formal_seeds_informal", {"calendar.years": 2.0, **overrides})
        model = LearningNetworkModel(scenario, seed=seed)
        model.run_for(38)
        ties = model.state.member_ties
        keys = ties.key[ties.trust >= scenario.trust.strong].copy()
        model.run_for(38)
        ties = model.state.member_ties
        idx = np.searchsorted(ties.key, keys)
        assert np.array_equal(ties.key[idx], keys)  # nobody left (no turnover of members)
        trust_76.extend(ties.trust[idx])
        still.extend(ties.trust[idx] >= scenario.trust.strong)
        late += float(model.series()["gatherings"][39:].sum())
    return float(np.mean(trust_76)), float(np.mean(still)), late


@pytest.mark.slow
def test_ties_formed_in_the_formal_project_persist_after_it_ends() -> None:
    """Seed 000: the formal project ends after week 38; ties strong then stay trusted through
    year 2 with no gathering (pooled over 6 replicates: mean trust >= 0.65, at least 90 % still
    strong; measured about 0.72 and 99 %), clearly more than without their use (no talk on
    strong ties, no co-creation, schema decay 0.01: measured about 0.48 and 48 %)."""
    no_turnover = {"processes.turnover": False}
    trust, share, late = _persistence(no_turnover)
    assert late == 0
    assert trust >= 0.65 and share >= 0.9
    trust_unused, share_unused, _ = _persistence({**no_turnover, "trust.decay": 0.01,
                                                  "talk.member_tie_talk_prob": 0.0,
                                                  "processes.cocreation": False})
    assert trust_unused < trust - 0.15
    assert share_unused < 0.7


def test_formal_project_gatherings_stop_after_the_first_school_year() -> None:
    scenario = load_scenario("formal_seeds_informal", {"calendar.years": 2.0})
    model = LearningNetworkModel(scenario, seed=0)
    model.run()
    held = np.flatnonzero(model.series()["gatherings"])
    assert held.size == 10 and held.max() <= 38  # weeks 1, 5, ..., 37
    assert math.isfinite(model.summary()["adoption_all"])

"""The Mesa model: calendar, agents, invariants over whole runs, and that nothing is learned
from nobody."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make_scenario

from netsim import LearningNetworkModel, Role, Stage
from netsim.agents import Facilitator, ResourceTeacher, SchoolLeader, Teacher
from netsim.mechanisms import cocreation, gathering, home_transfer, turnover
from netsim.metrics import SERIES_COLUMNS

ONE_YEAR = dict(calendar__years=1.0)

# stage a person can be in one week later (turnover and key-person replacement aside):
# unaware -> aware -> trying in one week; a trial ends at the earliest the week after it began;
# a dropped practice can be reconsidered and tried again in one week; adoption is kept
ALLOWED = {
    Stage.UNAWARE: {Stage.UNAWARE, Stage.AWARE, Stage.TRYING},
    Stage.AWARE: {Stage.AWARE, Stage.TRYING},
    Stage.TRYING: {Stage.TRYING, Stage.ADOPTED, Stage.DROPPED, Stage.AWARE},
    Stage.ADOPTED: {Stage.ADOPTED, Stage.DROPPED},  # discontinuance
    Stage.DROPPED: {Stage.DROPPED, Stage.AWARE, Stage.TRYING},
}
ALLOWED_AFTER_RESET = {Stage.UNAWARE, Stage.AWARE, Stage.TRYING}


def test_agents_are_views_onto_the_state():
    model = LearningNetworkModel(make_scenario(**ONE_YEAR), seed=1)
    st = model.state
    assert len(model.agents) == st.n_people == len(model.people)
    classes = {Role.TEACHER: Teacher, Role.RESOURCE_TEACHER: ResourceTeacher,
               Role.LEADER: SchoolLeader, Role.FACILITATOR: Facilitator}
    for agent in model.people[:40] + model.people[-2:]:
        assert type(agent) is classes[Role(st.role[agent.row])]
    agent = model.people[1]
    agent.motivation = 0.25
    assert st.motivation[1] == 0.25
    agent.motivation = 7.0  # clipped on write
    assert st.motivation[1] == 1.0
    assert agent.school == st.school[1] and agent.member == st.member[1]
    model.run()
    model.remove_all_agents()
    assert len(model.agents) == 0


def test_calendar_event_times(monkeypatch):
    """Gatherings at t - 0.5, development time at t - 0.25, turnover after each school year at
    Y + 0.9 (the mechanisms are looked up on their modules at call time, so spies see them)."""
    calls: dict[str, list[float]] = {"gathering": [], "dev": [], "turnover": []}
    sc = make_scenario(calendar__weeks_per_year=10, calendar__years=2.0,
                       meeting_interval_weeks=4, calendar__dev_time_interval_weeks=3,
                       calendar__gathering_start_week=2, calendar__gathering_end_week=14,
                       turnover__annual_rate=0.1)
    model = LearningNetworkModel(sc, seed=2)

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            calls[name].append(model.time)
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(gathering, "hold_gathering", spy("gathering", gathering.hold_gathering))
    monkeypatch.setattr(home_transfer, "development_time",
                        spy("dev", home_transfer.development_time))
    monkeypatch.setattr(turnover, "turnover", spy("turnover", turnover.turnover))
    model.run()
    assert calls["gathering"] == [1.5, 5.5, 9.5, 13.5]  # weeks 2, 6, 10, 14; then ended
    assert calls["dev"] == [0.75 + 3 * i for i in range(7)]  # weeks 1, 4, ..., 19
    assert calls["turnover"] == [10.9]  # after year 1 (year 2 ends with the run)
    series = model.series()
    assert series["gatherings"].tolist() == [1.0 if w in (2, 6, 10, 14) else 0.0
                                             for w in range(21)]
    assert series["week"].tolist() == list(range(21))


def run_checked(sc, seed: int = 3, monkeypatch=None):
    """Run week by week, checking bounds and stage transitions after every week."""
    model = LearningNetworkModel(sc, seed=seed)
    st = model.state
    reset: set[int] = set()
    if monkeypatch is not None:
        original = turnover.reset_people

        def record_reset(state, scenario, rows, rng):
            reset.update(int(r) for r in rows)
            return original(state, scenario, rows, rng)

        monkeypatch.setattr(turnover, "reset_people", record_reset)
    prev = st.stage.copy()
    for _ in range(sc.n_weeks):
        reset.clear()
        model.step()
        for name in ("knowledge", "know_how", "inspiration", "quality", "trial_support"):
            arr = getattr(st, name)
            assert arr.min() >= 0.0 and arr.max() <= 1.0 + 1e-12, name
        assert st.motivation.min() >= 0 and st.motivation.max() <= 1
        assert st.alignment.min() >= 0 and st.alignment.max() <= 1
        if len(st.member_ties):
            assert st.member_ties.trust.min() >= 0 and st.member_ties.trust.max() <= 1
            assert st.member_ties.strong_degree(sc.trust.strong).max() <= sc.trust.max_strong_ties
        changed = np.argwhere(st.stage != prev)
        for row, col in changed:
            before, after = Stage(prev[row, col]), Stage(st.stage[row, col])
            allowed = ALLOWED_AFTER_RESET if row in reset else ALLOWED[before]
            assert after in allowed, (row, col, before, after, model.time)
        # a held version is registered and its quality is the registry's
        r, c = np.nonzero(st.version >= 0)
        q = np.asarray(st.versions.quality)[st.version[r, c]]
        assert st.quality[r, c] == pytest.approx(q)
        prev = st.stage.copy()
    return model


@pytest.mark.parametrize("overrides", [
    {},
    {"leader_participation": 0.0, "formality": 0.0, "turnover__key_person_loss_week": 10},
    {"formality": 1.0, "turnover__key_person_loss_week": 5, "turnover__annual_rate": 0.5},
    {"meeting_interval_weeks": 1, "trust__initial": 0.9, "trust__growth": 1.0},
])
def test_invariants_hold_every_week(monkeypatch, overrides):
    sc = make_scenario(calendar__years=1.5, **overrides)
    model = run_checked(sc, monkeypatch=monkeypatch)
    series = model.series()
    assert set(series) == set(SERIES_COLUMNS)
    for col in ("adoption_members", "adoption_colleagues", "adoption_all", "practice_adoption",
                "knowledge_members", "knowledge_all", "schools_changed", "school_inequality",
                "network_alive", "trust_members"):
        values = series[col]
        assert np.all((values >= 0) & (values <= 1)), col
    hours = series["person_hours"]
    assert (hours >= 0).all()
    assert np.diff(series["person_hours_cum"]).min() >= 0
    assert series["person_hours_cum"] == pytest.approx(np.cumsum(hours))
    summary = model.summary()
    assert summary["person_hours"] == pytest.approx(series["person_hours_cum"][-1])


def test_key_person_loss_formal_network_pauses_then_goes_on():
    sc = make_scenario(formality=0.9, turnover__formality_threshold=0.5,
                       turnover__replacement_weeks=8, turnover__key_person_loss_week=10,
                       meeting_interval_weeks=3, calendar__years=1.0)
    model = LearningNetworkModel(sc, seed=4)
    model.run()
    series = model.series()
    weeks = np.flatnonzero(series["gatherings"])
    # gatherings in weeks 1, 4, 7, then none in the 8-week pause from week 10, then 19, 22, ...
    assert weeks.tolist() == [1, 4, 7] + list(range(19, 39, 3))
    assert (series["network_alive"] == 1).all()
    fac = np.flatnonzero(model.state.role == Role.FACILITATOR)
    assert model.state.present[fac].all()  # replaced


def test_key_person_loss_dissolves_informal_network():
    sc = make_scenario(formality=0.0, turnover__key_person_loss_week=10,
                       meeting_interval_weeks=3, calendar__years=1.0)
    model = LearningNetworkModel(sc, seed=4)
    model.run()
    series = model.series()
    assert series["network_alive"][:10].tolist() == [1.0] * 10
    assert (series["network_alive"][10:] == 0).all()
    assert np.flatnonzero(series["gatherings"]).tolist() == [1, 4, 7]
    assert model.summary()["weeks_alive"] == 9


def test_nothing_is_learned_when_every_source_is_off():
    sc = make_scenario(processes__gathering=False, processes__home_transfer=False,
                       processes__collegial_talk=False, processes__digital=False,
                       processes__cocreation=False, practices__local_share=0.0, **ONE_YEAR)
    model = LearningNetworkModel(sc, seed=5)
    model.run()
    st = model.state
    assert (st.knowledge[st.staff] == 0).all()
    assert (st.stage[st.staff] == Stage.UNAWARE).all()
    assert (model.series()["adoption_all"] == 0).all()


def test_people_without_ties_or_gatherings_learn_nothing():
    # no collegial ties, no development time, no local practices: only members learn
    sc = make_scenario(network__collegial_degree=0, processes__home_transfer=False,
                       practices__local_share=0.0, **ONE_YEAR)
    model = LearningNetworkModel(sc, seed=6)
    model.run()
    st = model.state
    outsiders = st.staff & ~st.member
    assert outsiders.sum() > 100
    assert (st.knowledge[outsiders] == 0).all()
    assert (model.series()["adoption_colleagues"] == 0).all()
    assert st.knowledge[st.staff & st.member].mean() > 0.1


def test_docstring_example_and_run_is_idempotent():
    model = LearningNetworkModel(make_scenario(**ONE_YEAR), seed=1)
    model.run()
    n = len(model.series()["week"])
    model.run()  # already at the horizon: nothing more happens
    assert len(model.series()["week"]) == n == 39
    assert not model.running
    assert math.isfinite(model.summary()["adoption_all"])


def test_cocreation_groups_are_small_groups_of_members():
    sc = make_scenario(trust__initial=0.9, trust__growth=0.5, cocreation__threshold=0.6,
                       **ONE_YEAR)
    model = LearningNetworkModel(sc, seed=7)
    model.run()
    st = model.state
    groups = st.cocreation_group
    assert (groups >= 0).any()
    for g in np.unique(groups[groups >= 0]):
        rows = np.flatnonzero(groups == g)
        assert 2 <= rows.size <= sc.cocreation.max_group_size
        assert st.member[rows].all()
    assert cocreation.form_groups(st, sc) == st.group_distance.size

"""The Mesa model: calendar, agents, invariants over whole runs, and that nothing is learned
from nobody."""

from __future__ import annotations

import math
import weakref

import numpy as np
import pytest
from conftest import make_scenario

from netsim import LearningNetworkModel, Role, Stage
from netsim.agents import Facilitator, ResourceTeacher, SchoolLeader, Teacher
from netsim.mechanisms import cocreation, collegial_talk, gathering, home_transfer, turnover
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


# key-person loss in week 5, replaced 6 weeks later (formal network); turnover after week 10
AGENT_CHURN = dict(calendar__weeks_per_year=10, calendar__years=2.0, formality=0.8,
                   turnover__key_person_loss_week=5, turnover__replacement_weeks=6,
                   turnover__annual_rate=0.3)


def _registered(model) -> list[tuple[int, type]]:
    return sorted((a.row, type(a)) for a in model.agents)


def test_agents_made_late_equal_agents_made_at_the_start():
    """The agents are made on first use: made after key-person loss, replacement and turnover,
    they are the agents a model that made them at the start holds (one per row, of the row's
    role, the departed key person unregistered while away), and making them changes no
    result."""
    sc = make_scenario(**AGENT_CHURN)
    eager, late, never = (LearningNetworkModel(sc, seed=4) for _ in range(3))
    assert len(eager.people) == eager.state.n_people  # made now
    for model in (eager, late, never):
        model.run_for(7)  # the key person left in week 5
    away = int(np.flatnonzero(~eager.state.present)[0])
    assert eager.state.role[away] == Role.FACILITATOR
    assert _registered(late) == _registered(eager)  # made now, with the key person away
    assert away not in {row for row, _ in _registered(late)}
    assert [a.unique_id for a in late.people] == list(range(1, late.state.n_people + 1))
    for model in (eager, late, never):
        model.run()
    assert eager.state.present.all() and len(eager._pending_replacements) == 0  # replaced
    replaced = eager.people[away]
    assert replaced in eager.agents and replaced.unique_id > eager.state.n_people
    assert _registered(never) == _registered(eager) == _registered(late)
    assert [type(a) for a in never.people] == [type(a) for a in eager.people]
    for a, b in zip(never.series().values(), eager.series().values(), strict=True):
        assert np.array_equal(a, b, equal_nan=True)
    assert never.summary() == pytest.approx(eager.summary(), nan_ok=True)


def test_agents_registered_in_bulk_equal_mesa_registration_one_by_one():
    """With a subscriber to the model's agent signals Mesa registers each agent itself (its
    signal reaches the subscriber); without, netsim registers them in bulk: the same unique
    ids, classes, attributes and agent sets either way, and removal empties both."""
    from mesa.experimental.mesa_signals import ModelSignals

    sc = make_scenario(**AGENT_CHURN)
    bulk, mesa_way = LearningNetworkModel(sc, seed=5), LearningNetworkModel(sc, seed=5)
    heard: list[str] = []

    class Listener:
        def __call__(self, signal) -> None:
            heard.append(signal.signal_type)

    listener = Listener()
    for signal in (ModelSignals.AGENT_ADDED, ModelSignals.AGENT_REMOVED):
        mesa_way.subscribers[("agents", signal)].append(weakref.ref(listener))
    for model in (bulk, mesa_way):
        model.people  # noqa: B018 (made now)
        model.run()  # key-person loss and turnover remove and add agents
    made = bulk.agent_id_counter - 1
    assert made > bulk.state.n_people  # some were replaced
    assert heard.count(ModelSignals.AGENT_ADDED) == made
    assert [vars(a).keys() for a in bulk.people] == [vars(a).keys() for a in mesa_way.people]
    assert [(a.unique_id, a.row, type(a), a.pos) for a in bulk.agents] == [
        (a.unique_id, a.row, type(a), a.pos) for a in mesa_way.agents]
    assert list(bulk.agents_by_type) == list(mesa_way.agents_by_type)
    for cls in bulk.agent_types:
        assert [a.unique_id for a in bulk.agents_by_type[cls]] == [
            a.unique_id for a in mesa_way.agents_by_type[cls]]
    assert bulk.agent_id_counter == mesa_way.agent_id_counter
    assert all(a.model is bulk for a in bulk.agents)
    some = next(iter(bulk.agents))
    some.remove()  # Mesa's own removal of one agent registered in bulk
    assert some not in bulk.agents and some not in bulk.agents_by_type[type(some)]
    mesa_way.agents[0].remove()
    removed_in_run = heard.count(ModelSignals.AGENT_REMOVED)
    assert removed_in_run == made - len(mesa_way.agents)
    for model in (bulk, mesa_way):
        model.remove_all_agents()
        assert len(model.agents) == 0
        assert all(len(s) == 0 for s in model.agents_by_type.values())
    assert heard.count(ModelSignals.AGENT_REMOVED) == made


def test_calendar_event_times(monkeypatch):
    """Gatherings, development time and turnover (in the first week of the next school year)
    at the start of the step at t (the mechanisms are looked up on their modules
    at call time, so spies see them)."""
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
    assert calls["gathering"] == [2.0, 6.0, 10.0, 14.0]  # weeks 2, 6, 10, 14; then ended
    assert calls["dev"] == [1.0 + 3 * i for i in range(7)]  # weeks 1, 4, ..., 19
    assert calls["turnover"] == [11.0]  # after year 1 (year 2 ends with the run)
    series = model.series()
    assert series["gatherings"].tolist() == [1.0 if w in (2, 6, 10, 14) else 0.0
                                             for w in range(21)]
    assert series["week"].tolist() == list(range(21))


def test_calendar_order_within_a_week(monkeypatch):
    """Within a week, all in the step: the gathering (then its regrouping), regrouping,
    development time, turnover and the weekly processes, in that order (the order of the
    module docstring and ODD section 3)."""
    calls: list[tuple[str, float]] = []
    sc = make_scenario(calendar__weeks_per_year=3, calendar__years=2.0,
                       meeting_interval_weeks=3, calendar__dev_time_interval_weeks=3,
                       turnover__annual_rate=0.2)
    model = LearningNetworkModel(sc, seed=2)

    def spy(name, module, attr):
        fn = getattr(module, attr)

        def wrapped(*args, **kwargs):
            calls.append((name, model.time))
            return fn(*args, **kwargs)
        monkeypatch.setattr(module, attr, wrapped)

    spy("gathering", gathering, "hold_gathering")
    spy("regroup", cocreation, "form_groups")
    spy("dev", home_transfer, "development_time")
    spy("turnover", turnover, "turnover")
    spy("talk", collegial_talk, "talk")
    model.run()
    assert [c for c in calls if 3 < c[1] <= 4] == [
        ("gathering", 4.0), ("regroup", 4.0), ("regroup", 4.0), ("dev", 4.0),
        ("turnover", 4.0), ("talk", 4.0)]
    assert [c for c in calls if 4 < c[1] <= 5] == [("talk", 5.0)]


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


def test_step_run_for_and_user_events_give_the_results_of_run():
    """The weekly record does not depend on how the calendar is driven: ``run()``, one
    ``step()`` a week, ``run_for`` in uneven pieces (ending mid-week) and a run with a user's
    recurring event that only reads give identical series and summaries; the user's event runs
    at its times and sees the week's record so far."""
    from mesa.time import Schedule

    sc = make_scenario(**ONE_YEAR)

    def results(drive) -> tuple[dict, dict]:
        model = LearningNetworkModel(sc, seed=4)
        drive(model)
        return model.series(), model.summary()

    def by_step(model: LearningNetworkModel) -> None:
        while model.running:
            model.step()

    def in_pieces(model: LearningNetworkModel) -> None:
        for piece in (5, 0.5, 12.5, 20):
            model.run_for(piece)

    seen: list[tuple[float, int]] = []

    def with_observer(model: LearningNetworkModel) -> None:
        def observe() -> None:  # halfway through a week: the previous week is recorded
            seen.append((model.time, len(model.series()["week"])))
        model.observe_weeks = observe  # the calendar holds a weak reference
        model.schedule_recurring(observe, Schedule(interval=10, start=0.5))
        model.run()

    base_series, base_summary = results(LearningNetworkModel.run)
    for drive in (by_step, in_pieces, with_observer):
        series, summary = results(drive)
        assert summary == pytest.approx(base_summary, rel=0, abs=0, nan_ok=True), drive
        for column in SERIES_COLUMNS:
            np.testing.assert_array_equal(series[column], base_series[column], err_msg=column)
    assert seen == [(0.5, 1), (10.5, 11), (20.5, 21), (30.5, 31)]
    assert base_series["week"].tolist() == list(range(39))


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

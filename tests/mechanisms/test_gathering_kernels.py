"""The compiled loops of gatherings, development time and turnover against the vectorised
rules they replaced (:mod:`vectorised_gathering`, verbatim): the same state bit for bit, the same
draws, the same counters.

Each case runs a real model for some weeks (so knowledge, stages, versions, ties and base
groups are what a run makes), copies its state twice and holds gatherings or development time
on both copies with generators in the same state. The exchange counter is a sum the loops take
in row order, NumPy pairwise: it may differ in the last bits (relative 1e-12 accepted, see
netsim.kernels); everything else must be equal.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import vectorised_gathering as ref
from conftest import F, L, R, T, hold, make_scenario, make_state

from netsim import load_scenario
from netsim.mechanisms import gathering, home_transfer, turnover
from netsim.kernels import numpy_sum
from netsim.model import LearningNetworkModel
from netsim.state import Stage, State


def assert_same_state(a: State, b: State) -> None:
    """Every array of the two states equal (NaN equal to NaN), ties and versions too."""
    for f in dataclasses.fields(State):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
    for name in ("key", "a", "b", "trust", "last_contact"):
        assert np.array_equal(getattr(a.member_ties, name), getattr(b.member_ties, name)), name
    assert a.versions == b.versions


def assert_same_counters(new: dict[str, float], old: dict[str, float]) -> None:
    assert list(new) == list(old)
    for key in old:
        if key == "exchange":  # a sum: row order here, pairwise in NumPy
            assert new[key] == pytest.approx(old[key], rel=1e-12, abs=1e-300)
        else:
            assert new[key] == old[key], key


def run_model(preset: str, weeks: int, seed: int = 0, **over: object) -> LearningNetworkModel:
    model = LearningNetworkModel(load_scenario(preset, over), seed=seed)
    for _ in range(weeks):
        model.step()
    return model


def twins(state: State, seed: int) -> tuple[State, State, np.random.Generator,
                                             np.random.Generator]:
    return (copy.deepcopy(state), copy.deepcopy(state), np.random.default_rng(seed),
            np.random.default_rng(seed))


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000,
                               1031, 5000])
def test_numpy_sum_is_numpys_pairwise_sum(n):
    rng = np.random.default_rng(n)
    x = rng.random(n) ** 8  # spread magnitudes: the order of additions shows in the last bits
    assert numpy_sum(x, 0, n, 1) == x.sum()
    y = rng.random((max(n, 1), 3)) ** 8
    assert numpy_sum(y.reshape(-1), 2, y.shape[0], 3) == y[:, 2].sum()
    z = rng.random((4, n)) ** 8
    assert [numpy_sum(z.reshape(-1), r * n, n, 1) for r in range(4)] == z.sum(axis=1).tolist()


CASES = [
    ("resource_teacher_network", 40, {}),
    ("resource_teacher_network", 30, {"practices.n_practices": 10, "gathering.stories": 3,
                                      "gathering.expert_inputs": 2,
                                      "network.background_weight": 0.5, "network.need_weight": 1.0,
                                      "gathering.facilitator_style": "directive",
                                      "network.school_forms": 4, "formality": 0.8}),
    # a large audience: means over more than 128 people, many resource teachers per school
    ("resource_teacher_network", 14, {"network.n_schools": 160,
                                      "network.resource_teachers_per_school": 2,
                                      "gathering.group_diversity": 1.0}),
    ("city_developer_networks", 30, {"gathering.group_diversity": 0.0}),
    ("meeting_groups", 30, {}),
]


@pytest.mark.parametrize(("preset", "weeks", "over"), CASES)
def test_hold_gathering_is_the_vectorised_rule_bit_for_bit(preset, weeks, over):
    model = run_model(preset, weeks, **over)
    state, sc = model.state, model.scenario
    rng = np.random.default_rng(3)
    if over.get("network.need_weight"):
        state.need[:] = rng.integers(-1, state.n_practices, state.n_schools)
    state.take_back[:] = -1
    new, old, rng_new, rng_old = twins(state, 11)
    new.base_group = old.base_group = np.empty(0, dtype=np.int64)  # composed anew
    areas = np.unique(state.area[state.member & (state.area >= 0)])
    for week in range(weeks, weeks + 4):
        invited = None
        if areas.size and week % 2:  # an area's own gathering
            invited = new.member & (new.area == areas[week % areas.size])
        out_new = gathering.hold_gathering(new, sc, rng_new, week, invited, 3.0)
        out_old = ref.hold_gathering(old, sc, rng_old, week,
                                     None if invited is None else invited.copy(), 3.0)
        assert_same_counters(out_new, out_old)
        assert_same_state(new, old)
        assert rng_new.bit_generator.state == rng_old.bit_generator.state  # same draws


@pytest.mark.parametrize(("preset", "weeks", "over"), CASES[:3])
def test_development_time_is_the_vectorised_rule_bit_for_bit(preset, weeks, over):
    model = run_model(preset, weeks, **over)
    new, old, rng_new, rng_old = twins(model.state, 5)
    sc = dataclasses.replace(model.scenario, home=dataclasses.replace(
        model.scenario.home, dev_time_allocation=1.0, unbacked_time_share=0.5))
    for week in range(weeks, weeks + 6):
        if week == weeks + 3:  # some sessions with the leader's backing, some without
            new.leader_attended[::2] = old.leader_attended[::2] = True
        assert home_transfer.development_time(new, sc, rng_new, week) == \
            ref.development_time(old, sc, rng_old, week)
        assert_same_state(new, old)
        assert rng_new.bit_generator.state == rng_old.bit_generator.state


@pytest.mark.parametrize("n_practices", [3, 9])
def test_presenter_is_the_best_informed_resource_teacher_as_row_sum_orders_them(n_practices):
    # 330 resource teachers in 30 schools (row_sum sums left to right from 300 rows, pairwise
    # below), knowledge spread over magnitudes so the order of additions matters, and exact
    # ties between the teachers of some schools (the first one presents)
    rng = np.random.default_rng(n_practices)
    schools = np.repeat(np.arange(30), 11)
    for n_rts in (330, 120):
        state = make_state([R] * n_rts, schools[:n_rts], n_practices=n_practices,
                           n_schools=30)
        state.knowledge[:] = rng.random((n_rts, n_practices)) ** 12
        state.knowledge[11:22] = state.knowledge[11]  # school 1: all equal
        state.stage[:] = Stage.AWARE
        state.alignment[:] = 1.0
        new, old, rng_new, rng_old = twins(state, 1)
        sc = make_scenario(home__dev_time_allocation=1.0, motivation__owner_priority_weight=0.0)
        assert home_transfer.development_time(new, sc, rng_new, 1) == \
            ref.development_time(old, sc, rng_old, 1)
        assert_same_state(new, old)


def test_development_time_edge_cases_match(rng):
    sc = make_scenario(home__dev_time_allocation=1.0, motivation__owner_priority_weight=0.0)
    # no resource teacher; one with nothing to present; one whose chosen practice was dropped
    for roles, schools, setup in [
        ([L, T, T], [0, 0, 0], None),
        ([R, T], [0, 0], None),
        ([R, T, R, T], [0, 0, 1, 1], "dropped"),
        # an absent resource teacher (no presenter at school 1) and an absent teacher
        ([R, T, T, R, T, F], [0, 0, 0, 1, 1, -1], "absent"),
    ]:
        state = make_state(roles, schools, n_practices=2)
        if setup == "absent":
            hold(state, 0, 0, Stage.ADOPTED, quality=0.7, knowledge=0.5)
            hold(state, 3, 1, Stage.ADOPTED, quality=0.7, knowledge=0.9)
            state.present[[2, 3]] = False
            state.alignment[:] = 1.0
        if setup == "dropped":
            hold(state, 0, 0, Stage.ADOPTED, quality=0.7, knowledge=0.5)
            hold(state, 2, 1, Stage.DROPPED, quality=0.7, knowledge=0.9)
            state.stage[2, 0] = Stage.AWARE
            state.knowledge[2, 0] = 0.2
            state.take_back[:] = [1, -1, 1, -1]
            state.alignment[:] = 1.0
        new, old, rng_new, rng_old = twins(state, 2)
        assert home_transfer.development_time(new, sc, rng_new, 1) == \
            ref.development_time(old, sc, rng_old, 1)
        assert_same_state(new, old)
        assert rng_new.bit_generator.state == rng_old.bit_generator.state


def test_gathering_edge_cases_match():
    sure = dict(gathering__attendance_base=1.0, gathering__attendance_formality_gain=0.0,
                leader_participation=1.0)
    cases = [
        # only facilitators come: no audience, nothing but the head count
        ([F, R, R], [-1, 0, 1], dict(gathering__attendance_base=0.0)),
        # one attendee besides the facilitator: a group of one, no pairs, no hearing draws
        ([R, F], [0, -1], sure),
        # all knowledge zero, nothing adopted, no facilitator: no stories, no expert input
        ([L, R, L, R], [0, 0, 1, 1], sure),
        # one school only: every pair uses collegial trust, no cross-school tie
        ([L, R, R, R, F], [0, 0, 0, 0, -1], dict(sure, gathering__stories=2)),
    ]
    for roles, schools, over in cases:
        state = make_state(roles, schools, n_practices=2)
        if len(roles) == 5:
            hold(state, 1, 0, Stage.ADOPTED, quality=0.7, knowledge=0.6)
            hold(state, 2, 0, Stage.ADOPTED, quality=0.7, knowledge=0.6)  # a tie in quality
        sc = make_scenario(**over)
        new, old, rng_new, rng_old = twins(state, 4)
        for week in (1, 2):
            assert_same_counters(gathering.hold_gathering(new, sc, rng_new, week),
                                 ref.hold_gathering(old, sc, rng_old, week))
            assert_same_state(new, old)
            assert rng_new.bit_generator.state == rng_old.bit_generator.state


@pytest.mark.parametrize("seed", range(5))
def test_group_pairs_and_make_groups_are_the_vectorised_rule(seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 12, rng.integers(0, 60))
    for new, old in zip(gathering.group_pairs(group), ref.group_pairs(group), strict=True):
        assert new.tolist() == old.tolist()
    people = rng.permutation(80)[:50]
    trait = rng.random(80)
    trait[::7] = 0.5  # ties in the sort key at diversity 0: stable order decides
    for diversity in (0.0, 0.25, 0.5, 0.8, 1.0):
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        assert gathering.make_groups(people, trait, 5, diversity, a).tolist() == \
            ref.make_groups(people, trait, 5, diversity, b).tolist()


def test_choose_take_back_and_codify_are_the_vectorised_rule():
    rng = np.random.default_rng(9)
    n, k = 60, 7
    state = make_state([R] * n, np.arange(n) % 12, n_practices=k)
    state.stage[:] = rng.integers(0, 5, (n, k))
    state.knowledge[:] = rng.random((n, k)).round(1)  # ties: the draws break them
    state.inspiration[:] = rng.random((n, k)).round(1)
    state.need[:] = rng.integers(-1, k, state.n_schools)
    adopted = state.stage == Stage.ADOPTED
    vids = np.array([state.versions.add(c, 0.5, c, 1, 0) for c in range(k) for _ in range(3)])
    rows, cols = np.nonzero(adopted)  # three versions of each practice, ties in use and quality
    state.version[rows, cols] = vids[cols * 3 + rng.integers(0, 3, rows.size)]
    state.perceived[rows, cols] = rng.random(rows.size).round(1)
    people = rng.permutation(n)[:40]
    new, old, rng_new, rng_old = twins(state, 6)
    gathering.choose_take_back(new, people, rng_new, 0.5)
    ref.choose_take_back(old, people, rng_old, 0.5)
    gathering.codify(new, people)
    ref.codify(old, people)
    assert_same_state(new, old)
    assert (new.codified >= 0).any()


def test_turnover_is_the_vectorised_rule_bit_for_bit():
    model = run_model("resource_teacher_network", 20, **{"network.school_forms": 2})
    state = model.state
    sc = dataclasses.replace(model.scenario, turnover=dataclasses.replace(
        model.scenario.turnover, annual_rate=0.4))
    new, old, rng_new, rng_old = twins(state, 8)
    leaving = turnover.turnover(new, sc, rng_new)
    staff = np.flatnonzero(old.present & (old.role != F))
    ref.reset_people(old, sc, staff[rng_old.random(staff.size) < 0.4], rng_old)
    assert leaving.size > 0 and (new.role[leaving] == L).any()  # leaders leave too
    assert_same_state(new, old)
    assert rng_new.bit_generator.state == rng_old.bit_generator.state
    # repeated rows (the last newcomer's draws count) and no rows
    rows = np.array([3, 7, 3], dtype=np.int64)
    turnover.reset_people(new, sc, rows, rng_new)
    ref.reset_people(old, sc, rows, rng_old)
    turnover.reset_people(new, sc, rows[:0], rng_new)
    ref.reset_people(old, sc, rows[:0], rng_old)
    assert_same_state(new, old)
    assert rng_new.bit_generator.state == rng_old.bit_generator.state


@pytest.mark.parametrize(("preset", "weeks", "over"), [CASES[0], CASES[1], CASES[4]])
def test_group_session_is_the_vectorised_rule_bit_for_bit(preset, weeks, over):
    # group_session draws its two hearing draws per pair in one call before its loop
    model = run_model(preset, weeks, **over)
    state, sc = model.state, model.scenario
    people = np.flatnonzero(state.member & state.present & (state.role != F))
    new, old, rng_new, rng_old = twins(state, 13)
    for week, moderated in ((weeks, True), (weeks + 1, False)):
        group = gathering.make_groups(people, state.trait, 4, 0.5, np.random.default_rng(week))
        group[::9] += 100  # some groups of one: no pairs there
        got = gathering.group_session(new, sc, rng_new, week, people, group, moderated)
        want = ref.group_session(old, sc, rng_old, week, people, group, moderated)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-300)
        assert_same_state(new, old)
        assert rng_new.bit_generator.state == rng_old.bit_generator.state
    # nobody, and people all in groups of one: no pairs, no draws
    for group in (np.empty(0, dtype=np.int64), np.arange(people.size)):
        before = rng_new.bit_generator.state
        who = people[:group.size]
        assert gathering.group_session(new, sc, rng_new, weeks + 2, who, group) == \
            ref.group_session(old, sc, rng_old, weeks + 2, who, group)
        assert rng_new.bit_generator.state == before == rng_old.bit_generator.state
        assert_same_state(new, old)


@pytest.mark.parametrize("seed", range(3))
def test_one_call_of_random_gives_the_draws_of_several_in_turn(seed):
    # what a gathering's one call for its agenda's draws relies on (gathering._draw_all):
    # Generator.random buffers nothing between calls, so the doubles and the generator's
    # state afterwards are those of the calls in turn, also for a 2-d draw
    sizes = np.random.default_rng(seed).integers(0, 400, 7)
    one, several = np.random.default_rng(seed), np.random.default_rng(seed)
    one.integers(0, 10, 3, dtype=np.int32)  # a 32-bit draw before: a half-used output
    several.integers(0, 10, 3, dtype=np.int32)
    together = one.random(int(sizes.sum()) + 5 * 6)
    in_turn = [several.random(int(s)) for s in sizes] + [several.random((5, 6)).reshape(-1)]
    assert np.array_equal(together, np.concatenate(in_turn))
    assert one.bit_generator.state == several.bit_generator.state

"""Yearly turnover and the loss of a key person."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import F, L, R, T, hold, make_scenario, make_state

from netsim.mechanisms.turnover import key_person, key_person_outcome, turnover
from netsim.state import Stage


def school_with_facilitator():
    state = make_state([L, R, T, F, R], [0, 0, 0, -1, 1], n_schools=2)
    for i in range(5):
        hold(state, i, 0, Stage.ADOPTED, quality=0.7, knowledge=0.9)
    state.alignment[:] = 0.6
    state.member_ties.ensure(np.array([1]), np.array([4]), 0.8, week=0)
    return state


def test_full_turnover_resets_staff_but_not_facilitators(rng):
    state = school_with_facilitator()
    left = turnover(state, make_scenario(turnover__annual_rate=1.0), rng)
    assert sorted(left.tolist()) == [0, 1, 2, 4]
    assert (state.stage[left] == Stage.UNAWARE).all() and (state.knowledge[left] == 0).all()
    assert (state.version[left] == -1).all()
    assert state.stage[3, 0] == Stage.ADOPTED and state.knowledge[3, 0] == 0.9
    assert len(state.member_ties) == 0
    assert state.alignment[0] == 0.0  # the leader left
    assert state.alignment[1] == 0.6  # school 1 has no leader


def test_no_turnover_at_rate_zero(rng):
    state = school_with_facilitator()
    assert turnover(state, make_scenario(turnover__annual_rate=0.0), rng).size == 0
    assert (state.stage == Stage.ADOPTED).all()


def test_key_person_is_the_facilitator_with_most_schools_guided():
    state = make_state([L, R, F, F, F], [0, 0, -1, -1, -1])
    sc = make_scenario(trust__strong=0.5)
    assert key_person(state, sc) == 2  # nobody guided yet: the first
    state.guided[:] = [0, 0, 1, 4, 2]
    assert key_person(state, sc) == 3  # the most central coordinator
    state.present[3] = False
    assert key_person(state, sc) == 4


def test_key_person_is_first_facilitator_else_best_connected_member():
    state = school_with_facilitator()
    sc = make_scenario(trust__strong=0.5)
    assert key_person(state, sc) == 3
    state.present[3] = False
    state.member_ties.ensure(np.array([4]), np.array([0]), 0.9, week=0)
    assert key_person(state, sc) == 4  # two strong ties
    state.member[:] = False
    assert key_person(state, sc) == -1


def test_formal_network_always_replaces_key_person(rng):
    sc = make_scenario(formality=0.5, turnover__formality_threshold=0.5,
                       turnover__replacement_weeks=6)
    assert {key_person_outcome(sc, rng) for _ in range(50)} == {(True, 6)}


def test_informal_network_dissolves_with_probability_one_minus_f_over_threshold(rng):
    sc = make_scenario(formality=0.0, turnover__formality_threshold=0.5)
    assert {key_person_outcome(sc, rng) for _ in range(50)} == {(False, 0)}
    sc = make_scenario(formality=0.2, turnover__formality_threshold=0.5,
                       turnover__replacement_weeks=6)
    outcomes = [key_person_outcome(sc, rng) for _ in range(4000)]
    assert set(outcomes) == {(False, 0), (True, 12)}  # a member steps in after 2 x 6 weeks
    dissolved = np.mean([not alive for alive, _ in outcomes])
    assert dissolved == pytest.approx(0.6, abs=0.035)  # 1 - 0.2 / 0.5; 4.5 standard errors


def test_removing_leavers_keeps_the_ties_np_isin_keeps():
    # the tie store of a real run (45 schools, 20 weeks); leavers as turnover draws them, with
    # repeats, a single row and a row without ties; the removal keeps exactly the ties neither
    # of whose ends left (the rule as np.isin gave it), in their order, with their values
    from netsim import load_scenario
    from netsim.model import LearningNetworkModel

    model = LearningNetworkModel(load_scenario("resource_teacher_network", {}), seed=2)
    for _ in range(20):
        model.step()
    store = model.state.member_ties
    assert len(store) > 100
    rng = np.random.default_rng(4)
    lone = int(np.setdiff1d(np.arange(store.n), store.ends())[0])
    cases = [(rng.choice(store.n, 120), True), (store.a[:1].copy(), True),
             (np.array([lone]), False), (int(store.b[-1]), True)]
    for leaving, has_ties in cases:
        ties = copy.deepcopy(store)
        people = np.atleast_1d(leaving)
        keep = ~(np.isin(store.a, people) | np.isin(store.b, people))
        assert (not keep.all()) == has_ties
        ties.remove_person(leaving)
        for name in ("key", "a", "b", "trust", "last_contact"):
            assert np.array_equal(getattr(ties, name), getattr(store, name)[keep]), name
        assert ties.degree().tolist() == (np.bincount(ties.a, minlength=store.n)
                                          + np.bincount(ties.b, minlength=store.n)).tolist()

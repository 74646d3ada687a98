"""Collegial talk: trust-weighted exchange over collegial and strong cross-school ties."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import R, T, hold, make_scenario, make_state

from netsim.mechanisms.collegial_talk import exchange_over_edges, talk
from netsim.state import Stage

ALWAYS = dict(talk__talk_prob=1.0, talk__knowledge_rate=0.1, talk__inspiration=0.1,
              talk__member_tie_talk_prob=0.0)


def test_exchange_over_edges_formula():
    state = make_state([T, T, T], [0, 0, 0])
    hold(state, 1, 0, Stage.ADOPTED, quality=0.7, knowledge=1.0)
    degree = np.array([2])  # the receiver's number of ties in this layer, per edge
    gained = exchange_over_edges(state, np.array([0]), np.array([1]), np.array([0.5]), degree,
                                 knowledge_rate=0.1, inspiration=0.1)
    # w = t / d_i = 0.25: knowledge 0.1 * 0.25 * gap 1; inspiration 0.1 * 0.25 per adopter
    assert gained == pytest.approx(0.025)
    assert state.knowledge[:, 0] == pytest.approx([0.025, 1.0, 0.0])
    assert state.inspiration[:, 0] == pytest.approx([0.025, 0.0, 0.0])
    assert state.stage[0, 0] == Stage.AWARE and state.version[0, 0] == state.version[1, 0]


def test_talk_flows_down_the_knowledge_gap_only(rng):
    state = make_state([T, T], [0, 0], colleagues=[(0, 1, 0.5)])
    hold(state, 1, 0, Stage.TRYING, quality=0.7, knowledge=1.0)
    out = talk(state, make_scenario(**ALWAYS), rng, week=1)
    assert state.knowledge[:, 0] == pytest.approx([0.05, 1.0])
    assert out["talk_knowledge"] == pytest.approx(0.05)
    assert state.inspiration[0, 0] == 0.0  # a trier gives versions but no inspiration
    assert state.stage[0, 0] == Stage.AWARE


def test_no_talk_at_probability_zero_or_with_absent_people(rng):
    state = make_state([T, T], [0, 0], colleagues=[(0, 1, 0.5)])
    state.knowledge[1, 0] = 1.0
    talk(state, make_scenario(**{**ALWAYS, "talk__talk_prob": 0.0}), rng, week=1)
    assert state.knowledge[0, 0] == 0.0
    state.present[1] = False
    talk(state, make_scenario(**ALWAYS), rng, week=1)
    assert state.knowledge[0, 0] == 0.0


def test_cross_school_ties_talk_by_trust_and_grow_with_similarity(rng):
    state = make_state([R, R, R], [0, 1, 2], trait=[0.2, 0.4, 0.9])
    state.knowledge[1, 0] = 1.0
    state.knowledge[2, 0] = 1.0
    ties = state.member_ties
    ties.ensure(np.array([0, 0]), np.array([1, 2]), 0.0, week=0)
    ties.trust[:] = [1.0 - 1e-12, 0.0]  # 0-1 fully trusted (used surely), 0-2 never used
    sc = make_scenario(**{**ALWAYS, "talk__member_tie_talk_prob": 1.0, "talk__tie_growth": 0.5,
                          "network__school_forms": 1})
    talk(state, sc, rng, week=5)
    # person 0 has 2 cross-school ties (within the budget of 7): 0.1 * 1 / 2 * gap 1
    assert state.knowledge[0, 0] == pytest.approx(0.05)
    assert ties.last_contact.tolist() == [5, 0]


def test_talk_grows_trust_by_similarity(rng):
    state = make_state([R, R], [0, 1], trait=[0.2, 0.6])
    ties = state.member_ties
    ties.ensure(np.array([0]), np.array([1]), 0.0, week=0)
    ties.trust[:] = 0.5
    sc = make_scenario(**{**ALWAYS, "talk__member_tie_talk_prob": 1.0, "talk__tie_growth": 0.5,
                          "network__school_forms": 1})
    # used with probability 0.5; the used ones gain growth 0.5 * similarity (1 - b) * gap 0.5,
    # b = (0 forms apart + 0.4 trait difference) / 2 = 0.2
    grown = []
    for seed in range(200):
        ties.trust[:] = 0.5
        talk(state, sc, np.random.default_rng(seed), week=1)
        grown.append(ties.trust[0])
    assert set(np.round(grown, 12)) == {0.5, round(0.5 + 0.5 * 0.8 * 0.5, 12)}
    assert np.mean(np.array(grown) > 0.5) == pytest.approx(0.5, abs=0.12)


def test_the_partner_budget_thins_talk_with_many_partners():
    # person 0 has 20 fully trusted partners, budget 5: each tie used with p = 5 / 20
    n = 21
    state = make_state([R] * n, list(range(n)))
    ties = state.member_ties
    ties.ensure(np.zeros(n - 1, dtype=np.int64), np.arange(1, n), 1.0, week=0)
    sc = make_scenario(**{**ALWAYS, "talk__member_tie_talk_prob": 1.0, "talk__tie_growth": 0.0,
                          "talk__partner_budget": 5})
    used = []
    for seed in range(100):
        ties.last_contact[:] = 0
        talk(state, sc, np.random.default_rng(seed), week=1)
        used.append((ties.last_contact == 1).mean())
    assert np.mean(used) == pytest.approx(0.25, abs=0.03)


def test_new_partners_form_by_homophily():
    # two schools, backgrounds 1 apart: with homophily 1 no tie ever forms; with 0 some do
    n = 200
    state = make_state([T] * n, [0] * (n // 2) + [1] * (n // 2),
                       trait=[0.0] * (n // 2) + [1.0] * (n // 2))
    state.form[n // 2:] = 3  # preschool against upper secondary: background distance 1
    from netsim.mechanisms.collegial_talk import meet_new_partners
    formed = meet_new_partners(state, make_scenario(talk__new_partner_prob=1.0,
                                                    network__homophily=1.0,
                                                    network__school_forms=1),
                               np.random.default_rng(1), week=1)
    assert formed == 0 and len(state.member_ties) == 0
    formed = meet_new_partners(state, make_scenario(talk__new_partner_prob=1.0,
                                                    network__homophily=0.0,
                                                    network__school_forms=1),
                               np.random.default_rng(1), week=1)
    assert formed == pytest.approx(n / 2, abs=30)  # half the partners met are at the other school
    assert (state.school[state.member_ties.a] != state.school[state.member_ties.b]).all()

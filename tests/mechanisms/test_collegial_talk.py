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


def test_strong_member_ties_talk_and_are_refreshed(rng):
    state = make_state([R, R, R], [0, 1, 2])
    state.knowledge[1, 0] = 1.0
    state.knowledge[2, 0] = 1.0
    ties = state.member_ties
    ties.ensure(np.array([0, 0]), np.array([1, 2]), 0.0, week=0)
    ties.trust[:] = [0.9, 0.3]  # 0-1 strong, 0-2 weak (strong = 0.6)
    sc = make_scenario(**{**ALWAYS, "talk__member_tie_talk_prob": 1.0, "trust__strong": 0.6})
    talk(state, sc, rng, week=5)
    # only the strong tie: 0.1 * 0.9 / (1 strong tie) * gap 1
    assert state.knowledge[0, 0] == pytest.approx(0.09)
    assert ties.last_contact.tolist() == [5, 0]

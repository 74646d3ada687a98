"""Trust decay, the strong-tie cap, motivation and alignment dynamics."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import L, R, T, make_scenario, make_state

from netsim.mechanisms.dynamics import cap_strong_ties, rank_at_ends, update
from netsim.state import TieStore


def star_ties(trust: list[float]) -> TieStore:
    """Person 0 tied to 1, 2, ... with the given trust."""
    ties = TieStore(len(trust) + 1)
    ties.ensure(np.zeros(len(trust), dtype=np.int64), np.arange(1, len(trust) + 1), 0.0, 0)
    ties.trust[:] = trust
    return ties


def test_cap_demotes_the_weakest_strong_ties_just_below_strong():
    ties = star_ties([0.9, 0.7, 0.8, 0.3])
    assert cap_strong_ties(ties, strong=0.5, cap=2) == 1
    assert ties.trust[[0, 2, 3]] == pytest.approx([0.9, 0.8, 0.3])
    assert ties.trust[1] < 0.5 and ties.trust[1] == pytest.approx(0.5)
    assert ties.strong_degree(0.5).tolist() == [2, 1, 0, 1, 0]


def test_rank_at_ends_takes_the_worse_end():
    ties = star_ties([0.9, 0.7, 0.8])
    assert rank_at_ends(ties, np.arange(3)).tolist() == [0, 2, 1]


def test_idle_ties_decay_and_used_ties_do_not():
    state = make_state([R, R, R], [0, 1, 2])
    ties = state.member_ties
    ties.ensure(np.array([0, 0]), np.array([1, 2]), 0.4, week=0)
    ties.last_contact[:] = [5, 4]
    update(state, make_scenario(trust__decay=0.1, trust__strong=0.9), week=5)
    assert ties.trust.tolist() == pytest.approx([0.4, 0.36])


def test_motivation_relaxes_to_commitment_scaled_baseline_and_backing_lifts():
    state = make_state([L, R, T, R, L], [0, 0, 0, 1, 1], motivation=1.0)
    state.intrinsic[:] = 0.6
    state.leader_attended[:] = [True, False]
    state.alignment[:] = 0.5
    sc = make_scenario(motivation__owner_commitment=0.5, motivation__relax_rate=0.1,
                       motivation__leader_backing_gain=0.02, home__alignment_decay=0.1)
    update(state, sc, week=1)
    # baseline = 0.6 * (0.5 + 0.5 * 0.5) = 0.45; m = 1 + 0.1 * (0.45 - 1) = 0.945
    expected = np.full(5, 0.945)
    expected[1] += 0.02  # the resource teacher whose leader attended
    assert state.motivation == pytest.approx(expected)
    assert state.alignment == pytest.approx([0.5, 0.45])  # decays where the leader stayed away


def test_motivation_stays_in_unit_interval():
    state = make_state([R], [0], motivation=1.0)
    state.leader_attended[:] = True
    state.intrinsic[:] = 1.0
    update(state, make_scenario(motivation__leader_backing_gain=0.5,
                                motivation__owner_commitment=1.0), week=1)
    assert state.motivation[0] == 1.0

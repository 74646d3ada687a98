"""Home transfer: development time gated by the leader's backing, on tiny schools."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import L, R, T, hold, make_scenario, make_state

from netsim.mechanisms.home_transfer import development_time
from netsim.state import Stage

# a session is given for sure when backed; presentation gains are the schema defaults
BACKED = dict(home__dev_time_allocation=1.0, home__unbacked_time_share=0.0,
              home__presentation_knowledge=0.3, home__presentation_inspiration=0.2,
              home__solo_transfer_share=0.5, home__mandate_strength=0.5,
              motivation__owner_priority_weight=0.0)


def school(attended: bool, alignment: float = 0.0):
    """One school: leader (row 0), resource teacher (1, adopted, knowledge 0.8), teachers 2-3."""
    state = make_state([L, R, T, T], [0, 0, 0, 0])
    vid = hold(state, 1, 0, Stage.ADOPTED, quality=0.7, knowledge=0.8)
    state.leader_attended[0] = attended
    state.alignment[0] = alignment
    state.resistant[3] = True
    return state, vid


def test_backed_session_reaches_all_staff(rng):
    state, vid = school(attended=True)
    sc = make_scenario(**BACKED)
    out = development_time(state, sc, rng, week=3)
    # gap 0.8, share 1 -> +0.24; inspiration 0.2 * 1 * (0.5 + 0.5 * 1) = 0.2
    assert state.knowledge[[0, 2, 3], 0] == pytest.approx([0.24, 0.24, 0.24])
    assert state.inspiration[[0, 2], 0] == pytest.approx([0.2, 0.2])
    # resistant: inspiration times the school's mandate, 0.5 (strength) * 1 (backing)
    assert state.inspiration[3, 0] == pytest.approx(0.1)
    assert (state.version[[0, 2, 3], 0] == vid).all()
    assert (state.stage[[0, 2, 3], 0] == Stage.AWARE).all()
    assert state.knowledge[1, 0] == 0.8  # the presenter learns nothing from themself
    assert out["sessions"] == 1
    assert out["person_hours"] == pytest.approx(4 * sc.calendar.dev_time_hours)


@pytest.mark.parametrize(("strength", "attended", "alignment", "gain"),
                         [(0.8, True, 0.0, 0.16), (0.0, True, 0.0, 0.0),
                          (1.0, False, 0.5, 0.2 * 0.5 * 0.75 * 0.5)])
def test_the_school_mandate_opens_resistant_staff(rng, strength, attended, alignment, gain):
    # resistant gain = presentation_inspiration * share * (0.5 + 0.5 backing) * mandate,
    # mandate = mandate_strength * backing; share 0.5 when the leader did not attend
    state, _ = school(attended=attended, alignment=alignment)
    development_time(state, make_scenario(**{**BACKED, "home__mandate_strength": strength}),
                     rng, 1)
    assert state.inspiration[3, 0] == pytest.approx(gain)


def test_the_practice_chosen_to_take_back_is_presented(rng):
    state2 = make_state([L, R, T, T], [0, 0, 0, 0], n_practices=2)
    hold(state2, 1, 0, Stage.ADOPTED, quality=0.7, knowledge=0.8)
    hold(state2, 1, 1, Stage.AWARE, quality=0.6, knowledge=0.4)
    state2.leader_attended[0] = True
    development_time(state2, make_scenario(**BACKED), rng, 1)
    assert state2.knowledge[2].tolist() == pytest.approx([0.24, 0.0])  # default: adopted first
    state2.take_back[1] = 1  # chosen at the gathering: practice 1
    development_time(state2, make_scenario(**BACKED), rng, 2)
    assert state2.knowledge[2].tolist() == pytest.approx([0.24, 0.12])


def test_a_lukewarm_owner_lowers_the_time_given(rng):
    # p_time = allocation * (1 - w (1 - owner)) * (...) = 1 * (1 - 0.5 * 0.6) * 1 = 0.7
    n = 4000
    state = make_state([L, R] * n, np.repeat(np.arange(n), 2))
    state.knowledge[1::2, 0] = 0.5
    state.stage[1::2, 0] = Stage.AWARE
    state.leader_attended[:] = True
    sc = make_scenario(**{**BACKED, "motivation__owner_priority_weight": 0.5,
                          "motivation__owner_commitment": 0.4})
    out = development_time(state, sc, rng, week=1)
    assert out["sessions"] / n == pytest.approx(0.7, abs=0.03)


def test_no_backing_no_time(rng):
    state, _ = school(attended=False, alignment=0.0)
    out = development_time(state, make_scenario(**BACKED), rng, week=1)
    assert out["sessions"] == 0 and (state.knowledge[[0, 2, 3]] == 0).all()


def test_aligned_leader_backs_but_solo_presentation_loses_half(rng):
    state, _ = school(attended=False, alignment=1.0)
    development_time(state, make_scenario(**BACKED), rng, week=1)
    # share = solo_transfer_share = 0.5: knowledge 0.3 * 0.5 * 0.8, inspiration 0.2 * 0.5 * 1
    assert state.knowledge[2, 0] == pytest.approx(0.12)
    assert state.inspiration[2, 0] == pytest.approx(0.1)


def test_nothing_to_present_gives_no_session(rng):
    state = make_state([L, R, T], [0, 0, 0])
    state.leader_attended[0] = True
    out = development_time(state, make_scenario(**BACKED), rng, week=1)
    assert out == {"sessions": 0.0, "person_hours": 0.0}


def test_time_probability_matches_formula(rng):
    # p_time = allocation * (unbacked + (1 - unbacked) * backing) = 0.5 * (0.2 + 0.8 * 0.5) = 0.3
    n = 4000
    roles = [L, R] * n
    schools = np.repeat(np.arange(n), 2)
    state = make_state(roles, schools)
    state.knowledge[1::2, 0] = 0.5
    state.stage[1::2, 0] = Stage.AWARE
    state.alignment[:] = 0.5
    sc = make_scenario(**{**BACKED, "home__dev_time_allocation": 0.5,
                          "home__unbacked_time_share": 0.2})
    out = development_time(state, sc, rng, week=1)
    assert out["sessions"] / n == pytest.approx(0.3, abs=0.03)  # 4 standard errors

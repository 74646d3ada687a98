"""Gathering: attendance, expert input, stories, mixed groups and reflection on tiny cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import F, L, R, T, hold, make_scenario, make_state

from netsim.mechanisms import gathering
from netsim.mechanisms.gathering import (
    attendance,
    group_pairs,
    group_session,
    hold_gathering,
    make_groups,
)
from netsim.state import Stage

# everyone invited attends (base 1, no formality effect, motivation 1); only the part under
# test is switched on
SURE = dict(gathering__attendance_base=1.0, gathering__attendance_formality_gain=0.0,
            leader_participation=1.0, gathering__expert_inputs=0, gathering__stories=0,
            gathering__group_exchange=0.0, gathering__reflection_alignment=0.0,
            motivation__owner_priority_weight=0.0, gathering__formality_openness_cost=0.0,
            gathering__understanding_range=1e9)


def test_attendance_members_only_and_leader_probability(rng):
    state = make_state([L, R, T, L, R, F], [0, 0, 0, 1, 1, -1])
    state.present[4] = False
    sc = make_scenario(**{**SURE, "leader_participation": 0.0})
    att = attendance(state, sc, rng)
    # leaders stay away at participation 0; the teacher is no member; row 4 has left
    assert att.tolist() == [False, True, False, False, False, True]
    att = attendance(state, make_scenario(**SURE), rng)
    assert att.tolist() == [True, True, False, True, False, True]


def test_attendance_probability_matches_formula(rng):
    # p = clip(base + gain * (formality - 0.5)) * (0.5 + 0.5 m) = 0.7 * 0.5 = 0.35 at m = 0
    n = 20000
    state = make_state([R] * n, np.arange(n), motivation=0.0)
    sc = make_scenario(gathering__attendance_base=0.6, gathering__attendance_formality_gain=0.4,
                       formality=0.75)
    share = attendance(state, sc, rng).mean()
    assert share == pytest.approx(0.35, abs=0.015)  # 4.4 standard errors


def test_make_groups_sizes_and_diversity(rng):
    people = np.arange(12)
    trait = np.linspace(0, 1, 12)
    similar = make_groups(people, trait, 5, 0.0, rng)
    # diversity 0: consecutive chunks of the trait order (5, 5, 2)
    assert similar.tolist() == [0] * 5 + [1] * 5 + [2] * 2
    mixed = make_groups(people, trait, 5, 1.0, rng)
    # diversity 1: dealt round-robin over ceil(12 / 5) = 3 groups spanning the trait range
    assert mixed.tolist() == [0, 1, 2] * 4
    assert make_groups(np.empty(0, dtype=np.int64), trait, 5, 0.5, rng).size == 0


def test_group_pairs_lists_each_unordered_pair_once():
    a, b = group_pairs(np.array([1, 0, 1, 1, 0]))
    pairs = sorted(zip(a.tolist(), b.tolist(), strict=True))
    assert pairs == [(0, 2), (0, 3), (1, 4), (2, 3)]


def test_expert_input_closes_share_of_gap_and_makes_aware(rng):
    state = make_state([R, R, F], [0, 1, -1], n_practices=2, expert_known=[True, False])
    state.knowledge[0, 0] = 0.5
    sc = make_scenario(**{**SURE, "gathering__expert_inputs": 1})
    out = hold_gathering(state, sc, rng, week=1)
    lk, li = sc.gathering.lecture_knowledge, sc.gathering.lecture_inspiration
    assert state.knowledge[:2, 0] == pytest.approx([0.5 + lk * 0.5, lk])
    assert state.inspiration[:2, 0] == pytest.approx([li, li])
    assert (state.stage[:2, 0] == Stage.AWARE).all() and (state.version[:2, 0] == 0).all()
    assert (state.knowledge[:, 1] == 0).all()  # not expert-known: never presented
    hours = sc.calendar.gathering_hours
    assert out["attendees"] == 3 and out["person_hours"] == pytest.approx(4 * hours)


def test_no_expert_input_without_a_facilitator(rng):
    state = make_state([R, R], [0, 1])
    hold_gathering(state, make_scenario(**{**SURE, "gathering__expert_inputs": 1}), rng, 1)
    assert (state.knowledge == 0).all()


def test_story_spreads_best_version_and_praises_presenter(rng, monkeypatch):
    state = make_state([R, R, R], [0, 1, 2], motivation=0.5)
    monkeypatch.setattr(gathering, "attendance",
                        lambda st, sc, rng, invited=None: st.member.copy())
    v_good = hold(state, 0, 0, Stage.ADOPTED, quality=0.9, knowledge=0.6)
    hold(state, 1, 0, Stage.ADOPTED, quality=0.7, knowledge=0.6)
    sc = make_scenario(**{**SURE, "gathering__stories": 1})
    out = hold_gathering(state, sc, rng, week=1)
    sk = sc.gathering.story_knowledge
    assert out["stories"] == 1
    assert state.knowledge[2, 0] == pytest.approx(sk)
    assert state.knowledge[0, 0] == pytest.approx(0.6 + sk * 0.4)
    # the listener and the weaker adopter hear of the best version
    assert state.version[2, 0] == v_good and state.stage[2, 0] == Stage.AWARE
    assert state.version[1, 0] == v_good and state.quality[1, 0] == pytest.approx(0.9)
    assert state.motivation[0] == pytest.approx(0.5 + sc.motivation.success_gain)
    assert state.motivation[1] == pytest.approx(0.5)


def test_group_session_exchange_is_trust_weighted_and_trust_grows(rng):
    state = make_state([R, R], [0, 1])
    state.knowledge[:, 0] = [0.8, 0.2]
    sc = make_scenario(**{**SURE, "gathering__group_exchange": 0.5, "trust__initial": 0.5,
                          "trust__growth": 0.15})
    gained = group_session(state, sc, rng, 7, np.array([0, 1]), np.array([0, 0]))
    # rate = exchange * trust / (g - 1) = 0.25; gap 0.6 -> +0.15 for the less informed only
    assert state.knowledge[:, 0] == pytest.approx([0.8, 0.35])
    assert gained == pytest.approx(0.15)
    ties = state.member_ties
    assert len(ties) == 1 and ties.trust[0] == pytest.approx(0.5 + 0.15 * 0.5)
    assert ties.last_contact[0] == 7


def test_group_session_rate_is_shared_over_group_size(rng):
    state = make_state([R, R, R], [0, 1, 2])
    state.knowledge[:, 0] = [1.0, 0.0, 0.0]
    sc = make_scenario(**{**SURE, "gathering__group_exchange": 1.0, "trust__initial": 1.0})
    group_session(state, sc, rng, 1, np.array([0, 1, 2]), np.array([0, 0, 0]))
    # g = 3: each learner closes 1 * 1 / 2 of the gap to the informed partner
    assert state.knowledge[:, 0] == pytest.approx([1.0, 0.5, 0.5])


def test_gathering_holds_two_group_tasks(rng):
    # base groups, then mixed groups: the same pair meets twice, trust grows twice
    state = make_state([R, R], [0, 1])
    state.knowledge[:, 0] = [0.8, 0.2]
    sc = make_scenario(**{**SURE, "gathering__group_exchange": 0.5, "trust__initial": 0.5,
                          "trust__growth": 0.15})
    out = hold_gathering(state, sc, rng, week=7)
    t1 = 0.5 + 0.15 * 0.5
    k1 = 0.2 + 0.25 * 0.6
    k2 = k1 + 0.5 * t1 * (0.8 - k1)
    assert state.knowledge[:, 0] == pytest.approx([0.8, k2])
    assert out["exchange"] == pytest.approx(k2 - 0.2)
    assert state.member_ties.trust[0] == pytest.approx(t1 + 0.15 * (1 - t1))
    assert state.base_group.tolist() == [0, 0]


def test_same_school_pairs_use_colleague_trust_and_form_no_member_tie(rng):
    state = make_state([R, R], [0, 0])  # two resource teachers of one school, no leader
    state.knowledge[:, 0] = [0.0, 1.0]
    sc = make_scenario(**{**SURE, "gathering__group_exchange": 1.0,
                          "network__colleague_trust": 0.3})
    group_session(state, sc, rng, 1, np.array([0, 1]), np.array([0, 0]))
    assert state.knowledge[0, 0] == pytest.approx(0.3)
    assert len(state.member_ties) == 0


@pytest.mark.parametrize(("trust", "heard"), [(1.0, True), (0.0, False)])
def test_versions_pass_in_groups_with_probability_trust(rng, trust, heard):
    state = make_state([R, R], [0, 1])
    vid = hold(state, 0, 0, Stage.ADOPTED, quality=0.8)
    sc = make_scenario(**{**SURE, "trust__initial": trust, "trust__growth": 0.0})
    hold_gathering(state, sc, rng, week=1)
    assert bool(state.version[1, 0] == vid) is heard
    assert bool(state.stage[1, 0] == Stage.AWARE) is heard


def test_reflection_aligns_leader_and_closes_half_the_gap(rng):
    state = make_state([L, R, L, R], [0, 0, 1, 1])
    state.alignment[:] = 0.2
    state.knowledge[[1, 3], 0] = 0.8
    sc = make_scenario(**{**SURE, "gathering__reflection_alignment": 0.4})
    state.present[3] = False  # school 1's resource teacher is away: no reflection there
    hold_gathering(state, sc, rng, week=1)
    assert state.leader_attended.tolist() == [True, True]
    assert state.alignment == pytest.approx([0.2 + 0.4 * 0.8, 0.2])
    assert state.knowledge[[0, 2], 0] == pytest.approx([0.4, 0.0])


def test_take_back_choice_prefers_inspiring_known_practice_and_the_school_need():
    state = make_state([R, R], [0, 1], n_practices=3)
    state.stage[:, :] = Stage.AWARE
    state.knowledge[:] = [[0.5, 0.9, 0.2], [0.5, 0.9, 0.2]]
    state.inspiration[:] = [[0.5, 0.3, 0.9], [0.5, 0.3, 0.9]]  # scores 0.25, 0.27, 0.18
    state.stage[1, 1] = Stage.DROPPED  # person 1 dropped practice 1: 0.25 wins
    gathering.choose_take_back(state, np.array([0, 1]), np.random.default_rng(0))
    assert state.take_back.tolist() == [1, 0]
    state.need[:] = [2, -1]  # school 0 needs practice 2: 0.18 * (1 + 1) = 0.36 wins
    gathering.choose_take_back(state, np.array([0, 1]), np.random.default_rng(0), 1.0)
    assert state.take_back.tolist() == [2, 0]
    state.inspiration[:] = 0.0  # nothing inspires: nothing to take back
    gathering.choose_take_back(state, np.array([0, 1]), np.random.default_rng(0))
    assert state.take_back.tolist() == [-1, -1]


def test_a_story_creates_follow_up_ties_with_its_presenter(rng):
    # presenter (row 0, school 0) tells a story of practice 0; row 1 (school 1) takes it back,
    # row 2 (school 2) takes back nothing; trust of the new tie: initial, then one growth step
    state = make_state([R, R, R, F], [0, 1, 2, -1])
    hold(state, 0, 0, Stage.ADOPTED, quality=0.8, knowledge=1.0)
    state.knowledge[1, 0] = 0.5
    sc = make_scenario(**{**SURE, "gathering__stories": 1, "gathering__story_inspiration": 0.5,
                          "gathering__story_knowledge": 0.0, "trust__initial": 0.2,
                          "trust__growth": 0.5, "gathering__group_size": 50})
    hold_gathering(state, sc, rng, week=3)
    assert state.take_back[1] == 0
    idx, found = state.member_ties.lookup(np.array([0]), np.array([1]))
    assert found[0]
    # all three sit in one group in both sessions: 0.2 -> 0.6 -> 0.8; the follow-up adds one
    # more growth step for the pair that took the story's practice back: 0.8 -> 0.9
    assert state.member_ties.trust[idx[0]] == pytest.approx(0.9)
    idx2, found2 = state.member_ties.lookup(np.array([0]), np.array([2]))
    assert found2[0] and state.member_ties.trust[idx2[0]] == pytest.approx(0.8)


def test_codify_takes_the_most_used_version_then_the_best_perceived():
    state = make_state([R, R, R], [0, 1, 2], n_practices=2)
    a = hold(state, 0, 0, Stage.ADOPTED, quality=0.6)
    hold(state, 1, 0, Stage.ADOPTED, quality=0.9)
    state.version[2, 0] = a
    state.stage[2, 0] = Stage.ADOPTED
    state.perceived[2, 0] = 0.6
    b = hold(state, 1, 1, Stage.ADOPTED, quality=0.5)
    c = hold(state, 2, 1, Stage.ADOPTED, quality=0.7)
    gathering.codify(state, np.array([0, 1, 2]))
    assert state.codified.tolist() == [a, c]  # practice 0: two users; practice 1: a tie
    assert b != c


def test_conformity_makes_people_switch_to_the_codified_version():
    state = make_state([R, R], [0, 1])
    own = hold(state, 0, 0, Stage.ADOPTED, quality=0.6)
    codified = state.versions.add(0, 0.6, 0, 1, 0)
    state.set_codified(np.array([0]), np.array([codified]))
    heard = np.array([0]), np.array([0]), np.array([codified]), np.array([0.6])
    state.learn_versions(*heard)  # equally good, no conformity: keep one's own
    assert state.version[0, 0] == own
    state.conformity = 0.08  # above the switch margin 0.05: take the network's version
    state.set_codified(np.array([0]), np.array([codified]))
    state.learn_versions(*heard)
    assert state.version[0, 0] == codified
    assert state.perceived[0, 0] == pytest.approx(0.6)  # the report, not the bonus


@pytest.mark.parametrize(("formality", "style", "expected"),
                         [(0.0, "participatory", 1.0), (1.0, "participatory", 0.7),
                          (1.0, "directive", 0.7 * 0.7), (0.5, "directive", 0.85 * 0.7)])
def test_openness_falls_with_formality_and_a_directive_style(formality, style, expected):
    sc = make_scenario(formality=formality, gathering__facilitator_style=style,
                       gathering__formality_openness_cost=0.3,
                       gathering__directive_openness_cost=0.3)
    assert gathering.openness(sc) == pytest.approx(expected)


@pytest.mark.parametrize(("owner", "weight", "expected"), [(1.0, 0.5, 1.0), (0.4, 0.5, 0.7),
                                                            (0.0, 1.0, 0.0)])
def test_owner_priority(owner, weight, expected):
    sc = make_scenario(motivation__owner_commitment=owner, motivation__owner_priority_weight=weight)
    assert gathering.owner_priority(sc) == pytest.approx(expected)


def test_group_exchange_is_understanding_times_gap():
    # understanding u = 1 - d / R; two pairs at background distance 0.05 and 0.2 (half their
    # trait differences 0.1 and 0.4, one school form), R = 0.5,
    # background only: exchange = group_exchange * trust * u * gap / (g - 1)
    state = make_state([R, R, R, R], [0, 1, 2, 3], trait=[0.0, 0.1, 0.5, 0.9])
    state.knowledge[[1, 3], 0] = 1.0
    sc = make_scenario(**{**SURE, "gathering__group_exchange": 1.0, "trust__initial": 1.0,
                          "trust__growth": 0.0, "gathering__understanding_range": 0.5,
                          "gathering__moderation": 0.0, "network__school_forms": 1,
                          "network__background_weight": 1.0})
    gathering.group_session(state, sc, rng=np.random.default_rng(0), week=1,
                            people=np.array([0, 1, 2, 3]), group=np.array([0, 0, 1, 1]))
    assert state.knowledge[0, 0] == pytest.approx(1 - 0.05 / 0.5)
    assert state.knowledge[2, 0] == pytest.approx(1 - 0.2 / 0.5)
    # moderation 1 doubles the range: u = 1 - 0.2 / 1.0
    state.knowledge[[0, 2], 0] = 0.0
    gathering.group_session(state, make_scenario(**{**SURE, "gathering__group_exchange": 1.0,
                                                    "trust__initial": 1.0,
                                                    "trust__growth": 0.0,
                                                    "gathering__understanding_range": 0.5,
                                                    "gathering__moderation": 1.0,
                                                    "network__school_forms": 1,
                                                    "network__background_weight": 1.0}),
                            rng=np.random.default_rng(0), week=1,
                            people=np.array([0, 1, 2, 3]), group=np.array([0, 0, 1, 1]),
                            moderated=True)
    assert state.knowledge[2, 0] == pytest.approx(1 - 0.2 / 1.0)


def test_leaders_attend_in_proportion_to_participation_and_owner_priority():
    # p = leader_participation * (1 - w (1 - owner)) = 0.8 * (1 - 0.5 * 0.5) = 0.6
    n = 20000
    state = make_state([L] * n, np.arange(n))
    sc = make_scenario(**{**SURE, "leader_participation": 0.8,
                          "motivation__owner_priority_weight": 0.5,
                          "motivation__owner_commitment": 0.5})
    assert attendance(state, sc, np.random.default_rng(4)).mean() == pytest.approx(0.6, abs=0.015)

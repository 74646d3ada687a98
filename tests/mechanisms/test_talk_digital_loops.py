"""Collegial talk and digital sharing as compiled loops: the same bits as the vectorised rules.

Each rule runs on a copy of a real mid-run state (a preset run for some weeks, then people
made absent, codified versions with a conformity bonus) and its NumPy reference
(``tests/vectorised_rules.py``) on another copy, with the same random stream; every array of
the state, the tie store and the channels' stores must come out identical, and the random
stream must be left at the same point (the same number and kind of draws).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import vectorised_rules as reference
from conftest import R, T, make_scenario, make_state

from netsim import load_scenario
from netsim.mechanisms import collegial_talk, digital
from netsim.model import LearningNetworkModel
from netsim.state import SWITCH_MARGIN, State

ARRAYS = ("knowledge", "know_how", "inspiration", "stage", "version", "quality", "perceived",
          "present", "motivation")
TIES = ("key", "a", "b", "trust", "last_contact")

CASES = [
    ("resource_teacher_network", {"talk.new_partner_prob": 0.05}),
    ("significant_networks", {}),  # many trusted cross-school ties, informal partners
    ("meeting_groups", {}),
]
SHARE_CASES = [  # with channels: the default's three, and a member-made document store
    ("resource_teacher_network", {}),
    ("meeting_groups", {"digital.channels": [
        {"name": "store", "created_by": "members", "stores": True, "read_prob": 0.5},
        {"name": "group", "created_by": "facilitators", "read_prob": 0.3}]}),
]


def assert_same(a: State, b: State) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    for name in TIES:
        x, y = getattr(a.member_ties, name), getattr(b.member_ties, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), f"member_ties.{name}"


def mid_run(preset: str, over: dict, seed: int, absent: float = 0.1) -> LearningNetworkModel:
    model = LearningNetworkModel(load_scenario(preset, over), seed=seed)
    for _ in range(45):
        model.step()
    st = model.state
    rng = np.random.default_rng(seed)
    st.present[rng.random(st.n_people) < absent] = False  # in place: groups() must see it
    st.conformity = 0.1
    held = np.flatnonzero((st.version >= 0).any(axis=0))
    if held.size:  # the most common held version of each practice becomes the codified one
        versions = np.array([np.bincount(st.version[st.version[:, k] >= 0, k]).argmax()
                             for k in held])
        st.set_codified(held, versions)
    return model


@pytest.mark.parametrize("preset, over", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_talk_is_the_vectorised_rule(preset, over, seed):
    model = mid_run(preset, over, seed)
    sc = model.scenario
    loops, numpy_ = copy.deepcopy(model.state), copy.deepcopy(model.state)
    rng_a, rng_b = np.random.default_rng(seed + 10), np.random.default_rng(seed + 10)
    grown = 0.0
    for week in range(45, 50):
        out_a = collegial_talk.talk(loops, sc, rng_a, week)
        out_b = reference.talk(numpy_, sc, rng_b, week)
        # a counter summed in another order: equal to the last bits
        assert out_a["talk_knowledge"] == pytest.approx(out_b["talk_knowledge"], rel=1e-12)
        grown += out_a["talk_knowledge"]
        assert_same(loops, numpy_)
        assert rng_a.random() == rng_b.random()
    assert grown > 0  # the case is not trivial: knowledge flowed
    assert not np.array_equal(loops.version, model.state.version)  # and versions were heard


@pytest.mark.parametrize("preset, over", SHARE_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_share_is_the_vectorised_rule(preset, over, seed):
    model = mid_run(preset, over, seed)
    sc = model.scenario
    loops, numpy_ = copy.deepcopy(model.state), copy.deepcopy(model.state)
    ch_a, ch_b = copy.deepcopy(model.channels), copy.deepcopy(model.channels)
    rng_a, rng_b = np.random.default_rng(seed + 20), np.random.default_rng(seed + 20)
    reads = 0.0
    for week, alive in ((45, True), (46, True), (47, False), (48, True)):
        out_a = digital.share(loops, sc, ch_a, rng_a, alive)
        out_b = reference.share(numpy_, sc, ch_b, rng_b, alive)
        assert out_a == out_b
        reads += out_a["reads"]
        assert_same(loops, numpy_)
        for a, b in zip(ch_a, ch_b, strict=True):
            for name in ("practice", "version", "quality", "perceived"):
                x, y = getattr(a, name), getattr(b, name)
                assert x.dtype == y.dtype and np.array_equal(x, y), f"{a.name}.{name}"
        assert rng_a.random() == rng_b.random()
    assert reads > 0


def test_new_partners_are_the_vectorised_rule():
    model = mid_run("resource_teacher_network", {}, 3)
    sc = make_scenario(talk__new_partner_prob=0.3, network__homophily=0.5)
    loops, numpy_ = copy.deepcopy(model.state), copy.deepcopy(model.state)
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    for week in range(3):
        formed = collegial_talk.meet_new_partners(loops, sc, rng_a, week)
        assert formed == reference.meet_new_partners(numpy_, sc, rng_b, week) and formed > 0
        assert_same(loops, numpy_)
    assert rng_a.random() == rng_b.random()


def test_talk_without_ties_or_anyone_present_changes_nothing(rng):
    # no collegial ties and no cross-school ties: no draws, nothing changes
    state = make_state([T, T], [0, 1])
    state.knowledge[1, 0] = 1.0
    before = copy.deepcopy(state)
    stream = copy.deepcopy(rng)
    assert collegial_talk.talk(state, make_scenario(), rng, 1) == {"talk_knowledge": 0.0}
    assert_same(state, before)
    assert rng.random() == stream.random()
    # ties, but everyone absent: the draws are made, nothing flows
    state = make_state([R, R, R], [0, 0, 1], colleagues=[(0, 1, 0.9)])
    state.knowledge[:, 0] = [0.0, 1.0, 1.0]
    state.member_ties.ensure(np.array([0]), np.array([2]), 0.9, 0)
    state.present[:] = False
    before = copy.deepcopy(state)
    out = collegial_talk.talk(state, make_scenario(talk__talk_prob=1.0,
                                                   talk__member_tie_talk_prob=1.0), rng, 1)
    assert out == {"talk_knowledge": 0.0}
    assert_same(state, before)


def test_exchange_over_no_edges_and_zero_gaps():
    state = make_state([T, T], [0, 0])
    none = np.empty(0, dtype=np.int64)
    assert collegial_talk.exchange_over_edges(state, none, none, np.empty(0), none,
                                              0.1, 0.1) == 0.0
    # equal knowledge and nobody trying or holding anything: nothing flows
    state.knowledge[:] = 0.5
    before = copy.deepcopy(state)
    gained = collegial_talk.exchange_over_edges(state, np.array([0, 1]), np.array([1, 0]),
                                                np.array([1.0, 1.0]), np.array([0, 1]),
                                                0.1, 0.1)
    assert gained == 0.0
    assert_same(state, before)


def test_share_with_no_members_or_no_posts(rng):
    state = make_state([T, T], [0, 1])  # nobody is a network member
    out = digital.share(state, make_scenario(), [digital.ChannelState("c", 0.0, "members", 1.0,
                                                                      False)], rng, True)
    assert out == {"posts": 0.0, "posts_formal": 0.0, "posts_informal": 0.0, "reads": 0.0}
    state = make_state([R, R], [0, 1])  # members with nothing to post: no reads either
    before = copy.deepcopy(state)
    out = digital.share(state, make_scenario(digital__post_prob=1.0),
                        [digital.ChannelState("c", 0.0, "members", 1.0, False)], rng, True)
    assert out["posts"] == 0.0 and out["reads"] == 0.0
    assert_same(state, before)


def test_exchange_refuses_edges_of_different_lengths():
    state = make_state([T, T], [0, 0])
    with pytest.raises(ValueError, match="per edge"):
        collegial_talk.exchange_over_edges(state, np.array([0, 1]), np.array([1]),
                                           np.array([1.0, 1.0]), np.array([1, 1]), 0.1, 0.1)


@pytest.mark.parametrize("seed", [0, 1])
def test_exchange_keeps_new_knowledge_in_spare_memory_or_its_own(seed):
    # the receivers' new knowledge waits in the spare array handed in (the spent draws) when
    # it has room, else in an array of the exchange's own: the same bits either way, and the
    # same as the vectorised rule, on a real mid-run state
    model = mid_run("significant_networks", {}, seed)
    st = model.state
    col = st.colleagues
    rows = st.colleague_rows()
    rng = np.random.default_rng(seed)
    used = rng.random(col.nnz) < 0.5
    dst, src = rows[used], col.indices[used].astype(np.int64)
    weight, degree = col.data[used], st.colleague_degree()[dst]
    receiver, start, by_src, w = collegial_talk._by_receiver(dst, src, weight, degree)
    n_new = receiver.size * st.n_practices
    states = []
    for spare in (np.empty(0), np.full(n_new - 1, np.nan), np.full(n_new, np.nan),
                  np.full(n_new + 5, np.nan)):
        s = copy.deepcopy(st)
        gained = collegial_talk._exchange(
            s.knowledge, s.inspiration, s.stage, s.version, s.quality, s.perceived, s._bonus,
            SWITCH_MARGIN, receiver, start, by_src, w, 0.1, 0.1, spare)
        states.append((s, gained, spare))
    numpy_ = copy.deepcopy(st)
    expected = reference.exchange_over_edges(numpy_, dst, src, weight, degree, 0.1, 0.1)
    for s, gained, _ in states:
        assert_same(s, numpy_)
        assert gained == pytest.approx(expected, rel=1e-12)
    assert not np.array_equal(numpy_.knowledge, st.knowledge)  # knowledge flowed
    # the spare arrays with room were used (they hold the receivers' new knowledge, row by
    # row), the one too small was left alone
    assert np.isnan(states[1][2]).all()
    new_rows = numpy_.knowledge[receiver].reshape(-1)
    assert np.array_equal(states[2][2], new_rows)
    assert np.array_equal(states[3][2][:n_new], new_rows) and np.isnan(states[3][2][n_new:]).all()

"""Digital sharing's week as one compiled loop that draws from the run's generator itself.

:func:`netsim.mechanisms.digital.share` runs the week in :func:`~netsim.mechanisms.digital._week`,
which draws with Numba's ``Generator`` methods instead of NumPy's. These tests run it against
the vectorised NumPy rule (``tests/vectorised_rules.py``) on copies of real mid-run states, many
weeks in a row, so the document store grows past its buffers' first sizes, and require the
state, the stores and the generator's state (not only its next draw) to come out identical.
They also pin the store's growth: the posts read as the arrays that were once concatenated.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import vectorised_rules as reference
from conftest import F, R, make_scenario, make_state

from netsim import load_scenario
from netsim.mechanisms import digital
from netsim.model import LearningNetworkModel
from netsim.state import Stage, State

ARRAYS = ("knowledge", "know_how", "inspiration", "stage", "version", "quality", "perceived",
          "present", "motivation")
STORE = ("practice", "version", "quality", "perceived")


def assert_same(a: State, b: State) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    for name in ("key", "a", "b", "trust", "last_contact"):
        x, y = getattr(a.member_ties, name), getattr(b.member_ties, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), f"member_ties.{name}"


def mid_run(preset: str, over: dict, seed: int) -> LearningNetworkModel:
    """A preset run for 45 weeks, then a tenth of the people absent and the most common held
    version of each practice codified with a conformity bonus (rarer branches of the rule)."""
    model = LearningNetworkModel(load_scenario(preset, over), seed=seed)
    for _ in range(45):
        model.step()
    st = model.state
    rng = np.random.default_rng(seed)
    st.present[rng.random(st.n_people) < 0.1] = False  # in place
    st.conformity = 0.1
    held = np.flatnonzero((st.version >= 0).any(axis=0))
    if held.size:
        versions = np.array([np.bincount(st.version[st.version[:, k] >= 0, k]).argmax()
                             for k in held])
        st.set_codified(held, versions)
    return model


def assert_same_channels(a: list[digital.ChannelState], b: list[digital.ChannelState]) -> None:
    for x, y in zip(a, b, strict=True):
        for name in STORE:
            u, v = getattr(x, name), getattr(y, name)
            assert u.dtype == v.dtype and np.array_equal(u, v), f"{x.name}.{name}"


@pytest.mark.parametrize(("preset", "over"), [
    ("resource_teacher_network", {"digital.post_prob": 0.6}),  # a store that fills fast
    ("meeting_groups", {"digital.channels": [
        {"name": "store", "created_by": "members", "stores": True, "read_prob": 0.5},
        {"name": "archive", "created_by": "facilitators", "stores": True, "read_prob": 0.2},
        {"name": "group", "created_by": "facilitators", "read_prob": 0.3}]}),
])
def test_week_is_the_numpy_rule_with_the_same_generator_state(preset, over):
    model = mid_run(preset, over, 4)
    sc = model.scenario
    loops, numpy_ = copy.deepcopy(model.state), copy.deepcopy(model.state)
    ch_a, ch_b = copy.deepcopy(model.channels), copy.deepcopy(model.channels)
    rng_a, rng_b = np.random.default_rng(30), np.random.default_rng(30)
    for ch in ch_a:  # stores without spare room: the first week must grow them, posts and all
        ch._ints, ch._floats = ch._ints[:, :ch._n].copy(), ch._floats[:, :ch._n].copy()
    grew = set()
    for week in range(45, 75):
        alive = week % 7 != 3  # some weeks after the network dissolved: facilitators silent
        sizes = [ch._ints.shape[1] for ch in ch_a]
        out_a = digital.share(loops, sc, ch_a, rng_a, alive)
        out_b = reference.share(numpy_, sc, ch_b, rng_b, alive)
        assert out_a == out_b
        assert_same(loops, numpy_)
        assert_same_channels(ch_a, ch_b)
        assert rng_a.bit_generator.state == rng_b.bit_generator.state
        grew |= {ch.name for ch, size in zip(ch_a, sizes) if ch._ints.shape[1] > size > 0}
    stored = [ch for ch in ch_a if ch.stores]
    assert stored and all(ch.practice.size > 64 for ch in stored)  # past the first buffers
    assert grew == {ch.name for ch in stored}  # and every store grew while the run went on
    assert not np.array_equal(loops.knowledge, model.state.knowledge)  # reading taught


def test_week_with_absent_people_and_no_ties_matches(rng):
    # an absent member and an absent facilitator, no cross-school ties (trust.initial used)
    state = make_state([R, R, R, F, F], [0, 1, 2, -1, -1], n_practices=2,
                       expert_known=[True, False])
    for row in range(3):
        state.stage[row, row % 2] = Stage.ADOPTED
        state.knowledge[row, row % 2] = 0.5
    state.present[[1, 4]] = False
    sc = make_scenario(digital__post_prob=1.0, trust__initial=0.4)
    channels = [digital.ChannelState("f", 0.3, "facilitators", 1.0, True),
                digital.ChannelState("m", 0.0, "members", 1.0, False)]
    a, b = copy.deepcopy((state, channels)), copy.deepcopy((state, channels))
    rng_a, rng_b = copy.deepcopy(rng), copy.deepcopy(rng)
    for alive in (True, True, False):
        assert digital.share(a[0], sc, a[1], rng_a, alive) == \
            reference.share(b[0], sc, b[1], rng_b, alive)
        assert_same(a[0], b[0])
        assert_same_channels(a[1], b[1])
        assert rng_a.bit_generator.state == rng_b.bit_generator.state
    assert a[1][0].practice.size > 0 and a[0].present[1] == b[0].present[1]
    assert np.array_equal(a[0].knowledge[1], state.knowledge[1])  # the absent read nothing


def test_store_grows_into_spare_room_and_reads_as_concatenated_posts():
    ch = digital.ChannelState("c", 0.0, "members", 1.0, True)
    assert ch.practice.size == 0 and ch.practice.dtype == np.int64
    assert ch.quality.dtype == np.float64
    want = [np.empty(0, dtype=np.int64)] * 2 + [np.empty(0)] * 2
    early = None
    rng = np.random.default_rng(1)
    for week in range(40):
        k = int(rng.integers(0, 9))
        posts = (rng.integers(0, 6, k), rng.integers(-1, 50, k).astype(np.int32),
                 rng.random(k), rng.random(k))
        if week % 5 == 0:
            ch.keep(*posts[:3])  # no report given: the true quality is reported
            posts = (*posts[:3], posts[2])
        else:
            ch.keep(*posts)
        want = [np.concatenate([w, p]) for w, p in zip(want, posts, strict=True)]
        for name, w in zip(STORE, want, strict=True):
            got = getattr(ch, name)
            assert got.dtype == w.dtype and np.array_equal(got, w), name
        if week == 3:
            early = [getattr(ch, name).copy() for name in STORE], ch.practice
    # what a reader took earlier still holds what it held then
    assert np.array_equal(early[1], early[0][0])
    assert ch._ints.shape[1] >= ch.practice.size and ch._ints.shape[1] < 4 * ch.practice.size
    assert copy.deepcopy(ch).practice.tolist() == ch.practice.tolist()

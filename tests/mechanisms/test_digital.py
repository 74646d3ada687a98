"""Digital sharing: posting lowered by formality, reading, document stores."""

from __future__ import annotations

import pytest
from conftest import F, R, hold, make_scenario, make_state

from netsim.mechanisms.digital import ChannelState, share
from netsim.state import Stage

# trust.initial = 1 so that p_post = post_prob * (1 - penalty * f) for members without ties
SC = dict(digital__post_prob=1.0, digital__formality_post_penalty=1.0,
          digital__read_knowledge=0.1, trust__initial=1.0)


def channel(formality: float, stores: bool = False, by: str = "members",
            read_prob: float = 1.0) -> ChannelState:
    return ChannelState("c", formality, by, read_prob, stores)


def two_members():
    state = make_state([R, R], [0, 1])
    vid = hold(state, 0, 0, Stage.ADOPTED, quality=0.8, knowledge=1.0)
    return state, vid


def test_informal_channel_post_is_read(rng):
    state, vid = two_members()
    out = share(state, make_scenario(**SC), [channel(0.0)], rng, network_alive=True)
    assert out["posts"] == 1 and out["posts_informal"] == 1 and out["posts_formal"] == 0
    assert out["reads"] == 2  # both members read (the poster too)
    assert state.knowledge[1, 0] == pytest.approx(0.1)
    assert state.version[1, 0] == vid and state.stage[1, 0] == Stage.AWARE
    assert state.inspiration[1, 0] == 0.0  # reading carries explicit knowledge only


def test_fully_formal_channel_gets_no_member_posts(rng):
    state, _ = two_members()
    out = share(state, make_scenario(**SC), [channel(1.0)], rng, network_alive=True)
    assert out["posts"] == 0 and out["reads"] == 0
    assert state.knowledge[1, 0] == 0.0


def test_document_store_keeps_posts_readable(rng):
    state, vid = two_members()
    store = channel(0.0, stores=True)
    share(state, make_scenario(**SC), [store], rng, network_alive=True)
    state.stage[0, 0] = Stage.AWARE  # nothing new to post next week
    state.knowledge[1, 0] = 0.0
    out = share(state, make_scenario(**SC), [store], rng, network_alive=True)
    assert out["posts"] == 0 and out["reads"] == 2
    assert state.knowledge[1, 0] == pytest.approx(0.1)
    assert store.version == [vid]


def test_facilitators_post_expert_practice_until_the_network_dissolves(rng):
    state = make_state([R, F], [0, -1], expert_known=[True])
    sc = make_scenario(**SC)
    fac_channel = channel(1.0, by="facilitators")
    out = share(state, sc, [fac_channel], rng, network_alive=True)
    # the facilitator's post is not counted as a member post, but it is read
    assert out["posts"] == 0 and out["reads"] == 1
    assert state.knowledge[0, 0] == pytest.approx(0.1) and state.version[0, 0] == 0
    out = share(state, sc, [channel(1.0, by="facilitators")], rng, network_alive=False)
    assert out["reads"] == 0


def test_posting_probability_falls_with_formality(rng):
    n = 4000
    state = make_state([R] * n, list(range(n)))
    for i in range(n):
        hold(state, i, 0, Stage.ADOPTED, quality=0.5)
    sc = make_scenario(**{**SC, "digital__post_prob": 0.5, "digital__formality_post_penalty": 0.8})
    # p = 0.5 * (1 - 0.8 f) * (0.5 + 0.5 * 1): 0.5 at f = 0, 0.18 at f = 0.8
    informal = share(state, sc, [channel(0.0, read_prob=0.0)], rng, True)["posts"] / n
    formal = share(state, sc, [channel(0.8, read_prob=0.0)], rng, True)["posts"] / n
    assert informal == pytest.approx(0.5, abs=0.035)  # 4.4 standard errors
    assert formal == pytest.approx(0.18, abs=0.03)

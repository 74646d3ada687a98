"""Digital sharing: posts and reads in the network's channels.

Seed 001 §5.3.5, §6.3.2 and seed 000: digital arenas mainly store and spread explicit
knowledge; the more formal a channel seems (created by the school owner's representative,
managers reading along), the fewer people post in it, while they still read it.

Weekly, for each channel ``c`` with formality ``f_c`` (the network's ``formality`` for channels
created by facilitators, ``digital.member_channel_formality`` for member-created ones):

- **Posting.** A member (not a facilitator) who is trying or has adopted a practice posts it
  with probability ``post_prob * (1 - formality_post_penalty * f_c) * (0.5 + 0.5 * t_i)``,
  where ``t_i`` is the member's mean cross-school trust (``trust.initial`` with no ties yet).
  Facilitators post one expert-known practice a week in the channels they created.
- **Reading.** Each member reads the channel with probability ``read_prob``; a reader takes
  one post (this week's posts, or any stored post in a document store), closes
  ``read_knowledge`` of the knowledge gap and hears of the version. Reading carries explicit
  knowledge only (no inspiration).

Channels created by facilitators go silent when the network dissolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.config import Scenario
from netsim.state import Role, Stage, State

__all__ = ["ChannelState", "share"]


@dataclass
class ChannelState:
    """Posts kept by one channel (practice, version, quality)."""

    name: str
    formality: float
    created_by: str
    read_prob: float
    stores: bool
    practice: list[int] = field(default_factory=list)
    version: list[int] = field(default_factory=list)
    quality: list[float] = field(default_factory=list)


def _mean_trust(state: State, default: float) -> np.ndarray:
    ties = state.member_ties
    n = state.n_people
    if not len(ties):
        return np.full(n, default)
    ends = np.r_[ties.a, ties.b]
    total = np.bincount(ends, np.r_[ties.trust, ties.trust], minlength=n)
    count = np.bincount(ends, minlength=n)
    return np.where(count > 0, total / np.maximum(count, 1), default)


def share(state: State, scenario: Scenario, channels: list[ChannelState],
          rng: np.random.Generator, network_alive: bool) -> dict[str, float]:
    """One week of digital posting and reading; return counters."""
    cfg = scenario.digital
    out = {"posts": 0.0, "posts_formal": 0.0, "posts_informal": 0.0, "reads": 0.0}
    members = state.member & state.present
    posters = members & (state.role != Role.FACILITATOR)
    active = (state.stage == Stage.TRYING) | (state.stage == Stage.ADOPTED)
    has_news = posters & active.any(axis=1)
    trust = _mean_trust(state, scenario.trust.initial)
    readers_all = np.flatnonzero(members & (state.role != Role.FACILITATOR))
    for ch in channels:
        if ch.created_by == "facilitators" and not network_alive:
            continue
        p_post = cfg.post_prob * (1 - cfg.formality_post_penalty * ch.formality) * (
            0.5 + 0.5 * trust)
        post = has_news & (rng.random(state.n_people) < p_post)
        rows = np.flatnonzero(post)
        new_p: list[int] = []
        new_v: list[int] = []
        new_q: list[float] = []
        if rows.size:
            # each poster shares the best active practice they hold
            q = np.where(active[rows], state.quality[rows], -1.0)
            k = q.argmax(axis=1)
            new_p += k.tolist()
            new_v += state.version[rows, k].tolist()
            new_q += state.quality[rows, k].tolist()
        n_member_posts = len(new_p)
        if ch.created_by == "facilitators" and state.expert_known.any():
            fac = (state.role == Role.FACILITATOR) & state.present
            if fac.any():
                k = int(rng.choice(np.flatnonzero(state.expert_known)))
                new_p.append(k)
                new_v.append(k)
                new_q.append(float(state.effectiveness[k]))
        out["posts"] += n_member_posts
        if ch.formality >= 0.5:
            out["posts_formal"] += n_member_posts
        else:
            out["posts_informal"] += n_member_posts
        if ch.stores:
            ch.practice += new_p
            ch.version += new_v
            ch.quality += new_q
            pool_p, pool_v, pool_q = ch.practice, ch.version, ch.quality
        else:
            pool_p, pool_v, pool_q = new_p, new_v, new_q
        if not pool_p or readers_all.size == 0:
            continue
        readers = readers_all[rng.random(readers_all.size) < ch.read_prob]
        if readers.size == 0:
            continue
        pick = rng.integers(0, len(pool_p), readers.size)
        k = np.asarray(pool_p)[pick]
        kn = state.knowledge[readers, k]
        state.knowledge[readers, k] = kn + cfg.read_knowledge * (1 - kn)
        state.learn_versions(readers, k, np.asarray(pool_v)[pick], np.asarray(pool_q)[pick])
        out["reads"] += float(readers.size)
    return out

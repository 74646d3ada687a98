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
from netsim.state import ADOPTED, TRYING, State, flatnonzero, row_any

__all__ = ["ChannelState", "share"]


@dataclass
class ChannelState:
    """A channel and the posts it keeps (practice, version, quality of each post)."""

    name: str
    formality: float
    created_by: str
    read_prob: float
    stores: bool
    practice: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    version: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    quality: np.ndarray = field(default_factory=lambda: np.empty(0))
    perceived: np.ndarray = field(default_factory=lambda: np.empty(0))

    def keep(self, practice: np.ndarray, version: np.ndarray, quality: np.ndarray,
             perceived: np.ndarray | None = None) -> None:
        """Add posts to the channel's store (``perceived``: the poster's report, default the
        true quality)."""
        self.practice = np.concatenate([self.practice, practice])
        self.version = np.concatenate([self.version, version])
        self.quality = np.concatenate([self.quality, quality])
        self.perceived = np.concatenate([self.perceived,
                                         quality if perceived is None else perceived])


def _mean_trust(state: State, default: float) -> np.ndarray:
    ties = state.member_ties
    n = state.n_people
    if not len(ties):
        return np.full(n, default)
    total = np.bincount(ties.ends(), np.concatenate([ties.trust, ties.trust]), minlength=n)
    count = ties.degree()
    return np.where(count > 0, total / np.maximum(count, 1), default)


def share(state: State, scenario: Scenario, channels: list[ChannelState],
          rng: np.random.Generator, network_alive: bool) -> dict[str, float]:
    """One week of digital posting and reading; return counters."""
    cfg = scenario.digital
    out = {"posts": 0.0, "posts_formal": 0.0, "posts_informal": 0.0, "reads": 0.0}
    groups = state.groups()
    people = groups.members
    if people.size == 0:
        return out
    n_p = state.n_practices
    stage = np.take(state.stage, people, axis=0)
    active = (stage == TRYING) | (stage == ADOPTED)
    has_news = row_any(active)
    trust_factor = 0.5 + 0.5 * _mean_trust(state, scenario.trust.initial)[people]
    facilitators = groups.n_facilitators > 0
    expert = flatnonzero(state.expert_known)
    for ch in channels:
        if ch.created_by == "facilitators" and not network_alive:
            continue
        p_post = cfg.post_prob * (1 - cfg.formality_post_penalty * ch.formality) * trust_factor
        post = flatnonzero(has_news & (rng.random(people.size) < p_post))
        rows = people[post]
        # each poster shares the best active practice they hold
        k = np.where(active[post], np.take(state.perceived, rows, axis=0), -1e9).argmax(axis=1)
        posted = rows * n_p + k
        new_p = k
        new_v = state.version.reshape(-1).take(posted)
        new_q = state.quality.reshape(-1).take(posted)
        new_pq = state.perceived.reshape(-1).take(posted)
        n_member_posts = float(rows.size)
        if ch.created_by == "facilitators" and facilitators and expert.size:
            j = int(rng.integers(expert.size))
            e, one = int(expert[j]), expert[j:j + 1]  # slices: no list-to-array conversions
            new_p = np.concatenate([new_p, one])
            new_v = np.concatenate([new_v, one])
            new_q = np.concatenate([new_q, state.effectiveness[e:e + 1]])
            new_pq = np.concatenate([new_pq, state.claimed[e:e + 1]])
        out["posts"] += n_member_posts
        out["posts_formal" if ch.formality >= 0.5 else "posts_informal"] += n_member_posts
        if ch.stores:
            if new_p.size:
                ch.keep(new_p, new_v, new_q, new_pq)
            pool_p, pool_v, pool_q, pool_pq = ch.practice, ch.version, ch.quality, ch.perceived
        else:
            pool_p, pool_v, pool_q, pool_pq = new_p, new_v, new_q, new_pq
        if pool_p.size == 0:
            continue
        readers = people[rng.random(people.size) < ch.read_prob]
        if readers.size == 0:
            continue
        pick = rng.integers(0, pool_p.size, readers.size)
        slot = readers * n_p + pool_p.take(pick)
        knowledge = state.knowledge.reshape(-1)
        kn = knowledge.take(slot)
        knowledge[slot] = kn + cfg.read_knowledge * (1 - kn)
        state.learn_versions_flat(slot, pool_v.take(pick), pool_q.take(pick), pool_pq.take(pick))
        out["reads"] += float(readers.size)
    return out

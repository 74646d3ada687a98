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

Each channel's week runs as compiled loops (:mod:`netsim.kernels`): :func:`_posts`, then
:func:`_read`; the draws stay in :func:`share`, in the rule's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.config import Scenario
from netsim.kernels import kernel
from netsim.state import ADOPTED, SWITCH_MARGIN, TRYING, State, flatnonzero, hear_versions

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


@kernel
def _trust_factor(people: np.ndarray, n: int, a: np.ndarray, b: np.ndarray,
                  trust: np.ndarray, degree: np.ndarray, default: float) -> np.ndarray:
    """``0.5 + 0.5 * t_i`` of each of ``people``: ``t_i`` the mean trust of person *i*'s
    cross-school ties (``a[t] < b[t]``, trust ``trust[t]``, ``degree`` ties per person), or
    ``default`` without ties. Trust is summed over the ties at their ``a`` end, then at their
    ``b`` end, each in tie order (the order NumPy's ``bincount`` over both ends summed in)."""
    total = np.zeros(n)
    for t in range(a.size):
        total[a[t]] += trust[t]
    for t in range(b.size):
        total[b[t]] += trust[t]
    out = np.empty(people.size)
    for i in range(people.size):
        p = people[i]
        mean = total[p] / max(degree[p], 1) if degree[p] > 0 else default
        out[i] = 0.5 + 0.5 * mean
    return out


@kernel
def _posts(u: np.ndarray, p_base: float, trust_factor: np.ndarray, people: np.ndarray,
           stage: np.ndarray, perceived: np.ndarray, version: np.ndarray, quality: np.ndarray,
           expert: int, expert_quality: float, expert_claimed: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This week's posts in one channel: practice, version, quality, reported quality.

    Member ``people[i]`` posts when they are trying or have adopted a practice and ``u[i] <
    p_base * trust_factor[i]``; they post the practice, among those they try or have adopted,
    whose held version they perceive best (the first of equals, as ``argmax``). A facilitator's
    post of the expert-known practice ``expert`` (the reference version, whose id is the
    practice's; ``-1``: none) comes last, with its true and its claimed quality."""
    n_p = stage.shape[1]
    posters = np.empty(people.size, dtype=np.int64)
    k = np.empty(people.size, dtype=np.int64)
    n_posts = 0
    for i in range(people.size):
        row = people[i]
        if not u[i] < p_base * trust_factor[i]:
            continue
        news, best, best_c = False, 0.0, 0
        for c in range(n_p):  # np.where(active, perceived, -1e9).argmax(): first max, NaN first
            active = stage[row, c] == TRYING or stage[row, c] == ADOPTED
            news = news or active
            v = perceived[row, c] if active else -1e9
            if c == 0 or (best == best and (v > best or v != v)):
                best, best_c = v, c
        if news:
            posters[n_posts], k[n_posts] = row, best_c
            n_posts += 1
    size = n_posts + (expert >= 0)
    new_p = np.empty(size, dtype=np.int64)
    new_v = np.empty(size, dtype=version.dtype)
    new_q = np.empty(size)
    new_pq = np.empty(size)
    for i in range(n_posts):
        row, c = posters[i], k[i]
        new_p[i], new_v[i] = c, version[row, c]
        new_q[i], new_pq[i] = quality[row, c], perceived[row, c]
    if expert >= 0:
        new_p[n_posts], new_v[n_posts] = expert, expert
        new_q[n_posts], new_pq[n_posts] = expert_quality, expert_claimed
    return new_p, new_v, new_q, new_pq


@kernel
def _read(u: np.ndarray, read_prob: float, people: np.ndarray, pick: np.ndarray,
          pool_p: np.ndarray, pool_v: np.ndarray, pool_q: np.ndarray, pool_pq: np.ndarray,
          read_knowledge: float, knowledge: np.ndarray, bonus: np.ndarray, margin: float,
          version: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
          stage: np.ndarray) -> None:
    """Member ``people[i]`` reads when ``u[i] < read_prob``: the ``r``-th reader takes post
    ``pick[r]``, closes ``read_knowledge`` of their knowledge gap for its practice and hears of
    its version (:func:`netsim.state.hear_versions`, after every reader's knowledge grew)."""
    n_p = knowledge.shape[1]
    kn = knowledge.reshape(-1)
    n_read = pick.size
    slot = np.empty(n_read, dtype=np.int64)
    v = np.empty(n_read, dtype=pool_v.dtype)
    q = np.empty(n_read)
    pq = np.empty(n_read)
    r = 0
    for i in range(people.size):
        if u[i] < read_prob:
            post = pick[r]
            slot[r] = people[i] * n_p + pool_p[post]
            v[r], q[r], pq[r] = pool_v[post], pool_q[post], pool_pq[post]
            r += 1
    for r in range(n_read):  # readers are distinct people: one slot each
        kn[slot[r]] = kn[slot[r]] + read_knowledge * (1 - kn[slot[r]])
    hear_versions(slot, v, q, pq, bonus, margin, version, quality, perceived, stage)


def share(state: State, scenario: Scenario, channels: list[ChannelState],
          rng: np.random.Generator, network_alive: bool) -> dict[str, float]:
    """One week of digital posting and reading; return counters (see the module docstring;
    the loops: :func:`_posts`, :func:`_read`)."""
    cfg = scenario.digital
    out = {"posts": 0.0, "posts_formal": 0.0, "posts_informal": 0.0, "reads": 0.0}
    groups = state.groups()
    people = groups.members
    if people.size == 0:
        return out
    ties = state.member_ties
    if len(ties):
        trust_factor = _trust_factor(people, state.n_people, ties.a, ties.b, ties.trust,
                                     ties.degree(), float(scenario.trust.initial))
    else:
        trust_factor = np.full(people.size, 0.5 + 0.5 * scenario.trust.initial)
    facilitators = groups.n_facilitators > 0
    expert = flatnonzero(state.expert_known)
    for ch in channels:
        if ch.created_by == "facilitators" and not network_alive:
            continue
        p_base = cfg.post_prob * (1 - cfg.formality_post_penalty * ch.formality)
        u = rng.random(people.size)
        e = -1  # facilitators post one expert-known practice a week in their channels
        if ch.created_by == "facilitators" and facilitators and expert.size:
            e = int(expert[int(rng.integers(expert.size))])
        new_p, new_v, new_q, new_pq = _posts(
            u, p_base, trust_factor, people, state.stage, state.perceived, state.version,
            state.quality, e, float(state.effectiveness[e]) if e >= 0 else 0.0,
            float(state.claimed[e]) if e >= 0 else 0.0)
        n_member_posts = float(new_p.size - (e >= 0))
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
        u = rng.random(people.size)
        n_readers = int(np.count_nonzero(u < ch.read_prob))
        if n_readers == 0:
            continue
        pick = rng.integers(0, pool_p.size, n_readers)
        _read(u, ch.read_prob, people, pick, pool_p, pool_v, pool_q, pool_pq,
              cfg.read_knowledge, state.knowledge, state._bonus, SWITCH_MARGIN, state.version,
              state.quality, state.perceived, state.stage)
        out["reads"] += float(n_readers)
    return out

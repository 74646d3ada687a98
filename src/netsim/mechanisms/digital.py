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

The week runs as one compiled loop over the channels (:mod:`netsim.kernels`), :func:`_week`:
:func:`_posts`, then :func:`_read` for each; it draws from the run's generator itself, in the
rule's order (see :func:`_week` for why that is exact and why it pays).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.config import Scenario
from netsim import kernels
from netsim.kernels import kernel
from netsim.state import ADOPTED, FACILITATOR, SWITCH_MARGIN, TRYING, State, hear_versions

__all__ = ["ChannelState", "share"]


@dataclass
class ChannelState:
    """A channel and the posts it keeps (practice, version, quality, reported quality of each
    post, in the order they were posted)."""

    name: str
    formality: float
    created_by: str
    read_prob: float
    stores: bool
    # the posts: columns 0..n-1 of two buffers, (practice, version) and (quality, perceived);
    # a speed trick: the store only grows, so it grows into spare columns (doubling the
    # buffers when full) instead of being copied whole every week; ``practice`` & co. are
    # views of the filled columns, so they hold exactly what the copied arrays held
    _ints: np.ndarray = field(default_factory=lambda: np.empty((2, 0), dtype=np.int64),
                              init=False, repr=False)
    _floats: np.ndarray = field(default_factory=lambda: np.empty((2, 0)), init=False,
                                repr=False)
    _n: int = field(default=0, init=False, repr=False)

    @property
    def practice(self) -> np.ndarray:
        """Practice of each stored post."""
        return self._ints[0, :self._n]

    @property
    def version(self) -> np.ndarray:
        """Version of each stored post."""
        return self._ints[1, :self._n]

    @property
    def quality(self) -> np.ndarray:
        """True quality of each stored post's version."""
        return self._floats[0, :self._n]

    @property
    def perceived(self) -> np.ndarray:
        """Quality each stored post reports (the poster's perceived quality)."""
        return self._floats[1, :self._n]

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more posts (doubling the buffers when they are full)."""
        need = self._n + extra
        if need > self._ints.shape[1]:
            size = max(need, 2 * self._ints.shape[1], 64)
            ints = np.empty((2, size), dtype=np.int64)
            floats = np.empty((2, size))
            ints[:, :self._n] = self._ints[:, :self._n]
            floats[:, :self._n] = self._floats[:, :self._n]
            self._ints, self._floats = ints, floats

    def keep(self, practice: np.ndarray, version: np.ndarray, quality: np.ndarray,
             perceived: np.ndarray | None = None) -> None:
        """Add posts to the channel's store (``perceived``: the poster's report, default the
        true quality)."""
        k = len(practice)
        self.reserve(k)
        n = self._n
        self._ints[0, n:n + k] = practice
        self._ints[1, n:n + k] = version
        self._floats[0, n:n + k] = quality
        self._floats[1, n:n + k] = quality if perceived is None else perceived
        self._n = n + k


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
    the week: :func:`_week`)."""
    if not channels:
        return {"posts": 0.0, "posts_formal": 0.0, "posts_informal": 0.0, "reads": 0.0}
    # one table of the channels, a row each (fewer arguments to pass than an array per
    # column): formality, read_prob, created by facilitators, stores, posts stored; and room
    # in the stores for this week's posts (at most one a person and the expert post)
    room, rows = state.n_people + 1, []
    for ch in channels:
        if ch.stores:
            ch.reserve(room)
        rows += (ch.formality, ch.read_prob, ch.created_by == "facilitators", ch.stores, ch._n)
    table = np.array(rows, dtype=np.float64).reshape(len(channels), 5)
    cfg, ties, counts = scenario.digital, state.member_ties, np.zeros(len(_COUNTERS))
    _week(kernels.generator_handle(rng), state.role, state.present, state.member, ties.a, ties.b, ties.trust,
          ties.degree(), float(scenario.trust.initial), float(cfg.post_prob),
          float(cfg.formality_post_penalty), float(cfg.read_knowledge), table,
          bool(network_alive), state.expert_known, state.effectiveness, state.claimed,
          tuple([ch._ints for ch in channels]), tuple([ch._floats for ch in channels]),
          state.stage, state.perceived, state.version, state.quality, state.knowledge,
          state._bonus, SWITCH_MARGIN, counts)
    kept = table[:, 4].tolist()
    for c, ch in enumerate(channels):
        if ch.stores:
            ch._n = int(kept[c])
    posts, formal, informal, reads = counts.tolist()
    return {"posts": posts, "posts_formal": formal, "posts_informal": informal, "reads": reads}


#: the counters :func:`share` returns, in the order :func:`_week` counts them
_COUNTERS = ("posts", "posts_formal", "posts_informal", "reads")


@kernel
def _week(handle: kernels.GeneratorHandle, role: np.ndarray, present: np.ndarray, member: np.ndarray,
          a: np.ndarray, b: np.ndarray, trust: np.ndarray, degree: np.ndarray,
          trust_initial: float, post_prob: float, penalty: float, read_knowledge: float,
          table: np.ndarray, network_alive: bool, expert_known: np.ndarray,
          effectiveness: np.ndarray, claimed: np.ndarray, kept_ints: tuple, kept_floats: tuple,
          stage: np.ndarray, perceived: np.ndarray, version: np.ndarray, quality: np.ndarray,
          knowledge: np.ndarray, bonus: np.ndarray, margin: float,
          counts: np.ndarray) -> None:
    """The week of :func:`share`, channel by channel: :func:`_posts`, then :func:`_read`.

    The members who post and read are the present members who are not facilitators (by
    row; what :meth:`netsim.state.State.groups` calls ``members``, found here in one pass
    instead of asking for the groups: fewer calls a week); with none, nothing happens.
    Channel ``c`` is row ``c`` of ``table``: formality, read probability, whether
    facilitators created it, whether it is a document store, and how many posts it stores
    (the first columns of ``kept_ints[c]``, practice and version, and ``kept_floats[c]``,
    quality and reported quality, which have room for this week's; the count is updated).
    A channel facilitators created is silent when the network dissolved; else
    ``u = rng.random(n)`` for the posts, one ``rng.integers`` for the facilitators' expert
    post (among the expert-known practices), ``u = rng.random(n)`` for the readers and
    ``rng.integers(0, pool, readers)`` for the post each reader takes (the draws of the rule,
    in its order, skipped as the rule skips them). Adds to ``counts`` the member posts, formal
    (``formality >= 0.5``) and informal ones, and the reads.

    Drawing here (a speed trick, rule 1's exception in :mod:`netsim.kernels`; by default draws
    stay in NumPy): Numba's ``Generator.random`` and ``Generator.integers`` are NumPy's algorithms
    on the run's own bit generator (the same doubles, the same bounded integers with the same
    buffered 32-bit halves), so the draws and the generator's state afterwards are NumPy's
    bit for bit (tests/mechanisms/test_talk_digital_loops.py compares them with the NumPy
    rule, generator state included). The generator comes as the run's
    :func:`netsim.kernels.generator_handle` (about 1 us a call; Numba's unboxing of the
    Generator itself cost 13-16 us of each week's call); one call a week replaces about a
    dozen NumPy draws and six kernel calls, each with its own dispatch, which the channels'
    small arrays made most of the week's time.
    """
    rng = handle.rng
    n_people = role.size
    people = np.empty(n_people, dtype=np.int64)
    n_members = n_facilitators = 0
    for r in range(n_people):
        if present[r]:
            if role[r] == FACILITATOR:
                n_facilitators += 1
            elif member[r]:
                people[n_members] = r
                n_members += 1
    if n_members == 0:
        return
    people = people[:n_members]
    facilitators = n_facilitators > 0
    expert = np.flatnonzero(expert_known)
    if a.size:
        trust_factor = _trust_factor(people, n_people, a, b, trust, degree, trust_initial)
    else:
        trust_factor = np.full(people.size, 0.5 + 0.5 * trust_initial)
    for c in range(table.shape[0]):
        formality, read_prob = table[c, 0], table[c, 1]
        by_facilitators, stores = table[c, 2] != 0, table[c, 3] != 0
        if by_facilitators and not network_alive:
            continue
        p_base = post_prob * (1 - penalty * formality)
        u = rng.random(people.size)
        e = -1  # facilitators post one expert-known practice a week in their channels
        if by_facilitators and facilitators and expert.size:
            e = expert[rng.integers(0, expert.size)]
        new_p, new_v, new_q, new_pq = _posts(
            u, p_base, trust_factor, people, stage, perceived, version, quality, e,
            effectiveness[e] if e >= 0 else 0.0, claimed[e] if e >= 0 else 0.0)
        n_member_posts = new_p.size - (1 if e >= 0 else 0)
        counts[0] += n_member_posts
        counts[1 if formality >= 0.5 else 2] += n_member_posts
        if stores:  # readers take any stored post, this week's included
            ints, floats, n = kept_ints[c], kept_floats[c], int(table[c, 4])
            for i in range(new_p.size):  # into the store's spare columns (share reserved them)
                ints[0, n + i], ints[1, n + i] = new_p[i], new_v[i]
                floats[0, n + i], floats[1, n + i] = new_q[i], new_pq[i]
            n_pool = n + new_p.size
            table[c, 4] = n_pool
        else:  # readers take one of this week's posts
            n_pool = new_p.size
        if n_pool == 0:
            continue
        u = rng.random(people.size)
        n_readers = 0
        for i in range(u.size):
            n_readers += u[i] < read_prob
        if n_readers == 0:
            continue
        pick = rng.integers(0, n_pool, n_readers)
        if stores:
            ints, floats = kept_ints[c], kept_floats[c]
            _read(u, read_prob, people, pick, ints[0], ints[1], floats[0], floats[1],
                  read_knowledge, knowledge, bonus, margin, version, quality, perceived, stage)
        else:
            _read(u, read_prob, people, pick, new_p, new_v, new_q, new_pq, read_knowledge,
                  knowledge, bonus, margin, version, quality, perceived, stage)
        counts[3] += n_readers

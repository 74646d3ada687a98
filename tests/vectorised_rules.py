"""The vectorised NumPy rules that compiled loops replaced (issue 14), kept as references.

Copied from the last revision before the loops: the tests run a rule and its reference on the
same state with the same random stream and require the same bits. Not used by netsim itself.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from netsim.config import Scenario
from netsim.mechanisms.digital import ChannelState
from netsim.mechanisms.distance import background_distance
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    SWITCH_MARGIN,
    TRYING,
    UNAWARE,
    State,
    TieStore,
    flatnonzero,
    row_any,
    slots,
)


def learn_versions_flat(st: State, flat: np.ndarray, versions: np.ndarray,
                        qualities: np.ndarray, perceived: np.ndarray | None = None) -> None:
    """:meth:`netsim.state.State.learn_versions_flat` as NumPy operations."""
    quality, stage, own = st.quality.reshape(-1), st.stage.reshape(-1), st.perceived.reshape(-1)
    reported = qualities if perceived is None else perceived
    judged = reported
    if st._bonus.size > 1:
        judged = reported + st._bonus.take(versions + 1, mode="clip")
    s = stage.take(flat)
    keep = flatnonzero((s == UNAWARE) | ((judged > own.take(flat) + SWITCH_MARGIN) & (s != TRYING)))
    if keep.size == 0:
        return
    if keep.size > 1:
        keep = keep[judged.take(keep).argsort(kind="stable")]
    f, s = flat.take(keep), s.take(keep)
    st.version.reshape(-1)[f] = versions.take(keep)
    quality[f] = qualities.take(keep)
    own[f] = reported.take(keep)
    stage[f[(s == UNAWARE) | (s == DROPPED)]] = AWARE


def ensure(ties: TieStore, i: np.ndarray, j: np.ndarray, initial: float, week: int) -> np.ndarray:
    """:meth:`netsim.state.TieStore.ensure` as NumPy operations."""
    wanted = ties._keys(np.asarray(i), np.asarray(j))
    keys = np.sort(wanted)
    keys = keys[np.concatenate([keys[:1] == keys[:1], keys[1:] != keys[:-1]])]  # distinct
    if ties.key.size:
        pos = np.searchsorted(ties.key, keys)
        new = keys[ties.key[np.minimum(pos, ties.key.size - 1)] != keys]
    else:
        new = keys
    if new.size:
        at = np.searchsorted(ties.key, new)
        ties._set(np.insert(ties.key, at, new), np.insert(ties.trust, at, initial),
                  np.insert(ties.last_contact, at, week))
    return np.searchsorted(ties.key, wanted)


# collegial_talk (exchange_over_edges, meet_new_partners, talk)

def exchange_over_edges(state: State, dst: np.ndarray, src: np.ndarray, weight: np.ndarray,
                        degree: np.ndarray, knowledge_rate: float, inspiration: float) -> float:
    """Knowledge, inspiration and versions flow src → dst over the given edges.

    ``degree`` is, per edge, the number of ties of the receiving person in that layer (the
    edge's weight is divided by it). Returns the total explicit knowledge gained.
    """
    if dst.size == 0:
        return 0.0
    n, n_p = state.n_people, state.n_practices
    w = weight / np.maximum(degree, 1)
    # row gathers with np.take and one bincount over flat (person, practice) slots: several
    # times faster than fancy indexing and a bincount per practice on these small arrays
    gap = np.take(state.knowledge, src, axis=0)
    gap -= np.take(state.knowledge, dst, axis=0)
    np.maximum(gap, 0, out=gap)
    gap = gap.reshape(-1)
    w_slot = np.repeat(w, n_p)  # per (edge, practice); faster than broadcasting w[:, None]
    gap *= w_slot
    slot = slots(dst, n_p)
    delta = np.bincount(slot, gap, minlength=n * n_p).reshape(n, n_p)
    delta *= knowledge_rate
    np.minimum(delta, 1 - state.knowledge, out=delta)
    st = np.take(state.stage, src, axis=0)
    adopted = st == ADOPTED
    ad = flatnonzero(adopted)  # only adopted entries carry inspiration
    ins = inspiration * np.bincount(slot.take(ad), w_slot.take(ad),
                                    minlength=n * n_p).reshape(n, n_p)
    np.minimum(ins, 1.0, out=ins)
    state.knowledge += delta
    state.inspiration += ins * (1 - state.inspiration)
    e = flatnonzero(adopted | (st == TRYING))
    if e.size:
        edge = e // n_p
        practice = e - edge * n_p
        src_slot = src.take(edge) * n_p + practice
        learn_versions_flat(state, slot.take(e), state.version.reshape(-1).take(src_slot),
                                  state.quality.reshape(-1).take(src_slot),
                                  state.perceived.reshape(-1).take(src_slot))
    return float(delta.sum())


def meet_new_partners(state: State, scenario: Scenario, rng: np.random.Generator,
                      week: int) -> int:
    """Staff meet people from other schools and may form informal ties; return how many
    formed (see the module docstring)."""
    groups = state.groups()
    people = groups.school_rows
    if people.size < 2:
        return 0
    meet = people[rng.random(people.size) < scenario.talk.new_partner_prob]
    if meet.size == 0:
        return 0
    other = people[rng.integers(0, people.size, meet.size)]
    accept = rng.random(meet.size) < 1.0 - scenario.network.homophily * background_distance(
        state, meet, other)
    keep = accept & (state.school[meet] != state.school[other])
    i, j = meet[keep], other[keep]
    if i.size == 0:
        return 0
    ensure(state.member_ties, i, j, scenario.trust.initial, week)
    return int(i.size)


def talk(state: State, scenario: Scenario, rng: np.random.Generator,
         week: int) -> dict[str, float]:
    """One week of collegial talk; return counters."""
    cfg = scenario.talk
    col: sparse.csr_array = state.colleagues
    dst_parts, src_parts, w_parts, deg_parts = [], [], [], []
    if col.nnz:
        used = flatnonzero(rng.random(col.nnz) < cfg.talk_prob)
        dst, src = state.colleague_rows().take(used), col.indices.take(used)
        if not state.groups().all_present:
            ok = flatnonzero(state.present[dst] & state.present[src])
            used, dst, src = used.take(ok), dst.take(ok), src.take(ok)
        dst_parts.append(dst)
        src_parts.append(src)
        w_parts.append(col.data.take(used))
        deg_parts.append(state.colleague_degree().take(dst))
    if cfg.new_partner_prob > 0:
        meet_new_partners(state, scenario, rng, week)
    ties = state.member_ties
    if len(ties) and cfg.member_tie_talk_prob > 0:
        degree = ties.degree()
        busy = np.maximum(degree[ties.a], degree[ties.b])
        p = cfg.member_tie_talk_prob * ties.trust * np.minimum(1.0, cfg.partner_budget
                                                               / np.maximum(busy, 1))
        use = flatnonzero(rng.random(p.size) < p)
        if not state.groups().all_present:
            use = use[state.present[ties.a[use]] & state.present[ties.b[use]]]
        if use.size:
            a, b, w = ties.a[use], ties.b[use], ties.trust[use]
            dst_parts += [a, b]
            src_parts += [b, a]
            w_parts += [w, w]
            deg_parts += [np.minimum(degree[a], cfg.partner_budget),
                          np.minimum(degree[b], cfg.partner_budget)]
            ties.last_contact[use] = week
            if cfg.tie_growth > 0:
                similar = 1.0 - background_distance(state, a, b)
                ties.trust[use] = w + cfg.tie_growth * similar * (1 - w)
    if not dst_parts:
        return {"talk_knowledge": 0.0}
    gained = exchange_over_edges(state, np.concatenate(dst_parts), np.concatenate(src_parts),
                                 np.concatenate(w_parts), np.concatenate(deg_parts),
                                 cfg.knowledge_rate, cfg.inspiration)
    return {"talk_knowledge": gained}


# digital (share)

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
        learn_versions_flat(state, slot, pool_v.take(pick), pool_q.take(pick), pool_pq.take(pick))
        out["reads"] += float(readers.size)
    return out


# distance (pair_distance)


def pair_distance(state: State, scenario: Scenario, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """:func:`netsim.mechanisms.distance.pair_distance` as NumPy operations."""
    w = scenario.network.background_weight
    background = background_distance(state, i, j)
    if w >= 1.0:
        return background
    x = state.knowledge + state.know_how
    practice = np.abs(np.take(x, i, axis=0) - np.take(x, j, axis=0)).mean(axis=1) * 0.5
    return w * background + (1 - w) * practice

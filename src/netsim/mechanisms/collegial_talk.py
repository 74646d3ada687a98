"""Collegial talk: weekly informal exchange between colleagues, weighted by trust.

Each week every directed collegial tie (j → i) is used with probability ``talk.talk_prob``.
Through the ties used, person *i*

- closes ``knowledge_rate * t_ij / d_i`` of each positive gap to *j*'s explicit knowledge
  (``d_i`` is *i*'s number of colleagues, ``t_ij`` the tie's trust);
- gains inspiration ``talk.inspiration * t_ij / d_i`` for each practice *j* has adopted;
- hears of the versions *j* is trying or has adopted (the best one heard wins).

Cross-school ties (formed at gatherings, or informal) are used the same way with weekly
probability ``talk.member_tie_talk_prob * t * min(1, B / n)``, where ``t`` is the tie's trust,
``B = talk.partner_budget`` and ``n`` the larger number of cross-school ties at the tie's two
ends: trusted partners are talked to more, and someone with more partners than they have time
for talks with each less often (seed 000: lack of time). A use refreshes the tie (no decay that
week) and grows its trust by ``talk.tie_growth * s * (1 - t)``, ``s = 1 - b_ij`` the
partners' similarity of background (``b`` of :mod:`netsim.mechanisms.distance`). With
``trust.decay``
this makes a few trusted, mostly similar partners out of many acquaintances: significant
networks (seed 000, Roxå & Mårtensson 2009; "birds of a feather", Poole et al. 2019).

**New partners** (:func:`meet_new_partners`): each week every staff member meets someone from
another school with probability ``talk.new_partner_prob``; a tie (trust ``trust.initial``)
forms with probability ``1 - network.homophily * b_ij``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from netsim.config import Scenario
from netsim.mechanisms.distance import background_distance
from netsim.state import ADOPTED, TRYING, State, flatnonzero, slots

__all__ = ["exchange_over_edges", "meet_new_partners", "talk"]


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
        state.learn_versions_flat(slot.take(e), state.version.reshape(-1).take(src_slot),
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
    state.member_ties.ensure(i, j, scenario.trust.initial, week)
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

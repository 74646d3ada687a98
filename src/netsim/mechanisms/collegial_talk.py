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

The week runs as compiled loops (:mod:`netsim.kernels`): :func:`_talk_week` picks the ties
used and runs :func:`_exchange` over them, :func:`_new_partners` forms the new ties; the draws
stay in :func:`talk` and :func:`meet_new_partners`, in the rule's order.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from netsim.config import Scenario
from netsim.kernels import kernel
from netsim.mechanisms.distance import background_distance_of
from netsim.state import ADOPTED, SWITCH_MARGIN, TRYING, State, hear_versions

__all__ = ["exchange_over_edges", "meet_new_partners", "talk"]

_NO_DRAWS = np.empty(0)


@kernel
def _exchange(knowledge: np.ndarray, inspiration: np.ndarray, stage: np.ndarray,
              version: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
              bonus: np.ndarray, margin: float, dst: np.ndarray, src: np.ndarray,
              weight: np.ndarray, degree: np.ndarray, knowledge_rate: float,
              inspiration_rate: float) -> float:
    """Knowledge, inspiration and versions flow ``src[e] -> dst[e]`` over every edge ``e``.

    The edge's weight is ``w = weight[e] / max(degree[e], 1)``. For each practice the receiver
    collects ``w * max(0, k_src - k_dst)`` of knowledge gap and ``w`` of inspiration from a
    source who has adopted it, summed over the edges in input order (the order NumPy's
    ``bincount`` summed in). Then, per (person, practice), knowledge grows by
    ``min(knowledge_rate * gaps, 1 - k)`` and inspiration by ``min(1, inspiration_rate *
    adopters) * (1 - i)``; finally the receivers hear of every version their sources are trying
    or have adopted (:func:`netsim.state.hear_versions`, entries edge by edge, practice by
    practice, read before any is applied). Returns the total knowledge gained.
    """
    m = dst.size
    if m == 0:
        return 0.0
    n_p = knowledge.shape[1]
    kn, ins = knowledge.reshape(-1), inspiration.reshape(-1)
    st, ver = stage.reshape(-1), version.reshape(-1)
    qual, own = quality.reshape(-1), perceived.reshape(-1)
    gaps = np.zeros(kn.size)
    adopters = np.zeros(kn.size)
    news = np.empty(m, dtype=np.int64)  # the edges whose source tries or holds a version
    n_news = heard = 0
    for e in range(m):
        w = weight[e] / max(degree[e], 1)
        d, s = dst[e] * n_p, src[e] * n_p
        any_news = False
        for p in range(n_p):
            gap = kn[s + p] - kn[d + p]
            if gap < 0.0:
                gap = 0.0
            gaps[d + p] += gap * w
            if st[s + p] == ADOPTED:
                adopters[d + p] += w
                heard += 1
                any_news = True
            elif st[s + p] == TRYING:
                heard += 1
                any_news = True
        news[n_news] = e  # kept when it has news (no branch)
        n_news += any_news
    # the total gained, in 8 running sums (one sum would chain every addition to the last
    # and take most of this loop's time); a counter, so it may differ from NumPy's pairwise
    # sum in the last bit
    gained = np.zeros(8)
    for f in range(kn.size):
        delta = gaps[f] * knowledge_rate
        room = 1 - kn[f]
        if room < delta or room != room:  # np.minimum: NaN propagates
            delta = room
        kn[f] += delta
        gained[f & 7] += delta
        inspired = inspiration_rate * adopters[f]
        if inspired > 1.0:
            inspired = 1.0
        ins[f] += inspired * (1 - ins[f])
    if heard:  # the versions the sources try or hold, as they were before anyone heard
        slot = np.empty(heard, dtype=np.int64)
        v = np.empty(heard, dtype=ver.dtype)
        q = np.empty(heard)
        r = np.empty(heard)
        h = 0
        for i in range(n_news):
            e = news[i]
            d, s = dst[e] * n_p, src[e] * n_p
            for p in range(n_p):
                if st[s + p] == ADOPTED or st[s + p] == TRYING:
                    slot[h], v[h], q[h], r[h] = d + p, ver[s + p], qual[s + p], own[s + p]
                    h += 1
        hear_versions(slot, v, q, r, bonus, margin, version, quality, perceived, stage)
    return gained.sum()


def exchange_over_edges(state: State, dst: np.ndarray, src: np.ndarray, weight: np.ndarray,
                        degree: np.ndarray, knowledge_rate: float, inspiration: float) -> float:
    """Knowledge, inspiration and versions flow src → dst over the given edges.

    ``degree`` is, per edge, the number of ties of the receiving person in that layer (the
    edge's weight is divided by it). Returns the total explicit knowledge gained. The rule, as
    one loop over the edges: :func:`_exchange`.
    """
    if not dst.size == src.size == weight.size == degree.size:
        raise ValueError(f"one source, weight and degree per edge: {dst.size} receivers, "
                         f"{src.size} sources, {weight.size} weights, {degree.size} degrees")
    if dst.size == 0:
        return 0.0
    return _exchange(state.knowledge, state.inspiration, state.stage, state.version,
                     state.quality, state.perceived, state._bonus, SWITCH_MARGIN, dst, src,
                     weight, degree, knowledge_rate, inspiration)


@kernel
def _talk_week(u_colleague: np.ndarray, talk_prob: float, rows: np.ndarray,
               indices: np.ndarray, data: np.ndarray, n_colleagues: np.ndarray,
               present: np.ndarray, u_tie: np.ndarray, tie_talk_prob: float, budget: float,
               a: np.ndarray, b: np.ndarray, trust: np.ndarray, tie_degree: np.ndarray,
               last_contact: np.ndarray, week: int, tie_growth: float, form: np.ndarray,
               trait: np.ndarray, knowledge: np.ndarray, inspiration: np.ndarray,
               stage: np.ndarray, version: np.ndarray, quality: np.ndarray,
               perceived: np.ndarray, bonus: np.ndarray, margin: float,
               knowledge_rate: float, inspiration_rate: float) -> float:
    """The ties used this week (see the module docstring), then the exchange over them.

    Collegial entry ``c`` (receiver ``rows[c]``, source ``indices[c]``, trust ``data[c]``: the
    entries of ``colleagues``) is used when ``u_colleague[c] < talk_prob`` and both are
    present; its weight is the tie's trust over the receiver's number of colleagues
    ``n_colleagues``. Cross-school tie ``t`` (``a[t] < b[t]``, one draw ``u_tie[t]`` each;
    ``u_tie`` empty: no cross-school talk) is used when ``u_tie[t] < tie_talk_prob * trust *
    min(1, budget / max(1, n))`` (``n`` the larger degree of its two ends) and both are
    present: it carries talk both ways, weighted by its trust (before this week's growth) over
    ``min(degree, budget)`` of the receiver; its last contact becomes ``week`` and its trust
    grows by ``tie_growth * (1 - b_ab) * (1 - trust)`` (``b_ab``:
    :func:`netsim.mechanisms.distance.background_distance`). Edges are exchanged
    (:func:`_exchange`) in the order colleagues (entry by entry), ties ``b -> a``, ties
    ``a -> b``: the order of the sums.
    """
    n_ties = u_tie.size
    used = np.empty(n_ties, dtype=np.int64)
    n_used = 0
    for t in range(n_ties):
        busy = max(tie_degree[a[t]], tie_degree[b[t]], 1)
        share = 1.0 if busy <= budget else budget / busy  # min(1, B / n) without a division
        used[n_used] = t  # kept when used (no branch)
        n_used += (u_tie[t] < tie_talk_prob * trust[t] * share) & present[a[t]] & present[b[t]]
    m_max = indices.size + 2 * n_used
    dst = np.empty(m_max, dtype=np.int64)
    src = np.empty(m_max, dtype=np.int64)
    weight = np.empty(m_max)
    degree = np.empty(m_max)
    m = 0
    # the collegial entries drawn, kept without a branch (a speed trick: a branch on a random
    # draw is mispredicted a third of the time), then those whose ends are both present
    drawn = np.empty(u_colleague.size, dtype=np.int64)
    n_drawn = 0
    for c in range(u_colleague.size):
        drawn[n_drawn] = c
        n_drawn += u_colleague[c] < talk_prob
    for k in range(n_drawn):
        c = drawn[k]
        i, j = rows[c], indices[c]
        if present[i] and present[j]:
            dst[m], src[m], weight[m], degree[m] = i, j, data[c], n_colleagues[i]
            m += 1
    for side in range(2):  # receivers a (from b), then receivers b (from a)
        for k in range(n_used):
            t = used[k]
            i, j = (a[t], b[t]) if side == 0 else (b[t], a[t])
            dst[m], src[m], weight[m] = i, j, trust[t]
            degree[m] = min(tie_degree[i], budget)
            m += 1
    for k in range(n_used):
        t = used[k]
        last_contact[t] = week
        if tie_growth > 0:
            w = trust[t]
            similar = 1.0 - background_distance_of(form, trait, a[t], b[t])
            trust[t] = w + tie_growth * similar * (1 - w)
    return _exchange(knowledge, inspiration, stage, version, quality, perceived, bonus, margin,
                     dst[:m], src[:m], weight[:m], degree[:m], knowledge_rate,
                     inspiration_rate)


@kernel
def _new_partners(people: np.ndarray, u_meet: np.ndarray, meet_prob: float, pick: np.ndarray,
                  u_accept: np.ndarray, homophily: float, school: np.ndarray, form: np.ndarray,
                  trait: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs that form a tie: ``people[i]`` meets when ``u_meet[i] < meet_prob``; the
    ``r``-th to meet meets ``people[pick[r]]`` and they form a tie when ``u_accept[r] < 1 -
    homophily * b`` (``b`` their background distance) and they work at different schools."""
    meet = np.empty(pick.size, dtype=np.int64)
    other = np.empty(pick.size, dtype=np.int64)
    r = n_pairs = 0
    for i in range(people.size):
        if u_meet[i] < meet_prob:
            a, b = people[i], people[pick[r]]
            accept = u_accept[r] < 1.0 - homophily * background_distance_of(form, trait, a, b)
            if accept and school[a] != school[b]:
                meet[n_pairs], other[n_pairs] = a, b
                n_pairs += 1
            r += 1
    return meet[:n_pairs], other[:n_pairs]


def meet_new_partners(state: State, scenario: Scenario, rng: np.random.Generator,
                      week: int) -> int:
    """Staff meet people from other schools and may form informal ties; return how many
    formed (see the module docstring; the loop: :func:`_new_partners`)."""
    people = state.groups().school_rows
    if people.size < 2:
        return 0
    prob = scenario.talk.new_partner_prob
    u_meet = rng.random(people.size)
    n_meet = int(np.count_nonzero(u_meet < prob))
    if n_meet == 0:
        return 0
    pick = rng.integers(0, people.size, n_meet)
    u_accept = rng.random(n_meet)
    i, j = _new_partners(people, u_meet, prob, pick, u_accept, scenario.network.homophily,
                         state.school, state.form, state.trait)
    if i.size == 0:
        return 0
    state.member_ties.ensure(i, j, scenario.trust.initial, week)
    return int(i.size)


def talk(state: State, scenario: Scenario, rng: np.random.Generator,
         week: int) -> dict[str, float]:
    """One week of collegial talk; return counters (the rule: :func:`_talk_week`)."""
    cfg = scenario.talk
    col: sparse.csr_array = state.colleagues
    # draws in the rule's order: collegial ties, new partners, cross-school ties
    u_colleague = rng.random(col.nnz) if col.nnz else _NO_DRAWS
    if cfg.new_partner_prob > 0:
        meet_new_partners(state, scenario, rng, week)
    ties = state.member_ties
    talk_ties = len(ties) > 0 and cfg.member_tie_talk_prob > 0
    u_tie = rng.random(len(ties)) if talk_ties else _NO_DRAWS
    if not col.nnz and not talk_ties:
        return {"talk_knowledge": 0.0}
    gained = _talk_week(
        u_colleague, cfg.talk_prob, state.colleague_rows(), col.indices, col.data,
        state.colleague_degree(), state.present, u_tie, cfg.member_tie_talk_prob,
        float(cfg.partner_budget), ties.a, ties.b, ties.trust,
        ties.degree() if talk_ties else ties.a, ties.last_contact, week, cfg.tie_growth,
        state.form, state.trait, state.knowledge, state.inspiration, state.stage,
        state.version, state.quality, state.perceived, state._bonus, SWITCH_MARGIN,
        cfg.knowledge_rate, cfg.inspiration)
    return {"talk_knowledge": gained}

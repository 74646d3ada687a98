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
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    SWITCH_MARGIN,
    TRYING,
    UNAWARE,
    State,
    _sorts_before,
)

__all__ = ["exchange_over_edges", "meet_new_partners", "talk"]

_NO_DRAWS = np.empty(0)


@kernel
def _exchange(knowledge: np.ndarray, inspiration: np.ndarray, stage: np.ndarray,
              version: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
              bonus: np.ndarray, margin: float, receiver: np.ndarray, start: np.ndarray,
              src: np.ndarray, w: np.ndarray, knowledge_rate: float,
              inspiration_rate: float, spare: np.ndarray) -> float:
    """Knowledge, inspiration and versions flow to each receiver over their edges.

    Receiver ``receiver[r]`` (each at most once, in rising order) has the edges ``start[r]``
    to ``start[r + 1] - 1``: from source ``src[e]`` with weight ``w[e]`` (the tie's weight
    over the receiver's number of ties). For each practice the receiver collects ``w * max(0,
    k_src - k_dst)`` of knowledge gap and ``w`` of inspiration from a source who has adopted
    it, summed over their edges in order (the order NumPy's ``bincount`` summed in). Then
    knowledge grows by ``min(knowledge_rate * gaps, 1 - k)`` and inspiration by ``min(1,
    inspiration_rate * adopters) * (1 - i)``, and the receiver hears of every version their
    sources are trying or have adopted (the rule of :func:`netsim.state.hear_versions`: the
    entries edge by edge, practice by practice; of those taken, the best judged wins, the last
    of equals). Every source is read as it was before anyone received anything. Returns the
    total knowledge gained.

    People no edge reaches are not visited: the rule adds nothing to them (0 for knowledge in
    [0, 1], inspiration 0 * (1 - i)), so the state is the same as if every slot were updated.

    ``spare``: an array of floats the caller no longer needs (this week's spent draws), used
    to hold the receivers' new knowledge while the sources are still being read when it has
    room for ``receiver.size * n_p`` values (a speed trick: see below); too small (or empty),
    and an array is allocated.
    """
    n_p = knowledge.shape[1]
    # flat indices are unsigned in the loops below (a speed trick: Numba checks a signed
    # index for a negative value to wrap around, three more instructions on every access of
    # the inner loop, and that keeps LLVM from seeing the practices of a row side by side;
    # the indices are rows times n_p plus a practice, never negative)
    n_pu = np.uint64(n_p)
    kn, ins = knowledge.reshape(-1), inspiration.reshape(-1)
    st, ver = stage.reshape(-1), version.reshape(-1)
    qual, own = quality.reshape(-1), perceived.reshape(-1)
    # The sources are read as they were: the receivers' new knowledge is kept aside, row by
    # row, and written once everyone has been read. A speed trick, exact (the same values,
    # written later): a copy of the whole (people x practices) array each week cost a fresh
    # 4.8 MB at 100,000 people (about 1,200 page faults a week); the spent draws it is kept in
    # are already in memory.
    n_new = receiver.size * n_p
    new_k = spare[:n_new] if spare.size >= n_new else np.empty(n_new)
    last = bonus.size - 1
    gaps = np.empty(n_p)
    adopters = np.empty(n_p)
    best = np.empty(n_p, dtype=np.int64)  # the winning entry's source slot, -1 none yet
    best_judged = np.empty(n_p)
    # (receiver slot, source slot) of each slot's winner, applied once everyone has been read
    won = np.empty(receiver.size * n_p, dtype=np.int64)
    won_from = np.empty(receiver.size * n_p, dtype=np.int64)
    n_won = 0
    # the total gained, in 8 running sums by slot (one sum would chain every addition to the
    # last); a counter, so it may differ from NumPy's pairwise sum in the last bit
    gained = np.zeros(8)
    for r in range(receiver.size):
        d = np.uint64(receiver[r]) * n_pu
        for p in range(n_pu):
            gaps[p] = adopters[p] = 0.0
            best[p] = -1
        for e in range(start[r], start[r + 1]):
            s, we = np.uint64(src[e]) * n_pu, w[e]
            for p in range(n_pu):
                gap = kn[s + p] - kn[d + p]
                gaps[p] += (0.0 if gap < 0.0 else gap) * we
                # adding 0.0 leaves the sum's bits as they were (it starts at +0.0, so it is
                # never -0.0): a select instead of a branch on the stage (a speed trick)
                a = st[s + p]
                adopters[p] += we if a == ADOPTED else 0.0
                if a < TRYING or a > ADOPTED:  # only those trying or adopted tell of versions
                    continue
                # hear of the version (hear_versions' rule for one entry)
                judged = own[s + p]
                if last > 0:  # only codified versions get a bonus
                    judged = own[s + p] + bonus[min(max(ver[s + p] + 1, 0), last)]
                mine = st[d + p]
                if mine == UNAWARE or (judged > own[d + p] + margin and mine != TRYING):
                    if best[p] < 0 or not _sorts_before(judged, best_judged[p]):
                        best[p], best_judged[p] = s + p, judged  # the last of equals wins
        o = np.uint64(r) * n_pu
        for p in range(n_pu):
            f = d + p
            delta = gaps[p] * knowledge_rate
            room = 1 - kn[f]
            if room < delta or room != room:  # np.minimum: NaN propagates
                delta = room
            new_k[o + p] = kn[f] + delta
            gained[f & np.uint64(7)] += delta
            inspired = inspiration_rate * adopters[p]
            if inspired > 1.0:
                inspired = 1.0
            ins[f] += inspired * (1 - ins[f])
            won[n_won], won_from[n_won] = f, best[p]
            n_won += best[p] >= 0  # kept when a version won (no branch)
    for r in range(receiver.size):  # everyone has been read: the new knowledge
        d, o = np.uint64(receiver[r]) * n_pu, np.uint64(r) * n_pu
        for p in range(n_pu):
            kn[d + p] = new_k[o + p]
    # the winners' versions, read before any is written (a source may also be a receiver)
    new_v = np.empty(n_won, dtype=ver.dtype)
    new_q = np.empty(n_won)
    new_r = np.empty(n_won)
    for i in range(n_won):
        s = won_from[i]
        new_v[i], new_q[i], new_r[i] = ver[s], qual[s], own[s]
    for i in range(n_won):
        f = won[i]
        ver[f], qual[f], own[f] = new_v[i], new_q[i], new_r[i]
        if st[f] == UNAWARE or st[f] == DROPPED:
            st[f] = AWARE
    return gained.sum()


@kernel
def _by_receiver(dst: np.ndarray, src: np.ndarray, weight: np.ndarray, degree: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The edges grouped by receiver for :func:`_exchange`, each receiver's in input order:
    receivers, their first edges, sources, weights ``weight / max(degree, 1)``."""
    order = np.argsort(dst, kind="mergesort")  # stable
    m = dst.size
    receiver = np.empty(m, dtype=np.int64)
    start = np.empty(m + 1, dtype=np.int64)
    by_src = np.empty(m, dtype=np.int64)
    w = np.empty(m)
    n_r = 0
    for k in range(m):
        e = order[k]
        if k == 0 or dst[e] != receiver[n_r - 1]:
            receiver[n_r], start[n_r] = dst[e], k
            n_r += 1
        by_src[k], w[k] = src[e], weight[e] / max(degree[e], 1)
    start[n_r] = m
    return receiver[:n_r], start[:n_r + 1], by_src, w


def exchange_over_edges(state: State, dst: np.ndarray, src: np.ndarray, weight: np.ndarray,
                        degree: np.ndarray, knowledge_rate: float, inspiration: float) -> float:
    """Knowledge, inspiration and versions flow src → dst over the given edges.

    ``degree`` is, per edge, the number of ties of the receiving person in that layer (the
    edge's weight is divided by it). Returns the total explicit knowledge gained. The rule, as
    one loop over the receivers and their edges: :func:`_exchange`.
    """
    if not dst.size == src.size == weight.size == degree.size:
        raise ValueError(f"one source, weight and degree per edge: {dst.size} receivers, "
                         f"{src.size} sources, {weight.size} weights, {degree.size} degrees")
    if dst.size == 0:
        return 0.0
    receiver, start, by_src, w = _by_receiver(dst, src, weight, degree)
    return _exchange(state.knowledge, state.inspiration, state.stage, state.version,
                     state.quality, state.perceived, state._bonus, SWITCH_MARGIN, receiver,
                     start, by_src, w, knowledge_rate, inspiration, _NO_DRAWS)


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
    entries of ``colleagues``, row by row) is used when ``u_colleague[c] < talk_prob`` and both
    are present; its weight is the tie's trust over the receiver's number
    of colleagues ``n_colleagues``. Cross-school tie ``t`` (``a[t] < b[t]``, one draw
    ``u_tie[t]`` each; ``u_tie`` empty: no cross-school talk) is used when ``u_tie[t] <
    tie_talk_prob * trust * min(1, budget / max(1, n))`` (``n`` the larger degree of its two
    ends) and both are present: it carries talk both ways, weighted by its trust (before this
    week's growth) over ``min(degree, budget)`` of the receiver; its last contact becomes
    ``week`` and its trust grows by ``tie_growth * (1 - b_ab) * (1 - trust)`` (``b_ab``:
    :func:`netsim.mechanisms.distance.background_distance`). Each receiver's edges are
    exchanged (:func:`_exchange`) in the order colleagues (entry by entry), ties from ``b``,
    ties from ``a`` (each in tie order): the order of the sums. The draws ``u_colleague`` are
    spent by then: the exchange overwrites them (its ``spare``).
    """
    n_ties = u_tie.size
    used = np.empty(n_ties, dtype=np.int64)
    n_used = 0
    for t in range(n_ties):
        # trust and share are at most 1: a draw at or above tie_talk_prob * trust is not
        # below the tie's probability (a speed trick: most ties skip the degree look-ups)
        if not u_tie[t] < tie_talk_prob * trust[t]:
            continue
        busy = max(tie_degree[a[t]], tie_degree[b[t]], 1)
        share = 1.0 if busy <= budget else budget / busy  # min(1, B / n) without a division
        used[n_used] = t  # kept when used (no branch)
        n_used += (u_tie[t] < tie_talk_prob * trust[t] * share) & present[a[t]] & present[b[t]]
    # the ties' edges, receivers a (from b) then receivers b (from a), sorted by receiver
    # (stable: each receiver's in that order)
    tie_dst = np.empty(2 * n_used, dtype=np.int64)
    tie_src = np.empty(2 * n_used, dtype=np.int64)
    tie_w = np.empty(2 * n_used)
    for e in range(2 * n_used):
        t = used[e % n_used]
        i, j = (a[t], b[t]) if e < n_used else (b[t], a[t])
        tie_dst[e], tie_src[e] = i, j
        tie_w[e] = trust[t] / max(min(tie_degree[i], budget), 1)
    order = np.argsort(tie_dst, kind="mergesort")
    for k in range(n_used):
        t = used[k]
        last_contact[t] = week
        if tie_growth > 0:
            w = trust[t]
            similar = 1.0 - background_distance_of(form, trait, a[t], b[t])
            trust[t] = w + tie_growth * similar * (1 - w)
    # every receiver's edges go into src and weight, from the front; the collegial entries
    # drawn are listed first in the tail of src (a speed trick: no array of their own, which at
    # 100,000 people was a fresh 4.7 MB a week). The edges written before entry q is read are
    # at most its q predecessors and the 2 * n_used cross-school ones, so none overwrites an
    # entry still to be read.
    src = np.empty(u_colleague.size + 2 * n_used, dtype=np.int64)
    drawn = src[2 * n_used:]
    # the collegial entries drawn, kept without a branch (a speed trick: a branch on a random
    # draw is mispredicted a third of the time)
    n_drawn = 0
    for c in range(u_colleague.size):
        drawn[n_drawn] = c
        n_drawn += u_colleague[c] < talk_prob
    # receivers in rising order (collegial entries come by row): the entries drawn whose ends
    # are both present, then the cross-school ones
    m_max = n_drawn + 2 * n_used
    receiver = np.empty(m_max, dtype=np.int64)
    start = np.empty(m_max + 1, dtype=np.int64)
    weight = np.empty(m_max)
    m = n_r = k = 0
    for q in range(n_drawn + 1):
        i = rows[drawn[q]] if q < n_drawn else -1  # -1: the end
        if q < n_drawn and not (present[i] and present[indices[drawn[q]]]):
            continue
        if n_r == 0 or i != receiver[n_r - 1]:  # a new receiver: the last one's ties first
            while k < order.size and (n_r > 0 and tie_dst[order[k]] == receiver[n_r - 1]):
                src[m], weight[m] = tie_src[order[k]], tie_w[order[k]]
                m, k = m + 1, k + 1
            # then those who only receive over cross-school ties, up to this receiver
            while k < order.size and (i < 0 or tie_dst[order[k]] < i):
                if n_r == 0 or tie_dst[order[k]] != receiver[n_r - 1]:
                    receiver[n_r], start[n_r] = tie_dst[order[k]], m
                    n_r += 1
                src[m], weight[m] = tie_src[order[k]], tie_w[order[k]]
                m, k = m + 1, k + 1
            if i < 0:
                break
            receiver[n_r], start[n_r] = i, m
            n_r += 1
        c = drawn[q]
        src[m], weight[m] = indices[c], data[c] / max(n_colleagues[i], 1)
        m += 1
    start[n_r] = m
    return _exchange(knowledge, inspiration, stage, version, quality, perceived, bonus, margin,
                     receiver[:n_r], start[:n_r + 1], src[:m], weight[:m], knowledge_rate,
                     inspiration_rate, u_colleague)  # the draws are spent: spare memory


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

"""Collegial talk: weekly informal exchange between colleagues, weighted by trust.

Each week every directed collegial tie (j → i) is used with probability ``talk.talk_prob``.
Through the ties used, person *i*

- closes ``knowledge_rate * t_ij / d_i`` of each positive gap to *j*'s explicit knowledge
  (``d_i`` is *i*'s number of colleagues, ``t_ij`` the tie's trust);
- gains inspiration ``talk.inspiration * t_ij / d_i`` for each practice *j* has adopted;
- hears of the versions *j* is trying or has adopted (the best one heard wins).

Strong cross-school ties between members (trust >= ``trust.strong``) are used the same way
with weekly probability ``talk.member_tie_talk_prob``; use refreshes the tie (no decay that
week). This is how significant networks live on without formal meetings (seed 000, Roxå &
Mårtensson 2009).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from netsim.config import Scenario
from netsim.state import Stage, State, scatter_add

__all__ = ["exchange_over_edges", "talk"]


def exchange_over_edges(state: State, dst: np.ndarray, src: np.ndarray, weight: np.ndarray,
                        degree: np.ndarray, knowledge_rate: float, inspiration: float) -> float:
    """Knowledge, inspiration and versions flow src → dst over the given edges.

    Returns the total explicit knowledge gained.
    """
    if dst.size == 0:
        return 0.0
    kd, ks = state.knowledge[dst], state.knowledge[src]
    n = state.n_people
    w = (weight / np.maximum(degree[dst], 1))[:, None]
    delta = scatter_add(dst, knowledge_rate * w * np.maximum(ks - kd, 0), n)
    adopted = state.stage[src] == Stage.ADOPTED
    ins = scatter_add(dst, inspiration * w * adopted, n)
    delta = np.minimum(delta, 1 - state.knowledge)
    state.knowledge += delta
    state.inspiration += np.minimum(ins, 1.0) * (1 - state.inspiration)
    st = state.stage[src]
    r, c = np.nonzero((st == Stage.ADOPTED) | (st == Stage.TRYING))
    if r.size:
        state.learn_versions(dst[r], c, state.version[src[r], c], state.quality[src[r], c])
    return float(delta.sum())


def talk(state: State, scenario: Scenario, rng: np.random.Generator,
         week: int) -> dict[str, float]:
    """One week of collegial talk; return counters."""
    cfg = scenario.talk
    col: sparse.csr_array = state.colleagues
    out = {"talk_knowledge": 0.0}
    if col.nnz:
        used = rng.random(col.nnz) < cfg.talk_prob
        rows = state.colleague_rows()
        dst, src, w = rows[used], col.indices[used], col.data[used]
        ok = state.present[dst] & state.present[src]
        degree = np.diff(col.indptr)
        out["talk_knowledge"] = exchange_over_edges(state, dst[ok], src[ok], w[ok], degree,
                                                    cfg.knowledge_rate, cfg.inspiration)
    ties = state.member_ties
    if len(ties) and cfg.member_tie_talk_prob > 0:
        strong = np.flatnonzero(ties.trust >= scenario.trust.strong)
        use = strong[rng.random(strong.size) < cfg.member_tie_talk_prob]
        if use.size:
            a, b, w = ties.a[use], ties.b[use], ties.trust[use]
            degree = ties.strong_degree(scenario.trust.strong)
            out["talk_knowledge"] += exchange_over_edges(
                state, np.r_[a, b], np.r_[b, a], np.r_[w, w], degree, cfg.knowledge_rate,
                cfg.inspiration)
            ties.last_contact[use] = week
    return out

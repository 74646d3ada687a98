"""Motivation and trust dynamics, weekly.

- **Trust decay.** Cross-school ties not used this week (no gathering group, co-creation or
  talk) lose ``trust.decay`` of their trust: ``t *= 1 - decay``. Trust thus grows with repeated
  contact and fades without it (seed 001 §5.3.6).
- **Significant-tie cap.** A person keeps at most ``trust.max_strong_ties`` strong ties
  (trust >= ``trust.strong``); the weakest excess ties fall just below the strong level
  (fewer than 10 significant partners, seed 000; Roxå & Mårtensson 2009).
- **Motivation** relaxes at ``motivation.relax_rate`` towards the baseline
  ``intrinsic * (0.5 + 0.5 * owner_commitment)``: intrinsic interest and external expectation
  reinforce each other multiplicatively (seed 001 §5.3.2). A resource teacher whose leader
  attended the last gathering gains ``leader_backing_gain`` a week (seed 001 §5.3.3).
- **Alignment** between leader and resource teacher decays by ``home.alignment_decay`` a week
  when the leader did not attend the last gathering.
"""

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.state import RESOURCE_TEACHER, State, TieStore, flatnonzero

__all__ = ["cap_strong_ties", "rank_at_ends", "update"]


def rank_at_ends(ties: TieStore, sel: np.ndarray) -> np.ndarray:
    """For the selected ties, the larger of their two ranks by trust at either end (0 = each
    end's most trusted tie among the selected)."""
    ends = np.concatenate([ties.a[sel], ties.b[sel]])
    trust = ties.trust[sel]
    tr = np.concatenate([trust, trust])
    order = np.lexsort((-tr, ends))
    ends_o = ends[order]
    starts = np.empty(ends_o.size, dtype=bool)
    starts[:1] = True
    np.not_equal(ends_o[1:], ends_o[:-1], out=starts[1:])
    idx = np.arange(ends_o.size)
    rank = np.empty(ends.size, dtype=np.int64)
    rank[order] = idx - np.maximum.accumulate(np.where(starts, idx, 0))
    return np.maximum(rank[: sel.size], rank[sel.size:])


def cap_strong_ties(ties: TieStore, strong: float, cap: int) -> int:
    """Demote each person's weakest strong ties beyond ``cap``; return how many were demoted."""
    sel = flatnonzero(ties.trust >= strong)
    if sel.size <= cap or ties.strong_degree(strong).max() <= cap:
        return 0  # nobody is over the cap
    excess = sel[rank_at_ends(ties, sel) >= cap]
    if excess.size:
        ties.trust[excess] = np.nextafter(strong, 0.0)
    return int(excess.size)


def update(state: State, scenario: Scenario, week: int) -> None:
    """Weekly trust decay, strong-tie cap, motivation and alignment dynamics."""
    ties = state.member_ties
    if len(ties):
        idle = ties.last_contact < week
        ties.trust[idle] *= 1 - scenario.trust.decay
        cap_strong_ties(ties, scenario.trust.strong, scenario.trust.max_strong_ties)
    mot = scenario.motivation
    baseline = state.intrinsic * (0.5 + 0.5 * mot.owner_commitment)
    state.motivation += mot.relax_rate * (baseline - state.motivation)
    backed_school = state.leader_attended
    rt = (state.role == RESOURCE_TEACHER) & (state.school >= 0)
    backed = rt.copy()
    backed[rt] = backed_school[state.school[rt]]
    state.motivation[backed] += mot.leader_backing_gain
    # maximum then minimum: what np.clip does, without its Python-level wrapper
    np.minimum(np.maximum(state.motivation, 0.0, out=state.motivation), 1.0, out=state.motivation)
    state.alignment[~state.leader_attended] *= 1 - scenario.home.alignment_decay

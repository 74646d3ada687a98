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

import math

import numpy as np

from netsim.config import Scenario
from netsim.kernels import kernel
from netsim.state import RESOURCE_TEACHER, State, TieStore

__all__ = ["cap_strong_ties", "clip", "rank_at_ends", "update"]


@kernel
def clip(x: float, low: float, high: float) -> float:
    """``np.minimum(np.maximum(x, low), high)`` of one value, NaN and signed zeros as NumPy
    treats them (what ``np.clip`` gives; kernels use it to keep NumPy's results bit for bit)."""
    x = x if (x >= low or x != x) else low
    return x if (x <= high or x != x) else high


def rank_at_ends(ties: TieStore, sel: np.ndarray) -> np.ndarray:
    """For the selected ties, the larger of their two ranks by trust at either end (0 = each
    end's most trusted tie among the selected)."""
    return _rank_at_ends(ties.a, ties.b, ties.trust, np.asarray(sel, dtype=np.int64), ties.n)


@kernel
def _rank_at_ends(a: np.ndarray, b: np.ndarray, trust: np.ndarray, sel: np.ndarray,
                  n: int) -> np.ndarray:
    """:func:`rank_at_ends` on the tie columns. A tie's rank at a person is the number of the
    person's selected ties that are more trusted, or equally trusted and earlier in the order
    (ties where the person is the lower end ``a`` first, then those where it is ``b``, each in
    the order of ``sel``): the order of a stable sort by (person, -trust)."""
    m = sel.size
    # entry e < m: tie sel[e] at its end a; entry m + e: the same tie at its end b
    start = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        start[a[sel[e]] + 1] += 1
        start[b[sel[e]] + 1] += 1
    for p in range(n):
        start[p + 1] += start[p]
    fill = start[:n].copy()
    entries = np.empty(2 * m, dtype=np.int64)  # by person, each in entry order
    for e in range(2 * m):
        p = a[sel[e]] if e < m else b[sel[e - m]]
        entries[fill[p]] = e
        fill[p] += 1
    rank = np.empty(2 * m, dtype=np.int64)
    for p in range(n):
        for i in range(start[p], start[p + 1]):
            t = trust[sel[entries[i] % m]]
            k = 0
            for j in range(start[p], start[p + 1]):
                u = trust[sel[entries[j] % m]]
                if u > t or (u == t and j < i):
                    k += 1
            rank[entries[i]] = k
    out = np.empty(m, dtype=np.int64)
    for e in range(m):
        out[e] = max(rank[e], rank[m + e])
    return out


def cap_strong_ties(ties: TieStore, strong: float, cap: int) -> int:
    """Demote each person's weakest strong ties beyond ``cap``; return how many were demoted."""
    return _cap_strong_ties(ties.a, ties.b, ties.trust, strong, math.nextafter(strong, 0.0),
                            cap, ties.n)


@kernel
def _cap_strong_ties(a: np.ndarray, b: np.ndarray, trust: np.ndarray, strong: float,
                     below: float, cap: int, n: int) -> int:
    """The strong ties (trust >= ``strong``) ranked ``cap`` or worse at either end fall to
    ``below``, just under the strong level; nothing happens while nobody is over the cap."""
    degree = np.zeros(n, dtype=np.int64)
    n_strong = 0
    for i in range(trust.size):
        if trust[i] >= strong:
            n_strong += 1
            degree[a[i]] += 1
            degree[b[i]] += 1
    return _demote_excess(a, b, trust, strong, below, cap, n, n_strong, degree)


@kernel
def _demote_excess(a: np.ndarray, b: np.ndarray, trust: np.ndarray, strong: float,
                   below: float, cap: int, n: int, n_strong: int, degree: np.ndarray) -> int:
    """The part of :func:`_cap_strong_ties` after counting: ``n_strong`` strong ties, ``degree``
    the number of strong ties of each person."""
    if n_strong <= cap or degree.max() <= cap:
        return 0  # nobody is over the cap
    sel = np.empty(n_strong, dtype=np.int64)
    k = 0
    for i in range(trust.size):
        if trust[i] >= strong:
            sel[k] = i
            k += 1
    rank = _rank_at_ends(a, b, trust, sel, n)
    demoted = 0
    for k in range(n_strong):
        if rank[k] >= cap:
            trust[sel[k]] = below
            demoted += 1
    return demoted


def update(state: State, scenario: Scenario, week: int) -> None:
    """Weekly trust decay, strong-tie cap, motivation and alignment dynamics."""
    ties, mot, strong = state.member_ties, scenario.motivation, scenario.trust.strong
    _update(ties.a, ties.b, ties.trust, ties.last_contact, ties.n, week,
            1 - scenario.trust.decay, strong, math.nextafter(strong, 0.0),
            scenario.trust.max_strong_ties,
            state.motivation, state.intrinsic, state.role, state.school, state.leader_attended,
            state.alignment, 0.5 + 0.5 * mot.owner_commitment, mot.relax_rate,
            mot.leader_backing_gain, 1 - scenario.home.alignment_decay)


@kernel
def _update(a: np.ndarray, b: np.ndarray, trust: np.ndarray, last_contact: np.ndarray,
            n: int, week: int, keep: float, strong: float, below: float, cap: int,
            motivation: np.ndarray, intrinsic: np.ndarray, role: np.ndarray, school: np.ndarray,
            leader_attended: np.ndarray, alignment: np.ndarray, commitment: float,
            relax_rate: float, backing_gain: float, alignment_keep: float) -> None:
    """The week of :func:`update` in one call (speed: one dispatch instead of three)."""
    if trust.size:
        # the decay of idle ties and the count of strong ties in one pass over the ties
        # (speed; what _decay_idle, then _cap_strong_ties do)
        degree = np.zeros(n, dtype=np.int64)
        n_strong = 0
        for i in range(trust.size):
            if last_contact[i] < week:
                trust[i] *= keep
            if trust[i] >= strong:
                n_strong += 1
                degree[a[i]] += 1
                degree[b[i]] += 1
        _demote_excess(a, b, trust, strong, below, cap, n, n_strong, degree)
    _motivation_alignment(motivation, intrinsic, role, school, leader_attended, alignment,
                          commitment, relax_rate, backing_gain, alignment_keep)


@kernel
def _decay_idle(trust: np.ndarray, last_contact: np.ndarray, week: int, keep: float) -> None:
    """Ties not used this week keep ``keep = 1 - decay`` of their trust."""
    for i in range(trust.size):
        if last_contact[i] < week:
            trust[i] *= keep


@kernel
def _motivation_alignment(motivation: np.ndarray, intrinsic: np.ndarray, role: np.ndarray,
                          school: np.ndarray, leader_attended: np.ndarray,
                          alignment: np.ndarray, commitment: float, relax_rate: float,
                          backing_gain: float, alignment_keep: float) -> None:
    """Motivation relaxes towards ``intrinsic * commitment`` (``commitment = 0.5 + 0.5 *
    owner_commitment``); resource teachers whose leader attended gain ``backing_gain``;
    clipped to [0, 1]. Alignment keeps ``alignment_keep`` where the leader stayed away."""
    for r in range(motivation.size):
        m = motivation[r] + relax_rate * (intrinsic[r] * commitment - motivation[r])
        k = school[r]
        if role[r] == RESOURCE_TEACHER and k >= 0 and leader_attended[k]:
            m += backing_gain
        motivation[r] = clip(m, 0.0, 1.0)
    for k in range(alignment.size):
        if not leader_attended[k]:
            alignment[k] *= alignment_keep

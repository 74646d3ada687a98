"""Co-creation groups: small cross-school groups of members who trust each other.

Seed 001 §6.2.3 and §6.3.1: the most innovative units were "small and tight groups ... that
grew up within the network", self-formed and without a formal leader (e.g. 4 schools behind a
pupil-council seminar, §5.2.4).

- **Forming** (:func:`form_groups`, after each gathering and every 4 weeks): a tie qualifies
  when its trust is at least ``cocreation.threshold``, both people are trying or using a
  common practice (a shared problem, domain notes §8.3), and it is among the two most trusted
  qualifying ties of both its ends (people work closely with one or two partners; modelling
  choice). Qualifying ties form chains and rings; each connected chain is a group, cut into
  chunks of at most ``max_group_size`` in order of row. Each group's cognitive distance is
  the mean portfolio distance of its pairs of members (:mod:`netsim.mechanisms.distance`:
  background and what they know and do).
- **Working** (:func:`work`, weekly): members close ``cocreation.knowledge_rate`` of the gap to
  the group's best explicit knowledge, hear of the adopted version the group reports best
  (perceived quality), and the ties inside the group are refreshed (no decay that week). Trials
  by members get extra support, and their adaptations are the best-judged of one variant per
  member (selection, see :mod:`netsim.mechanisms.trial`). Each member spends
  ``hours_per_week`` person-hours.
"""

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.mechanisms.distance import pair_distance
from netsim.mechanisms.dynamics import rank_at_ends
from netsim.mechanisms.gathering import group_pairs
from netsim.state import ADOPTED, TRYING, State, flatnonzero, nonzero2

__all__ = ["component_labels", "form_groups", "work"]


def component_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph on ``n`` nodes with edges ``a[i] - b[i]``: each node's
    label is the smallest node of its component (so components sort as in
    ``scipy.sparse.csgraph.connected_components``, without building a sparse matrix each time).

    Min-label propagation with pointer jumping; the number of rounds grows with the log of the
    longest chain.
    """
    label = np.arange(n)
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        while True:  # pointer jumping: follow labels to their roots
            jumped = new[new]
            if (jumped == new).all():
                break
            new = jumped
        if (new == label).all():
            return label
        label = new


def _rank_sorted(values: np.ndarray) -> np.ndarray:
    """Index of each value among the distinct values of a non-decreasing array (what
    ``np.unique(values, return_inverse=True)[1]`` gives, without sorting again)."""
    if values.size == 0:
        return np.empty(0, dtype=np.int64)
    new = np.empty(values.size, dtype=np.int64)
    new[0] = 0
    np.not_equal(values[1:], values[:-1], out=new[1:], casting="unsafe")
    return np.cumsum(new)


def form_groups(state: State, scenario: Scenario) -> int:
    """Recompute co-creation groups from the trust network; return the number of groups."""
    cfg = scenario.cocreation
    state.cocreation_group[:] = -1
    ties = state.member_ties
    if not len(ties):
        state.group_distance = np.empty(0)
        return 0
    a, b = ties.a, ties.b
    strong = (ties.trust >= cfg.threshold) & state.present[a] & state.present[b]
    if strong.any():  # a shared practice interest: both trying or using a common practice
        active = (state.stage == TRYING) | (state.stage == ADOPTED)
        sel = flatnonzero(strong)
        strong[sel] = (active[a[sel]] & active[b[sel]]).any(axis=1)
    if not strong.any():
        state.group_distance = np.empty(0)
        return 0
    sel = flatnonzero(strong)
    sel = sel[rank_at_ends(ties, sel) < 2]
    labels = component_labels(state.n_people, a[sel], b[sel])
    involved = np.zeros(state.n_people, dtype=bool)
    involved[a[sel]] = involved[b[sel]] = True
    involved = flatnonzero(involved)
    comp = labels[involved]
    order = np.lexsort((involved, comp))
    involved, comp = involved[order], comp[order]
    starts = np.concatenate([[True], comp[1:] != comp[:-1]])
    pos = np.arange(comp.size) - np.maximum.accumulate(np.where(starts, np.arange(comp.size), 0))
    chunk = pos // cfg.max_group_size
    key = comp * (comp.size + 1) + chunk
    gid = _rank_sorted(key)
    sizes = np.bincount(gid)
    solo = sizes[gid] < 2
    gid = np.where(solo, -1, gid)
    keep = ~solo
    gid_c = _rank_sorted(gid[keep])
    state.cocreation_group[involved[keep]] = gid_c
    n_groups = int(gid_c.max()) + 1 if gid_c.size else 0
    dist = np.zeros(n_groups)
    if n_groups:
        members = involved[keep]
        pa, pb = group_pairs(gid_c)
        d = pair_distance(state, scenario, members[pa], members[pb])
        dist = np.bincount(gid_c[pa], d, minlength=n_groups) / np.maximum(
            np.bincount(gid_c[pa], minlength=n_groups), 1)
    state.group_distance = dist
    return n_groups


def work(state: State, scenario: Scenario, rng: np.random.Generator,
         week: int) -> dict[str, float]:
    """One week of co-creation work; return counters."""
    cfg = scenario.cocreation
    members = flatnonzero((state.cocreation_group >= 0) & state.present)
    out = {"cocreation_groups": float(state.group_distance.size), "person_hours": 0.0,
           "cocreation_members": float(members.size)}
    if members.size == 0:
        return out
    g = state.cocreation_group[members]
    n_groups = int(g.max()) + 1
    n_p = state.n_practices
    knowledge = np.take(state.knowledge, members, axis=0)
    best = np.zeros((n_groups, n_p))
    np.maximum.at(best, g, knowledge)
    gap = np.maximum(np.take(best, g, axis=0) - knowledge, 0)
    state.knowledge[members] = knowledge + cfg.knowledge_rate * gap
    # share the best adopted version within each group
    adopted = np.take(state.stage, members, axis=0) == ADOPTED
    q = np.where(adopted, np.take(state.perceived, members, axis=0), -1e9)
    best_q = np.full((n_groups, n_p), -1e9)
    np.maximum.at(best_q, g, q)
    best_q_m = np.take(best_q, g, axis=0)  # per member
    r, c = nonzero2(adopted & (q >= best_q_m))
    if r.size:
        holder_v = np.full((n_groups, n_p), -1, dtype=np.int64)
        holder_v[g[r], c] = state.version[members[r], c]
        holder_q = np.zeros((n_groups, n_p))
        holder_q[g[r], c] = state.quality[members[r], c]
        holder_v_m = np.take(holder_v, g, axis=0).reshape(-1)
        f = flatnonzero(holder_v_m >= 0)  # flat (member position, practice)
        mr = f // n_p
        state.learn_versions_flat(members.take(mr) * n_p + (f - mr * n_p), holder_v_m.take(f),
                                  np.take(holder_q, g, axis=0).reshape(-1).take(f),
                                  best_q_m.reshape(-1).take(f))
    ties = state.member_ties
    a, b = ties.a, ties.b
    same = (state.cocreation_group[a] >= 0) & (state.cocreation_group[a]
                                                == state.cocreation_group[b])
    ties.last_contact[same] = week
    out["person_hours"] = float(members.size * cfg.hours_per_week)
    return out

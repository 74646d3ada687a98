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
from netsim.kernels import kernel
from netsim.mechanisms.distance import _PAIRWISE_BLOCK, pair_distance, pair_distance_of
from netsim.mechanisms.dynamics import _rank_at_ends  # the loop of rank_at_ends
from netsim.state import ADOPTED, SWITCH_MARGIN, TRYING, State, hear_versions

__all__ = ["component_labels", "form_groups", "work"]


def component_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph on ``n`` nodes with edges ``a[i] - b[i]``: each node's
    label is the smallest node of its component (so components sort as in
    ``scipy.sparse.csgraph.connected_components``, without building a sparse matrix each time).
    """
    return _component_labels(n, np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))


@kernel
def _component_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find in which the smaller root always wins, so each root is its component's
    smallest node."""
    root = np.arange(n)
    for i in range(a.size):
        x, y = a[i], b[i]
        while root[x] != x:  # path halving: a node's parent stays smaller than the node
            root[x] = root[root[x]]
            x = root[x]
        while root[y] != y:
            root[y] = root[root[y]]
            y = root[y]
        if x < y:
            root[y] = x
        elif y < x:
            root[x] = y
    for i in range(n):  # roots are smaller than their nodes: one pass in rising order
        root[i] = root[root[i]]
    return root


def form_groups(state: State, scenario: Scenario) -> int:
    """Recompute co-creation groups from the trust network; return the number of groups.

    The loop: :func:`_form_groups` (the groups, :func:`_groups_from_ties`, and their mean
    pair distances in one compiled call)."""
    cfg = scenario.cocreation
    ties = state.member_ties
    if not len(ties):
        state.cocreation_group[:] = -1
        state.group_distance = np.empty(0)
        return 0
    loop = state.n_practices <= _PAIRWISE_BLOCK  # else NumPy's rule of pair_distance
    members, gid, pa, pb, dist = _form_groups(
        ties.a, ties.b, ties.trust, state.present, state.stage, cfg.threshold,
        cfg.max_group_size, state.cocreation_group, state.form, state.trait, state.knowledge,
        state.know_how, float(scenario.network.background_weight), loop)
    if not loop and dist.size:
        d = pair_distance(state, scenario, members[pa], members[pb])
        dist = np.bincount(gid[pa], d, minlength=dist.size) / np.maximum(
            np.bincount(gid[pa], minlength=dist.size), 1)
    state.group_distance = dist
    return dist.size


@kernel
def _form_groups(a: np.ndarray, b: np.ndarray, trust: np.ndarray, present: np.ndarray,
                 stage: np.ndarray, threshold: float, max_size: int,
                 cocreation_group: np.ndarray, form: np.ndarray, trait: np.ndarray,
                 knowledge: np.ndarray, know_how: np.ndarray, w: float,
                 with_distance: bool):  # pragma: no cover
    """Nobody in a group, then the groups of :func:`_groups_from_ties` (written into
    ``cocreation_group``) and each group's distance: the mean of its pairs' portfolio distances
    (:func:`netsim.mechanisms.distance.pair_distance_of`), summed in pair order, as
    ``bincount(gid[pa], d) / bincount(gid[pa])`` did; zeros unless ``with_distance``. Returns
    the members, their groups, the pairs and the distances."""
    cocreation_group[:] = -1
    members, gid, pa, pb = _groups_from_ties(a, b, trust, present, stage.reshape(-1),
                                             threshold, max_size, stage.shape[1],
                                             cocreation_group)
    n_groups = gid[-1] + 1 if gid.size else 0
    dist = np.zeros(n_groups)
    if with_distance and n_groups:
        d = pair_distance_of(form, trait, knowledge, know_how, members[pa], members[pb], w)
        count = np.zeros(n_groups, dtype=np.int64)
        for e in range(pa.size):
            g = gid[pa[e]]
            dist[g] += d[e]
            count[g] += 1
        for g in range(n_groups):
            dist[g] = dist[g] / max(count[g], 1)
    return members, gid, pa, pb, dist


@kernel
def _groups_from_ties(a: np.ndarray, b: np.ndarray, trust: np.ndarray, present: np.ndarray,
                      stage: np.ndarray, threshold: float, max_size: int, n_p: int,
                      cocreation_group: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rule of :func:`form_groups` up to the distances. Write each member's group into
    ``cocreation_group``; return the members (by group, rising row), their groups and the
    pairs (positions ``i < j`` into the members) of every group, in the order of
    :func:`netsim.mechanisms.gathering.group_pairs` (groups of 2 first, then 3, ...).

    Qualifying ties (trust >= ``threshold``, both present, both trying or using a common
    practice) among the two most trusted qualifying ties at both ends make chains; each
    connected chain, its people in rising row, is cut into groups of at most ``max_size``;
    chunks of one person are no group.
    """
    n = present.size
    n_sel = 0
    qualifies = np.zeros(trust.size, dtype=np.bool_)
    for i in range(trust.size):
        x, y = a[i], b[i]
        if trust[i] >= threshold and present[x] and present[y]:
            for c in range(n_p):
                sx, sy = stage[x * n_p + c], stage[y * n_p + c]
                if (sx == TRYING or sx == ADOPTED) and (sy == TRYING or sy == ADOPTED):
                    qualifies[i] = True
                    n_sel += 1
                    break
    sel = np.empty(n_sel, dtype=np.int64)
    k = 0
    for i in range(trust.size):
        if qualifies[i]:
            sel[k] = i
            k += 1
    rank = _rank_at_ends(a, b, trust, sel, n)
    n_close = 0
    for k in range(n_sel):
        if rank[k] < 2:
            n_close += 1
    ea = np.empty(n_close, dtype=np.int64)
    eb = np.empty(n_close, dtype=np.int64)
    involved = np.zeros(n, dtype=np.bool_)
    n_close = 0
    for k in range(n_sel):
        if rank[k] < 2:
            ea[n_close], eb[n_close] = a[sel[k]], b[sel[k]]
            involved[ea[n_close]] = involved[eb[n_close]] = True
            n_close += 1
    label = _component_labels(n, ea, eb)
    # the involved people by (component, row): count per component label, then fill in rows
    start = np.zeros(n + 1, dtype=np.int64)
    for p in range(n):
        if involved[p]:
            start[label[p] + 1] += 1
    for p in range(n):
        start[p + 1] += start[p]
    ordered = np.empty(start[n], dtype=np.int64)
    fill = start[:n].copy()
    for p in range(n):
        if involved[p]:
            ordered[fill[label[p]]] = p
            fill[label[p]] += 1
    # chunks of max_size in each component; groups numbered in that order, singletons dropped
    members = np.empty(ordered.size, dtype=np.int64)
    gid = np.empty(ordered.size, dtype=np.int64)
    group_start = np.empty(ordered.size + 1, dtype=np.int64)
    n_members = 0
    n_groups = 0
    for comp in range(n):
        for first in range(start[comp], start[comp + 1], max_size):
            last = min(first + max_size, start[comp + 1])
            if last - first < 2:
                continue
            group_start[n_groups] = n_members
            for i in range(first, last):
                members[n_members] = ordered[i]
                gid[n_members] = n_groups
                cocreation_group[ordered[i]] = n_groups
                n_members += 1
            n_groups += 1
    group_start[n_groups] = n_members
    n_pairs = 0
    for g in range(n_groups):
        size = group_start[g + 1] - group_start[g]
        n_pairs += size * (size - 1) // 2
    pa = np.empty(n_pairs, dtype=np.int64)
    pb = np.empty(n_pairs, dtype=np.int64)
    k = 0
    for size in range(2, max_size + 1):  # groups by rising size, then rising number
        for g in range(n_groups):
            if group_start[g + 1] - group_start[g] == size:
                s = group_start[g]
                for i in range(size):
                    for j in range(i + 1, size):
                        pa[k], pb[k] = s + i, s + j
                        k += 1
    return members[:n_members].copy(), gid[:n_members].copy(), pa, pb


def work(state: State, scenario: Scenario, rng: np.random.Generator,
         week: int) -> dict[str, float]:
    """One week of co-creation work; return counters (the loop: :func:`_work`)."""
    cfg = scenario.cocreation
    out = {"cocreation_groups": float(state.group_distance.size), "person_hours": 0.0,
           "cocreation_members": 0.0}
    if not state.group_distance.size:
        # no groups, nobody in one: form_groups is what puts people into groups, and it
        # writes one distance per group (a speed trick: most weeks of a young network)
        return out
    ties = state.member_ties
    members = _work(state.cocreation_group, state.present, state.knowledge, state.stage,
                    state.perceived, state.version, state.quality, ties.a, ties.b,
                    ties.last_contact, week, cfg.knowledge_rate, state._bonus, SWITCH_MARGIN)
    out["cocreation_members"] = float(members)
    if members:
        out["person_hours"] = float(members * cfg.hours_per_week)
    return out


@kernel
def _work(cocreation_group: np.ndarray, present: np.ndarray, knowledge: np.ndarray,
          stage: np.ndarray, perceived: np.ndarray, version: np.ndarray, quality: np.ndarray,
          a: np.ndarray, b: np.ndarray, last_contact: np.ndarray, week: int, rate: float,
          bonus: np.ndarray, margin: float) -> int:  # pragma: no cover
    """The rule of :func:`work` for the present members of groups (none: nothing changes).

    Knowledge closes ``rate`` of the gap to the group's best (at least 0). Per group and
    practice the best perceived quality among its adopters names the version the group
    reports (several as good: the last member in row order); every member hears it (member
    by member in rising row, then practice: version, true and perceived quality) as
    :meth:`netsim.state.State.learn_versions_flat` hears (:func:`netsim.state.hear_versions`,
    conformity ``bonus``). Ties within a group count as contact this week. Returns the number
    of members.
    """
    n_p = knowledge.shape[1]
    flat_knowledge = knowledge.reshape(-1)
    flat_stage = stage.reshape(-1)
    flat_perceived = perceived.reshape(-1)
    flat_version = version.reshape(-1)
    flat_quality = quality.reshape(-1)
    members = np.empty(present.size, dtype=np.int64)
    n_members = 0
    n_groups = 0
    for p in range(present.size):
        if cocreation_group[p] >= 0 and present[p]:
            members[n_members] = p
            n_members += 1
            n_groups = max(n_groups, cocreation_group[p] + 1)
    if n_members == 0:
        return 0
    members = members[:n_members]
    best = np.zeros(n_groups * n_p)
    best_q = np.full(n_groups * n_p, -1e9)
    for p in members:
        for c in range(n_p):
            s, t = p * n_p + c, cocreation_group[p] * n_p + c
            best[t] = max(best[t], flat_knowledge[s])
            if flat_stage[s] == ADOPTED:
                best_q[t] = max(best_q[t], flat_perceived[s])
    holder_v = np.full(n_groups * n_p, -1, dtype=np.int64)
    holder_q = np.zeros(n_groups * n_p)
    n_heard = 0
    for p in members:
        for c in range(n_p):
            s, t = p * n_p + c, cocreation_group[p] * n_p + c
            flat_knowledge[s] = flat_knowledge[s] + rate * max(best[t] - flat_knowledge[s], 0.0)
            if flat_stage[s] == ADOPTED and flat_perceived[s] >= best_q[t]:
                holder_v[t] = flat_version[s]  # several as good: the last one stays
                holder_q[t] = flat_quality[s]
    for p in members:
        for c in range(n_p):
            n_heard += holder_v[cocreation_group[p] * n_p + c] >= 0
    flat = np.empty(n_heard, dtype=np.int64)
    heard_v = np.empty(n_heard, dtype=np.int64)
    heard_q = np.empty(n_heard)
    heard_p = np.empty(n_heard)
    k = 0
    for p in members:
        for c in range(n_p):
            t = cocreation_group[p] * n_p + c
            if holder_v[t] >= 0:
                flat[k], heard_v[k] = p * n_p + c, holder_v[t]
                heard_q[k], heard_p[k] = holder_q[t], best_q[t]
                k += 1
    for i in range(a.size):
        g = cocreation_group[a[i]]
        if g >= 0 and g == cocreation_group[b[i]]:
            last_contact[i] = week
    hear_versions(flat, heard_v, heard_q, heard_p, bonus, margin, version, quality, perceived,
                  stage)
    return n_members

"""Outcome measures: the weekly record and the run summary.

Groups of people: **members** are network members other than facilitators (resource teachers,
invited leaders, or every teacher in the meeting-groups design); **colleagues** are the other
staff of the schools (reach beyond the network); **all** is all school staff. Strong ties per
member are counted per person who has any cross-school tie.

A person "has adopted" when at least one practice is in the adopted stage: the unit of change
the field reports describe is one measure tried and kept ("new ways of working", seed 001
§5.2.4; "small-scale trials of new measures ... or improvement of existing measures", §7.1).
A school "changed practice" when one same practice is used by at least
``school_change_share`` (0.5) of its staff: school-level change is a shared practice, not
different staff using different measures ("more collective and uniform practices", §5.2.4;
classes outside it "get no change", §5.2.5); the threshold is a modelling choice (plausible
0.3-0.7). A school is "reached" when at least one colleague (a non-member) uses a practice
(the "several examples" of trials at schools, §5.2.4). Between-school inequality is the Gini
coefficient of the schools' adopting shares. Version quality is the mean true quality of the
versions adopters use; version diversity the mean number of distinct versions in use per
practice. Convergence is measured three ways (seed 001 §5.2.4 "the same knowledge"): identical
versions (:func:`convergence`: the share of schools using the most common version of each
practice among schools that use it), version lineages (the same, counting a version's
descendants as one, :func:`lineages`) and practices (:func:`practice_convergence`: mean Jaccard
similarity of the schools' sets of practices in use). An innovation is an improved version in
use at two or more schools (:func:`innovations`). Cost is person-hours spent in gatherings
(attendees plus facilitator preparation), development-time sessions given to network work,
and co-creation.
"""

from __future__ import annotations

import math

import numpy as np

from netsim.state import (
    ADOPTED,
    SWITCH_MARGIN,
    Origin,
    State,
    flatnonzero,
    row_count,
    row_max,
    row_sum,
    scatter_add,
)

__all__ = ["SERIES_COLUMNS", "SUMMARY_COLUMNS", "gini", "record", "summarise",
           "time_to_share"]

# weekly counters produced by mechanisms and summed per week
COUNTERS = ("attendees", "exchange", "stories", "sessions", "person_hours", "posts",
            "posts_formal", "posts_informal", "reads", "trials_started", "adoptions",
            "failures", "new_versions", "new_versions_cocreation", "gatherings", "discontinued")

SERIES_COLUMNS = (
    "week", "adoption_members", "adoption_colleagues", "adoption_all", "practice_adoption",
    "knowledge_members", "knowledge_all", "trust_members", "strong_ties_per_member",
    "cocreation_groups", "schools_changed", "schools_reached", "school_inequality",
    "version_quality",
    "version_diversity", "network_alive", "person_hours_cum", *COUNTERS,
)


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal; 0 for an all-zero vector).

    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 1.0])), 4)
    0.6667
    """
    v = np.sort(np.asarray(values, dtype=float))
    n = v.size
    if n == 0 or v.sum() == 0:
        return 0.0
    cum = np.cumsum(v)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def record(state: State, school_change_share: float, strong_trust: float, network_alive: bool,
           cocreation_groups: int) -> dict[str, float]:
    """Outcome measures of the current state (the non-counter part of a weekly row).

    Runs every week, so it works on whole columns with masks (no row gathers; see
    :func:`netsim.state.row_count`).
    """
    groups = state.groups()
    staff, member = groups.staff, groups.member_staff
    adopted_st = state.stage == ADOPTED
    n_adopted_practices = row_count(adopted_st)
    adopted = n_adopted_practices > 0
    n_member, n_all = groups.members.size, np.count_nonzero(staff)
    n_colleague = n_all - n_member
    a_member = np.count_nonzero(adopted & member)
    a_all = np.count_nonzero(adopted & staff)
    knowledge = row_sum(state.knowledge) / state.n_practices
    # masked sums, not dot products: BLAS would start threads that compete with sweep workers
    k_member, k_all = float(knowledge[member].sum()), float(knowledge[staff].sum())
    out: dict[str, float] = {
        "adoption_members": _ratio(a_member, n_member),
        "adoption_colleagues": _ratio(a_all - a_member, n_colleague),
        "adoption_all": _ratio(a_all, n_all),
        "practice_adoption": _ratio(float(n_adopted_practices[staff].sum()),
                                    n_all * state.n_practices),
        "knowledge_members": _ratio(k_member, n_member),
        "knowledge_all": _ratio(k_all, n_all),
    }
    ties = state.member_ties
    if len(ties):
        out["trust_members"] = float(ties.trust.sum() / ties.trust.size)
        # per person who has any cross-school tie (members, or teachers in informal designs)
        n_strong = np.count_nonzero(ties.trust >= strong_trust)
        out["strong_ties_per_member"] = 2 * n_strong / np.count_nonzero(ties.degree())
    else:
        out["trust_members"] = out["strong_ties_per_member"] = 0.0
    out["cocreation_groups"] = float(cocreation_groups)
    size = groups.school_size
    adopters = np.bincount(groups.school_of_staff, adopted[groups.school_staff],
                           minlength=state.n_schools)
    has_staff = size > 0
    school_share = adopters[has_staff] / size[has_staff]
    # a school changed practice when one same practice is used by the share of its staff
    adopted_staff = flatnonzero(adopted_st.reshape(-1) & groups.staff_slots)
    n_p = state.n_practices
    a_rows = adopted_staff // n_p
    a_school = state.school.take(a_rows)
    at_school = a_school >= 0
    key = (a_school * n_p + (adopted_staff - a_rows * n_p))[at_school]
    users = np.bincount(key, minlength=state.n_schools * n_p).reshape(state.n_schools, n_p)
    top = row_max(users)[has_staff]
    out["schools_changed"] = float(np.count_nonzero(top / size[has_staff] >= school_change_share)
                                   / school_share.size) if school_share.size else math.nan
    # a school is reached when a colleague (a non-member) uses a practice
    reached = np.bincount(groups.school_of_staff,
                          (adopted & ~state.member)[groups.school_rows],
                          minlength=state.n_schools)[has_staff] > 0
    out["schools_reached"] = float(np.count_nonzero(reached) / reached.size) \
        if reached.size else math.nan
    out["school_inequality"] = gini(school_share)
    if adopted_staff.size:  # version ids are unique across practices
        out["version_quality"] = float(state.quality.reshape(-1).take(adopted_staff).sum()
                                       / adopted_staff.size)
        in_use = np.zeros(len(state.versions) + 1, dtype=bool)  # slot 0: no version (-1)
        in_use[state.version.reshape(-1).take(adopted_staff) + 1] = True
        practices = np.count_nonzero(np.bincount(adopted_staff % state.n_practices))
        out["version_diversity"] = float(np.count_nonzero(in_use) / practices)
    else:
        out["version_quality"] = math.nan
        out["version_diversity"] = 0.0
    out["network_alive"] = float(network_alive)
    return out


def time_to_share(weeks: np.ndarray, values: np.ndarray, share: float) -> float:
    """First week at which ``values`` reaches ``share`` (NaN if never)."""
    hit = flatnonzero(np.nan_to_num(values, nan=-1.0) >= share)
    return float(weeks[hit[0]]) if hit.size else math.nan


def convergence(state: State, lineage: bool = False) -> float:
    """Share of schools using the most common version of each practice, among schools using
    the practice, averaged over practices (1 = every school uses the same version).

    With ``lineage`` versions count as the same when they descend from the same
    first-generation version (:func:`lineages`): schools that adapted one shared version
    further still use "the same" practice in that sense.
    """
    staff = state.staff & (state.school >= 0)
    root = lineages(state) if lineage else None
    values = []
    for k in range(state.n_practices):
        rows = flatnonzero(staff & (state.stage[:, k] == ADOPTED))
        if rows.size == 0:
            continue
        held = state.version[rows, k]
        if root is not None:
            held = np.where(held >= 0, root[np.maximum(held, 0)], held)
        pairs = np.unique(np.c_[state.school[rows], held], axis=0)
        schools = np.unique(pairs[:, 0]).size
        _, counts = np.unique(pairs[:, 1], return_counts=True)
        values.append(counts.max() / schools)
    return float(np.mean(values)) if values else math.nan


def lineages(state: State) -> np.ndarray:
    """Lineage of every registered version: its first-generation ancestor, i.e. the version
    itself if it is a reference or initial version, else the ancestor whose parent is one."""
    v = state.versions
    parent = np.asarray(v.parent, dtype=np.int64)
    origin = np.asarray(v.origin, dtype=np.int64)
    top = (parent < 0) | (origin == Origin.INITIAL)  # references and initial local versions
    root = np.arange(parent.size)
    # a version is a lineage root if it is a top version or its parent is one
    is_root = top.copy()
    is_root[~top] = top[parent[~top]]
    nxt = np.where(is_root, root, np.maximum(parent, 0))
    while True:  # pointer jumping to the nearest root
        jumped = nxt[nxt]
        if (jumped == nxt).all():
            return nxt
        nxt = jumped


def practice_convergence(state: State) -> float:
    """Mean Jaccard similarity of the sets of practices used at pairs of schools (by any of
    their staff), over pairs of schools that use any practice (1 = every school uses the same
    practices; seed 001 §5.2.4 "the same knowledge")."""
    groups = state.groups()
    used = scatter_add(groups.school_of_staff,
                       np.take(state.stage == ADOPTED, groups.school_rows, axis=0).astype(float),
                       state.n_schools) > 0
    used = used[used.any(axis=1)].astype(np.int64)
    n = used.shape[0]
    if n < 2:
        return math.nan
    inter = used @ used.T
    count = used.sum(axis=1)
    union = count[:, None] + count[None, :] - inter
    iu = np.triu_indices(n, k=1)
    return float((inter[iu] / union[iu]).mean())


SUMMARY_COLUMNS = (
    "adoption_members", "adoption_colleagues", "adoption_all", "practice_adoption",
    "knowledge_all", "schools_changed", "school_inequality", "version_quality",
    "version_diversity", "convergence", "convergence_lineage", "convergence_practice",
    "schools_reached", "discontinued_total", "trust_members", "strong_ties_per_member",
    "cocreation_groups_mean", "network_alive", "weeks_alive", "time_to_25", "time_to_50",
    "posts_total", "posts_formal_total", "posts_informal_total", "reads_total",
    "exchange_total", "exchange_per_gathering", "gatherings_total", "trials_total",
    "new_versions_total", "cocreation_version_share", "innovations",
    "innovation_cocreation_share", "person_hours",
    "adoption_per_100_person_hours", "n_people", "n_staff", "n_members", "n_schools",
)


def innovations(state: State) -> tuple[int, int]:
    """Innovations at the end of a run: (all, co-created).

    An innovation is a version created during the run that is clearly better than the version
    it was adapted from (by :data:`netsim.state.SWITCH_MARGIN`) and is in use at two or more
    schools: new practice that spread beyond its origin (seed 001 §5.2.4: a pupil-council
    seminar from 4 schools adapted by 3 more; §6.3.1).
    """
    v = state.versions
    if len(v) == 0:
        return 0, 0
    quality = np.asarray(v.quality)
    parent = np.asarray(v.parent)
    origin = np.asarray(v.origin)
    improved = (parent >= 0) & (origin != Origin.INITIAL)
    improved[improved] = quality[improved] > quality[parent[improved]] + SWITCH_MARGIN
    staff = state.staff & (state.school >= 0)
    # textbook adoption rules adopt without a version (-1): they hold no innovation
    r, c = np.nonzero((state.stage == ADOPTED) & staff[:, None] & (state.version >= 0))
    if r.size == 0:
        return 0, 0
    pairs = np.unique(np.stack([state.version[r, c], state.school[r]], axis=1), axis=0)
    schools = np.bincount(pairs[:, 0], minlength=len(v))
    spread = improved & (schools >= 2)
    return int(spread.sum()), int((spread & (origin == Origin.COCREATION)).sum())


def summarise(series: dict[str, np.ndarray], state: State) -> dict[str, float]:
    """One row per run: final outcomes, times to 25/50 % adoption of all staff, totals, cost."""
    last = {k: float(v[-1]) for k, v in series.items()}
    weeks = series["week"]
    out = {k: last[k] for k in ("adoption_members", "adoption_colleagues", "adoption_all",
                                "practice_adoption", "knowledge_all", "schools_changed",
                                "school_inequality", "version_quality", "version_diversity",
                                "trust_members", "strong_ties_per_member", "network_alive")}
    out["schools_reached"] = last["schools_reached"]
    out["convergence"] = convergence(state)
    out["convergence_lineage"] = convergence(state, lineage=True)
    out["convergence_practice"] = practice_convergence(state)
    out["discontinued_total"] = float(series["discontinued"].sum())
    out["cocreation_groups_mean"] = float(np.mean(series["cocreation_groups"][1:])) \
        if weeks.size > 1 else 0.0
    out["weeks_alive"] = float(series["network_alive"][1:].sum())
    out["time_to_25"] = time_to_share(weeks, series["adoption_all"], 0.25)
    out["time_to_50"] = time_to_share(weeks, series["adoption_all"], 0.50)
    for name in ("posts", "posts_formal", "posts_informal", "reads", "exchange", "gatherings",
                 "new_versions"):
        out[f"{name}_total"] = float(series[name].sum())
    out["exchange_per_gathering"] = (out["exchange_total"] / out["gatherings_total"]
                                     if out["gatherings_total"] else 0.0)
    out["trials_total"] = float(series["trials_started"].sum())
    nv = out["new_versions_total"]
    out["cocreation_version_share"] = (float(series["new_versions_cocreation"].sum()) / nv
                                       if nv else math.nan)
    n_innov, n_innov_cocr = innovations(state)
    out["innovations"] = float(n_innov)
    out["innovation_cocreation_share"] = n_innov_cocr / n_innov if n_innov else math.nan
    hours = float(series["person_hours"].sum())
    out["person_hours"] = hours
    staff = state.staff
    adopters = float((state.adopted_any() & staff).sum())
    out["adoption_per_100_person_hours"] = 100 * adopters / hours if hours else math.nan
    out["n_people"] = float(state.n_people)
    out["n_staff"] = float(staff.sum())
    out["n_members"] = float((staff & state.member).sum())
    out["n_schools"] = float(state.n_schools)
    return out

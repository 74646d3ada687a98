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

from netsim import kernels
from netsim.kernels import kernel
from netsim.state import (
    ADOPTED,
    FACILITATOR,
    SWITCH_MARGIN,
    Origin,
    State,
    flatnonzero,
)

__all__ = ["MEASURES", "SERIES_COLUMNS", "SUMMARY_COLUMNS", "gini", "record", "record_into",
           "summarise", "time_to_share"]

# weekly counters produced by mechanisms and summed per week
COUNTERS = ("attendees", "exchange", "stories", "sessions", "person_hours", "posts",
            "posts_formal", "posts_informal", "reads", "trials_started", "adoptions",
            "failures", "new_versions", "new_versions_cocreation", "gatherings", "discontinued")



def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal; 0 for an all-zero vector).

    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 1.0])), 4)
    0.6667
    """
    return float(_gini_sorted(np.sort(np.asarray(values, dtype=float))))


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


#: the outcome measures :func:`record` returns, in the order of :data:`SERIES_COLUMNS`
MEASURES = ("adoption_members", "adoption_colleagues", "adoption_all", "practice_adoption",
            "knowledge_members", "knowledge_all", "trust_members", "strong_ties_per_member",
            "cocreation_groups", "schools_changed", "schools_reached", "school_inequality",
            "version_quality", "version_diversity", "network_alive")
#: the weekly series: week, the measures, cumulative cost and the week's counters
SERIES_COLUMNS = ("week", *MEASURES, "person_hours_cum", *COUNTERS)
_COCREATION_GROUPS = MEASURES.index("cocreation_groups")
_NETWORK_ALIVE = MEASURES.index("network_alive")


def record(state: State, school_change_share: float, strong_trust: float, network_alive: bool,
           cocreation_groups: int) -> dict[str, float]:
    """Outcome measures of the current state (the non-counter part of a weekly row).

    The measures are defined in the module docstring; :func:`record_into` computes them.
    """
    out = np.empty(len(MEASURES))
    record_into(out, state, school_change_share, strong_trust, network_alive,
                cocreation_groups)
    return dict(zip(MEASURES, out.tolist(), strict=True))


def record_into(out: np.ndarray, state: State, school_change_share: float, strong_trust: float,
                network_alive: bool, cocreation_groups: int) -> None:
    """:func:`record` written into ``out`` (a float array of ``len(MEASURES)``, e.g. a row of
    the model's weekly table), in the order of :data:`MEASURES`. Runs every week: one compiled
    pass over the state (:func:`_weekly_measures`)."""
    ties = state.member_ties
    _weekly_measures(state.role, state.present, state.member, state.school, state.stage,
                     state.knowledge, state.quality, state.version, state.n_schools,
                     len(state.versions), ties.n_linked(), ties.trust, float(strong_trust),
                     float(school_change_share), float(cocreation_groups),
                     float(network_alive), out)


# --------------------------------------------------------------------- compiled weekly record
# The weekly record is one loop over people and their practices. Its sums must equal the
# vectorised NumPy code it replaced bit for bit, so the float sums that NumPy took pairwise
# (``x.sum()``) are taken in NumPy's pairwise order (:func:`_numpy_sum`) over the same values in
# the same order; counts are exact either way.


@kernel
def _numpy_sum(a: np.ndarray, n: int) -> float:
    """``a[:n].sum()`` as NumPy computes it: its identity 0.0 plus the pairwise sum."""
    return 0.0 + kernels.numpy_sum(a, 0, n, 1)


@kernel
def _gini_sorted(v: np.ndarray) -> float:
    """Gini coefficient of sorted non-negative values: (n + 1 - 2 sum(C) / C[-1]) / n with
    C the cumulative sums (0 for no values or all zeros)."""
    n = v.size
    if n == 0 or _numpy_sum(v, n) == 0:
        return 0.0
    cum = np.empty(n)
    total = 0.0
    for i in range(n):
        total += v[i]
        cum[i] = total
    return (n + 1 - 2 * (_numpy_sum(cum, n) / cum[n - 1])) / n


@kernel
def _weekly_measures(role: np.ndarray, present: np.ndarray, member: np.ndarray,
                     school: np.ndarray, stage_2d: np.ndarray, knowledge_2d: np.ndarray,
                     quality_2d: np.ndarray, version_2d: np.ndarray, n_schools: int,
                     n_versions: int, n_linked: int, tie_trust: np.ndarray,
                     strong_trust: float, change_share: float,
                     cocreation_groups: float, network_alive: float, out: np.ndarray) -> None:
    """The weekly measures of the module docstring, written into ``out`` in the order of
    :data:`MEASURES` (``cocreation_groups`` and ``network_alive`` as given); the cross-school
    ties are passed as their trust and the number of people with any
    (:meth:`netsim.state.TieStore.n_linked`, cached until ties are added or removed: ties
    change in about one week in five).

    Staff are the present people who are not facilitators; members the staff who are network
    members; a person adopted when any practice is in the adopted stage.
    """
    nan = np.nan
    # flat views of the (people x practices) arrays (C-contiguous, see State)
    stage, knowledge = stage_2d.reshape(-1), knowledge_2d.reshape(-1)
    quality, version = quality_2d.reshape(-1), version_2d.reshape(-1)
    n = role.size
    k = stage.size // n if n else 0
    knowledge_all = np.empty(n)      # each staff member's mean knowledge, in row order
    knowledge_members = np.empty(n)
    n_all = n_members = adopted_all = adopted_members = adopted_slots = 0
    size = np.zeros(n_schools, dtype=np.int64)      # staff per school
    adopters = np.zeros(n_schools, dtype=np.int64)  # staff using any practice
    reached = np.zeros(n_schools, dtype=np.bool_)   # a colleague (non-member) uses a practice
    users = np.zeros(n_schools * k, dtype=np.int64)  # staff using each practice, per school
    held_quality = np.empty(n * k)                  # true quality of each adopted staff slot
    in_use = np.zeros(n_versions + 1, dtype=np.bool_)  # slot 0: no version (-1)
    practice_used = np.zeros(k, dtype=np.bool_)
    for i in range(n):
        if role[i] == FACILITATOR or not present[i]:
            continue
        is_member = member[i]
        s = school[i]
        base = i * k
        # the row's knowledge sum as netsim.state.row_sum takes it: NumPy's own reduction
        # (pairwise per row) below 300 people, left to right above
        if n < 300:
            row_knowledge = _numpy_sum(knowledge[base:base + k], k)
        else:
            row_knowledge = knowledge[base]
            for p in range(1, k):
                row_knowledge += knowledge[base + p]
        knowledge_all[n_all] = row_knowledge / k
        n_all += 1
        if is_member:
            knowledge_members[n_members] = row_knowledge / k
            n_members += 1
        n_adopted = 0
        for p in range(k):
            if stage[base + p] != ADOPTED:
                continue
            n_adopted += 1
            if s >= 0:
                users[s * k + p] += 1
            held_quality[adopted_slots] = quality[base + p]
            adopted_slots += 1
            v = version[base + p]
            if v + 1 > n_versions or v < -1:
                raise ValueError("a held version id is not a registered version")
            in_use[v + 1] = True
            practice_used[p] = True
        if s >= 0:
            size[s] += 1
        if n_adopted:
            adopted_all += 1
            if is_member:
                adopted_members += 1
            elif s >= 0:
                reached[s] = True
            if s >= 0:
                adopters[s] += 1
    # adoption: shares of people with any adopted practice; of (person, practice) pairs
    out[0] = adopted_members / n_members if n_members else nan
    n_colleagues = n_all - n_members
    out[1] = (adopted_all - adopted_members) / n_colleagues if n_colleagues else nan
    out[2] = adopted_all / n_all if n_all else nan
    out[3] = adopted_slots / (n_all * k) if n_all * k else nan
    # knowledge: mean over practices, averaged over the group
    out[4] = _numpy_sum(knowledge_members, n_members) / n_members if n_members else nan
    out[5] = _numpy_sum(knowledge_all, n_all) / n_all if n_all else nan
    # cross-school ties: mean trust; strong ties per person who has any tie
    n_ties = tie_trust.size
    if n_ties:
        out[6] = _numpy_sum(tie_trust, n_ties) / n_ties
        n_strong = 0
        for t in range(n_ties):
            n_strong += tie_trust[t] >= strong_trust
        out[7] = 2 * n_strong / n_linked
    else:
        out[6] = 0.0
        out[7] = 0.0
    # schools with staff: changed (one same practice used by change_share of the staff),
    # reached (a colleague uses a practice), inequality of the adopting shares
    share = np.empty(n_schools)
    n_with_staff = n_changed = n_reached = 0
    for s in range(n_schools):
        if size[s] == 0:
            continue
        share[n_with_staff] = adopters[s] / size[s]
        n_with_staff += 1
        top = 0
        for p in range(k):
            top = max(top, users[s * k + p])
        if top / size[s] >= change_share:
            n_changed += 1
        if reached[s]:
            n_reached += 1
    out[9] = n_changed / n_with_staff if n_with_staff else nan
    out[10] = n_reached / n_with_staff if n_with_staff else nan
    out[11] = _gini_sorted(kernels.sort(share[:n_with_staff]))
    # versions adopters use: mean true quality; distinct versions per practice in use
    if adopted_slots:
        out[12] = _numpy_sum(held_quality, adopted_slots) / adopted_slots
        out[13] = np.count_nonzero(in_use) / np.count_nonzero(practice_used)
    else:
        out[12] = nan
        out[13] = 0.0
    out[_COCREATION_GROUPS] = cocreation_groups
    out[_NETWORK_ALIVE] = network_alive
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
    root = lineages(state) if lineage else np.empty(0, dtype=np.int64)
    return float(_convergence(state.stage.reshape(-1), state.version.reshape(-1), state.school,
                              state.staff & (state.school >= 0), root, len(state.versions)))


@kernel
def _schools_per_value(value: np.ndarray, school: np.ndarray, n: int, n_schools: int,
                       counts: np.ndarray) -> int:
    """For the first ``n`` (value, school) pairs: ``counts[v]`` = number of distinct schools
    with value ``v`` (zeroed here first); returns the number of distinct schools among the
    pairs. Values and schools are non-negative, schools below ``n_schools``."""
    counts[:] = 0
    keys = kernels.sort(value[:n] * n_schools + school[:n])
    seen = np.zeros(n_schools, dtype=np.bool_)
    n_distinct = 0
    for t in range(n):
        if t and keys[t] == keys[t - 1]:
            continue
        counts[keys[t] // n_schools] += 1
        s = keys[t] % n_schools
        if not seen[s]:
            seen[s] = True
            n_distinct += 1
    return n_distinct


@kernel
def _convergence(stage: np.ndarray, version: np.ndarray, school: np.ndarray,
                 staff: np.ndarray, root: np.ndarray, n_versions: int) -> float:
    """:func:`convergence` over the flat person x practice arrays: per practice, the most
    schools any one version (or lineage, ``root`` of each version when given) is used at, over
    the schools using the practice; the mean over practices in use (NaN if none)."""
    n = staff.size
    k = stage.size // n if n else 0
    n_schools = school.max() + 1 if n else 1
    held = np.empty(n, dtype=np.int64)  # version + 1 (0: none), of the practice's users
    at = np.empty(n, dtype=np.int64)
    counts = np.zeros(n_versions + 1, dtype=np.int64)
    values = np.empty(k)
    n_used = 0
    for p in range(k):
        m = 0
        for i in range(n):
            if staff[i] and stage[i * k + p] == ADOPTED:
                v = version[i * k + p]
                if root.size and v >= 0:
                    v = root[v]
                held[m] = v + 1
                at[m] = school[i]
                m += 1
        if m == 0:
            continue
        schools = _schools_per_value(held, at, m, n_schools, counts)
        values[n_used] = counts.max() / schools
        n_used += 1
    return _numpy_sum(values, n_used) / n_used if n_used else np.nan


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
    return float(_practice_convergence(state.stage.reshape(-1), state.school,
                                       state.staff & (state.school >= 0), state.n_schools))


@kernel
def _practice_convergence(stage: np.ndarray, school: np.ndarray, staff: np.ndarray,
                          n_schools: int) -> float:
    """:func:`practice_convergence` on the flat stage array: the Jaccard similarity of every
    pair of schools using any practice (in NumPy's ``triu_indices`` order), then their mean."""
    n = staff.size
    k = stage.size // n if n else 0
    used = np.zeros((n_schools, k), dtype=np.bool_)
    for i in range(n):
        if staff[i]:
            for p in range(k):
                if stage[i * k + p] == ADOPTED:
                    used[school[i], p] = True
    rows = np.empty(n_schools, dtype=np.int64)  # schools using any practice
    count = np.empty(n_schools, dtype=np.int64)  # practices each uses
    m = 0
    for s in range(n_schools):
        c = 0
        for p in range(k):
            c += used[s, p]
        if c:
            rows[m], count[m] = s, c
            m += 1
    if m < 2:
        return np.nan
    similarity = np.empty(m * (m - 1) // 2)
    t = 0
    if k <= 62:
        # speed only (the pairs are a third of a summary at 100,000 people): each school's
        # practices as the bits of one integer, so a pair's shared practices are the bits of
        # one AND; the same integer counts, so the same quotients
        bits = np.zeros(m, dtype=np.int64)
        for a in range(m):
            for p in range(k):
                if used[rows[a], p]:
                    bits[a] |= np.int64(1) << p
        for a in range(m):
            bits_a, count_a = bits[a], count[a]
            for b in range(a + 1, m):
                both = bits_a & bits[b]
                shared = 0
                while both:
                    both &= both - 1  # drop the lowest set bit
                    shared += 1
                similarity[t] = shared / (count_a + count[b] - shared)
                t += 1
        return _numpy_sum(similarity, t) / t
    for a in range(m):
        for b in range(a + 1, m):
            shared = 0
            for p in range(k):
                shared += used[rows[a], p] & used[rows[b], p]
            similarity[t] = shared / (count[a] + count[b] - shared)
            t += 1
    return _numpy_sum(similarity, t) / t


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
    # textbook adoption rules adopt without a version (-1): they hold no innovation
    held, at = _held_versions(state.stage.reshape(-1), state.version.reshape(-1),
                              state.school, state.staff)
    if held.size == 0:
        return 0, 0
    schools = np.zeros(len(v), dtype=np.int64)  # distinct schools using each version
    _schools_per_value(held, at, held.size, max(state.n_schools, 1), schools)
    spread = improved & (schools >= 2)
    return int(spread.sum()), int((spread & (origin == Origin.COCREATION)).sum())


@kernel
def _held_versions(stage: np.ndarray, version: np.ndarray, school: np.ndarray,
                   staff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The versions (``>= 0``) that present staff with a school hold in the adopted stage, and
    the school of each holder, person by person and practice by practice (the order of
    ``version[(stage == ADOPTED) & staff[:, None] & (school >= 0)[:, None] & (version >= 0)]``,
    in one pass instead of five whole-array operations)."""
    n = staff.size
    k = stage.size // n if n else 0
    held = np.empty(stage.size, dtype=np.int64)
    at = np.empty(stage.size, dtype=np.int64)
    m = 0
    for i in range(n):
        if not staff[i] or school[i] < 0:
            continue
        for p in range(k):
            v = version[i * k + p]
            if stage[i * k + p] == ADOPTED and v >= 0:
                held[m], at[m] = v, school[i]
                m += 1
    return held[:m], at[:m]


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

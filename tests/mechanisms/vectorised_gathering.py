"""The vectorised NumPy rules of gatherings, development time and newcomers that the compiled
loops of :mod:`netsim.mechanisms.gathering`, :mod:`netsim.mechanisms.home_transfer` and
:mod:`netsim.mechanisms.turnover` replaced (issue 14), kept verbatim as the reference those
loops must match bit for bit (tests/mechanisms/test_gathering_kernels.py). Not used by the
model.
"""

from __future__ import annotations

import functools

import numpy as np

from netsim.config import Scenario
from netsim.mechanisms.distance import (
    pair_distance,
    perspective,
    understanding,
    understanding_range,
)
from netsim.mechanisms.gathering import openness, owner_priority
from netsim.mechanisms.home_transfer import school_mandate
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    FACILITATOR,
    LEADER,
    RESOURCE_TEACHER,
    TEACHER,
    UNAWARE,
    State,
    flatnonzero,
    row_any,
    row_max,
    row_sum,
    scatter_add,
)


def attendance(state: State, scenario: Scenario, rng: np.random.Generator,
               invited: np.ndarray | None = None) -> np.ndarray:
    """Mask of people attending this gathering, among the ``invited`` (default: all members)."""
    invited = state.member if invited is None else invited
    g = scenario.gathering
    base = np.clip(g.attendance_base + g.attendance_formality_gain * (scenario.formality - 0.5),
                   0.0, 1.0)
    p = base * (0.5 + 0.5 * state.motivation)
    p = np.where(state.role == LEADER, scenario.leader_participation * owner_priority(scenario),
                 p)
    p = np.where(state.role == FACILITATOR, 1.0, p)
    draw = rng.random(state.n_people)
    return invited & state.present & (draw < p)


def make_groups(people: np.ndarray, trait: np.ndarray, group_size: int, diversity: float,
                rng: np.random.Generator) -> np.ndarray:
    """Group id for each of ``people`` (groups of ``group_size``, the last ones may be smaller).

    ``diversity`` <= 0.5 sorts by a blend of trait and noise and cuts consecutive chunks
    (0: similar people together, 0.5: random); above 0.5 people are dealt round-robin over the
    trait order so that each group spans the trait range (1: maximal spread).
    """
    n = people.size
    if n == 0:
        return np.empty(0, dtype=np.int64)
    n_groups = max(1, int(np.ceil(n / group_size)))
    noise = rng.random(n)
    t = trait[people]
    group = np.empty(n, dtype=np.int64)
    if diversity <= 0.5:
        w = 2 * diversity
        order = np.argsort((1 - w) * t + w * noise, kind="stable")
        group[order] = np.arange(n) // group_size
    else:
        w = 2 - 2 * diversity
        order = np.argsort((1 - w) * t + w * noise, kind="stable")
        group[order] = np.arange(n) % n_groups
    return group


@functools.cache
def _pairs_within(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i < j) of all pairs in a group of ``size`` (read-only, cached)."""
    ii, jj = np.triu_indices(size, k=1)
    ii.flags.writeable = jj.flags.writeable = False
    return ii, jj


def group_pairs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All unordered pairs (positions i < j) of members of the same group."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
    sizes = np.diff(np.concatenate([starts, [g.size]]))
    a_list, b_list = [], []
    for size in sorted(set(sizes.tolist())):
        sel = starts[sizes == size]
        ii, jj = _pairs_within(size)
        a_list.append((sel[:, None] + ii[None, :]).ravel())
        b_list.append((sel[:, None] + jj[None, :]).ravel())
    a = order[np.concatenate(a_list)] if a_list else np.empty(0, dtype=np.int64)
    b = order[np.concatenate(b_list)] if b_list else np.empty(0, dtype=np.int64)
    return a, b


def _broadcast(state: State, attendees: np.ndarray, practice: int, knowledge: float,
               inspiration: float) -> None:
    k = state.knowledge[attendees, practice]
    state.knowledge[attendees, practice] = k + knowledge * (1 - k)
    i = state.inspiration[attendees, practice]
    state.inspiration[attendees, practice] = i + inspiration * (1 - i)


def group_session(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
                  people: np.ndarray, group: np.ndarray, moderated: bool = True) -> float:
    """One small-group task: exchange gated by trust, understanding and openness, then trust
    grows; return knowledge gained.

    ``people[i]`` sits in group ``group[i]``. Pairs from the same school use their collegial
    trust (``network.colleague_trust``) and form no cross-school tie. A pair's exchange is
    scaled by its understanding ``u(d_ij)`` (:mod:`netsim.mechanisms.distance`; widened when
    facilitators are there to moderate) and by :func:`openness`; the novelty is the knowledge
    gap itself, so exchange peaks at moderate distance.
    """
    g = scenario.gathering
    pa, pb = group_pairs(group)
    if pa.size == 0:
        return 0.0
    i, j = people[pa], people[pb]
    cross = state.school[i] != state.school[j]
    ties = state.member_ties
    idx = ties.ensure(i[cross], j[cross], scenario.trust.initial, week)
    trust = np.full(i.size, scenario.network.colleague_trust)
    trust[cross] = ties.trust[idx]
    size = np.bincount(group)[group[pa]]
    u = understanding(pair_distance(state, scenario, i, j),
                      understanding_range(scenario, moderated))
    rate = g.group_exchange * trust * u * openness(scenario) / np.maximum(size - 1, 1)
    ki, kj = state.knowledge[i], state.knowledge[j]
    n = state.n_people
    delta = (scatter_add(i, rate[:, None] * np.maximum(kj - ki, 0), n)
             + scatter_add(j, rate[:, None] * np.maximum(ki - kj, 0), n))
    delta = np.minimum(delta, 1 - state.knowledge)
    state.knowledge += delta
    # versions of adopted practices pass with probability trust x understanding, with some
    # inspiration
    p_heard = trust * u
    for src, dst in ((j, i), (i, j)):
        heard = rng.random(src.size) < p_heard
        r, c = np.nonzero((state.stage[src] == ADOPTED) & heard[:, None])
        if r.size:
            state.learn_versions(dst[r], c, state.version[src[r], c], state.quality[src[r], c],
                                 state.perceived[src[r], c])
            # once per partner who passes the practice, pair by pair (ODD 7.1; until issue 14's
            # docking found it, NumPy's fancy assignment here kept only the last partner's gain)
            for person, practice, gain in zip(dst[r], c, 0.5 * g.story_inspiration * trust[r],
                                              strict=True):
                ins = state.inspiration[person, practice]
                state.inspiration[person, practice] = ins + gain * (1 - ins)
    # trust grows between group members from different schools who met
    ties.trust[idx] += scenario.trust.growth * (1 - ties.trust[idx])
    ties.last_contact[idx] = week
    return float(delta.sum())


def _compose_base_groups(state: State, scenario: Scenario, rng: np.random.Generator) -> None:
    """Base groups among present members other than facilitators; within each area (meeting
    group) when gatherings are held per area, so an area's base groups meet at its own
    gatherings."""
    g = scenario.gathering
    state.base_group = np.full(state.n_people, -1, dtype=np.int64)
    pool = np.flatnonzero(state.member & state.present & (state.role != FACILITATOR))
    persp = perspective(state)
    by_area = (scenario.network.gatherings_by_area
               or scenario.calendar.area_meeting_interval_weeks > 0)
    if not by_area:
        state.base_group[pool] = make_groups(pool, persp, g.group_size, g.group_diversity, rng)
    else:
        offset = 0
        for area in np.unique(state.area[pool]):
            people = pool[state.area[pool] == area]
            groups = make_groups(people, persp, g.group_size, g.group_diversity, rng)
            state.base_group[people] = groups + offset
            offset += int(groups.max()) + 1


def hold_gathering(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
                   invited: np.ndarray | None = None,
                   hours: float | None = None) -> dict[str, float]:
    """Hold one gathering; return counters (attendees, person-hours, exchange, ...).

    Args:
        invited: mask of the people invited (default ``state.member``: the whole network).
            Area gatherings and meeting groups pass their own group's mask.
        hours: length of this gathering (default ``calendar.gathering_hours``).
    """
    g = scenario.gathering
    attend = attendance(state, scenario, rng, invited)
    fac = attend & (state.role == FACILITATOR)
    audience = np.flatnonzero(attend & ~fac)
    out = {"attendees": float(attend.sum()), "exchange": 0.0, "stories": 0.0,
           "leaders_attending": float((attend & (state.role == LEADER)).sum())}
    hours = scenario.calendar.gathering_hours if hours is None else hours
    # facilitators also spend the same time again preparing (modelling choice)
    out["person_hours"] = float(attend.sum() * hours + fac.sum() * hours)
    # leader backing is updated only for schools whose leader was invited to this gathering
    invited_mask = state.member if invited is None else invited
    schools_lead = np.flatnonzero(state.leader >= 0)
    schools_lead = schools_lead[invited_mask[state.leader[schools_lead]]]
    leader_here = np.zeros(state.n_schools, dtype=bool)
    leader_here[schools_lead] = attend[state.leader[schools_lead]]
    state.leader_attended[schools_lead] = leader_here[schools_lead]
    if audience.size == 0:
        return out

    # 2. peer practice stories: best versions among attending adopters, one per presenter
    story_practice = story_presenter = np.empty(0, dtype=np.int64)
    if g.stories > 0:
        rows, cols = np.nonzero(state.stage[audience] == ADOPTED)
        if rows.size:
            presenters = audience[rows]
            qual = state.perceived[presenters, cols]  # what facilitators hear of, not truth
            order = np.lexsort((rng.random(rows.size), -qual))
            _, first = np.unique(presenters[order], return_index=True)
            picks = order[np.sort(first)][: g.stories]
            for pick in picks:
                p, k = int(presenters[pick]), int(cols[pick])
                _broadcast(state, audience, k, g.story_knowledge, g.story_inspiration)
                kk = np.full(audience.size, k, dtype=np.int64)
                state.learn_versions(audience, kk, np.full(audience.size, state.version[p, k]),
                                     np.full(audience.size, state.quality[p, k]),
                                     np.full(audience.size, state.perceived[p, k]))
                state.motivation[p] = min(1.0, state.motivation[p]
                                          + scenario.motivation.success_gain)
            out["stories"] = float(len(picks))
            story_practice = cols[picks]
            story_presenter = presenters[picks]

    # 3. first group task in the base groups
    if state.base_group.size != state.n_people:
        _compose_base_groups(state, scenario, rng)
    base = state.base_group[audience]
    seated = base >= 0
    moderated = bool(fac.any())
    out["exchange"] += group_session(state, scenario, rng, week, audience[seated], base[seated],
                                     moderated)

    # 4. plenary expert input, only if a facilitator is there to bring it
    if fac.any() and g.expert_inputs > 0 and state.expert_known.any():
        known = np.flatnonzero(state.expert_known)
        mean_k = np.take(state.knowledge, audience, axis=0)[:, known].mean(axis=0)
        # the practice the attendees' schools need most, then the least known (novelty)
        school = state.school[audience]
        need = np.where(school >= 0, state.need[np.maximum(school, 0)], -1)
        wanted = np.bincount(need[need >= 0], minlength=state.n_practices)[known]
        order = known[np.lexsort((rng.random(known.size), mean_k, -wanted))]
        for practice in order[: g.expert_inputs]:
            _broadcast(state, audience, int(practice), g.lecture_knowledge,
                       g.lecture_inspiration)
            ref = np.full(audience.size, practice, dtype=np.int64)
            state.learn_versions(audience, ref, ref.copy(),
                                 np.full(audience.size, state.effectiveness[practice]),
                                 np.full(audience.size, state.claimed[practice]))

    # 5. second group task in freshly mixed groups
    mixed = make_groups(audience, state.trait, g.group_size, 0.5, rng)
    out["exchange"] += group_session(state, scenario, rng, week, audience, mixed, moderated)

    # 6. same-school reflection when the resource teacher and the leader both came
    rt_att = attend & (state.role == RESOURCE_TEACHER)
    both = np.flatnonzero(leader_here)
    if both.size:
        rt_rows = np.flatnonzero(rt_att)
        rt_school = state.school[rt_rows]
        has_rt = np.zeros(state.n_schools, dtype=bool)
        has_rt[rt_school] = True
        both = both[has_rt[both]]
        if both.size:
            a = state.alignment[both]
            state.alignment[both] = a + g.reflection_alignment * (1 - a)
            # leader closes half the gap to the best-informed attending resource teacher
            best = np.zeros((state.n_schools, state.n_practices))
            np.maximum.at(best, rt_school, state.knowledge[rt_rows])
            lead = state.leader[both]
            state.knowledge[lead] += 0.5 * np.maximum(best[both] - state.knowledge[lead], 0)

    # 7. "what will you take back": each attendee chooses one practice; a peer story's
    # presenter becomes a follow-up contact of those who chose the story's practice
    choose_take_back(state, audience, rng, scenario.network.need_weight)
    if story_practice.size:
        _follow_up(state, scenario, week, audience, story_practice, story_presenter)
    # the facilitators codify the network's common version (plan, booklet)
    if fac.any():
        codify(state, audience)
    return out


def choose_take_back(state: State, people: np.ndarray, rng: np.random.Generator,
                     need_weight: float = 0.0) -> None:
    """Each of ``people`` chooses the practice to take back home: the one with the highest
    ``inspiration * knowledge`` among practices they know of and have not dropped (ties at
    random); -1 if none (seed 001 §1.1, §5.2.2: "What and how will you take this back to your
    own school?"). The practice their school's needs analysis names (``state.need``) scores
    ``1 + need_weight`` times as much (seed 003)."""
    if people.size == 0:
        return
    stage = np.take(state.stage, people, axis=0)
    score = np.take(state.inspiration, people, axis=0) * np.take(state.knowledge, people, axis=0)
    school = state.school[people]
    need = np.where(school >= 0, state.need[np.maximum(school, 0)], -1)
    has_need = need >= 0
    if has_need.any():
        rows = flatnonzero(has_need)
        score[rows, need[rows]] *= 1.0 + need_weight
    score = np.where((stage >= AWARE) & (stage != DROPPED), score, -1.0)
    best = (score + 1e-9 * rng.random(score.shape)).argmax(axis=1)  # random among equals
    ok = score[np.arange(people.size), best] > 0
    state.take_back[people] = np.where(ok, best, -1)


def _follow_up(state: State, scenario: Scenario, week: int, audience: np.ndarray,
               practice: np.ndarray, presenter: np.ndarray) -> None:
    """Attendees from other schools who chose a story's practice to take back contact its
    presenter: a cross-school tie is created (or used) and its trust grows once ("gave more
    confidence", seed 001 §6.3.2)."""
    tb = state.take_back[audience]
    who = []
    pres = []
    for k, p in zip(practice.tolist(), presenter.tolist(), strict=True):
        sel = audience[(tb == k) & (state.school[audience] != state.school[p])]
        who.append(sel)
        pres.append(np.full(sel.size, p, dtype=np.int64))
    i = np.concatenate(who)
    if i.size == 0:
        return
    j = np.concatenate(pres)
    ties = state.member_ties
    idx = ties.ensure(i, j, scenario.trust.initial, week)
    idx = np.unique(idx)
    ties.trust[idx] += scenario.trust.growth * (1 - ties.trust[idx])
    ties.last_contact[idx] = week


def codify(state: State, attendees: np.ndarray) -> None:
    """The facilitators codify, for each practice, the version most attending adopters use (ties:
    higher perceived quality) as the network's common version (seed 001 §5.4.7 plan and
    booklet; seed 002 §2.3). Practices no attendee uses keep their codified version."""
    stage = np.take(state.stage, attendees, axis=0)
    r, c = np.nonzero(stage == ADOPTED)
    if r.size == 0:
        return
    v = state.version[attendees[r], c]
    pq = state.perceived[attendees[r], c]
    key_v, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
    best_q = np.full(key_v.size, -np.inf)
    np.maximum.at(best_q, inv, pq)
    prac = np.empty(key_v.size, dtype=np.int64)
    prac[inv] = c
    order = np.lexsort((-best_q, -counts, prac))
    first = np.concatenate([[True], prac[order][1:] != prac[order][:-1]])
    chosen = order[first]
    state.set_codified(prac[chosen], key_v[chosen])


def development_time(state: State, scenario: Scenario, rng: np.random.Generator,
                     week: int) -> dict[str, float]:
    """Run one development-time session at every school; return counters."""
    h = scenario.home
    out = {"sessions": 0.0, "person_hours": 0.0}
    rts = state.groups().resource_teachers
    if rts.size == 0:
        return out
    # one presenter per school: the resource teacher with most explicit knowledge
    knowledge = np.take(state.knowledge, rts, axis=0)
    order = np.lexsort((-row_sum(knowledge), state.school[rts]))
    rts = rts[order]
    school = state.school[rts]
    first = np.concatenate([[True], school[1:] != school[:-1]])
    rts, knowledge = rts[first], knowledge[order[first]]
    schools = state.school[rts]
    stage = np.take(state.stage, rts, axis=0)
    has_something = row_any(stage >= AWARE) & (row_max(knowledge) > 0)
    attended = state.leader_attended[schools]
    backing = np.where(attended, 1.0, state.alignment[schools])
    p_time = h.dev_time_allocation * owner_priority(scenario) * (
        h.unbacked_time_share + (1 - h.unbacked_time_share) * backing)
    given = has_something & (rng.random(rts.size) < p_time)
    if not given.any():
        return out
    rts, schools, backing, attended = rts[given], schools[given], backing[given], attended[given]
    stage, knowledge = stage[given], knowledge[given]
    # practice to present: the one chosen to take back at the last gathering; else the one
    # known best, adopted practices first
    score = knowledge + (stage == ADOPTED) * 1.0
    score[stage == UNAWARE] = -1
    practice = score.argmax(axis=1)
    chosen = state.take_back[rts]
    ok = chosen >= 0
    st_chosen = stage[flatnonzero(ok), chosen[ok]]
    ok[ok] = (st_chosen >= AWARE) & (st_chosen != DROPPED)
    practice = np.where(ok, chosen, practice)
    share = np.where(attended, 1.0, h.solo_transfer_share)

    presenter_of = np.full(state.n_schools, -1, dtype=np.int64)
    presenter_of[schools] = np.arange(rts.size)
    groups = state.groups()
    slot = presenter_of[groups.school_of_staff]  # present staff of schools with a presenter
    sel = slot >= 0
    listeners, s = groups.school_rows[sel], slot[sel]
    sel = listeners != rts[s]
    listeners, s = listeners[sel], s[sel]
    n_p = state.n_practices
    to = listeners * n_p + practice[s]      # flat (listener, practice) slots
    frm = (rts * n_p + practice)[s]         # flat (presenter, practice) slots
    flat_k, flat_i = state.knowledge.reshape(-1), state.inspiration.reshape(-1)
    k_to = flat_k.take(to)
    gap = np.maximum(flat_k.take(frm) - k_to, 0)
    flat_k[to] = k_to + h.presentation_knowledge * share[s] * gap
    mandate = school_mandate(state, scenario)[schools]
    open_mind = np.where(state.resistant[listeners], mandate[s], 1.0)
    ins = flat_i.take(to)
    gain = h.presentation_inspiration * share[s] * (0.5 + 0.5 * backing[s]) * open_mind
    flat_i[to] = ins + gain * (1 - ins)
    version = state.version.reshape(-1).take(frm)
    has_version = flatnonzero(version >= 0)
    fv = frm.take(has_version)
    state.learn_versions_flat(to.take(has_version), version.take(has_version),
                              state.quality.reshape(-1).take(fv),
                              state.perceived.reshape(-1).take(fv))
    out["sessions"] = float(rts.size)
    out["person_hours"] = float((listeners.size + rts.size)
                                * scenario.calendar.dev_time_hours)
    return out


def reset_people(state: State, scenario: Scenario, rows: np.ndarray,
                 rng: np.random.Generator) -> None:
    """Newcomers take the given rows: no knowledge, no cross-school ties, fresh traits."""
    if rows.size == 0:
        return
    mot = scenario.motivation
    state.knowledge[rows] = 0.0
    state.know_how[rows] = 0.0
    state.inspiration[rows] = 0.0
    state.stage[rows] = UNAWARE
    state.version[rows] = -1
    state.quality[rows] = 0.0
    state.perceived[rows] = 0.0
    state.take_back[rows] = -1
    state.guided[rows] = 0
    state.trial_support[rows] = 0.0
    state.cocreation_group[rows] = -1
    mean = np.where(state.member[rows], mot.initial, mot.staff_initial)
    state.intrinsic[rows] = np.clip(mean + rng.normal(0, 0.1, rows.size), 0, 1)
    state.motivation[rows] = state.intrinsic[rows]
    state.resistant[rows] = (rng.random(rows.size) < scenario.home.resistant_share) & (
        state.role[rows] == TEACHER)
    state.trait[rows] = rng.random(rows.size)
    state.member_ties.remove_person(rows)
    leaders = rows[state.role[rows] == LEADER]
    state.alignment[state.school[leaders]] = 0.0

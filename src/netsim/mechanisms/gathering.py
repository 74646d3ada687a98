"""Network gatherings: attendance, stories, small groups, expert input, reflection, take-back.

Held every ``meeting_interval_weeks`` (half a day, ``calendar.gathering_hours``) or in the
fixed ``calendar.gathering_weeks`` while the network is alive. A gathering is held for a set of
*invited* people: by default every member; the model passes an area's or a meeting group's
mask for area gatherings and meeting groups (see :mod:`netsim.model`), and the gathering's own
length, so its cost is its attendees × its hours. The fixed agenda follows seed 001 §1.1,
§5.2.2:

1. **Attendance.** A member attends with probability
   ``clip(attendance_base + attendance_formality_gain * (formality - 0.5)) * (0.5 + 0.5 m)``
   where ``m`` is the member's motivation (formality raises attendance, seed 001 §5.4.2-5.4.3);
   only invited people can attend. A leader attends with probability
   ``leader_participation * owner_priority`` (the client's first condition, "most often",
   seed 001 §5.2; :func:`owner_priority`: a committed owner makes it easier for leaders to
   prioritise the network, §5.3.3). Facilitators run the gathering and always attend.
2. **Peer practice stories** (``gathering.stories``). Facilitators pick "good examples"
   (seed 001 §5.2.2): the versions attending adopters report best (perceived quality), one
   per presenter. Attendees gain ``story_knowledge`` and ``story_inspiration`` (more than a
   lecture, seed 001 §5.3.1) and hear of the presenter's version; the presenter is praised
   (motivation).
3. **First group task** in *base groups* of ``group_size``, composed at the first gathering (a
   newcomer takes the seat of the person they replace), so the same people meet again
   ("meeting so often with the same people", §5.3.6; "fixed participants - lasting
   relations", Table 6.2). Within a group, person *i* closes a share
   ``group_exchange * t_ij * u(d_ij) * openness / (g - 1)`` of each positive knowledge gap to
   partner *j* (:func:`group_session`): ``t_ij`` is their trust (psychological safety gates
   exchange, seed 001 §5.3.6), ``u(d_ij)`` their understanding at cognitive distance ``d_ij``
   (:mod:`netsim.mechanisms.distance`; facilitators present moderate, which widens it), and
   :func:`openness` the share of exchange a formal frame and a directive style leave. The gap
   is the novelty, so exchange is understanding times novelty (Nooteboom et al. 2007). *i*
   hears of *j*'s adopted versions with probability ``t_ij * u(d_ij)`` and then gains
   inspiration ``0.5 * story_inspiration * t_ij`` for that practice. Afterwards every
   cross-school pair's trust grows: ``t += trust.growth * (1 - t)`` (seed 001 §5.3.6).
   ``group_diversity`` sets how the base groups are composed on the members' background
   (school form, then position within it: :func:`netsim.mechanisms.distance.perspective`): 0
   puts similar people together, 0.5 mixes at random, 1 spreads each group over the whole
   range (seed 002 §2.2-2.3, "lagom friktion"; with more school forms, ``network.school_forms``,
   the range is wider). When gatherings are held per area or meeting group
   (``network.gatherings_by_area`` or area gatherings), base groups are composed within each
   area, so they meet at that area's gatherings.
4. **Plenary expert input** (``gathering.expert_inputs``). The facilitators present the
   expert-known practice the attendees' schools need most (their needs analyses,
   ``state.need``; none in the default), then the least known to the attendees (novelty, seed
   001 §6.4.5): each attendee gains ``lecture_knowledge`` of the gap to full explicit knowledge
   and ``lecture_inspiration``, and hears of the reference version with its research claim
   (``state.claimed``) as its reported quality.
5. **Second group task** in freshly mixed groups (the network as matchmaker, seed 001 §5.3.1),
   with the same exchange and trust rules.
6. **Same-school reflection** where the resource teacher and the leader both came to this
   gathering: the leader's alignment grows by ``reflection_alignment`` of its gap and the leader
   closes half of each knowledge gap to the resource teacher (seed 001 §5.2.5, §5.3.3). A
   school's "leader attended the last gathering" flag (used by home transfer) is updated only
   when its leader was invited to this gathering.
7. **"What will you take back?"** Each attendee chooses one practice to take home
   (:func:`choose_take_back`); the resource teacher presents it in development time. Attendees
   from other schools who chose a story's practice contact its presenter: a follow-up tie
   (seed 001 §6.3.2, "gave more confidence"). With facilitators present, the network's common
   version of each practice is codified (:func:`codify`: the plan and booklet, seed 001 §5.4.7),
   and people hearing of it give it the conformity bonus
   (:meth:`netsim.state.State.learn_versions`).
"""

from __future__ import annotations

import functools

import numpy as np

from netsim.config import FacilitatorStyle, Scenario
from netsim.mechanisms.distance import (
    pair_distance,
    perspective,
    understanding,
    understanding_range,
)
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    FACILITATOR,
    LEADER,
    RESOURCE_TEACHER,
    State,
    flatnonzero,
    scatter_add,
)

__all__ = ["attendance", "choose_take_back", "codify", "group_pairs", "hold_gathering",
           "make_groups", "openness", "owner_priority"]


def owner_priority(scenario: Scenario) -> float:
    """How far leaders prioritise network work: ``1 - w * (1 - owner_commitment)`` with ``w =
    motivation.owner_priority_weight`` (seed 001 §5.3.3, domain notes §7.6: an enthusiastic
    owner makes it easier for leaders to prioritise attendance and development time)."""
    m = scenario.motivation
    return 1.0 - m.owner_priority_weight * (1.0 - m.owner_commitment)


def openness(scenario: Scenario) -> float:
    """Share of group exchange that happens: ``1 - formality_openness_cost * formality``, times
    ``1 - directive_openness_cost`` under a directive style (seed 001 §5.4.3, Table 6.2)."""
    g = scenario.gathering
    value = 1.0 - g.formality_openness_cost * scenario.formality
    if g.facilitator_style is FacilitatorStyle.directive:
        value *= 1.0 - g.directive_openness_cost
    return value


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
            ins = state.inspiration[dst[r], c]
            state.inspiration[dst[r], c] = ins + 0.5 * g.story_inspiration * trust[r] * (1 - ins)
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

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

Each step is a compiled loop (:mod:`netsim.kernels`) below the functions that call it, written
as the step's rule; draws are made by the calling function in NumPy, in the order the steps
make them. Where the vectorised rule's NumPy sums or sort orders decided something (pairwise
means, stable sorts, the first of equals), the loops reproduce them (:func:`numpy_sum`). Speed
tricks beyond compiling (issue 14; each exact, see its comment): steps 2-7 run as one compiled
call (:func:`_agenda`, which calls the steps' loops in turn), with their draws made in one
call (:func:`_draw_all`); ties first made during a gathering are kept aside and put into the
tie store once at its end (:class:`_NewTies`); the codified versions are stored only when
they change.
"""

from __future__ import annotations

import numpy as np

from netsim.config import FacilitatorStyle, Scenario
from netsim import kernels
from netsim.kernels import kernel, numpy_sum
from netsim.mechanisms.distance import (
    MAX_FORMS,
    perspective,
    understanding_range,
)
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    FACILITATOR,
    LEADER,
    RESOURCE_TEACHER,
    SWITCH_MARGIN,
    State,
    flatnonzero,
    hear_versions,
)

__all__ = ["anyone_present", "attendance", "choose_take_back", "codify", "group_pairs",
           "group_session", "hold_gathering", "make_groups", "openness", "owner_priority"]


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
    base, leader_p = _attendance_probabilities(scenario)
    draw = rng.random(state.n_people)
    return _attend(invited, state.present, state.role, state.motivation, draw, base, leader_p)


@kernel
def anyone_present(invited: np.ndarray, present: np.ndarray) -> bool:  # pragma: no cover
    """Whether anyone invited is present (``(invited & present).any()``, compiled: a speed
    trick, as the first NumPy call after the weekly loops it cost 20-30 us)."""
    for r in range(invited.size):
        if invited[r] and present[r]:
            return True
    return False


def _attendance_probabilities(scenario: Scenario) -> tuple[float, float]:
    """A member's attendance probability at full motivation, and a leader's (rule 1)."""
    g = scenario.gathering
    base = min(max(g.attendance_base + g.attendance_formality_gain * (scenario.formality - 0.5),
                   0.0), 1.0)
    return base, scenario.leader_participation * owner_priority(scenario)


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
    noise = rng.random(n)
    return _deal_groups(np.asarray(people, dtype=np.int64), trait, noise, group_size,
                        diversity)


def group_pairs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All unordered pairs (positions i < j) of members of the same group.

    Pairs come by group size (smallest first), then by group id, then in the order of the
    group's members (positions), first partner before second (:func:`_pair_positions`).
    """
    a, b, _ = _pair_positions(np.asarray(group, dtype=np.int64))
    return a, b


def group_session(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
                  people: np.ndarray, group: np.ndarray, moderated: bool = True) -> float:
    """One small-group task: exchange gated by trust, understanding and openness, then trust
    grows; return knowledge gained.

    ``people[i]`` sits in group ``group[i]``. Pairs from the same school use their collegial
    trust (``network.colleague_trust``) and form no cross-school tie. A pair's exchange is
    scaled by its understanding ``u(d_ij)`` (:mod:`netsim.mechanisms.distance`; widened when
    facilitators are there to moderate) and by :func:`openness`; the novelty is the knowledge
    gap itself, so exchange peaks at moderate distance (:func:`_group_task`).
    """
    new_ties = _NewTies()
    gained = _group_task(state, scenario, rng, week, people, group, moderated, new_ties)
    new_ties.create(state, scenario, week)
    return gained


class _NewTies:
    """Cross-school ties first made during one gathering, kept aside until its end.

    A speed trick (issue 14): the tie store's sorted arrays are rebuilt once per gathering
    instead of after each group task and the follow-up. Nothing reads the store in between
    but the gathering's own loops, which look here too, so the store ends exactly as if each
    tie had been created when first used: same keys, trust ``trust.initial`` then grown at
    each use, last contact this week. ``key`` is sorted (``lo * n + hi``, as the store's).
    """

    def __init__(self) -> None:
        self.key = np.empty(0, dtype=np.int64)
        self.trust = np.empty(0)

    def create(self, state: State, scenario: Scenario, week: int) -> None:
        """Put the new ties into ``state.member_ties`` with the trust they have reached."""
        state.member_ties.put(self.key, self.trust, week)


def _group_task(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
                people: np.ndarray, group: np.ndarray, moderated: bool,
                new_ties: _NewTies) -> float:
    """:func:`group_session` with its new ties kept in ``new_ties`` (the loop:
    :func:`_group_work`). Its draws (two per pair, see :func:`_group_work`) are made at once
    before the loop: nothing else draws in between (see :func:`_draw_all`)."""
    people = np.asarray(people, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    draws = rng.random(2 * _n_pairs(group))
    gained, new_ties.key, new_ties.trust, _ = _group_work(
        people, group, draws, 0, *_exchange_settings(state, scenario, moderated, week),
        new_ties.key, new_ties.trust, state._bonus, SWITCH_MARGIN)
    return gained


def _exchange_settings(state: State, scenario: Scenario, moderated: bool, week: int) -> tuple:
    """The arguments of :func:`_group_work` that a gathering's two group tasks share (the
    state's arrays and the exchange's parameters), in its order."""
    ties = state.member_ties
    return (state.school, state.form, state.trait, state.knowledge, state.know_how,
            state.inspiration, state.stage, state.version, state.quality, state.perceived,
            ties.key, ties.trust, ties.last_contact, ties.n, scenario.trust.initial,
            scenario.network.colleague_trust, scenario.network.background_weight,
            understanding_range(scenario, moderated), scenario.gathering.group_exchange,
            openness(scenario), scenario.trust.growth, week,
            0.5 * scenario.gathering.story_inspiration)


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

    The agenda of the module docstring: attendance (:func:`attendance`,
    :func:`_open_gathering`), steps 2-7 in one compiled call (:func:`_agenda`), then the new
    ties and the codified versions are stored.

    Args:
        invited: mask of the people invited (default ``state.member``: the whole network).
            Area gatherings and meeting groups pass their own group's mask.
        hours: length of this gathering (default ``calendar.gathering_hours``).
    """
    g = scenario.gathering
    invited_mask = state.member if invited is None else invited
    # 1. attendance; the audience (attendees but facilitators), head counts, and the leaders'
    # attendance per school (updated only for schools whose leader was invited)
    attend = attendance(state, scenario, rng, invited)
    audience, n_attend, n_fac, n_leaders, leader_here, n_adopted = _open_gathering(
        attend, invited_mask, state.role, state.leader, state.stage, state.leader_attended)
    out = {"attendees": float(n_attend), "exchange": 0.0, "stories": 0.0,
           "leaders_attending": float(n_leaders)}
    hours = scenario.calendar.gathering_hours if hours is None else hours
    # facilitators also spend the same time again preparing (modelling choice)
    out["person_hours"] = float(n_attend * hours + n_fac * hours)
    if audience.size == 0:
        return out
    moderated = n_fac > 0
    # one draw per story candidate (adopted slots in the audience), then the base groups of
    # the first gathering are composed, then every other draw of the agenda at once
    story_draw = rng.random(n_adopted if g.stories > 0 else 0)
    if state.base_group.size != state.n_people:
        _compose_base_groups(state, scenario, rng)
    seated, base, n_base_pairs = _seat(audience, state.base_group)
    # the expert-known practices, presented only if a facilitator is there to bring them
    known = flatnonzero(state.expert_known) if moderated and g.expert_inputs > 0 else \
        np.empty(0, dtype=np.int64)
    draws = _draw_all(rng, audience.size, n_base_pairs, known.size, g.group_size,
                      state.n_practices)
    exchange, told, new_key, new_trust, practices, versions = _agenda(
        audience, leader_here, seated, base, story_draw, draws, known, moderated,
        *_exchange_settings(state, scenario, moderated, week), state._bonus, SWITCH_MARGIN,
        g.stories, g.story_knowledge, g.story_inspiration, scenario.motivation.success_gain,
        g.group_size, g.expert_inputs, g.lecture_knowledge, g.lecture_inspiration,
        g.reflection_alignment, 1.0 + scenario.network.need_weight, state.role, state.leader,
        state.need, state.effectiveness, state.claimed, state.motivation, state.alignment,
        state.take_back, state.codified)
    out["exchange"] += exchange
    out["stories"] = float(told)
    # the ties first made at this gathering, into the store at its end (_NewTies.create)
    state.member_ties.put(new_key, new_trust, week)
    if practices.size:  # the facilitators codified a new common version of these practices
        state.set_codified(practices, versions)
    return out


def _draw_all(rng: np.random.Generator, m: int, n_base_pairs: int, n_known: int,
              group_size: int, n_practices: int) -> np.ndarray:
    """The draws of steps 3-7 of an agenda for ``m`` attendees, in one call, in the order the
    steps use them (:func:`_agenda` takes them in turn): two per pair of the base groups
    (hearing, each way), one per expert-known practice, one per attendee (the mixed groups'
    noise), two per pair of the mixed groups, one per attendee and practice (the take-back).

    A speed trick (issue 14): one call instead of seven. It gives the same doubles, and leaves
    the generator in the same state, as the seven calls in turn: ``Generator.random`` fills an
    array with one double per 64-bit output of the bit generator, with nothing buffered
    between calls (tests/mechanisms/test_gathering_kernels.py checks it). The mixed groups'
    pairs are counted from their sizes: at ``diversity`` 0.5 :func:`make_groups` cuts chunks of
    ``group_size`` (the last one smaller); :func:`_agenda` checks the count.
    """
    full, rest = divmod(m, group_size)
    n_mixed_pairs = full * (group_size * (group_size - 1) // 2) + rest * (rest - 1) // 2
    return rng.random(2 * n_base_pairs + n_known + m + 2 * n_mixed_pairs + m * n_practices)


def choose_take_back(state: State, people: np.ndarray, rng: np.random.Generator,
                     need_weight: float = 0.0) -> None:
    """Each of ``people`` chooses the practice to take back home: the one with the highest
    ``inspiration * knowledge`` among practices they know of and have not dropped (ties at
    random); -1 if none (seed 001 §1.1, §5.2.2: "What and how will you take this back to your
    own school?"). The practice their school's needs analysis names (``state.need``) scores
    ``1 + need_weight`` times as much (seed 003). The loop: :func:`_choose_take_back`."""
    if people.size == 0:
        return
    draw = rng.random((people.size, state.n_practices))  # random among equals
    _choose_take_back(np.asarray(people, dtype=np.int64), draw, 1.0 + need_weight,
                      state.school, state.need, state.stage, state.inspiration,
                      state.knowledge, state.take_back)


def codify(state: State, attendees: np.ndarray) -> None:
    """The facilitators codify, for each practice, the version most attending adopters use (ties:
    higher perceived quality, then the older version) as the network's common version (seed
    001 §5.4.7 plan and booklet; seed 002 §2.3). Practices no attendee uses keep their
    codified version. The loop: :func:`_codify`."""
    practices, versions = _codify(np.asarray(attendees, dtype=np.int64), state.stage,
                                  state.version, state.perceived)
    if practices.size:
        state.set_codified(practices, versions)


# ---------------------------------------------------------------------------------------------
# Compiled loops (netsim.kernels). Each keeps the vectorised rule's arithmetic and order: the
# docstrings say which NumPy expression a loop reproduces where the order matters.


@kernel
def _attend(invited: np.ndarray, present: np.ndarray, role: np.ndarray, motivation: np.ndarray,
            draw: np.ndarray, base: float, leader_p: float) -> np.ndarray:  # pragma: no cover
    """Attendance (rule 1 of the module docstring): invited and present people attend when
    their draw falls below ``base * (0.5 + 0.5 m)``; leaders below ``leader_p``; facilitators
    always."""
    n = role.size
    out = np.zeros(n, dtype=np.bool_)
    for r in range(n):
        if role[r] == FACILITATOR:
            p = 1.0
        elif role[r] == LEADER:
            p = leader_p
        else:
            p = base * (0.5 + 0.5 * motivation[r])
        out[r] = invited[r] and present[r] and draw[r] < p
    return out


@kernel
def _open_gathering(attend: np.ndarray, invited: np.ndarray, role: np.ndarray,
                    leader: np.ndarray, stage: np.ndarray,
                    leader_attended: np.ndarray):  # pragma: no cover
    """Audience (attendees who are not facilitators, by row), head counts of attendees,
    facilitators and leaders, each school's "leader is here" flag (written to
    ``leader_attended`` for schools whose leader was invited) and the number of (audience
    member, practice) slots at ADOPTED, the candidates for peer stories."""
    n = role.size
    n_p = stage.shape[1]
    audience = np.empty(n, dtype=np.int64)
    m = n_attend = n_fac = n_leaders = n_adopted = 0
    for r in range(n):
        if not attend[r]:
            continue
        n_attend += 1
        if role[r] == FACILITATOR:
            n_fac += 1
            continue
        if role[r] == LEADER:
            n_leaders += 1
        audience[m] = r
        m += 1
        for c in range(n_p):
            if stage[r, c] == ADOPTED:
                n_adopted += 1
    leader_here = np.zeros(leader.size, dtype=np.bool_)
    for s in range(leader.size):
        lead = leader[s]
        if lead >= 0 and invited[lead]:
            leader_here[s] = attend[lead]
            leader_attended[s] = attend[lead]
    return audience[:m], n_attend, n_fac, n_leaders, leader_here, n_adopted


@kernel
def _seat(audience: np.ndarray, base_group: np.ndarray):  # pragma: no cover
    """The attendees who have a seat in a base group (``base_group >= 0``), by row, their
    base groups (as ``audience[seated], base[seated]`` gave) and the number of their pairs."""
    people = np.empty(audience.size, dtype=np.int64)
    group = np.empty(audience.size, dtype=np.int64)
    m = 0
    for t in range(audience.size):
        b = base_group[audience[t]]
        if b >= 0:
            people[m] = audience[t]
            group[m] = b
            m += 1
    return people[:m], group[:m], _n_pairs(group[:m])


@kernel
def _n_pairs(group: np.ndarray) -> int:  # pragma: no cover
    """How many pairs :func:`_pair_positions` makes of ``group``: sum of ``s (s - 1) / 2``
    over the groups' sizes ``s``."""
    if group.size == 0:
        return 0
    lo = group.min()
    count = np.zeros(group.max() - lo + 1, dtype=np.int64)
    for t in range(group.size):
        count[group[t] - lo] += 1
    n = 0
    for g in range(count.size):
        n += count[g] * (count[g] - 1) // 2
    return n


@kernel
def _group_work(people: np.ndarray, group: np.ndarray, draws: np.ndarray, used: int,
                school: np.ndarray, form: np.ndarray, trait: np.ndarray, knowledge: np.ndarray,
                know_how: np.ndarray, inspiration: np.ndarray, stage: np.ndarray,
                version: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
                key: np.ndarray, tie_trust: np.ndarray, tie_contact: np.ndarray, n: int,
                initial: float, colleague_trust: float, background_weight: float,
                reach: float, group_exchange: float, open_: float, growth: float, week: int,
                inspiration_gain: float, new_key: np.ndarray, new_trust: np.ndarray,
                bonus: np.ndarray, margin: float):  # pragma: no cover
    """One group task (rule 3): the exchange (:func:`_exchange`), then versions pass in the
    pairs (:func:`_hear_partners`, heard as :meth:`State.learn_versions_flat` hears them:
    :func:`netsim.state.hear_versions`) from each pair's second partner to the first, then
    back, each way with one draw per pair, taken from ``draws`` at ``used`` on. Returns the
    knowledge gained, the new ties with those made now and where the unused draws begin."""
    pa, pb, trust, p_heard, gained, new_key, new_trust = _exchange(
        group, people, school, form, trait, knowledge, know_how, key, tie_trust, tie_contact,
        new_key, new_trust, n, initial, colleague_trust, background_weight, reach,
        group_exchange, open_, growth, week)
    if pa.size == 0:
        return 0.0, new_key, new_trust, used
    for way in range(2):
        src, dst = (pb, pa) if way == 0 else (pa, pb)
        heard = draws[used:used + pa.size]
        used += pa.size
        flat, ver, qual, rep = _hear_partners(people, src, dst, heard, p_heard, trust,
                                              inspiration_gain, stage, version, quality,
                                              perceived, inspiration)
        hear_versions(flat, ver, qual, rep, bonus, margin, version, quality, perceived, stage)
    return gained, new_key, new_trust, used


@kernel
def _agenda(audience: np.ndarray, leader_here: np.ndarray, seated: np.ndarray,
            base: np.ndarray, story_draw: np.ndarray, draws: np.ndarray, known: np.ndarray,
            moderated: bool, school: np.ndarray, form: np.ndarray, trait: np.ndarray,
            knowledge: np.ndarray, know_how: np.ndarray, inspiration: np.ndarray,
            stage: np.ndarray, version: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
            key: np.ndarray, tie_trust: np.ndarray, tie_contact: np.ndarray, n: int,
            initial: float, colleague_trust: float, background_weight: float, reach: float,
            group_exchange: float, open_: float, growth: float, week: int,
            inspiration_gain: float, bonus: np.ndarray, margin: float, n_stories: int,
            story_knowledge: float, story_inspiration: float, success_gain: float,
            group_size: int, n_inputs: int, lecture_knowledge: float,
            lecture_inspiration: float, reflection_alignment: float, need_boost: float,
            role: np.ndarray, leader: np.ndarray, need: np.ndarray, effectiveness: np.ndarray,
            claimed: np.ndarray, motivation: np.ndarray, alignment: np.ndarray,
            take_back: np.ndarray, codified: np.ndarray):  # pragma: no cover
    """Steps 2-7 of a gathering's agenda (the module docstring) for its ``audience``, in order.

    One compiled call for the whole agenda: a speed trick (issue 14) that only saves the
    calls between the steps; each step is the loop it was, on the state as the previous step
    left it, with its draws in turn (``story_draw``; the rest in ``draws``, see
    :func:`_draw_all`). People hear of versions as :meth:`State.learn_versions_flat` makes
    them (:func:`netsim.state.hear_versions`, the conformity ``bonus`` as it was when the
    gathering began: only codifying changes it, at the end). ``seated``/``base``: the
    attendees with a base group and their groups. Returns the knowledge gained in the two
    group tasks, the number of stories told, the ties first made (sorted keys, trust) and
    the practices whose codified version changes with the versions they change to (the
    others would be set to what they are; :meth:`State.set_codified` changes nothing then).
    """
    m = audience.size
    n_p = knowledge.shape[1]
    new_key = np.empty(0, dtype=np.int64)
    new_trust = np.empty(0)
    # 2. peer practice stories: best versions among attending adopters, one per presenter
    presenter = practice = np.empty(0, dtype=np.int64)
    if n_stories > 0 and story_draw.size > 0:
        presenter, practice = _pick_stories(audience, stage, perceived, story_draw, n_stories)
        for s in range(practice.size):
            flat, ver, qual, rep = _tell_story(audience, presenter[s], practice[s],
                                               story_knowledge, story_inspiration, success_gain,
                                               knowledge, inspiration, motivation, version,
                                               quality, perceived)
            hear_versions(flat, ver, qual, rep, bonus, margin, version, quality, perceived,
                          stage)
    # 3. first group task in the base groups
    exchange = 0.0
    gained, new_key, new_trust, used = _group_work(
        seated, base, draws, 0, school, form, trait, knowledge, know_how, inspiration, stage,
        version, quality, perceived, key, tie_trust, tie_contact, n, initial, colleague_trust,
        background_weight, reach, group_exchange, open_, growth, week, inspiration_gain,
        new_key, new_trust, bonus, margin)
    exchange += gained
    # 4. plenary expert input (``known`` is empty without a facilitator)
    if known.size > 0:
        flat, ver, qual, rep = _expert_input(
            audience, known, draws[used:used + known.size], n_inputs, lecture_knowledge,
            lecture_inspiration, school, need, effectiveness, claimed, knowledge, inspiration)
        used += known.size
        # one hearing for all presented practices: they are distinct, so their slots are too
        hear_versions(flat, ver, qual, rep, bonus, margin, version, quality, perceived, stage)
    # 5. second group task in freshly mixed groups (make_groups at diversity 0.5)
    mixed = _deal_groups(audience, trait, draws[used:used + m], group_size, 0.5)
    used += m
    gained, new_key, new_trust, used = _group_work(
        audience, mixed, draws, used, school, form, trait, knowledge, know_how, inspiration,
        stage, version, quality, perceived, key, tie_trust, tie_contact, n, initial,
        colleague_trust, background_weight, reach, group_exchange, open_, growth, week,
        inspiration_gain, new_key, new_trust, bonus, margin)
    exchange += gained
    # 6. same-school reflection when the resource teacher and the leader both came
    _reflect(audience, leader_here, role, school, leader, reflection_alignment, alignment,
             knowledge)
    # 7. "what will you take back": each attendee chooses one practice; a peer story's
    # presenter becomes a follow-up contact of those who chose the story's practice
    if used + m * n_p != draws.size:  # the mixed groups' pairs were counted by _draw_all
        raise ValueError("gathering: the draws do not match the groups")
    _choose_take_back(audience, draws[used:].reshape((m, n_p)), need_boost, school, need,
                      stage, inspiration, knowledge, take_back)
    if practice.size:
        new_key, new_trust = _follow_up(audience, practice, presenter, take_back, school, key,
                                        tie_trust, tie_contact, new_key, new_trust, n, initial,
                                        growth, week)
    # the facilitators codify the network's common version (plan, booklet)
    changed = np.empty(0, dtype=np.int64)
    to = np.empty(0, dtype=np.int64)
    if moderated:
        practices, versions = _codify(audience, stage, version, perceived)
        keep = np.zeros(practices.size, dtype=np.bool_)
        for i in range(practices.size):
            keep[i] = codified[practices[i]] != versions[i]
        changed, to = practices[keep], versions[keep]
    return exchange, practice.size, new_key, new_trust, changed, to


@kernel
def _pick_stories(audience: np.ndarray, stage: np.ndarray, perceived: np.ndarray,
                  draw: np.ndarray, n_stories: int):  # pragma: no cover
    """Peer stories (rule 2): the candidates are the audience's adopted (person, practice)
    slots, by person then practice, each with one draw. The best reported one (highest
    perceived quality; ties: lower draw, then the earlier candidate) is told first, then the
    best of the presenters not yet picked, up to ``n_stories``: what ``lexsort((draw,
    -perceived))`` and the first candidate of each presenter in that order gave. Returns the
    presenters and practices, in telling order."""
    n_p = stage.shape[1]
    person = np.empty(draw.size, dtype=np.int64)  # position in the audience
    practice = np.empty(draw.size, dtype=np.int64)
    m = 0
    for t in range(audience.size):
        for c in range(n_p):
            if stage[audience[t], c] == ADOPTED:
                person[m] = t
                practice[m] = c
                m += 1
    picked = np.zeros(audience.size, dtype=np.bool_)
    out_p = np.empty(min(n_stories, m), dtype=np.int64)
    out_k = np.empty(min(n_stories, m), dtype=np.int64)
    n_out = 0
    while n_out < out_p.size:
        best = -1
        for e in range(m):
            if picked[person[e]]:
                continue
            q = perceived[audience[person[e]], practice[e]]
            if best < 0:
                best, best_q = e, q
            elif q > best_q or (q == best_q and draw[e] < draw[best]):
                best, best_q = e, q
        if best < 0:
            break
        picked[person[best]] = True
        out_p[n_out] = audience[person[best]]
        out_k[n_out] = practice[best]
        n_out += 1
    return out_p[:n_out], out_k[:n_out]


@kernel
def _tell_story(audience: np.ndarray, presenter: int, practice: int, story_knowledge: float,
                story_inspiration: float, success_gain: float, knowledge: np.ndarray,
                inspiration: np.ndarray, motivation: np.ndarray, version: np.ndarray,
                quality: np.ndarray, perceived: np.ndarray):  # pragma: no cover
    """One peer story (rule 2): every attendee closes ``story_knowledge`` of the gap to full
    knowledge of the practice and ``story_inspiration`` of the inspiration gap; the presenter
    is praised (``motivation += success_gain``, at most 1). Returns what the attendees hear,
    for :meth:`State.learn_versions_flat`: the presenter's version with its quality and the
    presenter's perceived quality."""
    m = audience.size
    n_p = knowledge.shape[1]
    v = version[presenter, practice]
    q = quality[presenter, practice]
    pq = perceived[presenter, practice]
    flat = np.empty(m, dtype=np.int64)
    for t in range(m):
        r = audience[t]
        k = knowledge[r, practice]
        knowledge[r, practice] = k + story_knowledge * (1 - k)
        i = inspiration[r, practice]
        inspiration[r, practice] = i + story_inspiration * (1 - i)
        flat[t] = r * n_p + practice
    mot = motivation[presenter] + success_gain
    motivation[presenter] = mot if mot < 1.0 else 1.0
    return flat, np.full(m, v), np.full(m, q), np.full(m, pq)


@kernel
def _deal_groups(people: np.ndarray, trait: np.ndarray, noise: np.ndarray, group_size: int,
                 diversity: float) -> np.ndarray:  # pragma: no cover
    """The grouping of :func:`make_groups`: people sorted (stably) by ``(1 - w) * trait + w *
    noise``, ``w = 2 * diversity``, and cut into consecutive chunks of ``group_size``; above
    ``diversity`` 0.5, with ``w = 2 - 2 * diversity``, dealt round-robin over ``ceil(n /
    group_size)`` groups."""
    n = people.size
    n_groups = max(1, -(-n // group_size))
    w = 2 * diversity if diversity <= 0.5 else 2 - 2 * diversity
    key = np.empty(n)
    for t in range(n):
        key[t] = (1 - w) * trait[people[t]] + w * noise[t]
    order = np.argsort(key, kind="mergesort")  # stable, as NumPy's kind="stable"
    group = np.empty(n, dtype=np.int64)
    for rank in range(n):
        group[order[rank]] = rank // group_size if diversity <= 0.5 else rank % n_groups
    return group


@kernel
def _pair_positions(group: np.ndarray):  # pragma: no cover
    """All pairs of positions in the same group, and their group's size.

    The order :func:`group_pairs` has always given: members sorted stably by group id;
    groups by size (smallest first), then id; in a group, pairs ``(a, b)``, ``a < b``, in the
    row-major order of ``np.triu_indices(size, 1)`` over the sorted members.
    """
    n = group.size
    empty = np.empty(0, dtype=np.int64)
    if n == 0:
        return empty, empty, empty
    lo, hi = group.min(), group.max()
    n_groups = hi - lo + 1
    count = np.zeros(n_groups, dtype=np.int64)
    for t in range(n):
        count[group[t] - lo] += 1
    first = np.zeros(n_groups, dtype=np.int64)  # start of each group in the sorted order
    for g in range(1, n_groups):
        first[g] = first[g - 1] + count[g - 1]
    fill = first.copy()
    order = np.empty(n, dtype=np.int64)  # a counting sort is stable
    for t in range(n):
        g = group[t] - lo
        order[fill[g]] = t
        fill[g] += 1
    n_pairs = 0
    largest = 0
    for g in range(n_groups):
        n_pairs += count[g] * (count[g] - 1) // 2
        largest = max(largest, count[g])
    a = np.empty(n_pairs, dtype=np.int64)
    b = np.empty(n_pairs, dtype=np.int64)
    size = np.empty(n_pairs, dtype=np.int64)
    e = 0
    for s in range(2, largest + 1):
        for g in range(n_groups):
            if count[g] != s:
                continue
            f = first[g]
            for x in range(s):
                for y in range(x + 1, s):
                    a[e] = order[f + x]
                    b[e] = order[f + y]
                    size[e] = s
                    e += 1
    return a, b, size


@kernel
def _find_tie(key: np.ndarray, new_key: np.ndarray, k: int):  # pragma: no cover
    """Where the tie with key ``k`` is: ``(1, position)`` in the store's sorted ``key``,
    ``(2, position)`` among the gathering's new ties, ``(0, -1)`` if it does not exist yet."""
    at = np.searchsorted(key, k)
    if at < key.size and key[at] == k:
        return 1, at
    at = np.searchsorted(new_key, k)
    if at < new_key.size and new_key[at] == k:
        return 2, at
    return 0, -1


@kernel
def _add_ties(new_key: np.ndarray, new_trust: np.ndarray, key: np.ndarray,
              trust: np.ndarray):  # pragma: no cover
    """The new ties with ties of keys ``key`` (distinct, none already there) added, sorted."""
    order = kernels.argsort(key)  # distinct keys: the same order as a quicksort
    m, a = new_key.size, key.size
    out_key = np.empty(m + a, dtype=np.int64)
    out_trust = np.empty(m + a)
    x = y = 0
    for o in range(m + a):
        if y >= a or (x < m and new_key[x] < key[order[y]]):
            out_key[o], out_trust[o] = new_key[x], new_trust[x]
            x += 1
        else:
            out_key[o], out_trust[o] = key[order[y]], trust[order[y]]
            y += 1
    return out_key, out_trust


@kernel
def _exchange(group: np.ndarray, people: np.ndarray, school: np.ndarray, form: np.ndarray,
              trait: np.ndarray, knowledge: np.ndarray, know_how: np.ndarray, key: np.ndarray,
              tie_trust: np.ndarray, tie_contact: np.ndarray, new_key: np.ndarray,
              new_trust: np.ndarray, n: int, initial: float, colleague_trust: float,
              background_weight: float, reach: float, group_exchange: float, open_: float,
              growth: float, week: int):  # pragma: no cover
    """Knowledge exchange in one group task (rule 3) and the trust that grows from it.

    ``people[t]`` sits in group ``group[t]``; pair ``e`` is ``people[pa[e]]`` and
    ``people[pb[e]]`` (:func:`_pair_positions`) in a group of ``size[e]``. A cross-school
    pair's trust ``t`` is its tie's (in the store: ``key``, ``tie_trust``; or among the
    gathering's new ties; a tie made now starts at ``initial``), a same-school pair's
    ``colleague_trust``. Its portfolio distance
    (:func:`netsim.mechanisms.distance.pair_distance`) is ``d = w b + (1 - w) mean_k |x_ik -
    x_jk| / 2`` with ``b = (|f_i - f_j| / 3 + |t_i - t_j|) / 2`` and ``x = knowledge +
    know_how`` (the mean as NumPy sums it: :func:`numpy_sum`); its understanding ``u = max(0,
    1 - d / reach)``; its rate ``group_exchange * t * u * open_ / max(size - 1, 1)``. Each
    closes that share of every positive knowledge gap to the other, from the knowledge before
    the task, summed over partners in pair order (first partners' gains, then second
    partners', as two ``bincount`` did) and capped at 1. Then every cross tie's trust grows,
    ``t += growth * (1 - t)``; a stored tie's last contact becomes ``week``.

    Returns the pairs' positions, each pair's trust before growth and ``t * u`` (the chance
    that a version passes), the knowledge gained (summed in row order, which may differ from
    NumPy's pairwise sum in the last bit: a counter only) and the new ties with those made now.
    """
    pa, pb, size = _pair_positions(group)
    n_pairs = pa.size
    n_p = knowledge.shape[1]
    trust = np.empty(n_pairs)
    p_heard = np.empty(n_pairs)
    where = np.zeros(n_pairs, dtype=np.int64)  # 0 same school, 1 stored, 2 new, 3 made now
    at = np.empty(n_pairs, dtype=np.int64)
    made_key = np.empty(n_pairs, dtype=np.int64)
    made_trust = np.empty(n_pairs)
    n_made = 0
    gain_a = np.zeros((people.size, n_p))  # by position in people: first partners' gains
    gain_b = np.zeros((people.size, n_p))  # second partners'
    diff = np.empty(n_p)
    for e in range(n_pairs):
        x, y = people[pa[e]], people[pb[e]]
        t = colleague_trust
        if school[x] != school[y]:
            k = np.int64(min(x, y)) * n + max(x, y)
            where[e], at[e] = _find_tie(key, new_key, k)
            if where[e] == 1:
                t = tie_trust[at[e]]
            elif where[e] == 2:
                t = new_trust[at[e]]
            else:
                where[e], at[e] = 3, n_made
                made_key[n_made] = k
                t = initial
                n_made += 1
        d = 0.5 * (abs(form[x] - form[y]) / (MAX_FORMS - 1) + abs(trait[x] - trait[y]))
        if background_weight < 1.0:
            for c in range(n_p):
                diff[c] = abs((knowledge[x, c] + know_how[x, c])
                              - (knowledge[y, c] + know_how[y, c]))
            practice = numpy_sum(diff, 0, n_p, 1) / n_p * 0.5
            d = background_weight * d + (1 - background_weight) * practice
        u = max(0.0, 1.0 - d / reach)
        rate = group_exchange * t * u * open_ / max(size[e] - 1, 1)
        for c in range(n_p):
            kx, ky = knowledge[x, c], knowledge[y, c]
            gain_a[pa[e], c] += rate * max(ky - kx, 0.0)
            gain_b[pb[e], c] += rate * max(kx - ky, 0.0)
        trust[e] = t
        p_heard[e] = t * u
    total = 0.0
    for t_ in range(people.size):
        r = people[t_]
        for c in range(n_p):
            gain = min(gain_a[t_, c] + gain_b[t_, c], 1 - knowledge[r, c])
            knowledge[r, c] += gain
            total += gain
    for e in range(n_pairs):  # trust grows between members of different schools who met
        if where[e] == 1:
            tie_trust[at[e]] += growth * (1 - tie_trust[at[e]])
            tie_contact[at[e]] = week
        elif where[e] == 2:
            new_trust[at[e]] += growth * (1 - new_trust[at[e]])
        elif where[e] == 3:
            made_trust[at[e]] = initial + growth * (1 - initial)
    new_key, new_trust = _add_ties(new_key, new_trust, made_key[:n_made], made_trust[:n_made])
    return pa, pb, trust, p_heard, total, new_key, new_trust


@kernel
def _hear_partners(people: np.ndarray, src: np.ndarray, dst: np.ndarray, draw: np.ndarray,
                   p_heard: np.ndarray,
                   trust: np.ndarray, inspiration_gain: float, stage: np.ndarray,
                   version: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
                   inspiration: np.ndarray):  # pragma: no cover
    """Versions passing in group pairs (rule 3): where pair ``e``'s draw falls below
    ``p_heard[e]``, ``people[dst[e]]`` hears of each practice ``people[src[e]]`` has adopted
    and gains inspiration ``inspiration_gain * trust[e]`` of the gap for it: once per partner
    who passes it (pair by pair, then practice by practice, each gain on the gap the previous
    one left). Returns the heard versions for :meth:`State.learn_versions_flat`."""
    n_p = stage.shape[1]
    cap = src.size * n_p
    flat = np.empty(cap, dtype=np.int64)
    ver = np.empty(cap, dtype=np.int64)
    qual = np.empty(cap)
    rep = np.empty(cap)
    gain = np.empty(cap)
    m = 0
    for e in range(src.size):
        if not draw[e] < p_heard[e]:
            continue
        s, d = people[src[e]], people[dst[e]]
        for c in range(n_p):
            if stage[s, c] == ADOPTED:
                flat[m] = d * n_p + c
                ver[m] = version[s, c]
                qual[m] = quality[s, c]
                rep[m] = perceived[s, c]
                gain[m] = inspiration_gain * trust[e]
                m += 1
    ins = inspiration.reshape(-1)
    for t in range(m):
        ins[flat[t]] += gain[t] * (1 - ins[flat[t]])
    return flat[:m], ver[:m], qual[:m], rep[:m]


@kernel
def _expert_input(audience: np.ndarray, known: np.ndarray, draw: np.ndarray, n_inputs: int,
                  lecture_knowledge: float, lecture_inspiration: float, school: np.ndarray,
                  need: np.ndarray, effectiveness: np.ndarray, claimed: np.ndarray,
                  knowledge: np.ndarray, inspiration: np.ndarray):  # pragma: no cover
    """Plenary expert input (rule 4). Of the ``known`` practices, the ones the attendees'
    schools need most (count of ``need``), then the least known (mean knowledge of the
    audience, as NumPy's ``mean(axis=0)`` sums it), then the lower draw, then the first, are
    presented, ``n_inputs`` of them: every attendee closes ``lecture_knowledge`` of the
    knowledge gap and ``lecture_inspiration`` of the inspiration gap and hears of the
    reference version (id = practice) with its research claim. Returns what is heard, for
    :meth:`State.learn_versions_flat`."""
    m = audience.size
    n_p = knowledge.shape[1]
    n_k = known.size
    column = np.empty(m)
    mean_k = np.empty(n_k)
    for c in range(n_k):
        for t in range(m):
            column[t] = knowledge[audience[t], known[c]]
        mean_k[c] = numpy_sum(column, 0, m, 1) / m
    wanted_by_practice = np.zeros(n_p, dtype=np.int64)
    for t in range(m):
        s = school[audience[t]]
        if s >= 0 and need[s] >= 0:
            wanted_by_practice[need[s]] += 1
    taken = np.zeros(n_k, dtype=np.bool_)
    n_out = min(n_inputs, n_k)
    flat = np.empty(n_out * m, dtype=np.int64)
    ver = np.empty(n_out * m, dtype=np.int64)
    qual = np.empty(n_out * m)
    rep = np.empty(n_out * m)
    for o in range(n_out):
        best = -1
        for c in range(n_k):
            if taken[c]:
                continue
            if best < 0:
                best = c
                continue
            w, wb = wanted_by_practice[known[c]], wanted_by_practice[known[best]]
            if w > wb or (w == wb and (mean_k[c] < mean_k[best] or (
                    mean_k[c] == mean_k[best] and draw[c] < draw[best]))):
                best = c
        taken[best] = True
        p = known[best]
        for t in range(m):
            r = audience[t]
            k = knowledge[r, p]
            knowledge[r, p] = k + lecture_knowledge * (1 - k)
            i = inspiration[r, p]
            inspiration[r, p] = i + lecture_inspiration * (1 - i)
            flat[o * m + t] = r * n_p + p
            ver[o * m + t] = p
            qual[o * m + t] = effectiveness[p]
            rep[o * m + t] = claimed[p]
    return flat, ver, qual, rep


@kernel
def _reflect(audience: np.ndarray, leader_here: np.ndarray, role: np.ndarray, school: np.ndarray,
             leader: np.ndarray, reflection_alignment: float, alignment: np.ndarray,
             knowledge: np.ndarray) -> None:  # pragma: no cover
    """Same-school reflection (rule 6): at each school whose leader is here and whose
    resource teacher is in the ``audience``, the leader's alignment closes
    ``reflection_alignment`` of its gap and the leader closes half of each knowledge gap to the
    best-informed attending resource teacher of the school (per practice)."""
    n_s = leader.size
    n_p = knowledge.shape[1]
    has_rt = np.zeros(n_s, dtype=np.bool_)
    best = np.zeros((n_s, n_p))
    for t in range(audience.size):
        r = audience[t]
        if role[r] == RESOURCE_TEACHER:
            s = school[r]
            has_rt[s] = True
            for c in range(n_p):
                best[s, c] = max(best[s, c], knowledge[r, c])
    for s in range(n_s):
        if leader_here[s] and has_rt[s]:
            a = alignment[s]
            alignment[s] = a + reflection_alignment * (1 - a)
            lead = leader[s]
            for c in range(n_p):
                k = knowledge[lead, c]
                knowledge[lead, c] = k + 0.5 * max(best[s, c] - k, 0.0)


@kernel
def _choose_take_back(people: np.ndarray, draw: np.ndarray, need_boost: float,
                      school: np.ndarray, need: np.ndarray, stage: np.ndarray,
                      inspiration: np.ndarray, knowledge: np.ndarray,
                      take_back: np.ndarray) -> None:  # pragma: no cover
    """The take-back choice of :func:`choose_take_back`: score ``inspiration * knowledge``
    (times ``need_boost`` for the school's needed practice), -1 unless aware and not dropped;
    the highest of ``score + 1e-9 * draw`` (the first of equals) if its score is positive."""
    n_p = stage.shape[1]
    for t in range(people.size):
        r = people[t]
        s = school[r]
        needed = need[s] if s >= 0 else -1
        best, best_v, best_score = 0, 0.0, 0.0
        for c in range(n_p):
            score = inspiration[r, c] * knowledge[r, c]
            if c == needed:
                score *= need_boost
            st = stage[r, c]
            if not (st >= AWARE and st != DROPPED):
                score = -1.0
            v = score + 1e-9 * draw[t, c]
            if c == 0 or v > best_v:
                best, best_v, best_score = c, v, score
        take_back[r] = best if best_score > 0 else -1


@kernel
def _follow_up(audience: np.ndarray, practice: np.ndarray, presenter: np.ndarray,
               take_back: np.ndarray, school: np.ndarray, key: np.ndarray,
               tie_trust: np.ndarray, tie_contact: np.ndarray, new_key: np.ndarray,
               new_trust: np.ndarray, n: int, initial: float, growth: float,
               week: int):  # pragma: no cover
    """Follow-up contacts (rule 7): attendees from other schools than a story's presenter who
    chose its practice to take back contact the presenter ("gave more confidence", seed 001
    §6.3.2). Each tie so used (stored, new this gathering, or made now at ``initial``) grows
    once, ``t += growth * (1 - t)``; a stored one's last contact becomes ``week``. Returns
    the new ties with those made now."""
    cap = practice.size * audience.size
    keys = np.empty(cap, dtype=np.int64)
    m = 0
    for s in range(practice.size):
        p = presenter[s]
        for t in range(audience.size):
            r = audience[t]
            if take_back[r] == practice[s] and school[r] != school[p]:
                keys[m] = np.int64(min(r, p)) * n + max(r, p)
                m += 1
    keys = kernels.unique(keys[:m])  # a tie used twice (both ways) grows once
    made_trust = np.empty(keys.size)
    made = np.zeros(keys.size, dtype=np.bool_)
    for e in range(keys.size):
        where, at = _find_tie(key, new_key, keys[e])
        if where == 1:
            tie_trust[at] += growth * (1 - tie_trust[at])
            tie_contact[at] = week
        elif where == 2:
            new_trust[at] += growth * (1 - new_trust[at])
        else:
            made[e] = True
            made_trust[e] = initial + growth * (1 - initial)
    return _add_ties(new_key, new_trust, keys[made], made_trust[made])


@kernel
def _codify(attendees: np.ndarray, stage: np.ndarray, version: np.ndarray,
            perceived: np.ndarray):  # pragma: no cover
    """The codification of :func:`codify`: per practice, of the versions attending adopters
    hold, the one most hold, then the one with the highest perceived quality among its
    holders, then the lowest id. Returns the practices concerned (rising) and their chosen
    versions."""
    n_p = stage.shape[1]
    cap = attendees.size * n_p
    ver = np.empty(cap, dtype=np.int64)
    prac = np.empty(cap, dtype=np.int64)
    pq = np.empty(cap)
    m = 0
    for t in range(attendees.size):
        r = attendees[t]
        for c in range(n_p):
            if stage[r, c] == ADOPTED:
                ver[m] = version[r, c]
                prac[m] = c
                pq[m] = perceived[r, c]
                m += 1
    order = np.argsort(ver[:m], kind="mergesort")
    has = np.zeros(n_p, dtype=np.bool_)
    best_v = np.zeros(n_p, dtype=np.int64)
    best_n = np.zeros(n_p, dtype=np.int64)
    best_q = np.zeros(n_p)
    e = 0
    while e < m:  # versions in rising id: count, best perceived quality, practice
        v = ver[order[e]]
        count = 0
        q = -np.inf
        c = 0
        while e < m and ver[order[e]] == v:
            q = max(q, pq[order[e]])
            c = prac[order[e]]
            count += 1
            e += 1
        if not has[c] or count > best_n[c] or (count == best_n[c] and q > best_q[c]):
            has[c] = True
            best_v[c], best_n[c], best_q[c] = v, count, q
    n_out = 0
    for c in range(n_p):
        if has[c]:
            n_out += 1
    practices = np.empty(n_out, dtype=np.int64)
    versions = np.empty(n_out, dtype=np.int64)
    o = 0
    for c in range(n_p):
        if has[c]:
            practices[o] = c
            versions[o] = best_v[c]
            o += 1
    return practices, versions

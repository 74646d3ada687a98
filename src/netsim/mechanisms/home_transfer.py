"""Home transfer: the resource teacher presents network practice in shared development time.

Every ``calendar.dev_time_interval_weeks`` (weekly in seed 001 §6.3.2) each school holds a
development-time session. The resource teacher gets the session for network work with
probability

    p_time = dev_time_allocation * owner_priority * (unbacked_time_share
             + (1 - unbacked_time_share) * backing)

where ``backing`` is 1 if the school's leader attended the last gathering and otherwise the
leader's alignment with the resource teacher (:func:`school_backing`). Without backing,
resource teachers "rarely got time in the shared development time" (seed 001 §5.2.5; seed 002
§2.3). ``owner_priority`` (:func:`netsim.mechanisms.gathering.owner_priority`) is how far a
committed owner makes leaders prioritise network work (seed 001 §5.3.3). ``dev_time_allocation``
(0.25) is the share of a backed school's weekly sessions that network work gets: one theme
among the school's several (seed 001 §5.2.4 "used more"; modelling choice, plausible 0.1-0.5).

In a session the resource teacher presents the practice chosen to take back at the last
gathering (``state.take_back``), else the one they know best (adopted practices first). Every
other staff member of the school closes ``presentation_knowledge * share`` of the gap to the
presenter's explicit knowledge, gains ``presentation_inspiration * share * (0.5 + 0.5 *
backing)`` inspiration and hears of the presenter's version (with the presenter's perceived
quality). ``share`` is 1 when the leader attended with the resource teacher and
``solo_transfer_share`` otherwise (loss when conveying "all those three hours" alone, seed 001
§5.2.5, §5.3.3). Resistant staff gain the inspiration times their school's mandate
(:func:`school_mandate`: ``mandate_strength * backing``; "the 10 percent", seed 001 §5.2.5, a
hypothetical framing, so ``resistant_share`` is swept 0-0.3).

The rule runs as compiled loops (:mod:`netsim.kernels`): one counts the presenters (one draw
each, in NumPy), one runs every school's session (:func:`_sessions`). They find resource
teachers and staff by role and presence themselves, as :meth:`netsim.state.State.groups` does.
"""

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.kernels import kernel
from netsim.kernels import numpy_sum
from netsim.mechanisms.gathering import owner_priority
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    FACILITATOR,
    RESOURCE_TEACHER,
    SWITCH_MARGIN,
    UNAWARE,
    State,
    hear_versions,
)

__all__ = ["development_time", "school_backing", "school_mandate"]

#: below this many rows :func:`netsim.state.row_sum` sums each row as NumPy does (pairwise),
#: from it on left to right; the presenter choice reproduces both
_ROW_SUM_SMALL = 300


def school_backing(state: State) -> np.ndarray:
    """Per school: 1 if its leader attended the last gathering, else the leader's alignment
    with the resource teacher (seed 001 §5.2.5, §5.3.3)."""
    return np.where(state.leader_attended, 1.0, state.alignment)


def school_mandate(state: State, scenario: Scenario) -> np.ndarray:
    """Per school: the leader's mandate, ``home.mandate_strength * backing`` (a leader who takes
    part and backs the work pushes "everybody shall do this", seed 001 §5.2.5). Resistant staff
    open up in proportion to it."""
    return scenario.home.mandate_strength * school_backing(state)


def development_time(state: State, scenario: Scenario, rng: np.random.Generator,
                     week: int) -> dict[str, float]:
    """Run one development-time session at every school; return counters.

    The presenters and their chance of getting the session: :func:`_presenters`; the session
    itself: :func:`_present`, and the listeners hearing of the version presented (all in one
    call, :func:`_sessions`, after the one draw per presenter).
    """
    h = scenario.home
    out = {"sessions": 0.0, "person_hours": 0.0}
    n_rts, n_presenters = _count_presenters(state.role, state.present, state.school,
                                            state.n_schools)
    if n_rts == 0:
        return out
    # one presenter per school: the resource teacher with most explicit knowledge; one draw
    # for each, whether the school gives the session to network work
    draw = rng.random(n_presenters)
    n_sessions, n_listeners = _sessions(
        draw, h.dev_time_allocation * owner_priority(scenario), h.unbacked_time_share,
        h.presentation_knowledge, h.presentation_inspiration, h.solo_transfer_share,
        h.mandate_strength, state.role, state.present, state.school, state.resistant,
        state.take_back, state.leader_attended, state.alignment, state.stage, state.version,
        state.quality, state.perceived, state.knowledge, state.inspiration, state._bonus,
        SWITCH_MARGIN)
    if n_sessions == 0:
        return out
    out["sessions"] = float(n_sessions)
    out["person_hours"] = float((n_listeners + n_sessions) * scenario.calendar.dev_time_hours)
    return out


@kernel
def _count_presenters(role: np.ndarray, present: np.ndarray, school: np.ndarray,
                      n_schools: int):  # pragma: no cover
    """Number of present resource teachers and of schools that have one (the presenters:
    one draw each)."""
    seen = np.zeros(n_schools, dtype=np.bool_)
    n_rts = n_schools_with = 0
    for r in range(role.size):
        if present[r] and role[r] == RESOURCE_TEACHER:
            n_rts += 1
            if not seen[school[r]]:
                seen[school[r]] = True
                n_schools_with += 1
    return n_rts, n_schools_with


@kernel
def _sessions(draw: np.ndarray, time_share: float, unbacked: float,
              presentation_knowledge: float, presentation_inspiration: float,
              solo_share: float, mandate_strength: float, role: np.ndarray,
              present: np.ndarray, school: np.ndarray, resistant: np.ndarray,
              take_back: np.ndarray, leader_attended: np.ndarray, alignment: np.ndarray,
              stage: np.ndarray, version: np.ndarray, quality: np.ndarray,
              perceived: np.ndarray, knowledge: np.ndarray, inspiration: np.ndarray,
              bonus: np.ndarray, margin: float):  # pragma: no cover
    """One week's development time at every school: :func:`_presenters` among the present
    resource teachers (by row), then :func:`_present` for the presenters whose draw fell below
    their chance and who have something to present; the listeners then hear of the presented
    versions (:func:`netsim.state.hear_versions`, what :meth:`netsim.state.State.learn_versions`
    does, called here to save a call a week). Returns the numbers of sessions and listeners."""
    rts = np.empty(role.size, dtype=np.int64)
    n_rts = 0
    for r in range(role.size):
        if present[r] and role[r] == RESOURCE_TEACHER:
            rts[n_rts] = r
            n_rts += 1
    presenters, p_time, has_something = _presenters(
        rts[:n_rts], n_rts < _ROW_SUM_SMALL, time_share, unbacked, school, knowledge, stage,
        leader_attended, alignment)
    given = np.empty(presenters.size, dtype=np.bool_)
    for o in range(presenters.size):
        given[o] = has_something[o] and draw[o] < p_time[o]
    to, ver, qual, rep, n_sessions, n_listeners = _present(
        presenters, given, presentation_knowledge, presentation_inspiration, solo_share,
        mandate_strength, role, present, school, resistant, take_back, leader_attended,
        alignment, stage, version, quality, perceived, knowledge, inspiration)
    if to.size:
        hear_versions(to, ver, qual, rep, bonus, margin, version, quality, perceived, stage)
    return n_sessions, n_listeners


@kernel
def _presenters(rts: np.ndarray, pairwise: bool, time_share: float, unbacked: float,
                school: np.ndarray, knowledge: np.ndarray, stage: np.ndarray,
                leader_attended: np.ndarray, alignment: np.ndarray):  # pragma: no cover
    """Each school's presenter, by school: of its resource teachers ``rts``, the one with the
    most explicit knowledge summed over practices (ties: the first; the sums as
    :func:`netsim.state.row_sum` takes them, pairwise below 300 rows), with whether they have
    something to present (aware of a practice and some knowledge) and their chance of
    getting the session, ``time_share * (unbacked + (1 - unbacked) * backing)``."""
    n_s = leader_attended.size
    n_p = knowledge.shape[1]
    flat = knowledge.reshape(-1)
    best = np.full(n_s, -1, dtype=np.int64)
    best_sum = np.zeros(n_s)
    for t in range(rts.size):
        r = rts[t]
        if pairwise:
            total = numpy_sum(flat, r * n_p, n_p, 1)
        else:
            total = knowledge[r, 0]
            for c in range(1, n_p):
                total += knowledge[r, c]
        s = school[r]
        if best[s] < 0 or total > best_sum[s]:
            best[s] = r
            best_sum[s] = total
    n_out = 0
    for s in range(n_s):
        if best[s] >= 0:
            n_out += 1
    presenters = np.empty(n_out, dtype=np.int64)
    p_time = np.empty(n_out)
    has_something = np.zeros(n_out, dtype=np.bool_)
    o = 0
    for s in range(n_s):
        r = best[s]
        if r < 0:
            continue
        aware = False
        known = False
        for c in range(n_p):
            aware = aware or stage[r, c] >= AWARE
            known = known or knowledge[r, c] > 0
        backing = 1.0 if leader_attended[s] else alignment[s]
        presenters[o] = r
        has_something[o] = aware and known
        p_time[o] = time_share * (unbacked + (1 - unbacked) * backing)
        o += 1
    return presenters, p_time, has_something


@kernel
def _present(presenters: np.ndarray, given: np.ndarray, presentation_knowledge: float,
             presentation_inspiration: float, solo_share: float, mandate_strength: float,
             role: np.ndarray, present: np.ndarray, school: np.ndarray, resistant: np.ndarray,
             take_back: np.ndarray, leader_attended: np.ndarray, alignment: np.ndarray,
             stage: np.ndarray, version: np.ndarray, quality: np.ndarray,
             perceived: np.ndarray, knowledge: np.ndarray,
             inspiration: np.ndarray):  # pragma: no cover
    """The sessions (the module docstring's rule) of the ``presenters`` who were ``given`` one.

    The practice presented: the one chosen to take back if the presenter is aware of it and
    has not dropped it, else the best known (knowledge, plus 1 if adopted; never an unaware
    one; the first of equals). Every other present staff member of the school (not
    facilitators; by row) closes ``presentation_knowledge * share`` of the gap to the
    presenter's knowledge and gains inspiration ``presentation_inspiration * share * (0.5 +
    0.5 * backing) * open`` of its gap, ``open`` being the school's mandate ``mandate_strength
    * backing`` for resistant staff, else 1. Returns the versions heard (listeners' flat
    slots, the presenter's version, its quality and the presenter's perceived quality, for
    listeners whose presenter holds one), the number of sessions and the number of listeners.
    """
    n_s = leader_attended.size
    n_p = knowledge.shape[1]
    slot = np.full(n_s, -1, dtype=np.int64)  # each school's session, -1 if none
    practice = np.empty(presenters.size, dtype=np.int64)
    n_sessions = 0
    for o in range(presenters.size):
        if not given[o]:
            continue
        r = presenters[o]
        best, best_score = 0, 0.0
        for c in range(n_p):
            score = knowledge[r, c] + (1.0 if stage[r, c] == ADOPTED else 0.0)
            if stage[r, c] == UNAWARE:
                score = -1.0
            if c == 0 or score > best_score:
                best, best_score = c, score
        chosen = take_back[r]
        if chosen >= 0 and stage[r, chosen] >= AWARE and stage[r, chosen] != DROPPED:
            best = chosen
        practice[o] = best
        slot[school[r]] = o
        n_sessions += 1
    flat_k, flat_i = knowledge.reshape(-1), inspiration.reshape(-1)
    flat_v, flat_q, flat_r = version.reshape(-1), quality.reshape(-1), perceived.reshape(-1)
    cap = role.size if n_sessions else 0
    to = np.empty(cap, dtype=np.int64)
    ver = np.empty(cap, dtype=np.int64)
    qual = np.empty(cap)
    rep = np.empty(cap)
    m = 0
    n_listeners = 0
    for listener in range(cap):
        if not present[listener] or role[listener] == FACILITATOR or school[listener] < 0:
            continue
        o = slot[school[listener]]
        if o < 0:
            continue
        r = presenters[o]
        if listener == r:
            continue
        n_listeners += 1
        s = school[r]
        backing = 1.0 if leader_attended[s] else alignment[s]
        share = 1.0 if leader_attended[s] else solo_share
        dst = listener * n_p + practice[o]
        src = r * n_p + practice[o]
        k = flat_k[dst]
        flat_k[dst] = k + presentation_knowledge * share * max(flat_k[src] - k, 0.0)
        open_mind = mandate_strength * backing if resistant[listener] else 1.0
        ins = flat_i[dst]
        gain = presentation_inspiration * share * (0.5 + 0.5 * backing) * open_mind
        flat_i[dst] = ins + gain * (1 - ins)
        v = flat_v[src]
        if v >= 0:
            to[m] = dst
            ver[m] = v
            qual[m] = flat_q[src]
            rep[m] = flat_r[src]
            m += 1
    return to[:m], ver[:m], qual[:m], rep[:m], n_sessions, n_listeners

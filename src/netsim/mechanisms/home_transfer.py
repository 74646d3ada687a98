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
"""

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.mechanisms.gathering import owner_priority
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    UNAWARE,
    State,
    flatnonzero,
    row_any,
    row_max,
    row_sum,
)

__all__ = ["development_time", "school_backing", "school_mandate"]


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

"""Yearly turnover and the loss of a key person.

- **Turnover** (between school years): each staff member leaves with probability
  ``turnover.annual_rate`` and a newcomer takes the post (same school, role and collegial
  ties; no knowledge, no cross-school ties, fresh motivation and traits). A leaving leader
  takes the school's alignment with them. Rate: modelling choice, swept.
- **Loss of a key person** (seed 001 §5.4.3): the most central coordinator, i.e. the
  facilitator with most relations to schools (schools guided so far; without facilitators,
  the member with most strong ties) leaves at ``turnover.key_person_loss_week`` or at a yearly
  hazard ``key_person_hazard``. A network with ``formality >= formality_threshold`` always
  replaces them after ``replacement_weeks`` ("less vulnerable", seed 001 §5.4.3). A less formal
  network dissolves with probability ``1 - formality / formality_threshold`` (the earlier
  informal network "dissolved ... when one of the central participants ... quit"); otherwise
  a member steps in after twice the replacement time.
"""

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.state import FACILITATOR, LEADER, TEACHER, UNAWARE, State

__all__ = ["key_person", "key_person_outcome", "reset_people", "turnover"]


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


def turnover(state: State, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Replace leaving staff; return the rows that changed hands."""
    staff = np.flatnonzero(state.present & (state.role != FACILITATOR))
    leaving = staff[rng.random(staff.size) < scenario.turnover.annual_rate]
    reset_people(state, scenario, leaving, rng)
    return leaving


def key_person(state: State, scenario: Scenario) -> int:
    """Row of the network's key person: the most central coordinator, i.e. the present
    facilitator with most relations to schools (schools guided so far; ties: the first), else
    the member with most strong ties; -1 if there is none (seed 001 §5.4.3: "one of the central
    participants who had been pulling the strings")."""
    fac = np.flatnonzero((state.role == FACILITATOR) & state.present)
    if fac.size:
        return int(fac[np.argmax(state.guided[fac])])
    members = np.flatnonzero(state.member & state.present)
    if members.size == 0:
        return -1
    deg = state.member_ties.strong_degree(scenario.trust.strong)[members]
    return int(members[np.argmax(deg)])


def key_person_outcome(scenario: Scenario, rng: np.random.Generator) -> tuple[bool, int]:
    """Whether the network survives the loss, and after how many weeks someone takes over."""
    t = scenario.turnover
    if scenario.formality >= t.formality_threshold:
        return True, t.replacement_weeks
    p_dissolve = 1 - scenario.formality / t.formality_threshold
    if rng.random() < p_dissolve:
        return False, 0
    return True, 2 * t.replacement_weeks

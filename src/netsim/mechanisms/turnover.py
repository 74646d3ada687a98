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
from netsim.kernels import kernel
from netsim.state import FACILITATOR, LEADER, TEACHER, UNAWARE, State

__all__ = ["key_person", "key_person_outcome", "reset_people", "turnover"]


def reset_people(state: State, scenario: Scenario, rows: np.ndarray,
                 rng: np.random.Generator) -> None:
    """Newcomers take the given rows: no knowledge, no cross-school ties, fresh traits.

    A newcomer's interest is ``clip(m0 + N(0, 0.1))`` with ``m0`` the members' or the staff's
    initial motivation; they resist new practice with probability ``home.resistant_share``
    if they are a teacher; their trait is uniform. A leaving leader takes the school's
    alignment with them. The loop: :func:`_reset`.
    """
    if rows.size == 0:
        return
    rows = np.asarray(rows, dtype=np.int64)
    mot = scenario.motivation
    noise = rng.normal(0, 0.1, rows.size)
    resist = rng.random(rows.size)
    trait = rng.random(rows.size)
    _reset(rows, noise, resist, trait, mot.initial, mot.staff_initial,
           scenario.home.resistant_share, state.member, state.role, state.school,
           state.knowledge, state.know_how, state.inspiration, state.stage, state.version,
           state.quality, state.perceived, state.trial_support, state.take_back, state.guided,
           state.cocreation_group, state.intrinsic, state.motivation, state.resistant,
           state.trait, state.alignment)
    state.member_ties.remove_person(rows)


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


@kernel
def _reset(rows: np.ndarray, noise: np.ndarray, resist: np.ndarray, trait_draw: np.ndarray,
           member_initial: float, staff_initial: float, resistant_share: float,
           member: np.ndarray, role: np.ndarray, school: np.ndarray, knowledge: np.ndarray,
           know_how: np.ndarray, inspiration: np.ndarray, stage: np.ndarray,
           version: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
           trial_support: np.ndarray, take_back: np.ndarray, guided: np.ndarray,
           cocreation_group: np.ndarray, intrinsic: np.ndarray, motivation: np.ndarray,
           resistant: np.ndarray, trait: np.ndarray,
           alignment: np.ndarray) -> None:  # pragma: no cover
    """The newcomers of :func:`reset_people`, row by row (the draws: ``noise`` ~ N(0, 0.1),
    ``resist`` and ``trait_draw`` uniform, one each per row); the interest clipped to [0, 1]
    as NumPy clips (``min(max(x, 0), 1)``)."""
    n_p = knowledge.shape[1]
    for t in range(rows.size):
        r = rows[t]
        for c in range(n_p):
            knowledge[r, c] = 0.0
            know_how[r, c] = 0.0
            inspiration[r, c] = 0.0
            stage[r, c] = UNAWARE
            version[r, c] = -1
            quality[r, c] = 0.0
            perceived[r, c] = 0.0
            trial_support[r, c] = 0.0
        take_back[r] = -1
        guided[r] = 0
        cocreation_group[r] = -1
        x = (member_initial if member[r] else staff_initial) + noise[t]
        x = x if x > 0 else 0.0
        x = x if x < 1 else 1.0
        intrinsic[r] = x
        motivation[r] = x
        resistant[r] = resist[t] < resistant_share and role[r] == TEACHER
        trait[r] = trait_draw[t]
        if role[r] == LEADER:
            alignment[school[r]] = 0.0

"""Cognitive distance on knowledge portfolios, understanding and novelty.

Nooteboom et al. (2007, Research Policy 36:1016): the distance between people is the
difference between what they know and the context they work in. The ability to understand
each other (absorptive capacity) falls with distance and the novelty value of what the other
brings rises with it; their product, the value of the exchange, peaks at moderate distance
("lagom friktion", seed 002 §2.2-2.3). Here nothing typed in makes that inverted U: it arises
where understanding (:func:`understanding`) multiplies a gap or a spread of variants that
grows with distance (knowledge gaps at gatherings; independent variants in co-creation
groups, :mod:`netsim.mechanisms.trial`), and it appears or fails to appear with the range of
distances a network's composition makes possible.

- **Portfolio distance** of persons *i*, *j* (:func:`pair_distance`)::

      d_ij = w * b_ij + (1 - w) * mean_k |x_ik - x_jk| / 2

  with ``w = network.background_weight``. The background distance
  ``b_ij = (|f_i - f_j| / 3 + |t_i - t_j|) / 2`` (:func:`background_distance`) combines the
  school forms or stages ``f`` (0 preschool ... 3 upper secondary, seed 002's 1-19
  perspective; a network of ``network.school_forms`` forms uses the first ones, adjacent
  stages) and a position within one's form (``trait``, uniform in [0, 1]); ``x_ik =
  knowledge + know_how`` is what the person knows and does of practice *k* (explicit know-what
  and know-how from trials). ``d`` lies in [0, 1]. Mean background distance of random pairs:
  0.17 with one school form, 0.25 with two, 0.38 with four.
- **Understanding** ``u(d) = max(0, 1 - d / R)``, ``R = gathering.understanding_range *
  (1 + m)``, where ``m`` is ``gathering.moderation`` when participatory facilitators moderate
  (``gathering.facilitator_style``) and 0 otherwise: moderation lowers the cost of distance.
"""

from __future__ import annotations

import numpy as np

from netsim.config import FacilitatorStyle, Scenario
from netsim.kernels import kernel, numpy_sum
from netsim.state import State

__all__ = ["MAX_FORMS", "background_distance", "background_distance_of", "pair_distance",
           "pair_distance_of", "perspective", "understanding", "understanding_range"]

#: school forms / stages from preschool to upper secondary (seed 002: "1-19 years")
MAX_FORMS = 4


def perspective(state: State) -> np.ndarray:
    """Background position of every person in [0, 1): school form, then position within it
    (the order in which groups are composed by similarity)."""
    return (state.form + state.trait) / MAX_FORMS


def background_distance(state: State, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``(|f_i - f_j| / 3 + |t_i - t_j|) / 2``: school forms apart and positions within them."""
    return 0.5 * (np.abs(state.form[i] - state.form[j]) / (MAX_FORMS - 1)
                  + np.abs(state.trait[i] - state.trait[j]))


@kernel
def background_distance_of(form: np.ndarray, trait: np.ndarray, i: int, j: int) -> float:
    """:func:`background_distance` of one pair (rows ``i``, ``j``), for compiled loops: the
    same operations in the same order, so the same bits. Called by the kernels of
    :mod:`netsim.mechanisms.collegial_talk` (their disk cache follows changes here: rule 4 of
    :mod:`netsim.kernels`)."""
    return 0.5 * (abs(form[i] - form[j]) / (MAX_FORMS - 1) + abs(trait[i] - trait[j]))


def pair_distance(state: State, scenario: Scenario, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Portfolio distance of the pairs (i[n], j[n]) (see the module docstring; the loop:
    :func:`pair_distance_of`)."""
    i, j = np.asarray(i), np.asarray(j)
    if i.shape != j.shape or i.ndim != 1:
        raise ValueError(f"pairs need as many i as j, in one dimension: {i.shape}, {j.shape}")
    w = float(scenario.network.background_weight)
    if state.n_practices > _PAIRWISE_BLOCK:  # beyond one block of NumPy's summation
        background = background_distance(state, i, j)
        if w >= 1.0:
            return background
        x = state.knowledge + state.know_how
        practice = np.abs(np.take(x, i, axis=0) - np.take(x, j, axis=0)).mean(axis=1) * 0.5
        return w * background + (1 - w) * practice
    return pair_distance_of(state.form, state.trait, state.knowledge, state.know_how, i, j, w)


#: beyond this many practices pair_distance takes NumPy's vectorised rule (one block of
#: NumPy's pairwise summation; the loop is for the few practices of real scenarios)
_PAIRWISE_BLOCK = 128


@kernel
def pair_distance_of(form: np.ndarray, trait: np.ndarray, knowledge: np.ndarray,
                     know_how: np.ndarray, i: np.ndarray, j: np.ndarray,
                     w: float) -> np.ndarray:
    """``d = w * b + (1 - w) * mean_k |x_ik - x_jk| / 2`` of each pair (``i[e]``, ``j[e]``),
    ``x = knowledge + know_how`` (the module docstring), as one loop over the pairs (at most
    ``_PAIRWISE_BLOCK`` practices). The mean sums as NumPy's ``mean(axis=1)`` does, so the
    same bits."""
    n_p = knowledge.shape[1]
    out = np.empty(i.size)
    gap = np.empty(n_p)
    for e in range(i.size):
        a, b = i[e], j[e]
        background = background_distance_of(form, trait, a, b)
        if w >= 1.0:
            out[e] = background
            continue
        for p in range(n_p):
            gap[p] = abs((knowledge[a, p] + know_how[a, p]) - (knowledge[b, p] + know_how[b, p]))
        practice = numpy_sum(gap, 0, n_p, 1) / n_p * 0.5
        out[e] = w * background + (1 - w) * practice
    return out


def understanding_range(scenario: Scenario, moderated: bool) -> float:
    """The distance at which understanding reaches 0, widened by participatory moderation."""
    g = scenario.gathering
    m = g.moderation if moderated and g.facilitator_style is FacilitatorStyle.participatory \
        else 0.0
    return g.understanding_range * (1 + m)


def understanding(distance: np.ndarray | float, range_: float) -> np.ndarray:
    """``max(0, 1 - distance / range_)``: how well people at this distance understand each
    other."""
    return np.maximum(0.0, 1.0 - np.asarray(distance, dtype=float) / range_)

"""The key-person rule of mechanisms/turnover.py, measured in whole runs.

This was stylised fact 4 ("a formal network survives losing its key person, an informal one
often does not"); it restates one formula: a network below ``turnover.formality_threshold``
dissolves with probability ``1 - formality / formality_threshold`` when its key person leaves,
one at or above it always replaces them. So it is a unit test of the mechanism, not a fact
(issue 10).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from netsim import load_scenario
from netsim.runner import run_scenario

SMALL = {"network.n_schools": 4, "network.teachers_per_school": 6, "calendar.years": 0.5,
         "turnover.key_person_loss_week": 5, "turnover.formality_threshold": 0.5}


def _alive(formality, reps):
    sc = load_scenario("resource_teacher_network", {**SMALL, "formality": formality})
    return run_scenario(sc, replicates=reps).summary["network_alive"].to_numpy()


@pytest.mark.parametrize("formality", [0.1, 0.3])
def test_informal_network_survives_with_probability_formality_over_threshold(formality):
    reps = 80
    alive = _alive(formality, reps)
    p = formality / 0.5
    assert abs(alive.mean() - p) <= 3 * math.sqrt(p * (1 - p) / reps)


def test_formal_network_always_survives():
    assert np.all(_alive(0.5, 20) == 1.0) and np.all(_alive(0.9, 20) == 1.0)

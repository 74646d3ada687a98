"""The development-time rule of mechanisms/home_transfer.py, measured in whole runs.

This was stylised fact 2 ("without backing the resource teacher rarely gets development
time"); it restates one formula,

    p_time = dev_time_allocation * (unbacked_time_share + (1 - unbacked_time_share) * backing)

(backing 1 when the leader attended the last gathering, else the leader's alignment), so it
is a unit test of the mechanism, not a fact (issue 10). The owner fully backs the network
(``motivation.owner_commitment = 1``) so no owner priority scales the rate.
"""

from __future__ import annotations

import math

import pytest

from netsim import load_scenario
from netsim.runner import run_scenario

SMALL = {"network.n_schools": 12, "calendar.years": 1.0, "motivation.owner_commitment": 1.0,
         "turnover.annual_rate": 0.0}
REPS = 4


def _session_share(overrides):
    sc = load_scenario("resource_teacher_network", {**SMALL, **overrides})
    res = run_scenario(sc, replicates=REPS)
    # school-weeks after the first gathering (week 1), when every resource teacher has
    # something to present
    series = res.series.filter(res.series["week"] >= 2)
    weeks = series["week"].n_unique()
    n = sc.network.n_schools * weeks * REPS
    return float(series["sessions"].sum()) / n, n


@pytest.mark.parametrize("allocation", [0.25, 0.6])
def test_always_backed_resource_teachers_get_dev_time_allocation(allocation):
    share, n = _session_share({"leader_participation": 1.0,
                               "home.dev_time_allocation": allocation})
    sd = math.sqrt(allocation * (1 - allocation) / n)
    assert share == pytest.approx(allocation, abs=4 * sd + 0.01)


def test_unbacked_resource_teachers_get_the_unbacked_share_of_it():
    allocation, unbacked = 0.6, 0.1
    share, n = _session_share({"leader_participation": 0.0, "home.initial_alignment": 0.0,
                               "home.dev_time_allocation": allocation,
                               "home.unbacked_time_share": unbacked})
    p = allocation * unbacked
    assert share == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n) + 0.005)

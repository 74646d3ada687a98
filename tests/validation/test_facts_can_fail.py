"""Every stylised-fact check can fail (issue 10, section 2).

For each fact in :data:`netsim.validation.facts.FACTS` the can-fail setting lies inside the
declared ranges of its parameters, and under it the model does not produce the fact. Run with
the replicates of the fast suite (and its seed, so the outcome is fixed); a fact that still held
under its can-fail setting would be an assumption of the model, not a result.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from netsim.config import load_scenario
from netsim.validation import arms
from netsim.validation.facts import (
    FACTS,
    FIRST_YEAR,
    declared_range,
    first_year_rows,
)

REPS = 12  # as the fast suite (facts.reps(False)): no easier to fail than the check itself
BY_NAME = {f.name: f for f in FACTS}


@pytest.fixture(scope="module")
def cache():
    c = arms.ArmCache(jobs=arms.default_jobs())
    arms.CACHE.append(c)
    yield c
    c.close()
    arms.CACHE.remove(c)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_can_fail_setting_is_inside_the_declared_ranges(name):
    fact = BY_NAME[name]
    assert fact.can_fail, name
    load_scenario("resource_teacher_network", dict(fact.can_fail))  # a valid scenario
    inside = [declared_range(k)[0] <= float(v) <= declared_range(k)[1]
              for k, v in fact.can_fail.items()]
    if fact.assumption:  # no setting inside the ranges broke it: said so, setting outside
        assert not all(inside), f"{name}: flagged as an assumption, but its setting is inside"
        assert len(fact.assumption) > 40, name
    else:
        for (key, value), ok in zip(fact.can_fail.items(), inside):
            lo, hi = declared_range(key)
            assert ok, f"{name}: {key}={value} outside [{lo}, {hi}]"


def test_every_fact_states_its_chain_of_at_least_two_mechanisms():
    for fact in FACTS:
        assert fact.chain.count("->") >= 1 and len(fact.can_fail_why) > 20, fact.name
        assert fact.source.startswith("seed"), fact.name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_fact_does_not_hold_under_its_can_fail_setting(cache, name):
    fact = BY_NAME[name]
    failed = fact.measure(fact.can_fail, REPS)
    assert not failed.holds, f"{name} still holds under {dict(fact.can_fail)}: " \
        f"{failed.estimate:.4g} [{failed.low:.4g}, {failed.high:.4g}] {failed.detail}"
    # the measure itself is sound: an interval around the estimate (or all NaN)
    assert failed.low <= failed.estimate <= failed.high or math.isnan(failed.estimate)


def test_declared_range_prefers_plausible_over_bounds():
    lo, hi = declared_range("leader_participation")
    assert 0.0 <= lo < hi <= 1.0
    with pytest.raises(KeyError, match="not a scenario key"):
        declared_range("no.such_key")


def test_graded_arms_monotone_and_saturation_on_known_data():
    up = arms.Graded("k", "y", (0.0, 0.5, 1.0),
                     (np.array([0.0, 0.1, 0.0, 0.1]), np.array([1.0, 1.1, 1.0, 1.2]),
                      np.array([1.2, 1.3, 1.1, 1.4])))
    assert up.monotone(+1) and not up.monotone(-1)
    m, lo, hi = up.saturation()  # mean slope 2.05 then 0.35: flattens
    assert hi < 0 and m == pytest.approx(0.35 - 2.05)
    bump = arms.Graded("k", "y", (0.0, 0.5, 1.0),
                       (np.array([0.0, 0.1, 0.0, 0.1]), np.array([1.0, 1.1, 1.0, 1.2]),
                        np.array([0.0, 0.1, 0.1, 0.0])))
    assert not bump.monotone(+1) and bump.argmax() == 1


def test_first_year_ranges_quote_the_thesis_and_are_ordered():
    assert len(FIRST_YEAR) >= 6
    for rg in FIRST_YEAR:
        assert rg.low < rg.high and "«" in rg.quote and "§" in rg.quote, rg.name
    fake = {"adoption_members_y1": np.array([0.5, 0.6]),
            "adoption_colleagues_y1": np.array([0.5, 0.6]),
            "schools_changed_y1": np.zeros(2), "schools_reached_n_y1": np.array([10.0, 12.0]),
            "spread_versions_y1": np.array([3.0, 2.0]),
            "colleagues_knowing_y1": np.array([90.0, 99]),
            "members_y1": np.array([90.0, 90.0]), "trust_members_y1": np.array([0.5, 0.5]),
            "network_alive_y1": np.ones(2)}
    rows = {rg.name: ok for rg, _, ok in first_year_rows(fake)}
    assert not rows["colleagues_adopted"]  # 0.55 is far above small-scale
    assert rows["members_adopted"] and rows["spread_versions"] and rows["network_alive"]

"""Docking netsim against an independent implementation of its rules (benchmarks/reference/).

The reference model re-implements netsim's default weekly rules the way a Mesa 3.5 user would
write them (agents with step methods on a Mesa network, plain Python state, Mesa's own random
generator). Its random draws come in a different order, so runs cannot be matched one to one;
docking is distributional (Axtell, Axelrod, Epstein & Cohen 1996, "Aligning simulation models:
a case study and results"; Wilensky & Rand 2007, JASSS 10(4):2, replication standard
"distributional equivalence").

Test: for each key outcome of the run summary, a TOST equivalence test (two one-sided Welch
t-tests at 0.05) of the difference of means against a margin of half netsim's
between-replicate SD, stated in the outcome's units in ``reference.docking.MARGINS``, plus a
two-sample Kolmogorov-Smirnov test as a check on shape (Bonferroni over the outcomes, family
level 0.01). TOST rather than a t-test because a t-test that finds no difference proves
nothing (too few runs would pass); TOST must show the difference is small. The size is reduced
so CI can afford it: 6 schools (about 160 people), 1.5 school years, 200 netsim and 120
reference runs. Outcomes left out: ``schools_reached`` (1 in nearly every run at this size),
``innovations`` (0 in about 90 % of runs), ``time_to_25`` and ``time_to_50`` (undefined in some
runs) and the convergence measures (not computed by the reference); ``gatherings_total`` is
deterministic and compared exactly.

The companion test shows the comparison can fail: the reference with one plausible mistake
(collegial talk half as likely) must be found not equivalent.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from reference.docking import (  # noqa: E402
    DOCKING_SETTINGS,
    MARGINS,
    dock,
    format_table,
    run_netsim,
    run_reference,
)

from netsim import load_scenario  # noqa: E402

N_NETSIM, N_REFERENCE, N_BROKEN = 200, 120, 60


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(overrides=DOCKING_SETTINGS)


@pytest.fixture(scope="module")
def netsim_runs(scenario):
    return run_netsim(scenario, N_NETSIM)


@pytest.mark.slow
def test_reference_docks_with_netsim(scenario, netsim_runs):
    reference_runs = run_reference(scenario, N_REFERENCE)
    rows = dock(netsim_runs, reference_runs)
    assert [r.outcome for r in rows] == list(MARGINS)
    failed = [r.outcome for r in rows if not r.docks]
    assert not failed, f"outcomes that do not dock: {failed}\n{format_table(rows)}"
    # the calendar is deterministic: both hold the same gatherings
    assert {r["gatherings_total"] for r in netsim_runs} == \
        {r["gatherings_total"] for r in reference_runs} == {10.0}


@pytest.mark.slow
def test_docking_detects_a_changed_rule(scenario, netsim_runs):
    """Half the weekly talk probability in the reference only: less explicit knowledge spreads
    between colleagues, and the dock must say so. (At this size and horizon adoption hardly
    moves: colleagues adopt mostly through development-time presentations.)"""
    talk = replace(scenario.talk, talk_prob=scenario.talk.talk_prob / 2)
    broken = run_reference(replace(scenario, talk=talk), N_BROKEN)
    rows = {r.outcome: r for r in dock(netsim_runs, broken)}
    table = format_table(list(rows.values()))
    knowledge = rows["knowledge_all"]
    assert not knowledge.docks, f"knowledge_all docks with talk halved\n{table}"
    assert not knowledge.equivalent, f"TOST accepts knowledge_all with talk halved\n{table}"
    assert knowledge.ci_high < 0, f"knowledge_all is not lower with talk halved\n{table}"
    assert not knowledge.same_shape, f"KS misses the change of knowledge_all\n{table}"


def test_reference_is_reproducible_and_refuses_what_it_lacks():
    """Same seed, same run (Mesa's ``random`` is seeded from the model's generator); a setting
    whose rule the reference does not implement is refused, naming the key."""
    small = load_scenario(overrides={"network.n_schools": 3, "calendar.years": 0.3})
    first, second = run_reference(small, 2), run_reference(small, 1)
    np.testing.assert_equal(first[0], second[0])  # NaN (e.g. time_to_50) equals NaN here
    assert first[0]["knowledge_all"] != first[1]["knowledge_all"]
    with pytest.raises(ValueError, match="turnover.key_person_loss_week"):
        run_reference(replace(small, turnover=replace(small.turnover, key_person_loss_week=5)),
                      1)

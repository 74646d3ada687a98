"""Uncertain parameters: plausible ranges in the schema, the parameter space, netsim params."""

from __future__ import annotations

import pytest

from netsim.cli import main
from netsim.config import ConfigError
from netsim.params import NOT_UNCERTAIN, parameter, parameter_space, parameters, parse_range


def test_every_modelling_choice_number_is_uncertain_or_says_why_not():
    for p in parameters():
        if not p.numeric or p.plausible is not None:
            continue
        if p.source.startswith("modelling choice"):
            assert p.key in NOT_UNCERTAIN, f"{p.key}: modelling choice without a plausible range"


def test_plausible_ranges_lie_inside_the_bounds_and_around_the_default():
    unc = parameters(uncertain_only=True)
    assert len(unc) >= 50
    for p in unc:
        lo, hi = p.plausible
        assert lo < hi, p.key
        assert p.lo is None or lo >= p.lo, p.key
        assert p.hi is None or hi <= p.hi, p.key
        assert lo <= p.default <= hi, f"{p.key}: default {p.default} outside {p.plausible}"
        assert p.plausible_why and len(p.plausible_why) > 10, p.key
    # every sampled corner of the box is a valid scenario (relations between settings too)
    from netsim.config import Scenario, scenario_from_dict, scenario_to_dict, _deep_merge
    from netsim.config import _dotted_to_nested

    space = parameter_space()
    base = scenario_to_dict(Scenario())
    for corner in (0, 1):
        x = [b[corner] for b in space.bounds]
        scenario_from_dict(_deep_merge(base, _dotted_to_nested(space.overrides(x))))


def test_the_unsourced_drivers_named_in_the_issue_are_uncertain():
    for key in ("trial.trial_rate", "practices.effectiveness_mean", "motivation.staff_initial",
                "practices.difficulty_mean"):
        assert parameter(key).uncertain


def test_client_conditions_are_not_uncertain_except_initial_trust():
    assert not parameter("leader_participation").uncertain
    assert not parameter("formality").uncertain
    assert not parameter("meeting_interval_weeks").uncertain
    assert parameter("trust.initial").uncertain  # its value is a modelling choice


def test_presets_that_change_a_parameter_are_listed():
    p = parameter("leader_participation")
    assert p.presets["meeting_groups"] == 0.0
    assert "resource_teacher_network" not in p.presets


def test_parameter_space_ranges_and_refusals():
    space = parameter_space(["trial.trial_rate"], {"formality": (0.2, 0.9)})
    assert space.names == ["trial.trial_rate", "formality"]
    assert space.bounds == ((0.03, 0.2), (0.2, 0.9))
    with pytest.raises(ConfigError, match="unknown parameter 'trial.no_rate'"):
        parameter_space(["trial.no_rate"])
    with pytest.raises(ConfigError, match=r"outside the schema's bounds; allowed: \[0, 1\]"):
        parameter_space(ranges={"trial.trial_rate": (0.0, 1.5)})
    with pytest.raises(ConfigError, match="has no plausible range"):
        parameter_space(["formality"])
    with pytest.raises(ConfigError, match="is a bool setting"):
        parameter_space(ranges={"processes.digital": (0, 1)})
    with pytest.raises(ConfigError, match="single whole number"):
        parameter_space(ranges={"gathering.group_size": (4.1, 4.4)})
    with pytest.raises(ConfigError, match="lo < hi"):
        parameter_space(ranges={"trial.trial_rate": (0.2, 0.1)})
    # an open bound: the strong-tie level must stay above 0
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        parameter_space(ranges={"trust.strong": (0.0, 0.5)})
    assert parse_range("trial.trial_rate=0.05:0.15") == ("trial.trial_rate", (0.05, 0.15))
    with pytest.raises(ConfigError, match="is not key=lo:hi"):
        parse_range("trial.trial_rate=0.05")


def test_even_collegial_degree_is_sampled_on_its_step():
    p = parameter("network.collegial_degree")
    assert [p.value(v) for v in (4.0, 4.9, 5.1, 9.9)] == [4, 4, 6, 10]


def test_params_command_lists_every_parameter(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "trial.trial_rate" in out and "0.03..0.2" in out
    assert "leader_participation" in out and "meeting_groups=0" in out
    n_all, n_unc = len(parameters()), len(parameters(True))
    assert f"{n_all} parameters, {n_unc} uncertain" in out
    assert main(["params", "--uncertain", "--markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("| key | default | bounds | plausible | uncertain | source | presets |")
    assert "| formality |" not in md


def test_params_command_unknown_key(capsys):
    assert main(["params", "trial.rate"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'trial.rate'" in err and len(err.strip().splitlines()) == 1

"""Config schema: defaults are valid, round trips, and every kind of bad input gives a
ConfigError that names the key, the value and what is allowed."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import make_scenario

from netsim.config import (
    AdoptionRule,
    ConfigError,
    Design,
    Scenario,
    list_presets,
    load_scenario,
    scenario_from_dict,
    scenario_to_dict,
    validate,
)


def test_default_scenario_is_valid_and_round_trips():
    sc = validate(Scenario())
    assert scenario_from_dict(scenario_to_dict(sc)) == sc
    assert sc.n_weeks == round(sc.calendar.years * sc.calendar.weeks_per_year)


def test_every_preset_loads():
    presets = list_presets()
    assert "resource_teacher_network" in presets
    for name in presets:
        assert isinstance(load_scenario(name), Scenario)


def test_dotted_and_nested_overrides_agree():
    a = load_scenario("resource_teacher_network", {"trust.initial": 0.5, "formality": 0.3})
    b = load_scenario("resource_teacher_network", {"trust": {"initial": 0.5}, "formality": 0.3})
    assert a == b and a.trust.initial == 0.5 and a.formality == 0.3


def test_every_numeric_field_has_documented_range_and_source():
    def walk(cls: type, prefix: str = "") -> list[tuple[str, dict]]:
        out = []
        default = cls()
        for f in dataclasses.fields(cls):
            value = getattr(default, f.name)
            if dataclasses.is_dataclass(value):
                out += walk(type(value), f"{prefix}{f.name}.")
            else:
                out.append((f"{prefix}{f.name}", dict(f.metadata)))
        return out

    fields = [(k, m) for k, m in walk(Scenario) if not k.startswith("processes.")]
    assert fields
    for key, meta in fields:
        assert meta.get("doc"), key
        assert meta.get("source"), key


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as exc:
        scenario_from_dict(data)
    return str(exc.value)


@pytest.mark.parametrize(("data", "parts"), [
    ({"trust": {"initial": 2}}, ["trust.initial", "2", "0 <= value <= 1"]),
    ({"leader_participation": -0.1}, ["leader_participation", "-0.1", "0 <= value <= 1"]),
    ({"meeting_interval_weeks": 0}, ["meeting_interval_weeks", "0", "1 <= value <= 104"]),
    ({"calendar": {"years": 0}}, ["calendar.years", "0", "0 < value <= 50"]),
    ({"trust": {"strong": float("nan")}}, ["trust.strong", "nan"]),
    ({"network": {"n_schools": 2.5}}, ["network.n_schools", "2.5", "whole number"]),
    ({"formality": "high"}, ["formality", "'high'", "number"]),
    ({"leaders_invited": True}, ["unknown setting", "leaders_invited", "allowed keys"]),
    ({"network": {"n_school": 3}}, ["network.n_school", "allowed keys here", "n_schools"]),
    ({"network": {"leaders_invited": "yes"}}, ["network.leaders_invited", "'yes'", "true or false"]),
    ({"adoption": {"rule": "sir"}}, ["adoption.rule", "'sir'", "trust_weighted"]),
    ({"network": {"design": "ring"}}, ["network.design", "'ring'", "custom_graph"]),
    ({"trust": 0.5}, ["trust", "0.5", "not a group of settings", "initial"]),
    ({"adoption": {"seed_nodes": 3}}, ["adoption.seed_nodes", "not a list"]),
    ({"adoption": {"rule": "bass", "seed_nodes": [1, 1.5]}},
     ["adoption.seed_nodes[1]", "1.5", "not a node label"]),
    ({"turnover": {"replacement_weeks": None}}, ["turnover.replacement_weeks", "None"]),
    ({"network": {"group_size_min": 30, "group_size_max": 20}},
     ["network.group_size_min", "30", "min <= max"]),
    ({"network": {"collegial_degree": 5}}, ["network.collegial_degree", "5", "even"]),
    ({"network": {"n_schools": 3, "n_areas": 4}}, ["network.n_areas", "4", "n_areas <= n_schools"]),
    ({"network": {"file": "/no/such/file.csv"}}, ["network.file", "/no/such/file.csv", "no such file"]),
    ({"digital": {"channels": [{"created_by": "owner"}]}},
     ["digital.channels[0].created_by", "'owner'", "'members'"]),
    ({"practices": {"local_schools": 50}, "network": {"n_schools": 10}},
     ["practices.local_schools", "50", "at most n_schools"]),
])
def test_bad_values_name_key_value_and_allowed(data, parts):
    message = _error(data)
    for part in parts:
        assert part in message, (part, message)


def test_network_file_with_unknown_suffix(tmp_path):
    path = tmp_path / "graph.txt"
    path.write_text("a b\n")
    message = _error({"network": {"file": str(path)}})
    assert "network.file" in message and "graph.txt" in message and ".graphml" in message


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ConfigError) as exc:
        load_scenario("no_such_preset")
    assert "'no_such_preset'" in str(exc.value)
    assert "resource_teacher_network" in str(exc.value)


def test_validate_catches_values_set_after_construction():
    sc = Scenario()
    sc.trust.decay = 1.5
    with pytest.raises(ConfigError, match=r"trust\.decay = 1\.5"):
        validate(sc)


def test_enums_accept_values_and_members():
    sc = make_scenario(adoption__rule="count_threshold", network__design="partnership_network")
    assert sc.adoption.rule is AdoptionRule.count_threshold
    assert sc.network.design is Design.partnership_network
    assert scenario_to_dict(sc)["adoption"]["rule"] == "count_threshold"


def test_open_bounds_are_exclusive():
    make_scenario(school_change_share=1.0)
    with pytest.raises(ConfigError, match="0 < value <= 1"):
        make_scenario(school_change_share=0.0)


def test_a_change_the_design_would_ignore_is_refused():
    """Meeting groups gather on fixed study days: changing the interval alone would change
    nothing, silently; with the fixed days cleared it counts."""
    with pytest.raises(ConfigError, match=r"meeting_interval_weeks = 3 has no effect.*"
                                          r"calendar\.gathering_weeks = \[5, 15, 25, 35\]"):
        load_scenario("meeting_groups", {"meeting_interval_weeks": 3})
    every_3 = load_scenario("meeting_groups", {"meeting_interval_weeks": 3, "calendar": {
        "gathering_weeks": [], "gathering_hours_list": []}})
    assert every_3.meeting_interval_weeks == 3 and every_3.calendar.gathering_weeks == []
    # presets that gather every meeting_interval_weeks take the change as before
    assert load_scenario("resource_teacher_network",
                         {"meeting_interval_weeks": 3}).meeting_interval_weeks == 3

"""Property-based tests over the whole schema (issue 13, hypothesis).

- Random valid scenarios (a preset, every number drawn within its documented range, sizes kept
  small so a run takes a fraction of a second) are accepted, run, and keep the invariants of
  a run: one summary row per replicate, one weekly row per replicate and week, shares in
  [0, 1], counts whole and non-negative.
- Random invalid values for any setting (out of range, non-finite, wrong type) are refused by
  :func:`netsim.config.scenario_from_dict` and by the command line's strict check, with the
  key and the value named; through ``netsim run`` nothing is written.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsim.config import (
    ConfigError,
    Scenario,
    _hints,
    check_setting,
    list_presets,
    load_scenario,
    scenario_from_dict,
    scenario_to_dict,
)
from netsim.runner import run_scenario

SETTINGS: dict[str, typing.Any] = {
    "deadline": None, "database": None, "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}


def _leaves(cls: type = Scenario, prefix: str = "") -> list[tuple[str, typing.Any, dict]]:
    out = []
    for f in dataclasses.fields(cls):
        tp = _hints(cls)[f.name]
        if dataclasses.is_dataclass(tp):
            out += _leaves(tp, f"{prefix}{f.name}.")
        else:
            out.append((f"{prefix}{f.name}", tp, dict(f.metadata)))
    return out


def _scalar(tp: typing.Any) -> typing.Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if len(args) == 1 and type(None) in typing.get_args(tp) else tp


LEAVES = _leaves()
FLOATS = [(k, m) for k, tp, m in LEAVES if _scalar(tp) is float and m.get("lo") is not None
          and m.get("hi") is not None]
NUMBERS = [(k, _scalar(tp), m) for k, tp, m in LEAVES if _scalar(tp) in (int, float)
           and (m.get("lo") is not None or m.get("hi") is not None)]
BOOLS = [k for k, tp, _ in LEAVES if tp is bool]
ENUMS = [(k, tp) for k, tp, _ in LEAVES if isinstance(tp, type) and issubclass(tp, enum.Enum)]
# whole-number settings without relations to others: their full range (n_practices capped)
INTS = {"gathering.expert_inputs": (0, 5), "gathering.stories": (0, 5),
        "gathering.group_size": (2, 50), "trust.max_strong_ties": (1, 9),
        "turnover.replacement_weeks": (0, 100), "cocreation.max_group_size": (2, 20),
        "trial.guidance_schools_per_facilitator": (0, 100), "practices.n_practices": (1, 10),
        "seed": (0, 2**63 - 1)}
# sizes and horizon kept small so that a run is quick (every value is still a valid one)
SMALL = {"replicates": 1, "calendar.years": 0.1, "network.n_schools": 4, "network.teachers_per_school": 6, "network.n_areas": 0}


def _in_range(meta: dict) -> st.SearchStrategy[float]:
    lo, hi = float(meta["lo"]), float(meta["hi"])
    return st.floats(lo, hi, exclude_min=bool(meta.get("lo_open")),
                     exclude_max=bool(meta.get("hi_open")), allow_nan=False)


@st.composite
def valid_overrides(draw: st.DrawFn) -> tuple[str, dict[str, typing.Any]]:
    preset = draw(st.sampled_from(list_presets()))
    chosen = draw(st.lists(st.sampled_from(FLOATS), min_size=1, max_size=25,
                           unique_by=lambda x: x[0]))
    values: dict[str, typing.Any] = {k: draw(_in_range(m)) for k, m in chosen}
    for key in draw(st.lists(st.sampled_from(sorted(INTS)), max_size=4, unique=True)):
        values[key] = draw(st.integers(*INTS[key]))
    for key in draw(st.lists(st.sampled_from([b for b in BOOLS if b.startswith("processes.")]),
                             max_size=4, unique=True)):
        values[key] = draw(st.booleans())
    values.update(SMALL)
    if preset == "city_developer_networks" or preset.startswith("national_"):  # areas needed
        values["network.n_areas"] = 2
    if preset == "meeting_groups":  # teachers that split into groups of 15-20 (4 x 16)
        values["network.teachers_per_school"] = 16
        values["network.school_size_spread"] = 0.0
    if preset == "textbook":  # runs until stable: only with every domain process off
        values = {k: v for k, v in values.items() if not k.startswith("processes.")}
    return preset, values


@settings(max_examples=60, **SETTINGS)
@given(valid_overrides())
def test_random_valid_scenarios_run_and_keep_the_invariants(case) -> None:
    preset, values = case
    sc = load_scenario(preset, values)  # every value within its range is accepted
    for key, value in values.items():
        node = sc
        for part in key.split("."):
            node = getattr(node, part)
        assert node == value
    result = run_scenario(sc)
    summary, series = result.summary, result.series
    assert summary.height == sc.replicates
    if sc.adoption.until_stable:  # stops when nothing can change, at most n_weeks
        assert sc.replicates <= series.height <= sc.replicates * (sc.n_weeks + 1)
    else:
        assert series.height == sc.replicates * (sc.n_weeks + 1)
    row = summary.row(0, named=True)
    for name in ("adoption_members", "adoption_colleagues", "adoption_all",
                 "practice_adoption", "knowledge_all", "schools_changed", "network_alive"):
        value = row[name]
        if value is not None and math.isnan(value):  # a share of an empty group only
            empty = {"adoption_members": row["n_members"] == 0,
                     "adoption_colleagues": sc.network.all_teachers_members}
            assert empty.get(name), (name, row)
            continue
        assert math.isfinite(value) and -1e-12 <= value <= 1 + 1e-12, (name, value)
    share = row["cocreation_version_share"]  # of the new versions: undefined without any
    if row["new_versions_total"] == 0:
        assert share is None or math.isnan(share)
    else:
        assert 0 <= share <= 1, share
    for name in ("n_people", "n_staff", "n_members", "gatherings_total", "trials_total",
                 "posts_total", "reads_total"):
        assert row[name] >= 0 and float(row[name]).is_integer(), (name, row[name])
    assert row["n_staff"] <= row["n_people"] and row["n_members"] <= row["n_people"]
    assert row["person_hours"] >= 0
    # the scenario recorded is the one that ran
    assert scenario_from_dict(scenario_to_dict(sc)) == sc


@st.composite
def invalid_value(draw: st.DrawFn) -> tuple[str, typing.Any]:
    kind = draw(st.sampled_from(["range", "nan", "type", "bool", "enum"]))
    if kind == "bool":
        return draw(st.sampled_from(BOOLS)), draw(st.one_of(
            st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.none()))
    if kind == "enum":
        key, tp = draw(st.sampled_from(ENUMS))
        return key, draw(st.one_of(st.integers(), st.text(max_size=8).filter(
            lambda s: s not in {m.value for m in tp})))
    key, tp, meta = draw(st.sampled_from(NUMBERS))
    if kind == "nan":
        return key, draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    if kind == "type":
        return key, draw(st.one_of(st.text(min_size=1, max_size=5).map(repr), st.booleans(),
                                   st.lists(st.integers(), max_size=2)))
    lo, hi = meta.get("lo"), meta.get("hi")
    sides = []
    if lo is not None:
        sides.append(st.floats(max_value=lo, allow_nan=False, allow_infinity=False,
                               exclude_max=not meta.get("lo_open")) if tp is float
                     else st.integers(max_value=int(lo) - 1))
    if hi is not None:
        sides.append(st.floats(min_value=hi, allow_nan=False, allow_infinity=False,
                               exclude_min=not meta.get("hi_open")) if tp is float
                     else st.integers(min_value=int(hi) + 1))
    return key, draw(st.one_of(*sides))


def _nested(key: str, value: typing.Any) -> dict[str, typing.Any]:
    out: dict[str, typing.Any] = {}
    node = out
    *parents, last = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return out


@settings(max_examples=300, **SETTINGS)
@given(invalid_value())
def test_random_invalid_values_are_refused_naming_the_key(case) -> None:
    key, value = case
    with pytest.raises(ConfigError) as exc:
        scenario_from_dict(_nested(key, value))
    assert key in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        check_setting(key, value)
    assert str(exc.value).startswith(key)


@settings(max_examples=25, **SETTINGS)
@given(case=invalid_value())
def test_random_invalid_values_on_the_command_line_write_nothing(tmp_path_factory, capsys,
                                                                  case) -> None:
    from netsim.cli import main

    key, value = case
    text = {True: "true", False: "false", None: "null"}.get(value, None) \
        if isinstance(value, (bool, type(None))) else None
    if text is None:
        text = (str(value).replace("'", "") if isinstance(value, list) else
                "nan" if isinstance(value, float) and math.isnan(value) else
                ("inf" if value > 0 else "-inf") if isinstance(value, float)
                and math.isinf(value) else str(value))
    if isinstance(value, str) and not value.startswith("'"):
        text = f"'{value}'" if value else "''"
    folder = tmp_path_factory.mktemp("cli")
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        code = main(["run", f"{key}={text}", "replicates=1", "calendar.years=0.05"])
    finally:
        os.chdir(here)
    err = capsys.readouterr().err
    assert code == 2, (key, text, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("netsim: error: "), err
    assert key in lines[0] or key.rsplit(".", 1)[-1] in lines[0], (key, lines[0])
    assert list(folder.iterdir()) == []

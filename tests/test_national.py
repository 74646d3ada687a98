"""Tests for the national-scale presets (configs/scenario/national_*.yaml, issue 14).

The presets' structure is checked on the full-size population (building it takes well under a
second): school counts as stated, staff totals within the stated tolerance of the cited
statistics, one network per municipality with its own leader, municipalities of unequal size
with at least one school each. Runs use a horizon of one or two weeks. No timings here: speed
and memory are printed by ``benchmarks/scale.py --preset national_norway``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from netsim.app import check_overrides
from netsim.config import ConfigError, Design, configs_dir, list_presets, load_scenario
from netsim.model import LearningNetworkModel
from netsim.population import area_sizes, build_population, sorted_unique
from netsim.runner import seed_sequence
from netsim.state import Role

#: preset -> (schools, municipalities, teachers per school incl. the resource teacher, from
#: the statistics cited in the preset; staff totals must lie within STAFF_TOLERANCE of it)
NATIONAL = {
    "national_norway": (2712, 357, 24),   # Udir GSI 2023-24; 357 kommuner (2024)
    "national_sweden": (4831, 290, 21),   # Skolverket 2017/18; 290 kommuner
}
STAFF_TOLERANCE = 0.15  # as stated in the presets: derived figures, +-15 %


def _population(name: str, seed: int = 0):
    scenario = load_scenario(name)
    return scenario, build_population(scenario, np.random.default_rng(seed))


def _school_area(people) -> np.ndarray:
    """Area of every school of a Population or State (from its staff, who all share it)."""
    staff = people.school >= 0
    area = np.full(people.n_schools, -1, dtype=np.int64)
    area[people.school[staff]] = people.area[staff]
    return area


def test_national_presets_are_listed_and_compose_through_hydra() -> None:
    assert set(NATIONAL) <= set(list_presets())
    for name in NATIONAL:
        (scenario,) = check_overrides([f"scenario={name}"])
        assert scenario == load_scenario(name)  # `netsim run scenario=...` and the loader agree
        assert scenario.name == name
        assert "extrapolation" in scenario.description


@pytest.mark.parametrize("name", sorted(NATIONAL))
def test_school_counts_and_staff_totals_match_the_cited_statistics(name: str) -> None:
    schools, municipalities, teachers = NATIONAL[name]
    scenario, pop = _population(name)
    assert scenario.network.design is Design.city_developer_networks
    assert pop.n_schools == schools
    assert np.unique(pop.school[pop.school >= 0]).size == schools  # every school has staff
    teaching = int(np.isin(pop.role, [Role.TEACHER, Role.RESOURCE_TEACHER]).sum())
    # the municipal network leaders are teachers with a role: n_areas of the teaching staff
    expected = schools * teachers
    assert abs(teaching - expected) <= STAFF_TOLERANCE * expected, (teaching, expected)
    assert int((pop.role == Role.LEADER).sum()) == schools  # one leader per school
    assert int((pop.role == Role.FACILITATOR).sum()) == scenario.network.n_facilitators
    # staff per school vary (lognormal sizes): small rural schools and large town schools
    size = np.bincount(pop.school[pop.school >= 0], minlength=schools)
    assert size.min() <= 5 and size.max() >= 4 * teachers


@pytest.mark.parametrize("name", sorted(NATIONAL))
def test_one_network_per_municipality_led_by_its_own_network_leader(name: str) -> None:
    _, municipalities, _ = NATIONAL[name]
    scenario, pop = _population(name)
    area_of_school = _school_area(pop)
    assert scenario.network.n_areas == municipalities
    counts = np.bincount(area_of_school, minlength=municipalities)
    assert counts.size == municipalities and counts.min() >= 1  # every municipality has a school
    assert counts.sum() == pop.n_schools
    # unequal municipalities: many small ones, a few large (area_size_spread 1.0)
    assert np.median(counts) < counts.mean() and counts.max() >= 5 * np.median(counts)
    staff = pop.school >= 0
    np.testing.assert_array_equal(pop.area[staff], area_of_school[pop.school[staff]])
    # national gatherings: the municipal network leaders and the national centre's staff
    national = np.flatnonzero(pop.network_invited)
    leaders = national[pop.role[national] == Role.RESOURCE_TEACHER]
    assert leaders.size == municipalities
    assert np.array_equal(np.sort(pop.area[leaders]), np.arange(municipalities))
    assert int((pop.role[national] == Role.FACILITATOR).sum()) == scenario.network.n_facilitators
    # municipal gatherings: each school's resource teacher and leader, in their municipality
    invited = pop.area_invited
    assert not invited[pop.role == Role.FACILITATOR].any()
    assert not invited[pop.role == Role.TEACHER].any()
    per_area = np.bincount(pop.area[invited], minlength=municipalities)
    np.testing.assert_array_equal(per_area, 2 * counts + 1)  # RT + leader per school + leader


def test_area_sizes_sum_keep_one_school_each_and_spread_with_the_setting() -> None:
    rng = np.random.default_rng(3)
    equal = area_sizes(100, 7, 0.0, rng)
    assert equal.sum() == 100 and equal.max() - equal.min() <= 1
    spreads = []
    for spread in (0.5, 1.0, 2.0):
        sizes = [area_sizes(2712, 357, spread, np.random.default_rng(r)) for r in range(20)]
        assert all(s.sum() == 2712 and s.min() >= 1 and s.size == 357 for s in sizes)
        spreads.append(np.mean([np.std(np.log(s)) for s in sizes]))
    assert spreads[0] < spreads[1] < spreads[2]  # more spread, more unequal municipalities
    a = area_sizes(500, 40, 1.0, np.random.default_rng(9))
    np.testing.assert_array_equal(a, area_sizes(500, 40, 1.0, np.random.default_rng(9)))


@pytest.mark.parametrize("size", [0, 1, 2, 50, 100_000])
def test_sorted_unique_is_numpy_unique(size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.integers(0, max(size // 3, 1), size).astype(np.int64)  # many repeats
    got = sorted_unique(values)
    np.testing.assert_array_equal(got, np.unique(values))
    assert got.dtype == np.int64


def test_area_size_spread_is_validated() -> None:
    with pytest.raises(ConfigError, match=r"network.area_size_spread = -1"):
        load_scenario("national_norway", {"network.area_size_spread": -1.0})


@pytest.mark.parametrize("name", sorted(NATIONAL))
def test_first_week_holds_every_municipal_network_and_one_national_gathering(name: str) -> None:
    _, municipalities, _ = NATIONAL[name]
    scenario = load_scenario(name, {"calendar.years": 1 / 38})  # one school week
    model = LearningNetworkModel(scenario, rng=np.random.default_rng(seed_sequence(scenario, 0)))
    model.run()
    st = model.state
    assert model.summary()["gatherings_total"] == municipalities + 1
    # cross-school ties formed this week join people of one municipality, or two people who
    # met at the national gathering (network leaders, the national centre's staff)
    ties = st.member_ties
    assert len(ties) > 10 * municipalities
    national = model.invited_network
    same_area = st.area[ties.a] == st.area[ties.b]
    assert np.all(same_area | (national[ties.a] & national[ties.b]))
    # nearly every municipality's network met and formed ties inside it (a one-school
    # municipality meets only colleagues; in a small one everybody from a school may be away)
    met = np.unique(st.area[ties.a[same_area & (st.area[ties.a] >= 0)]])
    several = np.bincount(_school_area(st), minlength=municipalities) > 1
    assert met.size >= 0.9 * several.sum()


_VALUE = re.compile(r"^\s*([A-Za-z_]+):\s*(\S.*)?$")
_SOURCE = ("seed", "modelling choice", "udir", "skolverket", "derived", "fitted", "assumption",
           "municipalities")


@pytest.mark.parametrize("name", sorted(NATIONAL))
def test_every_value_names_its_source_and_the_extrapolation_is_stated(name: str) -> None:
    text = (configs_dir() / "scenario" / f"{name}.yaml").read_text()
    assert "EXTRAPOLATION" in text
    unsourced = []
    for line in text.splitlines():
        match = _VALUE.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        key, value = match.group(1), match.group(2) or ""
        if key in ("name", "description") or value in ("", ">-"):
            continue
        comment = value.partition("#")[2].lower()
        if not any(word in comment for word in _SOURCE):
            unsourced.append(line.strip())
    assert not unsourced, unsourced

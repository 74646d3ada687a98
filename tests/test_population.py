"""Tests for the population builders (netsim.population): the structure of each design."""

from __future__ import annotations

import numpy as np
import pytest

from netsim.config import ConfigError, Design, load_scenario
from netsim.population import Population, build_population, informal_ties
from netsim.state import Role

SEEDS = range(5)


def _pop(preset: str, seed: int, **overrides: object) -> Population:
    return build_population(load_scenario(preset, overrides), np.random.default_rng(seed))


# ------------------------------------------------------------------ city developer networks


@pytest.mark.parametrize("seed", SEEDS)
def test_city_area_networks_are_nested_in_the_city_network(seed: int) -> None:
    scenario = load_scenario("city_developer_networks")
    pop = build_population(scenario, np.random.default_rng(seed))
    n_areas = scenario.network.n_areas
    staff = pop.school >= 0
    # every school lies in exactly one area, and all areas are used
    pairs = np.unique(np.c_[pop.school[staff], pop.area[staff]], axis=0)
    assert np.array_equal(pairs[:, 0], np.arange(pop.n_schools))
    assert set(pairs[:, 1]) == set(range(n_areas))
    fac = pop.role == Role.FACILITATOR
    assert pop.network_invited is not None and pop.area_invited is not None
    developers = pop.network_invited & ~fac
    # each area network has exactly one developer, who is also in the city network
    assert np.array_equal(np.bincount(pop.area[developers], minlength=n_areas),
                          np.ones(n_areas, dtype=np.int64))
    assert np.all(pop.area_invited[developers])
    assert np.all(pop.role[developers] == Role.RESOURCE_TEACHER)
    # the city network is the developers and the facilitators; facilitators stay out of areas
    assert np.array_equal(pop.network_invited, developers | fac)
    assert fac.sum() == scenario.network.n_facilitators
    assert not pop.area_invited[fac].any()
    # area networks: the area's resource teachers and leaders (+ developer), nobody else
    rt_or_leader = (pop.role == Role.RESOURCE_TEACHER) | (pop.role == Role.LEADER)
    assert np.array_equal(pop.area_invited, rt_or_leader & staff)
    assert not pop.area_invited[pop.role == Role.TEACHER].any()
    # everyone in either level is a network member
    assert np.array_equal(pop.member, pop.area_invited | fac)


# ------------------------------------------------------------------ meeting groups


@pytest.mark.parametrize("seed", SEEDS)
def test_meeting_groups_hold_every_teacher_once_in_groups_of_15_to_20(seed: int) -> None:
    pop = _pop("meeting_groups", seed)
    teachers = (pop.role == Role.TEACHER) | (pop.role == Role.RESOURCE_TEACHER)
    assert teachers.sum() > 200  # seed 004: "more than 200 teachers" (33 x 7 on average)
    # every teacher is in exactly one group (one group id each, none without)
    assert np.all(pop.area[teachers] >= 0)
    sizes = np.bincount(pop.area[teachers])
    assert sizes.min() >= 15 and sizes.max() <= 20
    for group in range(sizes.size):
        in_group = teachers & (pop.area == group)
        assert np.unique(pop.school[in_group]).size >= 3  # from several schools
        # one appointed group leader per group
        assert ((pop.role == Role.RESOURCE_TEACHER) & in_group).sum() == 1
    assert np.all(pop.member[teachers])
    # the external expert is a facilitator outside every group
    fac = pop.role == Role.FACILITATOR
    assert fac.sum() == 1 and np.all(pop.area[fac] == -1) and np.all(pop.member[fac])


def test_meeting_groups_school_leader_joins_the_group_of_most_of_its_teachers() -> None:
    pop = _pop("meeting_groups", 1)
    teachers = (pop.role == Role.TEACHER) | (pop.role == Role.RESOURCE_TEACHER)
    for leader in np.flatnonzero(pop.role == Role.LEADER):
        mine = teachers & (pop.school == pop.school[leader])
        counts = np.bincount(pop.area[mine])
        assert counts[pop.area[leader]] == counts.max()


def test_meeting_groups_with_an_impossible_size_range_say_so() -> None:
    scenario = load_scenario("meeting_groups", {"network.n_schools": 2,
                                                "network.teachers_per_school": 5,
                                                "network.school_size_spread": 0.0,
                                                "practices.local_schools": 1})
    with pytest.raises(ConfigError, match="group_size_min = 15"):
        build_population(scenario, np.random.default_rng(0))


# ------------------------------------------------------------------ significant networks


def _trait_gap(pop: Population) -> float:
    i, j, _ = pop.member_ties
    return float(np.abs(pop.trait[i] - pop.trait[j]).mean())


@pytest.mark.parametrize("seed", SEEDS)
def test_significant_networks_are_small_trusted_cross_school_and_homophilous(seed: int) -> None:
    scenario = load_scenario("significant_networks")
    pop = build_population(scenario, np.random.default_rng(seed))
    i, j, trust = pop.member_ties
    assert i.size > 0
    assert np.all(pop.school[i] != pop.school[j])  # cross-school
    assert not pop.member.any()  # no formal network
    assert not (pop.role == Role.FACILITATOR).any()
    # fewer than 10 significant partners: cross-school ties within the strong-tie cap
    degree = np.bincount(np.r_[i, j], minlength=pop.n_people)
    assert degree.max() <= scenario.trust.max_strong_ties < 10
    assert 2.5 <= degree[degree > 0].mean() <= 3.5  # about cross_school_informal_ties = 3
    assert np.all(trust >= scenario.trust.strong)  # trusted from the start
    # homophily: mean |trait difference| across ties well below 1/3 (random pairs)
    assert _trait_gap(pop) < 0.15


def test_informal_ties_without_homophily_pair_people_at_random() -> None:
    gaps = [_trait_gap(_pop("significant_networks", s, **{"network.homophily": 0.0}))
            for s in SEEDS]
    # random partners: E|U - V| = 1/3 for independent uniform traits
    assert np.mean(gaps) == pytest.approx(1 / 3, abs=0.03)


def test_informal_ties_exact_small_case() -> None:
    school = np.array([0, 0, 1, 1, 2, -1])
    trait = np.array([0.1, 0.5, 0.2, 0.6, 0.3, 0.0])
    eligible = school >= 0
    i, j, t = informal_ties(school, trait, eligible, 2, 1.0, 0.8, np.random.default_rng(0))
    # order by trait: 0 (0.1), 2 (0.2), 4 (0.3), 1 (0.5), 3 (0.6); neighbours, other school
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 2), (1, 3), (1, 4), (2, 4)]
    assert np.all((t >= 0.7) & (t <= 0.9))
    none = informal_ties(school, trait, eligible, 0, 1.0, 0.8, np.random.default_rng(0))
    assert none[0].size == 0


def test_cross_school_informal_ties_work_in_other_designs_too() -> None:
    pop = _pop("resource_teacher_network", 0, **{"network.cross_school_informal_ties": 2})
    i, j, _ = pop.member_ties
    assert i.size > 0 and np.all(pop.school[i] != pop.school[j])
    assert np.all(pop.role[np.r_[i, j]] != Role.LEADER)


# ------------------------------------------------------------------ other designs


def test_partnership_network_has_university_owner_coordinator_and_school_needs() -> None:
    scenario = load_scenario("partnership_network")
    assert scenario.network.design is Design.partnership_network
    pop = build_population(scenario, np.random.default_rng(0))
    assert pop.n_schools == 20
    # 2 university facilitators + the school owner's coordinator
    assert ((pop.role == Role.RESOURCE_TEACHER).sum(), (pop.role == Role.LEADER).sum(),
            (pop.role == Role.FACILITATOR).sum()) == (20, 20, 3)
    assert np.array_equal(pop.member, pop.role != Role.TEACHER)
    # every school names one practice it needs
    assert pop.need.shape == (20,)
    assert ((pop.need >= 0) & (pop.need < scenario.practices.n_practices)).all()
    # other designs have no needs analysis unless asked for
    default = build_population(load_scenario("resource_teacher_network"),
                               np.random.default_rng(0))
    assert (default.need == -1).all()
    asked = build_population(load_scenario("resource_teacher_network",
                                           {"network.needs_analysis": True}),
                             np.random.default_rng(0))
    assert (asked.need >= 0).all()


def test_school_forms_are_dealt_evenly_over_schools() -> None:
    pop = build_population(load_scenario("resource_teacher_network",
                                         {"network.school_forms": 4}), np.random.default_rng(0))
    staff = pop.school >= 0
    school_form = np.zeros(pop.n_schools, dtype=np.int64)
    school_form[pop.school[staff]] = pop.form[staff]
    assert sorted(np.bincount(school_form).tolist()) == [11, 11, 11, 12]  # 45 schools
    # everyone at a school shares its form
    assert (pop.form[staff] == school_form[pop.school[staff]]).all()


def test_default_design_with_areas_invites_each_schools_members_to_its_area() -> None:
    pop = _pop("resource_teacher_network", 0, **{"network.n_areas": 5})
    assert pop.area_invited is not None
    assert np.array_equal(pop.area_invited, pop.member & (pop.area >= 0))
    assert set(np.unique(pop.area[pop.school >= 0])) == set(range(5))

"""Population builder: schools, people, roles, and generated or loaded ties.

:func:`build_population` turns a :class:`~netsim.config.Scenario` and the run's random
generator into a :class:`Population` (plain arrays). The model then wraps it in the columnar
:class:`~netsim.state.State` and creates one Mesa agent per person.

Each network design (``network.design``) has a builder registered in ``BUILDERS``. All of them
share the same pieces: schools of lognormal size, one leader per school, resource teachers, and
clustered collegial ties inside each school (a Watts-Strogatz small world per school: ring
lattice of ``collegial_degree`` neighbours with rewiring probability ``collegial_rewire_prob``;
Watts & Strogatz 1998). ``network.homophily`` orders the ring by a personal trait so that
neighbours are similar (seed 000; Poole et al. 2019), and ``network.cross_school_informal_ties``
adds informal cross-school ties among teachers, homophilous by the same trait
(:func:`informal_ties`).

Designs (presets in ``configs/scenario``):

=========================  =====================================================================
design                     structure
=========================  =====================================================================
resource_teacher_network   one network: resource teachers, invited leaders, facilitators (001)
city_developer_networks    city network of area developers + facilitators; area networks of
                           each area's resource teachers and leaders, led by its developer
                           (002, 004)
meeting_groups             every teacher a member of one meeting group (``area`` = group) with
                           an appointed group leader; an external expert as facilitator (004)
partnership_network        university facilitators plus the school owner's coordinator,
                           resource persons and leaders; every school names the practice it
                           needs (003)
significant_networks       no formal network; informal homophilous cross-school ties (000)
=========================  =====================================================================

:func:`build_population` then deals the schools over ``network.school_forms`` school forms
(:func:`school_forms`) and, with ``network.needs_analysis``, draws each school's need
(:func:`school_needs`). A builder also says who is invited to what:
``Population.network_invited`` (network gatherings, default the members) and
``Population.area_invited`` (their area's gatherings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from netsim import kernels
from netsim.config import ConfigError, Design, Scenario
from netsim.kernels import kernel
from netsim.state import Role, flatnonzero

__all__ = ["BUILDERS", "Population", "build_population", "collegial_ties", "informal_ties"]


@dataclass
class Population:
    """Who is there and how they are tied, before any dynamics."""

    role: np.ndarray
    school: np.ndarray
    member: np.ndarray
    area: np.ndarray  # education area of the person's school, or meeting group; -1 none
    trait: np.ndarray
    colleagues: sparse.csr_array
    n_schools: int
    # initial cross-school ties (formed earlier, or informal): (i, j, trust)
    member_ties: tuple[np.ndarray, np.ndarray, np.ndarray] = field(
        default_factory=lambda: (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)))
    # invited to network gatherings (None = the members) and to their area's gatherings
    # (None = nobody); the area is ``area``
    network_invited: np.ndarray | None = None
    area_invited: np.ndarray | None = None
    # school form / stage of each person's school (0 .. network.school_forms - 1; facilitators
    # 0), set by build_population
    form: np.ndarray | None = None
    # practice each school needs (its own needs analysis; -1 none), set by build_population
    need: np.ndarray | None = None

    @property
    def n_people(self) -> int:
        return int(self.role.size)


def _school_sizes(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    net = scenario.network
    if net.school_size_spread == 0:
        return np.full(net.n_schools, net.teachers_per_school, dtype=np.int64)
    sigma = net.school_size_spread
    raw = rng.lognormal(np.log(net.teachers_per_school) - sigma**2 / 2, sigma, net.n_schools)
    return np.maximum(1, np.round(raw)).astype(np.int64)


def _staff(scenario: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Roles and schools of school staff, contiguous by school: leader, resource teachers,
    teachers."""
    net = scenario.network
    teachers = _school_sizes(scenario, rng)
    per_school = 1 + net.resource_teachers_per_school + teachers
    school = np.repeat(np.arange(net.n_schools), per_school)
    start = np.concatenate([[0], np.cumsum(per_school)[:-1]])
    pos = np.arange(school.size) - start[school]
    role = np.full(school.size, Role.TEACHER, dtype=np.int8)
    role[pos == 0] = Role.LEADER
    role[(pos >= 1) & (pos <= net.resource_teachers_per_school)] = Role.RESOURCE_TEACHER
    return role, school


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-d integer array in rising order: what ``np.unique`` returns.

    Speed only: NumPy 2.3+ finds unique integers through a hash table and then sorts them,
    which is 40-70 times slower than one sort and a comparison of neighbours for the
    hundreds of thousands of tie keys of a national-scale population (0.16 s against
    0.004 s for 320,000 keys).
    """
    if values.size == 0:
        return values.copy()
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def collegial_ties(school: np.ndarray, degree: int, rewire_prob: float, trust_mean: float,
                   rng: np.random.Generator, order_key: np.ndarray | None = None
                   ) -> sparse.csr_array:
    """Clustered collegial ties inside each school (a Watts-Strogatz graph per school).

    People of a school are placed on a ring (in the order of ``order_key`` if given, else at
    random) and tied to their ``degree // 2`` nearest neighbours on each side; each tie is then
    rewired with probability ``rewire_prob`` to a random colleague in the same school. Ties
    carry a trust weight drawn uniformly in ``trust_mean ± 0.2`` (clipped to [0.05, 1]).
    People with ``school < 0`` get no collegial ties.

    The rings, the rewiring and the symmetric matrix are built by compiled loops
    (:func:`_ring_ties`, :func:`_tie_keys`, :func:`_symmetric_csr`; speed only: the NumPy and
    SciPy calls they replaced cost about 1 ms per model, a third of its construction); the
    draws are NumPy's, in the same order and of the same sizes as before.

    References:
        Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks.
        Nature 393, 440-442.
    """
    n = school.size
    staff = flatnonzero(school >= 0)
    if staff.size == 0 or degree == 0:
        return sparse.csr_array((n, n))
    key = order_key[staff] if order_key is not None else rng.random(staff.size)
    ordered, src, dst, src_size, src_start = _ring_ties(
        staff, np.ascontiguousarray(school[staff], dtype=np.int64),
        np.argsort(key, kind="stable"), degree // 2)
    if rewire_prob > 0 and src.size:
        rew = rng.random(src.size) < rewire_prob
        dst[rew] = src_start[rew] + rng.integers(0, src_size[rew])
    lo, hi = _tie_keys(ordered, src, dst, n)
    w = np.clip(trust_mean + rng.uniform(-0.2, 0.2, lo.size), 0.05, 1.0)
    return _csr_array(*_symmetric_csr(lo, hi, w, n), n)


# ---------------------------------------------------------------- compiled collegial rings
# The rings of :func:`collegial_ties` as loops: the same ties in the same order as the
# vectorised construction they replaced (``np.lexsort`` of the people by school then ring
# key, one block of ties per ring distance ``d`` in the people's order, NumPy's ``np.unique``
# of the tie keys, SciPy's canonical CSR matrix: columns sorted within each row). Exact: only
# integer arithmetic and stable sorts (the float ring keys are sorted by NumPy's stable
# argsort; everything else is sorted by small integers, by counting); the trust weights are
# drawn and clipped in NumPy.


@kernel
def _ring_ties(staff: np.ndarray, school: np.ndarray, by_key: np.ndarray, half: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ring lattice of every school before rewiring.

    ``staff`` are the people with a school, ``school`` theirs and ``by_key`` their order by
    ring key (a stable argsort). Returns ``ordered`` (the staff by school, then by key, ties by
    their order in ``staff``: what ``staff[np.lexsort((key, school))]`` gives; a stable
    counting sort of ``by_key`` by school) and, per tie, its ends as positions in ``ordered``
    (``src``, ``dst``: for each distance ``d = 1 .. half`` in turn, every position whose ring
    has more than ``d`` people, ``dst`` ``d`` places further round the ring; on a ring of
    exactly ``2 d`` people only the first ``d`` positions, so no pair is tied twice), and the
    size and first position of the ring of ``src`` (for rewiring).
    """
    m = staff.size
    n_sch = 0
    for t in range(m):
        n_sch = max(n_sch, school[t] + 1)
    start = np.zeros(n_sch, dtype=np.int64)  # first position of each school's ring
    size = np.zeros(n_sch, dtype=np.int64)
    for t in range(m):
        size[school[t]] += 1
    total = 0
    for s in range(n_sch):
        start[s] = total
        total += size[s]
    ordered = np.empty(m, dtype=np.int64)
    sch = np.empty(m, dtype=np.int64)
    fill = start.copy()
    for t in range(m):  # by school, in key order within each
        i = by_key[t]
        s = school[i]
        ordered[fill[s]], sch[fill[s]] = staff[i], s
        fill[s] += 1
    src = np.empty(m * half, dtype=np.int64)
    dst = np.empty(m * half, dtype=np.int64)
    src_size = np.empty(m * half, dtype=np.int64)
    src_start = np.empty(m * half, dtype=np.int64)
    e = 0
    for d in range(1, half + 1):
        for t in range(m):
            s = sch[t]
            ring, first = size[s], start[s]
            pos = t - first
            if ring <= d or (2 * d == ring and pos >= d):
                continue
            target = pos + d  # (pos + d) % ring, as pos < ring and d < ring
            if target >= ring:
                target -= ring
            src[e] = t
            dst[e] = first + target
            src_size[e] = ring
            src_start[e] = first
            e += 1
    return ordered, src[:e], dst[:e], src_size[:e], src_start[:e]


@kernel
def _tie_keys(ordered: np.ndarray, src: np.ndarray, dst: np.ndarray, n: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs ``(lo, hi)`` (``lo < hi`` the two people) of the ties ``src``-``dst``
    (positions in ``ordered``) that join two different people, by rising key ``lo * n + hi``
    (what ``np.unique`` of the keys gives: here a counting sort by ``lo``, then an insertion
    sort of each person's few ``hi``; no integer division, which is slow)."""
    count = np.zeros(n + 1, dtype=np.int64)
    for t in range(src.size):
        if src[t] != dst[t]:
            count[min(ordered[src[t]], ordered[dst[t]]) + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    fill = count[:n].copy()
    hi = np.empty(count[n], dtype=np.int64)
    for t in range(src.size):
        if src[t] != dst[t]:
            a, b = ordered[src[t]], ordered[dst[t]]
            lo = min(a, b)
            hi[fill[lo]] = max(a, b)
            fill[lo] += 1
    out_lo = np.empty(count[n], dtype=np.int64)
    out_hi = np.empty(count[n], dtype=np.int64)
    m = 0
    for lo in range(n):
        first = count[lo]
        for t in range(first + 1, count[lo + 1]):  # insertion sort of lo's partners
            v = hi[t]
            u = t
            while u > first and hi[u - 1] > v:
                hi[u] = hi[u - 1]
                u -= 1
            hi[u] = v
        for t in range(first, count[lo + 1]):
            if t == first or hi[t] != hi[t - 1]:
                out_lo[m], out_hi[m] = lo, hi[t]
                m += 1
    return out_lo[:m], out_hi[:m]


@kernel
def _symmetric_csr(lo: np.ndarray, hi: np.ndarray, w: np.ndarray, n: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data, indices, indptr) of the symmetric n x n matrix with ``w[t]`` at both
    ``(lo[t], hi[t])`` and ``(hi[t], lo[t])``, columns rising within each row. The pairs come
    by rising key, so each row receives its columns below the row (as ``hi``), then those
    above it (as ``lo``), each in rising order: no sort needed."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    for t in range(lo.size):
        indptr[lo[t] + 1] += 1
        indptr[hi[t] + 1] += 1
    for r in range(n):
        indptr[r + 1] += indptr[r]
    fill = indptr[:n].copy()
    indices = np.empty(2 * lo.size, dtype=np.int64)
    data = np.empty(2 * lo.size)
    for t in range(lo.size):
        a, b = lo[t], hi[t]
        indices[fill[a]], data[fill[a]] = b, w[t]
        fill[a] += 1
        indices[fill[b]], data[fill[b]] = a, w[t]
        fill[b] += 1
    return data, indices, indptr


def _csr_array(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n: int
               ) -> sparse.csr_array:
    """The CSR matrix of :func:`_symmetric_csr`'s arrays (int64 indices, as SciPy's COO to CSR
    conversion gave them)."""
    return sparse.csr_array((data, indices, indptr), shape=(n, n))


def _trait_and_colleagues(role: np.ndarray, school: np.ndarray, scenario: Scenario,
                          rng: np.random.Generator) -> tuple[np.ndarray, sparse.csr_array]:
    """Personal traits (uniform in [0, 1]) and collegial ties ordered by ``network.homophily``."""
    net = scenario.network
    trait = rng.random(role.size)
    h = net.homophily
    order_key = h * trait + (1 - h) * rng.random(role.size)
    colleagues = collegial_ties(school, net.collegial_degree, net.collegial_rewire_prob,
                                net.colleague_trust, rng, order_key)
    return trait, colleagues


def area_sizes(n_schools: int, n_areas: int, spread: float, rng: np.random.Generator
               ) -> np.ndarray:
    """Number of schools in each of ``n_areas`` areas, summing to ``n_schools``.

    Every area has at least one school; the other ``n_schools - n_areas`` schools are shared
    out in proportion to lognormal weights (mean 1, log-sd ``spread``), rounded by largest
    remainder (ties to the lower area index), so that a country's municipalities range from
    one school to many. Modelling choice: the preset says how ``spread`` was chosen
    (``configs/scenario/national_*.yaml``); 0 gives equal sizes (±1).
    """
    if spread == 0:
        sizes = np.full(n_areas, n_schools // n_areas, dtype=np.int64)
        sizes[: n_schools % n_areas] += 1
        return sizes
    weight = rng.lognormal(-spread**2 / 2, spread, n_areas)
    share = (n_schools - n_areas) * weight / weight.sum()
    extra = np.floor(share).astype(np.int64)
    left = (n_schools - n_areas) - int(extra.sum())
    extra[np.argsort(-(share - extra), kind="stable")[:left]] += 1
    return 1 + extra


def _school_areas(n_schools: int, n_areas: int, rng: np.random.Generator,
                  spread: float = 0.0) -> np.ndarray:
    """Education area of each school, schools assigned at random: areas of equal size (±1),
    or of the unequal sizes of :func:`area_sizes` when ``spread`` > 0
    (``network.area_size_spread``)."""
    if spread == 0:
        return rng.permutation(np.arange(n_schools) % n_areas)
    sizes = area_sizes(n_schools, n_areas, spread, rng)
    return rng.permutation(np.repeat(np.arange(n_areas), sizes))


def _with_facilitators(role: np.ndarray, school: np.ndarray, n_fac: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Append ``n_fac`` facilitators (school -1) after the school staff."""
    role = np.concatenate([role, np.full(n_fac, Role.FACILITATOR, dtype=np.int8)])
    school = np.concatenate([school, np.full(n_fac, -1)]).astype(np.int64)
    return role, school


def informal_ties(school: np.ndarray, trait: np.ndarray, eligible: np.ndarray, per_person: int,
                  homophily: float, trust_mean: float, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Informal cross-school ties among the ``eligible`` people, homophilous by ``trait``.

    Eligible people are ordered by ``homophily * trait + (1 - homophily) * u`` (``u`` uniform
    noise, as for the collegial ring) and each is tied to the people 1, 2, ...,
    ``ceil(per_person / 2)`` places further along that order (the farthest step only from every
    other place when ``per_person`` is odd), so the mean number of ties per person is about
    ``per_person``. Pairs in the same school are dropped (those are collegial ties). With
    ``homophily`` 0 partners are random (mean trait difference 1/3); with 1 they are the most
    similar people in other schools (seed 000: "birds of a feather", Poole et al. 2019). Trust
    is drawn uniformly in ``trust_mean ± 0.1`` (clipped to [0, 1]).

    Returns:
        (i, j, trust) with ``i < j``, each pair once.
    """
    people = np.flatnonzero(eligible)
    m = people.size
    if m < 2 or per_person <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    key = homophily * trait[people] + (1 - homophily) * rng.random(m)
    ordered = people[np.argsort(key, kind="stable")]
    src_l, dst_l = [], []
    steps = -(-per_person // 2)
    for d in range(1, min(steps, m - 1) + 1):
        pos = np.arange(m - d)
        if per_person % 2 and d == steps:
            pos = pos[pos % 2 == 0]
        src_l.append(ordered[pos])
        dst_l.append(ordered[pos + d])
    a, b = np.concatenate(src_l), np.concatenate(dst_l)
    keep = school[a] != school[b]
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    n = school.size
    keys = sorted_unique(lo.astype(np.int64) * n + hi)
    trust = np.clip(trust_mean + rng.uniform(-0.1, 0.1, keys.size), 0.0, 1.0)
    return keys // n, keys % n, trust


def _add_informal_ties(pop: Population, scenario: Scenario, rng: np.random.Generator
                       ) -> Population:
    """Give classroom teachers ``network.cross_school_informal_ties`` informal cross-school ties
    (see :func:`informal_ties`), added to ``pop.member_ties``."""
    net = scenario.network
    if net.cross_school_informal_ties <= 0:
        return pop
    teachers = ((pop.role == Role.TEACHER) | (pop.role == Role.RESOURCE_TEACHER)) & (
        pop.school >= 0)
    i, j, t = informal_ties(pop.school, pop.trait, teachers, net.cross_school_informal_ties,
                            net.homophily, net.informal_tie_trust, rng)
    old_i, old_j, old_t = pop.member_ties
    pop.member_ties = (np.r_[old_i, i], np.r_[old_j, j], np.r_[old_t, t])
    return pop


def _default_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Resource-teacher network (seed 001): schools with a leader, resource teacher(s) and
    teachers; members are the resource teachers, the invited leaders and the facilitators.

    With ``network.n_areas`` > 0 schools are assigned to areas and every member of a school is
    invited to that area's gatherings (``calendar.area_meeting_interval_weeks``)."""
    net = scenario.network
    role, school = _with_facilitators(*_staff(scenario, rng), net.n_facilitators)
    member = (role == Role.RESOURCE_TEACHER) | (role == Role.FACILITATOR)
    if net.leaders_invited:
        member |= role == Role.LEADER
    if net.all_teachers_members:
        member |= role == Role.TEACHER
    trait, colleagues = _trait_and_colleagues(role, school, scenario, rng)
    area = np.full(role.size, -1, dtype=np.int64)
    if net.n_areas > 0:
        school_area = _school_areas(net.n_schools, net.n_areas, rng, net.area_size_spread)
        area[school >= 0] = school_area[school[school >= 0]]
    pop = Population(role=role, school=school, member=member, area=area, trait=trait,
                     colleagues=colleagues, n_schools=net.n_schools,
                     area_invited=member & (area >= 0))
    return _add_informal_ties(pop, scenario, rng)


def _city_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """City developer networks (seeds 002, 004): a city network of developers that lead area
    networks of the schools in their education area.

    Schools are split into ``network.n_areas`` education areas. Each area has one developer: a
    teacher with a part-time developer role (``Role.RESOURCE_TEACHER``, seed 004) working at a
    random school of the area, added to that school's staff. Network gatherings (the city
    network) invite the developers and the ``n_facilitators`` central facilitators, who bridge
    between areas (seed 002 §3-4, CFS). Area gatherings invite the area's resource teachers,
    its invited leaders and its developer, who thus carries knowledge between the two levels
    (seed 004: "Developers take part in the city-wide network and lead local networks"). All
    of them count as network members.
    """
    net = scenario.network
    role, school = _staff(scenario, rng)
    school_area = _school_areas(net.n_schools, net.n_areas, rng, net.area_size_spread)
    home = np.array([rng.choice(np.flatnonzero(school_area == a)) for a in range(net.n_areas)],
                    dtype=np.int64)
    role = np.concatenate([role, np.full(net.n_areas, Role.RESOURCE_TEACHER, dtype=np.int8)])
    school = np.concatenate([school, home])
    developer = np.zeros(role.size, dtype=bool)
    developer[-net.n_areas:] = True
    role, school = _with_facilitators(role, school, net.n_facilitators)
    developer = np.r_[developer, np.zeros(net.n_facilitators, dtype=bool)]
    facilitator = role == Role.FACILITATOR
    area = np.full(role.size, -1, dtype=np.int64)
    area[school >= 0] = school_area[school[school >= 0]]
    area_invited = role == Role.RESOURCE_TEACHER
    if net.leaders_invited:
        area_invited |= role == Role.LEADER
    if net.all_teachers_members:
        area_invited |= role == Role.TEACHER
    trait, colleagues = _trait_and_colleagues(role, school, scenario, rng)
    pop = Population(role=role, school=school, member=area_invited | facilitator, area=area,
                     trait=trait, colleagues=colleagues, n_schools=net.n_schools,
                     network_invited=developer | facilitator, area_invited=area_invited)
    return _add_informal_ties(pop, scenario, rng)


def _group_sizes(n_people: int, size_min: int, size_max: int) -> np.ndarray:
    """Sizes of meeting groups covering ``n_people``: as equal as possible, within
    [size_min, size_max], as many groups as the mid size suggests."""
    lo, hi = -(-n_people // size_max), n_people // size_min
    if n_people < size_min or lo > hi:
        raise ConfigError(f"network.group_size_min = {size_min} and network.group_size_max = "
                          f"{size_max} cannot split {n_people} teachers into groups; allowed: "
                          "a size range that fits (e.g. more teachers or a wider range)")
    n_groups = int(np.clip(round(2 * n_people / (size_min + size_max)), lo, hi))
    sizes = np.full(n_groups, n_people // n_groups)
    sizes[: n_people % n_groups] += 1
    return sizes


def _meeting_groups_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Meeting groups (seed 004, adapted compulsory school): every teacher is a member and
    belongs to one meeting group of ``group_size_min``-``group_size_max`` teachers.

    Teachers are shuffled and dealt into groups of equal size (±1), so each group draws on
    several schools (modelling choice: the report does not say how groups are composed). One
    teacher per group is the appointed group leader (``Role.RESOURCE_TEACHER``: "special
    teachers, lead teachers, teachers", seed 004). A school leader, if invited, joins the group
    with most of the school's teachers. Facilitators stand for the external expert who supports
    the yearly theme (seed 004) and serve every group. The group id is ``area``; with
    ``network.gatherings_by_area`` each group meets separately.
    """
    net = scenario.network
    role, school = _with_facilitators(*_staff(scenario, rng), net.n_facilitators)
    teachers = np.flatnonzero((role == Role.TEACHER) | (role == Role.RESOURCE_TEACHER))
    sizes = _group_sizes(teachers.size, net.group_size_min, net.group_size_max)
    area = np.full(role.size, -1, dtype=np.int64)
    shuffled = rng.permutation(teachers)
    area[shuffled] = np.repeat(np.arange(sizes.size), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    group_leaders = shuffled[starts + rng.integers(0, sizes)]
    role[group_leaders] = Role.RESOURCE_TEACHER
    member = (role == Role.TEACHER) | (role == Role.RESOURCE_TEACHER) | (
        role == Role.FACILITATOR)
    leaders = np.flatnonzero(role == Role.LEADER)
    counts = np.zeros((net.n_schools, sizes.size), dtype=np.int64)
    np.add.at(counts, (school[teachers], area[teachers]), 1)
    area[leaders] = counts[school[leaders]].argmax(axis=1)
    if net.leaders_invited:
        member[leaders] = True
    trait, colleagues = _trait_and_colleagues(role, school, scenario, rng)
    pop = Population(role=role, school=school, member=member, area=area, trait=trait,
                     colleagues=colleagues, n_schools=net.n_schools)
    return _add_informal_ties(pop, scenario, rng)


def _partnership_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Partnership network (seed 003, "Build"): the "team around the child".

    - **University**: the ``n_facilitators`` facilitators are university staff who bring
      research-based input at every gathering (``gathering.expert_inputs``) and guide schools.
    - **School owner as coordinator**: one more facilitator-role person, the owner's
      coordinator, who runs the network with them (seed 003: the strongest ownership and
      progress came when the owner coordinated); the owner's commitment acts through leaders'
      priority (``motivation.owner_priority_weight``).
    - **Needs owned by the units**: every school names the practice it needs (a needs analysis,
      :func:`school_needs`), whatever ``network.needs_analysis`` says; expert input and the
      take-back choice favour it.
    - Resource persons from practice are the resource teachers; school leaders are members
      who shape the knowledge need.
    """
    net = scenario.network
    role, school = _with_facilitators(*_staff(scenario, rng), net.n_facilitators + 1)
    member = (role == Role.RESOURCE_TEACHER) | (role == Role.FACILITATOR)
    if net.leaders_invited:
        member |= role == Role.LEADER
    if net.all_teachers_members:
        member |= role == Role.TEACHER
    trait, colleagues = _trait_and_colleagues(role, school, scenario, rng)
    pop = Population(role=role, school=school, member=member,
                     area=np.full(role.size, -1, dtype=np.int64), trait=trait,
                     colleagues=colleagues, n_schools=net.n_schools)
    pop.need = school_needs(net.n_schools, scenario.practices.n_practices, rng)
    return _add_informal_ties(pop, scenario, rng)


def school_needs(n_schools: int, n_practices: int, rng: np.random.Generator) -> np.ndarray:
    """The practice each school needs: drawn at random per school (the model has no data on
    which needs schools have; modelling choice)."""
    return rng.integers(0, n_practices, n_schools).astype(np.int64)


def _significant_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Significant networks (seed 000): no formal network. Schools, leaders and teachers with
    collegial ties (homophilous by ``network.homophily``) and
    ``network.cross_school_informal_ties`` informal, trusted cross-school ties per teacher
    (:func:`informal_ties`); nobody is a network member and nobody is invited to gatherings.
    """
    net = scenario.network
    role, school = _staff(scenario, rng)
    trait, colleagues = _trait_and_colleagues(role, school, scenario, rng)
    pop = Population(role=role, school=school, member=np.zeros(role.size, dtype=bool),
                     area=np.full(role.size, -1, dtype=np.int64), trait=trait,
                     colleagues=colleagues, n_schools=net.n_schools)
    return _add_informal_ties(pop, scenario, rng)


def _custom_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """A user-supplied network (``network.file``); see :mod:`netsim.usergraph`."""
    from netsim.usergraph import build_user_population

    return build_user_population(scenario, rng)


BUILDERS: dict[Design, Callable[[Scenario, np.random.Generator], Population]] = {
    Design.resource_teacher_network: _default_build,
    Design.city_developer_networks: _city_build,
    Design.meeting_groups: _meeting_groups_build,
    Design.partnership_network: _partnership_build,
    Design.significant_networks: _significant_build,
    Design.custom_graph: _custom_build,
}


def build_population(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Build the population of ``scenario`` with the run's generator ``rng``.

    A scenario with ``network.file`` set always uses the loaded graph.
    """
    design = Design.custom_graph if scenario.network.file else scenario.network.design
    try:
        builder = BUILDERS[design]
    except KeyError:
        raise ConfigError(f"network.design = {design.value!r} has no builder; allowed: "
                          + ", ".join(d.value for d in BUILDERS)) from None
    pop = builder(scenario, rng)
    if pop.form is None:
        pop.form = school_forms(pop, scenario.network.school_forms, rng)
    if pop.need is None:
        pop.need = (school_needs(pop.n_schools, scenario.practices.n_practices, rng)
                    if scenario.network.needs_analysis
                    else np.full(pop.n_schools, -1, dtype=np.int64))
    return pop


def school_forms(pop: Population, n_forms: int, rng: np.random.Generator) -> np.ndarray:
    """School form of every person: schools are dealt evenly (±1) over ``n_forms`` forms at
    random (seed 002: networks across school forms, preschool to upper secondary); people
    without a school get form 0."""
    if n_forms <= 1:
        return np.zeros(pop.n_people, dtype=np.int64)
    of_school = rng.permutation(np.arange(pop.n_schools) % n_forms)
    return np.where(pop.school >= 0, of_school[np.maximum(pop.school, 0)], 0).astype(np.int64)

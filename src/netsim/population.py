"""Population builder: schools, people, roles, and generated or loaded ties.

:func:`build_population` turns a :class:`~netsim.config.Scenario` and the run's random
generator into a :class:`Population` (plain arrays). The model then wraps it in the columnar
:class:`~netsim.state.State` and creates one Mesa agent per person.

Each network design (``network.design``) has a builder registered in ``BUILDERS``. All of them
share the same pieces: schools of lognormal size, one leader per school, resource teachers, and
clustered collegial ties inside each school (a Watts-Strogatz small world per school: ring
lattice of ``collegial_degree`` neighbours with rewiring probability ``collegial_rewire_prob``;
Watts & Strogatz 1998). ``network.homophily`` orders the ring by a personal trait so that
neighbours are similar (seed 000; Poole et al. 2019).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from netsim.config import ConfigError, Design, Scenario
from netsim.state import Role

__all__ = ["BUILDERS", "Population", "build_population", "collegial_ties", "load_graph"]


@dataclass
class Population:
    """Who is there and how they are tied, before any dynamics."""

    role: np.ndarray
    school: np.ndarray
    member: np.ndarray
    area: np.ndarray
    trait: np.ndarray
    colleagues: sparse.csr_array
    n_schools: int
    # initial cross-school ties among members: (i, j, trust)
    member_ties: tuple[np.ndarray, np.ndarray, np.ndarray] = field(
        default_factory=lambda: (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)))

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


def collegial_ties(school: np.ndarray, degree: int, rewire_prob: float, trust_mean: float,
                   rng: np.random.Generator, order_key: np.ndarray | None = None
                   ) -> sparse.csr_array:
    """Clustered collegial ties inside each school (a Watts-Strogatz graph per school).

    People of a school are placed on a ring (in the order of ``order_key`` if given, else at
    random) and tied to their ``degree // 2`` nearest neighbours on each side; each tie is then
    rewired with probability ``rewire_prob`` to a random colleague in the same school. Ties
    carry a trust weight drawn uniformly in ``trust_mean ± 0.2`` (clipped to [0.05, 1]).
    People with ``school < 0`` get no collegial ties.

    References:
        Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks.
        Nature 393, 440-442.
    """
    n = school.size
    staff = np.flatnonzero(school >= 0)
    if staff.size == 0 or degree == 0:
        return sparse.csr_array((n, n))
    key = order_key[staff] if order_key is not None else rng.random(staff.size)
    ordered = staff[np.lexsort((key, school[staff]))]
    sch = school[ordered]
    sizes = np.bincount(sch, minlength=int(sch.max()) + 1)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    size_of = sizes[sch]
    pos = np.arange(ordered.size) - start[sch]
    half = degree // 2
    src_l, dst_l = [], []
    for d in range(1, half + 1):
        ok = size_of > d  # ring needs more than d people
        # avoid double edges on tiny rings where i+d == i-d (mod s)
        ok &= ~((2 * d == size_of) & (pos >= d))
        tgt_pos = (pos + d) % np.maximum(size_of, 1)
        src_l.append(np.flatnonzero(ok))
        dst_l.append((start[sch] + tgt_pos)[ok])
    src = np.concatenate(src_l)
    dst = np.concatenate(dst_l)
    if rewire_prob > 0 and src.size:
        rew = rng.random(src.size) < rewire_prob
        s_sizes = size_of[src[rew]]
        new = start[sch[src[rew]]] + rng.integers(0, s_sizes)
        dst = dst.copy()
        dst[rew] = new
    keep = src != dst
    a, b = ordered[src[keep]], ordered[dst[keep]]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = np.unique(lo.astype(np.int64) * n + hi)
    lo, hi = keys // n, keys % n
    w = np.clip(trust_mean + rng.uniform(-0.2, 0.2, keys.size), 0.05, 1.0)
    mat = sparse.coo_array((np.concatenate([w, w]), (np.concatenate([lo, hi]),
                            np.concatenate([hi, lo]))), shape=(n, n))
    return mat.tocsr()


def _default_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Resource-teacher network (seed 001): schools with a leader, resource teacher(s) and
    teachers; members are the resource teachers, the invited leaders and the facilitators."""
    net = scenario.network
    role, school = _staff(scenario, rng)
    n_fac = net.n_facilitators
    role = np.concatenate([role, np.full(n_fac, Role.FACILITATOR, dtype=np.int8)])
    school = np.concatenate([school, np.full(n_fac, -1)]).astype(np.int64)
    member = (role == Role.RESOURCE_TEACHER) | (role == Role.FACILITATOR)
    if net.leaders_invited:
        member |= role == Role.LEADER
    if net.all_teachers_members:
        member |= role == Role.TEACHER
    trait = rng.random(role.size)
    h = net.homophily
    order_key = h * trait + (1 - h) * rng.random(role.size)
    colleagues = collegial_ties(school, net.collegial_degree, net.collegial_rewire_prob,
                                net.colleague_trust, rng, order_key)
    area = np.full(role.size, -1, dtype=np.int64)
    if net.n_areas > 0:
        school_area = rng.permutation(np.arange(net.n_schools) % net.n_areas)
        area[school >= 0] = school_area[school[school >= 0]]
    return Population(role=role, school=school, member=member, area=area, trait=trait,
                      colleagues=colleagues, n_schools=net.n_schools)


def load_graph(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Read a user network: an edge-list CSV (``source,target[,weight]``) or GraphML.

    Node ids may be any strings; they are mapped to rows in order of first appearance (CSV) or
    file order (GraphML). GraphML node attributes ``school`` (int) and ``role`` (teacher,
    resource_teacher, leader, facilitator) are used when present.

    Returns:
        (src, dst, weight, node_attributes) with rows as integers.

    Raises:
        ConfigError: the file cannot be read or parsed.
    """
    path = Path(path)
    attrs: dict[str, np.ndarray] = {}
    try:
        if path.suffix.lower() == ".csv":
            import polars as pl

            frame = pl.read_csv(path, infer_schema_length=0)
            cols = frame.columns
            if len(cols) < 2:
                raise ValueError("needs at least two columns: source,target")
            s = frame[cols[0]].cast(pl.Utf8).to_numpy()
            t = frame[cols[1]].cast(pl.Utf8).to_numpy()
            w = (frame[cols[2]].cast(pl.Float64).to_numpy() if len(cols) > 2
                 else np.ones(s.size))
            # ids in reading order (source, target, source, target, ...) so that rows follow
            # the order of first appearance in the file
            names, inv = np.unique(np.column_stack([s, t]).ravel(), return_inverse=True)
            first = np.full(names.size, inv.size)
            np.minimum.at(first, inv, np.arange(inv.size))
            rank = np.empty(names.size, dtype=np.int64)
            rank[np.argsort(first, kind="stable")] = np.arange(names.size)
            rows = rank[inv]
            src, dst = rows[0::2], rows[1::2]
            n = names.size
        else:
            import networkx as nx

            graph = nx.read_graphml(path)
            nodes = list(graph.nodes)
            index = {v: i for i, v in enumerate(nodes)}
            edges = list(graph.edges(data=True))
            src = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
            dst = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
            w = np.array([float(d.get("weight", 1.0)) for _, _, d in edges])
            n = len(nodes)
            if nodes and all("school" in graph.nodes[v] for v in nodes):
                attrs["school"] = np.array([int(graph.nodes[v]["school"]) for v in nodes])
            if nodes and all("role" in graph.nodes[v] for v in nodes):
                roles = {r.name.lower(): r for r in Role}
                attrs["role"] = np.array([roles[str(graph.nodes[v]["role"]).lower()]
                                          for v in nodes], dtype=np.int8)
        attrs["n"] = np.array([n])
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure becomes one clear message
        raise ConfigError(f"network.file = {str(path)!r} could not be read: {exc}; allowed: an "
                          "edge-list CSV with columns source,target[,weight] or a GraphML file")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ConfigError(f"network.file = {str(path)!r} has negative or missing weights; "
                          "allowed: weights >= 0")
    return src, dst, w, attrs


def _custom_build(scenario: Scenario, rng: np.random.Generator) -> Population:
    """A user-supplied network replaces the generated ties. Every node is a teacher of school 0
    unless the GraphML gives ``school`` and ``role``; ties get weight = trust (clipped to 1)."""
    assert scenario.network.file is not None
    src, dst, w, attrs = load_graph(scenario.network.file)
    n = int(attrs["n"][0])
    school = attrs.get("school", np.zeros(n, dtype=np.int64)).astype(np.int64)
    role = attrs.get("role", np.full(n, Role.TEACHER, dtype=np.int8))
    school[role == Role.FACILITATOR] = -1
    keep = src != dst
    src, dst, w = src[keep], dst[keep], np.clip(w[keep], 0, 1)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keys, first = np.unique(lo * n + hi, return_index=True)
    lo, hi, w = keys // n, keys % n, w[first]
    colleagues = sparse.coo_array((np.concatenate([w, w]), (np.concatenate([lo, hi]),
                                   np.concatenate([hi, lo]))), shape=(n, n)).tocsr()
    member = (role == Role.RESOURCE_TEACHER) | (role == Role.FACILITATOR)
    if scenario.network.leaders_invited:
        member |= role == Role.LEADER
    n_schools = int(school.max()) + 1 if (school >= 0).any() else 1
    return Population(role=role, school=school, member=member,
                      area=np.full(n, -1, dtype=np.int64), trait=rng.random(n),
                      colleagues=colleagues, n_schools=n_schools)


BUILDERS: dict[Design, Callable[[Scenario, np.random.Generator], Population]] = {
    Design.resource_teacher_network: _default_build,
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
    return builder(scenario, rng)

"""User networks: read ``network.file`` (and ``network.nodes_file``), check their contents, and
build the population on them.

Formats.

- **Edge-list CSV**: a header row, then ``source,target[,weight]`` (the first two columns are the
  end points whatever their names; a third column is the weight). A row with an empty target
  (``alice,``) lists an isolated node. Node ids are text; rows of the model follow the order of
  first appearance in the file (source, target, source, target, ...).
- **GraphML**: nodes in file order, the edge attribute ``weight``, and node attributes.
- **Node file** (``network.nodes_file``, CSV): the first column is the node id, the other
  columns are node attributes (``school``, ``role``, a threshold column, anything else). Nodes
  it lists that no edge mentions are added as isolated nodes, after the others, in its order.

Ties are undirected: ``a,b`` and ``b,a`` are one tie, the first one read keeps its weight, and
self-loops are dropped. Node attributes ``school`` (whole numbers >= 0; schools are numbered
0, 1, ... in the order of their ids, so an id of 10**9 costs nothing) and ``role`` (teacher,
resource_teacher, leader, facilitator) are used when given; a file that gives one to some
nodes only is refused.

Contents are checked (:func:`check_contents`) so that a file that would give a run of nobody,
nonsense schools or NaN outcomes is refused in one line naming the file, the value and what
is allowed: at least one node and one tie between two different nodes, finite weights >= 0,
valid schools and roles, and a memory estimate below the machine's memory.

Scale (``benchmarks/usergraph_scale.py``; 2-core machine shared with other work, load average
4-7, so noisy): a random edge list of 1,000,000 nodes and 4,400,000 ties is read and checked in
9-19 s (polars, ids hashed, not sorted); building the model on it takes about 11 s (mostly one
Mesa agent per node); a week of a textbook rule is one sparse product, 0.16 s; peak memory
1.4 GB. The domain model (``adoption.rule = trust_weighted``) treats a loaded graph as the
collegial ties of its schools and its weekly processes run over every tie and person (0.67 s a
week at 100,000 nodes and 440,000 ties): that, not loading, is what is slow on a
multi-million-tie file, and :func:`check_contents` logs a warning above
``LARGE_GRAPH_TIES`` ties. The replicates of a run read the file once (:func:`load_graph`).
"""

from __future__ import annotations

import functools
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from netsim.config import AdoptionRule, ConfigError, Scenario, SeedRule
from netsim.population import Population
from netsim.state import Role

__all__ = ["UserGraph", "UserPopulation", "build_user_population", "check_contents",
           "check_networks", "load_graph", "memory_estimate"]

log = logging.getLogger(__name__)

ROLES = {r.name.lower(): r for r in Role}
# a warning, not a refusal: the domain model's weekly processes on more ties than this are slow
LARGE_GRAPH_TIES = 500_000


@dataclass
class UserGraph:
    """A loaded user network.

    Attributes:
        labels: node id of each row (text).
        lo, hi: end points of each undirected tie (rows, ``lo < hi``), each tie once.
        weight: the file's weight of each tie (1 where the file gives none).
        attributes: node attributes by name, as text (None where a node has none).
        path: the file it came from (for messages).
    """

    labels: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    weight: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    path: str = ""

    @property
    def n(self) -> int:
        return int(self.labels.size)

    def adjacency(self, weighted: bool) -> sparse.csr_array:
        """Symmetric adjacency: the weights, or 1 for every listed tie (weight 0 included)."""
        w = self.weight if weighted else np.ones(self.lo.size)
        n = self.n
        return sparse.csr_array((np.concatenate([w, w]), (np.concatenate([self.lo, self.hi]),
                                 np.concatenate([self.hi, self.lo]))), shape=(n, n))


@dataclass
class UserPopulation(Population):
    """A population built on a user network; ``graph`` keeps the labels and raw weights."""

    graph: UserGraph | None = None


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """A parser's message on one line, shortened."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fail(path: str | Path, what: str, allowed: str, key: str = "network.file") -> ConfigError:
    return ConfigError(f"{key} = {str(path)!r} {what}; allowed: {allowed}")


def _read_csv_edges(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(labels, src rows, dst rows, weights) of an edge-list CSV; rows of isolated-node lines
    (empty target) have dst = -1."""
    import polars as pl

    frame = pl.read_csv(path, infer_schema_length=0)
    cols = frame.columns
    if len(cols) < 2:
        raise _fail(path, f"could not be read as an edge list: it has {len(cols)} column(s) "
                    f"({', '.join(cols) or 'none'}), needs at least two columns",
                    "an edge-list CSV with a header and columns source,target[,weight]")
    s = frame[cols[0]].str.strip_chars()
    t = frame[cols[1]].str.strip_chars().replace("", None)
    if s.null_count() or (s == "").any():
        line = int((s.is_null() | (s == "")).arg_max()) + 2  # type: ignore[operator]
        raise _fail(path, f"has an empty source id on line {line}",
                    "every row names its source node")
    if len(cols) > 2:
        raw = frame[cols[2]]
        w = raw.cast(pl.Float64, strict=False)
        bad = (w.is_null() & raw.is_not_null()) | (raw.is_null() & t.is_not_null())
        if bad.any():
            i = int(bad.arg_max())  # type: ignore[arg-type]
            raise _fail(path, f"has weight {raw[i]!r} on line {i + 2} (edge {s[i]},{t[i]})",
                        "a finite number >= 0 in the weight column")
        weights = w.fill_null(1.0).to_numpy()
    else:
        weights = np.ones(frame.height)
    # rows follow the first appearance reading the file (source, target, source, target, ...):
    # position 2k is row k's source, 2k + 1 its target; hashed, no sort of the ids
    m = frame.height
    ends = pl.DataFrame({"id": pl.concat([s, t]),
                         "pos": np.concatenate([2 * np.arange(m), 2 * np.arange(m) + 1])})
    first = (ends.drop_nulls("id").group_by("id").agg(pl.col("pos").min())
             .sort("pos").with_row_index("row"))
    rows = (ends.join(first.select("id", "row"), on="id", how="left", maintain_order="left")
            ["row"].fill_null(-1).cast(pl.Int64).to_numpy())
    return first["id"].to_numpy().astype(str), rows[:m], rows[m:], weights


def _read_graphml(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                       dict[str, np.ndarray]]:
    import networkx as nx

    graph = nx.read_graphml(path)
    nodes = list(graph.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    edges = list(graph.edges(data=True))
    src = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    dst = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    weights = []
    for u, v, d in edges:
        raw = d.get("weight", 1.0)
        try:
            weights.append(float(raw))
        except (TypeError, ValueError):
            raise _fail(path, f"has weight {raw!r} on edge {u},{v}",
                        "a finite number >= 0 as the edge attribute weight") from None
    attrs: dict[str, np.ndarray] = {}
    names = {k for v in nodes for k in graph.nodes[v]}
    for name in sorted(names):  # None where a node lacks the attribute
        values = [graph.nodes[v].get(name) for v in nodes]
        attrs[name] = np.array([None if x is None else str(x) for x in values], dtype=object)
    return (np.array([str(v) for v in nodes], dtype=str), src, dst,
            np.asarray(weights, dtype=float), attrs)


def _read_nodes_file(path: Path, labels: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Labels extended by the node file's new nodes, and its attributes per row (object arrays,
    None where the node file does not list a node)."""
    import polars as pl

    try:
        frame = pl.read_csv(path, infer_schema_length=0)
    except Exception as exc:  # noqa: BLE001 - any parse failure becomes one clear message
        raise _fail(path, f"could not be read: {_one_line(exc)}", "a CSV with a header whose "
                    "first column is the node id", key="network.nodes_file") from None
    if frame.width < 1 or frame.height == 0:
        raise _fail(path, "lists no nodes", "a CSV with a header, one node per row",
                    key="network.nodes_file")
    ids = frame[frame.columns[0]].str.strip_chars()
    if ids.null_count() or ids.is_duplicated().any():
        dup = ids.filter(ids.is_duplicated()).head(1).to_list() or [None]
        raise _fail(path, f"has a missing or repeated node id ({dup[0]!r})",
                    "each node once, with an id", key="network.nodes_file")
    known = {v: i for i, v in enumerate(labels.tolist())}
    new = [v for v in ids.to_list() if v not in known]
    labels = np.concatenate([labels, np.array(new, dtype=str)]) if new else labels
    for i, v in enumerate(new, start=len(known)):
        known[v] = i
    rows = np.array([known[v] for v in ids.to_list()], dtype=np.int64)
    attrs: dict[str, np.ndarray] = {}
    for name in frame.columns[1:]:
        col = np.full(labels.size, None, dtype=object)
        col[rows] = frame[name].to_numpy()
        attrs[name] = col
    return labels, attrs


def load_graph(path: str | Path, nodes_file: str | Path | None = None) -> UserGraph:
    """Read a user network (see the module docstring for the formats) and check its contents.

    The last two graphs read are kept (keyed by path, size and modification time of both
    files), so the replicates of a run and the check before it read a large file once; their
    arrays are read-only.

    Raises:
        ConfigError: the file cannot be read or parsed, or it has no nodes or no tie between
            two different nodes, or a weight that is not a finite number >= 0.
    """
    def stamp(p: str | Path | None) -> tuple[str, int, int] | None:
        if p is None:
            return None
        st = Path(p).stat()
        return (str(Path(p).resolve()), st.st_size, st.st_mtime_ns)

    try:
        key = (stamp(path), stamp(nodes_file))
    except OSError:
        return _load_graph(path, nodes_file)  # reading it gives the one-line error
    return _cached_graph(key, str(path), None if nodes_file is None else str(nodes_file))


@functools.lru_cache(maxsize=2)
def _cached_graph(key: tuple, path: str, nodes_file: str | None) -> UserGraph:
    graph = _load_graph(path, nodes_file)
    for array in (graph.labels, graph.lo, graph.hi, graph.weight, *graph.attributes.values()):
        array.flags.writeable = False
    return graph


def _load_graph(path: str | Path, nodes_file: str | Path | None = None) -> UserGraph:
    path = Path(path)
    attrs: dict[str, np.ndarray] = {}
    try:
        if path.suffix.lower() == ".csv":
            labels, src, dst, w = _read_csv_edges(path)
        else:
            labels, src, dst, w, attrs = _read_graphml(path)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure becomes one clear message
        raise _fail(path, f"could not be read: {_one_line(exc)}", "an edge-list CSV with columns "
                    "source,target[,weight] or a GraphML file") from None
    if nodes_file is not None:
        labels, node_attrs = _read_nodes_file(Path(nodes_file), labels)
        attrs.update(node_attrs)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        end = labels[dst[i]] if dst[i] >= 0 else ""
        raise _fail(path, f"has weight {float(w[i])!r} on edge {labels[src[i]]},{end}",
                    "finite weights >= 0")
    keep = (dst >= 0) & (src != dst)
    n_loops = int(((dst >= 0) & (src == dst)).sum())
    src, dst, w = src[keep], dst[keep], w[keep]
    n = labels.size
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keys, first = np.unique(lo * np.int64(n) + hi, return_index=True)
    graph = UserGraph(labels=labels, lo=keys // n, hi=keys % n, weight=w[first],
                      attributes=attrs, path=str(path))
    if n_loops:
        log.info("%s: %d self-loop(s) dropped", path, n_loops)
    if keys.size < src.size:
        log.info("%s: %d repeated tie(s) dropped (the first one read keeps its weight)", path,
                 src.size - keys.size)
    if n == 0:
        raise _fail(path, "has no nodes", "at least one tie between two different nodes")
    if keys.size == 0:
        what = "has only self-loops" if n_loops else "has no ties"
        raise _fail(path, f"{what} ({n} node(s), no tie between two different nodes)",
                    "at least one tie between two different nodes (self-loops are dropped)")
    return graph


def _whole_numbers(graph: UserGraph, name: str, key: str) -> np.ndarray:
    values = graph.attributes[name]
    out = np.empty(values.size, dtype=np.int64)
    for i, v in enumerate(values):
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = math.nan
        if not (math.isfinite(x) and x.is_integer() and x >= 0):
            raise _fail(graph.path, f"gives node {str(graph.labels[i])!r} {name} = {v!r}",
                        f"{name} ids that are whole numbers >= 0 on every node", key=key)
        out[i] = int(x)
    return out


def schools_and_roles(graph: UserGraph, key: str = "network.file") -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """School row (dense 0..S-1 in the order of the ids; -1 for facilitators) and role code
    of every node; school 0 and teacher where the attributes are not given for every node."""
    n = graph.n
    for name in ("school", "role"):
        values = graph.attributes.get(name)
        if values is not None and not _complete(graph, name):
            i = next(i for i, v in enumerate(values) if v is None or str(v) == "")
            raise _fail(graph.path, f"gives {name} to some nodes but not to node "
                        f"{str(graph.labels[i])!r}", f"{name} on every node, or on none",
                        key=key)
    role = np.full(n, Role.TEACHER, dtype=np.int8)
    if _complete(graph, "role"):
        for i, v in enumerate(graph.attributes["role"]):
            r = ROLES.get(str(v).strip().lower())
            if r is None:
                raise _fail(graph.path, f"gives node {str(graph.labels[i])!r} role = {v!r}",
                            "role one of " + ", ".join(ROLES), key=key)
            role[i] = r
    if _complete(graph, "school"):
        ids = _whole_numbers(graph, "school", key)
        staff = role != Role.FACILITATOR
        school = np.full(n, -1, dtype=np.int64)
        if staff.any():
            _, school[staff] = np.unique(ids[staff], return_inverse=True)
    else:
        school = np.where(role == Role.FACILITATOR, -1, 0).astype(np.int64)
    return school, role


def _complete(graph: UserGraph, name: str) -> bool:
    values = graph.attributes.get(name)
    return values is not None and all(v is not None and str(v) != "" for v in values)


def memory_estimate(n_nodes: int, n_ties: int, n_practices: int) -> int:
    """Bytes a run on this graph needs, roughly: per node and practice eight float64 or int64
    state columns, the weekly masks and the rule's temporaries (about 120 bytes), per tie the
    two sparse copies (collegial ties and the rule's graph, about 50 bytes), per node 200
    bytes (agents and per-person columns). A modelling estimate within a factor of about two.
    """
    return int(120 * n_nodes * n_practices + 50 * n_ties + 200 * n_nodes + 5_000 * n_practices)


def _machine_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_contents(graph: UserGraph, scenario: Scenario) -> None:
    """Refuse a loaded graph that cannot make a meaningful run of ``scenario``.

    Checks schools and roles (:func:`schools_and_roles`), that the run fits in memory, that a
    ``staff`` node exists, and what the scenario's diffusion settings need from the graph (seed
    labels, threshold attribute, weights; :func:`netsim.mechanisms.adoption_rules.check_graph`).
    """
    from netsim.mechanisms import adoption_rules

    school, role = schools_and_roles(graph)
    if not (role != Role.FACILITATOR).any():
        raise _fail(graph.path, "has only facilitators", "at least one node who is school "
                    "staff (role teacher, resource_teacher or leader)")
    need = memory_estimate(graph.n, graph.lo.size, scenario.practices.n_practices)
    have = _machine_memory()
    if have is not None and need > 0.8 * have:
        raise _fail(graph.path, f"needs about {need / 2**30:.1f} GiB for {graph.n} nodes, "
                    f"{graph.lo.size} ties and {scenario.practices.n_practices} practices, "
                    f"and this machine has {have / 2**30:.1f} GiB",
                    "a run that fits in memory (fewer practices.n_practices, or a smaller "
                    "graph)")
    if scenario.adoption.rule is AdoptionRule.trust_weighted and graph.lo.size > LARGE_GRAPH_TIES:
        log.warning("%s: %d ties under the domain model (adoption.rule = trust_weighted): its "
                    "weekly collegial talk and records run over every tie and are slow at this "
                    "size; textbook rules take one sparse product per week", graph.path,
                    graph.lo.size)
    adoption_rules.check_graph(scenario, graph.labels, graph.attributes, graph.weight,
                               graph.path)


def build_user_population(scenario: Scenario, rng: np.random.Generator) -> UserPopulation:
    """A user-supplied network replaces the generated ties. Every node is a teacher of school
    0 unless the file gives ``school`` and ``role``; ties carry trust = weight clipped to
    [0, 1] for the domain model (a textbook rule uses the raw weights, see
    :mod:`netsim.mechanisms.adoption_rules`)."""
    net = scenario.network
    if net.file is None:
        raise ConfigError("network.design = 'custom_graph' needs network.file; allowed: "
                          "network.file=path/to/edges.csv (or .graphml), or another design")
    graph = load_graph(net.file, net.nodes_file)
    check_contents(graph, scenario)
    school, role = schools_and_roles(graph)
    n = graph.n
    trust = np.clip(graph.weight, 0.0, 1.0)
    colleagues = sparse.csr_array((np.concatenate([trust, trust]),
                                   (np.concatenate([graph.lo, graph.hi]),
                                    np.concatenate([graph.hi, graph.lo]))), shape=(n, n))
    member = (role == Role.RESOURCE_TEACHER) | (role == Role.FACILITATOR)
    if net.leaders_invited:
        member |= role == Role.LEADER
    n_schools = int(school.max()) + 1 if (school >= 0).any() else 1
    return UserPopulation(role=role, school=school, member=member,
                          area=np.full(n, -1, dtype=np.int64), trait=rng.random(n),
                          colleagues=colleagues, n_schools=n_schools, graph=graph)



def check_networks(scenarios: list[Scenario]) -> None:
    """Load each distinct user network once and check it against every scenario using it;
    for textbook rules on a generated network, check seed labels against the population of
    replicate 0 (row numbers).

    Raises:
        ConfigError: the first problem found, in one line.
    """
    loaded: dict[tuple[str, str | None], UserGraph] = {}
    for sc in scenarios:
        net = sc.network
        if net.file:
            key = (net.file, net.nodes_file)
            if key not in loaded:
                loaded[key] = load_graph(net.file, net.nodes_file)
            check_contents(loaded[key], sc)
        elif sc.adoption.rule is not AdoptionRule.trust_weighted:
            _check_generated(sc)


def _check_generated(scenario: Scenario) -> None:
    from netsim.mechanisms import adoption_rules
    from netsim.population import build_population
    from netsim.runner import seed_sequence

    cfg = scenario.adoption
    if adoption_rules.seed_labels(cfg, scenario.practices.n_practices) is None and \
            cfg.seeding is SeedRule.share:
        return
    pop = build_population(scenario, np.random.default_rng(seed_sequence(scenario, 0)))
    labels = np.arange(pop.n_people).astype(str)
    staff = pop.role != Role.FACILITATOR
    weight = np.zeros(0)
    adoption_rules.check_graph(scenario, labels, {}, weight, "the generated network")
    if cfg.seeding in (SeedRule.random, SeedRule.top_degree) and cfg.seed_count > staff.sum():
        raise ConfigError(f"adoption.seed_count = {cfg.seed_count} exceeds the {staff.sum()} "
                          "staff of the generated network; allowed: 1 <= seed_count <= "
                          f"{staff.sum()}")

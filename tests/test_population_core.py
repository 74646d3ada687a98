"""Generic population builders: clustered collegial ties and loading a user graph.

Design-specific builders are tested in tests/test_presets.py."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from netsim.config import ConfigError
from netsim.population import collegial_ties, load_graph
from netsim.state import Role


def degrees(mat) -> np.ndarray:
    return np.diff(mat.indptr)


def test_ring_lattice_without_rewiring(rng):
    school = np.repeat([0, 1], 10)
    mat = collegial_ties(school, 4, 0.0, 0.5, rng)
    assert (mat != mat.T).nnz == 0  # symmetric
    assert (degrees(mat) == 4).all()
    rows, cols = mat.nonzero()
    assert (school[rows] == school[cols]).all() and (rows != cols).all()
    assert mat.data.min() >= 0.3 - 1e-12 and mat.data.max() <= 0.7 + 1e-12
    # the lattice is clustered: C = 3(k - 2) / (4(k - 1)) = 0.5 for k = 4
    graph = nx.from_scipy_sparse_array(mat)
    assert nx.average_clustering(graph) == pytest.approx(0.5)


def test_rewiring_keeps_ties_inside_schools(rng):
    school = np.repeat(np.arange(5), 12)
    mat = collegial_ties(school, 6, 1.0, 0.5, rng)
    rows, cols = mat.nonzero()
    assert (school[rows] == school[cols]).all() and (rows != cols).all()
    assert mat.nnz > 0


def test_facilitators_tiny_schools_and_degree_zero(rng):
    school = np.array([0, 0, -1, 1])
    mat = collegial_ties(school, 4, 0.0, 0.5, rng)
    assert degrees(mat).tolist() == [1, 1, 0, 0]  # a pair school: one tie, no duplicates
    assert collegial_ties(school, 0, 0.0, 0.5, rng).nnz == 0


def test_trust_is_clipped(rng):
    mat = collegial_ties(np.zeros(8, dtype=np.int64), 2, 0.0, 1.0, rng)
    assert mat.data.max() <= 1.0 and mat.data.min() >= 0.8 - 1e-12


def test_order_key_places_similar_people_side_by_side(rng):
    school = np.zeros(10, dtype=np.int64)
    mat = collegial_ties(school, 2, 0.0, 0.5, rng, order_key=np.arange(10.0)[::-1])
    rows, cols = mat.nonzero()
    pairs = sorted({(int(min(p)), int(max(p))) for p in zip(rows, cols, strict=True)})
    assert pairs == [(0, 1), (0, 9)] + [(i, i + 1) for i in range(1, 9)]


def test_load_csv_edge_list_in_reading_order(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("source,target,weight\nb,a,0.5\nc,a,2\n")
    src, dst, w, attrs = load_graph(path)
    # rows by first appearance reading row by row: b=0, a=1, c=2
    assert src.tolist() == [0, 2] and dst.tolist() == [1, 1]
    assert w.tolist() == [0.5, 2.0] and attrs["n"][0] == 3


def test_load_csv_without_weights(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("u,v\n1,2\n2,3\n")
    src, dst, w, attrs = load_graph(path)
    assert w.tolist() == [1.0, 1.0] and int(attrs["n"][0]) == 3


def test_load_graphml_with_school_and_role(tmp_path):
    graph = nx.Graph()
    graph.add_node("x", school=0, role="leader")
    graph.add_node("y", school=0, role="resource_teacher")
    graph.add_node("z", school=1, role="teacher")
    graph.add_node("lonely", school=1, role="teacher")
    graph.add_edge("x", "y", weight=0.7)
    graph.add_edge("y", "z")
    path = tmp_path / "g.graphml"
    nx.write_graphml(graph, path)
    src, dst, w, attrs = load_graph(path)
    assert int(attrs["n"][0]) == 4  # the isolated node is kept
    assert attrs["school"].tolist() == [0, 0, 1, 1]
    assert attrs["role"].tolist() == [Role.LEADER, Role.RESOURCE_TEACHER, Role.TEACHER,
                                      Role.TEACHER]
    assert sorted(zip(src.tolist(), dst.tolist())) == [(0, 1), (1, 2)]
    assert sorted(w.tolist()) == [0.7, 1.0]


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("one.csv", "only\n1\n", "two columns"),
    ("neg.csv", "s,t,w\na,b,-1\n", "weights >= 0"),
    ("bad.graphml", "<graphml><not closed", "could not be read"),
])
def test_unreadable_graphs_raise_config_error(tmp_path, name, text, needle):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_graph(path)
    assert "network.file" in str(exc.value) and name in str(exc.value)
    assert needle in str(exc.value)

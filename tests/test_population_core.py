"""Generic population builders: clustered collegial ties and loading a user graph.

Design-specific builders are tested in tests/test_presets.py."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from netsim.population import collegial_ties


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

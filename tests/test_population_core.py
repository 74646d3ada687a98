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


def _same_matrix(new, old) -> None:
    assert new.shape == old.shape
    for name in ("data", "indices", "indptr"):
        a, b = getattr(new, name), getattr(old, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert new.has_sorted_indices and new.has_canonical_format


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("degree", "rewire", "keyed"), [
    (6, 0.1, True), (6, 0.1, False), (4, 0.0, True), (5, 1.0, False), (2, 0.5, True),
    (12, 0.3, True)])
def test_collegial_ties_are_the_vectorised_construction_bit_for_bit(seed, degree, rewire,
                                                                    keyed):
    """The compiled rings give the vectorised construction's matrix (values, index dtype,
    order) and leave the generator where it left it, on schools of every size from 1 (rings
    of exactly 2 d people included), unsorted school ids and people without a school."""
    import vectorised_setup

    draw = np.random.default_rng(100 + seed)
    sizes = draw.integers(1, 15, size=12)
    school = np.repeat(np.arange(sizes.size), sizes)
    school = np.concatenate([school, np.full(3, -1), draw.integers(0, sizes.size, 4)])
    school = school[draw.permutation(school.size)] if seed % 2 else school
    # ring keys with ties (equal keys keep their order) when keyed
    key = np.round(draw.random(school.size), 1) if keyed else None
    rng_new, rng_old = np.random.default_rng(seed), np.random.default_rng(seed)
    new = collegial_ties(school, degree, rewire, 0.6, rng_new, key)
    old = vectorised_setup.collegial_ties(school, degree, rewire, 0.6, rng_old, key)
    _same_matrix(new, old)
    assert rng_new.bit_generator.state == rng_old.bit_generator.state


def test_collegial_ties_of_a_default_population_are_the_vectorised_construction():
    """On the default scenario's schools and homophilous ring keys (the model's own call)."""
    import vectorised_setup

    from netsim import Scenario
    from netsim.population import _staff, _with_facilitators

    sc = Scenario()
    net = sc.network
    role, school = _with_facilitators(*_staff(sc, np.random.default_rng(3)),
                                      net.n_facilitators)
    key = np.random.default_rng(4).random(role.size)
    args = (school, net.collegial_degree, net.collegial_rewire_prob, net.colleague_trust)
    rng_new, rng_old = np.random.default_rng(5), np.random.default_rng(5)
    _same_matrix(collegial_ties(*args, rng_new, key),
                 vectorised_setup.collegial_ties(*args, rng_old, key))
    assert rng_new.bit_generator.state == rng_old.bit_generator.state

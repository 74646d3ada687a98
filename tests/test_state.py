"""Columnar state: the tie store, the version registry and hearing of versions."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import T, make_state

from netsim.state import SWITCH_MARGIN, Stage, TieStore, Versions, scatter_add


def test_tie_store_creates_once_and_is_symmetric():
    ties = TieStore(10)
    idx = ties.ensure(np.array([3, 1, 5]), np.array([1, 3, 2]), 0.2, week=4)
    assert len(ties) == 2  # (1, 3) twice, (2, 5)
    assert idx[0] == idx[1]
    assert ties.a.tolist() == [1, 2] and ties.b.tolist() == [3, 5]
    ties.trust[idx[0]] = 0.9
    again = ties.ensure(np.array([1]), np.array([3]), 0.2, week=5)
    assert ties.trust[again].tolist() == [0.9] and ties.last_contact[again].tolist() == [4]
    assert ties.get(np.array([3, 0]), np.array([1, 9]), default=-1.0).tolist() == [0.9, -1.0]


def test_tie_store_strong_degree_matrix_and_removal():
    ties = TieStore(4)
    ties.ensure(np.array([0, 0, 1]), np.array([1, 2, 2]), 0.0, 0)
    ties.trust[:] = [0.8, 0.3, 0.6]
    assert ties.strong_degree(0.5).tolist() == [1, 2, 1, 0]
    mat = ties.matrix(0.5).toarray()
    assert (mat == mat.T).all() and mat[0, 1] == 0.8 and mat[0, 2] == 0.0
    ties.remove_person(np.array([1]))
    assert len(ties) == 1 and ties.a.tolist() == [0] and ties.b.tolist() == [2]


def test_lookup_on_empty_store():
    idx, found = TieStore(3).lookup(np.array([0]), np.array([1]))
    assert not found.any()


def test_versions_registry():
    v = Versions()
    assert v.add(0, 0.5, -1, 0, 0) == 0
    ids = v.add_many(np.array([0, 1]), np.array([0.6, 0.7]), np.array([0, -1]),
                     np.array([1, 2]), week=3)
    assert ids.tolist() == [1, 2] and len(v) == 3
    assert v.parent == [-1, 0, -1] and v.week == [0, 3, 3] and v.quality == [0.5, 0.6, 0.7]


def test_learn_versions_unaware_become_aware_and_clearly_better_wins():
    st = make_state([T] * 4, [0] * 4)
    st.stage[1, 0], st.version[1, 0], st.quality[1, 0] = Stage.ADOPTED, 0, 0.6
    st.stage[2, 0], st.version[2, 0], st.quality[2, 0] = Stage.TRYING, 0, 0.6
    st.stage[3, 0], st.version[3, 0], st.quality[3, 0] = Stage.DROPPED, 0, 0.6
    people = np.array([0, 0, 1, 2, 3])
    st.learn_versions(people, np.zeros(5, dtype=np.int64), np.array([5, 6, 6, 6, 6]),
                      np.array([0.5, 0.9, 0.9, 0.9, 0.9]))
    assert st.stage[:, 0].tolist() == [Stage.AWARE, Stage.ADOPTED, Stage.TRYING, Stage.AWARE]
    assert st.version[:, 0].tolist() == [6, 6, 0, 6]  # best wins; a trier keeps their version
    # a version only slightly better does not replace the one held
    st.learn_versions(np.array([1]), np.array([0]), np.array([7]),
                      np.array([0.9 + SWITCH_MARGIN / 2]))
    assert st.version[1, 0] == 6


def test_scatter_add_matches_add_at():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 5, 40)
    vals = rng.random((40, 3))
    expected = np.zeros((5, 3))
    np.add.at(expected, idx, vals)
    assert scatter_add(idx, vals, 5) == pytest.approx(expected)
    assert scatter_add(idx, vals[:, 0], 5) == pytest.approx(expected[:, 0])


def test_state_views():
    st = make_state([T, T, 3], [0, 0, -1])
    st.stage[0, 0] = Stage.ADOPTED
    assert st.n_people == 3 and st.n_practices == 1 and st.n_schools == 1
    assert st.staff.tolist() == [True, True, False]
    assert st.adopted_any().tolist() == [True, False, False]

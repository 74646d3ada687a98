"""Columnar state: the tie store, the version registry and hearing of versions."""

from __future__ import annotations

import numpy as np
import pytest
import vectorised_rules
from conftest import T, hold, make_state

from netsim.state import (
    SWITCH_MARGIN,
    Stage,
    TieStore,
    Versions,
    nonzero2,
    row_any,
    row_count,
    row_max,
    row_sum,
    scatter_add,
    slots,
)


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


@pytest.mark.parametrize("n_rows", [0, 7, 1_000])  # NumPy's reductions below 300 rows, own above
def test_row_reductions_and_nonzero_match_numpy(n_rows):
    rng = np.random.default_rng(n_rows)
    x = rng.random((n_rows, 6))
    mask = x < 0.3
    assert np.array_equal(row_count(mask), mask.sum(axis=1))
    assert row_count(mask).dtype == np.int64
    assert np.array_equal(row_any(mask), mask.any(axis=1))
    if n_rows:
        assert np.array_equal(row_max(x), x.max(axis=1))
    assert row_sum(x) == pytest.approx(x.sum(axis=1), rel=1e-12)
    rows, cols = nonzero2(mask)
    expected_rows, expected_cols = np.nonzero(mask)
    assert np.array_equal(rows, expected_rows) and np.array_equal(cols, expected_cols)


def test_slots_are_row_major_flat_indices():
    rows = np.array([4, 0, 4, 2])
    assert slots(rows, 3).tolist() == [12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8]
    big = np.arange(10_000)  # beyond the cached index: it grows
    assert np.array_equal(slots(big, 3), np.arange(30_000))
    assert slots(np.empty(0, dtype=np.int64), 3).size == 0


def test_scatter_add_2d_sums_in_input_order_exactly():
    # one flat bincount gives the same bits as one bincount per column
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 50, 5_000)
    vals = rng.random((5_000, 4)) * 1e3
    per_column = np.stack([np.bincount(idx, vals[:, c], minlength=50) for c in range(4)], axis=1)
    assert np.array_equal(scatter_add(idx, vals, 50), per_column)


def test_learn_versions_flat_is_learn_versions():
    st_a = make_state([T, T, T], [0, 0, 0], n_practices=2)
    st_b = make_state([T, T, T], [0, 0, 0], n_practices=2)
    people, practices = np.array([0, 1, 1, 2, 0]), np.array([1, 0, 0, 1, 1])
    versions, qualities = np.array([3, 4, 5, 6, 7]), np.array([0.2, 0.5, 0.6, 0.3, 0.9])
    st_a.learn_versions(people, practices, versions, qualities)
    st_b.learn_versions_flat(people * 2 + practices, versions, qualities)
    for name in ("stage", "version", "quality"):
        assert np.array_equal(getattr(st_a, name), getattr(st_b, name))
    assert st_a.version[0, 1] == 7 and st_a.version[1, 0] == 5  # the best of repeated pairs


def test_groups_follow_presence_and_are_read_only():
    st = make_state([T, 1, 2, 3], [0, 0, 0, -1])  # teacher, resource teacher, leader, facilitator
    st.member[:] = [False, True, True, True]
    g = st.groups()
    assert g is st.groups()  # cached while nobody comes or goes
    assert g.staff.tolist() == [True, True, True, False]
    assert g.members.tolist() == [1, 2] and g.resource_teachers.tolist() == [1]
    assert g.n_facilitators == 1 and g.school_size.tolist() == [3]
    assert g.staff_slots.tolist() == g.staff.tolist()  # one practice
    with pytest.raises(ValueError):
        g.staff[0] = False
    st.present[1] = False  # the resource teacher leaves
    g2 = st.groups()
    assert g2 is not g
    assert g2.members.tolist() == [2] and g2.resource_teachers.size == 0
    assert g2.colleague_staff.tolist() == [True, False, False, False]
    assert g2.school_rows.tolist() == [0, 2] and g2.school_size.tolist() == [2]
    st.present[3] = False
    assert st.groups().n_facilitators == 0 and not st.groups().all_present
    st.member[0] = True  # changed in place (a notebook, a test): seen as well
    assert st.groups().members.tolist() == [0, 2]
    st.school[2] = 1  # a school changed in place, and one replaced by assignment
    assert st.groups().school_size.tolist() == [1, 1]
    st.school = np.array([0, 0, 0, -1], dtype=np.int64)
    assert st.groups().school_size.tolist() == [2]
    g3 = st.groups()
    st.role = st.role.copy()  # a new array with the same values: the same groups
    assert st.groups() is g3


def test_learn_versions_decides_on_reported_quality_and_stores_the_truth_separately():
    state = make_state([T, T], [0, 0])
    own = hold(state, 0, 0, Stage.ADOPTED, quality=0.5)  # believes 0.5
    state.perceived[0, 0] = 0.5
    truly_better = state.versions.add(0, 0.9, 0, 1, 0)
    # truly much better but reported as only slightly better: keep one's own
    state.learn_versions(np.array([0]), np.array([0]), np.array([truly_better]),
                         np.array([0.9]), np.array([0.54]))
    assert state.version[0, 0] == own
    # truly worse but reported clearly better: switch, believing the report
    worse = state.versions.add(0, 0.3, 0, 1, 0)
    state.learn_versions(np.array([0]), np.array([0]), np.array([worse]), np.array([0.3]),
                         np.array([0.7]))
    assert state.version[0, 0] == worse
    assert state.quality[0, 0] == 0.3 and state.perceived[0, 0] == 0.7
    # an unaware person takes the first version heard of, with its report
    state.learn_versions(np.array([1]), np.array([0]), np.array([worse]), np.array([0.3]),
                         np.array([0.7]))
    assert state.stage[1, 0] == Stage.AWARE and state.perceived[1, 0] == 0.7


@pytest.mark.parametrize("seed", range(6))
def test_hear_versions_kernel_is_the_vectorised_rule_bit_for_bit(seed):
    # repeated slots, ties in judged quality (coarse qualities), every stage, codified
    # versions with a bonus, versions newer than the bonus table (clipped), NaN reports,
    # empty input
    rng = np.random.default_rng(seed)
    n, n_p, m = 40, 3, [0, 1, 2, 50, 400, 2_000][seed]
    states = [make_state([T] * n, [0] * n, n_practices=n_p) for _ in range(2)]
    stage = rng.integers(0, 5, (n, n_p))
    held_q = rng.integers(0, 6, (n, n_p)) / 5
    held_v = np.where(stage > 0, rng.integers(0, 9, (n, n_p)), -1)
    for st in states:
        st.stage[:] = stage
        st.version[:] = held_v
        st.quality[:] = held_q
        st.perceived[:] = held_q + 0.01
        if seed % 2:
            st.conformity = 0.1
            st.set_codified(np.array([0, 2]), np.array([3, 5]))
    flat = rng.integers(0, n * n_p, m)
    versions = rng.integers(-1, 12, m)
    qualities = rng.integers(0, 6, m) / 5
    perceived = None if seed == 3 else qualities + rng.integers(-2, 3, m) / 10
    if seed == 5:  # reports that are NaN sort last in NumPy, so win among the unaware
        perceived[rng.random(m) < 0.05] = np.nan
    vectorised_rules.learn_versions_flat(states[0], flat, versions, qualities, perceived)
    states[1].learn_versions_flat(flat, versions, qualities, perceived)
    for name in ("stage", "version", "quality", "perceived"):
        a, b = getattr(states[0], name), getattr(states[1], name)
        assert np.array_equal(a, b, equal_nan=name == "perceived") and a.dtype == b.dtype, name
    if m >= 50:  # the case is not trivial: some slots changed, some held slots did not
        changed = states[1].version != held_v
        assert changed.any() and (~changed & (stage > 0)).any()
    if seed == 5:
        assert np.isnan(states[1].perceived).any()


def test_tie_store_ensure_is_the_vectorised_merge():
    rng = np.random.default_rng(3)
    ref, new = TieStore(30), TieStore(30)
    for week, size in enumerate([0, 1, 40, 5, 200, 60, 1]):  # empty, into empty, repeats
        i = rng.integers(0, 30, size)
        j = (i + rng.integers(1, 30, size)) % 30
        if week == 5:
            i, j = i.astype(np.int32), j.astype(np.int32)
        expected = vectorised_rules.ensure(ref, i, j, 0.1 * week, week)
        got = new.ensure(i, j, 0.1 * week, week)
        assert np.array_equal(got, expected)
        for name in ("key", "a", "b", "trust", "last_contact"):
            x, y = getattr(new, name), getattr(ref, name)
            assert np.array_equal(x, y) and x.dtype == y.dtype, name
        assert np.array_equal(new.degree(), ref.degree())
        ref.trust[:] = new.trust[:] = rng.random(len(new))  # stored trust is carried along
    assert 100 < len(new) <= 435  # 30 people: at most 435 pairs


def test_tie_store_put_is_ensure_then_setting_trust():
    """``put`` (a gathering's new ties, sorted keys) leaves the store as ``ensure`` of the pairs
    and then writing their trust does: new ties, existing ones, repeated keys (the last trust
    wins), unsorted keys (the general way), and the old arrays untouched when ties are added."""
    rng = np.random.default_rng(5)
    ref, new = TieStore(30), TieStore(30)
    for week, (size, order) in enumerate([(0, "sorted"), (1, "sorted"), (40, "sorted"),
                                          (5, "sorted"), (200, "unsorted"), (60, "sorted"),
                                          (3, "sorted")]):
        i = rng.integers(0, 30, size)
        j = (i + rng.integers(1, 30, size)) % 30
        key = np.minimum(i, j) * 30 + np.maximum(i, j)
        if order == "sorted":
            key = np.sort(key)
        if week == 6:  # only existing ties: trust written in place
            key = np.sort(rng.choice(new.key, 3))
        trust = rng.random(key.size)
        at = ref.ensure(key // 30, key % 30, 0.3, week)
        ref.trust[at] = trust
        old_trust = new.trust.copy()
        before = new.trust
        n_before = len(new)
        new.put(key, trust, week)
        if len(new) > n_before:
            assert np.array_equal(before, old_trust)
        for name in ("key", "a", "b", "trust", "last_contact"):
            x, y = getattr(new, name), getattr(ref, name)
            assert np.array_equal(x, y) and x.dtype == y.dtype, (week, name)
        assert np.array_equal(new.degree(), ref.degree())
    assert 100 < len(new) <= 435


def test_set_codified_is_the_vectorised_bonus_table():
    st = make_state([T, T], [0, 0])
    st.conformity = 0.25
    for practices, versions in ([[0], [7]], [[0, 0], [2, 4]], [[], []]):
        codified = st.codified.copy()
        codified[np.array(practices, dtype=np.int64)] = versions
        cod = codified[codified >= 0]
        bonus = np.zeros(int(cod.max()) + 3 if cod.size else 1)
        bonus[cod + 1] = st.conformity
        st.set_codified(np.array(practices, dtype=np.int64), np.array(versions, dtype=np.int64))
        assert np.array_equal(st.codified, codified) and np.array_equal(st._bonus, bonus)


def test_hearing_and_new_ties_refuse_entries_of_different_lengths():
    st = make_state([T, T], [0, 0])
    with pytest.raises(ValueError, match="per entry"):
        st.learn_versions_flat(np.array([0, 1]), np.array([3]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="as many i as j"):
        TieStore(4).ensure(np.array([0, 1]), np.array([2]), 0.1, 0)
    assert TieStore(4).ensure(np.array(1), np.array(3), 0.1, 0).shape == ()  # one pair

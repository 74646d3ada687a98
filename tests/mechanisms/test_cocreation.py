"""Co-creation groups: forming from trusted ties with a shared practice, and weekly work."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import R, hold, make_scenario, make_state
from scipy import sparse
from scipy.sparse import csgraph

from netsim.mechanisms.cocreation import component_labels, form_groups, work
from netsim.state import Stage

SC = dict(cocreation__threshold=0.75, cocreation__max_group_size=4,
          cocreation__knowledge_rate=0.2, cocreation__hours_per_week=0.5,
          network__school_forms=1, network__background_weight=1.0)


def chain(trust: float, stage: Stage = Stage.ADOPTED, n: int = 3):
    """``n`` resource teachers of different schools tied in a chain 0-1-2-..."""
    state = make_state([R] * n, list(range(n)), trait=[0.1, 0.5, 0.6, 0.9][:n])
    for i in range(n):
        hold(state, i, 0, stage, quality=0.6, knowledge=0.5)
    ties = state.member_ties
    ties.ensure(np.arange(n - 1), np.arange(1, n), trust, week=0)
    return state


def test_trusted_chain_with_shared_practice_forms_one_group():
    state = chain(0.9)
    assert form_groups(state, make_scenario(**SC)) == 1
    assert state.cocreation_group.tolist() == [0, 0, 0]
    # one school form, background only: half the mean pairwise trait difference of 0.1, 0.5,
    # 0.6 (the other half of the background distance is the school form)
    assert state.group_distance == pytest.approx([0.5 * (0.4 + 0.5 + 0.1) / 3])


def test_pair_distance_is_half_the_trait_difference_within_one_form():
    state = chain(0.9, n=2)
    form_groups(state, make_scenario(**SC))
    assert state.group_distance == pytest.approx([0.5 * 0.4])


def test_group_distance_counts_what_people_know_and_their_school_form():
    # d = w b + (1 - w) mean_k |x_ik - x_jk| / 2, b = (|f_i - f_j| / 3 + |t_i - t_j|) / 2,
    # x = knowledge + know_how: here w = 0.5, forms 0 and 1, traits 0.1 and 0.5
    state = chain(0.9, n=2)
    state.form[:] = [0, 1]
    state.knowledge[:, 0] = [0.5, 0.1]
    state.know_how[:, 0] = [0.4, 0.0]
    form_groups(state, make_scenario(**{**SC, "network__school_forms": 2,
                                        "network__background_weight": 0.5}))
    background = 0.5 * (1 / 3 + 0.4)
    practice = abs(0.9 - 0.1) / 2
    assert state.group_distance == pytest.approx([0.5 * background + 0.5 * practice])


def test_large_components_are_cut_and_singletons_dropped():
    state = chain(0.9)
    assert form_groups(state, make_scenario(**{**SC, "cocreation__max_group_size": 2})) == 1
    assert state.cocreation_group.tolist() == [0, 0, -1]


@pytest.mark.parametrize(("trust", "stage"), [(0.7, Stage.ADOPTED), (0.9, Stage.AWARE)])
def test_no_group_below_threshold_or_without_shared_practice(trust, stage):
    state = chain(trust, stage)
    assert form_groups(state, make_scenario(**SC)) == 0
    assert (state.cocreation_group == -1).all() and state.group_distance.size == 0


def test_work_closes_gap_to_group_best_and_refreshes_ties(rng):
    state = chain(0.9)
    state.knowledge[:, 0] = [0.9, 0.4, 0.0]
    state.cocreation_group[:] = [0, 0, -1]
    state.group_distance = np.array([0.4])
    best = hold(state, 0, 0, Stage.ADOPTED, quality=0.9, knowledge=0.9)
    out = work(state, make_scenario(**SC), rng, week=9)
    assert state.knowledge[:, 0] == pytest.approx([0.9, 0.4 + 0.2 * 0.5, 0.0])
    assert state.version[1, 0] == best  # the best adopted version in the group is shared
    assert state.version[2, 0] != best
    assert state.member_ties.last_contact.tolist() == [9, 0]  # only the tie inside the group
    assert out["person_hours"] == pytest.approx(2 * 0.5)
    assert out["cocreation_members"] == 2


def test_work_without_groups_does_nothing(rng):
    state = chain(0.9)
    before = state.knowledge.copy()
    out = work(state, make_scenario(**SC), rng, week=1)
    assert out["person_hours"] == 0 and (state.knowledge == before).all()


def test_component_labels_match_scipy_and_label_by_smallest_node():
    assert component_labels(5, np.array([3, 1]), np.array([4, 3])).tolist() == [0, 1, 2, 1, 1]
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        m = int(rng.integers(0, 80))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        mat = sparse.csr_array((np.ones(2 * m), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        _, expected = csgraph.connected_components(mat, directed=False)
        labels = component_labels(n, a, b)
        # same components, numbered in the same order
        assert np.array_equal(np.unique(labels, return_inverse=True)[1], expected)
        assert np.all(labels <= np.arange(n)) and np.all(labels[labels] == labels)

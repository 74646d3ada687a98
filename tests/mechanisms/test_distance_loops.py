"""Portfolio distance as a compiled loop: the same bits as the vectorised rule."""

from __future__ import annotations

import numpy as np
import pytest
import vectorised_rules as reference
from conftest import T, make_scenario, make_state

from netsim.kernels import numpy_sum
from netsim.mechanisms.distance import pair_distance


@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 100, 128])
def test_numpy_sum_adds_in_numpys_order(n):
    rng = np.random.default_rng(n)
    # values of very different sizes, so that another order of additions shows in the bits
    x = rng.random((200, n)) * 10.0 ** rng.integers(-8, 8, (200, n))
    assert np.array_equal(np.array([numpy_sum(row, 0, n, 1) for row in x]), x.sum(axis=1))
    if n >= 8:  # from 8 values on, one running sum is another order: the test tells them apart
        running = np.zeros(200)
        for c in range(n):
            running = running + x[:, c]
        assert not np.array_equal(running, x.sum(axis=1))


@pytest.mark.parametrize("n_practices", [1, 3, 6, 8, 11, 100, 130])
@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_pair_distance_is_the_vectorised_rule(n_practices, weight):
    rng = np.random.default_rng(n_practices)
    n = 40
    state = make_state([T] * n, list(range(n)), n_practices=n_practices)
    state.knowledge[:] = rng.random((n, n_practices)) * rng.integers(0, 2, (n, n_practices))
    state.know_how[:] = rng.random((n, n_practices)) ** 3
    state.form[:] = rng.integers(0, 4, n)
    scenario = make_scenario(network__background_weight=weight)
    i, j = rng.integers(0, n, 500), rng.integers(0, n, 500)
    got = pair_distance(state, scenario, i, j)
    assert np.array_equal(got, reference.pair_distance(state, scenario, i, j))
    assert got.shape == (500,) and ((got >= 0) & (got <= 1)).all()
    assert pair_distance(state, scenario, i[:0], j[:0]).shape == (0,)


def test_pair_distance_refuses_pairs_of_different_lengths():
    state = make_state([T, T], [0, 1])
    with pytest.raises(ValueError, match="as many i as j"):
        pair_distance(state, make_scenario(), np.array([0, 1]), np.array([1]))

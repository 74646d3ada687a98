"""The textbook reductions the validation suite relies on, run through the whole model.

Graphs go through ``network.file`` exactly as in the suite; expected final sets are exact.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from netsim import LearningNetworkModel, Stage
from netsim.validation import textbook_scenario


def _final(path, rule, weeks=20, **adoption):
    sc = textbook_scenario(path, rule, weeks, 1, **adoption)
    model = LearningNetworkModel(sc, seed=0)
    model.run()
    return np.flatnonzero(model.state.stage[:, 0] == Stage.ADOPTED).tolist()


def _graphml(tmp_path, graph):
    path = tmp_path / "g.graphml"
    nx.write_graphml(graph, path)
    return path


def test_graphml_keeps_isolated_nodes_and_processes_are_off(tmp_path):
    graph = nx.path_graph(3)
    graph.add_node(3)  # isolated
    sc = textbook_scenario(_graphml(tmp_path, graph), "bass", 5, 2, bass_p=0.0, bass_q=0.0,
                           initial_adopters=0.0)
    model = LearningNetworkModel(sc, seed=0)
    model.run()
    assert model.state.n_people == 4
    assert not any(vars(sc.processes).values())
    assert not (model.state.stage == Stage.ADOPTED).any()  # p = q = 0: nobody adopts


def test_independent_cascade_with_t1_fills_the_seed_component(tmp_path):
    graph = nx.disjoint_union(nx.path_graph(4), nx.cycle_graph(3))
    path = _graphml(tmp_path, graph)
    assert _final(path, "independent_cascade", transmissibility=1.0, seed_nodes=[0]) == [0, 1, 2,
                                                                                         3]
    assert _final(path, "independent_cascade", transmissibility=0.0, seed_nodes=[5]) == [5]


@pytest.mark.parametrize(("phi", "expected"), [(0.2, [0, 1, 2, 3, 4, 5]), (0.21, [1])])
def test_watts_rule_adopts_at_share_equal_to_threshold(tmp_path, phi, expected):
    # star: centre 0 with five leaves; seeding leaf 1 gives the centre a share of exactly 1/5
    path = _graphml(tmp_path, nx.star_graph(5))
    assert _final(path, "fractional_threshold", threshold=phi, seed_nodes=[1]) == expected


def test_count_threshold_on_a_ring_grows_one_node_per_side_per_week(tmp_path):
    path = _graphml(tmp_path, nx.watts_strogatz_graph(20, 4, 0.0))
    sc = textbook_scenario(path, "count_threshold", 4, 1, count=2, seed_nodes=[0, 1])
    model = LearningNetworkModel(sc, seed=0)
    sizes = [int((model.state.stage[:, 0] == Stage.ADOPTED).sum())]
    for _ in range(4):
        model.run_for(1)
        sizes.append(int((model.state.stage[:, 0] == Stage.ADOPTED).sum()))
    assert sizes == [2, 4, 6, 8, 10]

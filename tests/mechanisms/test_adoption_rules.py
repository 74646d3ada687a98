"""Textbook adoption rules: one synchronous step on tiny graphs, and the whole model reduced
to the textbook model on a user-supplied graph (every domain process off)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest
from conftest import make_scenario, node_labels, textbook_scenario, write_edges
from scipy import sparse

from netsim import LearningNetworkModel
from netsim.config import AdoptionConfig, AdoptionRule
from netsim.mechanisms.adoption_rules import seed_adopters, step_rule
from netsim.runner import run_replicate, run_scenario
from netsim.state import Stage
from netsim.validation import theory


def adjacency(graph: nx.Graph) -> sparse.csr_array:
    return sparse.csr_array(nx.to_scipy_sparse_array(graph, nodelist=range(len(graph)),
                                                     dtype=float))


def mask(n: int, rows: list[int]) -> np.ndarray:
    m = np.zeros((n, 1), dtype=bool)
    m[rows] = True
    return m


def step(rule: AdoptionRule, graph: nx.Graph, adopted: list[int], newly: list[int] | None = None,
         rng: np.random.Generator | None = None, **cfg: float) -> list[int]:
    n = len(graph)
    new = step_rule(rule, adjacency(graph), mask(n, adopted),
                    mask(n, adopted if newly is None else newly), AdoptionConfig(**cfg),
                    rng or np.random.default_rng(0))
    return np.flatnonzero(new[:, 0]).tolist()


# ------------------------------------------------------------------ one step of each rule


def test_count_threshold_needs_count_adopting_neighbours():
    path = nx.path_graph(5)
    assert step(AdoptionRule.count_threshold, path, [0, 2], count=2) == [1]
    assert step(AdoptionRule.count_threshold, path, [0, 1], count=2) == []
    assert step(AdoptionRule.count_threshold, path, [0, 1], count=1) == [2]


def test_fractional_threshold_uses_share_of_neighbours():
    star = nx.star_graph(5)  # centre 0, leaves 1-5
    assert step(AdoptionRule.fractional_threshold, star, [0], threshold=0.5) == [1, 2, 3, 4, 5]
    assert step(AdoptionRule.fractional_threshold, star, [1], threshold=0.5) == []
    assert step(AdoptionRule.fractional_threshold, star, [1], threshold=0.2) == [0]


def test_independent_cascade_only_newly_adopted_transmit():
    path = nx.path_graph(4)
    assert step(AdoptionRule.independent_cascade, path, [0, 1], newly=[1],
                transmissibility=1.0) == [2]
    assert step(AdoptionRule.independent_cascade, path, [0, 1], newly=[0],
                transmissibility=1.0) == []
    assert step(AdoptionRule.independent_cascade, path, [1], transmissibility=0.0) == []


def test_independent_cascade_probability_is_one_minus_product():
    # a node with m = 2 newly adopted neighbours adopts with 1 - (1 - T)^2 = 0.51 at T = 0.3
    graph = nx.Graph([(0, 2), (1, 2)])
    n_runs = 4000
    rng = np.random.default_rng(3)
    hits = sum(step(AdoptionRule.independent_cascade, graph, [0, 1], rng=rng,
                    transmissibility=0.3) == [2] for _ in range(n_runs))
    assert hits / n_runs == pytest.approx(0.51, abs=0.03)  # 3.8 standard errors


def test_bass_extremes():
    complete = nx.complete_graph(6)
    assert step(AdoptionRule.bass, complete, [0], bass_p=1.0, bass_q=0.0) == [1, 2, 3, 4, 5]
    assert step(AdoptionRule.bass, complete, [0], bass_p=0.0, bass_q=0.0) == []


def test_seed_adopters_explicit_nodes_and_share(rng):
    cfg = AdoptionConfig(seed_nodes=[1, 3])
    m = seed_adopters(5, 2, cfg, np.ones(5, dtype=bool), rng)
    assert m[:, 0].tolist() == [False, True, False, True, False] and (m[:, 0] == m[:, 1]).all()
    m = seed_adopters(100, 3, AdoptionConfig(initial_adopters=0.05), np.ones(100, bool), rng)
    assert m.sum(axis=0).tolist() == [5, 5, 5]
    eligible = np.arange(100) < 10
    m = seed_adopters(100, 1, AdoptionConfig(initial_adopters=0.01), eligible, rng)
    assert m.sum() == 1 and m[:10].sum() == 1  # at least one, only among the eligible


# ------------------------------------------------------------------ textbook reductions


def final_adopters(tmp_path, graph: nx.Graph, rule: str, weeks: int, **cfg) -> list[int]:
    edges = list(graph.edges())
    labels = node_labels(edges)
    if "adoption__seed_nodes" in cfg:  # seeds are node labels, as written in the file
        cfg["adoption__seed_nodes"] = [f"n{s}" for s in cfg["adoption__seed_nodes"]]
    csv = write_edges(tmp_path / "graph.csv", edges)
    model = LearningNetworkModel(textbook_scenario(csv, rule, weeks, **cfg), seed=1)
    model.run()
    rows = np.flatnonzero(model.state.stage[:, 0] == Stage.ADOPTED)
    return sorted(labels[r] for r in rows)


def ring(n: int, k: int) -> nx.Graph:
    """Ring lattice: each node tied to its k / 2 nearest neighbours on each side."""
    return nx.watts_strogatz_graph(n, k, 0.0)


@pytest.mark.parametrize(("graph", "seeds", "expected"), [
    (nx.path_graph(10), [0, 1], [0, 1]),            # an end pair cannot pass 2 to anyone
    (nx.path_graph(10), [3, 5], [3, 4, 5]),         # only the node between them
    (ring(12, 2), [0, 1], [0, 1]),                  # simple ring: stuck (Centola & Macy)
    (ring(12, 4), [0, 1], list(range(12))),         # k = 4 ring: adjacent seeds spread all round
    (ring(12, 4), [0, 6], [0, 6]),                  # separated seeds: no node sees two
    (nx.complete_graph(8), [0, 1], list(range(8))),
])
def test_count_threshold_two_final_sets(tmp_path, graph, seeds, expected):
    got = final_adopters(tmp_path, graph, "count_threshold", 20, adoption__count=2,
                         adoption__seed_nodes=seeds)
    assert got == expected


@pytest.mark.parametrize(("k", "a", "width"), [(1, 2, 2), (2, 2, 2), (2, 2, 1), (3, 2, 2),
                                               (2, 3, 3), (3, 3, 3)])
def test_count_threshold_on_rings_matches_theory(tmp_path, k, a, width):
    n = 24
    got = final_adopters(tmp_path, ring(n, 2 * k), "count_threshold", 30, adoption__count=a,
                         adoption__seed_nodes=list(range(width)))
    spreads = theory.complex_contagion_ring_spreads(k, a, width)
    assert (got == list(range(n))) is spreads
    assert spreads or got == list(range(width))


def test_count_threshold_on_k4_ring_spreads_two_nodes_a_week(tmp_path):
    csv = write_edges(tmp_path / "ring.csv", list(ring(20, 4).edges()))
    sc = textbook_scenario(csv, "count_threshold", 12, adoption__count=2,
                           adoption__seed_nodes=["n0", "n1"])
    _, series = run_replicate(sc, 0)
    expected = [min(20, 2 + 2 * t) / 20 for t in range(13)]
    assert series["adoption_all"].tolist() == pytest.approx(expected)


@pytest.mark.parametrize(("seeds", "threshold", "expected"), [
    ([0], 0.5, [0, 1, 2, 3, 4, 5]),   # centre seeded: every leaf has share 1
    ([1], 0.5, [1]),                  # a leaf: the centre sees 1 / 5 < 0.5
    ([1], 0.2, [0, 1, 2, 3, 4, 5]),   # the centre tips at 1 / 5, then every leaf
])
def test_fractional_threshold_on_a_star(tmp_path, seeds, threshold, expected):
    got = final_adopters(tmp_path, nx.star_graph(5), "fractional_threshold", 10,
                         adoption__threshold=threshold, adoption__seed_nodes=seeds)
    assert got == expected


def test_independent_cascade_t1_reaches_the_seed_component_only(tmp_path):
    graph = nx.disjoint_union(nx.path_graph(6), nx.cycle_graph(5))  # nodes 0-5 and 6-10
    got = final_adopters(tmp_path, graph, "independent_cascade", 10,
                         adoption__transmissibility=1.0, adoption__seed_nodes=[2])
    assert got == [0, 1, 2, 3, 4, 5]
    got = final_adopters(tmp_path, graph, "independent_cascade", 10,
                         adoption__transmissibility=0.0, adoption__seed_nodes=[2])
    assert got == [2]


def test_bass_without_imitation_matches_one_minus_one_minus_p_to_the_t(tmp_path):
    # complete graph of 50, p = 0.05, q = 0, no seeds: E[share adopted at week t] = 1 - 0.95^t
    csv = write_edges(tmp_path / "k50.csv", list(nx.complete_graph(50).edges()))
    sc = textbook_scenario(csv, "bass", 20, adoption__bass_p=0.05, adoption__bass_q=0.0,
                           adoption__initial_adopters=0.0, replicates=40)
    series = run_scenario(sc).series
    mean = series.group_by("week").agg(pl.col("adoption_all").mean()).sort("week")
    expected = 1 - 0.95 ** mean["week"].to_numpy()
    # 40 x 50 = 2000 people per week: standard error <= 0.011; tolerance 0.04
    assert np.abs(mean["adoption_all"].to_numpy() - expected).max() < 0.04


def test_textbook_rule_on_generated_network_uses_collegial_ties(rng):
    # with the generated population the rule runs on the collegial graph; no adoption at p = 0
    sc = make_scenario(adoption__rule="bass", adoption__bass_p=0.0, adoption__bass_q=0.0,
                       adoption__initial_adopters=0.0, calendar__years=0.2,
                       processes__trial=False)
    summary, _ = run_replicate(sc, 0)
    assert summary["adoption_all"] == 0.0


def test_seed_node_outside_the_network_is_a_config_error(tmp_path):
    from netsim import ConfigError

    csv = write_edges(tmp_path / "path.csv", [(0, 1), (1, 2)])
    scenario = textbook_scenario(csv, "count_threshold", 3, adoption__seed_nodes=["n0", "n7"])
    with pytest.raises(ConfigError, match=r"adoption.seed_nodes contains 'n7', not a node of "
                                          r"network.file .*3 nodes, e.g. 'n0', 'n1', 'n2'"):
        LearningNetworkModel(scenario, seed=1)

"""Textbook adoption rules: one synchronous step on tiny graphs, and the whole model reduced
to the textbook model on a user-supplied graph (every domain process off)."""

from __future__ import annotations

from pathlib import Path

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


# ------------------------------------------------------------------ heterogeneous thresholds

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "networks"


def run_model(scenario, seed: int = 0) -> LearningNetworkModel:
    model = LearningNetworkModel(scenario, seed=seed)
    model.run()
    return model


def granovetter_equilibrium(thresholds: np.ndarray) -> int:
    """Granovetter (1978): r(t+1) = #{i : theta_i <= r(t)} from r(0) = 0, to its fixed point."""
    r = 0
    while (nxt := int((thresholds <= r).sum())) != r:
        r = nxt
    return r


@pytest.mark.parametrize(("nodes_file", "expected"), [
    ("riot_thresholds.csv", 100),            # thresholds 0, 1, ..., 99: everybody riots
    ("riot_thresholds_perturbed.csv", 1),    # the threshold-1 person at 2: only the instigator
])
def test_granovetter_riot_on_the_shipped_example(nodes_file, expected):
    sc = textbook_scenario(EXAMPLES / "riot_edges.csv", "count_threshold", 5,
                           network__nodes_file=str(EXAMPLES / nodes_file),
                           adoption__threshold_attribute="threshold",
                           adoption__initial_adopters=0.0, adoption__until_stable=True)
    model = run_model(sc)
    summary = model.summary()
    assert summary["final_size_mean"] == expected
    assert summary["stable"] == 1.0
    # one more rioter per week until the chain breaks; the run stops the week after
    assert summary["last_change_week"] == expected and summary["weeks_run"] == expected + 1


@pytest.mark.parametrize("sd", [5.0, 12.0, 20.0])
def test_normal_thresholds_reach_granovetters_equilibrium(sd):
    # complete graph of 100, thresholds normal(25, sd), negative draws count as 0
    sc = textbook_scenario(EXAMPLES / "riot_edges.csv", "count_threshold", 5,
                           adoption__threshold_distribution="normal", adoption__count=25,
                           adoption__threshold_sd=sd, adoption__initial_adopters=0.0,
                           adoption__until_stable=True, replicates=1)
    for seed in range(5):
        model = run_model(sc, seed)
        theta = model.diffusion.thresholds
        assert theta.min() >= 0 and theta.size == 100
        assert model.summary()["final_size_mean"] == granovetter_equilibrium(theta)


def test_normal_threshold_spread_tips_the_riot():
    # Granovetter 1978 (N = 100, mean 25): a narrow spread leaves nearly nobody rioting, a wide
    # one nearly everybody (mean-field fixed point of r = 100 Phi((r - 25) / sd): 0 at sd 5,
    # 99.8 at sd 20)
    finals = {}
    for sd in (5.0, 20.0):
        sc = textbook_scenario(EXAMPLES / "riot_edges.csv", "count_threshold", 5,
                               adoption__threshold_distribution="normal", adoption__count=25,
                               adoption__threshold_sd=sd, adoption__initial_adopters=0.0,
                               adoption__until_stable=True, replicates=20)
        finals[sd] = run_scenario(sc).summary["final_share_mean"].mean()
    assert finals[5.0] < 0.05 and finals[20.0] > 0.9


def test_uniform_thresholds_for_the_fractional_rule(tmp_path):
    sc = textbook_scenario(EXAMPLES / "riot_edges.csv", "fractional_threshold", 5,
                           adoption__threshold_distribution="uniform",
                           adoption__threshold_low=0.2, adoption__threshold_high=0.4)
    theta = LearningNetworkModel(sc, seed=3).diffusion.thresholds
    assert 0.2 <= theta.min() and theta.max() <= 0.4 and theta.std() > 0.04


def test_per_node_thresholds_in_one_step():
    path = nx.path_graph(3)  # 0 - 1 - 2
    graph = adjacency(path)
    new = step_rule(AdoptionRule.count_threshold, graph, mask(3, [1]), mask(3, [1]),
                    AdoptionConfig(), np.random.default_rng(0), np.array([0.0, 2.0, 1.0]))
    assert np.flatnonzero(new[:, 0]).tolist() == [0, 2]  # 0: instigator; 2: one neighbour
    new = step_rule(AdoptionRule.fractional_threshold, graph, mask(3, [0]), mask(3, [0]),
                    AdoptionConfig(), np.random.default_rng(0), np.array([1.0, 0.5, 0.0]))
    assert np.flatnonzero(new[:, 0]).tolist() == [1, 2]  # 1: share 1/2; 2: share 0 >= 0


# ------------------------------------------------------------------ edge weights


def weighted_csv(path, graph: nx.Graph, weight) -> Path:
    lines = ["source,target,weight"] + [f"n{a},n{b},{weight(a, b)}" for a, b in graph.edges()]
    path.write_text("\n".join(lines) + "\n")
    return path


def cascade_curves(scenario, seeds=range(6)) -> list[list[int]]:
    return [np.asarray(run_model(scenario, s).diffusion.curve)[:, 0].tolist() for s in seeds]


def test_weighted_cascade_with_unit_weights_equals_the_unweighted_one(tmp_path):
    graph = nx.erdos_renyi_graph(300, 0.02, seed=4)
    path = weighted_csv(tmp_path / "g.csv", graph, lambda a, b: 1)
    kw = dict(adoption__transmissibility=0.3, adoption__initial_adopters=0.01)
    plain = cascade_curves(textbook_scenario(path, "independent_cascade", 30, **kw))
    weighted = cascade_curves(textbook_scenario(path, "independent_cascade", 30,
                                                adoption__weighted=True, **kw))
    assert weighted == plain and max(c[-1] for c in plain) > 10  # some cascades took off


def test_weight_scales_transmissibility(tmp_path):
    # T = 1 with every weight 0.5 is the unweighted cascade at T = 0.5, draw for draw
    graph = nx.erdos_renyi_graph(300, 0.02, seed=5)
    half = weighted_csv(tmp_path / "half.csv", graph, lambda a, b: 0.5)
    weighted = cascade_curves(textbook_scenario(half, "independent_cascade", 30,
                                                adoption__weighted=True,
                                                adoption__transmissibility=1.0))
    plain = cascade_curves(textbook_scenario(half, "independent_cascade", 30,
                                             adoption__transmissibility=0.5))
    assert weighted == plain


def test_weights_used_or_ignored_say_what_a_tie_is(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("source,target,weight\na,b,0\nb,c,1\n")
    kw = dict(adoption__transmissibility=1.0, adoption__seed_nodes=["a"])
    ignored = run_model(textbook_scenario(path, "independent_cascade", 5, **kw))
    used = run_model(textbook_scenario(path, "independent_cascade", 5, adoption__weighted=True,
                                       **kw))
    assert ignored.summary()["final_size_mean"] == 3  # a weight-0 tie is still a tie
    assert used.summary()["final_size_mean"] == 1     # ... that transmits nothing


def test_a_weak_tie_transmits_in_proportion_to_its_weight(tmp_path):
    star = nx.star_graph(4000)
    path = weighted_csv(tmp_path / "star.csv", star, lambda a, b: 0.01)
    sc = textbook_scenario(path, "independent_cascade", 2, adoption__weighted=True,
                           adoption__transmissibility=1.0, adoption__seed_nodes=["n0"])
    reached = run_model(sc).summary()["final_size_mean"] - 1
    # binomial(4000, 0.01): mean 40, sd 6.3; unweighted it would be all 4000
    assert 40 - 4 * 6.3 < reached < 40 + 4 * 6.3


def test_weighted_thresholds_use_tie_weights():
    graph = sparse.csr_array(np.array([[0, 3, 1, 0], [3, 0, 0, 0], [1, 0, 0, 0],
                                       [0, 0, 0, 0]], dtype=float))
    adopted = mask(4, [1])  # node 0: adopting weight 3 of 4
    frac = [step_rule(AdoptionRule.fractional_threshold, graph, adopted, adopted,
                      AdoptionConfig(threshold=t), np.random.default_rng(0), weighted=True)[0, 0]
            for t in (0.75, 0.76)]
    assert frac == [True, False]
    count = [step_rule(AdoptionRule.count_threshold, graph, adopted, adopted,
                       AdoptionConfig(count=c), np.random.default_rng(0), weighted=True)[0, 0]
             for c in (3, 4)]
    assert count == [True, False]


# ------------------------------------------------------------------ seeding


def test_top_degree_seeds_the_karate_club_leaders():
    sc = textbook_scenario(EXAMPLES / "karate.csv", "independent_cascade", 1,
                           adoption__seeding="top_degree", adoption__seed_count=2,
                           adoption__transmissibility=0.0)
    model = LearningNetworkModel(sc, seed=0)
    seeded = model.diffusion.labels[model.diffusion.seeds[:, 0]].tolist()
    assert sorted(seeded) == ["1", "34"]  # the instructor (16 ties) and the president (17)


def test_random_count_seeds_exactly_k_per_cascade():
    sc = textbook_scenario(EXAMPLES / "karate.csv", "independent_cascade", 1,
                           adoption__seeding="random", adoption__seed_count=3,
                           adoption__transmissibility=0.0, practices__n_practices=4)
    seeds = LearningNetworkModel(sc, seed=0).diffusion.seeds
    assert seeds.sum(axis=0).tolist() == [3, 3, 3, 3]
    assert len({tuple(np.flatnonzero(seeds[:, c])) for c in range(4)}) > 1


def test_seed_sets_and_seed_files_seed_each_cascade(tmp_path):
    path = write_edges(tmp_path / "path.csv", list(nx.path_graph(6).edges()))
    kw = dict(adoption__transmissibility=1.0, practices__n_practices=2)
    by_sets = textbook_scenario(path, "independent_cascade", 2,
                                adoption__seed_sets=[["n0"], ["n5", "n4"]], **kw)
    csv_file = tmp_path / "seeds.csv"
    csv_file.write_text("node,cascade\nn0,0\nn5,1\nn4,1\n")
    txt_file = tmp_path / "seeds.txt"
    txt_file.write_text("# seeds\nn0\n\nn3\n")
    model = LearningNetworkModel(by_sets, seed=0)
    from_csv = LearningNetworkModel(textbook_scenario(
        path, "independent_cascade", 2, adoption__seed_file=str(csv_file), **kw), seed=0)
    assert (model.diffusion.seeds == from_csv.diffusion.seeds).all()
    labels = model.diffusion.labels
    assert [sorted(labels[model.diffusion.seeds[:, c]].tolist()) for c in (0, 1)] == [
        ["n0"], ["n4", "n5"]]
    from_txt = LearningNetworkModel(textbook_scenario(
        path, "independent_cascade", 2, adoption__seed_file=str(txt_file), **kw), seed=0)
    assert [sorted(labels[from_txt.diffusion.seeds[:, c]].tolist()) for c in (0, 1)] == [
        ["n0", "n3"], ["n0", "n3"]]


def test_isolated_node_from_the_node_file_can_be_seeded(tmp_path):
    edges = write_edges(tmp_path / "e.csv", [(0, 1)])
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id\nn0\nn1\nalone\n")
    sc = textbook_scenario(edges, "independent_cascade", 3, network__nodes_file=str(nodes),
                           adoption__seed_nodes=["alone"], adoption__transmissibility=1.0)
    model = run_model(sc)
    assert model.state.n_people == 3 and model.summary()["final_size_mean"] == 1


# ------------------------------------------------------------------ until stable, per cascade


def test_until_stable_stops_the_week_after_the_last_change(tmp_path):
    csv = write_edges(tmp_path / "ring.csv", list(ring(20, 4).edges()))
    sc = textbook_scenario(csv, "count_threshold", 5, adoption__count=2,
                           adoption__seed_nodes=["n0", "n1"], adoption__until_stable=True)
    summary, series = run_replicate(sc, 0)
    # 2 + 2t nodes at week t: all 20 at week 9, nothing new at week 10
    assert summary["last_change_week"] == 9 and summary["weeks_run"] == 10
    assert series["week"].tolist() == list(range(11)) and series["adoption_all"][-1] == 1.0


def test_until_stable_ends_a_cascade_when_nobody_is_newly_infected(tmp_path):
    csv = write_edges(tmp_path / "path.csv", list(nx.path_graph(50).edges()))
    sc = textbook_scenario(csv, "independent_cascade", 5, adoption__transmissibility=0.5,
                           adoption__seed_nodes=["n25"], adoption__until_stable=True,
                           practices__n_practices=3)
    model = run_model(sc)
    curve = np.asarray(model.diffusion.curve)
    assert model.diffusion.stable and not model.diffusion.newly.any()
    assert (curve[-1] == curve[-2]).all() and (curve[-2] != curve[-3]).any()


def test_bass_with_innovation_runs_until_everybody_adopted():
    sc = textbook_scenario(EXAMPLES / "karate.csv", "bass", 5, adoption__bass_p=0.2,
                           adoption__bass_q=0.0, adoption__initial_adopters=0.0,
                           adoption__until_stable=True)
    summary = run_model(sc).summary()
    assert summary["final_share_mean"] == 1.0 and summary["stable"] == 1.0
    assert summary["weeks_run"] == summary["last_change_week"]  # stable once all adopted


def test_per_cascade_table_matches_the_summary(tmp_path):
    sc = textbook_scenario(EXAMPLES / "karate.csv", "independent_cascade", 8,
                           adoption__transmissibility=0.4, adoption__seeding="random",
                           adoption__seed_count=1, practices__n_practices=5, replicates=3)
    result = run_scenario(sc)
    cascades = result.cascades
    assert cascades.columns == ["replicate", "cascade", "week", "adopters", "new_adopters",
                                "share"]
    assert cascades.height == 3 * 5 * 9
    final = cascades.filter(pl.col("week") == 8).sort("replicate", "cascade")
    mean_final = final.group_by("replicate").agg(pl.col("adopters").mean()).sort("replicate")
    assert mean_final["adopters"].to_list() == pytest.approx(
        result.summary.sort("replicate")["final_size_mean"].to_list())
    # cumulative: new adopters add up to the final size; the union curve covers every cascade
    totals = cascades.group_by("replicate", "cascade").agg(pl.col("new_adopters").sum())
    assert sorted(totals["new_adopters"].to_list()) == sorted(final["adopters"].to_list())
    union = result.series.filter(pl.col("week") == 8).sort("replicate")["adoption_all"]
    widest = final.group_by("replicate").agg(pl.col("share").max()).sort("replicate")["share"]
    assert (union.to_numpy() >= widest.to_numpy() - 1e-12).all()


# ------------------------------------------------------------------ meaningless combinations


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"adoption__seed_nodes": [3]}, "ignored by adoption.rule = 'trust_weighted'"),
    ({"adoption__weighted": True}, "adoption.weighted = True is ignored"),
    ({"adoption__rule": "bass", "adoption__threshold_distribution": "normal"},
     "needs a threshold rule"),
    ({"adoption__rule": "count_threshold", "adoption__seeding": "top_degree",
      "adoption__seed_nodes": [1]}, "names seeds but adoption.seeding = 'top_degree'"),
    ({"adoption__rule": "count_threshold", "adoption__seeding": "nodes"}, "has no seeds"),
    ({"adoption__rule": "count_threshold", "adoption__seed_nodes": [1],
      "adoption__seed_sets": [[1]] * 6}, "both set"),
    ({"adoption__rule": "count_threshold", "adoption__seed_sets": [[1], [2]]},
     "has 2 sets but practices.n_practices = 6"),
    ({"adoption__rule": "count_threshold", "adoption__seed_nodes": [1.5]}, "not a node label"),
    ({"adoption__rule": "count_threshold", "adoption__threshold_attribute": "t"},
     "needs node attributes"),
    ({"adoption__rule": "count_threshold", "adoption__until_stable": True},
     "needs every domain process off"),
    ({"adoption__rule": "count_threshold", "adoption__threshold_distribution": "uniform",
      "adoption__threshold_low": 3, "adoption__threshold_high": 2}, "low <= high"),
    ({"network__nodes_file": "nodes.csv"}, "needs network.file"),
])
def test_meaningless_combinations_are_refused_in_one_line(overrides, needle):
    from netsim import ConfigError

    with pytest.raises(ConfigError) as exc:
        make_scenario(**overrides)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_seeds_on_a_generated_network_are_row_numbers(rng):
    sc = make_scenario(adoption__rule="bass", adoption__bass_p=0.0, adoption__bass_q=0.0,
                       adoption__seed_nodes=[0, 5], calendar__years=0.05,
                       processes__trial=False)
    model = LearningNetworkModel(sc, seed=0)
    assert np.flatnonzero(model.diffusion.seeds[:, 0]).tolist() == [0, 5]


def test_a_run_cut_by_the_horizon_is_not_stable(tmp_path):
    csv = write_edges(tmp_path / "ring.csv", list(ring(20, 4).edges()))
    sc = textbook_scenario(csv, "count_threshold", 4, adoption__count=2,
                           adoption__seed_nodes=["n0", "n1"])
    summary, _ = run_replicate(sc, 0)
    assert summary["stable"] == 0.0 and summary["weeks_run"] == 4
    assert summary["final_size_mean"] == 10 and summary["last_change_week"] == 4

"""User networks (netsim.usergraph): reading, contents refused in one line, labels, node files,
and the command line refusing bad contents before anything is written."""

from __future__ import annotations

import shlex
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import make_scenario, textbook_scenario

from netsim import LearningNetworkModel
from netsim.cli import main
from netsim.config import ConfigError
from netsim.state import Role, Stage
from netsim.usergraph import build_user_population, load_graph, memory_estimate


def csv(tmp_path, text: str, name: str = "g.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def graphml(tmp_path, graph: nx.Graph, name: str = "g.graphml"):
    path = tmp_path / name
    nx.write_graphml(graph, path)
    return path


# ------------------------------------------------------------------ reading


def test_csv_rows_follow_first_appearance_and_keep_raw_weights(tmp_path):
    g = load_graph(csv(tmp_path, "source,target,weight\nb,a,0.5\nc,a,2\na,b,9\nc,c,1\n"))
    assert g.labels.tolist() == ["b", "a", "c"]
    # undirected: (a,b) repeats (b,a) and keeps the first weight; the self-loop is dropped
    ties = sorted(zip(g.lo.tolist(), g.hi.tolist(), g.weight.tolist(), strict=True))
    assert ties == [(0, 1, 0.5), (1, 2, 2.0)]


def test_csv_without_weights_and_with_an_isolated_node(tmp_path):
    g = load_graph(csv(tmp_path, "u,v\n1,2\n2,3\n10,\n"))
    assert g.labels.tolist() == ["1", "2", "3", "10"]
    assert g.weight.tolist() == [1.0, 1.0] and g.n == 4


def test_graphml_school_role_and_isolated_node(tmp_path):
    graph = nx.Graph()
    graph.add_node("x", school=0, role="leader")
    graph.add_node("y", school=0, role="resource_teacher")
    graph.add_node("z", school=1, role="teacher")
    graph.add_node("lonely", school=1, role="teacher")
    graph.add_edge("x", "y", weight=0.7)
    graph.add_edge("y", "z")
    sc = make_scenario(network__file=str(graphml(tmp_path, graph)))
    pop = build_user_population(sc, np.random.default_rng(0))
    assert pop.n_people == 4 and pop.n_schools == 2
    assert pop.school.tolist() == [0, 0, 1, 1]
    assert pop.role.tolist() == [Role.LEADER, Role.RESOURCE_TEACHER, Role.TEACHER, Role.TEACHER]
    assert sorted(pop.colleagues.toarray()[0].tolist()) == [0.0, 0.0, 0.0, 0.7]


def test_school_ids_of_a_billion_are_numbered_densely(tmp_path):
    # a 1 KB file whose school ids are about 1e9 used to allocate per-school arrays of 1e9
    graph = nx.Graph([("a", "b"), ("b", "c")])
    for node, school in zip("abc", (1_000_000_007, 999_999_999, 1_000_000_007), strict=True):
        graph.nodes[node]["school"] = school
    sc = make_scenario(network__file=str(graphml(tmp_path, graph)), calendar__years=0.05)
    model = LearningNetworkModel(sc, seed=0)
    assert model.state.n_schools == 2
    assert model.state.school.tolist() == [1, 0, 1]  # numbered in the order of the ids
    model.run()
    assert np.isfinite(model.summary()["adoption_all"])


def test_node_file_adds_isolated_nodes_and_attributes(tmp_path):
    edges = csv(tmp_path, "source,target\na,b\nb,c\n")
    nodes = csv(tmp_path, "id,school,role\nc,1,teacher\na,0,leader\nb,0,teacher\nd,1,"
                "teacher\n", "nodes.csv")
    g = load_graph(edges, nodes)
    assert g.labels.tolist() == ["a", "b", "c", "d"]  # d only in the node file: appended
    sc = make_scenario(network__file=str(edges), network__nodes_file=str(nodes))
    pop = build_user_population(sc, np.random.default_rng(0))
    assert pop.school.tolist() == [0, 0, 1, 1]
    assert pop.role.tolist() == [Role.LEADER, Role.TEACHER, Role.TEACHER, Role.TEACHER]
    assert pop.colleagues[[3], :].nnz == 0  # d is isolated


# ------------------------------------------------------------------ contents refused


@pytest.mark.parametrize(("text", "needles"), [
    ("source,target\n", ["has no nodes"]),
    ("source,target\na,a\nb,b\n", ["only self-loops", "2 node(s)"]),
    ("s,t,w\na,b,nan\n", ["weight nan", "edge a,b", "finite weights >= 0"]),
    ("s,t,w\na,b,inf\n", ["weight inf", "finite weights >= 0"]),
    ("s,t,w\na,b,-1\n", ["weight -1.0", "finite weights >= 0"]),
    ("s,t,w\na,b,0.5\nb,c,x\n", ["weight 'x' on line 3", "edge b,c"]),
    ("s,t,w\na,b,\n", ["weight None on line 2"]),
    ("only\n1\n", ["could not be read", "two columns"]),
])
def test_bad_csv_contents_are_refused(tmp_path, text, needles):
    path = csv(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_graph(path)
    message = str(exc.value)
    assert message.startswith(f"network.file = {str(path)!r}") and "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)


def test_graphml_without_nodes_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="has no nodes"):
        load_graph(graphml(tmp_path, nx.Graph()))


@pytest.mark.parametrize(("attr", "value", "needle"), [
    ("school", -3, "school = '-3'"), ("school", 1.5, "school = '1.5'"),
    ("role", "principal", "role = 'principal'")])
def test_bad_school_or_role_is_refused(tmp_path, attr, value, needle):
    graph = nx.Graph([("a", "b")])
    for node in graph:
        graph.nodes[node][attr] = value if node == "b" else (0 if attr == "school" else "teacher")
    sc = make_scenario(network__file=str(graphml(tmp_path, graph)))
    with pytest.raises(ConfigError) as exc:
        build_user_population(sc, np.random.default_rng(0))
    assert needle in str(exc.value) and "node 'b'" in str(exc.value)


def test_memory_estimate_grows_with_nodes_ties_and_practices():
    base = memory_estimate(1000, 5000, 6)
    assert memory_estimate(2000, 5000, 6) > base
    assert memory_estimate(1000, 50000, 6) > base
    assert memory_estimate(1000, 5000, 12) > base
    # 4.4 million ties on a million nodes with 6 practices: under 2 GB
    assert memory_estimate(10**6, 4_400_000, 6) < 2 * 2**30


def test_a_graph_too_large_for_the_machine_is_refused(tmp_path, monkeypatch):
    import netsim.usergraph as ug

    monkeypatch.setattr(ug, "_machine_memory", lambda: 10_000)  # a 10 kB machine
    sc = make_scenario(network__file=str(csv(tmp_path, "s,t\na,b\n")))
    with pytest.raises(ConfigError, match=r"needs about .* GiB .* this machine has"):
        build_user_population(sc, np.random.default_rng(0))


# ------------------------------------------------------------------ labels in a run


def test_seed_labels_are_node_ids_not_row_numbers(tmp_path):
    # the file labels nodes 1-5 and 10; seeding [1] must seed node "1", not the row-1 node
    path = csv(tmp_path, "s,t\n10,1\n1,2\n2,3\n3,4\n4,5\n")
    sc = textbook_scenario(path, "independent_cascade", 1, adoption__transmissibility=0.0,
                           adoption__seed_nodes=[1])
    model = LearningNetworkModel(sc, seed=0)
    seeded = model.state.stage[:, 0] == Stage.ADOPTED
    assert model.diffusion.labels[seeded].tolist() == ["1"]


# ------------------------------------------------------------------ the command line


def run_cli(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(tmp_path)
    code = main(["run", *args])
    err = capsys.readouterr().err
    return code, err


OFF = [f"processes.{p}=false" for p in ("gathering", "home_transfer", "collegial_talk", "trial",
                                         "cocreation", "digital", "dynamics", "turnover")]


@pytest.mark.parametrize(("text", "args", "needles"), [
    ("source,target\n", [], ["has no nodes"]),
    ("source,target\na,a\n", [], ["only self-loops"]),
    ("s,t,w\na,b,inf\n", [], ["weight inf"]),
    ("s,t\na,b\n", ["adoption.seed_nodes=[1000000000]"],
     ["adoption.seed_nodes", "ignored by adoption.rule = 'trust_weighted'"]),
    ("s,t\na,b\n", ["adoption.rule=count_threshold", "adoption.seed_nodes=[1000000000]", *OFF],
     ["adoption.seed_nodes contains '1000000000', not a node of network.file", "e.g. 'a', 'b'"]),
    ("s,t,w\na,b,2\n", ["adoption.rule=independent_cascade", "adoption.weighted=true",
                        "adoption.transmissibility=0.8", *OFF],
     ["largest weight 2", "transmissibility x weight <= 1"]),
    ("s,t\na,b\n", ["adoption.rule=count_threshold", "adoption.threshold_attribute=theta",
                    *OFF], ["adoption.threshold_attribute = 'theta'", "not an attribute"]),
])
def test_bad_network_contents_stop_the_command_in_one_line(tmp_path, monkeypatch, capsys, text,
                                                          args, needles):
    csv(tmp_path, text, "edges.csv")
    code, err = run_cli(tmp_path, monkeypatch, capsys,
                        ["network.file=edges.csv", "replicates=1", *args])
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edges.csv"]  # nothing written


# ------------------------------------------------------------------ the README's commands

ROOT = Path(__file__).resolve().parents[1]


def readme_blocks(language: str) -> list[str]:
    """Code blocks of the README section "A user network"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## A user network", 1)[1].split("\n## ", 1)[0]
    blocks = section.split(f"```{language}\n")[1:]
    return [b.split("```", 1)[0] for b in blocks]


def readme_commands() -> list[str]:
    commands = []
    for block in readme_blocks("bash"):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip().startswith("netsim run"):
                commands.append(command.strip())
    return commands


def test_the_readme_section_has_its_commands():
    assert len(readme_commands()) >= 8 and len(readme_blocks("python")) == 1


@pytest.mark.slow
@pytest.mark.parametrize("command", readme_commands())
def test_readme_user_network_commands_run_as_written(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(ROOT)  # the paths in the README are relative to the repository
    args = shlex.split(command)[2:]
    assert main(["run", *args, f"hydra.run.dir={tmp_path}"]) == 0
    out = capsys.readouterr().out
    assert "final size, share of nodes" in out and "version quality" not in out
    assert (tmp_path / "cascades.parquet").is_file() and (tmp_path / "cascades.png").is_file()


@pytest.mark.slow
def test_readme_python_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(readme_blocks("python")[0], "README.md", "exec"), {})  # noqa: S102
    out = capsys.readouterr().out
    assert "final_share" in out


def test_granovetter_readme_commands_give_the_published_outcomes(tmp_path, monkeypatch, capsys):
    # all 100 riot with thresholds 0..99; 1 with the threshold-1 person at 2 (Granovetter 1978)
    monkeypatch.chdir(ROOT)
    riot = next(c for c in readme_commands() if "riot_thresholds.csv" in c)
    for nodes_file, expected in (("riot_thresholds.csv", "100.0"),
                                 ("riot_thresholds_perturbed.csv", "1.0")):
        args = shlex.split(riot.replace("riot_thresholds.csv", nodes_file))[2:]
        assert main(["run", *args, f"hydra.run.dir={tmp_path / nodes_file}"]) == 0
        line = next(ln for ln in capsys.readouterr().out.splitlines()
                    if "final size, share of nodes" in ln)
        assert line.split()[-3] == expected, line


def test_a_changed_file_is_read_again(tmp_path):
    path = csv(tmp_path, "s,t\na,b\n")
    assert load_graph(path).n == 2
    path.write_text("s,t\na,b\nb,c\nc,d\n")  # new size: the cached graph is not reused
    assert load_graph(path).n == 4
    with pytest.raises(ValueError):
        load_graph(path).lo[0] = 5  # cached arrays are read-only


def test_textbook_preset_runs_on_the_generated_network_until_stable():
    from netsim import load_scenario
    from netsim.runner import run_scenario

    sc = load_scenario("textbook", {"replicates": 2})
    assert not any(vars(sc.processes).values()) and sc.adoption.until_stable
    result = run_scenario(sc)
    assert result.summary["stable"].to_list() == [1.0, 1.0]
    assert result.cascades["cascade"].n_unique() == sc.practices.n_practices
    assert (result.summary["weeks_run"] < sc.adoption.max_weeks).all()


@pytest.mark.parametrize("kind", ["graphml", "nodes_file"])
def test_a_school_on_some_nodes_only_is_refused(tmp_path, kind):
    if kind == "graphml":
        graph = nx.Graph([("a", "b"), ("b", "c")])
        graph.nodes["a"]["school"] = 0
        graph.nodes["b"]["school"] = 1
        sc = make_scenario(network__file=str(graphml(tmp_path, graph)))
    else:
        edges = csv(tmp_path, "s,t\na,b\nb,c\n")
        nodes = csv(tmp_path, "id,school\na,0\nb,1\n", "nodes.csv")
        sc = make_scenario(network__file=str(edges), network__nodes_file=str(nodes))
    with pytest.raises(ConfigError, match="gives school to some nodes but not to node 'c'"):
        build_user_population(sc, np.random.default_rng(0))


def test_fuzzed_edge_lists_give_a_valid_graph_or_one_config_error(tmp_path):
    # 400 random small CSV files built from awkward tokens: each either loads into a graph
    # that can make a run, or is refused with a one-line ConfigError naming network.file
    rng = np.random.default_rng(2026)
    tokens = ["a", "b", "c", "1", "10", "01", " a ", "", "nan", "inf", "-1", "-inf", "0", "1e400",
              "x", '"q,r"', "ä", "NaN", "1.5", "None"]
    outcomes = {"loaded": 0, "refused": 0}
    for i in range(400):
        n_cols = int(rng.integers(1, 5))
        header = ",".join(["source", "target", "weight", "extra"][:n_cols])
        widths = np.clip(n_cols + rng.integers(-1, 2, int(rng.integers(0, 6))) * (i % 4 == 0),
                         1, 5)  # every fourth file has ragged rows
        rows = [",".join(rng.choice(tokens, w)) for w in widths]
        path = csv(tmp_path, "\n".join([header, *rows]) + "\n", f"f{i}.csv")
        try:
            g = load_graph(path)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith("network.file = ") and "\n" not in message, message
            outcomes["refused"] += 1
            continue
        outcomes["loaded"] += 1
        assert g.n >= 2 and g.lo.size >= 1 and (g.lo < g.hi).all() and g.hi.max() < g.n
        assert np.isfinite(g.weight).all() and (g.weight >= 0).all()
    assert min(outcomes.values()) > 20, outcomes  # both kinds were exercised

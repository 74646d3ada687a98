"""Hardening (issue 13): every bad input a user can type is refused in one line.

Each test pins one class of the issue: the command ends with exit code 2, one line
``netsim: error: ...`` naming what was wrong, the value and what is allowed, no traceback, and
nothing written in the folder it ran in. All run ``netsim.cli.main`` in this process (the
checks happen before Hydra starts); ``test_hardening_runs.py`` has the cases that need a run.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from netsim.app import check_overrides
from netsim.cli import main
from netsim.config import ConfigError, load_scenario

SMALL = ["replicates=1", "calendar.years=0.05"]


def refused(args: list[str], capsys: pytest.CaptureFixture[str], folder: Path,
            *parts: str) -> str:
    """Run ``netsim args`` in ``folder``; assert exit 2, one error line holding ``parts``,
    nothing written; return the line."""
    before = sorted(p.name for p in folder.iterdir())
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("netsim: error: "), lines[0]
    assert "Traceback" not in captured.err + captured.out
    for part in parts:
        assert part in lines[0], (part, lines[0])
    assert sorted(p.name for p in folder.iterdir()) == before
    return lines[0]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- bad values accepted silently: booleans, strings, seed nodes, deletions, long sweeps ----


@pytest.mark.parametrize("key", ["network.leaders_invited", "common_random_numbers",
                                 "processes.trial"])
@pytest.mark.parametrize("value", ["2", "0", "1", "'true'", "0.5"])
def test_booleans_take_only_true_or_false_in_runs_and_sweeps(here, capsys, key, value):
    refused(["run", f"{key}={value}", *SMALL], capsys, here, key, "true or false")
    refused(["run", "-m", f"{key}=true,{value}", *SMALL], capsys, here, key, "true or false")
    assert len(check_overrides([f"{key}=false"])) == 1  # the real values still work


@pytest.mark.parametrize(("override", "parts"), [
    ("name=''", ["name = ''", "1 to 100 characters"]),
    ("name=' '", ["name = ' '", "not only spaces"]),
    ("name=a/b", ["name = 'a/b'", "without /"]),
    ("name=" + "x" * 300, ["name = 'xxx", "length 300", "1 to 100 characters"]),
    ("formality='0.5'", ["formality = '0.5'", "not a number", "0 <= value <= 1"]),
    ("trust.initial=\"'0.2'\"", ["trust.initial = ", "'0.2'", "not a number"]),
    ("name=2024", ["name = 2024", "not text", "name=\"'2024'\""]),
    ("replicates=1e1", ["replicates = 10.0", "whole number written as one"]),
    ("network.design=custom_graph", ["network.design = 'custom_graph'", "network.file"]),
])
def test_strict_strings_and_numbers(here, capsys, override, parts):
    refused(["run", override, *SMALL], capsys, here, *parts)


def test_seed_nodes_refused_when_ignored_or_negative(here, capsys):
    refused(["run", "adoption.seed_nodes=[1000000000]", *SMALL], capsys, here,
            "adoption.seed_nodes = [1000000000]", "is ignored by", "textbook rule")
    refused(["run", "adoption.rule=count_threshold", "adoption.seed_nodes=[-1]", *SMALL],
            capsys, here, "adoption.seed_nodes contains '-1'", "node labels")


@pytest.mark.parametrize("deletion", ["~network", "~trust", "~trust.initial", "~name"])
def test_deleting_a_group_or_setting_is_refused(here, capsys, deletion):
    """A deleted group would run the defaults (45 schools) while provenance records the
    user's network.n_schools=8."""
    refused(["run", deletion, "network.n_schools=8", *SMALL], capsys, here, repr(deletion),
            "deletes", "allowed: set values")
    refused(["run", "-m", deletion, "formality=0.2,0.4", *SMALL], capsys, here, "deletes")


def test_every_value_of_a_long_sweep_is_checked(here, capsys):
    values = [f"{i / 1000:.3f}" for i in range(450)]
    with pytest.raises(ConfigError, match=r"trust\.initial = 2\.0 is out of range"):
        check_overrides([f"trust.initial={','.join([*values[:401], '2.0', *values[401:]])}"],
                        multirun=True)
    seeds = ",".join([*map(str, range(430)), "-1"])
    refused(["run", "-m", f"seed={seeds}", *SMALL], capsys, here, "seed = -1")
    refused(["run", "-m", "seed=range(0,450),-1", *SMALL], capsys, here, "cannot be expanded",
            "range(start,stop[,step])")
    assert len(check_overrides([f"trust.initial={','.join(values)}"], multirun=True)) == 450


def test_a_float_for_an_integer_stops_the_sweep_before_it_starts(here, capsys):
    """-m replicates=2,1e1,3 used to pass the check and then stop the sweep at job 1."""
    refused(["run", "-m", "replicates=2,1e1,3", "calendar.years=0.05"], capsys, here,
            "replicates = 10.0", "without a decimal point")


# --- tracebacks instead of one line: Hydra's errors -----------------------------------------


@pytest.mark.parametrize(("override", "parts"), [
    ("trust.initial=${nope}", ["trust.initial", "interpolation", "'nope' not found"]),
    ("trust.initial=${oc.env:HOME}", ["trust.initial", "is not a number"]),
    ("trust.initial=${oc.env:NETSIM_NO_SUCH_VARIABLE}",
     ["trust.initial", "interpolation", "'NETSIM_NO_SUCH_VARIABLE' not found"]),
    ("network.leaders_invited=${oc.decode:'2'}", ["network.leaders_invited = 2",
                                                   "true or false"]),
    ("trust.initial=${oc.decode:abc}", ["trust.initial", "'abc'"]),
    ("scenario=null", ["scenario=null", "allowed for scenario", "meeting_groups"]),
    ("scenario=0.5", ["scenario=0.5", "allowed for scenario"]),
    ("scenario@x=1", ["scenario@x=1", "allowed for scenario"]),
    ("hydra.launcher.ray.init.num_cpus=2",
     ["unknown Hydra setting 'hydra.launcher.ray.init.num_cpus'", "hydra.launcher",
      "hydra/launcher=NAME"]),
    ("network.nope.deeper=1", ["unknown setting 'network.nope.deeper'", "in network",
                               "n_schools"]),
    ("+trust.initial=0.3", ["+trust.initial", "exists already", "trust.initial=VALUE"]),
])
def test_hydra_errors_are_one_line(here, capsys, override, parts):
    line = refused(["run", override, *SMALL], capsys, here, *parts)
    assert "see netsim/config.py" not in line


def test_glob_over_a_setting_is_one_line(here, capsys):
    refused(["run", "-m", "trust.initial=glob(*)", *SMALL], capsys, here,
            "'trust.initial=glob(*)'", "gives no values", "config group")


def test_yaml_error_in_a_user_preset(here, capsys):
    presets = here / "mine" / "scenario"
    presets.mkdir(parents=True)
    (presets / "broken.yaml").write_text("name: [oops\n")
    refused(["run", f"hydra.searchpath=[file://{here / 'mine'}]", "scenario=broken", *SMALL],
            capsys, here, "broken.yaml", "allowed: valid YAML")
    refused(["run", "--config-dir", str(here / "mine"), "scenario=broken", *SMALL], capsys,
            here, "broken.yaml")


# --- output places that cannot be written ---------------------------------------------------


def test_run_dir_under_proc_or_a_regular_file(here, capsys):
    (here / "plain").write_text("x")
    refused(["run", "hydra.run.dir=/proc/netsim-x", *SMALL], capsys, here,
            "hydra.run.dir = '/proc/netsim-x'", "cannot be written")
    refused(["run", f"hydra.run.dir={here / 'plain' / 'x'}", *SMALL], capsys, here,
            "is a file, not a folder")
    refused(["run", "-m", "formality=0.2,0.4", f"hydra.sweep.dir={here / 'plain' / 's'}",
             *SMALL], capsys, here, "hydra.sweep.dir", "is a file")


def test_compare_and_validate_into_proc(here, capsys):
    from test_compare import build_sweep  # a collected two-arm sweep

    sweep = build_sweep(here / "sw", "meeting_interval_weeks", [3, 6], 2, years=0.1)
    refused(["compare", str(sweep), "--baseline", "meeting_interval_weeks=6", "--out",
             "/proc/x"], capsys, here, "/proc/x")
    assert not (sweep / "comparison").exists()


# --- memory -----------------------------------------------------------------------------------


def test_sizes_beyond_the_machines_memory_are_refused_with_the_estimate(here, capsys):
    from netsim import resources

    line = refused(["run", "network.n_schools=20000", "network.teachers_per_school=500"],
                   capsys, here, "network.n_schools = 20000", "network.teachers_per_school = 500",
                   "10,040,002 people", "GiB of memory", "available")
    sc = load_scenario(overrides={"network.n_schools": 20000,
                                  "network.teachers_per_school": 500})
    assert f"{resources.estimate_memory(sc) / 2**30:.1f} GiB" in line
    # two sweeps each fine alone but too large together
    refused(["run", "-m", "network.n_schools=100,20000", "network.teachers_per_school=24,500"],
            capsys, here, "network.n_schools = 20000", "network.teachers_per_school = 500",
            "GiB of memory")
    # the estimate grows with people and ties; the default scenario is far below any machine
    small = load_scenario()
    assert resources.estimate_memory(small) < 0.5e9
    assert resources.estimate_memory(sc) > 100 * resources.estimate_memory(small) / 10


# --- inconsistencies: Hydra's value flags, status outside a sweep, the explorer's port -------


def test_hydra_flags_that_take_a_value(here, capsys):
    presets = here / "mine" / "scenario"
    presets.mkdir(parents=True)
    (presets / "mine.yaml").write_text("# @package _global_\nname: mine\nnetwork:\n"
                                       "  n_schools: 4\n")
    assert main(["run", "--cfg", "job", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "name: resource_teacher_network" in out and "replicates: 1" in out
    assert main(["run", "--config-dir", str(here / "mine"), "scenario=mine", "--cfg", "job",
                 *SMALL]) == 0
    out = capsys.readouterr().out
    assert "name: mine" in out and "n_schools: 4" in out
    assert sorted(p.name for p in here.iterdir()) == ["mine"]  # --cfg runs nothing
    refused(["run", "--cfg", "nope"], capsys, here, "--cfg = 'nope'", "job, hydra, all")
    refused(["run", "--config-dir", str(here / "none"), "scenario=mine"], capsys, here,
            "--config-dir", "is not a folder")
    refused(["run", "--frobnicate"], capsys, here, "unknown option '--frobnicate'")


def test_status_and_collect_outside_a_sweep_folder(here, capsys):
    refused(["status", "/etc"], capsys, here, "'/etc' is not a sweep folder", "netsim run -m")
    refused(["collect", "/etc"], capsys, here, "'/etc' is not a sweep folder")
    refused(["status", "a", "b"], capsys, here, "usage: netsim status")


def test_collect_names_a_damaged_result_file(here, capsys):
    folder = here / "sweep"
    (folder / "0").mkdir(parents=True)
    for name in ("summary.parquet", "timeseries.parquet"):
        (folder / "0" / name).write_bytes(b"PAR1 not really")
    (folder / "0" / "provenance.json").write_text('{"overrides": []}')
    (folder / "sweep.json").write_text('{"jobs": [[]], "n_jobs": 1}')
    refused(["collect", str(folder)], capsys, here, "sweep/0/summary.parquet cannot be read",
            "run the sweep's command again")
    assert not (folder / "collected").exists()


def test_explore_on_a_port_in_use_says_so_before_any_address(here, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = refused(["explore", "--port", str(port)], capsys, here, f"--port = {port}",
                       "--port 0")
    assert "http://" not in line


@pytest.mark.parametrize("args", [["validate", "--seed", "-1"], ["validate", "--nope"],
                                  ["compare", "--nope"], ["explore", "--port", "x"],
                                  ["presets", "extra"]])
def test_argument_errors_of_other_commands_are_one_line(here, capsys, args):
    refused(args, capsys, here)

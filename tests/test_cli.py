"""The ``netsim`` command: bad input ends with one line, exit code 2 and nothing written;
a small run writes its folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netsim.cli import main

SCRIPT = Path(sys.executable).with_name("netsim")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "netsim.cli"]


def netsim(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*COMMAND, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env, check=False)


BAD = [
    (["run", "trust.initial=2"], ["trust.initial", "2", "0 <= value <= 1"]),
    (["run", "trust.initail=0.5"], ["trust.initail", "initial"]),
    (["run", "no_such_key=1"], ["no_such_key"]),
    (["run", "scenario=nope"], ["scenario", "'nope'", "resource_teacher_network"]),
    (["run", "formality=high"], ["formality", "'high'"]),
    (["run", "network.n_schools=2.5"], ["network.n_schools", "2.5"]),
    (["run", "adoption.rule=sir"], ["adoption.rule", "'sir'", "count_threshold"]),
    (["run", "network.file=missing.csv"], ["network.file", "missing.csv", "no such file"]),
    (["run", "meeting_interval_weeks=3,6"], ["meeting_interval_weeks", "-m"]),
    (["run", "-m", "leader_participation=0.5,1.5"], ["leader_participation", "1.5"]),
    # a setting the design would silently ignore: study days are in fixed weeks
    (["run", "scenario=meeting_groups", "meeting_interval_weeks=3"],
     ["meeting_interval_weeks = 3", "no effect", "calendar.gathering_weeks = [5, 15, 25, 35]"]),
    (["run", "-m", "+experiment=meeting_interval_weeks", "scenario=meeting_groups"],
     ["meeting_interval_weeks", "no effect", "calendar.gathering_weeks=[]"]),
    (["frobnicate"], ["frobnicate", "run"]),
]


def check_one_line(stderr: str, parts: list[str]) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("netsim: error: ")
    assert "Traceback" not in stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])


@pytest.mark.parametrize(("args", "parts"), BAD)
def test_bad_input_in_process(tmp_path, monkeypatch, capsys, args, parts):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    check_one_line(captured.err, parts)
    assert list(tmp_path.iterdir()) == []  # no outputs/ or multirun/ folder


@pytest.mark.parametrize(("args", "parts"), [BAD[0], BAD[3], BAD[4]])
def test_bad_input_as_a_command(tmp_path, args, parts):
    proc = netsim(args, tmp_path)
    assert proc.returncode == 2, proc.stderr
    check_one_line(proc.stderr, parts)
    assert "Traceback" not in proc.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "text"), [("broken.graphml", "<graphml><oops"),
                                            ("one.csv", "a\n1\n")])
def test_unreadable_network_file_through_the_cli(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    proc = netsim(["run", f"network.file={name}", "replicates=1"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    check_one_line(proc.stderr, ["network.file", name, "could not be read"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.slow
def test_small_run_writes_table_files_and_figure(tmp_path):
    proc = netsim(["run", "replicates=2", "calendar.years=0.5"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "95 % interval" in proc.stdout and "adoption among all staff" in proc.stdout
    runs = list((tmp_path / "outputs").glob("*/*"))
    assert len(runs) == 1
    names = {p.name for p in runs[0].iterdir()}
    assert {"summary.parquet", "timeseries.parquet", "provenance.json", "adoption.png",
            "report.md"} <= names


def test_help_and_unknown_command_in_process(capsys):
    assert main(["help"]) == 0
    assert "netsim run" in capsys.readouterr().out
    assert main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err


def test_presets_lists_the_default(capsys):
    assert main(["presets"]) == 0
    assert "resource_teacher_network" in capsys.readouterr().out


def test_slurm_launcher_without_slurm_is_one_clear_error(tmp_path, monkeypatch, capsys):
    """hydra/launcher=submitit_slurm on a machine without SLURM: one line, exit 2, nothing
    written (not submitit's traceback from inside the launcher)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("netsim.app.shutil.which", lambda name: None)
    assert main(["run", "-m", "leader_participation=0,1", "hydra/launcher=submitit_slurm"]) == 2
    check_one_line(capsys.readouterr().err, ["submitit_slurm", "srun", "submitit_local"])
    assert list(tmp_path.iterdir()) == []
    # with SLURM there, the launcher is accepted (the check passes and the sweep would start)
    from netsim.app import check_overrides

    monkeypatch.setattr("netsim.app.shutil.which", lambda name: "/usr/bin/srun")
    assert len(check_overrides(["leader_participation=0,1", "hydra/launcher=submitit_slurm"],
                               multirun=True)) == 2

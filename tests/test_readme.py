"""The README's commands work as written (at small sizes), and its example outputs are real.

Every ``netsim ...`` line of the README's ``bash`` blocks and every ``$ netsim ...`` line of
its output blocks is run, in README order, in one scratch folder holding the project's files
(so a later command finds what an earlier one wrote, as for a reader following along); every
``python`` block is run there too. Sizes are cut so the whole README runs in a few minutes:
``replicates=N`` becomes ``replicates=2`` and ``netsim run`` gets ``calendar.years=0.2``;
``netsim sensitivity``, ``calibrate`` and ``robust`` get the tiny sizes of
:data:`ANALYSIS_SIZES` and a small network;
Python ``replicates=N`` becomes ``replicates=2``. Not run here, each for the reason given in
:data:`NOT_HERE`: commands tested elsewhere or that need what this machine lacks; a command
whose ``network.file`` is not in the project is reported as a warning (at most one).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SCRIPT = Path(sys.executable).with_name("netsim")
NETSIM = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "netsim.cli"]

# pattern (searched in the command) -> why it is not run by this test
# (the explorer's commands are `make explore` and `.venv/bin/netsim explore`, not netsim lines:
# tests/test_explorer.py starts it and drives it in a real browser)
NOT_HERE = {
    r"^netsim validate": "minutes of CPU; tests/validation runs the checks",
    r"hydra/launcher=(slurm|ray|dask)\b": "needs a SLURM, Ray or Dask engine running: "
    "tests/test_cluster_engines.py runs sweeps through each, on real engines on 127.0.0.1",
}


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown text: (language, content), in order."""
    return [(m.group(1), m.group(2))
            for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)]


def commands(lang: str, body: str) -> list[tuple[str, str | None]]:
    """The netsim commands of a block: (command, expected output line or None)."""
    out: list[tuple[str, str | None]] = []
    lines = body.replace("\\\n", " ").splitlines()
    for i, line in enumerate(lines):
        if lang == "bash" and line.strip().startswith("netsim "):
            words = shlex.split(line, comments=True)
            out.append((shlex.join(words), None))
        elif lang in ("", "text") and line.startswith("$ netsim "):
            shown = lines[i + 1] if i + 1 < len(lines) else None
            out.append((line[2:], shown))
    return out


# the analysis commands' sizes, cut so that each runs in seconds (every option still given)
ANALYSIS_SIZES = {"--trajectories": "2", "--sobol-n": "8", "--top": "2", "--replicates": "1",
                  "--particles": "4", "--generations": "1", "--worlds": "4"}


def small(command: str) -> list[str]:
    words = shlex.split(command)
    if words[1:2] and words[1] in ("sensitivity", "calibrate", "robust"):
        cut: list[str] = []
        for i, w in enumerate(words):
            cut.append(ANALYSIS_SIZES[words[i - 1]] if i and words[i - 1] in ANALYSIS_SIZES else w)
        words = cut
        if words[1] == "sensitivity" and "--replicates" not in words:
            words += ["--replicates", "1"]
        if not any(w.startswith("network.n_schools=") for w in words):
            words.append("network.n_schools=8")
        if words[1] != "calibrate" and not any(w.startswith("calendar.years=") for w in words):
            words.append("calendar.years=0.3")  # calibrate's targets set their own horizon
    if words[:2] == ["netsim", "run"]:
        words = ["replicates=2" if w.startswith("replicates=") else w for w in words]
        if "replicates=2" not in words:
            words.append("replicates=2")
        if not any(w.startswith("calendar.years=") for w in words):
            words.append("calendar.years=0.2")
    return NETSIM + words[1:]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A folder with the project's files (read-only links) and nothing generated."""
    folder = tmp_path_factory.mktemp("readme")
    for entry in ROOT.iterdir():
        if entry.name not in {"outputs", "multirun", ".git", ".venv", "tests"}:
            (folder / entry.name).symlink_to(entry)
    return folder


def _env() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_every_readme_command_works(scratch):
    text = README.read_text()
    ran, failed, not_here, not_run = 0, [], [], []
    for lang, body in blocks(text):
        if lang == "python":
            code = re.sub(r"\breplicates=\d+", "replicates=2", body)
            proc = subprocess.run([sys.executable, "-c", code], cwd=scratch, env=_env(),
                                  capture_output=True, text=True, timeout=600, check=False)
            ran += 1
            if proc.returncode != 0:
                failed.append(f"python block {body[:60]!r}...: {proc.stderr[-800:]}")
            continue
        for command, shown in commands(lang, body):
            reason = next((r for p, r in NOT_HERE.items() if re.search(p, command)), None)
            if reason:
                not_here.append(command)
                continue
            files = [w.split("=", 1)[1] for w in shlex.split(command)
                     if w.startswith("network.file=")]
            missing = [f for f in files if not (scratch / f).exists()]
            if missing:  # the example network is another part's work: say so, loudly
                warnings.warn(f"README command not run: its file {missing[0]} is not in the "
                              f"project: {command}", stacklevel=1)
                not_run.append(command)
                continue
            proc = subprocess.run(small(command), cwd=scratch, env=_env(), capture_output=True,
                                  text=True, timeout=900, check=False)
            ran += 1
            if shown is not None and shown.startswith("netsim: error:"):
                if proc.returncode != 2 or proc.stderr.strip() != shown:
                    failed.append(f"{command}: expected exit 2 and {shown!r}, got "
                                  f"{proc.returncode} {proc.stderr.strip()!r}")
            elif proc.returncode != 0:
                failed.append(f"{command}: exit {proc.returncode}: {proc.stderr[-800:]}")
            elif " -m " in f" {command} " and ": 0 run," in proc.stdout:
                failed.append(f"{command}: ran no job (it found another command's results)")
    assert ran >= 20, ran
    assert len(not_run) <= 1, not_run  # at most the user-network example (network.file)
    # every reason for not running a command is still used
    assert {p for p in NOT_HERE if any(re.search(p, c) for c in not_here)} == set(NOT_HERE)
    assert not failed, "\n\n".join(failed)


def test_readme_examples_are_generated_not_placeholders():
    text = README.read_text()
    from importlib import util

    spec = util.spec_from_file_location("make_readme_examples",
                                        ROOT / "docs" / "make_readme_examples.py")
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in [*mod.EXAMPLES, "notebook-timings"]:
        block = re.search(rf"<!-- example: {name} -->\n(.*?)<!-- /example -->", text, re.S)
        assert block, name
        assert "generated by docs/make_readme_examples.py" not in block.group(1), name
    first = re.search(r"<!-- example: first-run -->\n(.*?)<!-- /example -->", text, re.S)
    assert "adoption among all staff (%)" in first.group(1)
    assert re.search(r"outcome\s+mean\s+95 % interval", first.group(1))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_example_script_regenerates_every_block(tmp_path):
    out = tmp_path / "README.md"
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "make_readme_examples.py"),
                           "--small", "--out", str(out)], env=_env(), capture_output=True,
                          text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    first = re.search(r"<!-- example: first-run -->\n```text\n(.*?)```", text, re.S).group(1)
    assert "resource_teacher_network: 2 replicates in" in first
    assert re.search(r"wrote outputs/\d{4}-\d\d-\d\d/\d\d-\d\d-\d\d_resource_teacher_network_"
                     r"calendar.years=0.2_replicates=2/", first)
    cmp_block = re.search(r"<!-- example: compare-designs -->\n```text\n(.*?)```", text,
                          re.S).group(1)
    assert cmp_block.startswith("adoption among all staff (%); difference (percentage points)")
    assert "6 (baseline)" in cmp_block and "against the baseline" in cmp_block
    # everything outside the blocks is the README as committed
    strip = re.compile(r"<!-- example: [\w-]+ -->\n.*?<!-- /example -->", re.S)
    assert strip.sub("", text) == strip.sub("", README.read_text())

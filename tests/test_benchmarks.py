"""benchmarks/replicate_speed.py --against: it extracts the revision, runs both sides and
prints their medians and ratio (figures only: nothing here asserts a time)."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import netsim

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "replicate_speed.py"


def _git_head() -> str | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    src = str(Path(netsim.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_replicate_speed_against_a_revision_runs_both_sides():
    head = _git_head()
    if head is None:
        pytest.skip("not a git checkout: --against needs the repository's history")
    done = _run("--against", "HEAD", "--rounds", "1", "--runs", "1", "calendar.years=0.1")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert f"against:       HEAD = {head[:12]}" in out
    assert "1 rounds x 1 replicates per side" in out
    for kind in ("CPU time", "wall time"):
        this, that, ratio = re.search(
            rf"{kind}\s+([\d.]+)ms\s+([\d.]+)ms\s+([\d.]+)x", out).groups()
        assert float(this) > 0 and float(that) > 0
        assert math.isclose(float(ratio), float(that) / float(this), rel_tol=0.06, abs_tol=0.01)


def test_replicate_speed_refuses_a_bad_revision_or_setting_in_one_line():
    for args, words in ((["--against", "no-such-revision-x"], "is not a commit"),
                        (["calendar.yearz=1"], "unknown setting 'calendar.yearz'")):
        done = _run(*args)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in done.stderr

"""Regenerate the example outputs in README.md from real runs of the current version.

The README shows what `netsim run` and `netsim compare` print. Those numbers change whenever
the model changes, so they are never typed by hand: each example sits between marker
comments, and this script runs the command shown above it and puts its real output there::

    <!-- example: first-run -->
    ```
    ...output of the command...
    ```
    <!-- /example -->

Usage (from the project folder, with netsim installed)::

    python docs/make_readme_examples.py              # rewrite README.md in place
    python docs/make_readme_examples.py --notebooks  # also time the notebooks at full size
    python docs/make_readme_examples.py --small --out /tmp/README.md   # quick check (tests)

The runs happen in a temporary folder; the folder names in the output are shown relative to
it. ``--small`` runs 2 replicates over a fifth of a school year: for checking that the
script works, not for the README.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SCRIPT = Path(sys.executable).with_name("netsim")
NETSIM = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "netsim.cli"]

# name -> the commands whose output fills the block (the last command's output is shown);
# SIZE is replaced by nothing for the README, by small settings with --small
EXAMPLES: dict[str, list[str]] = {
    "first-run": ["netsim run SIZE"],
    "compare-designs": [
        "netsim run -m meeting_interval_weeks=3,6,12 replicates=20 SIZE "
        "hydra.sweep.dir=multirun/meetings",
        "netsim collect multirun/meetings",
        "netsim compare multirun/meetings --baseline meeting_interval_weeks=6",
    ],
}
SMALL = "calendar.years=0.2"
SMALL_REPLICATES = "replicates=2"


def _command(line: str, small: bool) -> list[str]:
    words = shlex.split(line.replace("SIZE", SMALL if small else ""))
    if small:
        words = [SMALL_REPLICATES if w.startswith("replicates=") else w for w in words]
        if words[:2] == ["netsim", "run"] and SMALL_REPLICATES not in words:
            words.append(SMALL_REPLICATES)
    return NETSIM + words[1:]


def run_example(name: str, folder: Path, small: bool = False) -> str:
    """Run the commands of example ``name`` in ``folder``; the last one's output, trimmed."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    out = ""
    for line in EXAMPLES[name]:
        proc = subprocess.run(_command(line, small), cwd=folder, capture_output=True,
                              text=True, env=env, check=False, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"{line!r} failed ({proc.returncode}):\n{proc.stderr}")
        out = proc.stdout
    return _trim(name, out, folder)


def _trim(name: str, text: str, folder: Path) -> str:
    text = text.replace(str(folder) + os.sep, "").replace(str(folder), ".")
    lines = [ln.rstrip() for ln in text.strip("\n").splitlines()]
    if name == "compare-designs":
        keep, on = [], False
        for ln in lines:  # the three tables a planner reads first, and the trade-offs
            if ln.startswith(("adoption among all staff", "weeks to 50 %", "cost (person-hours)",
                              "against the baseline")):
                on = True
            elif not ln.strip() or not ln.startswith("  "):
                if on and keep and keep[-1] != "":
                    keep.append("")
                on = False
                continue
            if on:
                keep.append(ln)
        lines = keep[:-1] if keep and keep[-1] == "" else keep
    return "\n".join(lines)


def time_notebooks() -> dict[str, float]:
    """Seconds each notebook takes top to bottom at full size (wall clock)."""
    import nbformat
    from nbclient import NotebookClient

    times = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            env_before = os.environ.pop("NETSIM_NOTEBOOK_SMALL", None)
            os.environ["TMPDIR"] = tmp
            start = time.perf_counter()
            NotebookClient(nb, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": tmp}}).execute()
            times[path.name] = time.perf_counter() - start
            if env_before is not None:
                os.environ["NETSIM_NOTEBOOK_SMALL"] = env_before
    return times


def _minutes(seconds: float) -> str:
    if seconds < 50:
        return "under a minute"
    if seconds < 90:
        return "about a minute"
    return f"about {round(seconds / 60)} minutes"


def substitute(text: str, name: str, body: str) -> str:
    """Replace the block of example ``name`` in ``text`` with ``body``."""
    pattern = re.compile(rf"(<!-- example: {re.escape(name)} -->\n)(.*?)(<!-- /example -->)",
                         re.S)
    if not pattern.search(text):
        raise KeyError(f"README has no block <!-- example: {name} -->")
    fence = "```text\n" if name != "notebook-timings" else ""
    end = "\n```\n" if fence else "\n"
    return pattern.sub(lambda m: m.group(1) + fence + body + end + m.group(3), text, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="tiny runs, to check the script")
    parser.add_argument("--out", type=Path, default=README, help="where to write")
    parser.add_argument("--notebooks", action="store_true",
                        help="also time the notebooks at full size (a few minutes)")
    opts = parser.parse_args(argv)
    text = README.read_text()
    with tempfile.TemporaryDirectory(prefix="netsim-readme-") as tmp:
        for name in EXAMPLES:
            folder = Path(tmp) / name
            folder.mkdir()
            text = substitute(text, name, run_example(name, folder, opts.small))
    if opts.notebooks:
        t = time_notebooks()
        words = (f"{_minutes(t['01_explore_a_network.ipynb'])} for notebook 01, "
                 f"{_minutes(t['02_compare_designs.ipynb'])} for 02 and "
                 f"{_minutes(t['03_analyse_a_sweep.ipynb'])} for 03 on a 2-core machine "
                 f"(measured {time.strftime('%Y-%m-%d')})")
        text = substitute(text, "notebook-timings", words)
    opts.out.write_text(text)
    print(f"wrote {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

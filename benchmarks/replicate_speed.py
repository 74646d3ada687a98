"""Speed of one replicate of the default scenario, alone or against another git revision.

Without ``--against``: runs the default scenario (``Scenario()``, the resource-teacher network
of seed 001) ``--runs`` times after one warm-up run, prints the median wall and CPU time of
one replicate, then runs it once more with timers around every mechanism call and prints where
the time goes, then ``--runs`` more with timers around every compiled kernel that Python calls:
the time inside kernels is the floor that removing every Python-side cost (Mesa, NumPy calls,
argument handling) would leave, and the split shows which kernels hold it.

With ``--against REV`` (a git revision of this repository: a commit, branch or tag): extracts
that revision's source tree into a temporary directory (``git archive``), then runs this
version and that revision alternately, ``--rounds`` times each, in fresh subprocesses. Each
subprocess imports its netsim, runs one warm-up replicate (imports, compiled-code caches) and
times ``--runs`` replicates (wall and CPU time each). It prints the median time per replicate
of each side and their ratio, measured in the same run, so both see the same machine load.

    python benchmarks/replicate_speed.py [--runs 9] [key=value ...]
    python benchmarks/replicate_speed.py --against main [--rounds 5] [--runs 5] [key=value ...]

Overrides use the dotted config keys of ``netsim.load_scenario`` (e.g. ``calendar.years=1``);
with ``--against`` both sides get the same ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKER_FLAG = "--worker"


def timed_calls() -> list[tuple[Any, str, str]]:
    """(module or class, attribute, label): the calls the model makes, timed in the split."""
    import netsim.model
    from netsim.mechanisms import (
        adoption_rules,
        cocreation,
        collegial_talk,
        digital,
        dynamics,
        gathering,
        home_transfer,
        trial,
        turnover,
    )

    model = netsim.model.LearningNetworkModel
    return [
        (netsim.model, "build_population", "population.build_population"),
        (model, "_initial_state", "model._initial_state"),
        (model, "_record", "model._record (metrics)"),
        (netsim.model.metrics, "summarise", "metrics.summarise"),
        (gathering, "hold_gathering", "gathering.hold_gathering"),
        (home_transfer, "development_time", "home_transfer.development_time"),
        (collegial_talk, "talk", "collegial_talk.talk"),
        (trial, "trials", "trial.trials"),
        (cocreation, "form_groups", "cocreation.form_groups"),
        (cocreation, "work", "cocreation.work"),
        (digital, "share", "digital.share"),
        (dynamics, "update", "dynamics.update"),
        (turnover, "turnover", "turnover.turnover"),
        (adoption_rules, "step_rule", "adoption_rules.step_rule"),
    ]


def fail(message: str) -> NoReturn:
    """One line on stderr, exit 2 (a bad option or setting, or a side that failed)."""
    print(f"replicate_speed.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``key=value`` strings to a dict (values parsed as YAML scalars)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"setting {item!r} is not key=value")
        out[key] = yaml.safe_load(value)
    return out


def timed(f: Callable, label: str, totals: dict[str, float], calls: dict[str, int]
          ) -> Callable:
    """``f``, adding the CPU seconds of each call to ``totals[label]`` and counting it."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return f(*args, **kwargs)
        finally:
            totals[label] += time.process_time() - start
            calls[label] += 1

    return wrapped


@contextmanager
def timers(totals: dict[str, float], calls: dict[str, int]) -> Iterator[None]:
    """Wrap every timed callable so its cumulative CPU time lands in ``totals`` (CPU, not
    wall time: on a shared machine a call's wall time includes the other processes' turns)."""
    saved = []
    for owner, name, label in timed_calls():
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, timed(original, label, totals, calls))
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@contextmanager
def kernel_timers(totals: dict[str, float], calls: dict[str, int]) -> Iterator[None]:
    """Time every compiled kernel (a Numba dispatcher at module level in netsim) where Python
    calls it; kernels called from kernels run inside their caller's time. CPU time."""
    import importlib
    import pkgutil

    import netsim
    from numba.core.registry import CPUDispatcher

    modules = []
    for info in pkgutil.walk_packages(netsim.__path__, "netsim."):
        try:
            modules.append(importlib.import_module(info.name))
        except ImportError:  # an optional extra (the explorer) that is not installed
            continue
    saved = []
    for module in modules:
        for name, obj in list(vars(module).items()):
            if not isinstance(obj, CPUDispatcher) or obj.__module__ != module.__name__:
                continue
            label = f"{module.__name__.removeprefix('netsim.')}.{name}"
            wrapped = timed(obj, label, totals, calls)

            for other in modules:  # every module that imported it by name calls it from there
                for other_name, value in list(vars(other).items()):
                    if value is obj:
                        saved.append((other, other_name, obj))
                        setattr(other, other_name, wrapped)
    try:
        yield
    finally:
        for module, name, obj in saved:
            setattr(module, name, obj)


def time_replicates(runs: int, overrides: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of replicates 0..runs-1, after one warm-up replicate.

    Uses only ``netsim.load_scenario`` and ``netsim.runner.run_replicate``, so it runs on any
    revision that has them (``--against``).
    """
    from netsim import load_scenario
    from netsim.runner import run_replicate

    scenario = load_scenario("resource_teacher_network", overrides)
    run_replicate(scenario, 0)  # warm-up: imports inside numpy/scipy, compiled-code caches
    wall, cpu = [], []
    for r in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        run_replicate(scenario, r)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def worker(argv: list[str]) -> None:
    """Subprocess side of ``--against``: time the replicates, print one JSON line."""
    runs, overrides = int(argv[0]), parse_overrides(argv[1:])
    wall, cpu = time_replicates(runs, overrides)
    import netsim

    print(json.dumps({"wall": wall, "cpu": cpu, "netsim": netsim.__file__}))


def extract(revision: str, into: Path) -> str:
    """Write ``revision``'s tree of this repository into ``into``; return its commit id."""
    git = ["git", "-C", str(REPO)]
    found = subprocess.run([*git, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
                           capture_output=True, text=True)
    if found.returncode != 0:
        fail(f"--against {revision!r} is not a commit of the repository at {REPO} (a commit "
             "id, branch or tag)")
    commit = found.stdout.strip()
    archive = into / "tree.tar"
    # the package and its configs (presets are read from configs/ beside src/ in a checkout)
    subprocess.run([*git, "archive", "--format=tar", "-o", str(archive), commit, "src",
                    "configs"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    archive.unlink()
    return commit


def run_side(src: Path, runs: int, overrides: list[str]) -> dict[str, Any]:
    """One subprocess timing ``runs`` replicates with ``src`` first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), WORKER_FLAG,
                           str(runs), *overrides], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        fail(f"the run with {src} failed: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def against(revision: str, rounds: int, runs: int, overrides: list[str]) -> None:
    """Alternate this version and ``revision``; print medians and their ratio."""
    import netsim

    here = Path(netsim.__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="netsim-against-") as tmp:
        commit = extract(revision, Path(tmp))
        there = Path(tmp) / "tree" / "src"
        samples: dict[str, dict[str, list[float]]] = {
            side: {"wall": [], "cpu": []} for side in ("this", "that")}
        load_before = os.getloadavg()[0]
        for i in range(rounds):
            order = [("this", here), ("that", there)]
            if i % 2:  # alternate which side goes first
                order.reverse()
            for side, src in order:
                got = run_side(src, runs, overrides)
                samples[side]["wall"] += got["wall"]
                samples[side]["cpu"] += got["cpu"]
        load_after = os.getloadavg()[0]
    setting = " ".join(overrides) or "default scenario"
    print(f"{setting}: {rounds} rounds x {runs} replicates per side, alternating, each "
          f"subprocess after one warm-up replicate")
    print(f"  this version:  {here}")
    print(f"  against:       {revision} = {commit[:12]}")
    print(f"  {'per replicate (median)':<26} {'this':>9} {'against':>9} {'ratio':>7}")
    for kind in ("cpu", "wall"):
        this = statistics.median(samples["this"][kind])
        that = statistics.median(samples["that"][kind])
        label = "CPU time" if kind == "cpu" else "wall time"
        print(f"  {label:<26} {this * 1e3:>7.1f}ms {that * 1e3:>7.1f}ms {that / this:>6.2f}x")
    print(f"  ratio = against / this (above 1: this version is faster); machine load "
          f"average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} cores (CPU time "
          "is the better figure when the load exceeds the cores)")


def alone(runs: int, overrides: list[str]) -> None:
    """Median time of one replicate of this version, then the time split by mechanism."""
    from netsim import load_scenario
    from netsim.runner import run_replicate

    settings = parse_overrides(overrides)
    seconds, cpu = time_replicates(runs, settings)
    scenario = load_scenario("resource_teacher_network", settings)
    median = statistics.median(seconds)
    print(f"default scenario, {scenario.n_weeks} weeks: one replicate median {median:.3f} s "
          f"over {runs} runs (min {min(seconds):.3f}, max {max(seconds):.3f})")
    print(f"CPU time per replicate: median {statistics.median(cpu):.3f} s; machine load "
          f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times are only "
          "comparable at a load below the number of cores)")

    totals: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    with timers(totals, calls):
        start = time.process_time()
        run_replicate(scenario, 0)
        total = time.process_time() - start
    print(f"\nCPU time split of one replicate ({total:.3f} s with timers):")
    print(f"  {'call':<34} {'calls':>6} {'seconds':>8} {'share':>6}")
    for label, secs in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<34} {calls[label]:>6} {secs:>8.4f} {secs / total:>6.1%}")
    rest = total - sum(totals.values())
    print(f"  {'(Mesa events, agents, other)':<34} {'':>6} {rest:>8.4f} {rest / total:>6.1%}")

    inside: dict[str, float] = defaultdict(float)
    entered: dict[str, int] = defaultdict(int)
    with kernel_timers(inside, entered):
        start = time.process_time()
        for r in range(runs):
            run_replicate(scenario, r)
        total = (time.process_time() - start) / runs
    compiled = sum(inside.values()) / runs
    print()
    print(textwrap.fill(
        f"Inside compiled kernels, per replicate over {runs} runs ({total:.3f} s with timers): "
        f"{compiled:.3f} s ({compiled / total:.0%}); outside them (Python, NumPy, Mesa, the "
        f"timers' own cost): {total - compiled:.3f} s. The inside time is the floor that "
        "removing every Python-side cost would leave.", width=96))
    print(f"  {'kernel':<42} {'calls':>6} {'ms':>7} {'us/call':>8}")
    for label, secs in sorted(inside.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {label:<42} {entered[label] / runs:>6.0f} {secs / runs * 1e3:>7.2f} "
              f"{secs / entered[label] * 1e6:>8.1f}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == WORKER_FLAG:
        worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None,
                        help="timed replicates (alone: 9; with --against: 5 per subprocess)")
    parser.add_argument("--against", metavar="REV", default=None,
                        help="git revision to compare with, alternating (e.g. main, HEAD~3)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="with --against: subprocesses per side (default 5)")
    parser.add_argument("overrides", nargs="*", help="dotted key=value settings")
    args = parser.parse_intermixed_args()
    runs = args.runs if args.runs is not None else (5 if args.against else 9)
    if runs < 1 or args.rounds < 1:
        parser.error("--runs and --rounds must be at least 1")
    from netsim import load_scenario
    from netsim.config import ConfigError

    try:  # a bad setting fails here, in one line, before anything runs
        load_scenario("resource_teacher_network", parse_overrides(args.overrides))
    except ConfigError as error:
        fail(str(error))
    if args.against is not None:
        against(args.against, args.rounds, runs, args.overrides)
    else:
        alone(runs, args.overrides)


if __name__ == "__main__":
    main()

"""Speed of one replicate of the default scenario (target: <= 0.2 s after import).

Runs the default scenario (``Scenario()``, the resource-teacher network of seed 001) ``--runs``
times after one warm-up run, prints the median wall time of one replicate, then runs it once
more with timers around every mechanism call and prints where the time goes.

    python benchmarks/replicate_speed.py [--runs 9] [key=value ...]

Overrides use the dotted config keys of ``netsim.load_scenario`` (e.g. ``calendar.years=1``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import yaml

import netsim.model
from netsim import load_scenario
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
from netsim.runner import run_replicate

# (module, attribute, label): the calls the model makes, timed in the split
TIMED: list[tuple[Any, str, str]] = [
    (netsim.model, "build_population", "population.build_population"),
    (netsim.model.LearningNetworkModel, "_initial_state", "model._initial_state"),
    (netsim.model.LearningNetworkModel, "_record", "model._record (metrics)"),
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


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``key=value`` strings to a dict (values parsed as YAML scalars)."""
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = yaml.safe_load(value)
    return out


@contextmanager
def timers(totals: dict[str, float], calls: dict[str, int]):
    """Wrap every TIMED callable so its cumulative wall time lands in ``totals``."""
    saved = []
    for owner, name, label in TIMED:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)

        def wrapped(*args: Any, _f: Callable = original, _label: str = label,
                    **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                totals[_label] += time.perf_counter() - start
                calls[_label] += 1

        saved.append((owner, name, original))
        setattr(owner, name, wrapped)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed replicates (median)")
    parser.add_argument("overrides", nargs="*", help="dotted key=value settings")
    args = parser.parse_args()
    scenario = load_scenario("resource_teacher_network", parse_overrides(args.overrides))

    run_replicate(scenario, 0)  # warm-up: imports inside numpy/scipy, caches
    seconds, cpu = [], []
    for r in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        run_replicate(scenario, r)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    median = statistics.median(seconds)
    print(f"default scenario, {scenario.n_weeks} weeks: one replicate median {median:.3f} s "
          f"over {args.runs} runs (min {min(seconds):.3f}, max {max(seconds):.3f}); "
          f"target <= 0.2 s")
    print(f"CPU time per replicate: median {statistics.median(cpu):.3f} s; machine load "
          f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times are only "
          "comparable at a load below the number of cores)")

    totals: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    with timers(totals, calls):
        start = time.perf_counter()
        run_replicate(scenario, 0)
        total = time.perf_counter() - start
    print(f"\ntime split of one replicate ({total:.3f} s with timers):")
    print(f"  {'call':<34} {'calls':>6} {'seconds':>8} {'share':>6}")
    for label, secs in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<34} {calls[label]:>6} {secs:>8.3f} {secs / total:>6.1%}")
    rest = total - sum(totals.values())
    print(f"  {'(Mesa events, agents, other)':<34} {'':>6} {rest:>8.3f} {rest / total:>6.1%}")


if __name__ == "__main__":
    main()

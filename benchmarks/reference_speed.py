"""netsim against the idiomatic-Mesa reference model of the same rules (benchmarks/reference/).

For several population sizes (``network.n_schools``; about 26 people per school) both models
run the same scenario (``Scenario()`` with that many schools), alternating netsim and the
reference run by run, and the script prints the CPU time per simulated week of each, their
ratio, and the ratio curve over size. A replicate is timed whole: building the population and
agents, then running; the table shows both parts.

    python benchmarks/reference_speed.py [--repeats 3] [--sizes 12,23,45,90,190,385]
                                         [--full-up-to 2500] [key=value ...]

Every size up to ``--full-up-to`` people runs the scenario's horizon (3 school years = 114
weeks); larger sizes run one school year (38 weeks, ``calendar.years=1``) for both models,
because the reference needs minutes for 3 years there: compare per simulated week (a
one-year week is a little cheaper than the average week of three years, for both). Sizes above
1,200 people are timed once (``--repeats`` applies up to 1,200). Times are process CPU
seconds (the wall time on a shared machine grows with its load; CPU time much less), the
medians of the repeats. The issue that asked for this (issue 14) expects netsim to be 100x or
more faster than the reference at about 1,200 people; the script prints what it measures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import ReferenceModel  # noqa: E402

from netsim import LearningNetworkModel, load_scenario  # noqa: E402
from netsim.config import Scenario  # noqa: E402
from netsim.runner import seed_sequence  # noqa: E402


def parse_overrides(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = yaml.safe_load(value)
    return out


def time_run(make: Any, scenario: Scenario, seed: np.random.SeedSequence
             ) -> tuple[float, float, int]:
    """CPU seconds to build and to run one replicate, and the number of people."""
    start = time.process_time()
    model = make(scenario, rng=np.random.default_rng(seed))
    built = time.process_time()
    model.run()
    done = time.process_time()
    n_people = len(model.agents)
    model.remove_all_agents()
    return built - start, done - built, n_people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating runs of each model per size up to 1,200 people")
    parser.add_argument("--sizes", default="12,23,45,90,190,385",
                        help="network.n_schools values, comma-separated")
    parser.add_argument("--full-up-to", type=int, default=2500,
                        help="largest population that runs the full horizon")
    parser.add_argument("overrides", nargs="*", help="dotted key=value settings (both models)")
    args = parser.parse_args()
    overrides = parse_overrides(args.overrides)
    sizes = [int(s) for s in args.sizes.split(",")]

    warm = load_scenario(overrides={**overrides, "network.n_schools": 3, "calendar.years": 0.2})
    for make in (LearningNetworkModel, ReferenceModel):  # imports, caches, compiled kernels
        time_run(make, warm, seed_sequence(warm, 0))

    print(f"netsim against the idiomatic-Mesa reference, same scenario, CPU seconds "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    header = (f"{'people':>7} {'schools':>7} {'weeks':>5} {'runs':>4} | {'netsim build':>12} "
              f"{'ms/week':>9} | {'ref build':>9} {'ms/week':>9} | {'ratio/week':>10} "
              f"{'ratio/replicate':>15}")
    print(header)
    print("-" * len(header))
    curve = []
    for n_schools in sizes:
        settings = {**overrides, "network.n_schools": n_schools}
        scenario = load_scenario(overrides=settings)
        people = round(n_schools * (2 + scenario.network.teachers_per_school))
        if people > args.full_up_to:
            scenario = load_scenario(overrides={**settings, "calendar.years": 1})
        weeks = scenario.n_weeks
        repeats = args.repeats if people <= 1200 else 1
        times: dict[str, list[tuple[float, float]]] = {"netsim": [], "reference": []}
        for r in range(repeats):  # alternating, each pair on the same seed
            seed = seed_sequence(scenario, r)
            for name, make in (("netsim", LearningNetworkModel), ("reference", ReferenceModel)):
                build, run, people = time_run(make, scenario, seed)
                times[name].append((build, run))
        med = {name: (statistics.median(b for b, _ in t), statistics.median(x for _, x in t))
               for name, t in times.items()}
        per_week = {name: run / weeks for name, (_, run) in med.items()}
        whole = {name: build + run for name, (build, run) in med.items()}
        ratio = per_week["reference"] / per_week["netsim"]
        ratio_whole = whole["reference"] / whole["netsim"]
        curve.append((people, ratio))
        print(f"{people:>7} {n_schools:>7} {weeks:>5} {repeats:>4} | "
              f"{med['netsim'][0]:>11.3f}s {1e3 * per_week['netsim']:>9.3f} | "
              f"{med['reference'][0]:>8.3f}s {1e3 * per_week['reference']:>9.2f} | "
              f"{ratio:>9.1f}x {ratio_whole:>14.1f}x", flush=True)

    print("\nratio curve (reference CPU time per simulated week / netsim's):")
    top = max(r for _, r in curve)
    for people, ratio in curve:
        bar = "#" * max(1, round(50 * ratio / top))
        print(f"{people:>7} people {ratio:>7.1f}x  {bar}")
    near = min(curve, key=lambda pr: abs(pr[0] - 1200))
    print(f"\nat {near[0]} people netsim is {near[1]:.0f}x faster per simulated week than the "
          "reference (issue 14 expects 100x or more at about 1,200 people)")


if __name__ == "__main__":
    main()

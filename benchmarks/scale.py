"""Scale: one replicate with about 100,000 agents over 3 school years.

Targets (issue 2): <= 30 s wall time and <= 4 GB peak memory on a 2-core machine.

The scenario is the default resource-teacher network with ``network.n_schools`` raised so that
there are about 100,000 people (3,850 schools of on average 24 teachers, one leader and one
resource teacher each, plus the facilitators); every other setting keeps its default.

    python benchmarks/scale.py [--schools 3850] [key=value ...]

Prints the number of agents, the time to build the model, the time to run it, the total, and
the peak resident memory of the process (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which
includes the interpreter and the imported libraries).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np
import yaml

from netsim import LearningNetworkModel, load_scenario
from netsim.runner import seed_sequence


def peak_memory_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is KB on Linux, B on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024**2 if sys.platform == "darwin" else rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=3850, help="network.n_schools")
    parser.add_argument("--years", type=float, default=3.0, help="calendar.years")
    parser.add_argument("overrides", nargs="*", help="dotted key=value settings")
    args = parser.parse_args()
    overrides = {"network.n_schools": args.schools, "calendar.years": args.years}
    for item in args.overrides:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    scenario = load_scenario("resource_teacher_network", overrides)
    before = peak_memory_mb()

    start, start_cpu = time.perf_counter(), time.process_time()
    model = LearningNetworkModel(scenario, rng=np.random.default_rng(seed_sequence(scenario, 0)))
    built = time.perf_counter()
    model.run()
    summary = model.summary()
    done, cpu = time.perf_counter(), time.process_time() - start_cpu

    print(f"agents: {model.state.n_people:,} in {model.state.n_schools:,} schools, "
          f"{scenario.n_weeks} weeks ({scenario.calendar.years:g} years)")
    print(f"build: {built - start:.1f} s   run: {done - built:.1f} s   "
          f"total: {done - start:.1f} s   (target <= 30 s); CPU time {cpu:.1f} s")
    print(f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall "
          "times are only comparable at a load below the number of cores)")
    print(f"peak memory: {peak_memory_mb():,.0f} MB (after imports: {before:,.0f} MB; "
          f"target <= 4,096 MB)")
    print(f"final adoption (all staff): {summary['adoption_all']:.3f}")


if __name__ == "__main__":
    main()

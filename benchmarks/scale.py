"""Scale: one replicate of a large population over 3 school years, built and run.

Cases (each run in a fresh process, so that peak memory is per case):

- ``100k`` (default): the default resource-teacher network with ``network.n_schools`` raised so
  that there are about 100,000 people (3,850 schools of on average 24 teachers, one leader and
  one resource teacher each, plus the facilitators); every other setting keeps its default.
  Targets (issue 14): <= about 2.5 s wall time once the mechanisms are compiled (issue 2:
  <= 30 s) and <= 4 GB peak memory.
- ``--preset national_norway`` / ``--preset national_sweden``: a national-scale preset as it
  stands (every school of the country, one network per municipality; see
  ``configs/scenario/national_*.yaml``). Target (issue 14): under a minute and under 4 GB.
- ``--preset all``: the 100,000-agent case and every ``national_*`` preset, one after another.

    python benchmarks/scale.py [--preset 100k|NAME|all] [--schools 3850] [--years 3]
                               [key=value ...]

For each case it prints the number of agents, the time to build the model (population,
state, Mesa agents, calendar), the time to run it, the total, the process CPU time, the
machine's load and the peak resident memory of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes the interpreter and the imported
libraries). ``--schools`` applies to the 100,000-agent case only; ``--years`` and the dotted
settings apply to every case.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import yaml

#: the 100,000-agent case: the default preset with this many schools
SCHOOLS_100K = 3850


def peak_memory_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is KB on Linux, B on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024**2 if sys.platform == "darwin" else rss / 1024


def national_presets() -> list[str]:
    """The national-scale presets in configs/scenario."""
    from netsim.config import list_presets

    return [p for p in list_presets() if p.startswith("national_")]


def run_case(preset: str, schools: int, years: float, settings: list[str]) -> None:
    """Build and run one replicate of ``preset`` (``100k``: the default preset with
    ``schools`` schools) in this process and print its figures."""
    import numpy as np

    from netsim import LearningNetworkModel, load_scenario
    from netsim.runner import seed_sequence

    overrides: dict[str, object] = {"calendar.years": years}
    name = "resource_teacher_network" if preset == "100k" else preset
    if preset == "100k":
        overrides["network.n_schools"] = schools
    for item in settings:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    scenario = load_scenario(name, overrides)
    before = peak_memory_mb()

    start, start_cpu = time.perf_counter(), time.process_time()
    model = LearningNetworkModel(scenario, rng=np.random.default_rng(seed_sequence(scenario, 0)))
    built = time.perf_counter()
    model.run()
    summary = model.summary()
    done, cpu = time.perf_counter(), time.process_time() - start_cpu

    target = "<= 60 s" if preset.startswith("national_") else "<= 2.5 s compiled, 30 s before"
    areas = scenario.network.n_areas
    print(f"== {preset}" + (f" ({name}, {schools:,} schools)" if preset == "100k" else ""))
    print(f"agents: {model.state.n_people:,} in {model.state.n_schools:,} schools"
          + (f" and {areas:,} areas" if areas else "")
          + f", {scenario.n_weeks} weeks ({scenario.calendar.years:g} years)")
    print(f"build: {built - start:.2f} s   run: {done - built:.1f} s   "
          f"total: {done - start:.1f} s   (target {target}); CPU time {cpu:.1f} s")
    print(f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall "
          "times are only comparable at a load below the number of cores)")
    print(f"peak memory: {peak_memory_mb():,.0f} MB (after imports: {before:,.0f} MB; "
          f"target <= 4,096 MB)")
    print(f"final adoption (all staff): {summary['adoption_all']:.3f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="100k",
                        help="100k (default), a preset name such as national_norway, or all")
    parser.add_argument("--schools", type=int, default=SCHOOLS_100K,
                        help="network.n_schools of the 100k case")
    parser.add_argument("--years", type=float, default=3.0, help="calendar.years")
    parser.add_argument("overrides", nargs="*", help="dotted key=value settings")
    args = parser.parse_args()
    if args.preset != "all":
        from netsim.config import ConfigError

        try:
            run_case(args.preset, args.schools, args.years, args.overrides)
        except ConfigError as err:
            print(f"scale.py: error: {err}", file=sys.stderr)
            return 2
        return 0
    # one process per case: ru_maxrss is the peak of the whole process
    for preset in ["100k", *national_presets()]:
        cmd = [sys.executable, __file__, "--preset", preset, "--schools", str(args.schools),
               "--years", str(args.years), *args.overrides]
        if subprocess.run(cmd, check=False).returncode:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

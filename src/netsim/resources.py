"""Up-front estimates of the memory and disk space a run needs, checked before it starts.

Sizes that pass every range check can still be far beyond a machine
(``network.n_schools=20000 network.teachers_per_school=500`` is ten million people): such a run
used to fill the memory for minutes and then die in NumPy's ``Unable to allocate``. The
estimate here is a linear model of the peak resident memory of one replicate, fitted on
measured runs (``ru_maxrss``, 1,187 to 208,589 people, collegial degree 6 to 40, netsim 0.1):

    bytes ≈ 260 MB + people × (400 + 75 × n_practices + 120 × tie ends per person)

where people ≈ n_schools × (teachers_per_school + 1 leader + resource_teachers_per_school) +
n_facilitators + n_areas, and tie ends per person = collegial_degree +
cross_school_informal_ties. It is accurate to about ±20 % on those runs (modelling choice: an
estimate, not a bound). A network read from ``network.file`` is sized by its loader, not here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from netsim.config import ConfigError, Scenario

__all__ = ["available_memory", "check_disk", "check_memory", "estimate_memory",
           "estimate_output", "estimate_people", "largest"]

_BASE_BYTES = 260e6  # interpreter, NumPy, SciPy, Mesa, polars loaded (measured ~205-250 MB)
_PER_PERSON = 400.0
_PER_PERSON_PRACTICE = 75.0
_PER_TIE_END = 120.0
_SERIES_COLUMNS_BYTES = 40 * 8
# share of the available memory a run may plan to use: the rest is left for temporaries the
# linear model does not see beyond its fitted range (1e6 people), the system and other
# programs (modelling choice; a run of 1e7 people, estimated at 15 GiB, was seen to fail with
# 22 GiB available)
_USABLE_SHARE = 0.5  # one weekly row, about 40 numeric columns (uncompressed)


def estimate_people(scenario: Scenario) -> int:
    """Expected number of people of a generated network (mean school size times schools)."""
    net = scenario.network
    per_school = net.teachers_per_school + 1 + net.resource_teachers_per_school
    return int(net.n_schools * per_school + net.n_facilitators + net.n_areas)


def estimate_memory(scenario: Scenario) -> int:
    """Estimated peak resident memory in bytes of one replicate of ``scenario``."""
    net = scenario.network
    people = estimate_people(scenario)
    tie_ends = net.collegial_degree + net.cross_school_informal_ties
    per_person = (_PER_PERSON + _PER_PERSON_PRACTICE * scenario.practices.n_practices
                  + _PER_TIE_END * tie_ends)
    return int(_BASE_BYTES + people * per_person)


def estimate_output(scenario: Scenario) -> int:
    """Estimated bytes a run writes (time series, summary, provenance, figure, report)."""
    rows = scenario.replicates * (scenario.n_weeks + 1)
    return int(300e3 + rows * _SERIES_COLUMNS_BYTES / 2)


def available_memory() -> tuple[int | None, int | None]:
    """(available, total) memory of this machine in bytes; None where it cannot be read."""
    available = total = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name in ("MemAvailable", "MemTotal"):
                    value = int(rest.split()[0]) * 1024
                    if name == "MemAvailable":
                        available = value
                    else:
                        total = value
    except (OSError, ValueError):
        pass
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = None
    return available, total


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


_SIZE_KEYS = {"network": ("n_schools", "teachers_per_school", "resource_teachers_per_school",
                          "n_facilitators", "n_areas", "collegial_degree",
                          "cross_school_informal_ties"),
              "practices": ("n_practices",)}


def largest(scenarios: Sequence[Scenario]) -> Scenario:
    """A scenario at least as large as every one of ``scenarios`` (each size at its maximum),
    so that a sweep whose keys are each fine alone but too large together is caught: the
    estimate grows with every size."""
    first = scenarios[0]
    parts = {}
    for group, names in _SIZE_KEYS.items():
        values = {n: max(getattr(getattr(s, group), n) for s in scenarios) for n in names}
        parts[group] = dataclasses.replace(getattr(first, group), **values)
    return dataclasses.replace(first, **parts)


def check_memory(scenario: Scenario, processes: int = 1) -> None:
    """Refuse a scenario whose estimated memory (times the processes that run at once) exceeds
    half of what this machine has available. ``NETSIM_MEMORY_CHECK=off`` skips the check.

    Args:
        scenario: the scenario of one job.
        processes: jobs running at the same time (a parallel launcher's workers).

    Raises:
        ConfigError: naming the sizes, the estimate and the machine's memory.
    """
    if scenario.network.file is not None or os.environ.get("NETSIM_MEMORY_CHECK") == "off":
        return
    need = estimate_memory(scenario) * max(1, processes)
    available, total = available_memory()
    limit = available if available is not None else total
    if limit is None or need <= _USABLE_SHARE * limit:
        return
    net = scenario.network
    raise ConfigError(
        f"network.n_schools = {net.n_schools} with network.teachers_per_school = "
        f"{net.teachers_per_school} (collegial_degree {net.collegial_degree}) makes about "
        f"{estimate_people(scenario):,} people, which needs about {_gib(need)} of memory"
        + (f" ({processes} jobs at once)" if processes > 1 else "") + "; this "
        f"machine has {_gib(limit)} available (a run may plan to use "
        f"{_USABLE_SHARE:.0%} of it)"
        + (f" ({_gib(total)} in all)" if total else "")
        + "; allowed: a network that fits (fewer schools or teachers per school), fewer jobs at "
        "once, or a machine with more memory (NETSIM_MEMORY_CHECK=off runs it anyway)")


def check_disk(folder: str | Path, scenarios: Sequence[Scenario], n_jobs: int = 1) -> None:
    """Refuse a run when the disk holding ``folder`` has less free space than it will write.

    Raises:
        ConfigError: naming the folder, the free space and the estimate.
    """
    path = Path(folder).expanduser().absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return
    need = max((estimate_output(s) for s in scenarios), default=0) * max(1, n_jobs)
    if free < need:
        mib = f"{math.ceil(need / 2**20)} MiB"
        raise ConfigError(f"the disk of {str(folder)!r} is full: {free / 2**20:.1f} MiB free, and "
                          f"this run writes about {mib}; allowed: an output folder on a disk "
                          "with room (hydra.run.dir=..., hydra.sweep.dir=...), or free space")

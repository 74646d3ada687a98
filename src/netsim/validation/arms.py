"""Shared machinery of the validation suite: result rows, arms of replicates with common random
numbers, paired intervals, graded arms and the outcomes read at the end of each school year.

An *arm* is the default scenario (``resource_teacher_network``) with some overrides, run for
``replicates`` replicates. Replicate ``r`` of every arm uses the seeds of ``netsim run``
(:func:`netsim.runner.seed_sequence`), so with common random numbers (the default) replicate
``r`` of two arms shares one random stream and arms are compared by paired differences with a
two-sided 95 % t interval. Arms shared by several checks in one suite run are simulated once.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from netsim.config import Scenario, load_scenario, scenario_to_dict
from netsim.metrics import convergence, innovations, practice_convergence
from netsim.model import LearningNetworkModel
from netsim.runner import interval, seed_sequence
from netsim.state import SWITCH_MARGIN, Origin, Stage, State

__all__ = ["DEFAULT_SEED", "FAIL", "NOT_REPRODUCED_STATUS", "PASS", "PRESET", "Check",
           "CheckResult", "Graded", "arm", "default_jobs", "fmt", "graded", "paired", "run_arm",
           "year_snapshot"]

PASS, FAIL, NOT_REPRODUCED_STATUS = "PASS", "FAIL", "NOT REPRODUCED"
DEFAULT_SEED = 20261123
PRESET = "resource_teacher_network"


@dataclass(frozen=True)
class CheckResult:
    """One row of the validation table."""

    name: str
    group: str
    what: str
    source: str
    target: str
    measured: float
    low: float
    high: float
    status: str
    detail: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass(frozen=True)
class Check:
    """A validation check: ``run(full, seed)`` returns its result row."""

    name: str
    group: str
    what: str
    source: str
    run: Callable[[bool, np.random.SeedSequence], CheckResult]
    fast: bool = True


# --------------------------------------------------------------------------------------------
# outcomes at the end of each school year


def _spread_versions(st: State) -> tuple[float, float]:
    """Versions made in the network (adapted or co-created during the run, not initial) that
    are in use at two or more schools: (all, co-created). Unlike
    :func:`netsim.metrics.innovations` this does not ask for a better true quality, which
    nobody in the field reports measured (seed 001 §5.2.4: three schools "videreutviklet og
    prøvde ut" the pupil-council seminar four others had made)."""
    v = st.versions
    if len(v) == 0:
        return 0.0, 0.0
    origin = np.asarray(v.origin)
    staff = st.staff & (st.school >= 0)
    r, c = np.nonzero((st.stage == Stage.ADOPTED) & staff[:, None] & (st.version >= 0))
    if r.size == 0:
        return 0.0, 0.0
    pairs = np.unique(np.stack([st.version[r, c], st.school[r]], axis=1), axis=0)
    schools = np.bincount(pairs[:, 0], minlength=len(v))
    made = (origin != int(Origin.INITIAL)) & (schools >= 2)
    return float(made.sum()), float((made & (origin == int(Origin.COCREATION))).sum())


def year_snapshot(model: LearningNetworkModel) -> dict[str, float]:
    """Outcomes of the state at the end of a school year that the weekly series lacks."""
    st = model.state
    staff = st.staff & (st.school >= 0)
    colleagues = staff & ~st.member
    adopted = (st.stage == Stage.ADOPTED) & staff[:, None]
    n_sch = st.n_schools
    reached = np.zeros(n_sch, dtype=bool)
    rows = np.flatnonzero(adopted.any(axis=1) & colleagues)
    reached[st.school[rows]] = True
    trying = np.zeros(n_sch, dtype=bool)
    rows = np.flatnonzero(((st.stage == Stage.TRYING) | (st.stage == Stage.ADOPTED)).any(axis=1)
                          & colleagues)
    trying[st.school[rows]] = True
    n_inn, n_inn_co = innovations(st)
    v = st.versions
    if len(v):
        quality, parent = np.asarray(v.quality), np.asarray(v.parent)
        made = (parent >= 0) & (np.asarray(v.origin) != int(Origin.INITIAL))
        made[made] = quality[made] > quality[parent[made]] + SWITCH_MARGIN
        n_improved = float(made.sum())
    else:
        n_improved = 0.0
    spread, spread_co = _spread_versions(st)
    n_colleagues = max(int(colleagues.sum()), 1)
    knows = (st.knowledge >= model.scenario.trial.min_knowledge) & colleagues[:, None]
    return {
        "convergence": convergence(st),
        "convergence_lineage": convergence(st, lineage=True),
        "practice_similarity": practice_convergence(st),
        "schools_reached_n": float(reached.sum()),
        "schools_trying": float(trying.sum()),
        "colleagues_knowing": float(knows.any(axis=1).sum()),
        "colleagues_knowing_share": float(knows.any(axis=1).sum() / n_colleagues),
        "members": float((staff & st.member).sum()),
        "improvements": n_improved,
        "spread_versions": spread,
        "spread_cocreated": spread_co,
        "innovations": float(n_inn),
        "innovations_cocreated": float(n_inn_co),
        "practices_in_use": float(adopted.any(axis=0).sum()),
    }


def _extras(model: LearningNetworkModel) -> dict[str, float]:
    """Outcomes at the end of the run beyond the standard summary."""
    st = model.state
    members = st.staff & st.member
    expert = st.expert_known
    return {
        "knowledge_expert_members": float(st.knowledge[np.ix_(members, expert)].mean())
        if members.any() and expert.any() else math.nan,
    }


SERIES_AT_YEAR_END = ("adoption_all", "adoption_colleagues", "adoption_members",
                      "trust_members", "strong_ties_per_member", "version_diversity",
                      "practice_adoption", "schools_changed", "knowledge_all", "network_alive")


def _run_one(args: tuple[Scenario, int]) -> dict[str, float]:
    """One replicate: the summary, the series columns and :func:`year_snapshot` at the end of
    each school year (``<name>_y<k>``), development-time sessions and :func:`_extras`."""
    sc, r = args
    wpy = sc.calendar.weeks_per_year
    model = LearningNetworkModel(sc, rng=np.random.default_rng(seed_sequence(sc, r)))
    row: dict[str, float] = {}
    year = 0
    while model.week < sc.n_weeks:
        model.run_for(min(wpy, sc.n_weeks - model.week))
        year += 1
        for k, v in year_snapshot(model).items():
            row[f"{k}_y{year}"] = v
    model.running = False
    series = model.series()
    row.update(model.summary())
    for y in range(1, year + 1):
        w = min(y * wpy, series["week"].size - 1)
        for col in SERIES_AT_YEAR_END:
            if col in series:
                row[f"{col}_y{y}"] = float(series[col][w])
        row[f"sessions_y{y}"] = float(series["sessions"][1:w + 1].sum())
    row["adoption_all_y0"] = float(series["adoption_all"][0])
    row["sessions_total"] = float(series["sessions"].sum())
    row["years"] = float(year)
    row.update(_extras(model))
    model.remove_all_agents()
    return row


def default_jobs() -> int:
    """Worker processes for the facts: the usable CPUs, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        n = os.cpu_count() or 1
    return max(1, min(4, n))


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started from a clean server process (forkserver) where available, so
    no thread of the parent (polars, BLAS) is copied into a forked child; else spawn."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method))


def run_arm(overrides: Mapping[str, Any], replicates: int, seed: int = DEFAULT_SEED,
            preset: str = PRESET, jobs: int = 1,
            pool: ProcessPoolExecutor | None = None) -> dict[str, np.ndarray]:
    """Run replicates of one arm; return outcome -> per-replicate values.

    The outcomes are the standard summary (:func:`netsim.metrics.summarise`) and the values at
    the end of each school year (``<name>_y<k>``, see :func:`_run_one`). ``jobs > 1`` runs
    replicates in worker processes, or in ``pool`` if given (same results either way).
    """
    sc = load_scenario(preset, {**overrides, "seed": seed})
    tasks = [(sc, r) for r in range(replicates)]
    if pool is not None:
        rows = list(pool.map(_run_one, tasks))
    elif jobs > 1 and replicates > 1:
        with _pool(min(jobs, replicates)) as own:
            rows = list(own.map(_run_one, tasks))
    else:
        rows = [_run_one(t) for t in tasks]
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return {k: np.array([row.get(k, math.nan) for row in rows], dtype=float) for k in keys}


class ArmCache:
    """Arms shared by several checks in one suite run are simulated once."""

    def __init__(self, seed: int = DEFAULT_SEED, jobs: int = 1) -> None:
        self.seed = seed
        self.jobs = jobs
        self.pool: ProcessPoolExecutor | None = None
        self.store: dict[tuple[Any, ...], dict[str, np.ndarray]] = {}

    def get(self, overrides: Mapping[str, Any], replicates: int) -> dict[str, np.ndarray]:
        # keyed on the resolved scenario: an override equal to the default is the same arm
        resolved = scenario_to_dict(load_scenario(PRESET, {**overrides, "seed": self.seed}))
        key = (json.dumps(resolved, sort_keys=True, default=str), replicates)
        if key not in self.store:
            if self.pool is None and self.jobs > 1:
                self.pool = _pool(self.jobs)  # one pool for the whole suite
            self.store[key] = run_arm(overrides, replicates, self.seed, pool=self.pool)
        return self.store[key]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


CACHE: list[ArmCache] = []
"""The cache of the running suite (set by :func:`netsim.validation.checks.run_checks`)."""


def arm(overrides: Mapping[str, Any], replicates: int) -> dict[str, np.ndarray]:
    """Replicates of the default scenario with ``overrides`` (cached within one suite run)."""
    if not CACHE:
        CACHE.append(ArmCache(DEFAULT_SEED))
    return CACHE[-1].get(overrides, replicates)


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean paired difference b - a and its 95 % t interval."""
    return interval(np.asarray(b, dtype=float) - np.asarray(a, dtype=float))


def fmt(values: np.ndarray | tuple[float, float, float], digits: int = 3) -> str:
    """``mean [low, high]`` of per-replicate values (or of an interval triple)."""
    m, lo, hi = values if isinstance(values, tuple) else interval(values)
    return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


@dataclass(frozen=True)
class Graded:
    """An outcome over graded arms of one lever, paired by replicate (common random numbers).

    ``values`` are the lever's values in increasing order; ``data[i]`` the per-replicate
    outcome at ``values[i]``."""

    key: str
    outcome: str
    values: tuple[float, ...]
    data: tuple[np.ndarray, ...]

    def means(self) -> list[tuple[float, float, float]]:
        return [interval(d) for d in self.data]

    def steps(self) -> list[tuple[float, float, float]]:
        """Paired differences between neighbouring arms (higher minus lower value)."""
        return [paired(a, b) for a, b in zip(self.data[:-1], self.data[1:])]

    def total(self) -> tuple[float, float, float]:
        """Paired difference between the last and the first arm."""
        return paired(self.data[0], self.data[-1])

    def monotone(self, sign: int) -> bool:
        """The last arm differs from the first in direction ``sign`` (95 % interval excludes 0)
        and no step between neighbours goes the other way (its interval excludes 0)."""
        t = self.total()
        whole = t[1] > 0 if sign > 0 else t[2] < 0
        reversal = any((s[2] < 0) if sign > 0 else (s[1] > 0) for s in self.steps())
        return bool(whole and not reversal)

    def saturation(self) -> tuple[float, float, float]:
        """Slope of the last step minus slope of the first step (per unit of the lever),
        paired by replicate: negative when the effect flattens towards the top."""
        v, d = self.values, self.data
        first = (d[1] - d[0]) / (v[1] - v[0])
        last = (d[-1] - d[-2]) / (v[-1] - v[-2])
        return interval(last - first)

    def argmax(self) -> int:
        return int(np.argmax([m for m, _, _ in self.means()]))

    def describe(self, digits: int = 3) -> str:
        arms = "; ".join(f"{v:g}: {fmt(m, digits)}" for v, m in zip(self.values, self.means()))
        steps = ", ".join(f"{fmt(s, digits)}" for s in self.steps())
        return f"{self.outcome} by {self.key} = {arms}; steps {steps}"


def graded(key: str, values: Sequence[float], outcome: str, base: Mapping[str, Any],
           replicates: int) -> Graded:
    """``outcome`` at each value of ``key`` (other settings: ``base``), paired by replicate."""
    data = tuple(arm({**base, key: v}, replicates)[outcome] for v in values)
    return Graded(key, outcome, tuple(float(v) for v in values), data)

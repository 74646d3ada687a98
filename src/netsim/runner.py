"""Run a scenario with replicates and collect the results (no Hydra needed).

Seeds. Replicate ``r`` of a scenario draws from one ``numpy.random.Generator`` made from
``SeedSequence(scenario.seed, spawn_key=(stream, r))``. The stream is the scenario's
*point key* (:func:`point_key`, a stable hash of every model setting, independent of the order
keys are written or swept in) when ``common_random_numbers`` is false, and 0 when it is true
(the default): then replicate ``r`` of every arm of a comparison uses the same random stream,
so paired differences between arms cancel the noise the arms share (common random numbers).
The point key is recorded with every run either way.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from netsim.config import Scenario, scenario_to_dict, validate
from netsim.metrics import SERIES_COLUMNS
from netsim.model import LearningNetworkModel

__all__ = ["RUN_KEYS", "RunResult", "interval", "point_key", "run_replicate", "run_scenario",
           "seed_sequence"]

# settings that say how to run, not what to simulate: left out of the point key
RUN_KEYS = ("name", "description", "seed", "replicates", "common_random_numbers")


def point_key(scenario: Scenario) -> int:
    """A stable 63-bit key of the scenario's model settings (order-independent).

    >>> point_key(Scenario()) == point_key(Scenario(replicates=3))
    True
    """
    data = {k: v for k, v in scenario_to_dict(scenario).items() if k not in RUN_KEYS}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def seed_sequence(scenario: Scenario, replicate: int) -> np.random.SeedSequence:
    """The SeedSequence of one replicate (see the module docstring)."""
    stream = 0 if scenario.common_random_numbers else point_key(scenario)
    return np.random.SeedSequence(scenario.seed, spawn_key=(stream, replicate))


@dataclass
class RunResult:
    """Results of the replicates of one scenario.

    Attributes:
        scenario: what was run.
        summary: one row per replicate (outcomes in :data:`netsim.metrics.SUMMARY_COLUMNS`,
            plus ``replicate`` and ``point_key``).
        series: one row per replicate and week (:data:`netsim.metrics.SERIES_COLUMNS`).
        cascades: textbook rules only: one row per replicate, cascade and week
            (:func:`netsim.diffusion_outcomes.cascade_table`); None otherwise.
    """

    scenario: Scenario
    summary: pl.DataFrame
    series: pl.DataFrame
    cascades: pl.DataFrame | None = None


def run_replicate(scenario: Scenario, replicate: int, cascades: list[pl.DataFrame] | None = None
                  ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Run one replicate; return its summary row and weekly series (and append its
    per-cascade table to ``cascades`` when given and the rule is a textbook rule)."""
    return _run_replicate(scenario, replicate, cascades, validated=False)


def _run_replicate(scenario: Scenario, replicate: int, cascades: list[pl.DataFrame] | None,
                   validated: bool) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed_sequence(scenario, replicate))
    model = LearningNetworkModel(scenario, rng=rng, validated=validated)
    model.run()
    summary, series = model.summary(), model.series()
    if cascades is not None and model.diffusion is not None:
        from netsim.diffusion_outcomes import cascade_table

        cascades.append(cascade_table(model, replicate))
    model.remove_all_agents()
    return summary, series


def run_scenario(scenario: Scenario, replicates: int | None = None,
                 replicate_ids: Sequence[int] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 scenario_of: Callable[[int], Scenario] | None = None) -> RunResult:
    """Run ``replicates`` replicates (default ``scenario.replicates``) of ``scenario``.

    Args:
        scenario: the scenario (validated here).
        replicates: how many replicates, numbered 0..replicates-1.
        replicate_ids: explicit replicate numbers instead (e.g. to extend a run).
        progress: called as ``progress(done, total)`` after each replicate.
        scenario_of: the scenario replicate ``r`` runs instead (an ensemble member's parameters
            on top of ``scenario``: :mod:`netsim.ensemble`); the result records ``scenario``.
    """
    validate(scenario)
    if replicate_ids is None:
        n = scenario.replicates if replicates is None else int(replicates)
        replicate_ids = range(n)
    ids = list(replicate_ids)
    key = point_key(scenario)
    rows, weekly = [], []
    cascades: list[pl.DataFrame] = []
    for done, r in enumerate(ids, start=1):
        run = scenario if scenario_of is None else scenario_of(r)
        summary, series = _run_replicate(run, r, cascades, validated=scenario_of is None)
        rows.append({"replicate": r, **summary})
        weekly.append({"replicate": np.full(series["week"].size, r),
                       **{c: series[c] for c in SERIES_COLUMNS}})
        if progress is not None:
            progress(done, len(ids))
    summary_df = pl.DataFrame(rows).with_columns(pl.lit(key, dtype=pl.UInt64).alias("point_key"))
    # one frame from whole columns (a frame per replicate cost about as much as a tenth of a
    # default replicate)
    series_df = pl.DataFrame({c: np.concatenate([w[c] for w in weekly]) for c in weekly[0]}
                             ) if weekly else pl.DataFrame()
    series_df = series_df.with_columns(pl.col("week").cast(pl.Int32),
                                       pl.col("replicate").cast(pl.Int32))
    return RunResult(replace(scenario, replicates=len(ids)), summary_df, series_df,
                     pl.concat(cascades) if cascades else None)


def interval(values: np.ndarray | Sequence[float], level: float = 0.95) -> tuple[float, float,
                                                                                   float]:
    """Mean and two-sided t confidence interval of the mean (NaNs dropped).

    Returns (mean, low, high); the interval is (nan, nan) with fewer than two values.

    >>> m, lo, hi = interval([1.0, 2.0, 3.0])
    >>> round(m, 3), round(lo, 3), round(hi, 3)
    (2.0, -0.484, 4.484)
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if v.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half

"""Comparisons of arms of a sweep: means, paired differences from a baseline, cost.

Works on collected results only (the tables ``netsim collect`` writes to
``<sweep_dir>/collected/``): one row per run (``summary``) with the columns ``job``, ``arm``,
``point_key``, ``replicate``, the run's outcomes (:data:`netsim.metrics.SUMMARY_COLUMNS`) and
one column per swept or overridden setting, named as the config key.

Statistics (all intervals two-sided, 95 % by default):

* **Mean of an arm**: t-interval over the replicates where the outcome is defined,
  ``mean ± t(0.975, n-1) · sd / sqrt(n)``.
* **Paired difference from the baseline** (arm minus baseline): replicate ``r`` of every arm is
  run on the same random stream when ``common_random_numbers`` is on (see
  :mod:`netsim.runner`), so the rows are paired by ``replicate`` and the interval is the
  t-interval of the per-replicate differences ``d_r = arm_r - baseline_r``. The noise the arms
  share cancels, so the interval is much narrower than an unpaired one for the same runs.
* **Unpaired (Welch) difference**: used instead when common random numbers were off, the base
  seeds differ, or the arm's and the baseline's replicate numbers are not the same set;
  ``se = sqrt(s_a²/n_a + s_b²/n_b)`` with Welch-Satterthwaite degrees of freedom.
* **Runs on an ensemble** (``netsim run -m ... ensemble=FILE``, :mod:`netsim.ensemble`):
  replicate ``r`` of every arm ran on the same member, drawn by weight, so the pairs are pairs
  within one plausible world and the per-replicate differences vary with the world as well as
  with chance: the paired interval is the interval of the effect averaged over the plausible
  worlds (the posterior predictive mean), wider than in any one world. Pairing also requires
  the same member of the same ensemble file per replicate (``ensemble_member``); an arm that ran
  on other members (another ensemble or seed, or none) gets the unpaired interval.
* **Outcomes that can be undefined** (``time_to_50`` when a run never reaches 50 %): the mean
  is over the replicates that reached it (``n_valid`` of ``n``) and the paired difference over
  the replicates where both arms reached it (``n_pairs``).

Percentages are reported as percentages (the run tables store shares 0-1; the scale of
:data:`netsim.report.KEY_OUTCOMES` is applied), so differences of them are percentage points.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from netsim.metrics import SERIES_COLUMNS, SUMMARY_COLUMNS
from netsim.report import KEY_OUTCOMES

__all__ = [
    "ARM_COLUMNS",
    "DEFAULT_OUTCOMES",
    "DIRECTION",
    "MONEY",
    "CompareError",
    "Comparison",
    "OutcomeInfo",
    "WhatIf",
    "arm_table",
    "compare",
    "condition_columns",
    "condition_label",
    "frames_from_runs",
    "load_collected",
    "mean_interval",
    "outcome_info",
    "paired_interval",
    "population_check",
    "random_numbers_status",
    "resolve_baseline",
    "tradeoff_words",
    "what_if",
    "welch_interval",
    "with_money_cost",
]

log = logging.getLogger(__name__)

# bookkeeping columns of the collected tables (not outcomes, not conditions); runs on an
# ensemble record the member each replicate ran on (netsim.ensemble.MEMBER_COLUMN)
ARM_COLUMNS = ("job", "arm", "point_key", "replicate", "ensemble_member")

# the outcomes compared when none are named: the planner's questions (reach, speed, network
# health, cost)
DEFAULT_OUTCOMES = ("adoption_all", "adoption_colleagues", "adoption_members", "schools_changed",
                    "time_to_50", "trust_members", "network_alive", "person_hours",
                    "adoption_per_100_person_hours")
# always computed: the cost of an arm and what it buys per person-hour
COST_OUTCOMES = ("person_hours", "adoption_per_100_person_hours")

# settings the collected table may carry that say how to run, not what to simulate
_RUN_SETTINGS = ("replicates", "seed", "common_random_numbers", "name", "description",
                 "base_seed")

# short names of common sweep keys for tables and figures; other keys use the config's doc
_CONDITION_WORDS = {
    "scenario": "network design",
    "leader_participation": "leader participation (chance a leader attends)",
    "formality": "formality of the network",
    "meeting_interval_weeks": "weeks between gatherings",
    "trust.initial": "initial trust between members",
    "trust.growth": "trust growth per shared session",
    "trust.decay": "trust decay per week without contact",
    "network.n_schools": "number of schools",
    "network.n_facilitators": "number of facilitators",
    "home.dev_time_allocation": "share of development time for network work",
    "motivation.owner_commitment": "school owner's commitment",
    "turnover.annual_rate": "staff turnover per year",
    "calendar.years": "horizon (school years)",
}


# Which way is better, per outcome: +1 higher is better, -1 lower is better, 0 neither (a
# change is reported, not judged). A planner's reading (modelling choice): more adoption,
# trust, surviving networks and adopters per hour are better; more hours, money, weeks to
# reach a share and inequality between schools are worse; the number of versions or posts is
# neither.
DIRECTION: dict[str, int] = {
    "adoption_members": 1, "adoption_colleagues": 1, "adoption_all": 1, "practice_adoption": 1,
    "knowledge_all": 1, "schools_changed": 1, "time_to_25": -1, "time_to_50": -1,
    "school_inequality": -1, "trust_members": 1, "strong_ties_per_member": 1,
    "cocreation_groups_mean": 1, "version_quality": 1, "version_diversity": 0,
    "network_alive": 1, "weeks_alive": 1, "posts_total": 0, "person_hours": -1,
    "money_cost": -1, "adoption_per_100_person_hours": 1, "innovations": 1,
}

# the money-cost column added by :func:`with_money_cost` (person-hours x a wage rate)
MONEY = "money_cost"


class CompareError(ValueError):
    """A comparison that cannot be made (bad baseline, outcome or folder); the message says
    what was wrong and what is allowed."""


@dataclass(frozen=True)
class OutcomeInfo:
    """How to show one outcome.

    Attributes:
        column: the result column.
        label: words for a table row.
        short: words for a figure axis, with the unit.
        unit: unit of the (scaled) value: ``%``, ``weeks``, ``person-hours`` or ``""``.
        diff_unit: unit of a difference (``percentage points`` for ``%``).
        scale: factor from the stored value to the shown one (100 for shares).
        fmt: format of a shown value.
        better: +1 when a higher value is better, -1 when lower is better, 0 when neither
            (:data:`DIRECTION`).
    """

    column: str
    label: str
    short: str
    unit: str
    diff_unit: str
    scale: float
    fmt: str
    better: int = 0


_SHORT = {
    "adoption_members": "adoption, network members",
    "adoption_colleagues": "adoption, colleagues at home",
    "adoption_all": "adoption, all staff",
    "schools_changed": "schools that changed practice",
    "time_to_25": "weeks to 25 % adoption",
    "time_to_50": "weeks to 50 % adoption",
    "trust_members": "mean cross-school trust",
    "network_alive": "network alive at the end",
    "person_hours": "cost",
    "adoption_per_100_person_hours": "adopters per 100 person-hours",
}


def outcome_info(column: str, currency: str = "") -> OutcomeInfo:
    """Display information of ``column`` (from :data:`netsim.report.KEY_OUTCOMES` if listed).

    ``currency`` names the unit of the money cost (:data:`MONEY`).

    >>> outcome_info("adoption_all").unit, outcome_info("adoption_all").scale
    ('%', 100)
    >>> outcome_info("person_hours").better
    -1
    """
    better = DIRECTION.get(column, 0)
    if column == MONEY:
        unit = currency or "money"
        return OutcomeInfo(column, f"cost in money ({unit})", f"cost ({unit})", unit, unit, 1,
                           "{:,.0f}", better)
    for col, label, scale, fmt in KEY_OUTCOMES:
        if col == column:
            if scale == 100:
                unit, diff_unit = "%", "percentage points"
            elif col.startswith("time_to"):
                unit, diff_unit = "weeks", "weeks"
            elif col == "person_hours":
                unit, diff_unit = "person-hours", "person-hours"
            else:
                unit = diff_unit = ""
            short = _SHORT.get(col, label.split(" (")[0])
            suffix = {"%": " (%)", "person-hours": " (person-hours)"}
            return OutcomeInfo(col, label, short + suffix.get(unit, ""), unit, diff_unit,
                               scale, fmt, better)
    return OutcomeInfo(column, column.replace("_", " "), column.replace("_", " "), "", "", 1,
                       "{:.3g}", better)


def condition_label(key: str) -> str:
    """Words for a swept setting (``meeting_interval_weeks`` -> ``weeks between gatherings``).

    Uses a short list of common keys, then the description in the config schema, then the key.
    """
    if key in _CONDITION_WORDS:
        return _CONDITION_WORDS[key]
    from netsim.config import Scenario

    cls: Any = Scenario
    meta: Mapping[str, Any] = {}
    for part in key.split("."):
        if not dataclasses.is_dataclass(cls):
            return key
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if part not in fields:
            return key
        meta = fields[part].metadata
        cls = typing.get_type_hints(cls).get(part)
    return str(meta.get("doc") or key)


# --------------------------------------------------------------------------------------------
# intervals


def _t(level: float, df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2, df))


def mean_interval(values: np.ndarray | Sequence[float], level: float = 0.95
                  ) -> tuple[float, float, float, int]:
    """Mean, t-interval of the mean and n over the finite values.

    The interval is (nan, nan) with fewer than two values.

    >>> [round(x, 3) for x in mean_interval([1.0, 2.0, 3.0, float("nan")])]
    [2.0, -0.484, 4.484, 3]
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    if v.size < 2:
        return mean, math.nan, math.nan, 1
    half = _t(level, v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return mean, mean - half, mean + half, int(v.size)


def paired_interval(arm: np.ndarray | Sequence[float], baseline: np.ndarray | Sequence[float],
                    level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean difference ``arm - baseline`` of paired values with its t-interval and n pairs.

    ``arm[i]`` and ``baseline[i]`` are one pair (the same replicate); pairs where either is
    undefined are dropped. A constant difference gives a zero-width interval.

    >>> paired_interval([2.0, 3.0, 5.0], [1.0, 2.0, 4.0])
    (1.0, 1.0, 1.0, 3)
    """
    a = np.asarray(arm, dtype=float)
    b = np.asarray(baseline, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal lengths, got {a.size} and {b.size}")
    ok = np.isfinite(a) & np.isfinite(b)
    return mean_interval(a[ok] - b[ok], level)


def welch_interval(arm: np.ndarray | Sequence[float], baseline: np.ndarray | Sequence[float],
                   level: float = 0.95) -> tuple[float, float, float, int]:
    """Difference of means ``arm - baseline`` of independent samples with Welch's t-interval.

    Returns (difference, low, high, n) with n the smaller sample size; undefined values are
    dropped. The interval is (nan, nan) when a sample has fewer than two values.

    >>> [round(x, 3) for x in welch_interval([1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0])]
    [2.0, -0.484, 4.484, 3]
    """
    a = np.asarray(arm, dtype=float)
    b = np.asarray(baseline, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n = int(min(a.size, b.size))
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    diff = float(a.mean() - b.mean())
    if n < 2:
        return diff, math.nan, math.nan, n
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff, n
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = _t(level, df) * se
    return diff, diff - half, diff + half, n


# --------------------------------------------------------------------------------------------
# the collected tables


def load_collected(sweep_dir: Path | str, series_columns: Sequence[str] | None = None
                   ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Read ``<sweep_dir>/collected/{summary,timeseries}.parquet``.

    Collects the sweep first (:func:`netsim.sweep.collect`) when ``collected/`` is missing or
    older than the sweep's results (it was resumed, extended or re-run since), so a comparison
    always sees every finished job.

    Args:
        sweep_dir: the sweep folder.
        series_columns: time-series columns to read (all when None); ``arm``, ``replicate`` and
            ``week`` are always read.

    Returns:
        (summary, series); series is None when there is no time-series file.

    Raises:
        CompareError: the folder or its collected summary does not exist.
    """
    folder = Path(sweep_dir)
    if not folder.is_dir():
        raise CompareError(f"sweep folder {str(folder)!r} does not exist")
    collected = folder / "collected"
    summary_path, series_path = collected / "summary.parquet", collected / "timeseries.parquet"
    from netsim.sweep import collect, collected_is_current

    if not collected_is_current(folder):
        if summary_path.is_file():
            log.warning("the results in %s changed since they were collected; collecting again",
                        folder)
        else:
            log.info("collecting %s", folder)
        try:
            collect(folder)
        except (OSError, ValueError) as exc:
            raise CompareError(f"could not collect {str(folder)!r}: {exc}") from None
        if not summary_path.is_file():
            raise CompareError(f"collecting {str(folder)!r} wrote no {summary_path}; is it a "
                               "sweep folder (made by `netsim run -m ...`)?")
    summary = pl.read_parquet(summary_path)
    missing = [c for c in ("arm", "replicate") if c not in summary.columns]
    if missing:
        raise CompareError(f"{summary_path} lacks the column(s) {', '.join(missing)}; "
                           "re-run `netsim collect` with this version of netsim")
    series = None
    if series_path.is_file():
        scan = pl.scan_parquet(series_path)
        if series_columns is not None:
            names = scan.collect_schema().names()
            wanted = ["arm", "replicate", "week", *series_columns]
            scan = scan.select([c for c in dict.fromkeys(wanted) if c in names])
        series = scan.collect()
    return summary, series


def condition_columns(summary: pl.DataFrame) -> list[str]:
    """Columns of swept or overridden settings (neither outcomes nor bookkeeping)."""
    skip = set(SUMMARY_COLUMNS) | set(ARM_COLUMNS) | set(SERIES_COLUMNS) | {MONEY}
    return [c for c in summary.columns if c not in skip]


def _varying(summary: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    per_arm = summary.group_by("arm").agg(pl.col(c).first() for c in columns)
    return [c for c in columns if c not in _RUN_SETTINGS and per_arm[c].n_unique() > 1]


def arm_table(summary: pl.DataFrame) -> pl.DataFrame:
    """One row per arm: ``arm``, a short ``label`` (only the settings that differ between
    arms, as ``key=value`` usable with ``--baseline``), ``n`` runs, and the value of every
    condition column; sorted by the varying settings (numbers numerically)."""
    conds = condition_columns(summary)
    varying = _varying(summary, conds)
    arms = (summary.group_by("arm", maintain_order=True)
            .agg(pl.len().alias("n"), *(pl.col(c).first() for c in conds)))
    if varying:
        arms = arms.sort(varying, nulls_last=True)
    labels = []
    for row in arms.iter_rows(named=True):
        if varying:
            labels.append(" ".join(f"{k}={_canonical(row[k])}" for k in varying))
        else:
            labels.append(row["arm"])
    return arms.with_columns(pl.Series("label", labels)).select(
        "arm", "label", "n", *conds)


def _matches(value: Any, text: str) -> bool:
    if value is None:
        return text in ("None", "null")
    if isinstance(value, bool | str):
        return str(value).lower() == text.lower()
    try:
        return math.isclose(float(value), float(text), rel_tol=1e-9, abs_tol=1e-12)
    except ValueError:
        return False


def _listing(arms: pl.DataFrame) -> str:
    """The arms for an error message: their short labels (each a valid ``--baseline``) and
    the settings all arms share, or the full labels when the short ones are ambiguous."""
    full, short = arms["arm"].to_list(), arms["label"].to_list()
    if short == full or len(set(short)) < len(short):
        return "; ".join(repr(a) for a in full)
    common = [t for t in full[0].split() if all(t in a.split() for a in full[1:])]
    text = "; ".join(repr(a) for a in short)
    return text + (f" (all arms also have: {' '.join(common)})" if common else "")


def resolve_baseline(summary: pl.DataFrame, baseline: str | None) -> str:
    """The arm label named by ``baseline``.

    ``baseline`` is an arm label exactly as in the ``arm`` column, or a shorthand of
    ``key=value`` pairs separated by spaces (``meeting_interval_weeks=6``,
    ``scenario=resource_teacher_network``) that selects exactly one arm.

    Raises:
        CompareError: no baseline given, no arm or several arms match; the message lists the
            arms.
    """
    arms = arm_table(summary)
    labels = arms["arm"].to_list()
    listing = _listing(arms)
    if baseline is None or not str(baseline).strip():
        raise CompareError(f"choose a baseline arm with --baseline; available arms: {listing}")
    baseline = str(baseline).strip()
    if baseline in labels:
        return baseline
    pairs = []
    for token in baseline.split():
        if "=" not in token:
            raise CompareError(f"--baseline {baseline!r} is not an arm and not key=value "
                               f"pairs; available arms: {listing}")
        key, value = token.split("=", 1)
        pairs.append((key, value))
    found = []
    for row in arms.iter_rows(named=True):
        tokens = set(row["arm"].split())
        ok = all(_matches(row[k], v) if k in row else f"{k}={v}" in tokens for k, v in pairs)
        if ok:
            found.append(row["arm"])
    if len(found) == 1:
        return found[0]
    if not found:
        raise CompareError(f"--baseline {baseline!r} matches no arm; available arms: {listing}")
    raise CompareError(f"--baseline {baseline!r} matches {len(found)} arms: "
                       + "; ".join(repr(a) for a in found) + "; name one exactly")


def random_numbers_status(summary: pl.DataFrame, sweep_dir: Path | str | None = None
                          ) -> tuple[bool, str]:
    """Whether replicate ``r`` of every arm shared a random stream, and how that is known.

    Looks at a ``common_random_numbers`` / ``seed`` column of the collected table, then at the
    jobs' ``provenance.json`` (``<sweep_dir>/<job>/provenance.json``); when neither says, the
    schema default (on) is assumed and the note says so.
    """
    from netsim.config import Scenario

    if "common_random_numbers" in summary.columns:
        values = summary["common_random_numbers"].cast(pl.Utf8).str.to_lowercase().unique()
        if set(values.to_list()) - {"true", "1"}:
            return False, "common random numbers were off for some arms"
    for seed_col in ("seed", "base_seed"):
        if seed_col in summary.columns and summary[seed_col].n_unique() > 1:
            return False, f"the arms have different base seeds ({seed_col})"
    if "common_random_numbers" in summary.columns:
        return True, "common random numbers on (recorded in the collected table)"
    if sweep_dir is not None and "job" in summary.columns:
        crn, seeds, found = set(), set(), 0
        for job in summary["job"].unique().to_list():
            path = Path(sweep_dir) / str(job) / "provenance.json"
            if not path.is_file():
                continue
            try:
                seed = json.loads(path.read_text()).get("seed", {})
            except (OSError, json.JSONDecodeError):
                continue
            found += 1
            crn.add(bool(seed.get("common_random_numbers", True)))
            seeds.add(seed.get("base_seed"))
        if found:
            if False in crn:
                return False, "common random numbers were off for some arms (provenance)"
            if len(seeds) > 1:
                return False, "the arms have different base seeds (provenance)"
            return True, f"common random numbers on (provenance of {found} jobs)"
    default = Scenario().common_random_numbers
    return default, ("not recorded with the collected results; assumed the default "
                     f"(common random numbers {'on' if default else 'off'})")


# --------------------------------------------------------------------------------------------
# populations, money, trade-offs


def _population_settings(sweep_dir: Path | str | None, job: Any) -> dict[str, Any]:
    """The population settings (``network.*`` that size the schools) of one job, from its
    ``provenance.json``; empty when unknown."""
    if sweep_dir is None or job is None:
        return {}
    path = Path(sweep_dir) / str(job) / "provenance.json"
    try:
        net = json.loads(path.read_text())["scenario"]["network"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        return {}
    return {f"network.{k}": net[k] for k in ("n_schools", "teachers_per_school",
                                               "school_size_spread") if k in net}


def population_check(summary: pl.DataFrame, baseline: str,
                     sweep_dir: Path | str | None = None) -> str:
    """A warning when the arms do not simulate the same population, or ``""``.

    Rule: when every arm's job has a ``provenance.json``, arms differ in population when
    their number of schools, mean teachers per school or spread of school sizes
    (``network.n_schools``, ``network.teachers_per_school``, ``network.school_size_spread``)
    differ from the baseline's. Without provenance, from the results: the mean number of
    schools (``n_schools``) differs, or the mean number of staff (``n_staff``) by more than
    10 % (a design's own roles, e.g. a resource teacher per school, change the staff by a few
    per cent on the same schools). Pairing by replicate then pairs runs on different schools,
    and a share of a different population is compared. The warning names the arms and the
    command-line settings that fix the population at the baseline's for every arm.
    """
    cols = [c for c in ("n_schools", "n_staff") if c in summary.columns]
    if not cols:
        return ""
    labels = dict(zip(*arm_table(summary).select("arm", "label").get_columns()))
    per = summary.group_by("arm", maintain_order=True).agg(
        *(pl.col(c).cast(pl.Float64).mean() for c in cols),
        pl.col("job").first() if "job" in summary.columns else pl.lit(None).alias("job"))
    base = per.filter(pl.col("arm") == baseline).row(0, named=True)
    settings = {r["arm"]: _population_settings(sweep_dir, r["job"])
                for r in per.iter_rows(named=True)}
    from_provenance = all(settings.values())
    odd = []
    for row in per.iter_rows(named=True):
        if row["arm"] == baseline:
            continue
        if from_provenance:
            differs = settings[row["arm"]] != settings[baseline]
        else:
            differs = (("n_schools" in row and abs(row["n_schools"] - base["n_schools"]) > 0.5)
                       or ("n_staff" in row and abs(row["n_staff"] - base["n_staff"])
                           > 0.1 * max(base["n_staff"], 1.0)))
        if differs:
            odd.append(row)
    if not odd:
        return ""

    def size(r: dict[str, Any]) -> str:
        parts = []
        if "n_schools" in r:
            parts.append(f"{r['n_schools']:,.0f} schools")
        if "n_staff" in r:
            parts.append(f"about {r['n_staff']:,.0f} staff")
        return ", ".join(parts)

    listed = "; ".join(f"{labels.get(r['arm'], r['arm'])} ({size(r)})" for r in odd[:4])
    if len(odd) > 4:
        listed += f"; and {len(odd) - 4} more"
    text = (f"The arms do not simulate the same population: the baseline "
            f"{labels.get(baseline, baseline)} has {size(base)}, against {listed}. Shares and "
            "costs then describe different municipalities, and pairing by replicate pairs "
            "different schools. To compare the designs on the same schools, run the sweep "
            "again with the population fixed for every arm")
    fixed = settings.get(baseline)
    if fixed:
        text += (" at the baseline's, by adding "
                 + " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in fixed.items())
                 + " to the `netsim run -m` command (a design's own members and groups are "
                   "kept)")
    else:
        text += (" (add network.n_schools=... network.teachers_per_school=... to the "
                 "`netsim run -m` command)")
    return text + "."


def with_money_cost(summary: pl.DataFrame, wage_rate: float) -> pl.DataFrame:
    """``summary`` with the money cost :data:`MONEY` = person-hours x ``wage_rate`` (the cost
    of one person-hour, e.g. a teacher's hourly wage with overheads).

    Raises:
        CompareError: a wage rate that is not a positive finite number, or no person-hours.
    """
    if not (isinstance(wage_rate, int | float) and math.isfinite(wage_rate) and wage_rate > 0):
        raise CompareError(f"--wage-rate = {wage_rate!r} is not allowed; allowed: a positive "
                           "number (cost of one person-hour)")
    if "person_hours" not in summary.columns:
        raise CompareError("--wage-rate needs the person_hours column, which the collected "
                           "summary lacks")
    return summary.with_columns((pl.col("person_hours").cast(pl.Float64) * float(wage_rate))
                                .alias(MONEY))


def _clear(lo: float | None, hi: float | None) -> int:
    """+1 when an interval lies above zero, -1 below, 0 when it includes zero or is unknown."""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return 0
    return 1 if lo > 0 else -1 if hi < 0 else 0


def tradeoff_words(effect: tuple[float, float, float], cost: tuple[float, float, float],
                   effect_unit: str = "percentage points of adoption",
                   cost_unit: str = "person-hours") -> str:
    """The trade-off of an arm against the baseline in words.

    ``effect`` and ``cost`` are (difference, low, high) of the arm minus the baseline, for an
    outcome where more is better and a cost where more is worse. Rule: a difference counts
    when its interval excludes zero. Better and cheaper (or worse and dearer) need no price;
    a gain bought with more cost, or a saving paid for with less effect, is priced as the
    ratio of the two mean differences (a ratio of means, without an interval of its own).

    >>> tradeoff_words((2.0, 1.0, 3.0), (-50.0, -80.0, -20.0))
    'better and cheaper: 2 percentage points of adoption more for 50 person-hours less'
    >>> tradeoff_words((2.0, 1.0, 3.0), (100.0, 80.0, 120.0))
    'better but dearer: about 50 person-hours per extra percentage point of adoption'
    """
    e, c = _clear(effect[1], effect[2]), _clear(cost[1], cost[2])
    de, dc = abs(effect[0]), abs(cost[0])
    one = effect_unit.replace("percentage points", "percentage point", 1)
    if e > 0 and c < 0:
        return (f"better and cheaper: {de:,.2g} {effect_unit} more for {dc:,.0f} {cost_unit} "
                "less")
    if e > 0 and c > 0:
        return f"better but dearer: about {dc / de:,.0f} {cost_unit} per extra {one}"
    if e > 0:
        return (f"better ({de:,.2g} {effect_unit} more) at a cost that cannot be told apart "
                "from the baseline's")
    if e < 0 and c < 0:
        return f"cheaper but worse: saves about {dc / de:,.0f} {cost_unit} per {one} given up"
    if e < 0 and c > 0:
        return (f"worse and dearer: {de:,.2g} {effect_unit} less for {dc:,.0f} {cost_unit} "
                "more")
    if e < 0:
        return (f"worse ({de:,.2g} {effect_unit} less) at a cost that cannot be told apart "
                "from the baseline's")
    if c < 0:
        return (f"cheaper ({dc:,.0f} {cost_unit} less) with an effect that cannot be told "
                "apart from the baseline's")
    if c > 0:
        return (f"dearer ({dc:,.0f} {cost_unit} more) with an effect that cannot be told "
                "apart from the baseline's")
    return "cannot be told apart from the baseline in effect or cost"


# --------------------------------------------------------------------------------------------
# the comparison


@dataclass
class Comparison:
    """The result of :func:`compare`.

    Attributes:
        table: one row per arm and outcome: ``arm``, ``label``, ``is_baseline``, ``outcome``,
            ``outcome_label``, ``unit``, ``n`` (runs), ``n_valid`` (runs where the outcome is
            defined), ``mean``, ``low``, ``high`` (95 % interval of the mean), ``diff``,
            ``diff_low``, ``diff_high`` (difference from the baseline and its interval; 0 for
            the baseline itself), ``n_pairs`` (pairs or, for Welch, the smaller sample) and
            ``method`` (``paired``, ``welch`` or ``baseline``), then the condition columns.
            Values are on the shown scale (percentages for shares).
        arms: :func:`arm_table` of the compared arms (sorted by the varying settings).
        baseline: the baseline arm.
        outcomes: the compared outcome columns, in order.
        conditions: the settings that differ between arms.
        paired: whether common random numbers allowed pairing at all.
        notes: how the intervals were computed, in sentences.
        level: the confidence level.
        population_warning: why the arms' populations differ (:func:`population_check`),
            or ``""`` when they are the same.
        wage_rate: the cost of one person-hour when a money cost was computed, else None.
        currency: the unit of the money cost.
        worlds: for runs on an ensemble, what the intervals mean across its plausible worlds
            (also in the notes), else ``""``.
    """

    table: pl.DataFrame
    arms: pl.DataFrame
    baseline: str
    outcomes: list[str]
    conditions: list[str]
    paired: bool
    notes: list[str] = field(default_factory=list)
    level: float = 0.95
    population_warning: str = ""
    wage_rate: float | None = None
    currency: str = ""
    worlds: str = ""

    def info(self, column: str) -> OutcomeInfo:
        """:func:`outcome_info` with this comparison's currency."""
        return outcome_info(column, self.currency)


def _check_outcomes(summary: pl.DataFrame, outcomes: Sequence[str] | None) -> list[str]:
    numeric = [c for c, t in summary.schema.items() if t.is_numeric() and c not in ARM_COLUMNS
               and (c in SUMMARY_COLUMNS or c == MONEY)]
    if outcomes is None:
        chosen = [c for c in DEFAULT_OUTCOMES if c in summary.columns]
    elif list(outcomes) == ["all"]:
        chosen = [c for c, *_ in KEY_OUTCOMES if c in summary.columns]
    else:
        bad = [c for c in outcomes if c not in numeric]
        if bad:
            raise CompareError(f"--outcomes: {', '.join(repr(b) for b in bad)} not in the "
                               f"results; allowed: all, {', '.join(numeric)}")
        chosen = list(dict.fromkeys(outcomes))
    for c in (*COST_OUTCOMES, MONEY):
        if c in summary.columns and c not in chosen:
            chosen.append(c)
    if not chosen:
        raise CompareError("the collected summary has none of the outcomes "
                           + ", ".join(DEFAULT_OUTCOMES))
    return chosen


def compare(summary: pl.DataFrame, baseline: str | None, outcomes: Sequence[str] | None = None,
            sweep_dir: Path | str | None = None, level: float = 0.95,
            wage_rate: float | None = None, currency: str = "") -> Comparison:
    """Compare every arm of a collected sweep with the baseline arm.

    Args:
        summary: the collected summary table (see the module docstring).
        baseline: an arm label or ``key=value`` shorthand (:func:`resolve_baseline`).
        outcomes: outcome columns (default :data:`DEFAULT_OUTCOMES`; ``["all"]`` for every
            key outcome); cost outcomes are always added.
        sweep_dir: the sweep folder, to read the jobs' provenance (common random numbers).
        level: confidence level of the intervals.
        wage_rate: the cost of one person-hour; when given, the money cost (person-hours x
            wage rate, :data:`MONEY`) is compared too.
        currency: the unit of the wage rate (``NOK``, ``EUR``; words only).

    When the arms' populations differ (:func:`population_check`), the comparison still runs
    and carries the warning in ``population_warning`` and the notes (``netsim compare`` prints
    it, the report shows it at the top).

    Raises:
        CompareError: unknown baseline or outcome, or a bad wage rate.
    """
    if wage_rate is not None:
        summary = with_money_cost(summary, wage_rate)
    base = resolve_baseline(summary, baseline)
    chosen = _check_outcomes(summary, outcomes)
    arms = arm_table(summary)
    conditions = _varying(summary, condition_columns(summary))
    crn, crn_note = random_numbers_status(summary, sweep_dir)
    notes = [f"Random numbers: {crn_note}."]
    population = population_check(summary, base, sweep_dir)
    if population:
        log.info("%s", population)
        notes.insert(0, f"Populations differ. {population}")

    def rows_of(arm: str) -> pl.DataFrame:
        return summary.filter(pl.col("arm") == arm).sort("replicate")

    base_rows = rows_of(base)
    base_reps = base_rows["replicate"].to_list()
    unique_base = len(set(base_reps)) == len(base_reps)
    members = _MEMBER in summary.columns and summary[_MEMBER].null_count() < summary.height
    base_members = base_rows[_MEMBER].to_list() if members else None
    records: list[dict[str, Any]] = []
    welch_arms: list[str] = []
    other_worlds: list[str] = []
    for arm_row in arms.iter_rows(named=True):
        arm = arm_row["arm"]
        rows = rows_of(arm)
        reps = rows["replicate"].to_list()
        same_worlds = not members or (
            rows[_MEMBER].to_list() == base_members
            and ("ensemble" not in rows.columns  # the same file, not only the same numbers
                 or rows["ensemble"].to_list() == base_rows["ensemble"].to_list()))
        if arm == base:
            method = "baseline"
        elif crn and unique_base and reps == base_reps and len(reps) >= 2 and same_worlds:
            method = "paired"
        else:
            method = "welch"
            welch_arms.append(arm_row["label"])
            if not same_worlds and reps == base_reps:
                other_worlds.append(arm_row["label"])
        for col in chosen:
            info = outcome_info(col, currency)
            values = rows[col].cast(pl.Float64).to_numpy() * info.scale
            ref = base_rows[col].cast(pl.Float64).to_numpy() * info.scale
            mean, lo, hi, n_valid = mean_interval(values, level)
            if info.unit == "%":  # a share cannot leave 0-100 %; neither can its interval
                lo, hi = max(lo, 0.0), min(hi, 100.0)
            if method == "baseline":
                d = (0.0, 0.0, 0.0, n_valid) if n_valid else (math.nan,) * 3 + (0,)
            elif method == "paired":
                d = paired_interval(values, ref, level)
            else:
                d = welch_interval(values, ref, level)
            records.append({
                "arm": arm, "label": arm_row["label"], "is_baseline": arm == base,
                "outcome": col, "outcome_label": info.label, "unit": info.unit,
                "n": len(values), "n_valid": n_valid, "mean": mean, "low": lo, "high": hi,
                "diff": d[0], "diff_low": d[1], "diff_high": d[2], "n_pairs": d[3],
                "method": method,
            })
    table = pl.DataFrame(records, schema_overrides={"mean": pl.Float64, "low": pl.Float64,
                                                     "high": pl.Float64, "diff": pl.Float64,
                                                     "diff_low": pl.Float64,
                                                     "diff_high": pl.Float64})
    table = table.join(arms.select("arm", *conditions), on="arm", how="left",
                       maintain_order="left")
    pct = round(100 * level)
    if crn and not welch_arms:
        notes.append(f"Differences from the baseline are paired by replicate: replicate r of "
                     f"every arm used the same random numbers, so each arm's {pct} % interval "
                     "is a t-interval of the per-replicate differences (arm minus baseline).")
    elif welch_arms:
        why = ("common random numbers were not in use" if not crn
               else "their replicates ran on other ensemble members than the baseline's "
               "(another ensemble or seed, or none)" if other_worlds
               else "their replicate numbers do not match the baseline's")
        notes.append(f"Unpaired (Welch) intervals for {len(welch_arms)} arm(s) because {why}: "
                     + ", ".join(welch_arms) + ". These are wider than paired ones.")
    worlds = _worlds_note(summary, base_rows) if members else ""
    if worlds:
        notes.insert(1, worlds)
    notes.append(f"Means have a {pct} % t-interval over replicates (n = number of runs); "
                 "intervals of percentages are cut at 0 and 100 %.")
    if "time_to_50" in chosen or "time_to_25" in chosen:
        notes.append("Weeks to 25 %/50 % adoption are averaged over the runs that reached the "
                     "share (n_valid); their differences use only the replicates where both "
                     "the arm and the baseline reached it (n_pairs).")
    if wage_rate is not None:
        notes.append(f"Money cost: person-hours x a wage rate of {wage_rate:,g} "
                     f"{currency or 'money units'} per person-hour.")
    log.info("compared %d arms on %d outcomes against %r", arms.height, len(chosen), base)
    return Comparison(table=table, arms=arms, baseline=base, outcomes=chosen,
                      conditions=conditions, paired=crn and not welch_arms, notes=notes,
                      level=level, population_warning=population, wage_rate=wage_rate,
                      currency=currency, worlds=worlds)


_MEMBER = "ensemble_member"
#: fewer distinct members than this in the baseline: the note says the worlds are few
FEW_WORLDS = 10


def _worlds_note(summary: pl.DataFrame, base_rows: pl.DataFrame) -> str:
    """What the intervals of a comparison on an ensemble mean (see the module docstring)."""
    drawn = base_rows[_MEMBER].drop_nulls()
    k, n = drawn.n_unique(), base_rows.height
    files = (summary["ensemble"].drop_nulls().unique().to_list()
             if "ensemble" in summary.columns else [])
    name = f"the ensemble {files[0]}" if len(files) == 1 else "an ensemble"
    text = (f"Plausible worlds: the runs drew their parameters from {name}; replicate r of every "
            f"arm ran on the same member (drawn by weight: {k} distinct members over the "
            f"baseline's {n} replicates) with the same random numbers, so each difference is "
            "paired within one world and its interval covers the spread across the plausible "
            "worlds as well as chance: it is the effect on average over those worlds, not in any "
            "one of them (netsim robust --ensemble FILE runs every arm on every member and shows "
            "each world's effect).")
    if k < FEW_WORLDS:
        text += (f" Only {k} distinct worlds were drawn: more replicates would cover the "
                 "ensemble better.")
    return text


# --------------------------------------------------------------------------------------------
# building collected tables from runs made in Python


def _canonical(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def frames_from_runs(runs: Sequence[tuple[Mapping[str, Any], Any]]
                     ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Collected-format (summary, series) tables from runs made with
    :func:`netsim.runner.run_scenario`, e.g. in a notebook.

    Args:
        runs: pairs of (the settings that define the arm, as dotted keys -> values; the
            :class:`~netsim.runner.RunResult`). The arm label is ``key=value`` pairs joined
            by a space in sorted order, or ``(defaults)`` for no settings.

    Example:
        >>> from netsim.config import load_scenario
        >>> from netsim.runner import run_scenario
        >>> runs = [({"leader_participation": p},
        ...          run_scenario(load_scenario(overrides={"leader_participation": p,
        ...                                                "calendar.years": 0.1}), 2))
        ...         for p in (0.0, 1.0)]
        >>> summary, series = frames_from_runs(runs)
        >>> sorted(summary["arm"].unique())
        ['leader_participation=0', 'leader_participation=1']
    """
    keys = sorted({k for settings, _ in runs for k in settings})
    summaries, series = [], []
    for job, (settings, result) in enumerate(runs):
        arm = " ".join(sorted(f"{k}={_canonical(v)}" for k, v in settings.items())) \
            or "(defaults)"
        extra = [pl.lit(job, pl.Int64).alias("job"), pl.lit(arm).alias("arm")]
        for k in keys:
            extra.append(pl.lit(settings.get(k)).alias(k))
        summaries.append(result.summary.with_columns(extra))
        key = result.summary["point_key"][0] if result.summary.height else 0
        series.append(result.series.with_columns(
            *extra, pl.lit(key, pl.UInt64).alias("point_key"),
            pl.col("replicate").cast(pl.Int64)))
    return (pl.concat(summaries, how="diagonal_relaxed"),
            pl.concat(series, how="diagonal_relaxed"))


# --------------------------------------------------------------------------------------------
# "what if" questions for notebooks


@dataclass
class WhatIf:
    """The answer to a "what if" question (:func:`what_if`).

    Attributes:
        results: version label -> :class:`~netsim.runner.RunResult`.
        figure: both versions over time (:func:`netsim.plots.versions_figure`).
        diff: (difference, low, high, pairs) of the outcome at the end, second version minus
            first, in percentage points, paired by replicate.
        text: the answer in words.
    """

    results: dict[str, Any]
    figure: Any
    diff: tuple[float, float, float, int]
    text: str


def what_if(question: str, first: tuple[str, Mapping[str, Any]],
            second: tuple[str, Mapping[str, Any]], *, replicates: int = 10,
            preset: str = "resource_teacher_network",
            overrides: Mapping[str, Any] | None = None,
            outcome: str = "adoption_colleagues", mark_week: int | None = None) -> WhatIf:
    """Run two versions of a design and compare them (notebook 01's guided questions).

    Args:
        question: the figure's title.
        first, second: (label, settings changed from the preset) of each version.
        replicates: runs per version; replicate r of both shares its random numbers, so the
            difference is paired by replicate (:func:`paired_interval`).
        preset: the design preset.
        overrides: settings applied to both versions (e.g. a smaller network).
        outcome: the share compared at the end (default adoption among colleagues).
        mark_week: a week to mark on the figure (e.g. a key person leaving).
    """
    from netsim.config import load_scenario
    from netsim.plots import versions_figure
    from netsim.runner import run_scenario

    results = {}
    for label, settings in (first, second):
        scenario = load_scenario(preset, {**(overrides or {}), **settings})
        results[label] = run_scenario(scenario, replicates=replicates)
    figure = versions_figure(results, question, mark_week)
    (label_a, res_a), (label_b, res_b) = results.items()
    a = res_a.summary.sort("replicate")[outcome].cast(pl.Float64).to_numpy() * 100
    b = res_b.summary.sort("replicate")[outcome].cast(pl.Float64).to_numpy() * 100
    diff = paired_interval(b, a)
    words = outcome_info(outcome).label.split(" (")[0].removeprefix("adoption among ")
    if _clear(diff[1], diff[2]):
        verdict = "The interval does not include zero: in this model the change matters."
    else:
        verdict = "The interval includes zero: with these runs we cannot tell the two apart."
    text = (f"At the end, {np.nanmean(b):.0f} % of {words} have adopted with '{label_b}', "
            f"against {np.nanmean(a):.0f} % with '{label_a}':\n"
            f"a difference of {diff[0]:+.1f} percentage points "
            f"(95 % interval {diff[1]:+.1f} to {diff[2]:+.1f}; {diff[3]} paired runs).\n"
            f"{verdict}")
    return WhatIf(results=results, figure=figure, diff=diff, text=text)

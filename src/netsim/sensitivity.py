"""Global sensitivity analysis: Morris screening, then Sobol indices for the influential few
(``netsim sensitivity``).

**Morris elementary effects** (Morris 1991; Campolongo et al. 2007). ``r`` trajectories of
``D + 1`` points on a ``p = 4`` level grid over the parameter box (SALib's sampler), each step
changing one parameter by ``Δ = 2/3`` of its range. The elementary effect of parameter ``i``
at a step is ``EE = (y(x + Δe_i) - y(x)) / Δ`` with ``Δ`` in units of the range (the actual,
rounded step for whole-number parameters), so effects are in outcome units per full range.
``mu* = mean |EE|`` ranks influence, ``sigma = sd(EE)`` shows non-linearity or interactions.
Intervals are percentile bootstrap intervals over trajectories (1,000 resamples). ``y`` is the
mean of the outcome over the replicates at a point; the replicate noise left in an effect is
estimated from the replicate spread and reported as the *noise floor*.

**Sobol indices** (Sobol 2001; Saltelli et al. 2010): the first-order index ``S1`` (share of
the outcome's variance explained by a parameter alone) and the total index ``ST`` (alone and
in interaction), from Saltelli's ``N (D + 2)`` design on a scrambled Sobol sequence and
SALib's estimators with bootstrap 95 % intervals (Herman & Usher 2017). Convergence: the
indices recomputed on the first ``N/8, N/4, N/2, N`` base samples.

Outcomes that can be undefined (``time_to_50`` when a run never reaches 50 %) are censored at
the horizon (the run's weeks) before averaging; the report says so.

References: Morris 1991, Technometrics 33:161; Campolongo, Cariboni & Saltelli 2007,
Environmental Modelling & Software 22:1509; Saltelli et al. 2010, Computer Physics
Communications 181:259; ten Broeke, van Voorn & Ligtenberg 2016, JASSS 19(1):5.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from netsim.config import ConfigError
from netsim.params import ParameterSpace

if TYPE_CHECKING:
    from netsim.designs import Progress

__all__ = ["DEFAULT_OUTCOMES", "MorrisResult", "SobolResult", "check_outcomes",
           "morris_design", "morris_indices", "run_sensitivity", "sobol_design",
           "sobol_indices"]

log = logging.getLogger("netsim.sensitivity")

#: outcomes analysed when none are named: reach at home, in the network, and speed
DEFAULT_OUTCOMES = ("adoption_colleagues", "adoption_members", "schools_changed")
MORRIS_LEVELS = 4


def check_outcomes(outcomes: Sequence[str], years: int = 50) -> list[str]:
    """The outcomes, checked against the run summary's columns and the yearly columns
    ``<column>_y<k>`` for ``k <= years`` (ConfigError otherwise)."""
    from netsim.calibrate import _allowed_outcome
    from netsim.metrics import SUMMARY_COLUMNS

    out = list(dict.fromkeys(outcomes))
    if not out:
        raise ConfigError("no outcome given; allowed: " + ", ".join(SUMMARY_COLUMNS))
    for o in out:
        why = _allowed_outcome(o, years)
        if why:
            raise ConfigError(f"outcome {o!r} is not in the run summary; {why}")
    return out


# --------------------------------------------------------------------------------------------
# Morris


def morris_design(space: ParameterSpace, trajectories: int, seed: int) -> np.ndarray:
    """SALib's Morris trajectories (``trajectories * (D + 1)`` rows), whole numbers rounded."""
    from SALib.sample import morris as morris_sample

    x = morris_sample.sample(space.problem(), N=int(trajectories), num_levels=MORRIS_LEVELS,
                             seed=int(seed))
    return _rounded(space, x)


def _rounded(space: ParameterSpace, x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=float)
    for j, p in enumerate(space.params):
        if p.kind == "int":
            x[:, j] = [p.value(v) for v in x[:, j]]
    return x


def _elementary_effects(space: ParameterSpace, x: np.ndarray, y: np.ndarray
                        ) -> np.ndarray:
    """(trajectories, D) elementary effects; NaN where a step did not move (rounding) or the
    outcome is undefined."""
    d = len(space.params)
    n_traj = x.shape[0] // (d + 1)
    width = np.array([hi - lo for lo, hi in space.bounds])
    ee = np.full((n_traj, d), np.nan)
    for t in range(n_traj):
        xs = x[t * (d + 1):(t + 1) * (d + 1)]
        ys = y[t * (d + 1):(t + 1) * (d + 1)]
        for s in range(d):
            step = (xs[s + 1] - xs[s]) / width
            moved = np.flatnonzero(np.abs(step) > 1e-12)
            if moved.size != 1:
                continue  # a whole-number parameter rounded to the same value
            j = moved[0]
            ee[t, j] = (ys[s + 1] - ys[s]) / step[j]
    return ee


@dataclass
class MorrisResult:
    """Morris screening of one outcome.

    Attributes:
        outcome: the outcome column.
        table: per parameter ``mu``, ``mu_star``, ``sigma`` and bootstrap intervals
            ``mu_star_lo/hi``, ``sigma_lo/hi``, ``n_effects``; sorted by ``mu_star``.
        noise_floor: the mean |EE| replicate noise alone would give (outcome units per range).
    """

    outcome: str
    table: pl.DataFrame
    noise_floor: float


def morris_indices(space: ParameterSpace, x: np.ndarray, y: np.ndarray, outcome: str = "y",
                   n_boot: int = 1000, seed: int = 0, noise_sd: float = 0.0) -> MorrisResult:
    """mu*, mu and sigma of the elementary effects, with percentile bootstrap intervals over
    trajectories.

    Args:
        space: the parameter box sampled.
        x: the design (:func:`morris_design`), as run.
        y: the outcome at each design point.
        noise_sd: sd of ``y`` at one point from replicate noise alone (for the noise floor).
    """
    ee = _elementary_effects(space, x, np.asarray(y, dtype=float))
    rng = np.random.default_rng(seed)
    n_traj = ee.shape[0]
    rows = []
    for j, p in enumerate(space.params):
        e = ee[:, j]
        e = e[np.isfinite(e)]
        if e.size == 0:
            rows.append({"parameter": p.key, "mu": math.nan, "mu_star": math.nan,
                         "sigma": math.nan, "mu_star_lo": math.nan, "mu_star_hi": math.nan,
                         "sigma_lo": math.nan, "sigma_hi": math.nan, "n_effects": 0})
            continue
        idx = rng.integers(0, e.size, size=(n_boot, e.size))
        boot = e[idx]
        mu_star_b = np.abs(boot).mean(axis=1)
        sigma_b = boot.std(axis=1, ddof=1) if e.size > 1 else np.full(n_boot, math.nan)
        rows.append({
            "parameter": p.key, "mu": float(e.mean()), "mu_star": float(np.abs(e).mean()),
            "sigma": float(e.std(ddof=1)) if e.size > 1 else math.nan,
            "mu_star_lo": float(np.quantile(mu_star_b, 0.025)),
            "mu_star_hi": float(np.quantile(mu_star_b, 0.975)),
            "sigma_lo": float(np.nanquantile(sigma_b, 0.025)) if e.size > 1 else math.nan,
            "sigma_hi": float(np.nanquantile(sigma_b, 0.975)) if e.size > 1 else math.nan,
            "n_effects": int(e.size)})
    del n_traj
    table = pl.DataFrame(rows).sort("mu_star", descending=True, nulls_last=True)
    # two independent point means differ by sd*sqrt(2); |N(0, s)| has mean s*sqrt(2/pi); Δ = 2/3
    delta = MORRIS_LEVELS / (2 * (MORRIS_LEVELS - 1))
    floor = float(noise_sd * math.sqrt(2) * math.sqrt(2 / math.pi) / delta)
    return MorrisResult(outcome, table, floor)


# --------------------------------------------------------------------------------------------
# Sobol


def sobol_design(space: ParameterSpace, n: int, seed: int) -> np.ndarray:
    """Saltelli's design for first and total indices: ``n * (D + 2)`` rows."""
    from SALib.sample import sobol as sobol_sample

    if n < 4 or n & (n - 1):
        raise ConfigError(f"--sobol-n = {n} is not allowed; allowed: a power of two >= 4 "
                          "(the Sobol sequence's balance needs it), e.g. 64, 256, 1024")
    x = sobol_sample.sample(space.problem(), int(n), calc_second_order=False, scramble=True,
                            seed=int(seed))
    return _rounded(space, x)


@dataclass
class SobolResult:
    """Sobol indices of one outcome.

    Attributes:
        outcome: the outcome column.
        table: per parameter ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of the 95 %
            bootstrap intervals).
        convergence: the same per base sample size ``n``.
    """

    outcome: str
    table: pl.DataFrame
    convergence: pl.DataFrame = field(default_factory=pl.DataFrame)


def _sobol_table(space: ParameterSpace, y: np.ndarray, seed: int, n_boot: int) -> pl.DataFrame:
    import warnings

    from SALib.analyze import sobol as sobol_analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = sobol_analyze.analyze(space.problem(), y, calc_second_order=False,
                                   num_resamples=n_boot, conf_level=0.95, seed=int(seed))
    return pl.DataFrame({"parameter": space.names, "S1": np.asarray(si["S1"], float),
                         "S1_conf": np.asarray(si["S1_conf"], float),
                         "ST": np.asarray(si["ST"], float),
                         "ST_conf": np.asarray(si["ST_conf"], float)})


def sobol_indices(space: ParameterSpace, y: np.ndarray, outcome: str = "y", seed: int = 0,
                  n_boot: int = 1000) -> SobolResult:
    """S1 and ST with bootstrap intervals, and their convergence with the sample size."""
    y = np.asarray(y, dtype=float)
    d = len(space.params)
    n = y.size // (d + 2)
    table = _sobol_table(space, y, seed, n_boot)
    conv = []
    sizes = sorted({max(4, n // 8), max(4, n // 4), max(4, n // 2), n})
    for m in sizes:
        if m > n:
            continue
        sub = _sobol_table(space, y[:m * (d + 2)], seed, n_boot)
        conv.append(sub.with_columns(pl.lit(m).alias("n")))
    return SobolResult(outcome, table.sort("ST", descending=True),
                       pl.concat(conv) if conv else pl.DataFrame())


# --------------------------------------------------------------------------------------------
# the command


def _outcome_values(result: Any, outcome: str, horizon: int) -> tuple[np.ndarray, float, str]:
    """(per-row mean, replicate sd at one point, note) with time outcomes censored."""
    col = pl.col(outcome).cast(pl.Float64).fill_nan(None)
    note = ""
    if outcome.startswith("time_to_"):
        n_nan = result.outcomes[outcome].cast(pl.Float64).fill_nan(None).null_count()
        if n_nan:
            note = (f"{outcome}: {n_nan} of {result.outcomes.height} runs never got there; "
                    f"counted as the horizon ({horizon} weeks)")
        col = col.fill_null(float(horizon))
    per = result.outcomes.group_by("row").agg(col.mean().alias("m"), col.std().alias("s"),
                                             col.count().alias("k"))
    y = np.full(result.design.height, np.nan)
    y[per["row"].to_numpy()] = per["m"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    s = per["s"].cast(pl.Float64).drop_nulls().to_numpy()
    k = max(1, int(per["k"].max() or 1))
    noise = float(np.nanmean(s) / math.sqrt(k)) if s.size else 0.0
    return y, noise, note


def _design_frame(space: ParameterSpace, x: np.ndarray) -> pl.DataFrame:
    cols: dict[str, Any] = {"row": np.arange(x.shape[0], dtype=np.int64)}
    for j, p in enumerate(space.params):
        cols[p.key] = x[:, j].astype(np.int64) if p.kind == "int" else x[:, j]
    return pl.DataFrame(cols)


@dataclass
class SensitivityRun:
    """Everything ``netsim sensitivity`` computed (also returned to notebooks)."""

    folder: Path
    space: ParameterSpace
    outcomes: list[str]
    morris: dict[str, MorrisResult] = field(default_factory=dict)
    sobol: dict[str, SobolResult] = field(default_factory=dict)
    sobol_space: ParameterSpace | None = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    runs: int = 0
    missing: int = 0


def _select_top(morris: dict[str, MorrisResult], top: int) -> list[str]:
    """Parameters with the largest mu* relative to the largest of their outcome."""
    score: dict[str, float] = {}
    for res in morris.values():
        t = res.table.drop_nulls("mu_star")
        best = float(t["mu_star"].max() or 0.0) or 1.0
        for name, mu in zip(t["parameter"], t["mu_star"]):
            score[name] = max(score.get(name, 0.0), float(mu) / best)
    return [k for k, _ in sorted(score.items(), key=lambda kv: -kv[1])[:top]]


def _base(overrides: Sequence[str]) -> Any:
    from netsim.designs import _split_hydra, check_base

    return check_base(_split_hydra(overrides)[0])


def run_sensitivity(out: Path | str, overrides: Sequence[str] = (),
                    outcomes: Sequence[str] = DEFAULT_OUTCOMES, keys: Sequence[str] | None = None,
                    ranges: dict[str, tuple[float, float]] | None = None, method: str = "both",
                    trajectories: int = 10, sobol_n: int = 64, top: int = 4,
                    sobol_keys: Sequence[str] | None = None, seed: int = 20261123,
                    batch_rows: int | None = None, command: str = "",
                    progress: Progress | None = None) -> SensitivityRun:
    """Morris screening and/or Sobol indices through the sweep machinery; writes the report.

    Args:
        out: the analysis folder (re-using it resumes the analysis).
        overrides: fixed scenario settings and Hydra launcher settings.
        outcomes: summary columns to analyse.
        keys: parameters to screen (default: every uncertain parameter).
        ranges: key -> (lo, hi) replacing or adding ranges (checked against the schema).
        method: ``morris``, ``sobol`` or ``both`` (Sobol on the ``top`` Morris parameters).
        trajectories: Morris trajectories.
        sobol_n: Sobol base sample size (a power of two).
        top: parameters for Sobol after Morris.
        sobol_keys: parameters for Sobol when it runs alone (default: ``keys``).
        seed: seed of the samplers and bootstraps (the runs' seeds come from the scenario).
        batch_rows: design rows per sweep job.

    Raises:
        ConfigError: a bad parameter, range, outcome, method or setting (nothing written).
    """
    from netsim.designs import run_design
    from netsim.params import parameter_space

    try:
        import SALib  # noqa: F401 - fail here, before anything runs
    except ImportError:
        raise ConfigError("netsim sensitivity needs SALib (the 'analysis' extra); install it "
                          "with: pip install -e '.[analysis]'") from None
    if method not in ("morris", "sobol", "both"):
        raise ConfigError(f"--method = {method!r} is not allowed; allowed: morris, sobol, both")
    if trajectories < 2:
        raise ConfigError(f"--trajectories = {trajectories} is too small; allowed: >= 2")
    if top < 1:
        raise ConfigError(f"--top = {top} is too small; allowed: >= 1")
    space = parameter_space(keys, ranges)
    if method != "morris":
        sobol_design(space if method == "sobol" else parameter_space(space.names[:1]), sobol_n,
                     seed)  # checks sobol_n before anything runs
    base = _base(overrides)
    horizon = base.n_weeks
    outcomes = check_outcomes(outcomes, horizon // base.calendar.weeks_per_year)
    out = Path(out)
    run = SensitivityRun(out, space, outcomes)
    frames = []
    if method in ("morris", "both"):
        x = morris_design(space, trajectories, seed)
        res = run_design(out / "morris", _design_frame(space, x), overrides, batch_rows, progress)
        run.runs += res.outcomes.height
        run.missing += len(res.missing_rows)
        for outcome in outcomes:
            y, noise, note = _outcome_values(res, outcome, horizon)
            if note:
                run.notes.append(note)
            run.morris[outcome] = morris_indices(space, x, y, outcome, seed=seed,
                                                 noise_sd=noise)
        frames.append(_joined(res, "morris"))
    if method in ("sobol", "both"):
        if method == "both":
            chosen = _select_top(run.morris, top)
            s_space = parameter_space(chosen, {k: b for k, b in zip(space.names, space.bounds)
                                               if k in chosen})
        else:
            s_space = parameter_space(sobol_keys or space.names,
                                      {k: b for k, b in zip(space.names, space.bounds)})
        run.sobol_space = s_space
        x = sobol_design(s_space, sobol_n, seed)
        res = run_design(out / "sobol", _design_frame(s_space, x), overrides, batch_rows, progress)
        run.runs += res.outcomes.height
        run.missing += len(res.missing_rows)
        for outcome in outcomes:
            y, _, note = _outcome_values(res, outcome, horizon)
            if note and note not in run.notes:
                run.notes.append(note)
            if np.isnan(y).all():  # undefined in this design (e.g. everyone is a member)
                run.notes.append(f"{outcome}: not defined in any Sobol design row; no indices")
                continue
            if np.isnan(y).any():
                n_bad = int(np.isnan(y).sum())
                run.notes.append(f"{outcome}: {n_bad} Sobol design rows had no value (failed or "
                                 "undefined); filled with the mean, so indices are approximate")
                y = np.where(np.isnan(y), np.nanmean(y), y)
            run.sobol[outcome] = sobol_indices(s_space, y, outcome, seed=seed)
        frames.append(_joined(res, "sobol"))
    if run.missing:
        run.notes.append(f"{run.missing} design rows have no result (failed jobs or invalid "
                         "settings); their effects are left out. Re-run the same command to "
                         "retry failed jobs")
    from netsim.sensitivity_report import write_report

    write_report(run, pl.concat(frames, how="diagonal_relaxed"), overrides, command)
    return run


def _joined(res: Any, stage: str) -> pl.DataFrame:
    """Design rows joined with their outcomes (one row per design row and replicate)."""
    return (res.design.join(res.outcomes, on="row", how="left")
            .with_columns(pl.lit(stage).alias("stage"))
            .select("stage", pl.all().exclude("stage")))


def save_json(path: Path, data: dict[str, Any]) -> None:
    from netsim.results import atomic_write

    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=1, default=str)))

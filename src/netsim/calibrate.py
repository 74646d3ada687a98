"""Pattern-oriented calibration of the model (``netsim calibrate``): ABC against the stylised
facts and the first-year plausibility ranges, and the ensemble file it produces.

**Targets** live in a YAML file (``configs/calibration/targets.yaml``; users edit or replace
it). Each is a statistic of the run summary with an acceptance region::

    - name: fact_1_leader
      what: schools whose leader takes part change practice more
      source: seed 001 §5.2.5, §6.4.2
      statistic: difference        # mean | difference | ratio
      outcome: schools_changed     # a summary column, or <weekly column>_y<year>
      arm: {leader_participation: 1.0}
      baseline: {leader_participation: 0.0}
      accept: [0.02, null]         # [lo, hi]; null = open

``mean`` is the arm's mean over replicates; ``difference`` the mean over replicates of arm
minus baseline (paired: replicate ``r`` of both uses the same random stream); ``ratio`` the
arm's mean over the baseline's. ``minus: <key>`` subtracts the value of a setting in that
parameter set (``trust_members_y1`` minus ``trust.initial``: trust grew). ``arm`` and
``baseline`` are settings applied on top of each parameter set (empty = the scenario as it
is); a top-level ``settings:`` mapping applies to every arm first (``calendar.years: 1``: the
targets are measured on the first school year). ``<column>_y<k>`` is a weekly series column at
the end of school year ``k`` (``adoption_members_y1``), see :data:`netsim.designs.YEAR_COLUMNS`.

Every parameter set is run once per distinct arm, with the scenario's replicates, as design
rows of one batch per generation (:func:`netsim.designs.run_design`): generation ``t`` is the
sweep folder ``<out>/gen_<t>``, so the calibration resumes where it stopped. The algorithm is
:func:`netsim.approx_bayes.abc_smc`; pyabc (Schälte et al. 2022) is the field's library, but its
samplers run one particle at a time in their own workers until enough are accepted, which
cannot go through Hydra launchers as resumable batches; netsim implements the same published
scheme (Toni et al. 2009; Beaumont et al. 2009) with a fixed batch per generation.

**The ensemble** (``ensemble.parquet``): one row per accepted parameter set with ``member``,
``weight`` and one column per calibrated parameter, plus the statistics and whether each target
is met; the file's metadata record the model version (:data:`netsim.MODEL_VERSION`), the
scenario overrides and the targets. The file and its checks live in :mod:`netsim.ensemble`
(re-exported here): ``netsim run ensemble=FILE``, sweeps and ``netsim compare`` use it, and
``netsim robust --ensemble FILE`` runs every arm on every member.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from netsim.config import ConfigError
from netsim.ensemble import ENSEMBLE_FILE, Ensemble, load_ensemble, write_ensemble

if TYPE_CHECKING:
    from netsim.designs import Progress

__all__ = ["STATISTICS", "CalibrationRun", "Ensemble", "Target", "default_targets_file",
           "load_ensemble", "load_targets", "run_calibration", "write_ensemble"]

log = logging.getLogger("netsim.calibrate")

STATISTICS = ("mean", "difference", "ratio")


def default_targets_file() -> Path:
    """``configs/calibration/targets.yaml``."""
    from netsim.config import configs_dir

    return configs_dir() / "calibration" / "targets.yaml"


@dataclass(frozen=True)
class Target:
    """One pattern: a statistic with an acceptance region (see the module docstring)."""

    name: str
    statistic: str
    outcome: str
    lo: float
    hi: float
    arm: tuple[tuple[str, Any], ...] = ()
    baseline: tuple[tuple[str, Any], ...] = ()
    what: str = ""
    source: str = ""
    minus: str | None = None

    def region_text(self) -> str:
        if math.isinf(self.lo):
            return f"<= {self.hi:g}"
        if math.isinf(self.hi):
            return f">= {self.lo:g}"
        return f"{self.lo:g} to {self.hi:g}"

    def arms(self) -> list[tuple[tuple[str, Any], ...]]:
        return [self.arm] if self.statistic == "mean" else [self.arm, self.baseline]


def _allowed_outcome(outcome: str, years: int) -> str | None:
    """None when ``outcome`` exists for a run of ``years`` full school years, else why not."""
    from netsim.designs import YEAR_COLUMNS
    from netsim.metrics import SUMMARY_COLUMNS

    if outcome in SUMMARY_COLUMNS:
        return None
    m = re.fullmatch(r"(.+)_y(\d+)", outcome)
    if m and m.group(1) in YEAR_COLUMNS:
        if int(m.group(2)) > years:
            return f"year {m.group(2)} is beyond this run's {years} full school years"
        return None
    return ("allowed: a run-summary column (" + ", ".join(SUMMARY_COLUMNS) + ") or "
            "<column>_y<year> with column one of " + ", ".join(YEAR_COLUMNS))


def _merged(common: tuple[tuple[str, Any], ...], own: tuple[tuple[str, Any], ...]
            ) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted({**dict(common), **dict(own)}.items()))


def _settings(value: Any, where: str) -> tuple[tuple[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} = {value!r} is not a mapping of settings; allowed e.g. "
                          "{leader_participation: 1.0}")
    for k, v in value.items():
        if isinstance(v, (str, list, dict)) or v is None:
            raise ConfigError(f"{where}.{k} = {v!r} is not allowed; allowed: a number or "
                              "true/false")
    return tuple(sorted((str(k), v) for k, v in value.items()))


def load_targets(path: Path | str, base_overrides: Sequence[str] = ()) -> list[Target]:
    """Read and check a targets file against the scenario it will run on.

    Raises:
        ConfigError: an unreadable file, a missing or unknown field, an unknown statistic or
            outcome, an empty region, or arm settings that are invalid.
    """
    import yaml

    from netsim.designs import _row_scenario, check_base
    from netsim.config import scenario_to_dict

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"targets file {str(path)!r} cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"targets file {str(path)!r} is not valid YAML: "
                          f"{str(exc).splitlines()[0]}") from None
    items = (data or {}).get("targets") if isinstance(data, Mapping) else None
    if not isinstance(items, list) or not items:
        raise ConfigError(f"targets file {str(path)!r} has no list 'targets'; allowed: "
                          "targets: [- name: ..., statistic: ..., outcome: ..., accept: [lo, hi]]")
    base = scenario_to_dict(check_base(list(base_overrides)))
    known = {"name", "what", "source", "statistic", "outcome", "arm", "baseline", "accept",
             "minus"}
    common = _settings(data.get("settings"), "settings")
    targets, names = [], set()
    for i, item in enumerate(items):
        where = f"targets[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where} is not a mapping; allowed keys: {', '.join(sorted(known))}")
        name = str(item.get("name") or "")
        where = f"target {name!r}" if name else where
        extra = set(item) - known
        if extra:
            raise ConfigError(f"{where} has unknown key {sorted(extra)[0]!r}; allowed: "
                              + ", ".join(sorted(known)))
        for key in ("name", "statistic", "outcome", "accept"):
            if key not in item:
                raise ConfigError(f"{where} lacks {key!r}; allowed keys: "
                                  + ", ".join(sorted(known)))
        if name in names:
            raise ConfigError(f"{where} appears twice; allowed: unique names")
        names.add(name)
        stat = str(item["statistic"])
        if stat not in STATISTICS:
            raise ConfigError(f"{where}: statistic = {stat!r} is not allowed; allowed: "
                              + ", ".join(STATISTICS))
        acc = item["accept"]
        if not isinstance(acc, list) or len(acc) != 2:
            raise ConfigError(f"{where}: accept = {acc!r} is not [lo, hi]; allowed e.g. "
                              "[0.2, 0.7] or [0, null]")
        try:
            lo = -math.inf if acc[0] is None else float(acc[0])
            hi = math.inf if acc[1] is None else float(acc[1])
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: accept = {acc!r} is not [lo, hi] numbers") from None
        if not lo <= hi or (math.isinf(lo) and math.isinf(hi)):
            raise ConfigError(f"{where}: accept = {acc!r} is empty or unbounded; allowed: "
                              "lo <= hi, at least one finite")
        arm = _merged(common, _settings(item.get("arm"), f"{where}: arm"))
        baseline = _merged(common, _settings(item.get("baseline"), f"{where}: baseline"))
        if stat != "mean" and "baseline" not in item:
            raise ConfigError(f"{where}: statistic {stat} needs a 'baseline' (settings, or {{}} "
                              "for the scenario as it is)")
        minus = item.get("minus")
        if minus is not None:
            from netsim.params import parameter

            try:
                if not parameter(str(minus)).numeric:
                    raise ConfigError(f"{minus!r} is not a numeric setting")
            except ConfigError as exc:
                raise ConfigError(f"{where}: minus = {minus!r}: {exc}") from None
        target = Target(name, stat, str(item["outcome"]), lo, hi, arm, baseline,
                        str(item.get("what", "")), str(item.get("source", "")),
                        None if minus is None else str(minus))
        for settings in target.arms():
            try:
                sc = _row_scenario(base, dict(settings))
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            why = _allowed_outcome(target.outcome, sc.n_weeks // sc.calendar.weeks_per_year)
            if why:
                raise ConfigError(f"{where}: outcome {target.outcome!r} is unknown: {why}")
        targets.append(target)
    return targets


# --------------------------------------------------------------------------------------------
# running the model for ABC


def _arm_key(settings: tuple[tuple[str, Any], ...]) -> str:
    return " ".join(f"{k}={v}" for k, v in settings) or "(scenario)"


@dataclass
class ModelSimulator:
    """``simulate(theta, generation)`` for :func:`netsim.approx_bayes.abc_smc`: every parameter set on
    every arm the targets need, through the sweep machinery."""

    out: Path
    space: Any
    targets: list[Target]
    overrides: list[str]
    batch_rows: int | None = None
    progress: Progress | None = None
    runs: int = 0
    missing: int = 0
    arms: list[tuple[tuple[str, Any], ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: dict[str, tuple[tuple[str, Any], ...]] = {}
        for t in self.targets:
            for a in t.arms():
                seen.setdefault(_arm_key(a), a)
        self.arms = list(seen.values())

    def design(self, theta: np.ndarray) -> pl.DataFrame:
        n, n_arms = theta.shape[0], len(self.arms)
        cols: dict[str, list[Any]] = {"row": list(range(n * n_arms))}
        keys = list(self.space.names)
        arm_keys = sorted({k for a in self.arms for k, _ in a} - set(keys))
        for k in keys + arm_keys:
            cols[k] = []
        for i in range(n):
            vals = self.space.overrides(theta[i])
            for a in self.arms:
                row = {**vals, **dict(a)}
                for k in keys + arm_keys:
                    cols[k].append(row.get(k))
        return pl.DataFrame(cols, strict=False)

    def __call__(self, theta: np.ndarray, generation: int) -> np.ndarray:
        from netsim.designs import run_design

        design = self.design(theta)
        res = run_design(self.out / f"gen_{generation}", design, self.overrides,
                         self.batch_rows, self.progress)
        self.runs += res.outcomes.height
        self.missing += len(res.missing_rows)
        return statistics(res.outcomes, theta.shape[0], self.arms, self.targets,
                          self.subtracted(theta))

    def subtracted(self, theta: np.ndarray) -> dict[str, np.ndarray | float]:
        """The values of the settings targets subtract: sampled, set by the arm, or the
        scenario's."""
        from netsim.designs import _row_scenario, _split_hydra, check_base
        from netsim.config import scenario_to_dict
        from netsim.params import _flat

        out: dict[str, np.ndarray | float] = {}
        base = None
        for t in self.targets:
            if t.minus is None or t.minus in out:
                continue
            if t.minus in dict(t.arm):
                out[t.minus] = float(dict(t.arm)[t.minus])
            elif t.minus in self.space.names:
                j = self.space.names.index(t.minus)
                p = self.space.params[j]
                out[t.minus] = np.array([p.value(v) for v in theta[:, j]], dtype=float)
            else:
                if base is None:
                    base = _flat(scenario_to_dict(check_base(_split_hydra(self.overrides)[0])))
                out[t.minus] = float(base[t.minus])
        return out


def statistics(outcomes: pl.DataFrame, n: int, arms: Sequence[tuple[tuple[str, Any], ...]],
               targets: Sequence[Target],
               values: Mapping[str, np.ndarray | float] | None = None) -> np.ndarray:
    """(n, K) target statistics from the runs of ``n`` parameter sets on ``arms``.

    ``values`` gives, per setting a target subtracts (``minus``), its value in each set (an
    array of n) or in all (a number)."""
    n_arms = len(arms)
    index = {_arm_key(a): j for j, a in enumerate(arms)}
    out = np.full((n, len(targets)), np.nan)
    if outcomes.height == 0:
        return out
    o = outcomes.with_columns((pl.col("row") // n_arms).alias("_set"),
                              (pl.col("row") % n_arms).alias("_arm"))
    for k, t in enumerate(targets):
        if t.outcome not in o.columns:
            continue
        val = pl.col(t.outcome).cast(pl.Float64).fill_nan(None)
        a = index[_arm_key(t.arm)]
        arm = o.filter(pl.col("_arm") == a).select("_set", "replicate", val.alias("a"))
        if t.statistic == "mean":
            s = arm.group_by("_set").agg(pl.col("a").mean().alias("s"))
        else:
            b = index[_arm_key(t.baseline)]
            base = o.filter(pl.col("_arm") == b).select("_set", "replicate", val.alias("b"))
            j = arm.join(base, on=["_set", "replicate"], how="inner")
            if t.statistic == "difference":
                s = j.group_by("_set").agg((pl.col("a") - pl.col("b")).mean().alias("s"))
            else:
                s = j.group_by("_set").agg(
                    (pl.col("a").mean() / pl.col("b").mean()).alias("s"))
        sets = s["_set"].to_numpy()
        out[sets, k] = s["s"].cast(pl.Float64).fill_null(math.nan).to_numpy()
        if t.minus is not None:
            sub = (values or {}).get(t.minus, math.nan)
            out[:, k] -= sub[:n] if isinstance(sub, np.ndarray) else sub
    return out


# --------------------------------------------------------------------------------------------
# the command


@dataclass
class CalibrationRun:
    """What ``netsim calibrate`` found (also returned to notebooks)."""

    folder: Path
    space: Any
    targets: list[Target]
    result: Any
    ensemble_path: Path
    met_all: int = 0
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    runs: int = 0
    missing: int = 0


def _hash_targets(targets: Sequence[Target]) -> str:
    text = json.dumps([t.__dict__ for t in targets], default=str, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def run_calibration(out: Path | str, targets_file: Path | str | None = None,
                    overrides: Sequence[str] = (), keys: Sequence[str] | None = None,
                    ranges: dict[str, tuple[float, float]] | None = None,
                    n_particles: int = 100, generations: int = 3, seed: int = 20261123,
                    quantile: float = 0.5, initial_factor: int = 4, proposal_factor: int = 2,
                    batch_rows: int | None = None, command: str = "",
                    progress: Progress | None = None) -> CalibrationRun:
    """ABC rejection then SMC of the model against a targets file; writes the ensemble and the
    report into ``out``.

    Raises:
        ConfigError: a bad targets file, parameter, range or setting (nothing written).
    """
    from netsim.approx_bayes import UniformPrior, abc_smc
    from netsim.params import parameter_space

    if n_particles < 2:
        raise ConfigError(f"--particles = {n_particles} is too small; allowed: >= 2")
    if generations < 0:
        raise ConfigError(f"--generations = {generations} is not allowed; allowed: >= 0")
    if not 0 < quantile < 1:
        raise ConfigError(f"--quantile = {quantile} is not allowed; allowed: 0 < q < 1")
    path = Path(targets_file) if targets_file else default_targets_file()
    targets = load_targets(path, overrides)
    space = parameter_space(keys, ranges)
    out = Path(out)
    sim = ModelSimulator(out, space, targets, list(overrides), batch_rows, progress)
    lo = np.array([t.lo for t in targets])
    hi = np.array([t.hi for t in targets])
    prior = UniformPrior(np.array([b[0] for b in space.bounds]),
                         np.array([b[1] for b in space.bounds]))
    lines: list[str] = []

    def note(line: str) -> None:
        lines.append(line)
        if progress is not None:
            progress(line)

    result = abc_smc(sim, prior, lo, hi, n_particles, generations, seed, quantile,
                     initial_factor, proposal_factor, log=note)
    from netsim.approx_bayes import outside

    met = outside(result.stats, lo, hi) == 0
    members = pl.DataFrame({
        "member": np.arange(result.theta.shape[0]),
        "weight": result.weights,
        **{p.key: [p.value(v) for v in result.theta[:, j]]
           for j, p in enumerate(space.params)},
        "distance": result.distance,
        **{f"stat_{t.name}": result.stats[:, k] for k, t in enumerate(targets)},
        **{f"met_{t.name}": met[:, k] for k, t in enumerate(targets)},
    })
    from netsim.designs import _split_hydra

    meta = {"overrides": _split_hydra(list(overrides))[0], "targets_file": str(path),
            "targets": [t.name for t in targets], "targets_hash": _hash_targets(targets),
            "epsilon": result.generations[-1].epsilon if result.generations else None,
            "generations": [g.__dict__ for g in result.generations], "command": command}
    ens_path = write_ensemble(out / ENSEMBLE_FILE, members, space.names, meta)
    run = CalibrationRun(out, space, targets, result, ens_path, int(met.all(axis=1).sum()),
                         runs=sim.runs, missing=sim.missing)
    run.notes += lines
    if sim.missing:
        run.notes.append(f"{sim.missing} design rows have no result (failed jobs or invalid "
                         "settings); those parameter sets count as not meeting the targets")
    from netsim.calibrate_report import write_report

    write_report(run, command)
    return run

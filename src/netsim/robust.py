"""Robust design comparison across plausible worlds (``netsim robust``).

Every design arm is run on every member of an ensemble (an ABC posterior from
:mod:`netsim.calibrate`, or ``--worlds N`` parameter sets spread over the plausible ranges),
with the scenario's replicates and common random numbers: replicate ``r`` of every arm and
every member uses the same random stream, so arm-minus-baseline differences are paired.

Per arm, across worlds (members weighted by their ensemble weights):

- the **effect** of the arm in world ``m``: the mean over replicates of arm minus baseline
  (``e_m``), its weighted mean and 5-95 % range;
- **P(arm beats baseline)**: the weight of the worlds with ``e_m > 0`` (``< 0`` for outcomes
  where less is better: costs and weeks to a share);
- **regret** in world ``m``: how far the arm falls short of the best arm there,
  ``max_a v_ma - v_m`` (in the outcome's direction); its weighted mean (expected regret) and
  maximum (worst case) over worlds (Savage 1951; Lempert et al. 2006, Management Science 52:514);
- **scenario discovery**: where the ranking flips (the arm wins in some worlds, loses in
  others), PRIM (:mod:`netsim.prim`) finds the region of the parameters where the minority
  result concentrates: "beats the baseline unless trust.growth > 0.3". Only worlds where the
  minority result is beyond replicate noise (2 standard errors of the paired difference) count
  as flips, so a region is not read into noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from netsim.config import ConfigError

if TYPE_CHECKING:
    from netsim.designs import Progress

__all__ = ["LOWER_IS_BETTER", "RobustRun", "parse_arm", "prior_worlds", "robust_stats",
           "run_robust"]

#: outcomes where less is better
LOWER_IS_BETTER = ("person_hours", "time_to_25", "time_to_50", "school_inequality")
#: fewest worlds for scenario discovery
MIN_WORLDS_PRIM = 20
#: a flip region is reported when it holds at least this share of the flips
MIN_COVERAGE = 0.5


def parse_arm(text: str) -> tuple[tuple[str, Any], ...]:
    """``"meeting_interval_weeks=3 formality=0.5"`` -> settings (ConfigError on bad syntax)."""
    from netsim.sweep import override_value

    items = []
    for part in text.replace(",", " ").split():
        if "=" not in part or part.startswith(("hydra", "+", "~")):
            raise ConfigError(f"arm {text!r} is not key=value settings; allowed e.g. "
                              "--arm meeting_interval_weeks=3")
        value = override_value(part)
        if value == "true" or value == "false":
            value = value == "true"
        if isinstance(value, str) or value is None:
            raise ConfigError(f"arm setting {part!r} is not allowed; allowed: numbers or "
                              "true/false")
        items.append((part.split("=", 1)[0], value))
    return tuple(sorted(items))


def arm_text(arm: tuple[tuple[str, Any], ...]) -> str:
    return " ".join(f"{k}={v}" for k, v in arm) or "(scenario as is)"


def prior_worlds(space: Any, n: int, seed: int) -> pl.DataFrame:
    """``n`` equally weighted parameter sets spread over the box (scrambled Sobol points)."""
    from scipy.stats import qmc

    m = max(1, math.ceil(math.log2(max(n, 2))))
    u = qmc.Sobol(len(space.params), scramble=True, seed=seed).random_base2(m)[:n]
    lo = np.array([b[0] for b in space.bounds])
    hi = np.array([b[1] for b in space.bounds])
    x = lo + u * (hi - lo)
    return pl.DataFrame({"member": np.arange(n), "weight": np.full(n, 1.0 / n),
                         **{p.key: [p.value(v) for v in x[:, j]]
                            for j, p in enumerate(space.params)}})


@dataclass
class ArmStats:
    """Across-worlds statistics of one arm (see the module docstring)."""

    arm: str
    mean_value: float
    mean_effect: float
    effect_p05: float
    effect_p95: float
    p_beats: float
    expected_regret: float
    worst_regret: float
    p_best: float
    p_clear: float = math.nan
    box: Any = None
    box_is_loss: bool = True
    box_base: float = math.nan  # share of all worlds where the minority result holds
    n_flips: int = -1  # worlds where it clearly (beyond noise) flips; -1 = not looked at

    @property
    def box_explains(self) -> bool:
        """A flip region worth reporting: it holds at least half of the flips and 5 worlds, and
        the flip is the majority there (20 points above its share overall)."""
        return (self.box is not None and bool(self.box.restricted)
                and self.box.coverage >= MIN_COVERAGE and self.box.n_inside >= 5
                and self.box.density >= max(0.5, self.box_base + 0.2))


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    ok = np.isfinite(x)
    x, w = x[ok], w[ok]
    if x.size == 0:
        return math.nan
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / w.sum()
    return float(x[order][np.searchsorted(cw, q, side="left").clip(0, x.size - 1)])


def robust_stats(values: np.ndarray, effects: np.ndarray, weights: np.ndarray,
                 labels: Sequence[str], lower_is_better: bool = False,
                 x: np.ndarray | None = None, names: Sequence[str] = (),
                 effect_se: np.ndarray | None = None) -> list[ArmStats]:
    """Per arm (column; column 0 the baseline), statistics across worlds (rows).

    Args:
        values: (M, A) the outcome per world and arm (mean over replicates).
        effects: (M, A) paired arm-minus-baseline per world.
        weights: (M,) world weights.
        x: (M, D) the worlds' parameters, for scenario discovery.
        effect_se: (M, A) standard errors of the effects over replicates: the share of worlds
            where an effect is clearly (2 se) away from 0 is ``p_clear``.
    """
    from netsim.prim import prim

    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    sign = -1.0 if lower_is_better else 1.0
    good = sign * values
    best = np.nanmax(good, axis=1)
    regret = best[:, None] - good
    winner = np.nanargmax(good, axis=1)
    out = []
    for a, label in enumerate(labels):
        e = effects[:, a]
        beats = (sign * e > 0).astype(float)
        st = ArmStats(label, float(np.nansum(w * values[:, a])), float(np.nansum(w * e)),
                      _wquantile(e, w, 0.05), _wquantile(e, w, 0.95),
                      float(np.sum(w * beats)) if a else math.nan,
                      float(np.nansum(w * regret[:, a])), float(np.nanmax(regret[:, a])),
                      float(np.sum(w * (winner == a))))
        if a and effect_se is not None:
            clear = np.abs(e) > 2 * np.nan_to_num(effect_se[:, a], nan=np.inf)
            st.p_clear = float(np.sum(w * clear))
        if a and x is not None and x.shape[0] >= MIN_WORLDS_PRIM and 0.05 < st.p_beats < 0.95:
            loss = st.p_beats >= 0.5  # look for where the usual result flips
            y = 1.0 - beats if loss else beats
            if effect_se is not None:  # count only flips beyond replicate noise
                margin = 2 * np.nan_to_num(effect_se[:, a], nan=np.inf)
                y = (sign * e < -margin) if loss else (sign * e > margin)
                y = y.astype(float)
            st.box_is_loss = loss
            st.box_base = float(np.sum(w * y))
            st.n_flips = int(y.sum())
            if st.n_flips >= 3:
                st.box = prim(x, y, w, names, min_support=max(0.05, 5 / x.shape[0]))
        out.append(st)
    return out


@dataclass
class RobustRun:
    """What ``netsim robust`` computed."""

    folder: Path
    outcome: str
    arms: list[str]
    stats: list[ArmStats]
    worlds: pl.DataFrame
    parameters: list[str]
    values: np.ndarray
    effects: np.ndarray
    effect_se: np.ndarray
    source: str
    lower_is_better: bool
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    runs: int = 0


def run_robust(out: Path | str, arms: Sequence[str], baseline: str | None = None,
               ensemble: Path | str | None = None, worlds: int | None = None,
               outcome: str = "adoption_colleagues", overrides: Sequence[str] = (),
               keys: Sequence[str] | None = None, seed: int = 20261123,
               batch_rows: int | None = None, command: str = "",
               progress: Progress | None = None) -> RobustRun:
    """Run every arm on every world; write the comparison and its report into ``out``.

    Raises:
        ConfigError: no arms, bad arm settings, an unknown outcome, an ensemble file of another
            model version, or a bad setting (nothing written).
    """
    from netsim.ensemble import load_ensemble
    from netsim.designs import _row_scenario, _split_hydra, check_base, run_design
    from netsim.params import parameter_space
    from netsim.sensitivity import check_outcomes

    if not arms:
        raise ConfigError("no --arm given; allowed: one or more, e.g. --arm "
                          "meeting_interval_weeks=3")
    if (ensemble is None) == (worlds is None):
        raise ConfigError("give either --ensemble FILE (from netsim calibrate) or --worlds N "
                          "(parameter sets spread over the plausible ranges)")
    base_arm = parse_arm(baseline or "")
    arm_list = [base_arm] + [parse_arm(a) for a in arms]
    labels = [arm_text(a) for a in arm_list]
    if len(set(labels)) < len(labels):
        raise ConfigError("two arms (or an arm and the baseline) have the same settings; "
                          "allowed: distinct arms")
    base = check_base(_split_hydra(list(overrides))[0])
    check_outcomes([outcome], base.n_weeks // base.calendar.weeks_per_year)
    from netsim.config import scenario_to_dict

    base_dict = scenario_to_dict(base)
    for a in arm_list:
        try:
            _row_scenario(base_dict, dict(a))
        except ConfigError as exc:
            raise ConfigError(f"arm {arm_text(a)!r}: {exc}") from None
    if ensemble is not None:
        ens = load_ensemble(ensemble)
        members, params, source = ens.members, ens.parameters, f"ensemble {ensemble}"
        if keys:
            raise ConfigError("--params applies to --worlds only; an ensemble brings its own "
                              "parameters")
    else:
        if worlds < 2:
            raise ConfigError(f"--worlds = {worlds} is too small; allowed: >= 2")
        space = parameter_space(keys)
        members = prior_worlds(space, worlds, seed)
        params = space.names
        source = f"{worlds} worlds spread over the plausible ranges"
    arm_keys = sorted({k for a in arm_list for k, _ in a})
    clash = sorted(set(arm_keys) & set(params))
    n_m, n_a = members.height, len(arm_list)
    cols: dict[str, list[Any]] = {"row": list(range(n_m * n_a))}
    for k in [*params, *arm_keys]:
        cols[k] = []
    from netsim.params import parameter

    for i in range(n_m):
        row = members.row(i, named=True)
        world = {k: parameter(k).value(row[k]) for k in params}
        for a in arm_list:
            vals = {**world, **dict(a)}
            for k in [*params, *arm_keys]:
                cols[k].append(vals.get(k))
    design = pl.DataFrame(cols, strict=False)
    out = Path(out)
    res = run_design(out / "runs_by_world", design, overrides, batch_rows, progress)
    o = res.outcomes.with_columns((pl.col("row") // n_a).alias("world"),
                                  (pl.col("row") % n_a).alias("arm_i"))
    val = pl.col(outcome).cast(pl.Float64).fill_nan(None)
    if outcome.startswith("time_to_"):
        val = val.fill_null(float(base.n_weeks))
    o = o.with_columns(val.alias("_v"))
    b = o.filter(pl.col("arm_i") == 0).select("world", "replicate", pl.col("_v").alias("_b"))
    o = o.join(b, on=["world", "replicate"], how="left")
    diff = pl.col("_v") - pl.col("_b")
    agg = o.group_by("world", "arm_i").agg(
        pl.col("_v").mean().alias("value"), diff.mean().alias("effect"),
        (diff.std() / diff.count().sqrt()).alias("se"))
    values = np.full((n_m, n_a), np.nan)
    effects = np.full((n_m, n_a), np.nan)
    wi, ai = agg["world"].to_numpy(), agg["arm_i"].to_numpy()
    values[wi, ai] = agg["value"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    effects[wi, ai] = agg["effect"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    se = np.full((n_m, n_a), np.nan)
    se[wi, ai] = agg["se"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    weights = members["weight"].cast(pl.Float64).to_numpy()
    x = np.column_stack([members[k].cast(pl.Float64).to_numpy() for k in params])
    lower = outcome in LOWER_IS_BETTER
    stats = robust_stats(values, effects, weights, labels, lower, x, params, se)
    run = RobustRun(out, outcome, labels, stats, members, params, values, effects, se, source,
                    lower, runs=res.outcomes.height)
    if clash:
        run.notes.append(f"the arms set {', '.join(clash)}, which the worlds also vary: in each "
                         "arm the arm's value replaces the world's")
    if res.missing_rows:
        run.notes.append(f"{len(res.missing_rows)} world-arm rows have no result (failed jobs "
                         "or invalid settings); re-run the same command to retry")
    if n_m < MIN_WORLDS_PRIM:
        run.notes.append(f"{n_m} worlds are too few for scenario discovery (PRIM needs "
                         f"{MIN_WORLDS_PRIM} or more)")
    from netsim.robust_report import write_report

    write_report(run, command)
    return run

"""The comparison report of a sweep: figures, ``report.md`` and a self-contained ``report.html``.

Figures (matplotlib, no display needed):

* **outcomes by condition** (``outcomes_by_<key>.png``): each compared outcome against each
  swept numeric setting, mean with its 95 % interval as a band, one panel per outcome;
* **adoption curves** (``adoption_curves.png``): adoption of all staff and of colleagues over
  time per arm, mean across replicates with a 95 % band;
* **forest plot** (``differences.png``): the difference of each arm from the baseline with its
  interval, one row per arm, for the main outcomes, coloured by better / worse (the direction
  of each outcome is declared in :data:`netsim.analysis.DIRECTION`: a cost increase is worse);
* **cost against adoption** (``cost_vs_adoption.png``): every arm's mean cost and adoption
  with their intervals, the Pareto front (the arms no other arm beats on both) and the
  baseline; in money when a wage rate is given.

The report states the question, the arms, means and differences with intervals, cost and cost
per adopter, the figures and a plain-language reading; the HTML has the figures embedded as
base64 PNG, plain HTML and a little CSS (no scripts, nothing loaded from the network).
"""

from __future__ import annotations

import base64
import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import polars as pl
from matplotlib.figure import Figure

from netsim.analysis import (
    MONEY,
    Comparison,
    compare,
    condition_label,
    frames_from_runs,
    load_collected,
    outcome_info,
    tradeoff_words,
)
from netsim.results import atomic_write

__all__ = ["FOREST_OUTCOMES", "HEADER", "arm_names", "compare_runs", "condition_figure",
           "cost_figure", "curves_figure", "forest_figure", "format_rows", "pareto_front",
           "reading", "run_compare", "tradeoffs", "write_report"]

log = logging.getLogger(__name__)

# outcomes in the forest plot and the plain-language reading, when compared
FOREST_OUTCOMES = ("adoption_all", "adoption_colleagues", "adoption_members", "schools_changed",
                   "person_hours", "adoption_per_100_person_hours")
_CURVES = (("adoption_all", "all staff"), ("adoption_colleagues", "colleagues at home"))
_MAX_CURVES = 8
_FONT = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10,
         "ytick.labelsize": 10, "legend.fontsize": 10}
# better / worse / changed (an outcome without a better direction) / not distinguishable
_BETTER, _WORSE, _CHANGED, _SAME = "#1b6ca8", "#c0392b", "#4d4d4d", "#8c8c8c"
_UP = _BETTER  # the colour of a line of means
# column headers of the rows of :func:`format_rows`
HEADER = ("arm", "n", "mean", "95 % interval", "difference", "95 % interval", "")


# --------------------------------------------------------------------------------------------
# words


def _value_words(key: str, value: Any) -> str:
    if value is None:
        return "default"
    if isinstance(value, float):
        return f"{value:g}"
    if key == "scenario" or isinstance(value, str):
        return str(value).replace("_", " ")
    return str(value)


def arm_names(comparison: Comparison) -> dict[str, str]:
    """Planner-readable names of the arms: the values of the settings that differ between
    arms (``3`` when only ``meeting_interval_weeks`` varies; ``leader participation: 0;
    formality: 0.2`` when several do)."""
    conds = comparison.conditions
    out = {}
    for row in comparison.arms.iter_rows(named=True):
        if not conds:
            out[row["arm"]] = row["arm"]
        elif len(conds) == 1:
            out[row["arm"]] = _value_words(conds[0], row[conds[0]])
        else:
            out[row["arm"]] = "; ".join(f"{_short_condition(k)}: {_value_words(k, row[k])}"
                                        for k in conds)
    return out


def _long_names(comparison: Comparison) -> dict[str, str]:
    """Arm names that say which setting they are (``weeks between gatherings = 3``)."""
    conds = comparison.conditions
    if len(conds) != 1:
        return arm_names(comparison)
    key = conds[0]
    return {a: f"{_short_condition(key)} = {n}" for a, n in arm_names(comparison).items()}


def _short_condition(key: str) -> str:
    return condition_label(key).split(" (")[0]


def _question(comparison: Comparison) -> str:
    conds = comparison.conditions
    if not conds:
        return "How do these arms differ?"
    names = " and ".join(_short_condition(k) for k in conds)
    return f"How do the outcomes change with the {names}?"


def _fmt(value: float, fmt: str, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    text = fmt.format(value)
    if value == 0:  # an exact zero has no sign
        return text.lstrip("-")
    if sign and value > 0 and not text.startswith("+"):
        text = "+" + text
    return text.replace("-", "−") if sign else text


def _interval(lo: float, hi: float, fmt: str, sign: bool = False) -> str:
    if lo is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return "–"
    return f"[{_fmt(lo, fmt, sign)}, {_fmt(hi, fmt, sign)}]"


def _judge(row: dict[str, Any], info: Any) -> str:
    """``better``, ``worse``, ``changed`` (a clear difference on an outcome without a better
    direction), ``same`` (interval spans 0) or ``unknown``, from the outcome's direction."""
    v = _verdict(row)
    if v not in ("higher", "lower"):
        return v
    if info.better == 0:
        return "changed"
    return "better" if (v == "higher") == (info.better > 0) else "worse"


def _verdict(row: dict[str, Any]) -> str:
    """``higher``, ``lower``, ``same`` (interval spans 0) or ``unknown``."""
    lo, hi = row["diff_low"], row["diff_high"]
    if row["is_baseline"] or lo is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return "unknown"
    if lo > 0:
        return "higher"
    if hi < 0:
        return "lower"
    return "same"


def format_rows(comparison: Comparison) -> list[tuple[str, list[tuple[str, ...]]]]:
    """The comparison as display strings: per outcome, its title and rows of
    (arm, n, mean, interval, difference, interval, marker); :data:`HEADER` names the columns.
    The marker is ``*`` when the difference's interval excludes 0, followed by ``better`` or
    ``worse`` when the outcome has a better direction."""
    names = arm_names(comparison)
    out = []
    for col in comparison.outcomes:
        info = comparison.info(col)
        rows = []
        for r in comparison.table.filter(pl.col("outcome") == col).iter_rows(named=True):
            n = str(r["n"]) if r["n_valid"] == r["n"] else f"{r['n_valid']}/{r['n']}"
            name = names[r["arm"]] + (" (baseline)" if r["is_baseline"] else "")
            if r["is_baseline"]:
                diff = ci = ""
            else:
                diff = _fmt(r["diff"], info.fmt, sign=True)
                ci = _interval(r["diff_low"], r["diff_high"], info.fmt, sign=True)
                if r["method"] == "paired" and r["n_pairs"] < r["n"] and diff != "–":
                    diff += f" ({r['n_pairs']} pairs)"
            judged = _judge(r, info)
            mark = {"better": "* better", "worse": "* worse", "changed": "*"}.get(judged, "")
            rows.append((name, n, _fmt(r["mean"], info.fmt), _interval(r["low"], r["high"],
                                                                         info.fmt),
                         diff, ci, mark))
        unit = f" ({info.diff_unit})" if info.diff_unit else ""
        out.append((f"{info.label}; difference{unit}", rows))
    return out


def reading(comparison: Comparison) -> list[str]:
    """A plain-language reading for a planner, one paragraph per arm plus a summary."""
    names = _long_names(comparison)
    base_name = names[comparison.baseline]
    outcomes = [c for c in FOREST_OUTCOMES if c in comparison.outcomes] or comparison.outcomes
    table = comparison.table
    lines = []
    differ, same = [], []
    key = outcomes[0]
    for arm in comparison.arms["arm"].to_list():
        if arm == comparison.baseline:
            continue
        rows = {r["outcome"]: r for r in table.filter(pl.col("arm") == arm).iter_rows(named=True)}
        found, unclear = [], []
        for col in outcomes:
            r = rows[col]
            info = comparison.info(col)
            v = _verdict(r)
            if v in ("higher", "lower"):
                unit = f" {info.diff_unit}" if info.diff_unit else ""
                ends = sorted((abs(r["diff_low"]), abs(r["diff_high"])))
                judged = _judge(r, info)
                word = f", {judged}" if judged in ("better", "worse") else ""
                found.append(f"{info.label.split(' (')[0]} {v} by "
                             f"{_fmt(abs(r['diff']), info.fmt)}{unit} "
                             f"({word.lstrip(', ')}{'; ' if word else ''}95 % interval "
                             f"{_fmt(ends[0], info.fmt)} to {_fmt(ends[1], info.fmt)})")
            elif v == "same":
                unclear.append(info.label.split(" (")[0])
        if _verdict(rows[key]) in ("higher", "lower"):
            differ.append(names[arm])
        elif _verdict(rows[key]) == "same":
            same.append(names[arm])
        text = f"**{names[arm]}** compared with the baseline ({base_name}): "
        text += ("; ".join(found) + "." if found else
                 "no difference larger than the uncertainty on the main outcomes.")
        if unclear and found:
            text += " Not distinguishable from the baseline: " + ", ".join(unclear) + "."
        trade = tradeoffs(comparison).get(arm)
        if trade:
            text += f" Overall: {trade}."
        lines.append(text)
    label = outcome_info(key).label.split(" (")[0]
    summary = []
    cheaper = [names[a] for a, t in tradeoffs(comparison).items()
               if t.startswith("better and cheaper")]
    if cheaper:
        summary.append("Better and cheaper than the baseline (more adoption among all staff "
                       "for less cost, both intervals excluding zero): " + ", ".join(cheaper)
                       + ".")
    if differ:
        summary.append(f"On {label}, these arms differ from the baseline by more than their "
                       f"95 % interval: {', '.join(differ)}.")
    if same:
        summary.append(f"These cannot be told apart from the baseline on {label} with "
                       f"{_n_text(comparison)} replicates (the interval of the difference "
                       f"includes zero): {', '.join(same)}. More replicates would narrow the "
                       "intervals; a difference this small may also not matter in practice.")
    return summary + lines


def _cost_column(comparison: Comparison) -> str | None:
    """The cost shown against adoption: the money cost when computed, else person-hours."""
    for col in (MONEY, "person_hours"):
        if col in comparison.outcomes:
            return col
    return None


def _rows_by_arm(comparison: Comparison, col: str) -> dict[str, dict[str, Any]]:
    return {r["arm"]: r for r in comparison.table.filter(pl.col("outcome") == col)
            .iter_rows(named=True)}


def tradeoffs(comparison: Comparison, effect: str = "adoption_all") -> dict[str, str]:
    """Per arm (not the baseline): its adoption-against-cost trade-off with the baseline in
    words (:func:`netsim.analysis.tradeoff_words`), e.g. ``better and cheaper: ...``; empty
    when the comparison lacks the effect or a cost."""
    cost = _cost_column(comparison)
    if cost is None or effect not in comparison.outcomes:
        return {}
    eff, cst = _rows_by_arm(comparison, effect), _rows_by_arm(comparison, cost)
    unit = comparison.info(cost).diff_unit or "cost units"
    einfo = comparison.info(effect)
    effect_unit = (f"percentage points of {einfo.label.split(' (')[0]}" if einfo.unit == "%"
                   else f"{einfo.diff_unit or 'units'} of {einfo.label.split(' (')[0]}")
    out = {}
    for arm in comparison.arms["arm"].to_list():
        if arm == comparison.baseline:
            continue
        e, c = eff[arm], cst[arm]
        out[arm] = tradeoff_words((e["diff"], e["diff_low"], e["diff_high"]),
                                  (c["diff"], c["diff_low"], c["diff_high"]),
                                  effect_unit, unit)
    return out


def pareto_front(costs: Sequence[float], effects: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats on both: no other has a cost as low or
    lower and an effect as high or higher with at least one strictly better. Sorted by cost.

    >>> pareto_front([1, 2, 3, 2.5], [1, 3, 2, 4])
    [0, 1, 3]
    """
    c, e = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    keep = []
    for i in range(c.size):
        if not (math.isfinite(c[i]) and math.isfinite(e[i])):
            continue
        beaten = ((c <= c[i]) & (e >= e[i]) & ((c < c[i]) | (e > e[i]))).any()
        if not beaten:
            keep.append(i)
    return sorted(keep, key=lambda i: (c[i], e[i]))


def _n_text(comparison: Comparison) -> str:
    ns = sorted(set(comparison.arms["n"].to_list()))
    return str(ns[0]) if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"


# --------------------------------------------------------------------------------------------
# figures


def _subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], dpi: int,
              **kwargs: object):
    """Like ``pyplot.subplots`` but without pyplot, so the caller's backend is untouched."""
    fig = Figure(figsize=figsize, dpi=dpi)
    return fig, fig.subplots(nrows, ncols, **kwargs)


@matplotlib.ticker.FuncFormatter
def _thousands(value: float, _pos: int) -> str:
    """Tick labels with thousands separators (12,500), millions as ``1.5 M``, no trailing
    zeros."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.4g} M"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _t_half(std: np.ndarray, n: np.ndarray, level: float) -> np.ndarray:
    from scipy import stats

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan))
        return t * np.asarray(std, dtype=float) / np.sqrt(n)


def _colours(comparison: Comparison, arms: Sequence[str]) -> dict[str, Any]:
    conds = comparison.conditions
    numeric = len(conds) == 1 and comparison.arms[conds[0]].dtype.is_numeric()
    if numeric:  # ordered, and dark enough to read on white (no pale yellow-green end)
        cmap = matplotlib.colormaps["plasma"]
        pos = np.linspace(0.0, 0.72, max(len(arms), 2))
        return {a: cmap(p) for a, p in zip(arms, pos)}
    cmap = matplotlib.colormaps["tab10"]
    return {a: cmap(i % 10) for i, a in enumerate(arms)}


def _curve_arms(comparison: Comparison) -> tuple[list[str], str]:
    """The arms drawn as curves: all, or the baseline and the extremes of the first outcome."""
    arms = comparison.arms["arm"].to_list()
    if len(arms) <= _MAX_CURVES:
        return arms, ""
    col = comparison.outcomes[0]
    ranked = (comparison.table.filter((pl.col("outcome") == col) & ~pl.col("is_baseline"))
              .sort("mean")["arm"].to_list())
    k = (_MAX_CURVES - 1) // 2
    keep = {comparison.baseline, *ranked[:k], *ranked[-(_MAX_CURVES - 1 - k):]}
    note = (f"{len(arms)} arms: showing the baseline and the {len(keep) - 1} with the lowest "
            f"and highest {outcome_info(col).label.split(' (')[0]}")
    return [a for a in arms if a in keep], note


def curves_figure(comparison: Comparison, series: pl.DataFrame, path: Path | str,
                  weeks_per_year: int = 38) -> Path | None:
    """Adoption of all staff and of colleagues over time, one line per arm (mean across
    replicates) with a band for the 95 % interval of the mean; None without a time series."""
    cols = [(c, w) for c, w in _CURVES if c in series.columns]
    if not cols or "week" not in series.columns:
        return None
    arms, note = _curve_arms(comparison)
    names = arm_names(comparison)
    colours = _colours(comparison, arms)
    agg = (series.filter(pl.col("arm").is_in(arms))
           .group_by("arm", "week")
           .agg(*(pl.col(c).mean().alias(f"{c}_mean") for c, _ in cols),
                *(pl.col(c).std().alias(f"{c}_std") for c, _ in cols),
                *(pl.col(c).is_not_nan().sum().alias(f"{c}_n") for c, _ in cols))
           .sort("arm", "week"))
    with matplotlib.rc_context(_FONT):
        fig, axes = _subplots(1, len(cols), figsize=(6.2 * len(cols), 4.8), dpi=110,
                                 sharey=True, squeeze=False)
        undefined: list[str] = []
        for ax, (col, words) in zip(axes[0], cols):
            for arm in arms:
                d = agg.filter(pl.col("arm") == arm)
                years = d["week"].to_numpy() / weeks_per_year
                mean = 100 * d[f"{col}_mean"].to_numpy()
                half = 100 * _t_half(d[f"{col}_std"].to_numpy(), d[f"{col}_n"].to_numpy(),
                                     comparison.level)
                if not np.isfinite(mean).any():
                    undefined.append(f"{names[arm]} ({words}: no such people in this design)")
                base = arm == comparison.baseline
                colour = "black" if base else colours[arm]
                ax.fill_between(years, mean - half, mean + half, color=colour, alpha=0.12,
                                linewidth=0)
                ax.plot(years, mean, color=colour, linewidth=2.4 if base else 1.8,
                        linestyle="--" if base else "-",
                        label=names[arm] + (" (baseline)" if base else ""))
            ax.set_title(f"Adoption among {words}")
            ax.set_xlabel("school years since the network started")
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("people who have adopted a practice (%)")
        title = ", ".join(condition_label(k) for k in comparison.conditions) or "arm"
        title = title[0].upper() + title[1:]
        caption = (f"Lines: mean of {_n_text(comparison)} replicates per arm; bands: 95 % "
                   "interval of the mean.")
        if note:
            caption += f" {note}."
        if undefined:
            caption += " Not drawn: " + "; ".join(undefined) + "."
        if max(len(names[a]) for a in arms) <= 30:  # legend to the right
            axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
                               title=title, title_fontsize=10)
            fig.text(0.01, 0.01, caption, fontsize=9, color="#444444")
            fig.tight_layout(rect=(0, 0.04, 1, 1))
        else:  # long names: the legend in two columns below the panels
            handles, labels = axes[0][0].get_legend_handles_labels()
            rows = math.ceil(len(labels) / 2)
            fig.set_figheight(5.2 + 0.23 * rows)
            bottom = (0.23 * rows + 0.4) / fig.get_figheight()
            fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False,
                       bbox_to_anchor=(0.5, 0.035), fontsize=9)
            fig.text(0.01, 0.008, caption, fontsize=9, color="#444444")
            fig.tight_layout(rect=(0, bottom, 1, 1))
        path = Path(path)
        fig.savefig(path)
    return path


def _honest_y(ax: Any, values: np.ndarray, percent: bool = False) -> None:
    """Start a y axis at zero when that does not flatten the data much (the data's lowest
    value is at least half its highest), else keep the tight range and say on the axis that
    it does not start at zero. Percentages never go above 100 on the axis.

    Rule: modelling choice of presentation (an axis cut away from zero must be marked).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        ax.text(0.5, 0.5, "not defined in any run\n(e.g. never reached)", ha="center",
                va="center", transform=ax.transAxes, fontsize=9, color="#555555")
        ax.set_yticks([])
        return
    low, high = float(v.min()), float(v.max())
    top = ax.get_ylim()[1]
    if percent:
        top = min(top, 100.0 + 0.02 * max(high - low, 1.0)) if high <= 100 else top
    constant = high - low <= 1e-9 * max(1.0, abs(high))
    if low >= 0 and (high <= 0 or low <= 0.5 * high or constant):
        ax.set_ylim(0, max(top, high * 1.05, 1e-9))
        return
    if low >= 0:
        bottom = ax.get_ylim()[0]
        ax.set_ylim(bottom, top)
        ax.text(0.01, 0.02, f"axis starts at {bottom:,.3g}, not 0", transform=ax.transAxes,
                fontsize=8, color="#9a3412", va="bottom")


def forest_figure(comparison: Comparison, path: Path | str,
                  outcomes: Sequence[str] | None = None) -> Path | None:
    """Differences from the baseline with their intervals: one row per arm, one panel per
    outcome, a line at zero; None when there is no arm besides the baseline."""
    wanted = list(outcomes or FOREST_OUTCOMES)
    if outcomes is None and MONEY in comparison.outcomes:
        wanted[wanted.index("person_hours")] = MONEY
    cols = [c for c in wanted if c in comparison.outcomes]
    cols = cols or comparison.outcomes[:4]
    everyone = comparison.arms["arm"].to_list()
    if len(everyone) < 2:
        return None
    others = everyone  # the baseline keeps its place as a row at zero, for orientation
    names = arm_names(comparison)
    ncols = min(3, len(cols))
    nrows = math.ceil(len(cols) / ncols)
    height = 0.9 + 0.42 * len(others)
    with matplotlib.rc_context(_FONT):
        fig, axes = _subplots(nrows, ncols, figsize=(4.6 * ncols + 1.6, height * nrows + 0.9),
                                 dpi=110, squeeze=False, sharey=True)
        ypos = np.arange(len(others))[::-1]
        for i, col in enumerate(cols):
            ax = axes[i // ncols][i % ncols]
            info = comparison.info(col)
            t = {r["arm"]: r for r in comparison.table.filter(pl.col("outcome") == col)
                 .iter_rows(named=True)}
            for y, arm in zip(ypos, others):
                r = t[arm]
                if r["is_baseline"]:
                    ax.plot([0], [y], "D", color="black", markersize=6)
                    continue
                v = _judge(r, info)
                colour = {"better": _BETTER, "worse": _WORSE, "changed": _CHANGED}.get(v, _SAME)
                if math.isfinite(r["diff_low"] if r["diff_low"] is not None else math.nan):
                    ax.plot([r["diff_low"], r["diff_high"]], [y, y], color=colour, linewidth=2.2,
                            solid_capstyle="butt")
                if r["diff"] is None or not math.isfinite(r["diff"]):
                    ax.text(0.02, y, " not defined", transform=ax.get_yaxis_transform(),
                            va="center", fontsize=9, color=_SAME)
                else:
                    ax.plot([r["diff"]], [y], "o", color=colour, markersize=7,
                            markerfacecolor=colour if v in ("better", "worse", "changed")
                            else "white", markeredgewidth=1.8)
            ax.axvline(0, color="black", linewidth=1)
            ax.xaxis.set_major_formatter(_thousands)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=5, symmetric=True))
            way = {1: "higher is better", -1: "lower is better"}.get(info.better, "")
            ax.set_title(info.label.split(" (")[0] + (f"\n({way})" if way else ""), fontsize=11)
            unit = info.diff_unit or "difference"
            ax.set_xlabel(f"difference from baseline\n({unit})" if info.diff_unit else
                          "difference from baseline")
            ax.grid(axis="x", alpha=0.3)
            lo, hi = ax.get_xlim()
            span = max(abs(lo), abs(hi))
            ax.set_xlim(-span * 1.05, span * 1.05)
        for j in range(len(cols), nrows * ncols):
            axes[j // ncols][j % ncols].axis("off")
        for row in axes:
            row[0].set_yticks(ypos, [names[a] + (" (baseline)" if a == comparison.baseline
                                                 else "") for a in others])
            row[0].set_ylim(-0.7, len(others) - 0.3)
        rows_are = (f"\nrows: {condition_label(comparison.conditions[0])}"
                    if len(comparison.conditions) == 1 else "")
        fig.suptitle(f"Difference from the baseline ({names[comparison.baseline]}) with 95 % "
                     f"interval{rows_are}", fontsize=12)
        caption = ("Filled blue: better than the baseline; filled red: worse (more cost or "
                   "more weeks is worse); hollow grey: the interval includes zero (not "
                   "distinguishable); black diamond: the baseline. "
                   + ("Paired by replicate (common random numbers)." if comparison.paired
                      else "Unpaired (Welch) intervals for some arms."))
        fig.text(0.01, 0.005, caption, fontsize=9, color="#444444")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        path = Path(path)
        fig.savefig(path)
    return path


def cost_figure(comparison: Comparison, path: Path | str,
                effect: str = "adoption_all") -> Path | None:
    """Cost against adoption across arms: each arm's mean with 95 % intervals both ways, the
    Pareto front (arms no other arm beats on both cost and adoption) as a line, the baseline
    as a black diamond, and the quadrants around it labelled (better and cheaper at the top
    left). In money when the comparison has a wage rate. None without a cost or the effect.
    """
    cost = _cost_column(comparison)
    if cost is None or effect not in comparison.outcomes:
        return None
    arms = comparison.arms["arm"].to_list()
    names = arm_names(comparison)
    eff, cst = _rows_by_arm(comparison, effect), _rows_by_arm(comparison, cost)
    cinfo, einfo = comparison.info(cost), comparison.info(effect)
    x = np.array([cst[a]["mean"] for a in arms], dtype=float)
    y = np.array([eff[a]["mean"] for a in arms], dtype=float)
    front = pareto_front(x, y)
    trades = tradeoffs(comparison, effect)
    long = max(len(n) for n in names.values()) > 22
    letters = {a: chr(ord("A") + i) if i < 26 else str(i + 1) for i, a in enumerate(arms)}
    with matplotlib.rc_context(_FONT):
        fig, ax = _subplots(figsize=(8.6, 5.6 + (0.2 * len(arms) if long else 0)), dpi=110)
        ax.plot(x[front], y[front], "-", color="#9a9a9a", linewidth=6, alpha=0.35,
                solid_capstyle="round", zorder=1, label="Pareto front (no arm beats these on "
                "both)")
        for i, arm in enumerate(arms):
            base = arm == comparison.baseline
            t = trades.get(arm, "")
            colour = ("black" if base else _BETTER if t.startswith("better and cheaper")
                      else _WORSE if t.startswith("worse and dearer") else _CHANGED)
            xe = [[x[i] - cst[arm]["low"]], [cst[arm]["high"] - x[i]]]
            ye = [[y[i] - eff[arm]["low"]], [eff[arm]["high"] - y[i]]]
            ok = np.isfinite(np.r_[xe, ye]).all()
            name = names[arm] + (" (baseline)" if base else "")
            ax.errorbar([x[i]], [y[i]], xerr=xe if ok else None, yerr=ye if ok else None,
                        fmt="D" if base else "o", color=colour, markersize=8 if base else 7,
                        capsize=3, linewidth=1.4, zorder=3,
                        label=f"{letters[arm]}: {name}" if long else None)
            ax.annotate(letters[arm] if long else name, (x[i], y[i]), xytext=(7, 6),
                        textcoords="offset points", fontsize=10 if long else 9, color=colour,
                        fontweight="bold" if long else "normal", zorder=4)
        bx, by = x[arms.index(comparison.baseline)], y[arms.index(comparison.baseline)]
        ax.axvline(bx, color="#555555", linestyle=":", linewidth=1)
        ax.axhline(by, color="#555555", linestyle=":", linewidth=1)
        for (hx, hy, text) in ((0.02, 0.97, "better and cheaper"),
                               (0.98, 0.97, "better but dearer"),
                               (0.02, 0.03, "cheaper but worse"),
                               (0.98, 0.03, "worse and dearer")):
            ax.text(hx, hy, text, transform=ax.transAxes, ha="left" if hx < 0.5 else "right",
                    va="top" if hy > 0.5 else "bottom", fontsize=9, color="#777777",
                    style="italic")
        ax.set_xlabel(cinfo.short if cinfo.unit else cinfo.label)
        ax.set_ylabel(einfo.short)
        ax.xaxis.set_major_formatter(_thousands)
        ax.grid(alpha=0.3)
        # room for the quadrant words around the points
        for get, put in ((ax.get_xlim, ax.set_xlim), (ax.get_ylim, ax.set_ylim)):
            lo, hi = get()
            pad = 0.08 * (hi - lo)
            put(lo - pad, hi + pad)
        cut = [w for w, lim in (("cost", ax.get_xlim()), ("adoption", ax.get_ylim()))
               if lim[0] > 0]
        if cut:
            ax.text(0.5, 1.01, f"the {' and '.join(cut)} "
                    f"axis{'es do' if len(cut) > 1 else ' does'} not start at zero",
                    ha="center", va="bottom", transform=ax.transAxes, fontsize=8,
                    color="#9a3412")
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.13), frameon=False, fontsize=9)
        fig.suptitle(f"Cost against {einfo.label.split(' (')[0]}, per arm", fontsize=12)
        caption = (f"Points: mean of {_n_text(comparison)} replicates; bars: 95 % intervals of "
                   "the means. Dotted lines: the baseline. Blue: better and cheaper than the "
                   "baseline (both differences clear); red: worse and dearer; grey: other.")
        import textwrap

        caption = textwrap.fill(caption, 125)
        fig.text(0.01, 0.005, caption, fontsize=8.5, color="#444444")
        fig.tight_layout(rect=(0, 0.4 / fig.get_figheight(), 1, 1))  # legend: included
        path = Path(path)
        fig.savefig(path)
    return path


def _slice(comparison: Comparison, key: str) -> tuple[pl.DataFrame, str]:
    """Arms where the other varying settings are at the baseline's values, or all arms."""
    others = [k for k in comparison.conditions if k != key]
    arms = comparison.arms
    if not others:
        return arms, ""
    base = arms.filter(pl.col("arm") == comparison.baseline).row(0, named=True)
    sub = arms
    for k in others:
        sub = sub.filter(pl.col(k) == base[k]) if base[k] is not None else sub
    if sub[key].n_unique() >= 2:
        words = ", ".join(f"{_short_condition(k)} = {_value_words(k, base[k])}" for k in others)
        return sub, f"other settings as in the baseline ({words})"
    return arms, "averaged over the other settings"


def condition_figure(comparison: Comparison, summary: pl.DataFrame, key: str,
                     path: Path | str) -> Path | None:
    """Each compared outcome against the swept setting ``key`` (numeric): mean across
    replicates with a band for its 95 % interval; the baseline's value is marked."""
    from netsim.analysis import mean_interval

    arms, note = _slice(comparison, key)
    if arms[key].n_unique() < 2 or not arms[key].dtype.is_numeric():
        return None
    cols = comparison.outcomes
    rows = summary.filter(pl.col("arm").is_in(arms["arm"].to_list()))
    xs = sorted(v for v in arms[key].unique().to_list() if v is not None)
    base_x = comparison.arms.filter(pl.col("arm") == comparison.baseline)[key][0]
    ncols = min(3, len(cols))
    nrows = math.ceil(len(cols) / ncols)
    with matplotlib.rc_context(_FONT):
        fig, axes = _subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows + 0.9),
                                 dpi=110, squeeze=False)
        for i, col in enumerate(cols):
            ax = axes[i // ncols][i % ncols]
            info = comparison.info(col)
            stats = [mean_interval(rows.filter(pl.col(key) == x)[col].cast(pl.Float64)
                                   .to_numpy() * info.scale, comparison.level) for x in xs]
            mean = np.array([s[0] for s in stats])
            lo = np.array([s[1] for s in stats])
            hi = np.array([s[2] for s in stats])
            if info.unit == "%":
                lo, hi = np.clip(lo, 0, 100), np.clip(hi, 0, 100)
            ax.fill_between(xs, lo, hi, color=_UP, alpha=0.2, linewidth=0)
            ax.plot(xs, mean, "o-", color=_UP, linewidth=2, markersize=5)
            if base_x is not None:
                ax.axvline(base_x, color="#555555", linestyle=":", linewidth=1.2)
            ax.set_title(info.short, fontsize=11)
            ax.grid(alpha=0.3)
            _honest_y(ax, np.r_[lo, hi, mean], percent=info.unit == "%")
            if len(xs) <= 12:
                ax.set_xticks(xs, [_value_words(key, x) for x in xs])
            ax.yaxis.set_major_formatter(_thousands)
            if i + ncols >= len(cols):
                ax.set_xlabel(condition_label(key))
        for j in range(len(cols), nrows * ncols):
            axes[j // ncols][j % ncols].axis("off")
        label = condition_label(key)
        fig.suptitle(f"Outcomes by {label}", fontsize=13)
        caption = (f"Line: mean over replicates; band: 95 % interval of the mean; dotted line: "
                   f"the baseline ({_value_words(key, base_x)}).")
        if note:
            caption += f" {note[0].upper() + note[1:]}."
        fig.text(0.01, 0.005, caption, fontsize=9, color="#444444")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        path = Path(path)
        fig.savefig(path)
    return path


# --------------------------------------------------------------------------------------------
# the report


@dataclass
class _Block:
    kind: str  # h1, h2, p, table, img, ul, note
    content: Any


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _render_md(blocks: Sequence[_Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2"):
            out += ["#" * int(b.kind[1]) + " " + b.content, ""]
        elif b.kind in ("p", "note"):
            out += [b.content, ""]
        elif b.kind == "ul":
            out += [f"- {item}" for item in b.content] + [""]
        elif b.kind == "table":
            header, rows, align = b.content
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
            out.append("")
        elif b.kind == "img":
            name, alt, _ = b.content
            out += [f"![{alt}]({name})", ""]
    return "\n".join(out)


def _inline_html(text: str) -> str:
    """Escape, then render **bold** and `code` spans."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; border-bottom: 2px solid #1b6ca8; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; color: #1b4f72; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; vertical-align: top; }
th { background: #eef3f8; text-align: left; }
td.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.base td { background: #f6f6f6; }
img { max-width: 100%; border: 1px solid #ddd; margin: .4em 0; }
.note { color: #555; font-size: .92em; }
code { background: #f2f2f2; padding: 0 .2em; }
"""


def _render_html(blocks: Sequence[_Block], title: str) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if b.kind in ("h1", "h2"):
            out.append(f"<{b.kind}>{_inline_html(b.content)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{_inline_html(b.content)}</p>")
        elif b.kind == "note":
            out.append(f'<p class="note">{_inline_html(b.content)}</p>')
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in b.content)
                       + "</ul>")
        elif b.kind == "table":
            header, rows, align = b.content
            out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>"
                                                      for h in header) + "</tr></thead><tbody>")
            for r in rows:
                cls = ' class="base"' if "(baseline)" in str(r[0]) else ""
                cells = "".join(f'<td class="{a}">{_inline_html(str(c))}</td>'
                                for c, a in zip(r, align))
                out.append(f"<tr{cls}>{cells}</tr>")
            out.append("</tbody></table>")
        elif b.kind == "img":
            _, alt, path = b.content
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            out.append(f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
                       "</p>")
    out.append("</body></html>")
    return "\n".join(out)


def _blocks(comparison: Comparison, figures: dict[str, Path], sweep_dir: Path | None,
            command: str) -> list[_Block]:
    names = arm_names(comparison)
    base_name = names[comparison.baseline]
    b: list[_Block] = [
        _Block("h1", "Comparison of designs"),
        _Block("p", f"**Question.** {_question(comparison)} Each arm is compared with the "
                    f"baseline **{base_name}**."),
        _Block("note", f"Sweep: `{sweep_dir}`. Command: `{command}`." if sweep_dir is not None
               else f"Runs made in Python (`{command}`)."),
    ]
    if comparison.population_warning:
        b.append(_Block("p", "**Caution: the arms simulate different populations.** "
                             + comparison.population_warning))
    if comparison.worlds:
        b.append(_Block("p", "**Across plausible worlds.** "
                             + comparison.worlds.removeprefix("Plausible worlds: ")))
    b.append(_Block("h2", "Arms"))
    conds = comparison.conditions
    if len(conds) == 1:  # the arm's name is the value: no separate column
        header = [f"arm ({condition_label(conds[0])})", "runs", "settings (as run)"]
        conds = []
    else:
        header = ["arm", *[condition_label(k) for k in conds], "runs", "settings (as run)"]
    rows = []
    for r in comparison.arms.iter_rows(named=True):
        rows.append([names[r["arm"]] + (" (baseline)" if r["arm"] == comparison.baseline
                                        else ""),
                     *[_value_words(k, r[k]) for k in conds], str(r["n"]), f"`{r['arm']}`"])
    b.append(_Block("table", (header, rows, ["l"] + ["r"] * len(conds) + ["r", "l"])))
    b.append(_Block("h2", "What the results say"))
    b.append(_Block("ul", reading(comparison)))
    if "differences" in figures:
        b.append(_Block("img", (figures["differences"].name, "Differences from the baseline",
                                figures["differences"])))
    b.append(_Block("h2", "Outcomes: means and differences from the baseline"))
    b.append(_Block("p", "Each table gives the mean over replicates with its 95 % interval, "
                         "and the difference from the baseline (arm minus baseline) with its "
                         "95 % interval. A * marks a difference whose interval excludes zero. "
                         "n is the number of runs (for weeks to 50 %: runs that reached 50 % "
                         "of all runs)."))
    for title, rows_ in format_rows(comparison):
        b.append(_Block("p", f"**{title[0].upper() + title[1:]}**"))
        b.append(_Block("table", (["arm", "n", "mean", "95 % interval", "difference",
                                   "95 % interval", ""],
                                  [list(r) for r in rows_],
                                  ["l", "r", "r", "r", "r", "r", "l"])))
    b += _cost_blocks(comparison)
    if "cost" in figures:
        b.append(_Block("img", (figures["cost"].name, "Cost against adoption per arm",
                                figures["cost"])))
    others = {k: p for k, p in figures.items() if k not in ("differences", "cost")}
    if others:
        b.append(_Block("h2", "Outcomes over time and by condition"))
    for key, path in others.items():
        alt = ("Adoption over time per arm" if key == "curves"
               else f"Outcomes by {condition_label(key.removeprefix('by_'))}")
        b.append(_Block("img", (path.name, alt, path)))
    b.append(_Block("h2", "How the intervals were computed"))
    b.append(_Block("ul", comparison.notes))
    b.append(_Block("note", "Numbers: `comparison.csv` / `comparison.parquet` (one row per arm "
                            "and outcome; percentages as percentages)."))
    return b


def _cost_blocks(comparison: Comparison) -> list[_Block]:
    t = comparison.table
    if "person_hours" not in comparison.outcomes:
        return []
    names = arm_names(comparison)
    hours = {r["arm"]: r for r in t.filter(pl.col("outcome") == "person_hours")
             .iter_rows(named=True)}
    per = {r["arm"]: r for r in t.filter(pl.col("outcome") == "adoption_per_100_person_hours")
           .iter_rows(named=True)}
    adopt = {r["arm"]: r for r in t.filter(pl.col("outcome") == "adoption_all")
             .iter_rows(named=True)}
    money = {r["arm"]: r for r in t.filter(pl.col("outcome") == MONEY).iter_rows(named=True)}
    trades = tradeoffs(comparison)
    rows = []
    for arm in comparison.arms["arm"].to_list():
        h, p, a = hours[arm], per.get(arm), adopt.get(arm)
        base = arm == comparison.baseline
        row = [names[arm] + (" (baseline)" if base else ""),
               f"{_fmt(h['mean'], '{:,.0f}')} {_interval(h['low'], h['high'], '{:,.0f}')}",
               "" if base else f"{_fmt(h['diff'], '{:,.0f}', True)} "
                               f"{_interval(h['diff_low'], h['diff_high'], '{:,.0f}', True)}"]
        if p is not None:
            row += [f"{_fmt(p['mean'], '{:.2f}')} {_interval(p['low'], p['high'], '{:.2f}')}",
                    "" if base else f"{_fmt(p['diff'], '{:.2f}', True)} "
                    f"{_interval(p['diff_low'], p['diff_high'], '{:.2f}', True)}"]
        if a is not None:
            row.append(_per_point(h, a, base))
        rows.append(row)
    money_rows = []
    for arm in comparison.arms["arm"].to_list() if money else []:
        m, base = money[arm], arm == comparison.baseline
        money_rows.append([
            names[arm] + (" (baseline)" if base else ""),
            f"{_fmt(m['mean'], '{:,.0f}')} {_interval(m['low'], m['high'], '{:,.0f}')}",
            "" if base else f"{_fmt(m['diff'], '{:,.0f}', True)} "
                            f"{_interval(m['diff_low'], m['diff_high'], '{:,.0f}', True)}"])
    header = ["arm", "person-hours [95 % interval]", "difference",
              "adopters per 100 person-hours", "difference",
              "person-hours per point of adoption (all staff)"]
    header = header[:len(rows[0])]
    return [
        _Block("h2", "Cost and cost-effectiveness"),
        _Block("p", "Cost is person-hours spent on the network over the horizon (gatherings, "
                    "facilitators' preparation, development time given to network work, "
                    "co-creation). Adopters per 100 person-hours is the number of staff who "
                    "use a new practice at the end per 100 person-hours spent."),
        _Block("table", (header, rows, ["l"] + ["r"] * (len(header) - 1))),
        *([_Block("p", f"**In money**, at {comparison.wage_rate:,g} "
                       f"{comparison.currency or 'money units'} per person-hour:"),
           _Block("table", (["arm", f"cost in {comparison.currency or 'money'} "
                                    "[95 % interval]", "difference"], money_rows,
                            ["l", "r", "r"]))] if money_rows else []),
        *([_Block("p", "**Against the baseline** (adoption among all staff and cost):"),
           _Block("ul", [f"{names[a]}: {t}" for a, t in trades.items()])] if trades else []),
        _Block("note", "The column 'person-hours per point of adoption' divides the difference in person-hours from the "
                       "baseline by the difference in adoption among all staff (percentage "
                       "points): the person-hours each extra point of adoption costs, or the "
                       "hours saved per point given up. It is shown only when the adoption "
                       "difference's interval excludes zero and is a ratio of means without "
                       "an interval of its own."),
    ]


def _per_point(hours: dict[str, Any], adopt: dict[str, Any], base: bool) -> str:
    """Extra person-hours per percentage point of adoption, in words."""
    if base:
        return ""
    if _verdict(adopt) not in ("higher", "lower") or not math.isfinite(hours["diff"]):
        return "–"
    dh, da = hours["diff"], adopt["diff"]
    if da > 0:
        return (f"{dh / da:,.0f} more per point gained" if dh > 0
                else "more adoption for fewer hours")
    return (f"saves {dh / da:,.0f} per point lost" if dh < 0
            else "less adoption for more hours")


def write_report(comparison: Comparison, summary: pl.DataFrame, series: pl.DataFrame | None,
                 out: Path | str, sweep_dir: Path | str | None, command: str = "",
                 weeks_per_year: int = 38) -> dict[str, Path]:
    """Write the figures, ``comparison.parquet``/``.csv``, ``report.md`` and ``report.html``
    into ``out``; return the written paths by name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if comparison.wage_rate is not None and MONEY not in summary.columns:
        from netsim.analysis import with_money_cost

        summary = with_money_cost(summary, comparison.wage_rate)
    figures: dict[str, Path] = {}
    forest = forest_figure(comparison, out / "differences.png")
    if forest is not None:
        figures["differences"] = forest
    cost = cost_figure(comparison, out / "cost_vs_adoption.png")
    if cost is not None:
        figures["cost"] = cost
    for key in comparison.conditions:
        p = condition_figure(comparison, summary, key, out / f"outcomes_by_{key}.png")
        if p is not None:
            figures[f"by_{key}"] = p
    if series is not None:
        curves = curves_figure(comparison, series, out / "adoption_curves.png", weeks_per_year)
        if curves is not None:
            figures["curves"] = curves
    paths = dict(figures)
    atomic_write(out / "comparison.parquet", lambda p: comparison.table.write_parquet(p))
    atomic_write(out / "comparison.csv", lambda p: comparison.table.write_csv(p))
    blocks = _blocks(comparison, figures, None if sweep_dir is None else Path(sweep_dir),
                     command)
    md, page = _render_md(blocks), _render_html(blocks, "netsim: comparison of designs")
    atomic_write(out / "report.md", lambda p: p.write_text(md))
    atomic_write(out / "report.html", lambda p: p.write_text(page))
    paths.update({"comparison.parquet": out / "comparison.parquet",
                  "comparison.csv": out / "comparison.csv",
                  "report.md": out / "report.md", "report.html": out / "report.html"})
    log.info("wrote the comparison report to %s", out)
    return paths


def _weeks_per_year(summary: pl.DataFrame, sweep_dir: Path) -> int:
    if "calendar.weeks_per_year" in summary.columns:
        return int(summary["calendar.weeks_per_year"][0])
    import json

    if "job" in summary.columns:
        for job in summary["job"].unique().to_list()[:1]:
            prov = sweep_dir / str(job) / "provenance.json"
            if prov.is_file():
                try:
                    return int(json.loads(prov.read_text())["scenario"]["calendar"]
                               ["weeks_per_year"])
                except (KeyError, ValueError, TypeError):
                    break
    from netsim.config import Scenario

    return Scenario().calendar.weeks_per_year


def run_compare(sweep_dir: Path | str, baseline: str | None,
                outcomes: Sequence[str] | None = None, out: Path | str | None = None,
                command: str = "", wage_rate: float | None = None,
                currency: str = "") -> tuple[Comparison, dict[str, Path]]:
    """Load a collected sweep, compare its arms with ``baseline`` and write the report
    (default folder ``<sweep_dir>/comparison``); with ``wage_rate`` (the cost of one
    person-hour, in ``currency``) money costs too. Refused (:class:`CompareError`) when the
    sweep's jobs come from different model versions."""
    from netsim.analysis import CompareError
    from netsim.sweep import ModelVersionError, sweep_model_versions

    sweep_dir = Path(sweep_dir)
    try:  # also a table collected before versions were checked
        if sweep_dir.is_dir():
            sweep_model_versions(sweep_dir)
    except ModelVersionError as exc:
        raise CompareError(str(exc)) from None
    summary, series = load_collected(sweep_dir, [c for c, _ in _CURVES])
    comparison = compare(summary, baseline, outcomes, sweep_dir=sweep_dir,
                         wage_rate=wage_rate, currency=currency)
    folder = Path(out) if out is not None else sweep_dir / "comparison"
    paths = write_report(comparison, summary, series, folder, sweep_dir, command,
                         _weeks_per_year(summary, sweep_dir))
    return comparison, paths


def compare_runs(runs: Sequence[tuple[dict[str, Any], Any]], baseline: str | None,
                 out: Path | str, outcomes: Sequence[str] | None = None,
                 wage_rate: float | None = None, currency: str = ""
                 ) -> tuple[Comparison, dict[str, Path]]:
    """Compare runs made in Python and write the full report (``report.html``, ``report.md``,
    the figures and ``comparison.csv``/``.parquet``) into ``out``: the same report as
    ``netsim compare``, without Hydra or a sweep folder.

    Args:
        runs: pairs of (the settings that define the arm, dotted keys -> values; the
            :class:`~netsim.runner.RunResult` of :func:`netsim.runner.run_scenario`), as for
            :func:`netsim.analysis.frames_from_runs`.
        baseline: the baseline arm (its label or ``key=value``, e.g.
            ``"leader_participation=0.8"``).
        out: the report folder (created).
        outcomes: outcome columns (default :data:`netsim.analysis.DEFAULT_OUTCOMES`).
        wage_rate: cost of one person-hour; adds money costs.
        currency: unit of the wage rate (words only).

    Returns:
        (the :class:`~netsim.analysis.Comparison`, the written paths by name).
    """
    summary, series = frames_from_runs(runs)
    comparison = compare(summary, baseline, outcomes, wage_rate=wage_rate, currency=currency)
    weeks = runs[0][1].scenario.calendar.weeks_per_year if runs and hasattr(
        runs[0][1], "scenario") else 38
    paths = write_report(comparison, summary, series, out, None,
                         "netsim.compare_report.compare_runs", weeks)
    return comparison, paths

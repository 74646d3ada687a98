"""Figures from results (matplotlib, no display needed).

Figures are built as :class:`matplotlib.figure.Figure` objects and saved directly, without
pyplot, so importing this module never changes the backend of a notebook or an application.

* :func:`adoption_figure` (``adoption.png`` of ``netsim run``): adoption over time for
  members, their colleagues and all staff; every replicate as a thin line under the mean, the
  events of the run marked (school-year boundaries with staff turnover, a key person leaving,
  the last gathering); when the runs split into two groups (:func:`split_runs`) a second
  panel shows the distribution of the final sizes, because no single run follows the mean.
* :func:`versions_figure`: two or more versions of a network side by side (the "what if"
  questions of notebook 01), mean and 10th-90th percentile band per version.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure

__all__ = ["GROUPS", "adoption_figure", "adoption_plot", "band", "events", "split_runs",
           "versions_figure"]

GROUPS = (("adoption_members", "network members", "#1b6ca8", "-"),
          ("adoption_colleagues", "their colleagues at home", "#e07b39", "-"),
          ("adoption_all", "all staff", "#2f6b3a", "--"))

# colours of the versions in versions_figure (dark enough on white)
_VERSION_COLOURS = ("#1b6ca8", "#c0392b", "#6a3d9a", "#b15928")


def band(series: pl.DataFrame, column: str, low: float = 0.1, high: float = 0.9
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weeks, mean, and the ``low``/``high`` quantiles of ``column`` across replicates."""
    agg = (series.group_by("week").agg(pl.col(column).mean().alias("mean"),
                                       pl.col(column).quantile(low).alias("lo"),
                                       pl.col(column).quantile(high).alias("hi"))
           .sort("week"))
    return (agg["week"].to_numpy(), agg["mean"].to_numpy(), agg["lo"].to_numpy(),
            agg["hi"].to_numpy())


def split_runs(final: np.ndarray | list[float], gap: float = 0.2, share: float = 0.1
               ) -> float | None:
    """Where replicates split into two groups, or None.

    Rule (modelling choice for presentation): sort the final values (shares 0-1); the runs
    split when the widest gap between neighbours is at least ``gap`` (20 percentage points)
    and each side holds at least ``share`` (10 %) of the runs, and at least two runs. Returns
    the middle of that gap. A mean of such runs lies in the gap, where no run ends.

    >>> split_runs([0.1, 0.12, 0.11, 0.8, 0.82])
    0.46
    >>> split_runs([0.5, 0.55, 0.6]) is None
    True
    """
    v = np.sort(np.asarray(final, dtype=float))
    v = v[np.isfinite(v)]
    if v.size < 4:
        return None
    gaps = np.diff(v)
    i = int(np.argmax(gaps))
    left, right = i + 1, v.size - i - 1
    need = max(2, int(np.ceil(share * v.size)))
    if gaps[i] >= gap and left >= need and right >= need:
        return round(float(v[i] + gaps[i] / 2), 6)
    return None


def events(scenario: Any) -> list[tuple[float, str, str]]:
    """The events of a run worth marking on a time axis: (week, short label, kind).

    Kinds: ``year`` (the end of each school year: the summer's staff turnover replaces a share
    of the staff, who start unaware, so adoption dips), ``key_person`` (the lead facilitator
    leaves, ``turnover.key_person_loss_week``) and ``end`` (the last gathering,
    ``calendar.gathering_end_week``). Source: the scenario's own settings.
    """
    if scenario is None:
        return []
    wpy = scenario.calendar.weeks_per_year
    out: list[tuple[float, str, str]] = []
    turnover = scenario.turnover.annual_rate
    for year in range(1, int(np.ceil(scenario.n_weeks / wpy))):
        out.append((year * wpy, f"year {year} ends" + (
            f": {100 * turnover:.0f} % of staff replaced by newcomers"
            if turnover > 0 and scenario.processes.turnover else ""), "year"))
    loss = scenario.turnover.key_person_loss_week
    if loss is not None and loss <= scenario.n_weeks:
        out.append((loss, "key person leaves", "key_person"))
    end = scenario.calendar.gathering_end_week
    if end is not None and end <= scenario.n_weeks:
        out.append((end, "last gathering", "end"))
    return out


def _mark_events(ax: Any, marks: list[tuple[float, str, str]], weeks_per_year: int,
                 in_years: bool = True) -> None:
    """Vertical lines at the events, one legend entry per kind of event."""
    scale = 1.0 / weeks_per_year if in_years else 1.0
    styles = {"year": (":", "#777777"), "key_person": ("--", "black"),
              "end": ("-.", "#7a3b00")}
    labelled: set[str] = set()
    for week, label, kind in marks:
        style, colour = styles[kind]
        if kind == "year":
            label = "school year ends" + label.partition(" ends")[2]
        elif kind in ("key_person", "end"):
            label += f" (week {week:g})"
        ax.axvline(week * scale, color=colour, linestyle=style, linewidth=1.2, zorder=1,
                   label=None if kind in labelled else label)
        labelled.add(kind)


def adoption_figure(series: pl.DataFrame, path: Path | str, title: str,
                    weeks_per_year: int = 38, scenario: Any = None,
                    subtitle: str = "") -> Path:
    """Save :func:`adoption_plot` to ``path`` (``adoption.png`` of ``netsim run``)."""
    path = Path(path)
    adoption_plot(series, title, weeks_per_year, scenario, subtitle).savefig(path)
    return path


def adoption_plot(series: pl.DataFrame, title: str, weeks_per_year: int = 38,
                  scenario: Any = None, subtitle: str = "") -> Figure:
    """Adoption over time for members, their colleagues and all staff.

    Thin lines: every replicate; thick line: the mean across replicates. The x axis is in
    school years; the y axis runs 0-100 %. With ``scenario`` its events are marked
    (:func:`events`). When the replicates' final adoption among all staff splits into two
    groups (:func:`split_runs`), a second panel shows the final sizes of every run as dots,
    and the caption says that the mean lies between the groups.
    """
    final = (series.sort("week").group_by("replicate").agg(pl.col("adoption_all").last())
             ["adoption_all"].to_numpy() if "adoption_all" in series.columns else np.array([]))
    split = split_runs(final)
    fig = Figure(figsize=(10.5 if split is not None else 8.6, 6.0), dpi=120)
    if split is not None:
        ax, side = fig.subplots(1, 2, sharey=True, width_ratios=(4, 1))
    else:
        ax, side = fig.subplots(), None
    n_rep = series["replicate"].n_unique()
    thin = 0.9 if n_rep <= 10 else 0.6
    alpha = 0.35 if n_rep <= 10 else 0.18
    shown = []
    for column, label, colour, style in GROUPS:
        if column not in series.columns or series[column].drop_nans().len() == 0:
            continue
        wide = series.select("replicate", "week", column).sort("replicate", "week")
        for _, run in wide.group_by("replicate", maintain_order=True):
            ax.plot(run["week"].to_numpy() / weeks_per_year, 100 * run[column].to_numpy(),
                    color=colour, linewidth=thin, alpha=alpha, zorder=2)
        weeks, mean, _, _ = band(series, column)
        ax.plot(weeks / weeks_per_year, 100 * mean, color=colour, linewidth=2.6,
                linestyle=style, label=f"{label} (mean)", zorder=3)
        shown.append((column, label, colour))
    _mark_events(ax, events(scenario), weeks_per_year)
    ax.set_xlabel("school years")
    ax.set_ylabel("people who have adopted a practice (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=12)
    if subtitle:
        ax.set_title(subtitle, fontsize=9, color="#444444")
    caption = f"Thin lines: each of {n_rep} replicates; thick lines: their mean."
    if split is not None and side is not None:
        ends = (series.sort("week").group_by("replicate")
                .agg(*(pl.col(c).last() for c, _, _ in shown)))
        for k, (column, label, colour) in enumerate(shown):
            v = 100 * ends[column].to_numpy()
            jitter = np.linspace(-0.25, 0.25, v.size) if v.size > 1 else np.zeros(1)
            side.scatter(np.full(v.size, k) + jitter, v, s=18, color=colour, alpha=0.8)
        side.set_xticks(range(len(shown)), [lab.split(" ")[-1] if lab != "all staff" else
                                            "all" for _, lab, _ in shown], fontsize=8)
        side.set_xlim(-0.6, len(shown) - 0.4)
        side.axhline(100 * split, color="#9a3412", linestyle=":", linewidth=1)
        side.set_title("final size of each run", fontsize=9)
        side.grid(alpha=0.3, axis="y")
        low = int((final < split).sum())
        caption += (f" The runs split: {low} of {final.size} end below {100 * split:.0f} % of "
                    f"all staff and {final.size - low} above, so the mean lies between the "
                    "groups and no single run follows it (right: where each run ends).")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False,
              fontsize=9)
    if any(kind == "year" for _, _, kind in events(scenario)):
        caption += (" At each school-year end, staff turnover replaces part of the staff with "
                    "newcomers who start unaware: the small yearly dips.")
    import textwrap

    fig.text(0.01, 0.01, textwrap.fill(caption, 150 if split is not None else 120),
             fontsize=8, color="#444444", va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def versions_figure(results: Mapping[str, Any], title: str, mark_week: int | None = None,
                    columns: tuple[tuple[str, str], ...] = (
                        ("adoption_members", "network members"),
                        ("adoption_colleagues", "their colleagues at home")),
                    figsize: tuple[float, float] = (11.0, 4.0)) -> Figure:
    """Two or more versions of a network side by side, one panel per outcome.

    ``results`` maps a version's label to its :class:`~netsim.runner.RunResult`. Lines: mean
    over replicates; bands: 10th to 90th percentile of the replicates; a dashed line marks
    ``mark_week`` (e.g. the week a key person leaves), dotted lines the school-year ends.
    """
    fig = Figure(figsize=figsize, dpi=100)
    axes = fig.subplots(1, len(columns), sharey=True, squeeze=False)[0]
    wpy = None
    for ax, (column, words) in zip(axes, columns):
        for (label, result), colour in zip(results.items(), _VERSION_COLOURS * 4):
            weeks, mean, lo, hi = band(result.series, column)
            ax.fill_between(weeks, 100 * lo, 100 * hi, color=colour, alpha=0.15, lw=0)
            ax.plot(weeks, 100 * mean, color=colour, lw=2, label=label)
            wpy = result.scenario.calendar.weeks_per_year
            n_weeks = result.scenario.n_weeks
        if wpy:
            for year in range(1, int(np.ceil(n_weeks / wpy))):
                ax.axvline(year * wpy, color="#999999", ls=":", lw=1)
        if mark_week is not None:
            ax.axvline(mark_week, color="black", ls="--", lw=1)
        ax.set_title(f"Adopted a practice: {words}", fontsize=10)
        ax.set_xlabel("school week")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("%")
    axes[0].set_ylim(0, 100)
    axes[0].legend(frameon=False, loc="upper left", fontsize=9)
    fig.suptitle(title)
    fig.text(0.01, 0.01, "Lines: mean over replicates; bands: 10th-90th percentile of "
             "replicates; dotted: school-year ends (staff turnover)"
             + ("; dashed: the marked week" if mark_week is not None else "") + ".",
             fontsize=8, color="#444444")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig

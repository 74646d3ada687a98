"""Figures from results (matplotlib, no display needed).

Figures are built as :class:`matplotlib.figure.Figure` objects and saved directly, without
pyplot, so importing this module never changes the backend of a notebook or an application.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from matplotlib.figure import Figure

__all__ = ["GROUPS", "adoption_figure", "band"]

GROUPS = (("adoption_members", "network members", "#1b6ca8", "-"),
          ("adoption_colleagues", "their colleagues at home", "#e07b39", "-"),
          ("adoption_all", "all staff", "#3a7d44", "--"))


def band(series: pl.DataFrame, column: str, low: float = 0.1, high: float = 0.9
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weeks, mean, and the ``low``/``high`` quantiles of ``column`` across replicates."""
    agg = (series.group_by("week").agg(pl.col(column).mean().alias("mean"),
                                       pl.col(column).quantile(low).alias("lo"),
                                       pl.col(column).quantile(high).alias("hi"))
           .sort("week"))
    return (agg["week"].to_numpy(), agg["mean"].to_numpy(), agg["lo"].to_numpy(),
            agg["hi"].to_numpy())


def adoption_figure(series: pl.DataFrame, path: Path | str, title: str,
                    weeks_per_year: int = 38) -> Path:
    """Adoption over time for members, their colleagues and all staff, with bands.

    Lines are means across replicates; shaded bands span the 10th to 90th percentile of
    replicates. The x axis is in school years.
    """
    fig = Figure(figsize=(8, 5), dpi=120)
    ax = fig.subplots()
    for column, label, colour, style in GROUPS:
        if column not in series.columns or series[column].drop_nans().len() == 0:
            continue
        weeks, mean, lo, hi = band(series, column)
        years = weeks / weeks_per_year
        ax.fill_between(years, 100 * lo, 100 * hi, color=colour, alpha=0.2, linewidth=0)
        ax.plot(years, 100 * mean, color=colour, linewidth=2, linestyle=style, label=label)
    n_rep = series["replicate"].n_unique()
    ax.set_xlabel("school years")
    ax.set_ylabel("people who have adopted a practice (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False,
              title=f"mean of {n_rep} replicates; band: 10th-90th percentile", title_fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path

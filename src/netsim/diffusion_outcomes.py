"""Generic diffusion outcomes of textbook runs: per-cascade final sizes and curves.

With a textbook ``adoption.rule`` every practice column is one cascade
(:mod:`netsim.mechanisms.adoption_rules`). The domain outcomes (adoption among members,
version quality, trust) mean nothing there; these do:

- per run (extra columns of the run summary, :func:`summary`): ``final_size_mean`` (adopters
  per cascade at the end, nodes; seeds included), ``final_share_mean`` / ``_min`` / ``_max``
  (the same as a share of the nodes that can adopt), ``seeds_mean`` (seeds per cascade),
  ``weeks_run`` (weeks simulated), ``last_change_week`` (the last week any cascade grew; 0 if
  none did), ``stable`` (1 when no further adoption is possible at the end, see
  :class:`~netsim.mechanisms.adoption_rules.Diffusion`) and ``n_nodes``;
- per cascade (:func:`cascade_table`, written to ``cascades.parquet`` by ``netsim run``): one
  row per replicate, cascade and week with ``adopters`` (at the end of the week),
  ``new_adopters`` (adopted in that week; the seeds in week 0) and ``share``.

:data:`TEXTBOOK_OUTCOMES` are the rows the command line and the report show for textbook runs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from netsim.config import Scenario

if TYPE_CHECKING:
    import polars as pl

    from netsim.mechanisms.adoption_rules import Diffusion
    from netsim.model import LearningNetworkModel

__all__ = ["CASCADE_COLUMNS", "DIFFUSION_COLUMNS", "TEXTBOOK_OUTCOMES", "cascade_figure",
           "cascade_table", "conditions", "final_sizes", "summary"]

DIFFUSION_COLUMNS = ("final_size_mean", "final_share_mean", "final_share_min",
                     "final_share_max", "seeds_mean", "weeks_run", "last_change_week", "stable",
                     "n_nodes")
CASCADE_COLUMNS = ("replicate", "cascade", "week", "adopters", "new_adopters", "share")

# (column, label, unit scale, format), as netsim.report.KEY_OUTCOMES
TEXTBOOK_OUTCOMES = (
    ("final_share_mean", "final size, share of nodes (mean over cascades, %)", 100, "{:.1f}"),
    ("final_share_min", "smallest cascade, share of nodes (%)", 100, "{:.1f}"),
    ("final_share_max", "largest cascade, share of nodes (%)", 100, "{:.1f}"),
    ("final_size_mean", "final size, nodes (mean over cascades)", 1, "{:.1f}"),
    ("seeds_mean", "seeds per cascade", 1, "{:.1f}"),
    ("last_change_week", "last week a cascade grew", 1, "{:.1f}"),
    ("weeks_run", "weeks simulated", 1, "{:.1f}"),
    ("stable", "runs where nothing could change any more (%)", 100, "{:.0f}"),
    ("n_nodes", "nodes that can adopt", 1, "{:.0f}"),
)


def final_sizes(diffusion: Diffusion) -> np.ndarray:
    """Adopters per cascade at the end (seeds included)."""
    return np.asarray(diffusion.curve[-1], dtype=np.int64)


def summary(diffusion: Diffusion, scenario: Scenario) -> dict[str, float]:
    """The generic diffusion outcomes of one run (see the module docstring)."""
    curve = np.asarray(diffusion.curve, dtype=float)  # (weeks + 1, cascades)
    final = curve[-1]
    n_nodes = float(diffusion.eligible.sum())
    share = final / n_nodes if n_nodes else np.full(final.shape, math.nan)
    grew = np.flatnonzero((np.diff(curve, axis=0) > 0).any(axis=1))
    return {
        "final_size_mean": float(final.mean()),
        "final_share_mean": float(share.mean()),
        "final_share_min": float(share.min()),
        "final_share_max": float(share.max()),
        "seeds_mean": float(curve[0].mean()),
        "weeks_run": float(curve.shape[0] - 1),
        "last_change_week": float(grew[-1] + 1) if grew.size else 0.0,
        "stable": float(diffusion.stable),
        "n_nodes": n_nodes,
    }


def cascade_table(model: LearningNetworkModel, replicate: int = 0) -> pl.DataFrame | None:
    """One row per cascade and week of a finished textbook run (None for the domain rule).

    Columns: :data:`CASCADE_COLUMNS`; ``share`` is ``adopters`` over the nodes that can adopt.
    """
    import polars as pl

    diffusion = model.diffusion
    if diffusion is None:
        return None
    curve = np.asarray(diffusion.curve, dtype=np.int64)
    weeks, k = curve.shape
    new = np.asarray(diffusion.new_counts, dtype=np.int64)
    n_nodes = int(diffusion.eligible.sum())
    return pl.DataFrame({
        "replicate": np.full(weeks * k, replicate, dtype=np.int32),
        "cascade": np.tile(np.arange(k, dtype=np.int32), weeks),
        "week": np.repeat(np.arange(weeks, dtype=np.int32), k),
        "adopters": curve.ravel(),
        "new_adopters": new.ravel(),
        "share": curve.ravel() / n_nodes if n_nodes else np.full(weeks * k, math.nan),
    })


def conditions(scenario: Scenario) -> list[tuple[str, str]]:
    """The settings of a textbook run as (setting, value) rows for reports."""
    ad, net = scenario.adoption, scenario.network
    rule = ad.rule.value
    params = {"independent_cascade": f"transmissibility {ad.transmissibility:g}",
              "fractional_threshold": f"threshold {ad.threshold:g}",
              "count_threshold": f"count {ad.count}",
              "bass": f"p {ad.bass_p:g}, q {ad.bass_q:g}"}.get(rule, "")
    if ad.threshold_attribute is not None:
        params = f"per-node thresholds from attribute {ad.threshold_attribute!r}"
    elif ad.threshold_distribution.value != "fixed":
        params += f", per-node thresholds {ad.threshold_distribution.value}"
    if ad.seed_file is not None:
        seeds = f"from {ad.seed_file}"
    elif ad.seed_sets:
        seeds = f"one set per cascade ({', '.join(str(len(s)) for s in ad.seed_sets)} nodes)"
    elif ad.seed_nodes:
        seeds = "nodes " + ", ".join(str(v) for v in ad.seed_nodes[:10]) + (
            " ..." if len(ad.seed_nodes) > 10 else "")
    elif ad.seeding.value in ("random", "top_degree"):
        seeds = f"{ad.seeding.value}, {ad.seed_count} per cascade"
    else:
        seeds = f"random share {ad.initial_adopters:g} per cascade"
    horizon = (f"until nothing changes (at most {ad.max_weeks} weeks)" if ad.until_stable
               else f"{scenario.n_weeks} weeks")
    return [("rule", f"{rule} ({params})"),
            ("network", net.file if net.file else f"generated ({net.design.value})"),
            ("edge weights", "used" if ad.weighted else "ignored (every tie counts 1)"),
            ("seeds", seeds),
            ("cascades per run", str(scenario.practices.n_practices)),
            ("horizon", horizon),
            ("replicates", f"{scenario.replicates} (base seed {scenario.seed})")]


def cascade_figure(cascades: pl.DataFrame, path: str | Path, title: str,
                   max_lines: int = 400) -> Path:
    """Adopted share of nodes over weeks: one thin line per replicate and cascade (at most
    ``max_lines``, the first ones) and their mean per week (black). A run that stopped when
    nothing could change any more keeps its final share in the mean."""
    from matplotlib.figure import Figure

    runs = cascades.partition_by(["replicate", "cascade"], maintain_order=True)
    length = max(part.height for part in runs)
    curves = np.empty((len(runs), length))
    for i, part in enumerate(runs):
        share = part.sort("week")["share"].to_numpy()
        curves[i, : share.size] = share
        curves[i, share.size:] = share[-1]
    weeks = np.arange(length)
    fig = Figure(figsize=(8, 5), dpi=120)
    ax = fig.subplots()
    alpha = float(np.clip(8 / len(runs), 0.08, 0.6))
    for part in runs[:max_lines]:
        ax.plot(part["week"].to_numpy(), 100 * part["share"].to_numpy(), color="#1b6ca8",
                alpha=alpha, linewidth=1)
    ax.plot(weeks, 100 * curves.mean(axis=0), color="black", linewidth=2,
            label=f"mean of {len(runs)} cascades")
    shown = min(len(runs), max_lines)
    ax.plot([], [], color="#1b6ca8", label=f"one cascade ({shown} of {len(runs)} drawn)")
    ax.set_xlabel("week (synchronous step)")
    ax.set_ylabel("nodes that have adopted (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(1, length - 1))
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=11)
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path

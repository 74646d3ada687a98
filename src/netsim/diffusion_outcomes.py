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
  row per replicate, cascade and week with ``adopters``, ``new_adopters`` and ``share``.

:data:`TEXTBOOK_OUTCOMES` are the rows the command line and the report show for textbook runs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from netsim.config import Scenario

if TYPE_CHECKING:
    import polars as pl

    from netsim.mechanisms.adoption_rules import Diffusion
    from netsim.model import LearningNetworkModel

__all__ = ["CASCADE_COLUMNS", "DIFFUSION_COLUMNS", "TEXTBOOK_OUTCOMES", "cascade_table",
           "final_sizes", "summary"]

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
    new = np.vstack([curve[:1], np.diff(curve, axis=0)])
    n_nodes = int(diffusion.eligible.sum())
    return pl.DataFrame({
        "replicate": np.full(weeks * k, replicate, dtype=np.int32),
        "cascade": np.tile(np.arange(k, dtype=np.int32), weeks),
        "week": np.repeat(np.arange(weeks, dtype=np.int32), k),
        "adopters": curve.ravel(),
        "new_adopters": new.ravel(),
        "share": curve.ravel() / n_nodes if n_nodes else np.full(weeks * k, math.nan),
    })

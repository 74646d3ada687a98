"""PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999, Statistics and Computing
9:123), for scenario discovery (Bryant & Lempert 2010, Technological Forecasting & Social
Change 77:34; Kwakkel 2017, the EMA Workbench).

Given points ``x`` (plausible worlds, one row per ensemble member), a 0/1 outcome ``y`` (say,
"the arm loses to the baseline here") and weights, PRIM looks for a box ``lo <= x <= hi`` where
``y = 1`` is concentrated:

- **Peeling.** Starting from the box around all points, every step considers cutting a share
  ``alpha`` (default 0.05) of the points inside the box off the low or the high end of each
  dimension, and keeps the cut that leaves the highest mean of ``y`` (the box's *density*).
  Steps continue until fewer than ``min_support`` of the (weighted) points are inside.
- **Choice on the trajectory.** Of the boxes peeled, the one with the highest coverage (the
  share of all ``y = 1`` weight inside) among those whose density is within two binomial
  standard errors of the best density (at least ``density_tol``): a smaller box that is denser
  only by chance does not win. (The EMA Workbench lets the analyst pick interactively; this is its
  automatic default made explicit.)
- **Restricted dimensions** are those whose limits moved inside the points' range; only they
  are reported ("trial.trial_rate > 0.15").

Why not a library: the ``prim`` package (Project Platypus) installs here but is licensed GPL-3,
which netsim (MIT) does not take on; ema-workbench (BSD-3) installs too, but brings statsmodels,
scikit-learn, seaborn and Platypus-Opt for this one algorithm. Peeling is short, so netsim
implements it and tests it on planted boxes (``tests/test_robust.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Box", "prim"]


@dataclass
class Box:
    """A PRIM box and how good it is.

    Attributes:
        lo, hi: limits per dimension.
        restricted: indices of the dimensions the box limits.
        density: weighted mean of ``y`` inside.
        coverage: share of the weighted ``y = 1`` inside.
        support: weighted share of points inside.
        names: dimension names.
        trajectory: (coverage, density, support) of every box peeled.
    """

    lo: np.ndarray
    hi: np.ndarray
    restricted: list[int]
    density: float
    coverage: float
    support: float
    names: list[str] = field(default_factory=list)
    trajectory: list[tuple[float, float, float]] = field(default_factory=list)
    n_inside: int = 0

    def inside(self, x: np.ndarray) -> np.ndarray:
        return np.all((x >= self.lo) & (x <= self.hi), axis=1)

    def describe(self, fmt: str = "{:.3g}") -> list[str]:
        """One condition per restricted dimension, e.g. ``trial.trial_rate > 0.15``."""
        out = []
        for j in self.restricted:
            name = self.names[j] if self.names else f"x{j}"
            lo_moved = self._lo_moved[j]
            hi_moved = self._hi_moved[j]
            if lo_moved and hi_moved:
                out.append(f"{name} between {fmt.format(self.lo[j])} and "
                           f"{fmt.format(self.hi[j])}")
            elif lo_moved:
                out.append(f"{name} > {fmt.format(self.lo[j])}")
            else:
                out.append(f"{name} < {fmt.format(self.hi[j])}")
        return out

    _lo_moved: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)
    _hi_moved: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)


def prim(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
         names: Sequence[str] = (), alpha: float = 0.05, min_support: float = 0.05,
         density_tol: float = 0.02) -> Box:
    """Peel a box where ``y = 1`` concentrates (see the module docstring).

    Args:
        x: (n, D) points.
        y: (n,) 0/1 outcome.
        weights: (n,) non-negative weights (default equal).
        names: dimension names for :meth:`Box.describe`.
        alpha: share of the box's points cut per step.
        min_support: stop when fewer than this weighted share of points is inside.
        density_tol: least tolerance below the best density for a box to count as as dense.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    total_y = float(np.sum(w * y)) or 1.0
    lo, hi = x.min(axis=0).copy(), x.max(axis=0).copy()
    inside = np.ones(n, dtype=bool)
    boxes = [(lo.copy(), hi.copy())]
    stats = [(float(np.sum(w * y) / total_y), float(np.sum(w * y)), 1.0)]
    while True:
        best = None
        for j in range(d):
            xs = x[inside, j]
            for side in ("lo", "hi"):
                cut = np.quantile(xs, alpha if side == "lo" else 1 - alpha)
                keep = inside & ((x[:, j] >= cut) if side == "lo" else (x[:, j] <= cut))
                # a cut that removes nothing (ties) or everything is no step
                if keep.sum() == inside.sum() or keep.sum() == 0:
                    keep = inside & ((x[:, j] > cut) if side == "lo" else (x[:, j] < cut))
                    if keep.sum() == inside.sum() or keep.sum() == 0:
                        continue
                sw = float(np.sum(w[keep]))
                dens = float(np.sum(w[keep] * y[keep]) / sw)
                if best is None or dens > best[0]:
                    best = (dens, j, side, keep, sw)
        if best is None or best[4] < min_support:
            break
        dens, j, side, keep, sw = best
        inside = keep
        if side == "lo":
            lo[j] = x[inside, j].min()
        else:
            hi[j] = x[inside, j].max()
        boxes.append((lo.copy(), hi.copy()))
        stats.append((float(np.sum(w[inside] * y[inside]) / total_y), dens, sw))
    # the densest box, and its binomial standard error from the (effective) points inside
    best_i = max(range(len(stats)), key=lambda i: stats[i][1])
    top, n_in = stats[best_i][1], max(1.0, stats[best_i][2] / float(np.sum(w**2)))
    tol = max(density_tol, 2 * np.sqrt(top * (1 - top) / n_in))
    pick = max((i for i, s in enumerate(stats) if s[1] >= top - tol),
               key=lambda i: (stats[i][0], -i))
    blo, bhi = boxes[pick]
    full_lo, full_hi = x.min(axis=0), x.max(axis=0)
    lo_moved, hi_moved = blo > full_lo, bhi < full_hi
    box = Box(blo, bhi, [j for j in range(d) if lo_moved[j] or hi_moved[j]], stats[pick][1],
              stats[pick][0], stats[pick][2], list(names), stats)
    box._lo_moved, box._hi_moved = lo_moved, hi_moved
    box.n_inside = int(box.inside(x).sum())
    return box

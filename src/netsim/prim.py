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
- **Choice on the trajectory.** With 40 points or more, boxes are peeled on a random half of
  the points and judged on the other half (Friedman & Fisher 1999 §6). The box chosen has the
  highest coverage (the share of all ``y = 1`` weight inside) among those whose density is
  within two binomial standard errors of the best density (at least ``density_tol``): a
  smaller box that is denser only by chance does not win. Its limits are then reported with
  density and coverage on all points. (The EMA Workbench lets the analyst pick interactively; this is its
  automatic default made explicit.)
- **Restricted dimensions** are those the chosen box limits (a side that was peeled); only
  they are reported ("trial.trial_rate > 0.15").

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


def _peel(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float,
          min_support: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The peeling trajectory: boxes (lo, hi), from all points to ``min_support``."""
    n, d = x.shape
    lo, hi = np.full(d, -np.inf), np.full(d, np.inf)  # a limit exists once a side is peeled
    inside = np.ones(n, dtype=bool)
    boxes = [(lo.copy(), hi.copy())]
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
        if best is None or best[4] < min_support * float(np.sum(w)):
            return boxes
        _, j, side, keep, _ = best
        inside = keep
        if side == "lo":
            lo[j] = x[inside, j].min()
        else:
            hi[j] = x[inside, j].max()
        boxes.append((lo.copy(), hi.copy()))


def _stats(x: np.ndarray, y: np.ndarray, w: np.ndarray, lo: np.ndarray, hi: np.ndarray
           ) -> tuple[float, float, float, float]:
    """(coverage, density, support, effective points inside) of a box."""
    inside = np.all((x >= lo) & (x <= hi), axis=1)
    wi = w[inside]
    sw = float(wi.sum())
    if sw <= 0:
        return 0.0, 0.0, 0.0, 0.0
    dens = float(np.sum(wi * y[inside]) / sw)
    cov = float(np.sum(wi * y[inside]) / max(float(np.sum(w * y)), 1e-300))
    n_eff = sw**2 / float(np.sum(wi**2))
    return cov, dens, sw / float(w.sum()), n_eff


def prim(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
         names: Sequence[str] = (), alpha: float = 0.05, min_support: float = 0.05,
         density_tol: float = 0.02, seed: int = 0) -> Box:
    """Peel a box where ``y = 1`` concentrates (see the module docstring).

    With 40 points or more, the peeling runs on a random half and the boxes are judged on the
    other half (Friedman & Fisher 1999, §6): the density of boxes peeled on the same points
    creeps up with noise as they shrink, on fresh points it does not.

    Args:
        x: (n, D) points.
        y: (n,) 0/1 outcome.
        weights: (n,) non-negative weights (default equal).
        names: dimension names for :meth:`Box.describe`.
        alpha: share of the box's points cut per step.
        min_support: stop when fewer than this weighted share of points is inside.
        density_tol: least tolerance below the best density for a box to count as as dense.
        seed: seed of the split into halves.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    if n >= 40:
        half = np.random.default_rng(seed).permutation(n) < n // 2
        peel, judge = half, ~half
    else:
        peel = judge = np.ones(n, dtype=bool)
    boxes = _peel(x[peel], y[peel], w[peel], alpha, min_support)
    judged = [_stats(x[judge], y[judge], w[judge], lo, hi) for lo, hi in boxes]
    best_i = max(range(len(judged)), key=lambda i: judged[i][1])
    top, n_in = judged[best_i][1], max(1.0, judged[best_i][3])
    tol = max(density_tol, 2 * np.sqrt(top * (1 - top) / n_in))
    pick = max((i for i, s in enumerate(judged) if s[1] >= top - tol),
               key=lambda i: (judged[i][0], -i))
    blo, bhi = boxes[pick]
    lo_moved, hi_moved = np.isfinite(blo), np.isfinite(bhi)
    cov, dens, sup, _ = _stats(x, y, w, blo, bhi)
    # unlimited sides are shown at the points' range
    blo = np.where(lo_moved, blo, x.min(axis=0))
    bhi = np.where(hi_moved, bhi, x.max(axis=0))
    box = Box(blo, bhi, [j for j in range(d) if lo_moved[j] or hi_moved[j]], dens, cov, sup,
              list(names), [s[:3] for s in judged])
    box._lo_moved, box._hi_moved = lo_moved, hi_moved
    box.n_inside = int(box.inside(x).sum())
    return box

"""Docking netsim against the reference model: distributional equivalence of run summaries.

Run as a script to print the docking table (the same comparison tests/test_docking.py makes)::

    python benchmarks/reference/docking.py [--netsim 200] [--reference 120] [key=value ...]

The two implementations draw their random numbers in different orders, so no run of one can
be matched to a run of the other ("numerical identity" in Axtell et al. 1996 is impossible);
what can be shown is *distributional equivalence* (Axtell et al. 1996; Wilensky & Rand 2007,
JASSS 10(4):2): over many replicates, each outcome has the same distribution in both. For
every outcome this module runs

- **TOST** (two one-sided Welch t-tests, Schuirmann 1987) of the difference of means against
  an equivalence margin ``±delta`` in the outcome's own units: equivalent at level 0.05 when
  the 90 % confidence interval of the difference lies inside the margin. A plain t-test could
  only fail to find a difference (absence of evidence); TOST puts the burden of proof on
  equivalence, so too few replicates make the dock fail, not pass.
- a **two-sample Kolmogorov-Smirnov** test as a check on the shape of the distribution (a
  difference in spread or skew with equal means), with a Bonferroni-corrected level over the
  outcomes (family level 0.01).

The margins (:data:`MARGINS`) are half of netsim's between-replicate standard deviation of each
outcome at the docking size (6 schools, 1.5 school years, about 160 people), measured over 400
replicates (replicates 1000-1399; the test's runs are replicates 0-199). Half a standard
deviation is the usual upper bound of a "small" standardised difference (Cohen's d 0.2-0.5;
Lakens 2017 on equivalence bounds); in absolute terms it is about 3 percentage points of
adoption. With 200 netsim and 120 reference
replicates the standard error of a difference is about 0.12 SD, so two equivalent models pass
each outcome with probability about 0.99, while a change that moves an outcome by more than
the margin cannot pass.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

if __package__ in (None, ""):  # run as a script: make ``reference`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from reference.model import ReferenceModel
else:
    from .model import ReferenceModel

from netsim import load_scenario
from netsim.config import Scenario
from netsim.runner import run_replicate

__all__ = ["DOCKING_SETTINGS", "MARGINS", "Row", "dock", "format_table", "run_netsim",
           "run_reference", "tost"]

#: the reduced size docked in CI: 6 schools (about 160 people) over 1.5 school years (57
#: weeks, with one summer's turnover and 10 gatherings); everything else as Scenario()
DOCKING_SETTINGS = {"network.n_schools": 6, "calendar.years": 1.5}

#: equivalence margins in the outcome's units: half of netsim's between-replicate SD at
#: DOCKING_SETTINGS (400 replicates; the SD is in the comment)
MARGINS: dict[str, float] = {
    "adoption_members": 0.054,      # SD 0.108 (share of members who adopted a practice)
    "adoption_colleagues": 0.030,   # SD 0.061
    "adoption_all": 0.029,          # SD 0.058
    "practice_adoption": 0.0060,    # SD 0.0119
    "knowledge_all": 0.014,         # SD 0.028
    "schools_changed": 0.076,       # SD 0.153 (share of the 6 schools)
    "school_inequality": 0.036,     # SD 0.073 (Gini)
    "version_quality": 0.042,       # SD 0.084
    "version_diversity": 0.11,      # SD 0.23
    "trust_members": 0.012,         # SD 0.025
    "strong_ties_per_member": 0.22,  # SD 0.45
    "cocreation_groups_mean": 0.17,  # SD 0.33
    "trials_total": 9.5,            # SD 19.0
    "new_versions_total": 1.3,      # SD 2.7
    "discontinued_total": 0.75,     # SD 1.50
    "posts_total": 6.3,             # SD 12.7
    "reads_total": 15.0,            # SD 29.7
    "person_hours": 240.0,          # SD 485
}

#: reference replicates use their own seeds, never netsim's streams
REFERENCE_SEED = 20261201


def run_netsim(scenario: Scenario, n: int, first: int = 0) -> list[dict[str, float]]:
    """Summaries of netsim replicates ``first .. first + n - 1`` (the runner's seeds)."""
    return [run_replicate(scenario, r)[0] for r in range(first, first + n)]


def run_reference(scenario: Scenario, n: int, first: int = 0) -> list[dict[str, float]]:
    """Summaries of ``n`` reference runs, each with its own generator."""
    out = []
    for r in range(first, first + n):
        rng = np.random.default_rng(np.random.SeedSequence(REFERENCE_SEED, spawn_key=(r,)))
        model = ReferenceModel(scenario, rng=rng)
        model.run()
        out.append(model.summary())
        model.remove_all_agents()
    return out


def tost(a: np.ndarray, b: np.ndarray, margin: float) -> tuple[float, float, float, float]:
    """TOST of ``mean(b) - mean(a)`` within ``±margin`` (Welch): (difference, 90 % CI low,
    high, p). Equivalent at level 0.05 when p < 0.05, i.e. the CI lies inside the margin."""
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = float(b.mean() - a.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff, 0.0 if abs(diff) < margin else 1.0
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    p = max(stats.t.sf((diff + margin) / se, df), stats.t.sf((margin - diff) / se, df))
    half = stats.t.ppf(0.95, df) * se
    return diff, diff - half, diff + half, float(p)


@dataclass(frozen=True)
class Row:
    """One outcome's docking result."""

    outcome: str
    mean_netsim: float
    mean_reference: float
    difference: float
    ci_low: float
    ci_high: float
    margin: float
    p_tost: float
    p_ks: float
    equivalent: bool       # TOST at 0.05
    same_shape: bool       # KS not rejected at the Bonferroni level

    @property
    def docks(self) -> bool:
        return self.equivalent and self.same_shape


def dock(netsim_runs: Sequence[Mapping[str, float]], reference_runs: Sequence[Mapping[str, float]],
         margins: Mapping[str, float] = MARGINS, alpha: float = 0.05,
         family_alpha: float = 0.01) -> list[Row]:
    """Compare the two sets of run summaries outcome by outcome (see the module docstring)."""
    rows = []
    ks_level = family_alpha / len(margins)
    for outcome, margin in margins.items():
        a = np.array([r[outcome] for r in netsim_runs], dtype=float)
        b = np.array([r[outcome] for r in reference_runs], dtype=float)
        if np.isnan(a).any() or np.isnan(b).any():
            raise ValueError(f"{outcome} is undefined in some runs; dock outcomes that every "
                             "run defines")
        diff, lo, hi, p = tost(a, b, margin)
        p_ks = float(stats.ks_2samp(a, b).pvalue)
        rows.append(Row(outcome, float(a.mean()), float(b.mean()), diff, lo, hi, margin, p,
                        p_ks, p < alpha, p_ks >= ks_level))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """The docking table as text."""
    lines = [f"{'outcome':24s} {'netsim':>10s} {'reference':>10s} {'difference':>11s} "
             f"{'90% CI':>21s} {'margin':>8s} {'p TOST':>7s} {'p KS':>6s}  verdict"]
    for r in rows:
        verdict = "docks" if r.docks else ("NOT equivalent" if not r.equivalent
                                           else "shape differs")
        lines.append(f"{r.outcome:24s} {r.mean_netsim:10.4g} {r.mean_reference:10.4g} "
                     f"{r.difference:+11.3g} [{r.ci_low:+9.3g}, {r.ci_high:+9.3g}] "
                     f"{r.margin:8.3g} {r.p_tost:7.3f} {r.p_ks:6.3f}  {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--netsim", type=int, default=200, help="netsim replicates")
    parser.add_argument("--reference", type=int, default=120, help="reference replicates")
    parser.add_argument("settings", nargs="*", help="dotted settings (both models)")
    args = parser.parse_args(argv)
    import yaml

    overrides = dict(DOCKING_SETTINGS)
    for item in args.settings:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    scenario = load_scenario(overrides=overrides)
    rows = dock(run_netsim(scenario, args.netsim), run_reference(scenario, args.reference))
    print(f"docking at {overrides}: {args.netsim} netsim and {args.reference} reference runs")
    print(format_table(rows))
    failed = [r.outcome for r in rows if not r.docks]
    print("all outcomes dock" if not failed else f"do not dock: {', '.join(failed)}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())

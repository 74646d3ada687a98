"""The validation suite behind ``netsim validate``: textbook reductions, stylised facts, the joint
pattern and first-year plausibility.

Groups of checks, each a :class:`Check` that returns one :class:`CheckResult` row (what is
checked, its source, the target, the measured value with a 95 % interval, and the status):

- **Textbook reductions** (group ``textbook``). Every domain process is switched off
  (``processes.*=false``), the collegial graph is a generated graph written to a temporary
  file and loaded through ``network.file``, and one textbook ``adoption.rule`` decides who
  adopts. Each practice column of the model is an independent run of the rule on the same
  graph, so one model run gives ``practices.n_practices`` cascades. Targets come from
  :mod:`netsim.validation.theory` (closed forms from the papers named in each row).
- **Stylised facts** (group ``fact``), the **joint pattern** (group ``joint``) and
  **first-year plausibility** (group ``plausibility``), from :mod:`netsim.validation.facts`:
  graded arms of the default scenario (``resource_teacher_network``) with replicates and common
  random numbers (replicate ``r`` of every arm shares one random stream), effects as mean paired
  differences with two-sided 95 % t intervals. Each fact names a setting under which it does not
  hold (its can-fail setting; the ``--full`` record measures it too).

Pass rules. A check against a number passes when its 95 % interval, widened by the stated
tolerance (finite population, discretisation), covers the target. A direction-of-effect check
passes when the whole 95 % interval of the paired effect lies on the predicted side of zero.
A fact listed in :data:`NOT_REPRODUCED` that fails gets the status ``NOT REPRODUCED`` (a
documented result, see ``experiments/``) instead of ``FAIL``; if it starts to pass, the status
is ``PASS`` and the documentation must be updated (the tests notice). The command exits
non-zero when any check has the status ``FAIL``.

Graphs are generated with networkx from seeds drawn from the check's ``SeedSequence``, so every
row is reproducible from ``seed``.
"""

from __future__ import annotations

import csv
import logging
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from netsim.config import Scenario, scenario_from_dict
from netsim.model import LearningNetworkModel
from netsim.runner import interval
from netsim.state import Stage
from netsim.validation import theory
from netsim.validation.arms import (
    CACHE,
    DEFAULT_SEED,
    FAIL,
    NOT_REPRODUCED_STATUS,
    PASS,
    ArmCache,
    Check,
    CheckResult,
    default_jobs,
    run_arm,
)
from netsim.validation.facts import NOT_REPRODUCED, fact_checks, first_year_check, joint_check

__all__ = ["CHECKS", "DEFAULT_SEED", "NOT_REPRODUCED", "Check", "CheckResult", "default_jobs",
           "format_results", "run_arm", "run_checks", "select_checks", "textbook_scenario",
           "write_results"]

log = logging.getLogger(__name__)

def _status(name: str, ok: bool) -> str:
    return PASS if ok else FAIL


def _covers(target: float, low: float, high: float, tol: float) -> bool:
    return bool(low - tol <= target <= high + tol)


def _bootstrap(values: np.ndarray, stat: Callable[[np.ndarray], float],
               rng: np.random.Generator, n_boot: int = 400) -> tuple[float, float, float]:
    """Statistic of the rows of ``values`` and its 95 % percentile bootstrap interval."""
    est = float(stat(values))
    idx = rng.integers(0, values.shape[0], size=(n_boot, values.shape[0]))
    boots = np.array([stat(values[i]) for i in idx])
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return est, float(lo), float(hi)


def _proportion(successes: int, n: int) -> tuple[float, float, float]:
    """Share and its 95 % Wilson score interval."""
    if n == 0:
        return math.nan, math.nan, math.nan
    z = 1.959963984540054
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


_OFF = dict.fromkeys(("gathering", "home_transfer", "collegial_talk", "trial", "cocreation",
                      "digital", "dynamics", "turnover"), False)


def textbook_scenario(graph_file: Path | str, rule: str, weeks: int, n_practices: int,
                      **adoption: Any) -> Scenario:
    """A scenario that is exactly a textbook rule on the graph in ``graph_file``.

    All domain processes are off; each of the ``n_practices`` columns is an independent run
    of ``rule`` for ``weeks`` synchronous steps; ``adoption`` sets the rule's parameters.
    """
    return scenario_from_dict({
        "name": f"textbook_{rule}",
        "network": {"file": str(graph_file)},
        "processes": dict(_OFF),
        "calendar": {"weeks_per_year": min(weeks, 52), "years": weeks / min(weeks, 52)},
        "practices": {"n_practices": n_practices, "local_schools": 0},
        "adoption": {"rule": rule, **adoption},
    })


def _adoption_curves(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Adopted share of staff per week and practice column: shape (weeks + 1, n_practices)."""
    model = LearningNetworkModel(scenario, rng=rng)
    staff = model.state.staff
    rows = [(model.state.stage[staff] == Stage.ADOPTED).mean(axis=0)]
    for _ in range(scenario.n_weeks):
        model.run_for(1)
        rows.append((model.state.stage[staff] == Stage.ADOPTED).mean(axis=0))
    model.remove_all_agents()
    return np.array(rows)


def _write_graph(graph: nx.Graph, folder: Path, name: str) -> Path:
    """GraphML keeps isolated nodes (an edge list would drop them)."""
    path = folder / f"{name}.graphml"
    nx.write_graphml(nx.convert_node_labels_to_integers(graph), path)
    return path


def _complete_graph_csv(n: int, folder: Path) -> Path:
    path = folder / f"complete_{n}.csv"
    i, j = np.triu_indices(n, k=1)
    with path.open("w") as fh:
        fh.write("source,target\n")
        fh.write("\n".join(f"{a},{b}" for a, b in zip(i.tolist(), j.tolist())))
        fh.write("\n")
    return path


def _graph_seed(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1)[0])


# --------------------------------------------------------------------------------------------
# textbook reductions

BASS_P, BASS_Q, BASS_WEEKS = 0.03, 0.38, 30


def _bass_runs(full: bool, ss: np.random.SeedSequence) -> tuple[np.ndarray, int]:
    """Bass adoption curves on a complete graph: (weeks + 1, runs) and the population size."""
    n, runs = (1000, 100) if full else (500, 40)
    with tempfile.TemporaryDirectory() as tmp:
        path = _complete_graph_csv(n, Path(tmp))
        sc = textbook_scenario(path, "bass", BASS_WEEKS, runs, bass_p=BASS_P, bass_q=BASS_Q,
                               initial_adopters=0.0)
        curves = _adoption_curves(sc, np.random.default_rng(ss))
    return curves, n


_BASS_SOURCE = "Bass 1969 (Management Science 15:215), eq. for F(t); discrete recursion"


def _bass_tolerance(n: int, runs: int) -> float:
    # finite-N noise: about twice the binomial sd near take-off (theory docstring), 3 se of the
    # mean of `runs` curves, plus the O(q/N) per-step bias of the mean below the mean field
    return 3 * 2 * 0.5 / math.sqrt(n) / math.sqrt(runs) + 5 * BASS_Q / n


def check_bass_curve(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    curves, n = _bass_runs(full, ss)
    runs = curves.shape[1]
    mf = theory.bass_discrete_mean_curve(BASS_WEEKS, BASS_P, BASS_Q)
    cont = np.asarray(theory.bass_cumulative(np.arange(BASS_WEEKS + 1.0), BASS_P, BASS_Q))
    gap = theory.bass_discretisation_gap(BASS_P, BASS_Q, BASS_WEEKS)
    tol = _bass_tolerance(n, runs)
    rng = np.random.default_rng(ss.spawn(1)[0])
    est, lo, hi = _bootstrap(curves.T, lambda c: float(np.abs(c.mean(0) - mf).max()), rng)
    cont_dev = float(np.abs(curves.mean(1) - cont).max())
    ok = lo <= tol and cont_dev <= gap + tol
    return CheckResult(
        "bass_curve", "textbook",
        f"Bass on a complete graph (N={n}, p={BASS_P}, q={BASS_Q}, {runs} runs): max |mean "
        "curve - discrete mean field| over 30 weeks",
        _BASS_SOURCE + " F_{t+1}=F_t+(1-F_t)(p+qF_t)",
        f"0 (tolerance {tol:.3f}: 3 se of finite-N noise + bias q/N)", est, lo, hi,
        _status("bass_curve", ok),
        f"max |mean - continuous F(t)| = {cont_dev:.3f} <= discretisation gap {gap:.3f} + "
        f"{tol:.3f}")


def check_bass_peak(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    curves, n = _bass_runs(full, ss)
    runs = curves.shape[1]
    k_disc, h_disc = theory.bass_discrete_peak(BASS_P, BASS_Q)
    t_cont = theory.bass_peak_time(BASS_P, BASS_Q)
    h_cont = theory.bass_peak_height(BASS_P, BASS_Q)
    rng = np.random.default_rng(ss.spawn(1)[0])
    inc = np.diff(curves, axis=0).T  # (runs, weeks): new adopters from week k to k + 1
    t_est, t_lo, t_hi = _bootstrap(inc, lambda c: float(np.argmax(c.mean(0))), rng)
    h_est, h_lo, h_hi = _bootstrap(inc, lambda c: float(np.max(c.mean(0))), rng)
    h_tol = 3 * 2 * math.sqrt(h_disc / n) / math.sqrt(runs)
    ok = _covers(k_disc, t_lo, t_hi, 1.0) and _covers(h_disc, h_lo, h_hi, h_tol)
    return CheckResult(
        "bass_peak", "textbook",
        f"Bass peak week (largest mean weekly increment, N={n}, {runs} runs) and height",
        _BASS_SOURCE + "; peak t*=ln(q/p)/(p+q), f*=(p+q)^2/(4q)",
        f"week {k_disc} (+-1; continuous t*={t_cont:.2f}, discrete lags ~1 step)",
        t_est, t_lo, t_hi, _status("bass_peak", ok),
        f"height {h_est:.4f} [{h_lo:.4f}, {h_hi:.4f}] vs discrete {h_disc:.4f} (continuous "
        f"{h_cont:.4f}), tolerance {h_tol:.4f}")


IC_Z = 4.0


def _ic_final_sizes(z: float, transmissibility: float, full: bool,
                    ss: np.random.SeedSequence) -> tuple[np.ndarray, int]:
    """Final cascade fractions from one random seed: (graphs, seeds per graph), and N."""
    n, graphs, seeds = (4000, 12, 60) if full else (2000, 6, 50)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for g, child in enumerate(ss.spawn(graphs)):
            graph_ss, run_ss = child.spawn(2)
            graph = nx.fast_gnp_random_graph(n, z / (n - 1), seed=_graph_seed(graph_ss))
            path = _write_graph(graph, Path(tmp), f"er_{g}")
            sc = textbook_scenario(path, "independent_cascade", 60, seeds,
                                   transmissibility=transmissibility, initial_adopters=1 / n)
            out.append(_adoption_curves(sc, np.random.default_rng(run_ss))[-1])
    return np.array(out), n


_IC_SOURCE = "Newman 2002 (PRE 66:016128) eqs. for T_c=1/z and S=1-exp(-zTS); Kempe et al. 2003"
LARGE = 0.05  # a cascade reaching more than 5 % of the nodes counts as large


def check_ic_subcritical(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    t = 0.5 / IC_Z
    sizes, n = _ic_final_sizes(IC_Z, t, full, ss)
    target = theory.ic_mean_small_cascade_size(IC_Z, t)
    per_graph = sizes.mean(axis=1) * n
    est, lo, hi = interval(per_graph)
    n_large = int((sizes > LARGE).sum())
    tol = 0.05 * target  # finite-N correction of the tree-like approximation
    ok = n_large == 0 and _covers(target, lo, hi, tol)
    return CheckResult(
        "ic_subcritical", "textbook",
        f"Independent cascade on ER (z={IC_Z:g}, N={n}) below T_c=1/z (T={t:g}): no large "
        f"cascades, mean cascade size",
        _IC_SOURCE + "; mean size 1/(1-zT)",
        f"{target:.2f} nodes (tolerance 5 %); 0 cascades > {LARGE:.0%} of N", est, lo, hi,
        _status("ic_subcritical", ok),
        f"{n_large} of {sizes.size} cascades large; largest {sizes.max():.3f} of N")


def check_ic_supercritical(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    t = 2.0 / IC_Z
    sizes, n = _ic_final_sizes(IC_Z, t, full, ss)
    s_theory = theory.ic_giant_cascade_size(IC_Z, t)
    p_theory = theory.ic_large_cascade_probability(IC_Z, t)
    large = sizes > LARGE
    p_est, p_lo, p_hi = interval(large.mean(axis=1))
    size_per_graph = np.array([s[m].mean() if m.any() else np.nan for s, m in zip(sizes, large)])
    s_est, s_lo, s_hi = interval(size_per_graph)
    tol = 0.03  # finite-N fluctuation of the giant component, about 1/sqrt(N)
    ok = _covers(p_theory, p_lo, p_hi, tol) and _covers(s_theory, s_lo, s_hi, tol)
    return CheckResult(
        "ic_supercritical", "textbook",
        f"Independent cascade on ER (z={IC_Z:g}, N={n}) above T_c (T={t:g}): probability of "
        "a large cascade from one seed (and its size)",
        _IC_SOURCE + "; P = S for uniform T",
        f"P = {p_theory:.3f} (tolerance {tol})", p_est, p_lo, p_hi,
        _status("ic_supercritical", ok),
        f"size of large cascades {s_est:.3f} [{s_lo:.3f}, {s_hi:.3f}] vs S = {s_theory:.3f} "
        f"(tolerance {tol})")


def check_ic_threshold_sweep(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    """Full suite only: the probability of a large cascade across T = 0.5/z ... 2/z."""
    ratios = (0.5, 0.8, 1.25, 1.5, 2.0)
    worst, rows = 0.0, []
    for zt, child in zip(ratios, ss.spawn(len(ratios))):
        t = zt / IC_Z
        sizes, n = _ic_final_sizes(IC_Z, t, full, child)
        p_est, p_lo, p_hi = interval((sizes > LARGE).mean(axis=1))
        target = theory.ic_large_cascade_probability(IC_Z, t)
        # distance of the target from the interval (0 when covered)
        miss = max(0.0, p_lo - target, target - p_hi)
        worst = max(worst, miss)
        rows.append(f"zT={zt:g}: {p_est:.3f} [{p_lo:.3f}, {p_hi:.3f}] vs {target:.3f}")
    tol = 0.05  # finite size blurs the transition near zT = 1
    return CheckResult(
        "ic_threshold_sweep", "textbook",
        f"Independent cascade on ER (z={IC_Z:g}): probability of a large cascade across "
        "T = 0.5/z ... 2/z; largest distance of the target from the 95 % interval",
        _IC_SOURCE, f"0 (tolerance {tol}, finite size near zT = 1)", worst, worst, worst,
        _status("ic_threshold_sweep", worst <= tol), "; ".join(rows))


WATTS_PHI = 0.18


def _watts_frequency(z: float, full: bool, ss: np.random.SeedSequence) -> tuple[int, int, int]:
    """Global cascades (> 10 % of N) from one random seed: (count, trials, N)."""
    n, graphs, seeds = (10000, 10, 50) if full else (2000, 6, 50)
    hits = 0
    with tempfile.TemporaryDirectory() as tmp:
        for g, child in enumerate(ss.spawn(graphs)):
            graph_ss, run_ss = child.spawn(2)
            graph = nx.fast_gnp_random_graph(n, z / (n - 1), seed=_graph_seed(graph_ss))
            path = _write_graph(graph, Path(tmp), f"watts_{g}")
            sc = textbook_scenario(path, "fractional_threshold", 80, seeds,
                                   threshold=WATTS_PHI, initial_adopters=1 / n)
            final = _adoption_curves(sc, np.random.default_rng(run_ss))[-1]
            hits += int((final > 0.1).sum())
    return hits, graphs * seeds, n


_WATTS_SOURCE = "Watts 2002 (PNAS 99:5766) eq. 3 cascade condition and Fig. 1 window"


def check_watts_window(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    lo_z, hi_z = theory.watts_cascade_window_edges(WATTS_PHI)  # type: ignore[misc]
    inside, outside = 3.0, 8.0
    a, b = ss.spawn(2)
    h_in, n_in, n = _watts_frequency(inside, full, a)
    h_out, n_out, _ = _watts_frequency(outside, full, b)
    p_in, lo_in, hi_in = _proportion(h_in, n_in)
    p_out, lo_out, hi_out = _proportion(h_out, n_out)
    ok = lo_in > 0.02 and hi_out < 0.05
    return CheckResult(
        "watts_window", "textbook",
        f"Fractional threshold phi={WATTS_PHI} on ER (N={n}): share of single seeds giving a "
        f"global cascade (> 10 % of N) inside the window (z={inside:g})",
        _WATTS_SOURCE,
        f"> 0.02 inside {lo_z:.2f} < z < {hi_z:.2f}; < 0.05 outside (z={outside:g})",
        p_in, lo_in, hi_in, _status("watts_window", ok),
        f"outside (z={outside:g}): {p_out:.3f} [{lo_out:.3f}, {hi_out:.3f}]")


def check_watts_window_sweep(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    """Full suite only: global cascades are frequent inside the window, absent outside."""
    lo_z, hi_z = theory.watts_cascade_window_edges(WATTS_PHI)  # type: ignore[misc]
    zs = (0.5, 2.0, 4.0, 5.0, 7.0, 10.0)
    ok, rows = True, []
    for z, child in zip(zs, ss.spawn(len(zs))):
        hits, trials, n = _watts_frequency(z, full, child)
        p, lo, hi = _proportion(hits, trials)
        inside = lo_z < z < hi_z
        ok &= (lo > 0.02) if inside else (hi < 0.05)
        rows.append(f"z={z:g} ({'in' if inside else 'out'}): {p:.3f} [{lo:.3f}, {hi:.3f}]")
    return CheckResult(
        "watts_window_sweep", "textbook",
        f"Fractional threshold phi={WATTS_PHI} on ER: global-cascade frequency across mean "
        "degree z (all inside > 0.02, all outside < 0.05)", _WATTS_SOURCE,
        f"window {lo_z:.2f} < z < {hi_z:.2f}", float(ok), float(ok), float(ok),
        _status("watts_window_sweep", ok), "; ".join(rows))


def check_centola_ring(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    n, k = 100, 2
    cases = [(2, 2, 1.0), (3, 3, 3 / n), (2, 1, 1 / n)]  # (count, seed width, final share)
    got = []
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_graph(nx.watts_strogatz_graph(n, 2 * k, 0.0), Path(tmp), "ring")
        for count, width, _ in cases:
            sc = textbook_scenario(path, "count_threshold", 60, 1, count=count,
                                   seed_nodes=list(range(width)))
            curve = _adoption_curves(sc, np.random.default_rng(ss))[:, 0]
            got.append(curve)
    # with a = 2 <= k the seeded block grows by one node at each end per week
    weeks = np.arange(61)
    expected_growth = np.minimum(1.0, (2 + 2 * weeks) / n)
    exact_growth = bool(np.allclose(got[0], expected_growth))
    finals = [float(c[-1]) for c in got]
    ok = exact_growth and all(math.isclose(f, e) for f, (_, _, e) in zip(finals, cases))
    for (count, width, expect), final in zip(cases, finals):
        spreads = theory.complex_contagion_ring_spreads(k, count, width)
        ok &= spreads == math.isclose(final, 1.0)
    return CheckResult(
        "centola_ring", "textbook",
        f"Count threshold on a ring lattice (N={n}, k={k} each side): final share for a=2 "
        "from 2 seeds (then a=3 from 3 seeds, a=2 from 1 seed)",
        "Centola & Macy 2007 (AJS 113:702), ring-lattice argument: spreads iff a <= k, w >= a",
        "1.0 (block grows 1 node per side per week); then 0.03, 0.01 (no spread)",
        finals[0], finals[0], finals[0], _status("centola_ring", ok),
        f"finals {', '.join(f'{f:.2f}' for f in finals)}; growth exactly (2+2t)/N: "
        f"{exact_growth}")


# --------------------------------------------------------------------------------------------
# the suite


def _check(name: str, group: str, what: str, source: str,
           run: Callable[[bool, np.random.SeedSequence], CheckResult],
           fast: bool = True) -> Check:
    return Check(name, group, what, source, run, fast)


CHECKS: tuple[Check, ...] = (
    _check("bass_curve", "textbook", "Bass adoption curve on a complete graph", _BASS_SOURCE,
           check_bass_curve),
    _check("bass_peak", "textbook", "Bass peak time and height", _BASS_SOURCE, check_bass_peak),
    _check("ic_subcritical", "textbook", "independent cascade below 1/z", _IC_SOURCE,
           check_ic_subcritical),
    _check("ic_supercritical", "textbook", "independent cascade above 1/z", _IC_SOURCE,
           check_ic_supercritical),
    _check("ic_threshold_sweep", "textbook", "independent cascade across T", _IC_SOURCE,
           check_ic_threshold_sweep, fast=False),
    _check("watts_window", "textbook", "Watts cascade window", _WATTS_SOURCE, check_watts_window),
    _check("watts_window_sweep", "textbook", "Watts window across z", _WATTS_SOURCE,
           check_watts_window_sweep, fast=False),
    _check("centola_ring", "textbook", "complex contagion on a ring", "Centola & Macy 2007",
           check_centola_ring),
    *fact_checks(),
    Check("joint_patterns", "joint", "all facts together under one parameter set",
          "Grimm et al. 2005", joint_check),
    Check("first_year", "plausibility", "default scenario after its first school year",
          "seed 001 §5.2.4, §7.1, §4.4", first_year_check),
)


def select_checks(full: bool = False, only: Sequence[str] | None = None) -> list[Check]:
    """The checks to run: the fast subset unless ``full``; ``only`` selects by exact name (any
    check), or by group (``textbook``, ``fact``) or name prefix within that subset.

    Raises:
        ValueError: ``only`` names no check.
    """
    selected = [c for c in CHECKS if full or c.fast]
    if only:
        wanted = set(only)
        selected = [c for c in CHECKS if c.name in wanted or (c in selected and (
            c.group in wanted or any(c.name.startswith(w) for w in wanted)))]
        if not selected:
            raise ValueError(f"--only = {','.join(only)!r} matches no check; allowed: "
                             + ", ".join(["textbook", "fact", "joint", "plausibility",
                                        *(c.name for c in CHECKS)]))
    return selected


def run_checks(full: bool = False, only: Sequence[str] | None = None,
               seed: int = DEFAULT_SEED,
               progress: Callable[[CheckResult], None] | None = None,
               jobs: int | None = None) -> list[CheckResult]:
    """Run the suite (see :func:`select_checks`); call ``progress`` after each check.

    Each check draws from its own child of ``SeedSequence(seed)`` (graphs, textbook runs);
    the facts run replicates of the default scenario with base seed ``seed``, in ``jobs``
    worker processes (default :func:`default_jobs`; results do not depend on it).
    """
    selected = select_checks(full, only)
    cache = ArmCache(seed, default_jobs() if jobs is None else jobs)
    CACHE.append(cache)
    root = np.random.SeedSequence(seed)
    children = {c.name: child for c, child in zip(CHECKS, root.spawn(len(CHECKS)))}
    results = []
    try:
        for check in selected:
            start = time.perf_counter()
            res = check.run(full, children[check.name])
            res = CheckResult(**{**asdict(res), "seconds": time.perf_counter() - start})
            log.info("%s: %s (%.1f s)", res.name, res.status, res.seconds)
            results.append(res)
            if progress is not None:
                progress(res)
    finally:
        cache.close()
        CACHE.remove(cache)
    return results


def format_results(results: Iterable[CheckResult]) -> str:
    """Plain-text table, one row per check (plus its detail line)."""
    lines = []
    for r in results:
        lines.append(f"[{r.status}] {r.name} ({r.group}, {r.seconds:.1f} s)")
        lines.append(f"    checks:   {r.what}")
        lines.append(f"    source:   {r.source}")
        lines.append(f"    target:   {r.target}")
        lines.append(f"    measured: {r.measured:.4g}  95 % interval [{r.low:.4g}, "
                     f"{r.high:.4g}]")
        if r.detail:
            lines.append(f"    detail:   {r.detail}")
    return "\n".join(lines)


def write_results(results: Sequence[CheckResult], out: Path | str, command: str = "") -> Path:
    """Write ``validation.md`` and ``validation.csv`` into ``out``; return the folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fields = [f for f in CheckResult.__dataclass_fields__]
    with (out / "validation.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for r in results:
            writer.writerow(asdict(r))
    md = ["# netsim validation", ""]
    if command:
        md += [f"Command: `{command}`", ""]
    md += ["| status | check | what | source | target | measured [95 % interval] | detail |",
           "|---|---|---|---|---|---|---|"]
    for r in results:
        cells = [r.status, r.name, r.what, r.source, r.target,
                 f"{r.measured:.4g} [{r.low:.4g}, {r.high:.4g}]", r.detail]
        md.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    (out / "validation.md").write_text("\n".join(md) + "\n")
    return out


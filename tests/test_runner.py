"""Runner: seeds, reproducibility, common random numbers, result shapes, intervals."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from conftest import make_scenario

from netsim.metrics import SERIES_COLUMNS, SUMMARY_COLUMNS
from netsim.runner import interval, point_key, run_replicate, run_scenario, seed_sequence

SHORT = dict(calendar__years=1.0)


def same(a: dict, b: dict) -> bool:
    """Equal dicts of floats or arrays, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        np.array_equal(np.asarray(a[k]), np.asarray(b[k]), equal_nan=True) for k in a)


def test_same_seed_gives_identical_series_and_summary():
    sc = make_scenario(**SHORT)
    s1, t1 = run_replicate(sc, 0)
    s2, t2 = run_replicate(sc, 0)
    assert same(s1, s2) and same(t1, t2)


def test_different_seeds_and_replicates_differ():
    sc = make_scenario(**SHORT)
    base, _ = run_replicate(sc, 0)
    other_rep, _ = run_replicate(sc, 1)
    other_seed, _ = run_replicate(make_scenario(seed=7, **SHORT), 0)
    for other in (other_rep, other_seed):
        assert not same(base, other)
        assert base["trials_total"] != other["trials_total"]


def test_run_scenario_matches_single_replicates():
    sc = make_scenario(replicates=3, **SHORT)
    result = run_scenario(sc)
    assert result.summary["replicate"].to_list() == [0, 1, 2]
    for r in range(3):
        summary, series = run_replicate(sc, r)
        row = result.summary.filter(pl.col("replicate") == r).row(0, named=True)
        for key, value in summary.items():
            assert row[key] == pytest.approx(value, nan_ok=True), key
        frame = result.series.filter(pl.col("replicate") == r)
        assert np.allclose(frame["adoption_all"].to_numpy(), series["adoption_all"])


def test_result_shapes_and_columns():
    sc = make_scenario(replicates=2, calendar__years=0.5)
    result = run_scenario(sc)
    assert result.summary.height == 2
    assert set(SUMMARY_COLUMNS) | {"replicate", "point_key"} == set(result.summary.columns)
    assert result.series.height == 2 * (sc.n_weeks + 1)
    assert set(SERIES_COLUMNS) | {"replicate"} == set(result.series.columns)
    assert result.summary["point_key"].unique().to_list() == [point_key(sc)]
    extra = run_scenario(sc, replicate_ids=[5])
    assert extra.summary["replicate"].to_list() == [5] and extra.scenario.replicates == 1
    done = []
    run_scenario(sc, replicates=2, progress=lambda d, n: done.append((d, n)))
    assert done == [(1, 2), (2, 2)]


def test_point_key_depends_on_model_settings_only():
    sc = make_scenario()
    assert point_key(sc) == point_key(make_scenario(seed=1, replicates=3, name="other"))
    assert point_key(sc) != point_key(make_scenario(formality=0.3))
    assert 0 <= point_key(sc) < 2**63


def _first_draws(sc, replicate: int = 0) -> np.ndarray:
    return np.random.default_rng(seed_sequence(sc, replicate)).random(5)


def test_common_random_numbers_share_streams_across_arms():
    arm_a = make_scenario(common_random_numbers=True, leader_participation=0.2)
    arm_b = make_scenario(common_random_numbers=True, leader_participation=1.0)
    assert np.array_equal(_first_draws(arm_a), _first_draws(arm_b))
    assert not np.array_equal(_first_draws(arm_a, 0), _first_draws(arm_a, 1))
    off_a = make_scenario(common_random_numbers=False, leader_participation=0.2)
    off_b = make_scenario(common_random_numbers=False, leader_participation=1.0)
    assert not np.array_equal(_first_draws(off_a), _first_draws(off_b))
    # and the populations built from the streams: identical with CRN, not without
    pop = [run_replicate(make_scenario(calendar__years=0.1, **arm), 0)[0]["n_people"]
           for arm in ({"common_random_numbers": True, "formality": 0.2},
                       {"common_random_numbers": True, "formality": 0.9})]
    assert pop[0] == pop[1]


def test_interval_values():
    mean, lo, hi = interval([1.0, 2.0, 3.0])
    assert (mean, lo, hi) == pytest.approx((2.0, -0.484, 4.484), abs=1e-3)
    mean, lo, hi = interval([1.0, float("nan"), 3.0])
    assert mean == 2.0
    assert math.isnan(interval([1.0])[1]) and math.isnan(interval([])[0])


# ------------------------------------------------------------ bit-identical replicates (issue 14)
# Replicate r of a scenario must not depend on what ran before it in the process (other
# replicates, other scenarios, other sizes) nor on whether the compiled kernels came from the
# on-disk cache, a fresh compilation, or plain Python (NUMBA_DISABLE_JIT=1). The launcher tests
# (tests/test_sweep.py, tests/test_cluster_engines.py) compare whole sweeps across launchers.

BATCH = ("resource_teacher_network", {"calendar.years": 1.0})
TINY = ("resource_teacher_network", {"calendar.weeks_per_year": 10, "calendar.years": 2.0,
                                     "network.n_schools": 6, "turnover.annual_rate": 0.5})

ALONE = """
import json, sys
from netsim import load_scenario
from netsim.runner import run_replicate
name, overrides, replicate = json.loads(sys.argv[1])
summary, series = run_replicate(load_scenario(name, overrides), replicate)
print(json.dumps({"summary": {k: float(v).hex() for k, v in summary.items()},
                  "series": {k: [float(x).hex() for x in v] for k, v in series.items()}}))
"""


def _hex(summary: dict, series: dict) -> dict:
    """A replicate's results as exact (hexadecimal) floats, NaN included."""
    return {"summary": {k: float(v).hex() for k, v in summary.items()},
            "series": {k: [float(x).hex() for x in v] for k, v in series.items()}}


def _alone(case: tuple[str, dict], replicate: int, src: str | None = None, **env: str) -> dict:
    """Replicate ``replicate`` of ``case`` run alone in a fresh process (netsim imported from
    ``src``, default: the netsim under test)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import netsim

    src = src or str(Path(netsim.__file__).resolve().parents[1])
    environ = {**os.environ, **env,
               "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH"))
                                             if p)}
    done = subprocess.run([sys.executable, "-c", ALONE, json.dumps([*case, replicate])],
                          env=environ, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_replicate_is_bit_identical_alone_and_after_other_runs_in_one_process(tmp_path):
    """Replicate 3 alone in a fresh process (kernels from the cache, and compiled afresh from a
    copy of the sources without caches: netsim's kernels keep their cache beside the sources,
    netsim.kernels) equals replicate 3 run in this process after another scenario and after
    replicates 0-2, and run again at the end: every summary value and weekly value."""
    import shutil
    from pathlib import Path

    import netsim
    from netsim import load_scenario
    from netsim.config import configs_dir

    alone = _alone(BATCH, 3)
    package = Path(netsim.__file__).resolve().parent
    copy = tmp_path / "src" / "netsim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "configs").symlink_to(configs_dir())  # where a checkout's presets are
    fresh = _alone(BATCH, 3, src=str(copy.parent))
    assert fresh == alone
    assert any(copy.rglob("*.nbi"))  # it did compile afresh

    sc = load_scenario(*BATCH)
    run_replicate(load_scenario("meeting_groups", {"calendar.years": 0.5}), 1)  # other sizes
    batch = run_scenario(sc, replicate_ids=[0, 1, 2, 3])
    row = batch.summary.filter(pl.col("replicate") == 3).row(0, named=True)
    frame = batch.series.filter(pl.col("replicate") == 3)
    in_batch = _hex({k: row[k] for k in alone["summary"]},
                    {c: frame[c].to_numpy() for c in SERIES_COLUMNS})
    assert in_batch == alone
    assert _hex(*run_replicate(sc, 3)) == alone  # and once more, after all of them
    other = _hex(*run_replicate(sc, 2))
    assert other["summary"] != alone["summary"]  # the comparison can fail


@pytest.mark.slow
def test_compiled_kernels_give_what_their_python_loops_give():
    """With NUMBA_DISABLE_JIT=1 every kernel runs as the plain Python loop it is written as
    (netsim.kernels): the same replicate gives the same results, bit for bit (a tiny scenario
    with turnover, so that the Python loops stay affordable)."""
    from netsim import load_scenario

    compiled = _hex(*run_replicate(load_scenario(*TINY), 1))
    assert _alone(TINY, 1, NUMBA_DISABLE_JIT="1") == compiled

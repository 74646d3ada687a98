"""How fast ``netsim collect`` merges a large sweep (target: 10,000 runs in under 5 s).

Fabricates a sweep folder like ``netsim run -m`` writes it: one real job of the default scenario
(full horizon, ``--replicates`` replicates) is run once, then its files are copied into
``--jobs`` job folders, each with its own overrides and point key in ``provenance.json`` and
``summary.parquet``, plus ``sweep.json`` listing the jobs. Then times :func:`netsim.sweep.collect`
(reading, merging and writing ``collected/*.parquet``).

    python benchmarks/collect_speed.py                      # 500 jobs x 20 replicates
    python benchmarks/collect_speed.py --jobs 10000 --replicates 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import polars as pl

from netsim.config import load_scenario
from netsim.results import write_run
from netsim.runner import run_scenario
from netsim.sweep import SWEEP_FILE, collect


def fabricate(root: Path, jobs: int, replicates: int) -> None:
    """A sweep folder of ``jobs`` jobs built from one real job's files."""
    scenario = load_scenario(overrides={"replicates": replicates})
    t0 = time.perf_counter()
    source = write_run(root / "source", run_scenario(scenario), overrides=[])
    print(f"one real job ({replicates} replicates of {scenario.name}, {scenario.n_weeks} weeks) "
          f"in {time.perf_counter() - t0:.1f} s")
    summary = pl.read_parquet(source / "summary.parquet")
    prov = json.loads((source / "provenance.json").read_text())
    expected = []
    for j in range(jobs):
        overrides = [f"leader_participation={(j % 50) / 50:g}",
                     f"meeting_interval_weeks={2 + j // 50}"]
        expected.append(overrides)
        folder = root / str(j)
        folder.mkdir()
        shutil.copyfile(source / "timeseries.parquet", folder / "timeseries.parquet")
        prov["overrides"] = overrides
        prov["seed"]["point_key"] = 1_000_003 * (j + 1)
        (folder / "provenance.json").write_text(json.dumps(prov, indent=2))
        summary.with_columns(pl.lit(prov["seed"]["point_key"], dtype=pl.UInt64)
                             .alias("point_key")).write_parquet(folder / "summary.parquet")
    shutil.rmtree(source)
    (root / SWEEP_FILE).write_text(json.dumps({"n_jobs": jobs, "jobs": expected}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="time collect this many times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netsim-collect-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        fabricate(root, args.jobs, args.replicates)
        print(f"fabricated {args.jobs} jobs x {args.replicates} replicates in "
              f"{time.perf_counter() - t0:.1f} s")
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            summary, series = collect(root)
            times.append(time.perf_counter() - t0)
        size = sum(f.stat().st_size for f in (root / "collected").iterdir()) / 2**20
        print(f"collect: {summary.height:,} runs ({summary['job'].n_unique()} jobs), "
              f"{series.height:,} weekly rows, {size:.0f} MiB written; "
              f"best {min(times):.2f} s, all: {', '.join(f'{t:.2f}' for t in times)} s "
              f"(target: 10,000 runs in < 5 s)")


if __name__ == "__main__":
    main()

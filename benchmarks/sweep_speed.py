"""Wall time of a 1,000-run sweep of the default scenario (target: <= 2 minutes on 2 cores).

Runs the real command, 50 points x 20 replicates with the joblib launcher on 2 workers:

    netsim run -m leader_participation=0,0.02,...,0.98 replicates=20 \\
        hydra/launcher=joblib hydra.launcher.n_jobs=2 hydra.sweep.dir=<temporary folder>

and prints the wall time and where it went: start-up and checking the sweep before Hydra
launches, the wait until the first job starts working (workers starting and importing netsim
and the model, Hydra composing the job's config), the simulation itself (sum of the jobs' times, from
``progress.jsonl``) and the rest (Hydra's per-job overhead, writing results).

    python benchmarks/sweep_speed.py                       # the benchmark
    python benchmarks/sweep_speed.py --points 4 --replicates 2 --launcher basic   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--launcher", choices=("joblib", "basic"), default="joblib")
    parser.add_argument("--keep", type=Path, default=None, help="sweep folder to keep")
    parser.add_argument("overrides", nargs="*", help="extra key=value overrides")
    args = parser.parse_args()

    values = ",".join(f"{i / args.points:.4g}" for i in range(args.points))
    with tempfile.TemporaryDirectory(prefix="netsim-sweep-") as tmp:
        folder = args.keep or Path(tmp) / "sweep"
        cmd = [sys.executable, "-m", "netsim.cli", "run", "-m",
               f"leader_participation={values}", f"replicates={args.replicates}",
               *args.overrides, f"hydra.sweep.dir={folder}"]
        if args.launcher == "joblib":
            cmd += ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={args.workers}"]
        print(f"{args.points} points x {args.replicates} replicates = "
              f"{args.points * args.replicates} runs, {args.launcher} launcher"
              + (f", {args.workers} workers" if args.launcher == "joblib" else "")
              + f"; load average before: {os.getloadavg()[0]:.1f}")
        start_unix = time.time()
        t0 = time.perf_counter()
        cpu0 = os.times()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        cpu1 = os.times()
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
            sys.exit(f"sweep failed with exit code {proc.returncode}")
        info = json.loads((folder / "sweep.json").read_text())
        records = [json.loads(line) for line in
                   (folder / "progress.jsonl").read_text().splitlines() if line.strip()]
        jobs = sorted(records, key=lambda r: r["t"])
        compute = sum(r["seconds"] for r in records)
        compute_cpu = sum(r.get("cpu_seconds", 0.0) for r in records)
        cpu = (cpu1.children_user + cpu1.children_system
               - cpu0.children_user - cpu0.children_system)
        launch = info["started_unix"] - start_unix
        first = jobs[0]["t"] - info["started_unix"] - jobs[0]["seconds"]
        workers = args.workers if args.launcher == "joblib" else 1
        print(f"wall time: {wall:.1f} s for {len(records)} jobs (target <= 120 s); "
              f"CPU time of all processes: {cpu:.0f} s; "
              f"load average after: {os.getloadavg()[0]:.1f}")
        print(f"  start-up + checking the sweep      {launch:6.1f} s")
        print(f"  until the first job starts working {first:6.1f} s  (workers start and "
              "import netsim and the model; Hydra composes the job's config)")
        print(f"  simulation, sum over jobs          {compute:6.1f} s  = "
              f"{compute / max(1, len(records) * args.replicates):.3f} s per replicate; "
              f"/ {workers} worker(s) = {compute / workers:.1f} s")
        print(f"  CPU time: {cpu:.0f} s in all, {compute_cpu:.0f} s inside the jobs "
              f"({compute_cpu / max(1, len(records) * args.replicates):.3f} s per replicate), "
              f"{cpu - compute_cpu:.0f} s outside them (start-up, imports, Hydra)")
        print(f"  on {workers} idle core(s) this would take about "
              f"{cpu / workers:.0f} s (CPU time / workers)")
        rest = wall - launch - first - compute / workers
        print(f"  the rest (per-job Hydra overhead, writing, waiting)  {rest:6.1f} s = "
              f"{rest * workers / max(1, len(records)):.2f} s per job and worker")


if __name__ == "__main__":
    main()

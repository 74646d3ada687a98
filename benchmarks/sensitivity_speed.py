"""Speed of `netsim sensitivity` (issue 11): Morris over all uncertain parameters, and the
sweep machinery's own cost at 10,000 design points.

Two measurements, each with the real command or the real design runner:

``morris`` (default): the command

    netsim sensitivity --method morris --trajectories 10 --replicates 10 \\
        hydra/launcher=joblib hydra.launcher.n_jobs=2 --out <temporary folder>

over every uncertain parameter of the default scenario (target: under 10 minutes on 2 cores),
and where the time went: the simulation (the jobs' ``sim_seconds``, summed, over the workers)
and the rest.

``overhead``: 10,000 design rows of one replicate each through
:func:`netsim.designs.run_design` with the basic (serial) launcher, on a tiny scenario (one
school of two teachers, two weeks) so the simulation is short and the machinery's cost shows:
start-up, Hydra's jobs, building each row's scenario, writing and reading the results. The
figure is the machinery's seconds per design point, against one default replicate's time
(target: under 5 % of the simulation time at 10,000 points).

    python benchmarks/sensitivity_speed.py morris
    python benchmarks/sensitivity_speed.py overhead
    python benchmarks/sensitivity_speed.py morris --trajectories 2 --replicates 1   # smoke run
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


def _sim_seconds(folder: Path) -> tuple[float, int]:
    total, jobs = 0.0, 0
    for prov in folder.glob("*/runs/*/provenance.json"):
        total += float(json.loads(prov.read_text()).get("sim_seconds") or 0.0)
        jobs += 1
    return total, jobs


def morris(args: argparse.Namespace) -> None:
    from netsim.params import parameters

    n_params = len(parameters(True))
    runs = args.trajectories * (n_params + 1) * args.replicates
    with tempfile.TemporaryDirectory(prefix="netsim-sa-") as tmp:
        out = Path(tmp) / "sa"
        cmd = [sys.executable, "-m", "netsim.cli", "sensitivity", "--method", "morris",
               "--trajectories", str(args.trajectories), "--replicates", str(args.replicates),
               "--out", str(out), "hydra/launcher=joblib",
               f"hydra.launcher.n_jobs={args.workers}", *args.overrides]
        print(f"Morris: {n_params} uncertain parameters x {args.trajectories} trajectories x "
              f"{args.replicates} replicates = {runs} runs, joblib on {args.workers} workers; "
              f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
            sys.exit(f"sensitivity failed with exit code {proc.returncode}")
        sim, jobs = _sim_seconds(out)
        print(f"wall time {wall:.0f} s = {wall / 60:.1f} min (target 10 min); {jobs} jobs")
        print(f"simulation {sim:.0f} s of CPU over {args.workers} workers = "
              f"{sim / args.workers:.0f} s wall at best ({sim / runs:.3f} s per run); the rest "
              f"{wall - sim / args.workers:.0f} s (start-up, Hydra, analysis, figures)")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        for line in proc.stdout.splitlines():
            if line.startswith("- "):
                print(line[:400])


def overhead(args: argparse.Namespace) -> None:
    import numpy as np
    import polars as pl

    from netsim import load_scenario
    from netsim.designs import run_design
    from netsim.runner import run_scenario

    n = args.points
    tiny = ["network.n_schools=1", "network.teachers_per_school=2", "network.n_facilitators=1",
            "practices.local_schools=1",
            "calendar.years=0.05", "replicates=1"]
    rng = np.random.default_rng(0)
    design = pl.DataFrame({"row": np.arange(n), "trial.trial_rate": rng.uniform(0.03, 0.2, n),
                           "trust.growth": rng.uniform(0.05, 0.4, n)})
    # one default replicate, for scale
    sc = load_scenario("resource_teacher_network", {"replicates": 1})
    run_scenario(sc)
    t0 = time.perf_counter()
    for _ in range(3):
        run_scenario(sc)
    default_run = (time.perf_counter() - t0) / 3
    with tempfile.TemporaryDirectory(prefix="netsim-overhead-") as tmp:
        folder = Path(tmp) / "d"
        print(f"{n} design points x 1 replicate of a tiny scenario, basic launcher; load "
              f"average before: {os.getloadavg()[0]:.1f}", flush=True)
        t0 = time.perf_counter()
        res = run_design(folder, design, tiny)
        wall = time.perf_counter() - t0
        provs = list((folder / "runs").glob("*/provenance.json"))
        sim = sum(float(json.loads(p.read_text()).get("sim_seconds") or 0.0) for p in provs)
        jobs = len(provs)
    assert res.outcomes.height == n, "every design point should have run"
    machinery = wall - sim
    print(f"wall {wall:.1f} s: simulation of the tiny runs {sim:.1f} s, machinery "
          f"{machinery:.1f} s ({1000 * machinery / n:.1f} ms per design point; {jobs} jobs)")
    print(f"one default replicate: {default_run:.3f} s; at the default size {n} points would "
          f"simulate for {n * default_run:.0f} s, so the machinery is "
          f"{100 * machinery / (n * default_run):.1f} % of the simulation time (target < 5 %)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("morris", "overhead"), nargs="?", default="morris")
    parser.add_argument("--trajectories", type=int, default=10)
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("overrides", nargs="*", help="extra key=value settings (morris)")
    args = parser.parse_args()
    morris(args) if args.what == "morris" else overhead(args)


if __name__ == "__main__":
    main()

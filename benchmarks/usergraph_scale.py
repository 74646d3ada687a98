"""Loading a large user network and one week of a textbook rule (and of the domain model).

Writes a random edge list (``--nodes`` nodes, ``--ties`` ties, default 1,000,000 and
4,400,000) to a temporary folder, then prints: the time to read and check it
(``netsim.usergraph.load_graph``), to build the model on it, and per week for
``independent_cascade`` with every domain process off; with ``--domain`` also one week of the
domain model (``trust_weighted``, every process on) on the same file. Nothing is asserted:
timings depend on the machine and its load (see benchmarks/README.md).

    python benchmarks/usergraph_scale.py
    python benchmarks/usergraph_scale.py --nodes 200000 --ties 880000 --domain
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from netsim.config import scenario_from_dict
from netsim.model import LearningNetworkModel
from netsim.usergraph import load_graph

OFF = dict.fromkeys(("gathering", "home_transfer", "collegial_talk", "trial", "cocreation",
                     "digital", "dynamics", "turnover"), False)


def write_edges(path: Path, n_nodes: int, n_ties: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n_nodes, n_ties)
    b = rng.integers(0, n_nodes, n_ties)
    with path.open("w") as fh:
        fh.write("source,target\n")
        for start in range(0, n_ties, 500_000):
            chunk = np.char.add(np.char.add(a[start:start + 500_000].astype(str), ","),
                                b[start:start + 500_000].astype(str))
            fh.write("\n".join(chunk.tolist()) + "\n")


def timed(label: str, fn):
    start = time.perf_counter()
    out = fn()
    print(f"  {label:<44} {time.perf_counter() - start:8.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--ties", type=int, default=4_400_000)
    parser.add_argument("--weeks", type=int, default=5)
    parser.add_argument("--domain", action="store_true", help="also one domain-model week")
    args = parser.parse_args()
    print(f"user network of {args.nodes:,} nodes and {args.ties:,} ties "
          f"(load average {os.getloadavg()[0]:.1f})")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edges.csv"
        timed("write the edge list", lambda: write_edges(path, args.nodes, args.ties))
        graph = timed("read and check it (load_graph)", lambda: load_graph(path))
        print(f"  -> {graph.n:,} nodes, {graph.lo.size:,} distinct ties")
        sc = scenario_from_dict({
            "network": {"file": str(path)}, "processes": dict(OFF),
            "practices": {"n_practices": 1, "local_schools": 0},
            "calendar": {"weeks_per_year": args.weeks, "years": 1.0},
            "adoption": {"rule": "independent_cascade", "transmissibility": 0.3}})
        model = timed("build the model (independent_cascade)",
                      lambda: LearningNetworkModel(sc, seed=0))
        start = time.perf_counter()
        model.run()
        per_week = (time.perf_counter() - start) / args.weeks
        print(f"  {'one week of independent_cascade':<44} {per_week:8.3f} s")
        if args.domain:
            dom = scenario_from_dict({"network": {"file": str(path)},
                                      "calendar": {"weeks_per_year": 2, "years": 1.0}})
            model = timed("build the model (trust_weighted, all on)",
                          lambda: LearningNetworkModel(dom, seed=0))
            timed("one week of the domain model", lambda: model.run_for(1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak resident memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()

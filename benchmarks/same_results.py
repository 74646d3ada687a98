"""Does a speed change leave the results bit-identical? Fingerprints of runs, and a comparison.

Runs every design preset plus two edge cases (key-person loss with no leaders at low
formality; high turnover with four school forms and a directive facilitator), two seeds each,
and writes every summary value and every weekly series to a JSON file. Given a second file, it
compares the two value by value and prints the largest differences; it exits 1 if any differs.

    python benchmarks/same_results.py NEW.json [--against OLD.json] [--tolerance 0]

Make OLD.json on the revision before the change (``git stash``, or a worktree of it), NEW.json
after. Counters that are sums over many entries (``talk_knowledge``, ...) may differ in the
last bit when a loop replaces NumPy's pairwise sum (see :mod:`netsim.kernels`); pass
``--tolerance 1e-12`` to accept relative differences that small and nothing more.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import numpy as np

from netsim import load_scenario
from netsim.model import LearningNetworkModel

PRESETS = ["resource_teacher_network", "city_developer_networks", "meeting_groups",
           "partnership_network", "significant_networks", "formal_seeds_informal"]
CASES: list[tuple[str, dict[str, Any]]] = [(p, {}) for p in PRESETS] + [
    ("resource_teacher_network", {"leader_participation": 0.0, "formality": 0.2,
                                  "turnover.key_person_loss_week": 30}),
    ("resource_teacher_network", {"turnover.annual_rate": 0.3, "network.school_forms": 4,
                                  "gathering.facilitator_style": "directive"}),
]


def fingerprint(seeds: int = 2) -> dict[str, Any]:
    """Summary values and weekly series of every case and seed."""
    out: dict[str, Any] = {}
    for name, over in CASES:
        for seed in range(seeds):
            model = LearningNetworkModel(load_scenario(name, over), seed=seed)
            model.run()
            summary = {k: float(v) for k, v in model.summary().items()
                       if isinstance(v, (int, float))}
            series = {k: np.asarray(v, float).tolist() for k, v in model.series().items()}
            out[f"{name} {json.dumps(over, sort_keys=True)} seed={seed}"] = {
                "summary": summary, "series": series}
    return out


def _differences(new: dict[str, Any], old: dict[str, Any]) -> list[tuple[float, str]]:
    found: list[tuple[float, str]] = []
    for case in sorted(set(new) | set(old)):
        if case not in new or case not in old:
            found.append((math.inf, f"{case}: only in {'new' if case in new else 'old'}"))
            continue
        for part in ("summary", "series"):
            a, b = new[case][part], old[case][part]
            for key in sorted(set(a) | set(b)):
                if key not in a or key not in b:
                    found.append((math.inf, f"{case} {part}.{key}: missing on one side"))
                    continue
                x, y = np.atleast_1d(np.asarray(a[key], float)), np.atleast_1d(
                    np.asarray(b[key], float))
                if x.shape != y.shape:
                    found.append((math.inf, f"{case} {part}.{key}: shapes {x.shape} {y.shape}"))
                    continue
                same = (x == y) | (np.isnan(x) & np.isnan(y))
                if same.all():
                    continue
                scale = np.maximum(np.abs(y), 1e-300)
                rel = float(np.nanmax(np.where(same, 0.0, np.abs(x - y) / scale)))
                rel = math.inf if math.isnan(rel) else rel
                week = int(np.flatnonzero(~same)[0])
                found.append((rel, f"{case} {part}.{key}: relative difference {rel:.3g} "
                                   f"(first at index {week}: {x[week]!r} vs {y[week]!r})"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="JSON file to write this revision's fingerprints to")
    parser.add_argument("--against", help="fingerprints of another revision to compare with")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="largest relative difference accepted (default 0: identical)")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args(argv)
    new = fingerprint(args.seeds)
    with open(args.out, "w") as fh:
        json.dump(new, fh)
    print(f"{len(new)} runs fingerprinted into {args.out}")
    if not args.against:
        return 0
    with open(args.against) as fh:
        old = json.load(fh)
    found = _differences(new, old)
    bad = [text for rel, text in found if rel > args.tolerance]
    within = len(found) - len(bad)
    if within:
        print(f"{within} values differ by at most {args.tolerance:g} relative (accepted)")
    for text in bad[:40]:
        print(text)
    if bad:
        print(f"NOT THE SAME: {len(bad)} values differ beyond {args.tolerance:g}")
        return 1
    print("same results" + (" (bit-identical)" if not found else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

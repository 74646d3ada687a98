"""Fuzz every netsim command with bad input and check each ends in one error line.

Each input is run through ``netsim.cli.main`` (the ``netsim`` command, in this process) in a
fresh empty folder. An input passes when the command exits with code 2, prints exactly one
line ``netsim: error: ...`` on stderr, raises nothing, and leaves the folder empty (nothing
written). Anything else is reported: a traceback (an exception escaped), an accepted bad
value (exit 0), more than one line, or files left behind.

Usage::

    python benchmarks/fuzz_bad_inputs.py [--seed N] [--limit K] [--subprocess M]

prints the number of inputs by class and outcome, and every failure. ``--subprocess M`` also
runs M of the inputs as real ``netsim`` processes (slower, checks the console script too).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import traceback
import typing
from pathlib import Path

from netsim.config import Scenario, _hints

SMALL = ["replicates=1", "calendar.years=0.05"]


def leaves(cls: type = Scenario, prefix: str = "") -> list[tuple[str, typing.Any, dict]]:
    """(dotted key, type, metadata) of every setting of the schema."""
    out = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            out += leaves(tp, f"{prefix}{f.name}.")
        else:
            out.append((f"{prefix}{f.name}", tp, dict(f.metadata)))
    return out


def _base_type(tp: typing.Any) -> typing.Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if typing.get_origin(tp) in (typing.Union, type(int | None)) and args else tp


def bad_values(key: str, tp: typing.Any, meta: dict, rng: random.Random) -> list[tuple[str, str]]:
    """(class, override) pairs of bad values for one setting."""
    tp = _base_type(tp)
    lo, hi = meta.get("lo"), meta.get("hi")
    out: list[tuple[str, str]] = []
    origin = typing.get_origin(tp)
    if origin is list:
        (item,) = typing.get_args(tp)
        if dataclasses.is_dataclass(item):
            out += [("type", f"{key}=[1]"), ("type", f"{key}=3"),
                    ("value", f"{key}=[{{created_by:owner}}]"),
                    ("unknown key", f"{key}=[{{colour:red}}]")]
        else:
            out += [("type", f"{key}=3"), ("type", f"{key}=[x]"), ("type", f"{key}=[true]")]
            if item is int:
                out.append(("type", f"{key}=[1.5]"))
            if lo is not None:
                out.append(("range", f"{key}=[{lo - 1}]"))
            if hi is not None:
                out.append(("range", f"{key}=[{hi + 1}]"))
            if key.endswith("seed_nodes"):
                out.append(("range", f"{key}=[-1]"))
        return out
    if tp is bool:
        return [("bool", f"{key}={v}") for v in rng.sample(["2", "0", "1", "-1", "yes", "0.5",
                                                            "'true'", "[]"], 4)]
    if isinstance(tp, type) and issubclass(tp, __import__("enum").Enum):
        return [("enum", f"{key}=nope"), ("enum", f"{key}=3"), ("enum", f"{key}=''")]
    if tp is str:
        if key == "name":
            return [("string", "name=''"), ("string", "name=' '"), ("string", "name=a/b"),
                    ("string", "name=" + "x" * rng.randint(101, 400)), ("string", "name=123"),
                    ("string", "name=true")]
        if key == "network.file":
            return [("file", "network.file=/no/such.csv"), ("file", "network.file=''"),
                    ("file", "network.file=/etc"), ("file", "network.file=/etc/hostname"),
                    ("file", "network.file=3")]
        return [("string", f"{key}=5"), ("string", f"{key}=true")]
    if tp in (int, float):
        vals: list[tuple[str, str]] = []
        if lo is not None:
            vals.append(("range", f"{key}={lo - (1 if tp is int else 0.5)}"))
            if meta.get("lo_open"):
                vals.append(("range", f"{key}={lo}"))
        if hi is not None:
            vals.append(("range", f"{key}={hi + (1 if tp is int else 0.5)}"))
            if meta.get("hi_open"):
                vals.append(("range", f"{key}={hi}"))
        vals += [("non-finite", f"{key}={rng.choice(['nan', 'inf', '-inf'])}"),
                 ("type", f"{key}='{rng.random():.2f}'"), ("type", f"{key}=true"),
                 ("type", f"{key}=abc"), ("type", f"{key}=[1]")]
        if tp is int:
            vals += [("type", f"{key}=2.5"), ("type", f"{key}=1e1")]
        return vals
    return []


def inputs(rng: random.Random, workdir: Path) -> list[tuple[str, list[str]]]:
    """(class, argv) of every bad input."""
    cases: list[tuple[str, list[str]]] = []
    for key, tp, meta in leaves():
        for cls, ov in bad_values(key, tp, meta, rng):
            small = [s for s in SMALL if not s.startswith(key.split(".")[0] + ".")
                     and s.split("=")[0] != key]
            cases.append((cls, ["run", ov, *small]))
    # the same bad values inside sweeps, at a random position of a long value list
    for key, tp, meta in rng.sample([x for x in leaves() if _base_type(x[1]) in (int, float)
                                     and x[2].get("lo") is not None
                                     and x[2].get("hi") is not None], 25):
        lo, hi = meta["lo"], meta["hi"]
        n = rng.randint(2, 600)
        good = [str(lo + (hi - lo) * (i + 1) / (n + 2)) if _base_type(tp) is float
                else str(min(hi, lo + i % max(1, hi - lo + 1))) for i in range(n)]
        good = [g for g in good if not (meta.get("lo_open") and float(g) == lo)]
        if _base_type(tp) is int:
            good = [str(int(float(g))) for g in good]
        k = rng.randint(0, len(good))
        bad = str(hi + 1) if _base_type(tp) is int else str(hi + 0.25)
        small = [s for s in SMALL if s.split("=")[0] != key]
        cases.append(("sweep value", ["run", "-m", f"{key}=" + ",".join(
            [*good[:k], bad, *good[k:]]), *small]))
    # interpolations that resolve to a bad value, or do not resolve
    for key, tp, meta in rng.sample(leaves(), 40):
        base = _base_type(tp)
        if base is bool:
            ov = f"{key}=${{oc.decode:'{rng.choice(['2', '0.5', 'yes'])}'}}"
        elif base in (int, float):
            ov = rng.choice([f"{key}=${{oc.env:HOME}}", f"{key}=${{oc.decode:'abc'}}",
                             f"{key}=${{nope.{rng.randint(0, 99)}}}"])
        else:
            ov = f"{key}=${{oc.env:NETSIM_FUZZ_UNSET_{rng.randint(0, 999)}}}"
        small = [s for s in SMALL if s.split("=")[0] != key]
        cases.append(("interpolation", ["run", ov, *small]))
    hydra_syntax = [
        "trust.initial=${nope}", "trust.initial=${oc.env:HOME}", "trust.initial=${oc.decode:abc}",
        "trust.initial=${oc.env:NO_SUCH_VAR_X}", "formality=${trust}", "trust.initial=${",
        "scenario=null", "scenario=0.5", "scenario@x=1", "scenario=", "scenario=nope",
        "scenario=[a,b]", "+experiment=nope", "experiment=trust", "~network", "~trust",
        "~trust.initial", "~scenario", "~name", "+trust.initial=0.3", "+new_key=1",
        "trust.initial==0.3", "=0.5", "trust.initial", "'trust.initial=0.3", "trust.initial='0.3",
        "trust..initial=0.3", ".trust=1", "trust.initial.x=1", "trust=0.5", "network=3",
        "network={n_schools:8,oops:1}", "hydra.launcher.ray.init.num_cpus=2",
        "hydra.run.dir=/proc/x", "hydra.run.dir=/etc/hostname/x", "hydra.job.chdir=maybe",
        "hydra/launcher=nope", "meeting_interval_weeks=3,6", "trust.initial=range(0,1,0.1)",
        "formality=choice()", "formality=interval(0,1)", "formality=glob(*)",
        "network.n_schools=20001", "network.collegial_degree=5",
        "network.group_size_min=30", "practices.local_schools=100",
        "calendar.gathering_weeks=[10,5]", "calendar.gathering_weeks=[60]",
        "calendar.gathering_hours_list=[3]", "network.n_areas=100",
        "calendar.area_meeting_interval_weeks=4", "network.gatherings_by_area=true",
        "network.design=custom_graph", "network.design=city_developer_networks",
        "network.design=significant_networks", "network.cross_school_informal_ties=51",
        "adoption.seed_nodes=[1000000000]", "adoption.seed_nodes=[1,x]",
        "digital.channels=[{name:'',created_by:members}]",
    ]
    for ov in hydra_syntax:
        small = [s for s in SMALL if s.split("=")[0] != ov.split("=")[0].lstrip("+~")]
        cases.append(("hydra syntax / relations", ["run", ov, *small]))
    sweeps = ["trust.initial=glob(*)", "replicates=2,1e1,3", "network.leaders_invited=true,2",
              "scenario=meeting_groups,nope", "trust.initial=range(0,2,0.5)",
              "trust.initial=choice(0.1,${nope})", "~network", "seed=range(0,3),-1",
              "formality=0.1,'0.5'", "name=a,''", "hydra.sweep.dir=/proc/sw",
              "adoption.rule=count_threshold,sir", "meeting_interval_weeks=0,6",
              "formality=0.1,0.2 hydra/launcher=joblib hydra.launcher.n_jobs=0",
              "formality=0.1,0.2 hydra/launcher=joblib hydra.launcher.n_jobs=abc",
              "formality=0.1,0.2 hydra/launcher=nope",
              "formality=0.1,0.2 hydra.sweeper.params.formality=x"]
    for ov in sweeps:
        small = [s for s in SMALL if s.split("=")[0] != ov.split("=")[0]]
        cases.append(("sweep syntax", ["run", "-m", *ov.split(" "), *small]))
    combos = [
        ["scenario=meeting_groups", "network.n_schools=1", "practices.local_schools=1"],
        ["scenario=meeting_groups", "meeting_interval_weeks=3"],
        ["adoption.rule=count_threshold", "adoption.seed_nodes=[1000000000]"],
        ["adoption.rule=bass", "adoption.seed_nodes=[100000]"],
        ["network.n_schools=20000", "network.teachers_per_school=500"],
        ["network.n_schools=5000", "network.teachers_per_school=500",
         "network.collegial_degree=100"],
    ]
    for extra in combos:
        cases.append(("combinations", ["run", *extra, *SMALL]))
    flags = [["run", "--cfg"], ["run", "--cfg", "nope"], ["run", "--config-dir"],
             ["run", "--config-dir", "/no/such/dir"], ["run", "--frobnicate"],
             ["run", "-cn", "other"], ["run", "--config-path", "x"], ["run", "--info", "nope"],
             ["run", "--experimental-rerun", "x"]]
    cases += [("flags", f) for f in flags]
    (workdir / "file").write_text("x")
    damaged = workdir / "damaged"
    (damaged / "0").mkdir(parents=True)
    (damaged / "0" / "summary.parquet").write_text("not parquet")
    (damaged / "0" / "timeseries.parquet").write_text("not parquet")
    (damaged / "0" / "provenance.json").write_text('{"overrides": []}')
    (damaged / "sweep.json").write_text('{"jobs": [[]], "n_jobs": 1}')
    other = [
        ["status"], ["status", "/no/such"], ["status", "/etc"], ["status", "a", "b"],
        ["status", str(workdir / "file")], ["status", "-x"],
        ["collect"], ["collect", "/no/such"], ["collect", "/etc"], ["collect", str(damaged)],
        ["collect", str(workdir / "file")],
        ["compare"], ["compare", "/no/such", "--baseline", "x=1"], ["compare", "/etc"],
        ["compare", str(damaged), "--baseline", "x=1"], ["compare", "--nope"],
        ["validate", "--only", "nope"], ["validate", "--seed", "-1"], ["validate", "--seed", "x"],
        ["validate", "--nope"], ["validate", "--study", "nope", "/no/such"],
        ["validate", "--study", "x"],
        ["explore", "--port", "70000"], ["explore", "--port", "x"], ["explore", "--nope"],
        ["presets", "extra"], ["frobnicate"], ["runn"], [""],
    ]
    cases += [("other commands", o) for o in other]
    return cases


def run_one(argv: list[str]) -> tuple[str, str]:
    """(outcome, detail) of one input run in a fresh empty folder."""
    from netsim.cli import main

    here = os.getcwd()
    folder = tempfile.mkdtemp(prefix="netsim-fuzz-")
    os.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    code: object = None
    escaped = None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = ("SystemExit", exc.code)
            except BaseException:  # noqa: BLE001 - what the fuzz looks for
                escaped = traceback.format_exc()
    finally:
        os.chdir(here)
        left = sorted(os.listdir(folder))
        shutil.rmtree(folder, ignore_errors=True)
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    if escaped:
        return "traceback", escaped.strip().splitlines()[-1]
    if "Traceback" in err.getvalue() or "Traceback" in out.getvalue():
        return "traceback", err.getvalue()[-300:]
    if code == 0:
        return "accepted", out.getvalue()[-200:]
    if code != 2:
        return "wrong exit code", f"{code}: {err.getvalue()[-300:]}"
    errors = [ln for ln in lines if ln.startswith("netsim: error: ")]
    if len(errors) != 1 or len([ln for ln in lines if not ln.startswith("[20")]) != 1:
        return "not one line", err.getvalue()[-400:]
    if left:
        return "wrote files", ", ".join(left)
    return "ok", errors[0]


def run_process(argv: list[str]) -> tuple[str, str]:
    folder = tempfile.mkdtemp(prefix="netsim-fuzz-")
    try:
        proc = subprocess.run([sys.executable, "-m", "netsim.cli", *argv], cwd=folder,
                              capture_output=True, text=True, timeout=300, check=False,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        left = os.listdir(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    if "Traceback" in proc.stderr:
        return "traceback", proc.stderr[-300:]
    if proc.returncode == 0:
        return "accepted", proc.stdout[-200:]
    if proc.returncode != 2 or len(lines) != 1 or not lines[0].startswith("netsim: error: "):
        return "not one line", f"{proc.returncode}: {proc.stderr[-300:]}"
    if left:
        return "wrote files", ", ".join(left)
    return "ok", lines[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--limit", type=int, default=0, help="run only the first K inputs")
    parser.add_argument("--subprocess", type=int, default=0, metavar="M",
                        help="also run M random inputs as real processes")
    parser.add_argument("--show-ok", action="store_true", help="print every error line")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    workdir = Path(tempfile.mkdtemp(prefix="netsim-fuzz-files-"))
    cases = inputs(rng, workdir)
    if opts.limit:
        cases = cases[:opts.limit]
    table: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    failures = []
    for cls, argv in cases:
        outcome, detail = run_one(argv)
        table[cls][outcome] += 1
        if outcome != "ok":
            failures.append((cls, argv, outcome, detail))
        elif opts.show_ok:
            print(f"ok  {' '.join(argv)[:120]}\n    {detail[:200]}")
    for argv in rng.sample([a for _, a in cases], min(opts.subprocess, len(cases))):
        outcome, detail = run_process(argv)
        table["(as processes)"][outcome] += 1
        if outcome != "ok":
            failures.append(("(as processes)", argv, outcome, detail))
    shutil.rmtree(workdir, ignore_errors=True)
    total = sum(sum(c.values()) for c in table.values())
    print(f"{total} bad inputs")
    for cls, counts in sorted(table.items()):
        print(f"  {cls:28s} {sum(counts.values()):4d}  " +
              ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for cls, argv, outcome, detail in failures:
        print(f"\n{outcome.upper()} [{cls}] netsim {' '.join(argv)[:300]}\n  {detail[:500]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

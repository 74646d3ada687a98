"""The ``netsim`` command.

``netsim run [overrides]`` runs a scenario (Hydra syntax: ``key=value``, ``scenario=<preset>``,
``-m`` for a sweep); the other subcommands work on results. Invalid input ends with one line
naming the key, the value and what is allowed, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import logging
import os
import shlex
import shutil
import sys
import tempfile
import time
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["main"]

log = logging.getLogger("netsim")

USAGE = """usage: netsim <command> [arguments]

commands:
  run [-m] [key=value ...]   run a scenario (default: resource_teacher_network) with replicates;
                             -m runs a sweep (every combination; one job per combination);
                             ensemble=FILE runs each replicate on a member of a calibrated
                             ensemble, drawn by weight (the same member for every arm)
  status <sweep_dir>         how many jobs of a sweep are done, failed, running, missing
  collect <sweep_dir>        merge a sweep's results into <sweep_dir>/collected/*.parquet
  presets                    list the scenario presets
  params [--uncertain] [--markdown] [KEY ...]
                             every parameter: default, bounds, plausible range, source, presets
  validate [--full] [--only NAME[,NAME]] [--out DIR]
                             check the model against textbook results and field-report facts
  validate --study NAME SWEEP_DIR [--out DIR]
                             summary table and figure of a study in experiments/
  sensitivity [--method morris|sobol|both] [--outcomes a,b] [--trajectories N] [--sobol-n N]
              [--replicates N] [--range key=lo:hi ...] [--out DIR] [key=value ...]
                             Morris screening of every uncertain parameter, then Sobol indices
                             of the most influential, through the sweep machinery; report
  calibrate [--targets FILE] [--particles N] [--generations N] [--params a,b] [--out DIR]
            [key=value ...]
                             ABC (rejection, then SMC) against the stylised facts and first-year
                             ranges; writes ensemble.parquet, posterior plots and a report
  robust (--ensemble FILE | --worlds N) --arm k=v [--arm k=v ...] [--baseline k=v]
         [--outcome NAME] [--out DIR] [key=value ...]
                             every arm on every plausible world: effect distribution,
                             P(beats baseline), regret, and where the ranking flips (PRIM)
  compare <sweep_dir> --baseline <arm> [--outcomes a,b] [--out DIR]
          [--wage-rate X --currency NOK]
                             compare the arms of a collected sweep with a baseline arm
  explore [--port N]         open the interactive explorer as a local web app (127.0.0.1)
  help                       show this message

Examples:
  netsim run
  netsim run scenario=meeting_groups leader_participation=1.0 replicates=10
  netsim run -m meeting_interval_weeks=3,6,12
  netsim run -m +experiment=leader_participation hydra/launcher=joblib hydra.launcher.n_jobs=2
  netsim status multirun/leader_participation
  netsim collect multirun/leader_participation
  netsim compare multirun/2026-11-23/10-00-00 --baseline meeting_interval_weeks=6
  netsim run -m meeting_interval_weeks=3,6 ensemble=outputs/cal/ensemble.parquet
"""


def _print_progress(line: str) -> None:
    """Print a progress line of an analysis (the callback ``run_design`` and the analyses take;
    module-level, so launchers that run jobs in other processes can take it along)."""
    print(line, flush=True)


def _fail(message: str, code: int = 2) -> int:
    text = " ".join(str(message).split())  # always one line
    print(f"netsim: error: {text}", file=sys.stderr)
    return code


class _UsageError(Exception):
    """A command's arguments are wrong (argparse's message, as one line)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one ``netsim: error:`` line (exit code 2)."""

    def error(self, message: str) -> typing.NoReturn:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _os_message(exc: OSError) -> str:
    """One line for an operating-system error on a file: which file, what went wrong."""
    where = f" {exc.filename!s}" if exc.filename else ""
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        why = "no space left on device (the disk is full)"
    elif exc.errno == errno.EROFS:
        why = "read-only file system"
    return (f"cannot use{where}: {why}; allowed: a path you can read and write, on a disk with "
            "room")


# Hydra's own command-line flags: those that take a value, and those that do not
_HYDRA_VALUE_FLAGS = {"-c": "--cfg", "--cfg": "--cfg", "-p": "--package",
                      "--package": "--package", "-cd": "--config-dir",
                      "--config-dir": "--config-dir"}
_HYDRA_BARE_FLAGS = {"-m": "--multirun", "--multirun": "--multirun", "-r": "--run",
                     "--run": "--run", "--resolve": "--resolve", "-h": "--help",
                     "--help": "--help", "--hydra-help": "--hydra-help",
                     "--version": "--version", "-sc": "--shell-completion",
                     "--shell-completion": "--shell-completion"}
_HYDRA_INFO = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")
_NOT_SUPPORTED = {"-cp": "--config-path", "--config-path": "--config-path",
                  "-cn": "--config-name", "--config-name": "--config-name",
                  "--experimental-rerun": "--experimental-rerun"}


@dataclasses.dataclass
class _RunArgs:
    """``netsim run`` arguments: Hydra's flags (passed on as given) and the overrides."""

    flags: dict[str, str | None]
    overrides: list[str]

    @property
    def multirun(self) -> bool:
        return "--multirun" in self.flags

    @property
    def runs(self) -> bool:
        """Whether Hydra will run the task (not only print config, help or information)."""
        return not set(self.flags) & {"--cfg", "--info", "--help", "--hydra-help", "--version",
                                      "--shell-completion"}


def _split_run_args(args: Sequence[str]) -> _RunArgs:
    """Separate Hydra's flags (with their values: ``--cfg job``, ``--config-dir DIR``) from
    the overrides."""
    flags: dict[str, str | None] = {}
    overrides: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg == "-":
            overrides.append(arg)
            continue
        name, eq, inline = arg.partition("=")
        if name in _NOT_SUPPORTED:
            raise _UsageError(f"netsim run: {_NOT_SUPPORTED[name]} is not supported (netsim uses "
                              "its own primary config); allowed: --config-dir DIR to add your "
                              "presets, then scenario=NAME")
        if name in _HYDRA_BARE_FLAGS and not eq:
            flags[_HYDRA_BARE_FLAGS[name]] = None
        elif name in _HYDRA_VALUE_FLAGS:
            if eq:
                value = inline
            elif i < len(args):
                value, i = args[i], i + 1
            else:
                raise _UsageError(f"netsim run: {name} needs a value")
            flag = _HYDRA_VALUE_FLAGS[name]
            if flag == "--cfg" and value not in ("job", "hydra", "all"):
                raise _UsageError(f"netsim run: --cfg = {value!r} is not allowed; allowed: job, "
                                  "hydra, all")
            flags[flag] = value
        elif name in ("-i", "--info"):
            value = inline if eq else None
            if not eq and i < len(args) and args[i] in _HYDRA_INFO:
                value, i = args[i], i + 1
            if value is not None and value not in _HYDRA_INFO:
                raise _UsageError(f"netsim run: --info = {value!r} is not allowed; allowed: "
                                  + ", ".join(_HYDRA_INFO))
            flags["--info"] = value
        else:
            raise _UsageError(f"netsim run: unknown option {arg!r}; allowed: -m, --cfg "
                              "job|hydra|all, --resolve, --package PKG, --config-dir DIR, "
                              "--info [WHAT], --hydra-help, key=value overrides")
    return _RunArgs(flags, overrides)


def _hydra_argv(run: _RunArgs) -> list[str]:
    argv: list[str] = []
    for flag, value in run.flags.items():
        argv += [flag] if value is None else [flag, value]
    return argv + run.overrides


def _print_table(scenario_name: str, table, replicates: int, seconds: float) -> None:
    from netsim.report import format_table

    rows = format_table(table)
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"\n{scenario_name}: {replicates} replicates in {seconds:.1f} s "
          "(mean and 95 % interval over replicates)\n")
    print(f"  {'outcome':<{w0}}  {'mean':>{w1}}  95 % interval")
    for label, mean, ci in rows:
        print(f"  {label:<{w0}}  {mean:>{w1}}  {ci}")


@dataclasses.dataclass
class _SingleRun:
    """What the single-run task hands back to ``netsim run`` (Hydra's task returns nothing)."""

    failure: str | None = None


_single = _SingleRun()


def _fresh_run_dir(out: Path) -> bool:
    """Whether ``out`` holds only what Hydra wrote for this run (``.hydra``, its log)."""
    try:
        names = os.listdir(out)
    except OSError:
        return False
    return all(n == ".hydra" or n.endswith(".log") for n in names)


def _task(cfg) -> None:  # cfg: the job's Hydra DictConfig
    """The Hydra job: run the scenario's replicates and write the results.

    A single run writes every file into a temporary folder inside its run folder and moves
    them into place at the end, ``summary.parquet`` last (its presence marks a finished run).
    A run that fails on the user's input or on the disk (a ConfigError, a full or read-only
    disk, too little memory) leaves nothing behind: the temporary folder goes, and so does the
    run folder when Hydra made it for this run; ``netsim run`` then prints one line.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    if hc.mode == RunMode.MULTIRUN:  # one job of a sweep: no figure or report
        from netsim.sweep import run_job

        print(run_job(cfg).line(), flush=True)
        return
    from netsim.app import scenario_from_cfg
    from netsim.config import ConfigError
    from netsim.plots import adoption_figure
    from netsim.report import markdown_report, outcome_table
    from netsim.results import SUMMARY_FILE, write_run
    from netsim.runner import run_scenario

    out = Path(hc.runtime.output_dir)
    fresh = _fresh_run_dir(out)
    tmp: Path | None = None

    def discard() -> None:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if fresh:
            shutil.rmtree(out, ignore_errors=True)
            here, parent = Path.cwd().resolve(), out.resolve().parent
            while parent != here and here in parent.parents:  # outputs/DATE left empty
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    try:
        scenario = scenario_from_cfg(cfg)
        overrides = list(hc.overrides.task)
        command = "netsim run " + " ".join(shlex.quote(o) for o in overrides)
        start = time.perf_counter()
        worlds: dict[str, typing.Any] = {}  # the ensemble record, when run on one
        if cfg.get("ensemble"):
            from netsim.ensemble import load_ensemble, run_on_ensemble

            result, worlds = run_on_ensemble(scenario, load_ensemble(cfg.ensemble), overrides)
        else:
            result = run_scenario(scenario)
        seconds = time.perf_counter() - start
        tmp = Path(tempfile.mkdtemp(prefix=".netsim-partial-", dir=out))
        write_run(tmp, result, overrides=overrides, command=command,
                  **({"ensemble": worlds} if worlds else {}))
        title = scenario.name
        if result.cascades is not None:  # a textbook rule: generic diffusion outcomes
            from netsim.diffusion_outcomes import TEXTBOOK_OUTCOMES, cascade_figure

            title = (f"{scenario.adoption.rule.value} on "
                     f"{scenario.network.file or scenario.network.design.value}")
            table = outcome_table(result.summary, TEXTBOOK_OUTCOMES)
            figure = cascade_figure(result.cascades, tmp / "cascades.png", f"{title}: cascades")
        else:
            from netsim.report import settings_text

            table = outcome_table(result.summary)
            figure = adoption_figure(result.series, tmp / "adoption.png",
                                     f"{scenario.name}: adoption over time",
                                     scenario.calendar.weeks_per_year, scenario=scenario,
                                     subtitle=("the design's own settings" if not overrides else
                                               f"settings changed: {settings_text(overrides)}"))
        report = markdown_report(scenario, table, figure.name, tmp, command, overrides)
        if worlds:
            from netsim.ensemble import describe

            with open(report, "a", encoding="utf-8") as fh:
                fh.write(f"\n## Plausible worlds\n\n{describe(worlds)} The member of each "
                         "replicate is the column `ensemble_member` of summary.parquet.\n")
        for name in sorted(os.listdir(tmp), key=lambda n: n == SUMMARY_FILE):  # summary last
            os.replace(tmp / name, out / name)
        tmp.rmdir()
        tmp = None
    except ConfigError as exc:
        discard()
        _single.failure = str(exc)
        return
    except OSError as exc:
        partial = str(tmp) if tmp is not None else None
        discard()
        message = _os_message(exc)
        _single.failure = message.replace(partial, str(out)) if partial else message
        return
    except MemoryError as exc:
        discard()
        _single.failure = (f"the run ran out of memory ({exc or 'MemoryError'}); allowed: a "
                           "smaller network or fewer replicates")
        return
    except BaseException:
        discard()
        raise
    _print_table(title, table, scenario.replicates, seconds)
    if worlds:
        from netsim.ensemble import describe

        print("\n" + describe(worlds))
    extra = "cascades.parquet, " if result.cascades is not None else ""
    print(f"\nwrote {out}/: summary.parquet, timeseries.parquet, {extra}provenance.json, "
          f"{figure.name}, {report.name}")


def _run(args: list[str]) -> int:
    from netsim.app import check_overrides, register_configs
    from netsim.config import configs_dir

    run = _split_run_args(args)
    if not set(run.flags) & {"--help", "--hydra-help", "--version", "--shell-completion"}:
        cfg_dirs = [run.flags["--config-dir"]] if run.flags.get("--config-dir") else []
        checked = check_overrides(run.overrides, multirun=run.multirun, config_dirs=cfg_dirs)
        if not run.multirun and not any(o.startswith("hydra.run.dir=") for o in run.overrides):
            # the output folder names the changed settings: <time>_<scenario>_<key=value>...
            from netsim.report import folder_tag

            tag = folder_tag(checked[0].name, run.overrides)
            run.overrides.append(
                f"hydra.run.dir='outputs/${{now:%Y-%m-%d}}/${{now:%H-%M-%S}}_{tag}'")
    import hydra

    register_configs()
    main = hydra.main(config_path=str(configs_dir()), config_name="config",
                      version_base="1.3")(_task)
    sys.argv = ["netsim run", *_hydra_argv(run)]
    if not run.multirun or not run.runs:
        _single.failure = None
        try:
            main()
        except KeyboardInterrupt:
            print("\nnetsim: run interrupted; no results were written.", file=sys.stderr)
            return 130
        return _fail(_single.failure) if _single.failure else 0
    from netsim import sweep

    try:
        main()
    except KeyboardInterrupt:
        where = sweep.last_sweep_dir()
        print("\nnetsim: sweep interrupted; finished jobs are kept.", file=sys.stderr)
        if where is not None:
            print(f"resume with: {_resume_command(args, where)}", file=sys.stderr)
        return 130
    where = sweep.last_sweep_dir()
    if where is None:
        return 0
    text, failed = sweep.session_report(where)
    print("\n" + text)
    if failed:  # the same command reruns the failed jobs and skips the finished ones
        print(f"resume with: {_resume_command(args, where)}")
    print(f"next: netsim collect {where}    (netsim status {where})")
    return 1 if failed else 0


def _resume_command(args: list[str], sweep_dir: Path) -> str:
    """The command that resumes a sweep: the same arguments, into the same folder."""
    kept = [a for a in args if not a.startswith("hydra.sweep.dir=")]
    return "netsim run " + " ".join(shlex.quote(a) for a in
                                    [*kept, f"hydra.sweep.dir={sweep_dir}"])


def _sweep_dir_arg(args: list[str]) -> Path | None:
    if len(args) != 1 or args[0].startswith("-"):
        return None
    return Path(args[0])


def _status(args: list[str]) -> int:
    from netsim.sweep import format_status, status

    where = _sweep_dir_arg(args)
    if where is None:
        return _fail("usage: netsim status <sweep_dir>")
    try:
        st = status(where)
    except FileNotFoundError as exc:
        return _fail(str(exc))
    print(format_status(st))
    return 0


def _collect(args: list[str]) -> int:
    from netsim.sweep import COLLECTED_DIR, CollectError, ModelVersionError, collect, status

    where = _sweep_dir_arg(args)
    if where is None:
        return _fail("usage: netsim collect <sweep_dir>")
    start = time.perf_counter()
    try:
        summary, series = collect(where)
    except (FileNotFoundError, CollectError, ModelVersionError) as exc:
        return _fail(str(exc))
    seconds = time.perf_counter() - start
    jobs = summary["job"].n_unique()
    extra = ", cascades.parquet" if (where / COLLECTED_DIR / "cascades.parquet").is_file() else ""
    print(f"collected {jobs} jobs, {summary.height} runs ({series.height} weekly rows) in "
          f"{seconds:.1f} s -> {where / COLLECTED_DIR}/summary.parquet, timeseries.parquet"
          f"{extra}")
    st = status(where)
    missing = st.count("failed") + st.count("missing") + st.count("interrupted") \
        + st.count("running") + st.count("stale")
    if missing:
        print(f"note: {missing} job(s) of the sweep have no result yet "
              f"({st.count('failed')} failed); see netsim status {where}")
    return 0


def _presets(args: list[str]) -> int:
    import yaml

    from netsim.config import configs_dir, list_presets

    if args:
        return _fail(f"netsim presets takes no arguments, got {' '.join(args)!r}; allowed: "
                     "netsim presets")
    for name in list_presets():
        data = yaml.safe_load((configs_dir() / "scenario" / f"{name}.yaml").read_text()) or {}
        desc = " ".join(str(data.get("description", "")).split())
        print(f"{name:28s} {desc}")
    return 0


def _params(args: list[str]) -> int:
    """List the schema's parameters (netsim.params)."""
    import argparse

    parser = _Parser(
        prog="netsim params", description="Every parameter of the model: key, default, hard "
        "bounds, plausible range, whether it is uncertain, its source, and which design presets "
        "change it.")
    parser.add_argument("keys", nargs="*", help="only these keys (default: all)")
    parser.add_argument("--uncertain", action="store_true", help="only the uncertain ones "
                        "(those with a plausible range: what sensitivity and calibrate sample)")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    try:
        opts = parser.parse_args(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    from netsim.config import ConfigError
    from netsim.params import format_parameters, parameter, parameters

    try:
        chosen = [parameter(k) for k in opts.keys] if opts.keys else parameters(opts.uncertain)
    except ConfigError as exc:
        return _fail(str(exc))
    if opts.uncertain:
        chosen = [p for p in chosen if p.uncertain]
    print(format_parameters(chosen, markdown=opts.markdown))
    n_unc = sum(p.uncertain for p in chosen)
    print(f"\n{len(chosen)} parameters, {n_unc} uncertain (a plausible range in the schema)")
    return 0


def _validate(args: list[str]) -> int:
    parser = _Parser(
        prog="netsim validate", description="Run the validation suite (textbook reductions and "
        "stylised facts) or make a study's table and figure from its sweep folder.")
    parser.add_argument("--full", action="store_true", help="every check, more replicates")
    parser.add_argument("--only", default="", help="comma-separated check names or groups "
                        "(textbook, fact, joint, plausibility)")
    parser.add_argument("--out", default=None, help="folder for validation.md and .csv")
    parser.add_argument("--seed", type=int, default=None, help="base seed of the suite")
    parser.add_argument("--study", nargs=2, metavar=("NAME", "SWEEP_DIR"), default=None,
                        help="make the table and figure of experiments/NAME from SWEEP_DIR")
    try:
        opts = parser.parse_args(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    from netsim.validation import (
        DEFAULT_SEED,
        format_results,
        run_checks,
        select_checks,
        write_results,
    )

    if opts.out:  # before minutes of checks, not after
        from netsim.results import check_writable_folder

        check_writable_folder("--out", opts.out)
    if opts.study:
        from netsim.validation.studies import StudyError, make_study

        try:
            written = make_study(opts.study[0], Path(opts.study[1]), opts.out)
        except StudyError as exc:
            return _fail(str(exc))
        for path in written:
            print(f"wrote {path}")
        return 0
    if opts.seed is not None and not 0 <= opts.seed < 2**63:
        return _fail(f"--seed = {opts.seed} is out of range; allowed: 0 <= seed < 2**63")
    only = [w for w in opts.only.split(",") if w]
    try:
        select_checks(opts.full, only or None)
    except ValueError as exc:
        return _fail(str(exc))
    start = time.perf_counter()
    results = run_checks(full=opts.full, only=only or None,
                         seed=DEFAULT_SEED if opts.seed is None else opts.seed,
                         progress=lambda r: print(format_results([r]), flush=True))
    failed = [r.name for r in results if r.status == "FAIL"]
    counts = {s: sum(r.status == s for r in results) for s in ("PASS", "FAIL", "NOT REPRODUCED")}
    print(f"\n{len(results)} checks in {time.perf_counter() - start:.0f} s: "
          + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if opts.out:
        command = "netsim validate " + " ".join(shlex.quote(a) for a in args)
        print(f"wrote {write_results(results, opts.out, command)}/validation.md, validation.csv")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def _compare(args: list[str]) -> int:
    parser = _Parser(
        prog="netsim compare",
        description="Compare the arms of a collected sweep with a baseline arm: means, paired "
                    "differences with 95 % intervals, cost, figures and a report.")
    parser.add_argument("sweep_dir", help="the sweep folder (netsim run -m ...)")
    parser.add_argument("--baseline", help="the baseline arm: its label, or key=value such as "
                                           "meeting_interval_weeks=6")
    parser.add_argument("--outcomes", help="comma-separated outcome columns, or 'all' "
                                           "(default: adoption, schools changed, weeks to 50 %%, "
                                           "trust, network alive, cost)")
    parser.add_argument("--out", help="folder for the report (default <sweep_dir>/comparison)")
    parser.add_argument("--wage-rate", type=float, default=None,
                        help="cost of one person-hour (e.g. 450): adds money costs")
    parser.add_argument("--currency", default="", help="unit of --wage-rate (e.g. NOK)")
    try:
        opts = parser.parse_args(args)
    except SystemExit as exc:
        return int(exc.code or 0) and 2
    from netsim.analysis import CompareError
    from netsim.compare_report import HEADER, format_rows, run_compare

    outcomes = [o.strip() for o in opts.outcomes.split(",") if o.strip()] \
        if opts.outcomes else None
    command = "netsim compare " + " ".join(shlex.quote(a) for a in args)
    out = Path(opts.out) if opts.out else Path(opts.sweep_dir) / "comparison"
    new_out = not os.path.lexists(out)
    if opts.out:
        from netsim.results import check_writable_folder

        check_writable_folder("--out", opts.out)
    try:
        comparison, paths = run_compare(opts.sweep_dir, opts.baseline, outcomes, opts.out,
                                        command, opts.wage_rate, opts.currency)
    except CompareError as exc:
        return _fail(str(exc))
    except OSError as exc:  # a report folder this command made is not left half-written
        if new_out:
            shutil.rmtree(out, ignore_errors=True)
        return _fail(_os_message(exc))
    from netsim.analysis import condition_label

    arms_by = ", ".join(condition_label(k) for k in comparison.conditions) or "arm"
    base = comparison.arms.filter(comparison.arms["arm"] == comparison.baseline)["label"][0]
    print(f"\n{comparison.arms.height} arms by {arms_by}; baseline {base}\n"
          "mean and 95 % interval over replicates; difference = arm minus baseline with its "
          "95 % interval (* excludes 0)")
    if comparison.population_warning:
        print(f"\nnetsim: warning: {comparison.population_warning}", file=sys.stderr)
    for title, rows in format_rows(comparison):
        widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(6)]
        print(f"\n{title}")
        for r in [HEADER, *rows]:
            print(("  " + "  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
                                    for i, (c, w) in enumerate(zip(r[:6], widths)))
                   + (f" {r[6]}" if r[6] else "")).rstrip())
    from netsim.compare_report import tradeoffs

    trades = tradeoffs(comparison)
    if trades:
        names = dict(zip(comparison.arms["arm"], comparison.arms["label"]))
        print("\nagainst the baseline (adoption among all staff and cost):")
        for arm, words in trades.items():
            print(f"  {names[arm]}: {words}")
    print()
    for note in comparison.notes:
        if not note.startswith("Populations differ."):  # printed above as a warning
            print(note)
    folder = paths["report.md"].parent
    names = ["report.html", "report.md", "comparison.csv", "comparison.parquet",
             *(p.name for p in paths.values() if p.suffix == ".png")]
    print(f"\nwrote {folder}/: {', '.join(names)}")
    return 0


def _analysis_out(kind: str, given: str | None) -> Path:
    """The folder of an analysis: given, or outputs/<kind>/<date>_<time>."""
    if given:
        return Path(given)
    import datetime as dt

    return Path("outputs") / kind / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def _resume_hint(prog: str, args: list[str], out: Path) -> str:
    kept = [a for a in args if not a.startswith("--out")]
    return "netsim " + prog + " " + " ".join(shlex.quote(a) for a in [*kept, "--out", str(out)])


def _sensitivity(args: list[str]) -> int:
    """Morris screening and Sobol indices (netsim.sensitivity)."""
    import argparse

    parser = _Parser(
        prog="netsim sensitivity",
        description="Global sensitivity analysis over the uncertain parameters' plausible "
        "ranges: Morris screening, then Sobol indices of the most influential, run through the "
        "sweep machinery (any Hydra launcher; re-run the same command to resume).")
    parser.add_argument("overrides", nargs="*", help="fixed settings and launcher, Hydra syntax: "
                        "scenario=meeting_groups network.n_schools=12 hydra/launcher=joblib")
    parser.add_argument("--method", default="both", help="morris, sobol or both (default)")
    parser.add_argument("--outcomes", default=None, help="comma-separated summary columns "
                        "(default: adoption_colleagues,adoption_members,schools_changed)")
    parser.add_argument("--params", default=None, help="comma-separated parameters (default: "
                        "every uncertain one, see netsim params --uncertain)")
    parser.add_argument("--range", action="append", default=[], metavar="KEY=LO:HI",
                        help="sample KEY over [LO, HI] instead (or in addition); repeatable")
    parser.add_argument("--trajectories", type=int, default=10, help="Morris trajectories")
    parser.add_argument("--sobol-n", type=int, default=64, help="Sobol base sample (power of 2)")
    parser.add_argument("--top", type=int, default=4, help="parameters for Sobol after Morris")
    parser.add_argument("--replicates", type=int, default=None, help="replicates per point")
    parser.add_argument("--seed", type=int, default=20261123, help="seed of the samplers")
    parser.add_argument("--batch-rows", type=int, default=None, help="design rows per job")
    parser.add_argument("--out", default=None, help="analysis folder (default "
                        "outputs/sensitivity/<date>_<time>); the same folder resumes")
    try:
        opts = parser.parse_intermixed_args(args)  # settings may follow options
    except SystemExit as exc:
        return int(exc.code or 0)
    from netsim.config import ConfigError
    from netsim.params import parse_range
    from netsim.sensitivity import DEFAULT_OUTCOMES, run_sensitivity

    out = _analysis_out("sensitivity", opts.out)
    overrides = list(opts.overrides)
    if opts.replicates is not None:
        if opts.replicates < 1:
            return _fail(f"--replicates = {opts.replicates} is too small; allowed: >= 1")
        overrides.append(f"replicates={opts.replicates}")
    try:
        ranges = dict(parse_range(r) for r in opts.range)
        outcomes = [o.strip() for o in opts.outcomes.split(",") if o.strip()] \
            if opts.outcomes else list(DEFAULT_OUTCOMES)
        keys = [k.strip() for k in opts.params.split(",") if k.strip()] if opts.params else None
        run = run_sensitivity(out, overrides, outcomes, keys, ranges, opts.method,
                              opts.trajectories, opts.sobol_n, opts.top, seed=opts.seed,
                              batch_rows=opts.batch_rows, progress=_print_progress,
                              command="netsim sensitivity " + " ".join(shlex.quote(a)
                                                                      for a in args))
    except ConfigError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("\nnetsim: interrupted; finished jobs are kept. Resume with: "
              + _resume_hint("sensitivity", args, out), file=sys.stderr)
        return 130
    from netsim.sensitivity_report import reading

    print()
    for line in reading(run):
        print("- " + line.replace("**", "").replace("`", ""))
    for note in run.notes:
        print("note: " + note)
    print(f"\nwrote {out}/: " + ", ".join(p.name for p in run.files.values()))
    if run.missing:
        print("resume: " + _resume_hint("sensitivity", args, out), file=sys.stderr)
        return 1
    return 0


def _calibrate(args: list[str]) -> int:
    """Pattern-oriented calibration (netsim.calibrate)."""
    import argparse

    parser = _Parser(
        prog="netsim calibrate",
        description="Approximate Bayesian computation against the targets file (stylised facts "
        "and first-year plausibility ranges): rejection on a space-filling sample of the "
        "plausible ranges, then sequential Monte Carlo, through the sweep machinery.")
    parser.add_argument("overrides", nargs="*", help="fixed settings and launcher, Hydra syntax")
    parser.add_argument("--targets", default=None, help="targets file (default "
                        "configs/calibration/targets.yaml)")
    parser.add_argument("--params", default=None, help="comma-separated parameters to "
                        "calibrate (default: every uncertain one)")
    parser.add_argument("--range", action="append", default=[], metavar="KEY=LO:HI",
                        help="prior range of KEY instead of its plausible range; repeatable")
    parser.add_argument("--particles", type=int, default=100, help="population size")
    parser.add_argument("--generations", type=int, default=3, help="SMC generations")
    parser.add_argument("--quantile", type=float, default=0.5, help="tolerance quantile")
    parser.add_argument("--initial-factor", type=int, default=4,
                        help="the rejection step runs this many times --particles sets")
    parser.add_argument("--replicates", type=int, default=None, help="replicates per set")
    parser.add_argument("--seed", type=int, default=20261123, help="seed of the sampler")
    parser.add_argument("--batch-rows", type=int, default=None, help="design rows per job")
    parser.add_argument("--out", default=None, help="folder (default "
                        "outputs/calibration/<date>_<time>); the same folder resumes")
    try:
        opts = parser.parse_intermixed_args(args)  # settings may follow options
    except SystemExit as exc:
        return int(exc.code or 0)
    from netsim.calibrate import run_calibration
    from netsim.config import ConfigError
    from netsim.params import parse_range

    out = _analysis_out("calibration", opts.out)
    overrides = list(opts.overrides)
    if opts.replicates is not None:
        if opts.replicates < 1:
            return _fail(f"--replicates = {opts.replicates} is too small; allowed: >= 1")
        overrides.append(f"replicates={opts.replicates}")
    if opts.initial_factor < 1:
        return _fail(f"--initial-factor = {opts.initial_factor} is too small; allowed: >= 1")
    try:
        ranges = dict(parse_range(r) for r in opts.range)
        keys = [k.strip() for k in opts.params.split(",") if k.strip()] if opts.params else None
        run = run_calibration(out, opts.targets, overrides, keys, ranges, opts.particles,
                              opts.generations, opts.seed, opts.quantile, opts.initial_factor,
                              batch_rows=opts.batch_rows, progress=_print_progress,
                              command="netsim calibrate " + " ".join(shlex.quote(a)
                                                                    for a in args))
    except ConfigError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("\nnetsim: interrupted; finished jobs are kept. Resume with: "
              + _resume_hint("calibrate", args, out), file=sys.stderr)
        return 130
    from netsim.calibrate_report import constraints, predictive, reading

    print()
    for line in reading(run, predictive(run), constraints(run)):
        print("- " + line.replace("**", "").replace("`", ""))
    print(f"\nwrote {out}/: " + ", ".join(p.name for p in run.files.values()))
    print(f"next: netsim run -m <key=a,b> ensemble={run.ensemble_path}    (then netsim compare; "
          "each replicate on a member drawn by weight)")
    print(f"  or: netsim robust --ensemble {run.ensemble_path} --baseline <key=value> "
          "--arm <key=value> ...    (every arm on every member)")
    return 0


def _robust(args: list[str]) -> int:
    """Robust design comparison over an ensemble (netsim.robust)."""
    import argparse

    parser = _Parser(
        prog="netsim robust",
        description="Run every design arm on every plausible world (an ensemble from netsim "
        "calibrate, or N worlds spread over the plausible ranges) with common random numbers; "
        "report each arm's effect across worlds, P(beats baseline), regret, and the parameter "
        "region where the ranking flips (PRIM).")
    parser.add_argument("overrides", nargs="*", help="fixed settings and launcher, Hydra syntax")
    parser.add_argument("--ensemble", default=None, help="ensemble.parquet from netsim calibrate")
    parser.add_argument("--worlds", type=int, default=None,
                        help="instead: N worlds spread over the plausible ranges")
    parser.add_argument("--params", default=None, help="with --worlds: the parameters that vary "
                        "(default: every uncertain one)")
    parser.add_argument("--arm", action="append", default=[], metavar="'K=V [K=V ...]'",
                        help="one design arm (settings on top of the scenario); repeatable")
    parser.add_argument("--baseline", default="", help="the baseline's settings (default: the "
                        "scenario as it is)")
    parser.add_argument("--outcome", default="adoption_colleagues", help="outcome to compare")
    parser.add_argument("--replicates", type=int, default=None, help="replicates per world")
    parser.add_argument("--seed", type=int, default=20261123, help="seed of the worlds")
    parser.add_argument("--batch-rows", type=int, default=None, help="design rows per job")
    parser.add_argument("--out", default=None, help="folder (default "
                        "outputs/robust/<date>_<time>); the same folder resumes")
    try:
        opts = parser.parse_intermixed_args(args)  # settings may follow options
    except SystemExit as exc:
        return int(exc.code or 0)
    from netsim.config import ConfigError
    from netsim.robust import run_robust

    out = _analysis_out("robust", opts.out)
    overrides = list(opts.overrides)
    if opts.replicates is not None:
        if opts.replicates < 1:
            return _fail(f"--replicates = {opts.replicates} is too small; allowed: >= 1")
        overrides.append(f"replicates={opts.replicates}")
    try:
        keys = [k.strip() for k in opts.params.split(",") if k.strip()] if opts.params else None
        run = run_robust(out, opts.arm, opts.baseline, opts.ensemble, opts.worlds, opts.outcome,
                         overrides, keys, opts.seed, opts.batch_rows,
                         command="netsim robust " + " ".join(shlex.quote(a) for a in args),
                         progress=_print_progress)
    except ConfigError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("\nnetsim: interrupted; finished jobs are kept. Resume with: "
              + _resume_hint("robust", args, out), file=sys.stderr)
        return 130
    from netsim.robust_report import planner_text

    print()
    for line in planner_text(run):
        print("- " + line.replace("**", ""))
    for note in run.notes:
        print("note: " + note)
    print(f"\nwrote {out}/: " + ", ".join(p.name for p in run.files.values()))
    return 0


def _explore(args: list[str]) -> int:
    """Serve the explorer (netsim.explorer.Page) with solara on 127.0.0.1 only."""
    import socket

    parser = _Parser(prog="netsim explore", description="Serve the interactive "
                                     "explorer on this computer only (127.0.0.1).")
    parser.add_argument("--port", type=int, default=8765,
                        help="port to listen on (0 = any free port; default 8765)")
    opts = parser.parse_args(args)
    if not 0 <= opts.port <= 65535:
        return _fail(f"--port = {opts.port} is out of range; allowed: 0 <= port <= 65535")
    port = opts.port
    with socket.socket() as sock:  # a port in use fails here, before the address is shown
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            return _fail(f"--port = {port} cannot be used on 127.0.0.1 ({exc.strerror}); allowed: "
                         "a free port, or --port 0 for any free port")
        port = sock.getsockname()[1]
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    try:
        import solara.__main__ as solara_cli

        import netsim.explorer  # noqa: F401 - fail here, not in the server, if deps are missing
    except ImportError as exc:
        return _fail(f"the explorer needs the 'explore' extra ({exc.name} is missing); install "
                     "it with: pip install -e '.[explore]'")
    print(f"netsim explorer: http://127.0.0.1:{port}/  (press Ctrl-C to stop)", flush=True)
    solara_cli.run.main(["netsim.explorer:Page", "--host", "127.0.0.1", "--port", str(port),
                         "--production", "--no-open", "--no-check-version"],
                        prog_name="netsim explore", standalone_mode=False)
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "run": _run,
    "status": _status,
    "collect": _collect,
    "presets": _presets,
    "params": _params,
    "validate": _validate,
    "compare": _compare,
    "sensitivity": _sensitivity,
    "calibrate": _calibrate,
    "robust": _robust,
    "explore": _explore,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``netsim`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("help", "-h", "--help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        return _fail(f"unknown command {command!r}; allowed: {', '.join(COMMANDS)}")
    from netsim.config import ConfigError

    try:
        return COMMANDS[command](rest)
    except (ConfigError, _UsageError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(_os_message(exc))
    except SystemExit as exc:  # argparse's --help
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

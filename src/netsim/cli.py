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
                             -m runs a sweep (every combination; one job per combination)
  status <sweep_dir>         how many jobs of a sweep are done, failed, running, missing
  collect <sweep_dir>        merge a sweep's results into <sweep_dir>/collected/*.parquet
  presets                    list the scenario presets
  validate [--full] [--only NAME[,NAME]] [--out DIR]
                             check the model against textbook results and field-report facts
  validate --study NAME SWEEP_DIR [--out DIR]
                             summary table and figure of a study in experiments/
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
"""


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
        result = run_scenario(scenario)
        seconds = time.perf_counter() - start
        tmp = Path(tempfile.mkdtemp(prefix=".netsim-partial-", dir=out))
        write_run(tmp, result, overrides=overrides, command=command)
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
    print(f"collected {jobs} jobs, {summary.height} runs ({series.height} weekly rows) in "
          f"{seconds:.1f} s -> {where / COLLECTED_DIR}/summary.parquet, timeseries.parquet")
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
    "validate": _validate,
    "compare": _compare,
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

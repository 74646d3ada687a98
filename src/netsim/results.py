"""Results on disk: Parquet files written atomically, with provenance.

A run folder holds ``summary.parquet`` (one row per replicate), ``timeseries.parquet`` (one
row per replicate and week) and ``provenance.json`` (resolved scenario, seed keys, netsim
version, git commit, package versions). Every file is written to a temporary name in the same
folder and renamed into place, so a killed run never leaves a half-written file behind.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.config import ConfigError, scenario_to_dict

if TYPE_CHECKING:  # polars and the runner (which imports the model) load when first needed
    import polars as pl

    from netsim.runner import RunResult

__all__ = [
    "PROVENANCE_FILE",
    "SERIES_FILE",
    "SUMMARY_FILE",
    "WriteError",
    "atomic_write",
    "check_writable_folder",
    "provenance",
    "read_run",
    "write_run",
]

SUMMARY_FILE = "summary.parquet"
SERIES_FILE = "timeseries.parquet"
PROVENANCE_FILE = "provenance.json"
CASCADES_FILE = "cascades.parquet"
_PACKAGES = ("mesa", "numpy", "scipy", "networkx", "hydra-core", "omegaconf", "polars",
             "pyarrow", "matplotlib", "hydra-joblib-launcher", "joblib")


class WriteError(OSError):
    """A result file could not be written; the message names the file and the cause."""


def _disk_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024 or (st.f_files > 0 and st.f_favail == 0)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``.

    Raises:
        OSError: the folder cannot be created or written. A writer that fails on a full disk
            (Parquet writers report it as e.g. ``Invalid thrift: transport error``) is reported
            as ``ENOSPC`` naming ``path``, so the recorded cause reads "disk full".
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # name the file the user asked for, not the temporary one
        raise WriteError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, Exception) and _disk_full(path.parent):
            raise WriteError(errno.ENOSPC, "No space left on device (disk full)", str(path)) \
                from exc
        raise


def check_writable_folder(key: str, path: str | Path) -> None:
    """Refuse an output folder that cannot be created or written, before anything runs.

    Raises:
        ConfigError: naming ``key``, the path and why (a file in the way, permission, a
            read-only file system).
    """
    path = str(path)
    target = Path(path).expanduser().absolute()
    anc = target
    while not os.path.lexists(anc) and anc.parent != anc:
        anc = anc.parent
    if not anc.is_dir():
        raise ConfigError(f"{key} = {path!r} cannot be created: {anc} is a file, not a folder; "
                          "allowed: a folder path you can write")
    try:
        probe = tempfile.mkdtemp(prefix=".netsim-write-check-", dir=anc)
        os.rmdir(probe)
    except OSError as exc:
        why = exc.strerror or str(exc)
        if exc.errno == errno.EROFS:
            why = "read-only file system"
        raise ConfigError(f"{key} = {path!r} cannot be written ({anc}: {why}); allowed: a folder "
                          f"you can write, e.g. {key}=/tmp/netsim-out") from None


@functools.lru_cache(maxsize=1)
def _git_commit() -> str | None:
    src = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=src, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def _package_versions() -> dict[str, str | None]:
    """Versions of netsim and its main dependencies (looked up once per process)."""
    versions: dict[str, str | None] = {}
    for name in ("netsim", *_PACKAGES):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _model_version() -> int:
    from netsim import MODEL_VERSION

    return MODEL_VERSION


def provenance(result: RunResult, **extra: Any) -> dict[str, Any]:
    """Everything needed to reproduce ``result``."""
    from netsim.runner import point_key

    versions = dict(_package_versions())
    sc = result.scenario
    return {
        "scenario": scenario_to_dict(sc),
        "seed": {"base_seed": sc.seed,
                 "point_key": point_key(sc),
                 "stream": 0 if sc.common_random_numbers else point_key(sc),
                 "common_random_numbers": sc.common_random_numbers,
                 "replicates": result.summary["replicate"].to_list()
                 if result.summary.height else [],
                 "scheme": "SeedSequence(base_seed, spawn_key=(stream, replicate))"},
        "rows": {"summary": result.summary.height, "timeseries": result.series.height},
        "netsim_version": versions["netsim"],
        "model_version": _model_version(),
        "git_commit": _git_commit(),
        "packages": versions,
        "python": platform.python_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **extra,
    }


def write_run(folder: Path | str, result: RunResult, **extra: Any) -> Path:
    """Write the run's Parquet files and provenance into ``folder``; return the folder."""
    folder = Path(folder)
    prov = provenance(result, **extra)
    atomic_write(folder / SERIES_FILE, lambda p: result.series.write_parquet(p))
    if getattr(result, "cascades", None) is not None:  # textbook rules: one row per cascade-week
        atomic_write(folder / CASCADES_FILE, lambda p: result.cascades.write_parquet(p))
    atomic_write(folder / PROVENANCE_FILE,
                 lambda p: p.write_text(json.dumps(prov, indent=2, default=str)))
    # the summary goes last: its presence marks a finished run
    atomic_write(folder / SUMMARY_FILE, lambda p: result.summary.write_parquet(p))
    return folder


def read_run(folder: Path | str) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Read a run folder written by :func:`write_run`: (summary, series, provenance)."""
    import polars as pl

    folder = Path(folder)
    return (pl.read_parquet(folder / SUMMARY_FILE), pl.read_parquet(folder / SERIES_FILE),
            json.loads((folder / PROVENANCE_FILE).read_text()))

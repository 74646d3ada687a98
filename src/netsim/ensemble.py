"""Ensembles of plausible worlds: weighted parameter sets, their file, and runs on them.

An **ensemble** is a table of parameter sets: ``member``, ``weight`` and one column per
parameter, e.g. the ABC posterior that ``netsim calibrate`` writes as ``ensemble.parquet``
(:mod:`netsim.calibrate`). The Parquet file's metadata (key ``netsim_ensemble``) record the model
version (:data:`netsim.MODEL_VERSION`), the parameters and how the file was made.
:func:`load_ensemble` refuses, with one line naming the file, a file that is missing or not
Parquet, one without that metadata, one of another model version, a parameter the schema does
not know or that is not numeric, a value outside the schema's bounds (or a fraction for a
whole-number setting), and weights that are not finite, non-negative numbers with a positive sum.

**Running on an ensemble** (``netsim run ensemble=FILE``, a sweep ``netsim run -m ...
ensemble=FILE``, and so ``netsim compare`` of its arms). Rule: replicate ``r`` runs on member
``m_r``, drawn with probability ``w_m / sum(w)`` from a stream of its own,
``SeedSequence(seed, spawn_key=(ENSEMBLE_STREAM, r))``: one uniform number ``u_r``, and ``m_r`` is
the first member whose cumulative share of the weight exceeds ``u_r``. The replicates are then
draws from the posterior predictive distribution (parameters from the ensemble, then the
model's chance), so their mean and interval describe the outcome across plausible worlds with
the weights included, and every later statistic (the run table, ``netsim compare``'s paired
intervals) stays a plain unweighted one. The draw depends only on the base seed and the
replicate number, not on an arm's settings or on how many replicates there are: replicate ``r``
of every arm of a sweep runs on the same member and (with common random numbers) the same
random stream, so arm-minus-baseline differences are paired within a world and their interval
covers the spread across worlds as well as chance; more replicates keep the first ones' draws.
The stream ``ENSEMBLE_STREAM = 2**63`` is outside the range of point keys (63 bits,
:func:`netsim.runner.point_key`) and is not the common stream 0, so the draws never reuse a
replicate's simulation numbers.

Modelling choice, with the alternative: running "each member in turn" would ignore the weights
of an SMC posterior (they differ by orders of magnitude) unless every later statistic were
weighted, and ties the number of replicates to the size of the ensemble. To run every arm on
every member and see each world's effect, regret and where the ranking flips, use
``netsim robust --ensemble FILE``.

A member's values replace the scenario's (the preset's or the default) for its parameters; a
setting given on the command line or swept wins over the member's value, so an arm of a sweep
that sets a calibrated parameter sets it in every world (the provenance lists such settings).
Outputs record the member: the run summary's column ``ensemble_member`` (per replicate) and the
``ensemble`` record of ``provenance.json`` (file, digest, rule, the member of every replicate).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from netsim.config import ConfigError

__all__ = ["ENSEMBLE_FILE", "ENSEMBLE_KEY", "ENSEMBLE_STREAM", "MEMBER_COLUMN", "Ensemble",
           "check_ensemble_values", "check_members", "draw_members", "file_digest",
           "load_ensemble", "run_on_ensemble", "write_ensemble"]

#: the file ``netsim calibrate`` writes
ENSEMBLE_FILE = "ensemble.parquet"
#: the ``netsim run`` setting that names an ensemble file
ENSEMBLE_KEY = "ensemble"
#: the spawn-key stream of the member draws (see the module docstring)
ENSEMBLE_STREAM = 2**63
#: the run-summary column with the member each replicate ran on
MEMBER_COLUMN = "ensemble_member"
_META_KEY = b"netsim_ensemble"


@dataclass
class Ensemble:
    """Weighted parameter sets (an ABC posterior, or any set of plausible worlds).

    Attributes:
        members: ``member``, ``weight`` and one column per parameter (plus statistics).
        parameters: the parameter columns.
        meta: model version, scenario overrides, targets, ...
        path: the file it was read from.
        digest: a hash of the file's bytes (which file a run used, and whether it changed).
    """

    members: pl.DataFrame
    parameters: list[str]
    meta: dict[str, Any]
    path: Path | None = None
    digest: str = ""

    def settings(self, i: int, fixed: Collection[str] = ()) -> dict[str, Any]:
        """The overrides of the member in row ``i``, whole-number parameters as ints; the keys
        in ``fixed`` (set on the command line) are left out."""
        from netsim.params import parameter

        row = self.members.row(i, named=True)
        return {k: parameter(k).value(row[k]) for k in self.parameters if k not in fixed}

    @property
    def weights(self) -> np.ndarray:
        """The members' weights, normalised to sum 1."""
        w = self.members["weight"].cast(pl.Float64).to_numpy()
        return w / w.sum()

    @property
    def member_ids(self) -> np.ndarray:
        """The ``member`` column (row numbers when the file has none)."""
        if "member" in self.members.columns:
            return self.members["member"].cast(pl.Int64).to_numpy()
        return np.arange(self.members.height)

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "(in memory)"


def file_digest(path: Path | str) -> str:
    """A short hash of a file's bytes."""
    h = hashlib.blake2b(digest_size=12)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_ensemble(path: Path, members: pl.DataFrame, parameters: Sequence[str],
                   meta: Mapping[str, Any]) -> Path:
    """Write an ensemble Parquet file with its metadata (atomically)."""
    import pyarrow.parquet as pq

    from netsim import MODEL_VERSION
    from netsim.results import atomic_write

    info = {"model_version": MODEL_VERSION, "parameters": list(parameters), **meta}
    table = members.to_arrow()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           _META_KEY: json.dumps(info, default=str).encode()})
    atomic_write(Path(path), lambda p: pq.write_table(table, p))
    return Path(path)


def load_ensemble(path: Path | str) -> Ensemble:
    """Read and check an ensemble file (see the module docstring for what is refused).

    Raises:
        ConfigError: one line naming the file, what is wrong and what is allowed.
    """
    import pyarrow.parquet as pq

    from netsim import MODEL_VERSION
    from netsim.params import parameter

    path = Path(path)
    what = f"ensemble = {str(path)!r}"
    made = "an ensemble.parquet written by netsim calibrate"
    if path.is_dir():
        raise ConfigError(f"{what} is a folder; allowed: {made}")
    if not path.is_file():
        raise ConfigError(f"{what} cannot be read (no such file); allowed: {made}")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same one line
        why = " ".join(str(exc).split()).split(". ")[0][:200]
        raise ConfigError(f"{what} is not a Parquet file ({why}); allowed: {made}") from None
    raw = (table.schema.metadata or {}).get(_META_KEY)
    try:
        meta = json.loads(raw) if raw is not None else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise ConfigError(f"{what} is not a netsim ensemble (no netsim ensemble metadata); "
                          f"allowed: {made}")
    version = meta.get("model_version")
    if version != MODEL_VERSION:
        raise ConfigError(f"{what} was calibrated on model version {version}, but this is model "
                          f"version {MODEL_VERSION}; allowed: an ensemble made with this version "
                          "(re-run netsim calibrate)")
    members = pl.from_arrow(table)
    assert isinstance(members, pl.DataFrame)
    params = meta.get("parameters")
    if not isinstance(params, list) or not params:
        raise ConfigError(f"{what} lists no parameters in its metadata; allowed: {made}")
    for k in params:
        try:
            p = parameter(str(k))
        except ConfigError as exc:
            raise ConfigError(f"{what}: {exc}; allowed: parameters of this schema") from None
        if not p.numeric:
            raise ConfigError(f"{what}: {k} is a {p.kind} setting; allowed: numeric parameters")
        if k not in members.columns:
            raise ConfigError(f"{what} lacks the column {k!r} its metadata lists")
    if members.height == 0:
        raise ConfigError(f"{what} has no members; allowed: at least one weighted parameter set")
    if "weight" not in members.columns or not members["weight"].dtype.is_numeric():
        raise ConfigError(f"{what} has no numeric 'weight' column; allowed: {made}")
    w = members["weight"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ConfigError(f"{what}: weights must be finite, >= 0 and not all 0; got "
                          f"{np.array2string(w[:6], precision=3)}{' ...' if w.size > 6 else ''}")
    if "member" in members.columns and (not members["member"].dtype.is_integer()
                                        or members["member"].n_unique() != members.height):
        raise ConfigError(f"{what}: the 'member' column must hold distinct whole numbers")
    ens = Ensemble(members, [str(k) for k in params], meta, path, file_digest(path))
    check_ensemble_values(ens)
    return ens


def check_ensemble_values(ens: Ensemble) -> None:
    """Every member's value of every parameter is a number the schema allows (its bounds;
    a whole number for integer settings, a multiple of the step for stepped ones such as
    ``network.collegial_degree``). ConfigError naming the member otherwise."""
    from netsim.config import check_setting
    from netsim.params import parameter

    ids = ens.member_ids
    for k in ens.parameters:
        p = parameter(k)
        col = ens.members[k]
        if not col.dtype.is_numeric():
            raise ConfigError(f"ensemble = {ens.name!r}: column {k!r} is not numeric "
                              f"({col.dtype}); allowed: numbers within the schema's bounds")
        values = col.cast(pl.Float64).fill_null(math.nan).to_numpy()
        for i in np.unique(values, return_index=True)[1]:  # each distinct value once
            v = float(values[i])
            where = f"ensemble = {ens.name!r}: member {ids[i]}"
            if p.kind == "int" and not (math.isfinite(v) and v == round(v)):
                raise ConfigError(f"{where}: {k} = {v!r} is not a whole number; allowed: whole "
                                  "numbers")
            if p.kind == "int" and p.step > 1 and round(v) % p.step:
                # a run would round it to the step (Parameter.value): refuse rather than run
                # another world than the file says
                raise ConfigError(f"{where}: {k} = {v!r} is not a multiple of {p.step}; "
                                  f"allowed: whole multiples of {p.step}")
            try:
                check_setting(k, int(v) if p.kind == "int" else v)
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            if not math.isfinite(v):
                raise ConfigError(f"{where}: {k} = {v!r} is not a finite number")


def check_members(ens: Ensemble, scenario: Any, fixed: Collection[str] = ()) -> None:
    """Every member makes a valid scenario on top of ``scenario`` (relations between settings
    hold); ConfigError naming the member and the broken rule otherwise."""
    from netsim.config import scenario_to_dict
    from netsim.designs import _row_scenario

    base = scenario_to_dict(scenario)
    ids = ens.member_ids
    for i in range(ens.members.height):
        try:
            _row_scenario(base, ens.settings(i, fixed))
        except ConfigError as exc:
            raise ConfigError(f"ensemble = {ens.name!r}: member {ids[i]} does not make a valid "
                              f"scenario here: {exc}") from None


def draw_members(weights: np.ndarray | Sequence[float], seed: int,
                 replicate_ids: Sequence[int]) -> np.ndarray:
    """The row of the member each replicate runs on, drawn by weight (see the module
    docstring): ``m_r = #{j : W_j <= u_r}`` with ``W`` the cumulative shares of the weight and
    ``u_r`` the first uniform of ``SeedSequence(seed, spawn_key=(ENSEMBLE_STREAM, r))``.

    >>> draw_members([0.0, 1.0, 0.0], 7, [0, 1, 2]).tolist()
    [1, 1, 1]
    """
    w = np.asarray(weights, dtype=float)
    cw = np.cumsum(w) / w.sum()
    u = np.array([np.random.default_rng(np.random.SeedSequence(
        seed, spawn_key=(ENSEMBLE_STREAM, int(r)))).random() for r in replicate_ids])
    return np.minimum(np.searchsorted(cw, u, side="right"), w.size - 1)


def fixed_keys(overrides: Sequence[str]) -> set[str]:
    """The settings a command line sets (they win over the members' values)."""
    from netsim.sweep import override_key

    return {override_key(o) for o in overrides
            if not override_key(o).startswith("hydra") and "=" in o}


def run_on_ensemble(scenario: Any, ens: Ensemble, overrides: Sequence[str] = (),
                    replicate_ids: Sequence[int] | None = None) -> tuple[Any, dict[str, Any]]:
    """Run the scenario's replicates, each on its member (see the module docstring).

    Args:
        scenario: the base scenario (an arm).
        ens: the ensemble.
        overrides: the command line's overrides: the settings they name win over the members'.
        replicate_ids: replicate numbers (default ``0..scenario.replicates-1``).

    Returns:
        (the :class:`~netsim.runner.RunResult` with the summary column ``ensemble_member``,
        the ``ensemble`` record for ``provenance.json``).

    Raises:
        ConfigError: a member that does not make a valid scenario with these settings.
    """
    from netsim.config import scenario_to_dict
    from netsim.designs import _row_scenario
    from netsim.runner import run_scenario

    ids = list(range(scenario.replicates)) if replicate_ids is None else list(replicate_ids)
    rows = draw_members(ens.weights, scenario.seed, ids)
    by_replicate = dict(zip(ids, (int(i) for i in rows), strict=True))
    fixed = fixed_keys(overrides) & set(ens.parameters)
    base = scenario_to_dict(scenario)
    member_ids = ens.member_ids
    made: dict[int, Any] = {}

    def scenario_of(r: int) -> Any:
        i = by_replicate[r]
        if i not in made:
            try:
                made[i] = _row_scenario(base, ens.settings(i, fixed))
            except ConfigError as exc:
                raise ConfigError(f"ensemble = {ens.name!r}: member {member_ids[i]} does not "
                                  f"make a valid scenario here: {exc}") from None
        return made[i]

    result = run_scenario(scenario, replicate_ids=ids, scenario_of=scenario_of)
    drawn = [int(member_ids[by_replicate[int(r)]]) for r in result.summary["replicate"]]
    result.summary = result.summary.with_columns(pl.Series(MEMBER_COLUMN, drawn,
                                                           dtype=pl.Int64))
    record = {
        "file": str(Path(ens.path).resolve()) if ens.path is not None else None,
        "digest": ens.digest,
        "members": ens.members.height,
        "parameters": ens.parameters,
        "model_version": ens.meta.get("model_version"),
        "made_by": ens.meta.get("command"),
        "calibrated_with": ens.meta.get("overrides"),
        "rule": "replicate r runs on the member drawn by weight with the first uniform of "
                f"SeedSequence(base_seed, spawn_key=({ENSEMBLE_STREAM}, r)) (netsim.ensemble)",
        "member_of_replicate": {str(r): m for r, m in zip(result.summary["replicate"], drawn,
                                                          strict=True)},
        "distinct_members": len(set(drawn)),
        "set_on_the_command_line": sorted(fixed),
    }
    return result, record


def describe(record: Mapping[str, Any]) -> str:
    """One sentence on a run's ensemble record (for the console and the run report)."""
    n = len(record.get("member_of_replicate") or {})
    text = (f"Plausible worlds: each of the {n} replicates ran on a member of the ensemble "
            f"{record.get('file')} ({record.get('members')} members; "
            f"{record.get('distinct_members')} distinct drawn by weight), so the intervals cover "
            "the spread across those worlds as well as chance.")
    if record.get("set_on_the_command_line"):
        text += (" Set on the command line, so the same in every world: "
                 + ", ".join(record["set_on_the_command_line"]) + ".")
    return text


def check_ensemble_overrides(lines: Sequence[str], scenario: Any,
                             overrides: Sequence[str] = ()) -> None:
    """Check every ensemble a command line names (``ensemble=FILE`` lines, a sweep's values
    included): the file (:func:`load_ensemble`) and its members on ``scenario``
    (:func:`check_members`, with the command line's settings winning). ConfigError if bad."""
    from netsim.sweep import override_value

    fixed = fixed_keys(overrides)
    for line in dict.fromkeys(lines):
        value = override_value(line)
        if value is None or str(value).lower() == "null":
            continue
        if not str(value).strip():
            raise ConfigError("ensemble = '' is empty; allowed: an ensemble.parquet written by "
                              "netsim calibrate, or null for none")
        ens = load_ensemble(str(value))
        check_members(ens, scenario, fixed & set(ens.parameters))

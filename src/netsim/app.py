"""Hydra integration: the structured-config schema and checking overrides before a run.

Only this module, :mod:`netsim.sweep` and :mod:`netsim.cli` import Hydra. The schema is
:class:`netsim.config.Scenario` registered as ``netsim_schema`` in Hydra's ConfigStore;
``configs/config.yaml`` extends it and selects a preset from the ``scenario`` group
(``configs/scenario/*.yaml``, package ``_global_``). :func:`check_overrides` composes the config
for every value a command line asks for and validates it, so a bad value stops the command
before Hydra creates any folder.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import re
import shutil
import typing
from collections.abc import Sequence
from typing import Any

from hydra import compose
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, ListConfig, OmegaConf

from netsim.config import (
    ConfigError,
    Scenario,
    check_changes_take_effect,
    check_setting,
    configs_dir,
    scenario_from_dict,
)
from netsim.results import check_writable_folder

__all__ = ["check_overrides", "list_experiments", "register_configs", "scenario_from_cfg"]


@dataclasses.dataclass
class RunConfig(Scenario):
    """The primary config of ``netsim run``: a :class:`Scenario` and how to run it that is not
    part of the scenario itself (so not of its point key or provenance ``scenario``)."""

    ensemble: str | None = dataclasses.field(default=None, metadata={
        "doc": "ensemble.parquet from netsim calibrate: each replicate runs on a member drawn by "
               "weight (netsim.ensemble)"})


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore (idempotent)."""
    ConfigStore.instance().store(name="netsim_schema", node=RunConfig)


def _scenario_data(data: dict[str, Any]) -> dict[str, Any]:
    """A composed config's data without what is not the scenario (``hydra``, ``ensemble``)."""
    data.pop("hydra", None)
    data.pop("ensemble", None)
    return data


def scenario_from_cfg(cfg: DictConfig) -> Scenario:
    """Validated :class:`Scenario` from a composed Hydra config (the ``hydra`` node dropped).

    Raises:
        ConfigError: an interpolation that cannot be resolved, or an invalid value.
    """
    try:
        data: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)  # type: ignore[assignment]
    except Exception as exc:  # noqa: BLE001 - an interpolation error is the user's input
        raise ConfigError(_message(exc, [])) from None
    return scenario_from_dict(_scenario_data(data))


def _clean(message: str) -> str:
    lines = [ln for ln in str(message).splitlines()
             if ln.strip() and not ln.strip().startswith(("reference_type", "object_type"))]
    return " ".join(ln.strip() for ln in lines)


def _deepest_node(root: Any, key: str) -> tuple[str, Any]:
    """The deepest existing parent of dotted ``key`` in ``root`` (a dataclass type or a
    DictConfig): (its dotted path, the node)."""
    parts = key.split(".")[:-1]
    path: list[str] = []
    node = root
    for part in parts:
        if dataclasses.is_dataclass(node) and isinstance(node, type):
            child = typing.get_type_hints(node).get(part)
            if child is None or not dataclasses.is_dataclass(child):
                break
        elif isinstance(node, DictConfig):
            child = node.get(part) if part in node else None
            if not isinstance(child, DictConfig):
                break
        else:
            break
        node, path = child, [*path, part]
    return ".".join(path), node


def _keys_of(node: Any) -> list[str]:
    if dataclasses.is_dataclass(node):
        return [f.name for f in dataclasses.fields(node)]
    if isinstance(node, DictConfig):
        return sorted(str(k) for k in node)
    return []


def _unknown_key(key: str) -> str:
    """"unknown setting" with the keys allowed where the user's key stops matching."""
    if key == "hydra" or key.startswith("hydra."):
        try:
            root: Any = compose(config_name="config", return_hydra_config=True)
        except Exception:  # noqa: BLE001 - the hint only
            root = None
        parent, node = _deepest_node(root, key) if root is not None else ("", None)
        allowed = ", ".join(_keys_of(node)) or "see hydra --hydra-help"
        hint = ("; another launcher's settings need hydra/launcher=NAME first"
                if parent.startswith("hydra.launcher") else "")
        return (f"unknown Hydra setting {key!r}; allowed keys in {parent or 'hydra'}: "
                f"{allowed}{hint}")
    parent, node = _deepest_node(Scenario, key)
    return (f"unknown setting {key!r}; allowed keys{' in ' + parent if parent else ''}: "
            + ", ".join(_keys_of(node)))


def _message(exc: BaseException, overrides: list[str]) -> str:
    """One clear line from a Hydra/OmegaConf error: the key, the value, what is allowed."""
    from netsim.config import list_presets

    text = _clean(str(exc))
    deepest = exc
    while deepest.__cause__ is not None or deepest.__context__ is not None:
        deepest = deepest.__cause__ or deepest.__context__  # type: ignore[assignment]
    detail = _clean(str(deepest))
    if "Could not find 'scenario/" in text:
        name = text.split("Could not find 'scenario/", 1)[1].split("'", 1)[0]
        return (f"scenario = {name!r} is not a known preset; allowed: "
                + ", ".join(list_presets()))
    if "Config group override must be a string or a list" in text:
        bad = next((o for o in overrides if o.split("=", 1)[0].lstrip("+~").split("@")[0]
                    in ("scenario", "experiment", "hydra/launcher")), "")
        return (f"{bad or 'a config group'} is not allowed: a config group takes a name; "
                "allowed for scenario: " + ", ".join(list_presets()))
    if text.startswith(("Could not override '", "Could not append to")):
        key = text.split("'", 2)[1]
        if text.startswith("Could not append to"):
            return (f"+{key} adds a setting that exists already; allowed: {key}=VALUE to "
                    "change it")
        return _unknown_key(key)
    if text.startswith("Key '") and "is not in struct" in text:
        key = text.split("'", 2)[1]
        full = text.split("full_key: ", 1)[1].split()[0] if "full_key: " in text else key
        return _unknown_key(full)
    if "Could not delete from config" in text:
        return f"{text}; allowed: delete only settings that exist"
    if text.startswith("Error merging override"):
        line = text.removeprefix("Error merging override").strip()
        key, _, value = line.partition("=")
        detail = detail.split(" full_key:")[0]
        return f"{key} = {value!r} is not allowed: {detail}"
    if isinstance(deepest, OSError) and deepest.filename:
        return f"{deepest.filename}: {deepest.strerror}"
    if "Interpolation" in type(deepest).__name__ or "interpolation" in text.lower() \
            or "Resolver" in type(deepest).__name__:
        key = text.split("full_key: ", 1)[1].split()[0] if "full_key: " in text else ""
        head = text.split(" full_key:")[0].split(" raised while resolving interpolation: ")[-1]
        return (f"{key + ': ' if key else ''}the interpolation cannot be resolved: {head}; "
                "allowed: a plain value, or ${other.key} / ${oc.env:NAME} that resolves to "
                "an allowed value")
    if "yaml" in type(deepest).__module__ or "YAML" in text:
        return f"a config file cannot be read: {detail}; allowed: valid YAML"
    return text.split(" full_key:")[0] if text else type(exc).__name__


def _compose_cfg(overrides: list[str], with_hydra: bool = False) -> DictConfig:
    try:
        return compose(config_name="config", overrides=overrides,
                       return_hydra_config=with_hydra)
    except Exception as exc:  # noqa: BLE001 - every composition error is about the input
        msg = _message(exc, overrides)
        if "Could not find 'experiment/" in msg:
            msg += "; allowed experiments: " + ", ".join(list_experiments())
        keys = [o.split("=", 1)[0].lstrip("+~").split("@")[0] for o in overrides]
        if overrides and not any(k and k in msg for k in keys):
            msg = f"{_culprit(overrides, with_hydra)}: {msg}"
        raise ConfigError(msg) from None


def _culprit(overrides: list[str], with_hydra: bool) -> str:
    """The first override whose addition makes the composition fail (for a message that
    does not name it)."""
    for i in range(len(overrides)):
        try:
            compose(config_name="config", overrides=overrides[:i + 1],
                    return_hydra_config=with_hydra)
        except Exception:  # noqa: BLE001
            return overrides[i]
    return " ".join(overrides)


def _compose(overrides: list[str]) -> Scenario:
    return scenario_from_cfg(_compose_cfg(overrides))


def _with_value(base: dict[str, Any], override: Any) -> dict[str, Any] | None:
    """``base`` with a plain ``key=value`` override applied, or None when the override needs
    Hydra to compose (a config group, ``+``/``~``, a package, a list or mapping, an
    interpolation). Checking a sweep value this way costs microseconds instead of a full
    composition (~0.2 s) and gives the same validation (netsim's, on the same data)."""
    value = override.value()
    if (override.is_add() or override.is_force_add() or override.is_delete()
            or override.package is not None or isinstance(value, (dict, list))
            or (isinstance(value, str) and "${" in value)):
        return None
    *path, leaf = override.key_or_group.split(".")
    data = copy.deepcopy(base)
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node or isinstance(node[leaf], (dict, list)):
        return None
    node[leaf] = value
    return data


def list_experiments() -> list[str]:
    """Names of the committed sweeps in ``configs/experiment`` (run with ``+experiment=``)."""
    return sorted(p.stem for p in (configs_dir() / "experiment").glob("*.yaml"))


def _check_launcher(cfg: DictConfig) -> None:
    """A cluster launcher needs its cluster: refuse it up front rather than fail in the
    launcher with a traceback."""
    target = str(OmegaConf.select(cfg, "hydra.launcher._target_", default="") or "")
    if target.endswith("SlurmLauncher") and shutil.which("srun") is None:
        raise ConfigError("hydra/launcher=submitit_slurm needs a SLURM cluster, and this machine "
                          "has no `srun`; run it on the cluster's login node, or use "
                          "hydra/launcher=submitit_local (or joblib) here")
    from netsim.engines import check_launcher  # netsim's slurm, ray and dask launchers

    check_launcher(cfg)


_GROUPS = ("scenario", "experiment")


def _is_netsim_key(key: str) -> bool:
    return not (key == "hydra" or key.startswith(("hydra.", "hydra/")))


def _refuse_deletion(override: Any) -> None:
    """``~key`` on a netsim setting would silently run the default in its place."""
    key = override.key_or_group
    if override.is_delete() and _is_netsim_key(key):
        what = "the group" if key in _GROUPS or "." not in key else "the setting"
        raise ConfigError(f"{override.input_line!r} deletes {what} {key!r}; allowed: set values "
                          "instead (a deleted group or setting would silently run netsim's "
                          f"defaults in its place), e.g. {key.split('.')[0]}.KEY=VALUE")


def _check_raw_value(override: Any, value: Any) -> None:
    """Check the value as typed (before Hydra converts it) for a netsim setting."""
    key = override.key_or_group
    if override.package is not None or not _is_netsim_key(key) or key in _GROUPS:
        return
    if isinstance(value, str) and "${" in value:
        return  # an interpolation: checked once Hydra resolves it
    check_setting(key, value)


def _check_interpolated(cfg: DictConfig, overrides: Sequence[Any]) -> None:
    """Check strictly what an interpolation typed for a netsim setting resolves to
    (``${oc.decode:2}`` for a switch is 2, not true), as for a value typed directly."""
    plain = None
    for o in overrides:
        value = o.value() if not o.is_sweep_override() else None
        key = o.key_or_group
        if not (isinstance(value, str) and "${" in value) or not _is_netsim_key(key) \
                or o.is_delete() or o.package is not None:
            continue
        if plain is None:
            raw = OmegaConf.to_container(cfg, resolve=False)
            raw.pop("hydra", None)  # type: ignore[union-attr]
            plain = OmegaConf.create(raw)
        try:
            resolved = OmegaConf.select(plain, key, throw_on_resolution_failure=True)
        except Exception:  # noqa: BLE001, S112 - e.g. ${hydra:...}: the typed config checks it
            continue
        if isinstance(resolved, (DictConfig, ListConfig)):
            resolved = OmegaConf.to_container(resolved)
        if isinstance(resolved, str) and resolved.strip():  # ${oc.env:X}: text spelling a value
            try:
                check_setting(key, _decode(resolved))
                continue
            except ConfigError:
                pass
        check_setting(key, resolved)


_INT_TEXT = re.compile(r"[+-]?\d+")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)


def _decode(text: str) -> Any:
    """A value spelled as text the way Hydra's grammar reads it: true/false, null, an
    integer, a float; anything else stays text (``yes`` is text, not a boolean)."""
    word = text.strip()
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    if word.lower() == "null":
        return None
    if _INT_TEXT.fullmatch(word):
        return int(word)
    if _FLOAT_TEXT.fullmatch(word):
        return float(word)
    return text


def _check_output(cfg: DictConfig, multirun: bool, scenarios: Sequence[Scenario],
                  n_jobs: int) -> None:
    """The output folder can be written and has room; each scenario fits in memory (on this
    machine: a SLURM sweep's jobs run on the cluster's nodes, so it is not checked there)."""
    from netsim import resources

    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    try:
        path = str(OmegaConf.select(cfg, key))
    except Exception as exc:  # noqa: BLE001 - an interpolation in the user's path
        raise ConfigError(f"{key}: {_message(exc, [])}") from None
    check_writable_folder(key, path)
    target = str(OmegaConf.select(cfg, "hydra.launcher._target_", default="") or "")
    if not target.endswith("SlurmLauncher"):
        workers = 1
        if multirun and "joblib" in target.lower():
            n = OmegaConf.select(cfg, "hydra.launcher.n_jobs", default=1)
            workers = os.cpu_count() or 1 if not isinstance(n, int) or n < 1 else n
            workers = min(workers, n_jobs)
        files = [sc for sc in scenarios if sc.network.file is not None]
        generated = [sc for sc in scenarios if sc.network.file is None]
        for scenario in [*files[:1], *([resources.largest(generated)] if generated else [])]:
            resources.check_memory(scenario, workers)
    resources.check_disk(path, scenarios, n_jobs)


def _check_workers(cfg: DictConfig) -> None:
    """joblib's ``n_jobs`` is a number of workers (negative: all cores but |n|-1); 0 would
    fail in the launcher after the sweep has started."""
    target = str(OmegaConf.select(cfg, "hydra.launcher._target_", default="") or "")
    n = OmegaConf.select(cfg, "hydra.launcher.n_jobs", default=None)
    if "joblib" in target.lower() and isinstance(n, int) and n == 0:
        raise ConfigError("hydra.launcher.n_jobs = 0 is not allowed; allowed: the number of "
                          "worker processes (>= 1), or -1 for all cores")


def _search_path_overrides(cfg_dirs: Sequence[str]) -> list[str]:
    from pathlib import Path

    for d in cfg_dirs:
        if not Path(d).is_dir():
            raise ConfigError(f"--config-dir = {d!r} is not a folder; allowed: a folder holding "
                              "scenario/*.yaml or experiment/*.yaml presets")
    return [f"file://{Path(d).absolute()}" for d in cfg_dirs]


def check_overrides(overrides: Sequence[str], multirun: bool = False,
                    config_dirs: Sequence[str] = ()) -> list[Scenario]:
    """Compose and validate the config for the given command-line overrides.

    Single runs and sweeps take the same path: every value of every key is checked as typed
    (strict types: ``2`` is not a boolean, ``'0.5'`` is not a number, ``1e1`` not an integer),
    then with netsim's validation of the whole scenario. For a multirun, every value of every
    sweep is checked (one key at a time, the other sweeps at their first value). The sweep is the
    one Hydra's basic sweeper runs: the config's ``hydra.sweeper.params`` (set by a
    ``configs/experiment`` file) with command-line overrides replacing params of the same key.
    Deleting a netsim setting or group (``~network``) is refused. The output folder must be
    writable, and each scenario must fit in this machine's memory
    (:mod:`netsim.resources`). A ``network.file`` is read once to check that it parses and that its contents can make
    the run (:func:`netsim.usergraph.check_networks`).

    Args:
        overrides: Hydra overrides (``key=value``, ``scenario=NAME``, sweeps with ``-m``).
        multirun: the command is a sweep (``-m``).
        config_dirs: extra folders of presets (``--config-dir``), searched after netsim's.

    Returns:
        The scenarios checked (for a single run, one).

    Raises:
        ConfigError: with Hydra's or netsim's message naming the key and value.
    """
    register_configs()
    GlobalHydra.instance().clear()
    extra_paths = _search_path_overrides(config_dirs)
    try:
        from hydra._internal.hydra import Hydra
        from hydra._internal.utils import create_config_search_path
        from hydra.core.config_search_path import SearchPathQuery

        csp = create_config_search_path(str(configs_dir()))
        for path in extra_paths:  # where Hydra puts --config-dir: just before the schema
            csp.prepend(provider="command-line", path=path,
                        anchor=SearchPathQuery(provider="schema"))
        Hydra.create_main_hydra2(task_name="netsim", config_search_path=csp)
        parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
        try:
            parsed = parser.parse_overrides(list(overrides))
        except Exception as exc:  # noqa: BLE001 - Hydra's grammar errors
            raise ConfigError(_clean(str(exc))) from None
        for o in parsed:
            _refuse_deletion(o)
        sweeps = [o for o in parsed if o.is_sweep_override()]
        if sweeps and not multirun:
            raise ConfigError(f"{sweeps[0].input_line!r} asks for several values; add -m "
                              "(multirun) to sweep, e.g. netsim run -m "
                              + sweeps[0].input_line)
        fixed = [o for o in parsed if not o.is_sweep_override()]
        for o in fixed:
            _check_raw_value(o, o.value())
        cfg = _compose_cfg([o.input_line for o in fixed], with_hydra=True)
        _check_launcher(cfg)
        _check_workers(cfg)
        node = cfg.hydra.sweeper.get("params")
        params: dict[str, Any] = ({} if node is None else
                                  OmegaConf.to_container(node))  # type: ignore[assignment]
        if params and not multirun:
            given = " ".join(o.input_line for o in parsed)
            raise ConfigError(f"{given!r} defines a sweep over {', '.join(params)}; add -m "
                              f"(multirun) to run it: netsim run -m {given}")
        values: dict[str, list[str]] = {}
        from_config = []
        try:
            from_config = parser.parse_overrides([f"{k}={v}" for k, v in params.items()])
        except Exception as exc:  # noqa: BLE001
            raise ConfigError(f"hydra.sweeper.params: {_clean(str(exc))}") from None
        for o in [*from_config, *parsed]:  # the basic sweeper's order and precedence
            key = o.get_key_element()
            _refuse_deletion(o)
            try:
                values[key] = ([f"{key}={v}" for v in o.sweep_string_iterator()]
                               if o.is_sweep_override() else [o.input_line])
            except Exception as exc:  # noqa: BLE001 - e.g. glob() over a setting
                hint = ("; glob() chooses among the options of a config group (scenario, "
                        "experiment), not values of a setting"
                        if "glob" in (o.input_line or "") else "")
                detail = _clean(str(exc)).split(" full_key:")[0] or type(exc).__name__
                raise ConfigError(f"{o.input_line!r} cannot be expanded into values ({detail})"
                                  f"{hint}; allowed: a,b,c, range(start,stop[,step]) or "
                                  "choice(a,b), each on its own") from None
            if not values[key]:
                hint = (" (glob() chooses among the options of a config group: scenario, "
                        "experiment)" if "glob" in (o.input_line or "") else "")
                raise ConfigError(f"{o.input_line!r} gives no values to sweep{hint}; allowed: "
                                  "one or more values, e.g. trust.initial=0.1,0.5")
        first = [v[0] for v in values.values()]
        base_cfg = _compose_cfg(first)
        _check_interpolated(base_cfg, fixed)
        checked = [scenario_from_cfg(base_cfg)]
        try:
            base = OmegaConf.to_container(base_cfg, resolve=True, enum_to_str=True)
        except Exception as exc:  # noqa: BLE001
            raise ConfigError(_message(exc, first)) from None
        for i, vals in enumerate(values.values()):
            seen: set[str] = set()
            for j, v in enumerate(vals):
                if v in seen:
                    continue
                seen.add(v)
                o = parser.parse_override(v)  # type: ignore[arg-type]
                _check_raw_value(o, o.value())
                if j == 0:  # composed into the base already
                    continue
                data = _with_value(base, o)
                if data is not None:
                    checked.append(scenario_from_dict(_scenario_data(data)))
                    continue
                job_cfg = _compose_cfg(first[:i] + [v] + first[i + 1:])
                _check_interpolated(job_cfg, [o])
                checked.append(scenario_from_cfg(job_cfg))
        _check_output(cfg, multirun, checked, math.prod(len(v) for v in values.values()))
    finally:
        GlobalHydra.instance().clear()
    for scenario in checked:  # settings this design would silently ignore
        check_changes_take_effect(scenario, values)
    if values.get("ensemble"):  # every ensemble file named, on the first scenario's settings
        from netsim.ensemble import check_ensemble_overrides

        check_ensemble_overrides(values["ensemble"], checked[0], list(overrides))
    # a network file that cannot be parsed, or whose contents cannot make the run, must also
    # stop the command here (seed labels, thresholds, weights; netsim.usergraph)
    if any(sc.network.file or sc.adoption.rule.value != "trust_weighted" for sc in checked):
        from netsim.usergraph import check_networks  # SciPy: only when there is a graph to check

        check_networks(checked)
    return checked

"""Hydra integration: the structured-config schema and checking overrides before a run.

Only this module and :mod:`netsim.cli` import Hydra. The schema is :class:`netsim.config.Scenario`
registered as ``netsim_schema`` in Hydra's ConfigStore; ``configs/config.yaml`` extends it and
selects a preset from the ``scenario`` group (``configs/scenario/*.yaml``, package
``_global_``). :func:`check_overrides` composes the config for every value a command line asks
for and validates it, so a bad value stops the command before Hydra creates any folder.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing
from collections.abc import Sequence
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from netsim.config import ConfigError, Scenario, configs_dir, scenario_from_dict

__all__ = ["check_overrides", "register_configs", "scenario_from_cfg"]


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore (idempotent)."""
    ConfigStore.instance().store(name="netsim_schema", node=Scenario)


def scenario_from_cfg(cfg: DictConfig) -> Scenario:
    """Validated :class:`Scenario` from a composed Hydra config (the ``hydra`` node dropped)."""
    data: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)  # type: ignore[assignment]
    data.pop("hydra", None)
    return scenario_from_dict(data)


def _clean(message: str) -> str:
    lines = [ln for ln in str(message).splitlines()
             if ln.strip() and not ln.strip().startswith(("reference_type", "object_type"))]
    return " ".join(ln.strip() for ln in lines)


def _message(exc: BaseException, overrides: list[str]) -> str:
    """One clear line from a Hydra/OmegaConf error: the key, the value, what is allowed."""
    from netsim.config import list_presets

    text = _clean(str(exc))
    deepest = exc
    while deepest.__cause__ is not None:
        deepest = deepest.__cause__
    detail = _clean(str(deepest))
    if "Could not find 'scenario/" in text:
        name = text.split("Could not find 'scenario/", 1)[1].split("'", 1)[0]
        return (f"scenario = {name!r} is not a known preset; allowed: "
                + ", ".join(list_presets()))
    if text.startswith("Could not override '"):
        key = text.split("'", 2)[1]
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        node: Any = Scenario
        for part in parent.split(".") if parent else []:
            node = typing.get_type_hints(node).get(part) if dataclasses.is_dataclass(node) \
                else None
        allowed = (", ".join(f.name for f in dataclasses.fields(node))
                   if dataclasses.is_dataclass(node) else "see netsim/config.py")
        return f"unknown setting {key!r}; allowed keys{' in ' + parent if parent else ''}: {allowed}"
    if text.startswith("Error merging override"):
        line = text.removeprefix("Error merging override").strip()
        key, _, value = line.partition("=")
        detail = detail.split(" full_key:")[0]
        return f"{key} = {value!r} is not allowed: {detail}"
    return text


def _compose(overrides: list[str]) -> Scenario:
    try:
        cfg = compose(config_name="config", overrides=overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(_message(exc, overrides)) from None
    return scenario_from_cfg(cfg)


def check_overrides(overrides: Sequence[str], multirun: bool = False,
                    max_checks: int = 400) -> list[Scenario]:
    """Compose and validate the config for the given command-line overrides.

    For a multirun, every value of every sweep is checked (one key at a time, the other
    sweeps at their first value), up to ``max_checks`` compositions. A ``network.file`` is
    read once to check that it parses.

    Returns:
        The scenarios checked (for a single run, one).

    Raises:
        ConfigError: with Hydra's or netsim's message naming the key and value.
    """
    register_configs()
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(list(overrides))
    except HydraException as exc:
        raise ConfigError(_clean(str(exc))) from None
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(configs_dir()), version_base="1.3"):
        sweeps = [o for o in parsed if o.is_sweep_override()]
        if sweeps and not multirun:
            raise ConfigError(f"{sweeps[0].input_line!r} asks for several values; add -m "
                              "(multirun) to sweep, e.g. netsim run -m " + sweeps[0].input_line)
        fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
        values = {o.input_line: [f"{o.get_key_element()}={v}"
                                 for v in o.sweep_string_iterator()] for o in sweeps}
        first = [v[0] for v in values.values()]
        checked = [_compose(fixed + first)]
        for i, (_, vals) in enumerate(values.items()):
            for v in itertools.islice(vals[1:], max_checks):
                combo = first[:i] + [v] + first[i + 1:]
                checked.append(_compose(fixed + combo))
    GlobalHydra.instance().clear()
    # a network file that exists but cannot be parsed must also stop the command here
    from netsim.population import load_graph

    for path in sorted({sc.network.file for sc in checked if sc.network.file}):
        load_graph(path)
    return checked

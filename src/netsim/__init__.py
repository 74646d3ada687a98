"""netsim: agent-based simulation of learning networks of teachers, leaders and facilitators.

The public API works without Hydra, for notebooks and scripts::

    from netsim import load_scenario
    from netsim.runner import run_scenario
    result = run_scenario(load_scenario("resource_teacher_network"), replicates=5)
    result.summary          # one row per replicate (polars DataFrame)
    result.series           # weekly time series

See README.md and docs/ODD.md.

The names below are imported on first use (PEP 562), so ``import netsim`` and the command line
(``netsim status``, the parent process of a sweep, ...) do not pay for Mesa, SciPy and the model
until they need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsim.config import ConfigError, Scenario, list_presets, load_scenario, validate
    from netsim.model import LearningNetworkModel
    from netsim.state import Role, Stage

__all__ = [
    "ConfigError",
    "LearningNetworkModel",
    "Role",
    "Scenario",
    "Stage",
    "list_presets",
    "load_scenario",
    "validate",
]
__version__ = "0.1.0"
#: The model's version: bumped whenever a change to the mechanisms changes results. Recorded in
#: every run's provenance; results of different model versions are never mixed in one table.
MODEL_VERSION = 2

# public name -> the module that defines it
_LAZY: dict[str, str] = {
    "ConfigError": "netsim.config",
    "LearningNetworkModel": "netsim.model",
    "Role": "netsim.state",
    "Scenario": "netsim.config",
    "Stage": "netsim.state",
    "list_presets": "netsim.config",
    "load_scenario": "netsim.config",
    "validate": "netsim.config",
}
# submodules that an eager ``import netsim`` used to load, so ``netsim.model`` etc. still work
# after a bare ``import netsim``
_SUBMODULES = frozenset({"agents", "config", "mechanisms", "metrics", "model", "population",
                         "state"})


def __getattr__(name: str) -> Any:
    """Import a public name (or submodule) on first access and keep it in the package."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

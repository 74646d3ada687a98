"""netsim: agent-based simulation of learning networks of teachers, leaders and facilitators.

The public API works without Hydra, for notebooks and scripts::

    from netsim import load_scenario, run_scenario
    result = run_scenario(load_scenario("resource_teacher_network"), replicates=5)
    result.summary          # one row per replicate (polars DataFrame)
    result.series           # weekly time series

See README.md and docs/ODD.md.
"""

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

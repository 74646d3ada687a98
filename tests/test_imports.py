"""What importing netsim costs: the package and the command line load heavy libraries lazily.

Every process of a sweep (the ``netsim run -m`` parent and each worker) imports netsim; the
parent never simulates, so it must not pay for Mesa, SciPy, polars or matplotlib. Each check
runs in a fresh interpreter and reads ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import netsim

HEAVY = ("mesa", "scipy", "polars", "pyarrow", "matplotlib", "pandas", "networkx",
         "netsim.model", "netsim.runner", "netsim.state", "netsim.population")


def loaded_after(code: str, cwd: Path | None = None) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter; which of HEAVY (and hydra, numpy) it imported."""
    names = (*HEAVY, "hydra", "numpy")
    script = textwrap.dedent(code) + textwrap.dedent(f"""
        import json as _json, sys as _sys
        print(_json.dumps({{n: n in _sys.modules for n in {names!r}}}))
        """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600, check=False, cwd=cwd)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["netsim", "netsim.cli"])
def test_importing_the_package_or_the_cli_loads_no_heavy_library(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert [n for n, yes in loaded.items() if yes] == []


@pytest.mark.parametrize("module", ["netsim.app", "netsim.sweep", "netsim.results",
                                    "netsim.config"])
def test_the_sweep_parents_modules_load_no_simulation_library(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert [n for n in HEAVY if loaded[n]] == []


def test_public_names_load_on_first_use() -> None:
    loaded = loaded_after("from netsim import Scenario, load_scenario; load_scenario()")
    assert not loaded["mesa"] and not loaded["netsim.model"]
    loaded = loaded_after("from netsim import LearningNetworkModel")
    assert loaded["mesa"] and loaded["netsim.model"]


def test_public_api_is_unchanged() -> None:
    from netsim import config, model, state

    assert netsim.__all__ == ["ConfigError", "LearningNetworkModel", "Role", "Scenario", "Stage",
                              "list_presets", "load_scenario", "validate"]
    homes = {"LearningNetworkModel": model, "Role": state, "Stage": state}
    for name in netsim.__all__:
        assert getattr(netsim, name) is getattr(homes.get(name, config), name)
        assert name in dir(netsim)
    namespace: dict[str, object] = {}
    exec("from netsim import *", namespace)  # noqa: S102 - the star import users may write
    assert set(netsim.__all__) <= set(namespace)
    assert netsim.__version__ == "0.1.0"
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        netsim.no_such_name  # noqa: B018
    from netsim import metrics  # submodules still import as before

    assert metrics.__name__ == "netsim.metrics"


def test_submodules_an_eager_import_loaded_are_still_attributes_of_the_package() -> None:
    names = ("agents", "config", "mechanisms", "metrics", "model", "population", "state")
    loaded = loaded_after(f"""
        import importlib, netsim
        for name in {names!r}:
            assert getattr(netsim, name) is importlib.import_module("netsim." + name), name
        """)
    assert loaded["netsim.model"] and loaded["mesa"]


@pytest.mark.slow
def test_a_parallel_sweeps_parent_process_does_not_load_the_model(tmp_path: Path) -> None:
    loaded = loaded_after(f"""
        from netsim.cli import main
        code = main(["run", "-m", "leader_participation=0,1", "calendar.years=0.25",
                     "replicates=1", "network.n_schools=8", "hydra/launcher=joblib",
                     "hydra.launcher.n_jobs=2", "hydra.sweep.dir={tmp_path / 'sweep'}"])
        assert code == 0, code
        """, cwd=tmp_path)
    assert (tmp_path / "sweep" / "1" / "summary.parquet").is_file()
    assert [n for n in HEAVY if loaded[n]] == []

"""Cluster launchers without a cluster: the up-front checks refuse an unreachable engine in one
line (exit 2, nothing written), Hydra finds netsim's three launcher plugins, and a job records
its SLURM job id. The sweeps on real engines are in test_cluster_engines.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from netsim.cli import main
from netsim.engines import job_engine_info

FIXTURES = Path(__file__).parent / "fixtures"


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line(err: str, *words: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.mark.parametrize(("launcher", "address", "words"), [
    ("ray", "127.0.0.1:{port}", ["hydra.launcher.address", "no Ray cluster answers",
                                 "ray start --head"]),
    ("dask", "tcp://127.0.0.1:{port}", ["hydra.launcher.address", "no Dask scheduler answers",
                                        "dask scheduler"]),
])
def test_an_unreachable_cluster_address_is_refused_up_front(
        launcher: str, address: str, words: list[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip(launcher if launcher == "ray" else "distributed")
    monkeypatch.chdir(tmp_path)
    where = address.format(port=closed_port())
    assert main(["run", "-m", "leader_participation=0,1", f"hydra/launcher={launcher}",
                 f"hydra.launcher.address={where}"]) == 2
    one_line(capsys.readouterr().err, where, *words)
    assert list(tmp_path.iterdir()) == []  # no sweep folder


def test_ray_auto_without_a_running_cluster_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ray")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path / "no-ray-here"))
    assert main(["run", "-m", "leader_participation=0,1", "hydra/launcher=ray",
                 "hydra.launcher.address=auto"]) == 2
    one_line(capsys.readouterr().err, "'auto'", "no running Ray cluster")


def test_slurm_without_a_reachable_controller_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """SLURM's client programs present but no controller (or no SLURM at all): one line."""
    conf = (FIXTURES / "slurm" / "slurm.conf").read_text()
    for name, value in {"DIR": str(tmp_path), "HOST": socket.gethostname().split(".")[0],
                        "CPUS": "1", "CTLD_PORT": str(closed_port()),
                        "SLURMD_PORT": str(closed_port()),
                        "MUNGE_SOCKET": str(tmp_path / "none.sock")}.items():
        conf = conf.replace(f"@{name}@", value)
    (tmp_path / "slurm.conf").write_text(conf)
    monkeypatch.setenv("SLURM_CONF", str(tmp_path / "slurm.conf"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", "-m", "leader_participation=0,1", "hydra/launcher=slurm"]) == 2
    line = one_line(capsys.readouterr().err, "hydra/launcher=slurm")
    assert "cannot reach the SLURM controller" in line or "no `sbatch`" in line
    assert list(work.iterdir()) == []


def test_hydra_finds_netsims_three_launchers() -> None:
    """The plugin modules pass Hydra's plugin scan (no ``from __future__ import annotations``
    in them) and each preset names a class Hydra knows."""
    import yaml
    from hydra.core.plugins import Plugins
    from hydra.plugins.launcher import Launcher

    known = {f"{c.__module__}.{c.__name__}" for c in Plugins.instance().discover(Launcher)}
    for name in ("slurm", "ray", "dask"):
        preset = Path(__file__).parents[1] / "configs" / "hydra" / "launcher" / f"{name}.yaml"
        target = yaml.safe_load(preset.read_text())["_target_"]
        assert target in known, (target, sorted(known))
    plugins = Path(__file__).parents[1] / "src" / "hydra_plugins" / "netsim_launchers"
    for module in plugins.glob("*.py"):
        assert "\nfrom __future__ import" not in module.read_text(), module


def test_a_slurm_job_records_its_array_job_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "1207")
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "1200")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "7")
    monkeypatch.setenv("SLURM_CLUSTER_NAME", "hpc")
    assert job_engine_info() == {"engine": "slurm", "job_id": "1200_7", "cluster": "hpc"}
    monkeypatch.delenv("SLURM_ARRAY_JOB_ID")
    assert job_engine_info()["job_id"] == "1207"  # a plain (non-array) job
    monkeypatch.delenv("SLURM_JOB_ID")
    assert job_engine_info() == {}

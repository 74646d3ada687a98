"""Results of different model versions are never mixed in one table (issue 10, section 3).

Every job's ``provenance.json`` records ``model_version`` (``netsim.MODEL_VERSION``);
``netsim collect`` and ``netsim compare`` refuse a sweep whose finished jobs differ in it, with
one line that names the versions and the jobs of each.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from netsim import MODEL_VERSION, load_scenario
from netsim.cli import main
from netsim.results import write_run
from netsim.runner import run_scenario
from netsim.sweep import ModelVersionError, check_model_versions, collect

SMALL = {"network.n_schools": 3, "network.teachers_per_school": 5, "calendar.years": 0.25,
         "practices.local_schools": 1}


@pytest.fixture(scope="module")
def one_version_sweep(tmp_path_factory):
    """A three-arm sweep folder laid out as `netsim run -m` writes it, one model version."""
    root = tmp_path_factory.mktemp("sweep")
    for job, value in enumerate((0.0, 0.5, 1.0)):
        sc = load_scenario("resource_teacher_network", {**SMALL, "leader_participation": value})
        folder = root / str(job)
        write_run(folder, run_scenario(sc, replicates=2),
                  overrides=[f"leader_participation={value}"])
        (folder / ".hydra").mkdir()
        (folder / ".hydra" / "overrides.yaml").write_text(
            yaml.safe_dump([f"leader_participation={value}"]))
    return root


def _set_version(folder, version):
    path = folder / "provenance.json"
    prov = json.loads(path.read_text())
    if version is None:
        prov.pop("model_version")
    else:
        prov["model_version"] = version
    path.write_text(json.dumps(prov))


def test_provenance_records_the_model_version(one_version_sweep):
    prov = json.loads((one_version_sweep / "0" / "provenance.json").read_text())
    assert prov["model_version"] == MODEL_VERSION


def test_one_version_collects(one_version_sweep, tmp_path):
    sweep = shutil.copytree(one_version_sweep, tmp_path / "s")
    summary, _ = collect(sweep)
    assert summary["job"].n_unique() == 3


def test_collect_refuses_mixed_versions_naming_the_jobs(one_version_sweep, tmp_path, capsys):
    sweep = shutil.copytree(one_version_sweep, tmp_path / "s")
    _set_version(sweep / "2", MODEL_VERSION + 1)
    assert main(["collect", str(sweep)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"model_version {MODEL_VERSION}: job(s) 0-1" in err
    assert f"model_version {MODEL_VERSION + 1}: job(s) 2" in err
    assert not (sweep / "collected").exists()  # nothing half-written


def test_compare_refuses_mixed_versions_even_with_a_current_collected_table(
        one_version_sweep, tmp_path, capsys):
    sweep = shutil.copytree(one_version_sweep, tmp_path / "s")
    collect(sweep)  # a table collected before the jobs' versions diverged
    _set_version(sweep / "0", None)
    (sweep / "collected" / "summary.parquet").touch()  # still counts as current
    code = main(["compare", str(sweep), "--baseline", "leader_participation=0.0",
                 "--out", str(tmp_path / "report")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "model_version unrecorded: job(s) 0" in err
    assert f"model_version {MODEL_VERSION}: job(s) 1-2" in err
    assert not (tmp_path / "report").exists()


def test_check_model_versions_lists_ranges():
    provs = [{"model_version": v} for v in (1, 1, 2, 1, 2, 2)]
    with pytest.raises(ModelVersionError, match=r"model_version 1: job\(s\) 0-1, 3; "
                                                r"model_version 2: job\(s\) 2, 4-5"):
        check_model_versions(range(6), provs, "x")
    check_model_versions(range(3), [{"model_version": 2}] * 3)  # one version: no error

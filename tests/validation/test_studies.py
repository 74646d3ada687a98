"""Study tables and figures from a sweep folder (netsim.validation.studies)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import yaml

from netsim import load_scenario
from netsim.cli import main
from netsim.results import write_run
from netsim.runner import run_scenario
from netsim.validation.studies import STUDIES, StudyError, load_sweep, make_study

SMALL = {"network.n_schools": 4, "network.teachers_per_school": 6, "calendar.years": 1.0,
         "practices.local_schools": 2}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A two-arm sweep folder laid out as `netsim run -m` writes it."""
    root = tmp_path_factory.mktemp("sweep")
    for job, value in enumerate((0.0, 1.0)):
        sc = load_scenario("resource_teacher_network", {**SMALL, "leader_participation": value})
        folder = root / str(job)
        write_run(folder, run_scenario(sc, replicates=3))
        (folder / ".hydra").mkdir()
        (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(
            [f"leader_participation={value}", "+experiment=fact_1_leader", "replicates=3"]))
    return root


def test_load_sweep_finds_the_swept_key_and_derived_outcomes(sweep):
    summary, series, swept = load_sweep(sweep)
    assert swept == ["leader_participation"]
    assert summary.height == 6 and sorted(summary["leader_participation"].unique()) == [0.0, 1.0]
    share = summary["dev_time_share"].to_numpy()
    assert np.all((share >= 0) & (share <= 1))
    total = summary["cocreated_versions"] + summary["individual_versions"]
    assert np.allclose(total.to_numpy(), summary["new_versions_total"].to_numpy())
    assert series["arm"].n_unique() == 2


def test_make_study_writes_small_table_and_figure_with_paired_differences(sweep, tmp_path):
    paths = make_study("fact_1_leader", sweep, tmp_path)
    assert [p.name for p in paths] == ["summary.csv", "summary.md", "figure.png"]
    assert (tmp_path / "figure.png").stat().st_size < 150_000
    table = pl.read_csv(tmp_path / "summary.csv")
    ref = table.filter(pl.col("arm") == "leader_participation=0.0")
    assert (ref["diff"] == 0).all()
    summary, _, _ = load_sweep(sweep)
    col = "schools_changed"
    a = summary.filter(pl.col("leader_participation") == 0.0).sort("replicate")[col].to_numpy()
    b = summary.filter(pl.col("leader_participation") == 1.0).sort("replicate")[col].to_numpy()
    row = table.filter((pl.col("arm") == "leader_participation=1.0") & (pl.col("outcome") == col))
    assert row["diff"][0] == pytest.approx((b - a).mean(), abs=1e-4)
    assert "| leader_participation=1.0 | 3 |" in (tmp_path / "summary.md").read_text()


def test_every_study_has_a_committed_experiment_config():
    from netsim.config import configs_dir

    for study in STUDIES.values():
        assert (configs_dir() / "experiment" / f"{study.config}.yaml").is_file(), study.config


def test_unknown_study_and_empty_folder_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(StudyError, match="allowed: fact_1_leader"):
        make_study("nope", tmp_path)
    assert main(["validate", "--study", "fact_1_leader", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "has no finished job" in err and "Traceback" not in err


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_experiment_config_composes_for_every_swept_value(study):
    from netsim.app import check_overrides
    from netsim.config import configs_dir

    config = STUDIES[study].config
    data = yaml.safe_load((configs_dir() / "experiment" / f"{config}.yaml").read_text())
    params = data["hydra"]["sweeper"]["params"]
    assert data["hydra"]["sweep"]["dir"] == f"multirun/{config}"
    sweeps = [f"{key}={values}" for key, values in params.items()]
    scenarios = check_overrides([f"+experiment={config}", *sweeps], multirun=True)
    n_values = sum(len(str(v).split(",")) for v in params.values())
    assert len(scenarios) == 1 + n_values - len(params)
    assert all(s.replicates >= 20 for s in scenarios)


def test_make_study_rewrites_readme_result_keeping_the_head(sweep, tmp_path):
    from netsim import MODEL_VERSION

    (tmp_path / "README.md").write_text("# fact_1_leader: head\n\n**Question.** kept?\n\n"
                                        "## Result\n\nstale text\n\n## Reading\n\nold\n")
    make_study("fact_1_leader", sweep, tmp_path)
    text = (tmp_path / "README.md").read_text()
    assert text.startswith("# fact_1_leader: head\n\n**Question.** kept?\n")
    assert "stale text" not in text and "old" not in text.split("## Result")[1]
    assert f"model version {MODEL_VERSION}" in text and "extrapolation" in text
    assert "| leader_participation=1.0 |" in text and "diff " in text


def test_load_sweep_refuses_mixed_model_versions(sweep, tmp_path):
    import json
    import shutil

    copy = shutil.copytree(sweep, tmp_path / "mixed")
    prov = json.loads((copy / "1" / "provenance.json").read_text())
    prov["model_version"] = -1
    (copy / "1" / "provenance.json").write_text(json.dumps(prov))
    with pytest.raises(StudyError, match=r"model_version -1: job\(s\) 1"):
        load_sweep(copy)

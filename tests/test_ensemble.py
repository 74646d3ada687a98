"""Runs on an ensemble of plausible worlds (netsim.ensemble): the member draws, `netsim run
ensemble=FILE`, sweeps, `netsim compare` over them, and the refusal of bad ensemble files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netsim import MODEL_VERSION
from netsim.cli import main
from netsim.config import load_scenario
from netsim.ensemble import (
    MEMBER_COLUMN,
    draw_members,
    load_ensemble,
    run_on_ensemble,
    write_ensemble,
)
from netsim.runner import run_replicate

SMALL = ["network.n_schools=4", "network.teachers_per_school=8", "calendar.years=0.3"]
SMALL_DICT = {"network.n_schools": 4, "network.teachers_per_school": 8, "calendar.years": 0.3}
PARAMS = ["trial.trial_rate", "motivation.staff_initial"]


def _ensemble(path: Path, weights=(0.2, 0.3, 0.5), rates=(0.03, 0.1, 0.2)) -> Path:
    members = pl.DataFrame({"member": list(range(len(weights))), "weight": list(weights),
                            "trial.trial_rate": list(rates),
                            "motivation.staff_initial": [0.3, 0.5, 0.7][:len(weights)]})
    return write_ensemble(path, members, PARAMS, {"command": "test"})


# --------------------------------------------------------------------------------------------
# the draws


def test_members_are_drawn_in_proportion_to_their_weights():
    w = np.array([0.1, 0.0, 0.6, 0.3])
    rows = draw_members(w, 20261123, range(4000))
    share = np.bincount(rows, minlength=4) / rows.size
    # binomial standard error <= 0.008 at n = 4000: 4 se
    assert np.abs(share - w).max() < 0.032
    assert share[1] == 0  # a member without weight is never drawn


def test_the_draw_of_a_replicate_depends_on_seed_and_replicate_only():
    w = [0.25, 0.25, 0.5]
    first = draw_members(w, 7, range(10))
    assert np.array_equal(draw_members(w, 7, range(30))[:10], first)  # more replicates
    assert np.array_equal(draw_members(w, 7, [3, 4]), first[3:5])  # any subset
    assert not np.array_equal(draw_members(w, 8, range(30)), draw_members(w, 7, range(30)))


def test_each_replicate_runs_its_members_parameters_bit_for_bit(tmp_path):
    ens = load_ensemble(_ensemble(tmp_path / "e.parquet"))
    scenario = load_scenario(overrides={**SMALL_DICT, "replicates": 4})
    result, record = run_on_ensemble(scenario, ens)
    rows = draw_members(ens.weights, scenario.seed, range(4))
    assert result.summary[MEMBER_COLUMN].to_list() == rows.tolist()
    assert record["member_of_replicate"] == {str(r): int(m) for r, m in enumerate(rows)}
    assert record["digest"] == ens.digest and record["members"] == 3
    for r, m in enumerate(rows):
        member = load_scenario(overrides={**SMALL_DICT, **ens.settings(int(m))})
        alone, _ = run_replicate(member, r)
        got = result.summary.filter(pl.col("replicate") == r).row(0, named=True)
        for key in ("adoption_colleagues", "person_hours", "trust_members"):
            assert got[key] == alone[key], (r, key)
    # the recorded scenario is the base: the arm, not a member
    assert result.scenario.trial.trial_rate == scenario.trial.trial_rate


def test_a_setting_on_the_command_line_wins_over_the_members(tmp_path):
    ens = load_ensemble(_ensemble(tmp_path / "e.parquet"))
    scenario = load_scenario(overrides={**SMALL_DICT, "replicates": 2,
                                        "trial.trial_rate": 0.15})
    result, record = run_on_ensemble(scenario, ens, ["trial.trial_rate=0.15"])
    assert record["set_on_the_command_line"] == ["trial.trial_rate"]
    m = int(draw_members(ens.weights, scenario.seed, [0])[0])
    member = load_scenario(overrides={**SMALL_DICT, "trial.trial_rate": 0.15,
                                      "motivation.staff_initial": [0.3, 0.5, 0.7][m]})
    alone, _ = run_replicate(member, 0)
    assert result.summary.row(0, named=True)["person_hours"] == alone["person_hours"]


# --------------------------------------------------------------------------------------------
# netsim run ensemble=FILE


def test_netsim_run_on_an_ensemble_records_the_members(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = _ensemble(tmp_path / "e.parquet")
    assert main(["run", f"ensemble={path}", "replicates=5", *SMALL,
                 "hydra.run.dir=out"]) == 0
    printed = capsys.readouterr().out
    assert "Plausible worlds: each of the 5 replicates ran on a member" in printed
    summary = pl.read_parquet(tmp_path / "out" / "summary.parquet")
    ens = load_ensemble(path)
    expected = draw_members(ens.weights, load_scenario().seed, range(5)).tolist()
    assert summary[MEMBER_COLUMN].to_list() == expected
    prov = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert prov["ensemble"]["file"] == str(path.resolve())
    assert prov["ensemble"]["digest"] == ens.digest
    assert "ensemble=" + str(path) in prov["overrides"]
    assert "## Plausible worlds" in (tmp_path / "out" / "report.md").read_text()
    # the same command gives the same members and the same outcomes
    assert main(["run", f"ensemble={path}", "replicates=5", *SMALL,
                 "hydra.run.dir=again"]) == 0
    again = pl.read_parquet(tmp_path / "again" / "summary.parquet")
    assert again.equals(summary)


def _write_raw(path: Path, table: pa.Table, meta: dict | None) -> Path:
    if meta is not None:
        table = table.replace_schema_metadata({b"netsim_ensemble": json.dumps(meta).encode()})
    pq.write_table(table, path)
    return path


def _bad(tmp_path: Path, kind: str) -> Path:
    good = {"member": [0, 1], "weight": [0.5, 0.5], "trial.trial_rate": [0.05, 0.1]}
    meta = {"model_version": MODEL_VERSION, "parameters": ["trial.trial_rate"]}
    path = tmp_path / f"{kind}.parquet"
    if kind == "missing":
        return path
    if kind == "folder":
        path.mkdir()
        return path
    if kind == "text":
        path.write_text("member,weight\n0,1\n")
        return path
    if kind == "plain":  # a Parquet table, not written by netsim
        return _write_raw(path, pa.table(good), None)
    if kind == "version":
        return _write_raw(path, pa.table(good), {**meta, "model_version": MODEL_VERSION - 1})
    if kind == "unknown":
        return _write_raw(path, pa.table({**good, "trial.nonsense": [0.1, 0.2]}),
                          {**meta, "parameters": ["trial.nonsense"]})
    if kind == "bounds":
        return _write_raw(path, pa.table({**good, "trial.trial_rate": [0.05, 7.0]}), meta)
    if kind == "fraction":
        return _write_raw(path, pa.table({**good, "meeting_interval_weeks": [3.0, 4.5]}),
                          {**meta, "parameters": ["meeting_interval_weeks"]})
    if kind == "odd":  # collegial_degree takes even values only (step 2)
        return _write_raw(path, pa.table({**good, "network.collegial_degree": [6, 5]}),
                          {**meta, "parameters": ["network.collegial_degree"]})
    if kind == "weights":
        return _write_raw(path, pa.table({**good, "weight": [0.5, -0.1]}), meta)
    raise AssertionError(kind)


BAD = {
    "missing": "cannot be read (no such file)",
    "folder": "is a folder",
    "text": "is not a Parquet file",
    "plain": "is not a netsim ensemble",
    "version": f"but this is model version {MODEL_VERSION}",
    "unknown": "unknown parameter 'trial.nonsense'",
    "bounds": "member 1: trial.trial_rate = 7.0",
    "fraction": "meeting_interval_weeks = 4.5 is not a whole number",
    "weights": "weights must be finite, >= 0",
    "odd": "member 1: network.collegial_degree = 5.0 is not a multiple of 2",
}


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("sweep", [False, True])
def test_a_bad_ensemble_stops_with_one_line_and_nothing_written(tmp_path, monkeypatch, capsys,
                                                                kind, sweep):
    monkeypatch.chdir(tmp_path)
    path = _bad(tmp_path, kind)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = ["run", *(["-m", "leader_participation=0.2,1.0"] if sweep else []),
            f"ensemble={path}", "replicates=2", *SMALL]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("netsim: error: ensemble = ")
    assert BAD[kind] in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no outputs/, no multirun/


def test_an_analysis_command_refuses_ensemble_as_a_setting(tmp_path, capsys):
    path = _ensemble(tmp_path / "e.parquet")
    out = tmp_path / "sens"
    assert main(["sensitivity", "--method", "morris", "--trajectories", "2", "--out", str(out),
                 f"ensemble={path}", *SMALL]) == 2
    err = capsys.readouterr().err
    assert "netsim robust takes --ensemble FILE" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# sweeps and netsim compare over an ensemble made by netsim calibrate


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Path:
    """A tiny ensemble made by `netsim calibrate` itself."""
    folder = tmp_path_factory.mktemp("cal")
    targets = folder / "t.yaml"
    targets.write_text(json.dumps({"targets": [
        {"name": "members", "statistic": "mean", "outcome": "adoption_members",
         "accept": [0.2, 1.0]}]}))
    assert main(["calibrate", "--targets", str(targets), "--params", ",".join(PARAMS),
                 "--particles", "6", "--generations", "1", "--initial-factor", "2",
                 "--replicates", "1", "--out", str(folder / "cal"), *SMALL]) == 0
    return folder / "cal" / "ensemble.parquet"


@pytest.mark.slow
def test_a_sweep_and_compare_over_a_calibrated_ensemble(calibrated, tmp_path, monkeypatch,
                                                        capsys):
    monkeypatch.chdir(tmp_path)
    ens = load_ensemble(calibrated)
    assert ens.parameters == PARAMS and ens.members.height >= 2
    sweep = ["run", "-m", "leader_participation=0.0,1.0", f"ensemble={calibrated}",
             "replicates=8", *SMALL, "hydra.sweep.dir=multirun/lp"]
    assert main(sweep) == 0
    jobs = [pl.read_parquet(tmp_path / "multirun" / "lp" / str(j) / "summary.parquet")
            for j in (0, 1)]
    expected = ens.member_ids[draw_members(ens.weights, load_scenario().seed, range(8))]
    for job in jobs:  # replicate r of both arms ran on the same member
        assert job[MEMBER_COLUMN].to_list() == expected.tolist()
    capsys.readouterr()
    assert main(["compare", "multirun/lp", "--baseline", "leader_participation=0.0",
                 "--outcomes", "adoption_colleagues", "--out", "cmp"]) == 0
    printed = capsys.readouterr().out
    assert "Plausible worlds: the runs drew their parameters from the ensemble" in printed
    table = pl.read_parquet(tmp_path / "cmp" / "comparison.parquet")
    arm = table.filter((pl.col("outcome") == "adoption_colleagues") & ~pl.col("is_baseline"))
    assert arm["method"].to_list() == ["paired"]
    # the paired difference is the mean of the per-replicate differences of the two jobs
    d = (jobs[1]["adoption_colleagues"] - jobs[0]["adoption_colleagues"]).to_numpy() * 100
    assert arm["diff"][0] == pytest.approx(d.mean(), rel=1e-12)
    report = (tmp_path / "cmp" / "report.md").read_text()
    assert report.index("**Across plausible worlds.**") < report.index("## Arms")
    # a re-run skips both jobs; a changed ensemble file at the same path runs them again
    assert main(sweep) == 0
    assert ": 0 run, 2 skipped" in capsys.readouterr().out
    members = ens.members.with_columns(pl.col("weight").reverse())
    write_ensemble(calibrated, members, ens.parameters, {})
    assert main(sweep) == 0
    assert ": 2 run, 0 skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_arms_on_different_worlds_are_not_paired(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = _ensemble(tmp_path / "e.parquet")
    assert main(["run", "-m", f"ensemble={path},null", "replicates=4", *SMALL,
                 "hydra.sweep.dir=multirun/mixed"]) == 0
    capsys.readouterr()
    assert main(["compare", "multirun/mixed", "--baseline", "ensemble=null",
                 "--outcomes", "adoption_colleagues", "--out", "cmp"]) == 0
    printed = capsys.readouterr().out
    assert "ran on other ensemble members than the baseline's" in printed
    table = pl.read_parquet(tmp_path / "cmp" / "comparison.parquet")
    arm = table.filter((pl.col("outcome") == "adoption_colleagues") & ~pl.col("is_baseline"))
    assert arm["method"].to_list() == ["welch"]

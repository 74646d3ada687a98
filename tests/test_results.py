"""Results store: Parquet round trip, provenance, atomic writes."""

from __future__ import annotations

import json

import pytest
from conftest import make_scenario

from netsim.config import scenario_from_dict
from netsim.results import (
    PROVENANCE_FILE,
    SERIES_FILE,
    SUMMARY_FILE,
    atomic_write,
    read_run,
    write_run,
)
from netsim.runner import point_key, run_scenario


@pytest.fixture(scope="module")
def result():
    return run_scenario(make_scenario(replicates=2, calendar__years=0.25, seed=11))


def test_write_and_read_round_trip(tmp_path, result):
    folder = write_run(tmp_path / "run", result, command="netsim run")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [SUMMARY_FILE, SERIES_FILE, PROVENANCE_FILE])
    summary, series, prov = read_run(folder)
    assert summary.equals(result.summary) and series.equals(result.series)
    assert prov["command"] == "netsim run"
    assert scenario_from_dict(prov["scenario"]) == result.scenario
    assert prov["seed"]["base_seed"] == 11 and prov["seed"]["replicates"] == [0, 1]
    assert prov["seed"]["point_key"] == point_key(result.scenario)
    assert prov["seed"]["stream"] == 0  # common random numbers by default
    assert prov["packages"]["numpy"] and prov["python"].startswith("3.")


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("old")

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary left behind
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps({"a": 1})))
    assert json.loads(path.read_text()) == {"a": 1}

"""Design rows through the sweep machinery (netsim.designs): progress lines go to the caller's
callback, in the launching process and in launcher workers, and the library prints nothing."""

from __future__ import annotations

import polars as pl
import pytest

from netsim import cli
from netsim.designs import run_design

SMALL = ["network.n_schools=4", "network.teachers_per_school=8", "calendar.years=0.2",
         "replicates=1"]


def _design() -> pl.DataFrame:
    return pl.DataFrame({"row": [0, 1], "trial.trial_rate": [0.05, 0.15]})


def test_progress_lines_go_to_the_callback_and_nothing_is_printed(tmp_path, capsys):
    lines: list[str] = []
    res = run_design(tmp_path / "d", _design(), SMALL, batch_rows=1, progress=lines.append)
    assert res.outcomes.height == 2 and not res.missing_rows
    jobs = [ln for ln in lines if ln.startswith("[")]
    assert sorted(ln[:5] for ln in jobs) == ["[1/2]", "[2/2]"]
    assert lines[-1].startswith(f"sweep {(tmp_path / 'd' / 'runs').resolve()}: 2 of 2 jobs")
    out = capsys.readouterr().out
    assert "[1/2]" not in out and "2 of 2 jobs" not in out
    # without a callback: no lines at all; the finished jobs are reused
    again = run_design(tmp_path / "d", _design(), SMALL, batch_rows=1)
    assert again.outcomes.equals(res.outcomes)
    out = capsys.readouterr().out
    assert "[1/2]" not in out and "skipped" not in out


@pytest.mark.slow
def test_progress_callback_reaches_joblib_workers(tmp_path, capfd):
    res = run_design(tmp_path / "d", _design(),
                     [*SMALL, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
                     batch_rows=1, progress=cli._print_progress)
    assert res.outcomes.height == 2
    out = capfd.readouterr().out
    assert "[1/2]" in out and "[2/2]" in out  # printed by the workers, through the callback
    assert "2 of 2 jobs" in out  # and the session's summary, by the launching process

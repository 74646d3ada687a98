"""The notebooks in notebooks/ run top to bottom at the small test size and show their figures."""

from __future__ import annotations

from pathlib import Path

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# notebook -> least number of figures it must show
FIGURES = {"01_explore_a_network.ipynb": 6, "02_compare_designs.ipynb": 1,
           "03_analyse_a_sweep.ipynb": 2}


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def _text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for o in _outputs(nb):
        if o.get("output_type") == "stream":
            parts.append(o["text"])
        elif "data" in o and "text/plain" in o["data"]:
            parts.append(o["data"]["text/plain"])
    return "\n".join(parts)


def test_every_notebook_is_listed_and_committed_without_outputs():
    found = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == sorted(FIGURES)
    for name in found:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), name


def _execute(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    monkeypatch.setenv("NETSIM_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where notebook 03 writes its sweep
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [o for o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert len(images) >= FIGURES[name]
    assert not [o for o in _outputs(nb) if o.get("output_type") == "error"]
    return nb


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_explore_a_network_notebook(tmp_path, monkeypatch):
    nb = _execute("01_explore_a_network.ipynb", tmp_path, monkeypatch)
    text = _text(nb)
    assert "quick test size" in text
    # the three what-if answers, each with a paired interval
    assert text.count("percentage points (95 % interval") == 3
    # the explorer renders as a widget inside the notebook
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in _outputs(nb))


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_compare_designs_notebook(tmp_path, monkeypatch):
    nb = _execute("02_compare_designs.ipynb", tmp_path, monkeypatch)
    text = _text(nb)
    for design in ("leaders not invited", "gatherings every 3 weeks", "meeting groups"):
        assert f"* {design}:" in text  # the conclusion in words, one line per design


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_analyse_a_sweep_notebook(tmp_path, monkeypatch):
    nb = _execute("03_analyse_a_sweep.ipynb", tmp_path, monkeypatch)
    table = pl.read_parquet(tmp_path / "netsim-notebook-sweep" / "collected" / "summary.parquet")
    assert table.columns[:6] == ["job", "arm", "point_key", "replicate", "leader_participation",
                                 "meeting_interval_weeks"]
    # 3 x 3 grid, 3 replicates each; replicate numbers repeat across points (paired design)
    assert table["job"].n_unique() == 9 and table.height == 27
    assert table["point_key"].n_unique() == 9
    assert sorted(table["replicate"].unique().to_list()) == [0, 1, 2]
    assert "48 runs (N = 8, D = 4)" in _text(nb)

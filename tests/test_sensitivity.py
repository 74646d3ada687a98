"""Sensitivity analysis: the estimators on functions with known indices, and the command.

Known answers: the Ishigami function's analytic Sobol indices (Ishigami & Homma 1990; Saltelli
et al. 2008, Primer §4.4), and a linear function whose elementary effects are its
coefficients exactly.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from netsim.cli import main
from netsim.params import Parameter, ParameterSpace
from netsim.sensitivity import morris_design, morris_indices, sobol_design, sobol_indices

A, B = 7.0, 0.1


def _space(names, bounds, kinds=None):
    kinds = kinds or ["float"] * len(names)
    params = tuple(Parameter(key=n, kind=k, default=0.0, lo=None, hi=None, plausible=b,
                             plausible_why="test", source="test", doc=n)
                   for n, b, k in zip(names, bounds, kinds))
    return ParameterSpace(params, tuple(tuple(b) for b in bounds))


def ishigami(x):
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices():
    v = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    vt3 = 8 * B**2 * math.pi**8 / 225
    s1 = np.array([v1 / v, v2 / v, 0.0])
    st = np.array([(v1 + vt3) / v, v2 / v, vt3 / v])
    return s1, st


ISHIGAMI = _space(["x1", "x2", "x3"], [(-math.pi, math.pi)] * 3)


def test_sobol_indices_match_ishigami_analytic_values():
    x = sobol_design(ISHIGAMI, 4096, seed=1)
    assert x.shape == (4096 * 5, 3)
    res = sobol_indices(ISHIGAMI, ishigami(x), seed=1, n_boot=200)
    t = {r["parameter"]: r for r in res.table.iter_rows(named=True)}
    s1, st = ishigami_indices()  # S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    for i, name in enumerate(["x1", "x2", "x3"]):
        assert t[name]["S1"] == pytest.approx(s1[i], abs=0.03)
        assert t[name]["ST"] == pytest.approx(st[i], abs=0.03)
        # the 95 % bootstrap interval is narrow at this N and covers the truth within 0.03
        assert t[name]["ST_conf"] < 0.05
        assert abs(t[name]["ST"] - st[i]) < t[name]["ST_conf"] + 0.02


def test_sobol_convergence_narrows_with_n_and_ends_at_the_full_estimate():
    x = sobol_design(ISHIGAMI, 1024, seed=2)
    res = sobol_indices(ISHIGAMI, ishigami(x), seed=2, n_boot=200)
    conv = res.convergence
    assert sorted(conv["n"].unique().to_list()) == [128, 256, 512, 1024]
    full = conv.filter(pl.col("n") == 1024).sort("parameter")
    assert np.allclose(full["ST"], res.table.sort("parameter")["ST"])
    width = conv.group_by("n").agg(pl.col("ST_conf").mean()).sort("n")["ST_conf"].to_numpy()
    assert width[-1] < width[0]


def test_sobol_n_must_be_a_power_of_two():
    from netsim.config import ConfigError

    with pytest.raises(ConfigError, match="power of two"):
        sobol_design(ISHIGAMI, 100, seed=0)


def test_morris_on_a_linear_function_gives_its_coefficients_exactly():
    space = _space(["a", "b", "c"], [(0, 1), (0, 2), (10, 20)])
    coef = np.array([3.0, -1.0, 0.0])
    x = morris_design(space, 20, seed=3)
    y = x @ coef
    res = morris_indices(space, x, y, n_boot=100, seed=3)
    t = {r["parameter"]: r for r in res.table.iter_rows(named=True)}
    # EE in outcome units per full range: coefficient x range width
    assert t["a"]["mu_star"] == pytest.approx(3.0, abs=1e-9)
    assert t["b"]["mu_star"] == pytest.approx(2.0, abs=1e-9)
    assert t["b"]["mu"] == pytest.approx(-2.0, abs=1e-9)
    assert t["c"]["mu_star"] == pytest.approx(0.0, abs=1e-9)
    for name in "abc":
        assert t[name]["sigma"] == pytest.approx(0.0, abs=1e-9)
    assert res.table["parameter"].to_list()[:2] == ["a", "b"]


def test_morris_on_ishigami_agrees_with_salib_and_ranks_as_known():
    from SALib.analyze import morris as salib_morris

    x = morris_design(ISHIGAMI, 200, seed=4)
    y = ishigami(x)
    res = morris_indices(ISHIGAMI, x, y, n_boot=200, seed=4)
    ref = salib_morris.analyze(ISHIGAMI.problem(), x, y, num_levels=4, seed=4)
    t = {r["parameter"]: r for r in res.table.iter_rows(named=True)}
    for i, name in enumerate(["x1", "x2", "x3"]):  # both: effects per full range
        assert t[name]["mu_star"] == pytest.approx(ref["mu_star"][i], rel=1e-9)
        assert t[name]["sigma"] == pytest.approx(ref["sigma"][i], rel=1e-9)
        assert t[name]["mu_star_lo"] <= t[name]["mu_star"] <= t[name]["mu_star_hi"]
    # x3 acts only through its interaction with x1: no mean effect, a large spread
    assert abs(t["x3"]["mu"]) < 0.25 * t["x3"]["mu_star"]
    assert t["x3"]["sigma"] > t["x3"]["mu_star"]
    # x2 enters additively through sin^2: on the symmetric grid its signed effects cancel
    assert abs(t["x2"]["mu"]) < 0.25 * t["x2"]["mu_star"]


def test_whole_number_parameters_are_sampled_on_their_step():
    from netsim.params import parameter_space

    space = parameter_space(["network.collegial_degree", "trial.trial_rate"])
    x = morris_design(space, 6, seed=5)
    assert set(np.unique(x[:, 0])) <= {4.0, 6.0, 8.0, 10.0}
    assert np.all(x[:, 1] >= 0.03) and np.all(x[:, 1] <= 0.2)


@pytest.mark.parametrize("args, message", [
    (["--params", "trial.no_such_rate"], "unknown parameter 'trial.no_such_rate'"),
    (["--range", "trial.trial_rate=0.1:1.5"], "outside the schema's bounds"),
    (["--outcomes", "happiness"], "outcome 'happiness' is not in the run summary"),
    (["--sobol-n", "100"], "power of two"),
    (["--params", "trial.trial_rate", "trust.initial=nope"], "trust.initial"),
])
def test_bad_input_stops_with_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "sa"
    code = main(["sensitivity", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


SMALL = ["network.n_schools=4", "calendar.years=0.25", "network.teachers_per_school=8"]


@pytest.mark.slow
def test_sensitivity_command_end_to_end_and_resume(tmp_path, capsys):
    out = tmp_path / "sa"
    args = ["sensitivity", "--params", "trial.trial_rate,motivation.staff_initial",
            "--trajectories", "3", "--sobol-n", "4", "--top", "2", "--replicates", "1",
            "--outcomes", "adoption_all", "--out", str(out), *SMALL]
    assert main(args) == 0
    printed = capsys.readouterr().out
    for name in ("runs.parquet", "morris.parquet", "sobol.parquet", "morris.png", "sobol.png",
                 "sobol_convergence.png", "report.md", "report.html"):
        assert (out / name).is_file(), name
    runs = pl.read_parquet(out / "runs.parquet")
    # 3 trajectories x (2 + 1) points and 4 x (2 + 2) Sobol points, one replicate each
    assert runs.filter(pl.col("stage") == "morris").height == 9
    assert runs.filter(pl.col("stage") == "sobol").height == 16
    morris = pl.read_parquet(out / "morris.parquet")
    assert sorted(morris["parameter"]) == ["motivation.staff_initial", "trial.trial_rate"]
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "Reading" in html
    assert "adoption, all staff" in printed
    # the same command again resumes: every job is skipped, the tables are the same
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "0 run, " in again and "skipped" in again
    assert pl.read_parquet(out / "runs.parquet").equals(runs)
    # another design in the same folder is refused
    code = main([*args[:-len(SMALL)], "--seed", "7", *SMALL])
    assert code == 2
    assert "holds a different design" in capsys.readouterr().err


def test_an_outcome_undefined_in_the_design_is_said_so_not_ranked(tmp_path, capsys):
    """In the meeting-groups design every teacher is a member, so colleagues' adoption is
    undefined: the reading says so, no Sobol indices are made for it, the other outcome is
    still screened; settings may follow the options."""
    out = tmp_path / "sa"
    args = ["sensitivity", "scenario=meeting_groups", "--params",
            "trial.trial_rate,motivation.staff_initial", "--trajectories", "2", "--sobol-n", "4",
            "--top", "2", "--replicates", "1", "--outcomes", "adoption_colleagues,adoption_all",
            "--out", str(out), "network.n_schools=8", "calendar.years=0.2"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "adoption, colleagues at home (%): not defined in these runs" in printed
    sobol = pl.read_parquet(out / "sobol.parquet")
    assert set(sobol["outcome"]) == {"adoption_all"}
    assert "adoption, all staff (%): " in printed


def test_morris_figure_labels_of_nearby_points_do_not_overprint():
    # two influential parameters at almost the same (mu*, sigma), as the small example had
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from netsim.sensitivity_report import _label_points

    fig, ax = plt.subplots(figsize=(5.2, 4.6), dpi=110)
    x, y = np.array([9.5, 12.6, 14.2, 1.0]), np.array([6.7, 6.7, 9.3, 0.5])
    ax.plot(x, y, "o")
    ax.set_xlim(0, 23)
    ax.set_ylim(0, 15)
    names = ["home.presentation_inspiration", "practices.local_share", "practices.local_schools",
             "trial.min_knowledge"]
    _label_points(ax, names, x, y)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == 4
    for i in range(4):
        for j in range(i):
            assert not boxes[i].overlaps(boxes[j]), (names[i], names[j])
    plt.close(fig)

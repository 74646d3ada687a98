"""Calibration: ABC on a toy model with a known posterior, the target statistics, the targets
file and the ensemble file, and the command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from netsim.approx_bayes import NormalPrior, UniformPrior, abc_smc
from netsim.calibrate import (
    Target,
    default_targets_file,
    load_ensemble,
    load_targets,
    statistics,
    write_ensemble,
)
from netsim.cli import main
from netsim.config import ConfigError

# toy: n observations x_i ~ N(mu, sigma^2) with sigma known; the sample mean is sufficient.
SIGMA, N_OBS, XBAR = 1.0, 25, 1.3


def _simulator(seed):
    def simulate(theta, generation):
        rng = np.random.default_rng([seed, generation])
        return theta[:, :1] + rng.standard_normal((theta.shape[0], 1)) * SIGMA / math.sqrt(N_OBS)
    return simulate


def _weighted(res):
    m = float(np.sum(res.weights * res.theta[:, 0]))
    return m, float(np.sqrt(np.sum(res.weights * (res.theta[:, 0] - m) ** 2)))


def test_abc_smc_recovers_the_conjugate_normal_posterior():
    m0, t0 = 0.0, 2.0  # prior mu ~ N(m0, t0^2)
    post_var = 1 / (1 / t0**2 + N_OBS / SIGMA**2)
    post_mean = post_var * (m0 / t0**2 + N_OBS * XBAR / SIGMA**2)  # 1.287, sd 0.199
    h = 0.02  # acceptance region: the simulated mean within h of the observed one
    res = abc_smc(_simulator(11), NormalPrior(np.array([m0]), np.array([t0])), [XBAR - h],
                  [XBAR + h], n_particles=2000, generations=8, seed=5, quantile=0.3)
    mean, sd = _weighted(res)
    assert res.generations[-1].epsilon == 0.0
    assert np.all(res.distance == 0)
    # Monte Carlo error at an effective size of ~150: se(mean) ~ 0.016
    assert res.ess > 80
    assert mean == pytest.approx(post_mean, abs=0.06)
    assert sd == pytest.approx(math.sqrt(post_var), rel=0.2)
    # tolerances fall generation by generation
    eps = [g.epsilon for g in res.generations]
    assert all(b < a for a, b in zip(eps, eps[1:]))


def test_abc_with_a_uniform_prior_gives_the_truncated_likelihood():
    # flat prior on [0, 1.4]: posterior N(1.3, 0.2^2) truncated at 1.4 (mean 1.178, sd 0.14)
    from scipy.stats import truncnorm

    s = SIGMA / math.sqrt(N_OBS)
    truth = truncnorm((0 - XBAR) / s, (1.4 - XBAR) / s, loc=XBAR, scale=s)
    res = abc_smc(_simulator(12), UniformPrior(np.array([0.0]), np.array([1.4])),
                  [XBAR - 0.02], [XBAR + 0.02], n_particles=2000, generations=8, seed=6,
                  quantile=0.3)
    mean, sd = _weighted(res)
    assert np.all((res.theta >= 0) & (res.theta <= 1.4))
    assert mean == pytest.approx(truth.mean(), abs=0.05)
    assert sd == pytest.approx(truth.std(), rel=0.25)


def test_abc_reports_an_empty_posterior_when_patterns_conflict():
    # two statistics of the same quantity with disjoint regions: never met together
    def simulate(theta, generation):
        return np.c_[theta[:, 0], theta[:, 0]]

    res = abc_smc(simulate, UniformPrior(np.array([0.0]), np.array([1.0])), [0.0, 0.6],
                  [0.4, 1.0], n_particles=50, generations=3, seed=1)
    assert res.generations[-1].epsilon > 0
    assert np.all(res.distance > 0)
    # the closest compromise sits between the two regions
    assert np.all((res.theta[:, 0] > 0.3) & (res.theta[:, 0] < 0.7))


ARM_A = (("leader_participation", 1.0),)
ARM_B = (("leader_participation", 0.0),)


def test_target_statistics_are_paired_over_replicates():
    # 2 parameter sets x 2 arms, 3 replicates; row = set * n_arms + arm
    rows, reps, vals = [], [], []
    table = {(0, 0): [0.5, 0.6, 0.7], (0, 1): [0.1, 0.2, 0.3],
             (1, 0): [0.9, 0.9, 0.9], (1, 1): [0.3, 0.3, float("nan")]}
    for (s, a), v in table.items():
        for r, x in enumerate(v):
            rows.append(s * 2 + a)
            reps.append(r)
            vals.append(x)
    outcomes = pl.DataFrame({"row": rows, "replicate": reps, "schools_changed": vals})
    targets = [Target("m", "mean", "schools_changed", 0, 1, ARM_A),
               Target("d", "difference", "schools_changed", 0, 1, ARM_A, ARM_B),
               Target("r", "ratio", "schools_changed", 0, 1, ARM_B, ARM_A)]
    stats = statistics(outcomes, 2, [ARM_A, ARM_B], targets)
    assert stats[0] == pytest.approx([0.6, 0.4, 0.2 / 0.6])
    # set 1: replicate 2 undefined in arm B -> the difference is over the pairs both have
    assert stats[1] == pytest.approx([0.9, 0.6, 0.3 / 0.9])
    # minus: each set's own value of a setting is subtracted
    grew = Target("g", "mean", "schools_changed", 0, 1, ARM_A, minus="trust.initial")
    got = statistics(outcomes, 2, [ARM_A, ARM_B], [grew], {"trust.initial": np.array([0.1, 0.3])})
    assert got[:, 0] == pytest.approx([0.5, 0.6])


def test_common_settings_apply_to_every_arm_and_arms_override_them(tmp_path):
    import yaml

    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"settings": {"calendar.years": 1, "formality": 0.5},
                                    "targets": [{**GOOD, "arm": {"formality": 0.9},
                                                 "minus": "trust.initial"}]}))
    (t,) = load_targets(path)
    assert dict(t.arm) == {"calendar.years": 1, "formality": 0.9}
    assert t.minus == "trust.initial"
    path.write_text(yaml.safe_dump({"targets": [{**GOOD, "minus": "trust.nothing"}]}))
    with pytest.raises(ConfigError, match="minus = 'trust.nothing'"):
        load_targets(path)


def test_the_committed_targets_file_loads_and_names_existing_outcomes():
    targets = load_targets(default_targets_file())
    names = [t.name for t in targets]
    assert len(names) == len(set(names)) >= 8
    assert {"fact_1_leader", "year1_members"} <= set(names)
    for t in targets:
        assert t.lo <= t.hi


def _write_targets(path: Path, items) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"targets": items}))
    return path


GOOD = {"name": "t", "statistic": "mean", "outcome": "adoption_all", "accept": [0, 1]}


@pytest.mark.parametrize("change, message", [
    ({"outcome": "happiness"}, "outcome 'happiness' is unknown"),
    ({"outcome": "adoption_all_y9"}, "year 9 is beyond this run's 3 full school years"),
    ({"statistic": "median"}, "statistic = 'median' is not allowed"),
    ({"accept": [0.5, 0.1]}, "is empty or unbounded"),
    ({"accept": [None, None]}, "is empty or unbounded"),
    ({"arm": {"trial.no_such": 1}}, "unknown setting 'trial.no_such'"),
    ({"arm": {"trust.initial": 1.5}}, "trust.initial = 1.5 is out of range"),
    ({"statistic": "difference"}, "needs a 'baseline'"),
    ({"colour": "red"}, "unknown key 'colour'"),
])
def test_bad_targets_are_refused_with_the_target_named(tmp_path, change, message):
    path = _write_targets(tmp_path / "t.yaml", [{**GOOD, **change}])
    with pytest.raises(ConfigError, match="target 't'") as err:
        load_targets(path)
    assert message in str(err.value)


def test_ensemble_file_round_trip_and_other_model_version_refused(tmp_path):
    import pyarrow.parquet as pq

    import netsim

    members = pl.DataFrame({"member": [0, 1], "weight": [0.25, 0.75],
                            "trial.trial_rate": [0.05, 0.1], "network.collegial_degree": [4, 8]})
    path = write_ensemble(tmp_path / "e.parquet", members,
                          ["trial.trial_rate", "network.collegial_degree"], {"overrides": []})
    ens = load_ensemble(path)
    assert ens.meta["model_version"] == netsim.MODEL_VERSION
    assert ens.settings(1) == {"trial.trial_rate": 0.1, "network.collegial_degree": 8}
    assert ens.weights == pytest.approx([0.25, 0.75])
    # the same file as another model version wrote it
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"netsim_ensemble"])
    meta["model_version"] = netsim.MODEL_VERSION + 1
    pq.write_table(table.replace_schema_metadata(
        {b"netsim_ensemble": json.dumps(meta).encode()}), tmp_path / "old.parquet")
    with pytest.raises(ConfigError, match=f"model version {netsim.MODEL_VERSION + 1}, but this "
                                          f"is model version {netsim.MODEL_VERSION}"):
        load_ensemble(tmp_path / "old.parquet")
    with pytest.raises(ConfigError, match="no such file"):
        load_ensemble(tmp_path / "missing.parquet")


def test_calibrate_command_refuses_a_target_of_an_unknown_outcome(tmp_path, capsys):
    path = _write_targets(tmp_path / "t.yaml", [{**GOOD, "outcome": "adoption_everyone"}])
    out = tmp_path / "cal"
    assert main(["calibrate", "--targets", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "outcome 'adoption_everyone' is unknown" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


SMALL = ["network.n_schools=4", "calendar.years=1", "network.teachers_per_school=8"]


@pytest.mark.slow
def test_calibrate_command_end_to_end(tmp_path, capsys):
    path = _write_targets(tmp_path / "t.yaml", [
        {"name": "members", "statistic": "mean", "outcome": "adoption_members_y1",
         "accept": [0.3, 0.9]},
        {"name": "leader", "statistic": "difference", "outcome": "adoption_colleagues",
         "arm": {"leader_participation": 1.0}, "baseline": {"leader_participation": 0.0},
         "accept": [0.0, None]}])
    out = tmp_path / "cal"
    args = ["calibrate", "--targets", str(path), "--params",
            "trial.trial_rate,motivation.staff_initial", "--particles", "6", "--generations",
            "1", "--initial-factor", "2", "--replicates", "1", "--out", str(out), *SMALL]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "parameter sets of the space-filling prior sample" in printed
    for name in ("ensemble.parquet", "posterior.png", "pairs.png", "constraints.png",
                 "predictive.png", "report.md", "report.html"):
        assert (out / name).is_file(), name
    ens = load_ensemble(out / "ensemble.parquet")
    assert ens.parameters == ["trial.trial_rate", "motivation.staff_initial"]
    assert ens.weights.sum() == pytest.approx(1.0)
    w = ens.members
    assert ((w["trial.trial_rate"] >= 0.03) & (w["trial.trial_rate"] <= 0.2)).all()
    # 12 prior sets x 3 arms (the scenario, leader 1.0, leader 0.0), one replicate each
    runs = pl.read_parquet(list((out / "gen_0" / "runs").glob("*/summary.parquet")))
    assert runs.height == 36
    assert "adoption_members_y1" in runs.columns


def test_abc_weights_stay_informative_with_many_parameters():
    # 60 parameters, one of which matters: the SMC kernel's values underflow unless computed
    # in logs, and then every particle would get the same weight
    d = 60

    def simulate(theta, generation):
        rng = np.random.default_rng([1, generation])
        return theta[:, :1] + 0.05 * rng.standard_normal((theta.shape[0], 1))

    res = abc_smc(simulate, UniformPrior(np.zeros(d), np.ones(d)), [0.3], [0.35],
                  n_particles=200, generations=4, seed=2)
    assert res.weights.max() > 3 * res.weights.min()
    assert float(np.sum(res.weights * res.theta[:, 0])) == pytest.approx(0.325, abs=0.03)
    # the proposals stay in the box without collapsing onto copies of old particles
    assert np.all((res.theta >= 0) & (res.theta <= 1))
    assert np.unique(res.theta[:, 1]).size > 0.9 * res.theta.shape[0]


def test_the_reading_says_when_a_generation_accepted_nothing(tmp_path):
    # a statistic that never moves and misses its region: every set is at the same distance,
    # so generation 1's tighter tolerance accepts none of its candidates
    from netsim.calibrate import CalibrationRun
    from netsim.calibrate_report import constraints, predictive, reading
    from netsim.params import parameter_space

    def simulate(theta, generation):
        return np.full((theta.shape[0], 1), 2.0)

    space = parameter_space(["trial.trial_rate"])
    lo, hi = space.bounds[0]
    res = abc_smc(simulate, UniformPrior(np.array([lo]), np.array([hi])), [0.0], [1.0],
                  n_particles=1, generations=2, seed=3, initial_factor=3)
    assert [g.accepted for g in res.generations] == [3, 0]  # ties at the tolerance: all 3
    target = Target("never", "mean", "adoption_members", 0.0, 1.0)
    run = CalibrationRun(tmp_path, space, [target], res, tmp_path / "e.parquet")
    lines = reading(run, predictive(run), constraints(run))
    assert lines[0].endswith("after 0 SMC generations the ensemble has 3 members (effective "
                             "size 3), 0 of which meet every target (final tolerance 1).")
    assert ("Generation 1 accepted none of its 2 candidates at tolerance 0.5, so the run "
            "stopped there and the ensemble is generation 0's") in " ".join(lines)


def test_the_reading_gives_the_weight_of_the_members_that_meet_every_target(tmp_path):
    from netsim.calibrate import CalibrationRun
    from netsim.calibrate_report import constraints, predictive, reading
    from netsim.params import parameter_space

    def simulate(theta, generation):  # the statistic is the parameter itself
        return theta[:, :1].copy()

    space = parameter_space(["trial.trial_rate"])
    lo, hi = space.bounds[0]
    mid = (lo + hi) / 2
    res = abc_smc(simulate, UniformPrior(np.array([lo]), np.array([hi])), [lo], [mid],
                  n_particles=20, generations=1, seed=4)
    met = res.stats[:, 0] <= mid
    assert 0 < met.sum()
    target = Target("low", "mean", "adoption_members", lo, mid)
    run = CalibrationRun(tmp_path, space, [target], res, tmp_path / "e.parquet",
                         met_all=int(met.sum()))
    first = reading(run, predictive(run), constraints(run))[0]
    share = 100 * float(np.sum(res.weights[met]))
    assert f"{int(met.sum())} of which meet every target (together {share:.2g} % of the " \
           "weight)" in first, first


def test_the_reading_of_a_one_member_ensemble_claims_no_narrowing(tmp_path):
    # the first generation accepts one set of three, the second none (the small example of the
    # README did this): a single set has no spread, so no "sd 100 % below the prior's"
    from netsim.calibrate import CalibrationRun
    from netsim.calibrate_report import constraints, predictive, reading
    from netsim.params import parameter_space

    def simulate(theta, generation):  # the statistic is the parameter itself
        return theta[:, :1].copy()

    space = parameter_space(["trial.trial_rate"])
    lo, hi = space.bounds[0]
    res = abc_smc(simulate, UniformPrior(np.array([lo]), np.array([hi])), [lo - 1], [lo - 0.5],
                  n_particles=1, generations=0, seed=5, initial_factor=3)
    assert res.theta.shape[0] == 1
    target = Target("unreachable", "mean", "adoption_members", lo - 1, lo - 0.5)
    run = CalibrationRun(tmp_path, space, [target], res, tmp_path / "e.parquet")
    text = " ".join(reading(run, predictive(run), constraints(run)))
    assert "ensemble has 1 member " in text
    assert "below the prior's" not in text and "1 members" not in text
    assert "The ensemble is a single parameter set, so it has no spread" in text
    # three prior sets that miss a pattern do not show that the model cannot produce it
    assert ("Never met by any of the 3 prior sets: `unreachable`. Within the plausible ranges "
            "these patterns are rare or out of the model's reach; a sample this small cannot "
            "tell which") in text

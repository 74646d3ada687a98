"""Outcome measures on hand-built states with exact values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import F, L, R, T, hold, make_state

from netsim.metrics import (
    _numpy_sum,
    convergence,
    gini,
    innovations,
    lineages,
    practice_convergence,
    record,
    summarise,
    time_to_share,
)
from netsim import metrics as metrics_module
from netsim.state import Stage


def test_gini():
    assert gini(np.array([1.0, 1.0, 1.0])) == 0.0
    assert gini(np.array([0.0, 0.0, 1.0])) == pytest.approx(2 / 3)
    assert gini(np.zeros(4)) == 0.0 and gini(np.array([])) == 0.0


def test_time_to_share():
    weeks = np.arange(5.0)
    assert time_to_share(weeks, np.array([0, 0.1, 0.3, 0.6, 0.7]), 0.25) == 2.0
    assert time_to_share(weeks, np.array([0, 0.1, 0.3, 0.6, 0.7]), 0.5) == 3.0
    assert math.isnan(time_to_share(weeks, np.array([np.nan, 0, 0, 0, 0.2]), 0.25))


def two_schools():
    # school 0: leader, RT, 2 teachers; school 1: leader, RT, 2 teachers; a facilitator
    state = make_state([L, R, T, T, L, R, T, T, F], [0, 0, 0, 0, 1, 1, 1, 1, -1],
                       n_practices=2)
    v = hold(state, 1, 0, Stage.ADOPTED, 0.8)  # RT of school 0
    for row in (2, 3):  # both teachers of school 0 use the same version
        hold(state, row, 0, Stage.ADOPTED, 0.8)
        state.version[row, 0] = v
    hold(state, 5, 1, Stage.ADOPTED, 0.6)  # RT of school 1, another practice
    hold(state, 8, 0, Stage.ADOPTED, 0.9)  # facilitators are not counted
    state.member_ties.ensure(np.array([1]), np.array([5]), 0.7, week=0)
    return state


def test_record_exact_values():
    st = two_schools()
    out = record(st, school_change_share=0.5, strong_trust=0.5, network_alive=True,
                 cocreation_groups=0)
    # members: 2 leaders + 2 RTs (adopters: both RTs); colleagues: 4 teachers (2 adopt)
    assert out["adoption_members"] == 0.5
    assert out["adoption_colleagues"] == 0.5
    assert out["adoption_all"] == 0.5
    assert out["practice_adoption"] == pytest.approx(4 / 16)
    # school 0: 3 of 4 use practice 0; school 1: 1 of 4 uses practice 1
    assert out["schools_changed"] == 0.5
    assert out["schools_reached"] == 0.5  # only school 0 has a colleague (teacher) adopting
    assert out["school_inequality"] == pytest.approx(gini(np.array([0.75, 0.25])))
    assert out["version_quality"] == pytest.approx((0.8 * 3 + 0.6) / 4)
    assert out["version_diversity"] == 1.0  # one version per practice in use
    assert out["trust_members"] == 0.7
    # 2 strong tie ends over the 2 people with a cross-school tie
    assert out["strong_ties_per_member"] == pytest.approx(1.0)
    assert out["network_alive"] == 1.0


def test_strong_ties_per_member_follows_ties_added_after_a_record():
    # who has a tie comes from the tie store's cached degree: a tie added later is counted
    st = two_schools()
    kw = dict(school_change_share=0.5, strong_trust=0.5, network_alive=True, cocreation_groups=0)
    assert record(st, **kw)["strong_ties_per_member"] == pytest.approx(1.0)
    st.member_ties.ensure(np.array([0]), np.array([4]), 0.2, week=1)  # the leaders, weak
    out = record(st, **kw)
    assert out["strong_ties_per_member"] == pytest.approx(2 * 1 / 4)  # 1 strong tie, 4 people
    assert out["trust_members"] == pytest.approx((0.7 + 0.2) / 2)


def test_record_of_nobody_present_and_of_no_adopters():
    """Edge cases of the compiled weekly record: shares of empty groups are NaN, counts 0."""
    st = two_schools()
    st.present[:] = False
    out = record(st, 0.5, 0.5, False, 2)
    for key in ("adoption_members", "adoption_colleagues", "adoption_all", "practice_adoption",
                "knowledge_members", "knowledge_all", "schools_changed", "schools_reached",
                "version_quality"):
        assert math.isnan(out[key]), key
    assert out["version_diversity"] == 0.0 and out["school_inequality"] == 0.0
    assert out["trust_members"] == 0.7  # stored ties count (the model removes departed ends)
    assert out["cocreation_groups"] == 2.0 and out["network_alive"] == 0.0
    fresh = make_state([L, R, T, F], [0, 0, 0, -1])
    out = record(fresh, 0.5, 0.5, True, 0)
    assert out["adoption_all"] == 0.0 and out["schools_changed"] == 0.0
    assert out["trust_members"] == 0.0 and out["strong_ties_per_member"] == 0.0
    assert math.isnan(out["version_quality"]) and out["school_inequality"] == 0.0


def test_record_refuses_a_version_id_outside_the_registry():
    st = two_schools()
    st.version[2, 0] = len(st.versions)  # never registered
    with pytest.raises(ValueError, match="registered version"):
        record(st, 0.5, 0.5, True, 0)


@pytest.mark.parametrize("n", [*range(0, 140), 255, 256, 257, 1000, 1153, 8193, 100_003])
def test_compiled_sums_take_numpys_pairwise_order(n):
    """The weekly record's float sums equal NumPy's ``sum`` bit for bit (values spanning six
    orders of magnitude, where a left-to-right sum differs in the last bits)."""
    rng = np.random.default_rng(n)
    values = rng.random(n) * 10.0 ** rng.uniform(-3, 3, n)
    assert _numpy_sum(values, n) == values.sum()
    assert gini(values) == _gini_numpy(values)


def _gini_numpy(values: np.ndarray) -> float:
    v = np.sort(values)
    if v.size == 0 or v.sum() == 0:
        return 0.0
    cum = np.cumsum(v)
    return float((v.size + 1 - 2 * (cum.sum() / cum[-1])) / v.size)


def test_convergence():
    st = two_schools()
    assert convergence(st) == 1.0  # each practice has one version across its schools
    hold(st, 6, 0, Stage.ADOPTED, 0.7)  # school 1 uses another version of practice 0
    # practice 0: 2 schools, the most common version is used at 1 -> 0.5; practice 1: 1
    assert convergence(st) == pytest.approx(0.75)


def test_convergence_counts_adoption_without_a_version_as_one_version():
    """Textbook rules adopt without a version (-1): all schools then use "the same" one; two
    users at one school count once; no adopters: NaN."""
    st = make_state([T, T, T, T, F], [0, 0, 1, 2, -1], n_practices=2)
    assert math.isnan(convergence(st)) and math.isnan(convergence(st, lineage=True))
    st.stage[:4, 1] = Stage.ADOPTED  # version -1 everywhere
    assert convergence(st) == 1.0
    v = st.versions.add(1, 0.7, -1, 1, 3)
    st.version[[0, 1], 1] = v  # school 0: both users on version v; schools 1, 2 on none
    assert convergence(st) == pytest.approx(2 / 3)
    st.stage[4, 0] = Stage.ADOPTED  # a facilitator: not counted
    assert convergence(st) == pytest.approx(2 / 3)


def test_schools_changed_needs_one_same_practice():
    # school 0: 2 of 4 staff use practice 0 and 2 others practice 1: half the staff adopt
    # something, but no practice reaches half the staff at 0.75
    st = make_state([L, R, T, T], [0, 0, 0, 0], n_practices=2)
    hold(st, 0, 0, Stage.ADOPTED, 0.8)
    hold(st, 1, 0, Stage.ADOPTED, 0.8)
    hold(st, 2, 1, Stage.ADOPTED, 0.8)
    assert record(st, 0.5, 0.5, True, 0)["schools_changed"] == 1.0  # practice 0 at 2/4
    assert record(st, 0.75, 0.5, True, 0)["schools_changed"] == 0.0  # 3 adopt, not one same
    hold(st, 3, 0, Stage.ADOPTED, 0.8)
    assert record(st, 0.75, 0.5, True, 0)["schools_changed"] == 1.0  # practice 0 at 3/4


def test_lineage_convergence_counts_descendants_of_one_version_as_one():
    st = make_state([T, T, T], [0, 1, 2], n_practices=1, effectiveness=[0.5])
    child = st.versions.add(0, 0.55, 0, 1, 3)        # first generation below the reference
    grandchild = st.versions.add(0, 0.56, child, 2, 5)
    other = st.versions.add(0, 0.50, 0, 1, 4)        # another first-generation version
    assert lineages(st).tolist() == [0, child, child, other]
    for row, vid in ((0, child), (1, grandchild), (2, other)):
        hold(st, row, 0, Stage.ADOPTED, 0.5)
        st.version[row, 0] = vid
    assert convergence(st) == pytest.approx(1 / 3)  # three different versions
    assert convergence(st, lineage=True) == pytest.approx(2 / 3)  # two lineages


def test_practice_convergence_is_mean_jaccard_of_school_practice_sets():
    st = make_state([T, T, T, T], [0, 0, 1, 2], n_practices=3)
    hold(st, 0, 0, Stage.ADOPTED, 0.5)
    hold(st, 1, 1, Stage.ADOPTED, 0.5)   # school 0: {0, 1}
    hold(st, 2, 0, Stage.ADOPTED, 0.5)   # school 1: {0}
    hold(st, 3, 2, Stage.ADOPTED, 0.5)   # school 2: {2}
    # pairs: (0,1) 1/2, (0,2) 0, (1,2) 0
    assert practice_convergence(st) == pytest.approx(1 / 6)


def test_summarise_totals_and_cost():
    st = two_schools()
    weeks = np.arange(4.0)
    series = {c: np.zeros(4) for c in ("posts", "posts_formal", "posts_informal", "reads",
                                       "exchange", "gatherings", "new_versions",
                                       "new_versions_cocreation", "trials_started",
                                       "person_hours", "cocreation_groups", "discontinued")}
    series.update(week=weeks, adoption_all=np.array([0.0, 0.2, 0.3, 0.5]),
                  network_alive=np.array([1.0, 1.0, 0.0, 0.0]))
    for key in ("adoption_members", "adoption_colleagues", "practice_adoption", "knowledge_all",
                "schools_changed", "schools_reached", "school_inequality", "version_quality",
                "version_diversity", "trust_members", "strong_ties_per_member"):
        series[key] = np.zeros(4)
    series["person_hours"] = np.array([0.0, 100.0, 0.0, 300.0])
    series["gatherings"] = np.array([0.0, 1.0, 0.0, 1.0])
    series["exchange"] = np.array([0.0, 2.0, 0.0, 4.0])
    out = summarise(series, st)
    assert out["time_to_25"] == 2.0 and out["time_to_50"] == 3.0
    assert out["weeks_alive"] == 1.0
    assert out["person_hours"] == 400.0
    assert out["exchange_per_gathering"] == 3.0
    # 4 adopting staff per 400 person-hours
    assert out["adoption_per_100_person_hours"] == pytest.approx(1.0)
    assert out["n_staff"] == 8 and out["n_members"] == 4 and out["n_schools"] == 2


def test_innovations_count_improved_versions_in_use_at_two_schools():
    st = make_state([T, T, T], [0, 1, 1], n_practices=1, effectiveness=[0.5])
    better = st.versions.add(0, 0.7, 0, 2, 5)  # co-created, +0.2 over the reference
    slight = st.versions.add(0, 0.52, 0, 1, 5)  # not clearly better
    for row, vid in ((0, better), (1, better), (2, slight)):
        st.stage[row, 0], st.version[row, 0] = Stage.ADOPTED, vid
    assert innovations(st) == (1, 1)
    st.version[1, 0] = slight  # now only one school uses the improved version
    assert innovations(st) == (0, 0)
    st.version[:, 0] = -1  # adopters without a version (textbook rules)
    assert innovations(st) == (0, 0)


@pytest.mark.parametrize(("preset", "over"), [
    ("resource_teacher_network", {}), ("city_developer_networks", {}),
    ("partnership_network", {}),
    ("resource_teacher_network", {"turnover.key_person_loss_week": 20}),
    ("resource_teacher_network", {"adoption.rule": "fractional_threshold"})])
def test_innovations_are_the_vectorised_count_on_real_states(preset, over):
    """The compiled pass over the holders gives the vectorised count, on end-of-run states
    (a departed key person not yet replaced; a textbook rule, whose adopters hold no version)."""
    import vectorised_setup

    from netsim import load_scenario
    from netsim.model import LearningNetworkModel

    sc = load_scenario(preset, overrides={"calendar.years": 1, **over})
    for seed in (1, 2):
        model = LearningNetworkModel(sc, seed=seed)
        model.run()
        st = model.state
        assert innovations(st) == vectorised_setup.innovations(st)
        # a state where every staff slot holds its version: many holders
        st.stage[st.version >= 0] = Stage.ADOPTED
        assert innovations(st) == vectorised_setup.innovations(st)


@pytest.mark.parametrize(("n_practices", "share"), [(6, 0.3), (6, 0.05), (1, 0.5), (62, 0.1),
                                                    (70, 0.1)])
def test_practice_convergence_by_bits_is_the_loop_over_practices(n_practices, share):
    """Schools' practices as bits (up to 62 practices) give the loop's similarities and their
    sum bit for bit; more practices take the loop itself."""
    import vectorised_setup

    rng = np.random.default_rng(n_practices)
    n, n_schools = 400, 40
    school = np.concatenate([rng.integers(0, n_schools, n - 3), np.zeros(3, dtype=np.int64)])
    staff = rng.random(n) < 0.9
    stage = np.where(rng.random((n, n_practices)) < share, Stage.ADOPTED,
                     Stage.AWARE).astype(np.int8).reshape(-1)
    got = metrics_module._practice_convergence(stage, school, staff, n_schools)
    want = vectorised_setup._practice_convergence(stage, school, staff, n_schools)
    assert got == want or (math.isnan(got) and math.isnan(want))
    assert 0.0 < got <= 1.0

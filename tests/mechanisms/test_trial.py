"""Trial and adaptation: start, outcome, dropping and adapted versions on tiny cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import F, L, R, T, hold, make_scenario, make_state

from netsim.mechanisms.trial import discontinue, select_variants, trials
from netsim.state import Origin, Stage

CERTAIN = dict(trial__trial_rate=1.0, trial__min_knowledge=0.2, trial__mean_trial_weeks=1.0,
               trial__adapt_prob=0.0, trial__inspiration_decay=0.0, trial__know_how_gain=0.3,
               motivation__success_gain=0.05, motivation__failure_loss=0.05,
               trial__guidance_support=0.3, trial__guidance_schools_per_facilitator=3)


def aware(n: int = 1, knowledge: float = 0.5):
    state = make_state([T] * n, [0] * n)
    for i in range(n):
        hold(state, i, 0, Stage.AWARE, quality=1.0, knowledge=knowledge)
    state.inspiration[:] = 1.0
    return state


def test_start_needs_knowledge_motivation_and_inspiration(rng):
    state = aware(4)
    state.knowledge[1, 0] = 0.1  # below min_knowledge
    state.inspiration[2, 0] = 0.0  # uninspired
    state.motivation[3] = 0.0  # unmotivated
    out = trials(state, make_scenario(**CERTAIN), rng, week=1)
    assert state.stage[:, 0].tolist() == [Stage.TRYING, Stage.AWARE, Stage.AWARE, Stage.AWARE]
    assert out["trials_started"] == 1


@pytest.mark.parametrize(("mandate", "attended", "alignment", "share"),
                         [(0.0, True, 0.0, 0.0), (0.8, True, 0.0, 0.8),
                          (0.8, False, 0.5, 0.4), (1.0, False, 0.0, 0.0)])
def test_resistant_staff_start_in_proportion_to_their_school_mandate(mandate, attended,
                                                                     alignment, share):
    # start chance = trial_rate (1) x motivation (1) x inspiration (1) x mandate_strength x
    # backing, backing = 1 if the leader attended, else the leader's alignment
    n = 4000
    state = aware(n)
    state.resistant[:] = True
    state.leader_attended[0] = attended
    state.alignment[0] = alignment
    trials(state, make_scenario(**CERTAIN, home__mandate_strength=mandate),
           np.random.default_rng(3), week=1)
    started = (state.stage[:, 0] == Stage.TRYING).mean()
    assert started == pytest.approx(share, abs=0.03)  # > 4 standard errors at 0.5


@pytest.mark.parametrize(("available", "support"), [(True, 0.3), (False, 0.0)])
def test_facilitator_guidance_supports_new_trials(rng, available, support):
    state = make_state([T, F], [0, -1])
    hold(state, 0, 0, Stage.AWARE, quality=1.0, knowledge=0.5)
    state.inspiration[0] = 1.0
    trials(state, make_scenario(**CERTAIN), rng, week=1, guidance_available=available)
    assert state.stage[0, 0] == Stage.TRYING
    assert state.trial_support[0, 0] == pytest.approx(support)
    assert state.stage[1, 0] == Stage.UNAWARE  # facilitators never try


def test_success_adopts_and_raises_know_how_and_motivation(rng):
    state = aware(1)
    state.stage[0, 0] = Stage.TRYING
    state.difficulty[:] = 0.0  # success probability = quality = 1
    state.motivation[:] = 0.5
    out = trials(state, make_scenario(**CERTAIN), rng, week=2, start_new=False)
    assert state.stage[0, 0] == Stage.ADOPTED
    assert state.know_how[0, 0] == pytest.approx(0.3)
    assert state.motivation[0] == pytest.approx(0.55)
    assert out["adoptions"] == 1 and out["failures"] == 0


@pytest.mark.parametrize(("drop_prob", "stage"), [(1.0, Stage.DROPPED), (0.0, Stage.AWARE)])
def test_failure_drops_or_returns_to_aware_without_inspiration(rng, drop_prob, stage):
    state = aware(1)
    state.stage[0, 0] = Stage.TRYING
    state.quality[0, 0] = 0.0  # success probability 0
    state.motivation[:] = 0.5
    trials(state, make_scenario(**CERTAIN, trial__drop_prob=drop_prob), rng, week=2,
           start_new=False)
    assert state.stage[0, 0] == stage
    assert state.inspiration[0, 0] == 0.0
    assert state.know_how[0, 0] == pytest.approx(0.15)  # half the gain from a failed trial
    assert state.motivation[0] == pytest.approx(0.45)


def test_success_probability_matches_formula(rng):
    # p = q * (1 - difficulty * (1 - support)), support = min(1, 0.5 * know_how + trial_support)
    n = 5000
    state = aware(n)
    state.stage[:, 0] = Stage.TRYING
    state.quality[:, 0] = 0.8
    state.difficulty[:] = 0.5
    state.know_how[:, 0] = 0.4
    state.trial_support[:, 0] = 0.1  # support 0.3 -> p = 0.8 * (1 - 0.5 * 0.7) = 0.52
    trials(state, make_scenario(**CERTAIN), rng, week=2, start_new=False)
    share = (state.stage[:, 0] == Stage.ADOPTED).mean()
    assert share == pytest.approx(0.52, abs=0.03)  # 4.2 standard errors
    assert (state.trial_support == 0).all()  # reset when the trial ends


def test_individual_adaptation_registers_a_child_version(rng):
    state = aware(1)
    state.stage[0, 0] = Stage.TRYING
    state.quality[0, 0] = 0.9
    state.difficulty[:] = 0.0
    parent = state.version[0, 0]
    state.member[0] = True  # a network member translates (adapts) what they try
    sc = make_scenario(**{**CERTAIN, "trial__adapt_prob": 1.0, "trial__adapt_sd": 0.0})
    out = trials(state, sc, rng, week=4)
    v = state.version[0, 0]
    assert v == len(state.versions) - 1 and state.versions.parent[v] == parent
    assert state.versions.origin[v] == Origin.INDIVIDUAL and state.versions.week[v] == 4
    assert state.quality[0, 0] == pytest.approx(0.9)  # sd 0: the variant equals its parent
    assert out["new_versions"] == 1 and out["new_versions_cocreation"] == 0


@pytest.mark.parametrize(("member", "share", "expected"),
                         [(True, 0.0, 1.0), (False, 0.0, 0.0), (False, 0.25, 0.25)])
def test_colleagues_mostly_take_the_version_presented(member, share, expected):
    # adapt chance: adapt_prob for members, adapt_prob * colleague_adapt_share for colleagues
    n = 4000
    state = aware(n)
    state.member[:] = member
    state.stage[:, 0] = Stage.TRYING
    state.quality[:, 0] = 1.0
    state.difficulty[:] = 0.0
    sc = make_scenario(**{**CERTAIN, "trial__adapt_prob": 1.0,
                          "trial__colleague_adapt_share": share, "trial__discontinue_rate": 0.0})
    before = state.version[:, 0].copy()
    trials(state, sc, np.random.default_rng(5), week=4)
    adapted = (state.version[:, 0] != before).mean()
    assert adapted == pytest.approx(expected, abs=0.03)


def test_cocreated_adaptation_is_registered_and_shared_with_the_group(rng):
    state = make_state([R, R, R], [0, 1, 2])
    for i in range(3):
        hold(state, i, 0, Stage.AWARE, quality=0.5, knowledge=0.5)
    state.stage[0, 0] = Stage.TRYING
    state.quality[0, 0] = state.perceived[0, 0] = 0.9
    state.difficulty[:] = 0.0
    state.cocreation_group[:] = [0, 0, -1]
    state.group_distance = np.array([0.3])
    sc = make_scenario(**{**CERTAIN, "trial__adapt_prob": 1.0, "trial__adapt_sd": 0.0,
                          "trial__perception_sd": 1e-9, "trial__discontinue_rate": 0.0})
    out = trials(state, sc, rng, week=4)
    assert state.quality[0, 0] == pytest.approx(0.9)
    assert state.versions.origin[state.version[0, 0]] == Origin.COCREATION
    # the group peer hears of the better version; the outsider does not
    assert state.version[1, 0] == state.version[0, 0]
    assert state.quality[1, 0] == pytest.approx(0.9)
    assert state.version[2, 0] != state.version[0, 0]
    assert out["new_versions_cocreation"] == 1


def test_variants_have_the_lone_distribution_and_groups_gain_by_selection():
    # one variant (a lone adaptation): change ~ N(0, sd), whatever the correlation
    rng = np.random.default_rng(11)
    m = 20000
    base = np.zeros(m)
    lone, _ = select_variants(base, 0.1, np.ones(m, dtype=np.int64), np.zeros(m),
                              np.full(m, 1e-9), rng)
    assert lone.mean() == pytest.approx(0.0, abs=0.004)
    assert lone.std() == pytest.approx(0.1, rel=0.03)
    # four independent variants judged without noise: the best of four normals,
    # E[max of 4 N(0, 1)] = 1.0294
    four, judged = select_variants(base, 0.1, np.full(m, 4), np.zeros(m), np.full(m, 1e-9), rng)
    assert four.mean() == pytest.approx(0.10294, abs=0.003)
    assert judged == pytest.approx(four, abs=1e-6)
    # identical perspectives (correlation 1) bring one idea four times: no gain
    same, _ = select_variants(base, 0.1, np.full(m, 4), np.ones(m), np.full(m, 1e-9), rng)
    assert same.mean() == pytest.approx(0.0, abs=0.004)
    # judging without understanding (huge noise) picks at random: no gain either
    blind, _ = select_variants(base, 0.1, np.full(m, 4), np.zeros(m), np.full(m, 1e6), rng)
    assert blind.mean() == pytest.approx(0.0, abs=0.004)


def test_discontinuance_follows_perceived_results_and_support():
    # p = discontinue_rate * (1 - perceived) * (1 - (backing + carrier + peers) / 3)
    n = 3000
    state = make_state([L] + [T] * n, [0] * (n + 1))
    state.stage[1:, 0] = Stage.ADOPTED
    state.perceived[1:, 0] = 0.5
    state.stage[1 + n // 2:, 0] = Stage.AWARE  # half the teachers use it: peers = 1500/3001
    state.alignment[0] = 0.3  # the leader did not attend: backing 0.3; no resource teacher
    sc = make_scenario(trial__discontinue_rate=0.8)
    dropped = discontinue(state, sc, np.random.default_rng(2), np.empty(0, dtype=np.int64))
    peers = (n // 2) / (n + 1)
    p = 0.8 * 0.5 * (1 - (0.3 + 0.0 + peers) / 3)
    assert dropped / (n // 2) == pytest.approx(p, abs=0.04)
    assert (state.stage[1:, 0] == Stage.DROPPED).sum() == dropped
    # full perceived results: nobody drops
    state.stage[1:, 0] = Stage.ADOPTED
    state.perceived[1:, 0] = 1.0
    assert discontinue(state, sc, np.random.default_rng(2), np.empty(0, dtype=np.int64)) == 0


def test_inspiration_decays_weekly(rng):
    state = aware(1)
    state.motivation[:] = 0.0  # no trial starts
    trials(state, make_scenario(**{**CERTAIN, "trial__inspiration_decay": 0.1}), rng, week=1)
    assert state.inspiration[0, 0] == pytest.approx(0.9)


def test_a_concluded_trial_moves_perceived_quality_towards_a_noisy_look():
    # perceived <- perceived + w (q + N(0, sd) - perceived): with sd -> 0 exactly w of the gap
    state = aware(2)
    state.stage[:, 0] = Stage.TRYING
    state.quality[:, 0] = 0.8
    state.perceived[:, 0] = [0.2, 1.0]
    sc = make_scenario(**{**CERTAIN, "trial__perception_sd": 1e-12,
                          "trial__own_trial_weight": 0.25, "trial__discontinue_rate": 0.0})
    trials(state, sc, np.random.default_rng(0), week=2)
    assert state.perceived[:, 0] == pytest.approx([0.2 + 0.25 * 0.6, 1.0 - 0.25 * 0.2])
    assert (state.quality[:, 0] == 0.8).all()  # the true quality does not move


def test_the_noise_of_perception_has_the_stated_spread():
    n = 20000
    state = aware(n)
    state.stage[:, 0] = Stage.TRYING
    state.quality[:, 0] = 0.5
    state.perceived[:, 0] = 0.5
    sc = make_scenario(**{**CERTAIN, "trial__perception_sd": 0.1, "trial__own_trial_weight": 1.0,
                          "trial__discontinue_rate": 0.0})
    trials(state, sc, np.random.default_rng(1), week=2)
    assert state.perceived[:, 0].mean() == pytest.approx(0.5, abs=0.003)
    assert state.perceived[:, 0].std() == pytest.approx(0.1, rel=0.03)


def test_guided_schools_are_counted_for_the_facilitators_in_turn(rng):
    # 4 schools start trials, 2 facilitators guide 1 school each: both get one relation
    state = make_state([T, T, T, T, F, F], [0, 1, 2, 3, -1, -1])
    for i in range(4):
        hold(state, i, 0, Stage.AWARE, quality=1.0, knowledge=0.5)
    state.inspiration[:4] = 1.0
    sc = make_scenario(**{**CERTAIN, "trial__guidance_schools_per_facilitator": 1})
    trials(state, sc, rng, week=1)
    assert state.guided.tolist() == [0, 0, 0, 0, 1, 1]
    assert (state.trial_support[:4, 0] > 0).sum() == 2


def test_concluding_counts_each_persons_trials_for_motivation_and_wants_slot_order():
    # person 0 ends two trials (one success, one failure), person 1 one success: motivation
    # moves by success_gain per success and failure_loss per failure, everyone is clipped
    from netsim.mechanisms.trial import _conclude_trials

    n, n_p = 3, 2
    stage = np.full(n * n_p, int(Stage.TRYING), dtype=np.int8)
    zeros = np.zeros(n * n_p)
    motivation = np.array([0.5, 0.5, 1.5])
    f = np.array([0, 1, 2])
    rs, cs, n_fail = _conclude_trials(
        f, np.array([0.1, 0.9, 0.1]), np.full(3, 0.5), np.empty(0), np.array([0.9, 0.9, 0.9]),
        0.5, n_p, stage, zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy(),
        motivation, 0.1, 0.5, 0.2, 0.1, 0.05)
    assert rs.tolist() == [0, 1] and cs.tolist() == [0, 0] and n_fail == 1
    assert motivation.tolist() == [0.5 + 0.1 - 0.05, 0.5 + 0.1, 1.0]
    assert stage.tolist() == [Stage.ADOPTED, Stage.AWARE, Stage.ADOPTED] + [Stage.TRYING] * 3
    with pytest.raises(ValueError, match="slot order"):
        _conclude_trials(np.array([2, 0]), np.zeros(2), np.ones(2), np.empty(0), np.ones(2),
                         0.5, n_p, stage, zeros.copy(), zeros.copy(), zeros.copy(),
                         zeros.copy(), zeros.copy(), motivation, 0.1, 0.5, 0.2, 0.1, 0.05)


def test_draws_inside_the_week_kernel_are_numpys_own():
    # trial._week draws from the run's generator inside the compiled loop: Generator.random,
    # standard_normal and shuffle there must give NumPy's numbers and leave the generator
    # where NumPy leaves it, also with half a 64-bit draw buffered (after a 32-bit draw)
    import numba

    @numba.njit
    def week_like(rng, n, schools):
        a = rng.random(n)
        b = rng.standard_normal(2 * n + 1)
        c = rng.random(0)
        rng.shuffle(schools)
        d = rng.random(3)
        return a, b, c, d

    for seed, n, k in [(0, 5, 2), (1, 40, 17), (2, 0, 1), (3, 7, 45)]:
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        for g in (ours, theirs):
            g.shuffle(np.arange(2 + seed % 2))  # one or two 32-bit draws: a half buffered or not
        x, y = np.arange(k), np.arange(k)
        got = week_like(ours, n, x)
        want = (theirs.random(n), theirs.standard_normal(2 * n + 1), theirs.random(0))
        theirs.shuffle(y)
        want += (theirs.random(3),)
        for g_, w_ in zip(got, want, strict=True):
            assert np.array_equal(g_, w_)
        assert x.tolist() == y.tolist()
        assert ours.bit_generator.state == theirs.bit_generator.state

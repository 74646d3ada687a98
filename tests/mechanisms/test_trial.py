"""Trial and adaptation: start, outcome, dropping and adapted versions on tiny cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import F, R, T, hold, make_scenario, make_state

from netsim.mechanisms.trial import distance_factor, trials
from netsim.state import Origin, Stage

CERTAIN = dict(trial__trial_rate=1.0, trial__min_knowledge=0.2, trial__mean_trial_weeks=1.0,
               trial__adapt_prob=0.0, trial__inspiration_decay=0.0, trial__know_how_gain=0.3,
               motivation__success_gain=0.05, motivation__failure_loss=0.05,
               trial__guidance_support=0.3, trial__guidance_schools_per_facilitator=3)


def test_distance_factor_is_an_inverted_u():
    assert distance_factor(np.array([0.0, 0.15, 0.3, 0.6]), 0.3) == pytest.approx(
        [0.0, 0.75, 1.0, 0.0])


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


@pytest.mark.parametrize(("mandate", "starts"), [(0.5, False), (0.8, True)])
def test_resistant_staff_start_only_under_a_strong_mandate(rng, mandate, starts):
    state = aware(1)
    state.resistant[0] = True
    trials(state, make_scenario(**CERTAIN, home__mandate_strength=mandate,
                                home__strong_mandate=0.7), rng, week=1)
    assert bool(state.stage[0, 0] == Stage.TRYING) is starts


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
    sc = make_scenario(**{**CERTAIN, "trial__adapt_prob": 1.0, "trial__adapt_sd": 0.0,
                          "trial__adapt_bias": 0.05})
    out = trials(state, sc, rng, week=4, start_new=False)
    v = state.version[0, 0]
    assert v == len(state.versions) - 1 and state.versions.parent[v] == parent
    assert state.versions.origin[v] == Origin.INDIVIDUAL and state.versions.week[v] == 4
    assert state.quality[0, 0] == pytest.approx(0.95)
    assert out["new_versions"] == 1 and out["new_versions_cocreation"] == 0


def test_cocreated_adaptation_uses_distance_bias_and_is_shared(rng):
    state = make_state([R, R, R], [0, 1, 2])
    for i in range(3):
        hold(state, i, 0, Stage.AWARE, quality=0.5, knowledge=0.5)
    state.stage[0, 0] = Stage.TRYING
    state.quality[0, 0] = 1.0
    state.difficulty[:] = 0.0
    state.cocreation_group[:] = [0, 0, -1]
    state.group_distance = np.array([0.15])  # f(0.15 / 0.3) = 0.75
    sc = make_scenario(**{**CERTAIN, "trial__adapt_prob": 1.0, "trial__adapt_sd": 0.0,
                          "cocreation__innovation_bias": -0.2,
                          "cocreation__optimal_distance": 0.3})
    out = trials(state, sc, rng, week=4, start_new=False)
    assert state.quality[0, 0] == pytest.approx(1.0 - 0.15)
    assert state.versions.origin[state.version[0, 0]] == Origin.COCREATION
    # the group peer hears of the better version; the outsider does not
    assert state.version[1, 0] == state.version[0, 0]
    assert state.quality[1, 0] == pytest.approx(0.85)
    assert state.version[2, 0] != state.version[0, 0]
    assert out["new_versions_cocreation"] == 1


def test_inspiration_decays_weekly(rng):
    state = aware(1)
    state.motivation[:] = 0.0  # no trial starts
    trials(state, make_scenario(**{**CERTAIN, "trial__inspiration_decay": 0.1}), rng, week=1)
    assert state.inspiration[0, 0] == pytest.approx(0.9)

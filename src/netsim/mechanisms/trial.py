"""Trial and adaptation: people try practices, adopt or drop them, and adapt their versions.

Default (trust-weighted) adoption rule, weekly:

- **Start.** A person who is aware of a practice, knows at least ``trial.min_knowledge`` of it
  and is not trying starts a trial with probability ``trial_rate * motivation * inspiration``.
  Resistant staff start only when the leaders' mandate is strong (seed 001 §5.2.5). Inspiration
  is built by stories, talks and presentations weighted by trust, which is what makes this
  rule trust-weighted. Facilitators guide up to ``guidance_schools_per_facilitator`` schools
  with new trials; those trials get ``guidance_support`` (seed 001 §5.2.6, §5.4.2).
- **Outcome.** A trial ends each week with probability ``1 / mean_trial_weeks`` and succeeds
  with probability ``q * (1 - difficulty * (1 - support))``, where ``q`` is the quality of the
  person's version and ``support = min(1, 0.5 * know_how + trial_support)``. Know-how closes
  ``know_how_gain`` of its gap (half that after a failure). Success: adopted, motivation rises.
  Failure: inspiration for the practice drops to 0, the practice is dropped with probability
  ``drop_prob`` (else back to aware), motivation falls. Members of a co-creation group get
  0.2 extra support for trials they start (modelling choice).
- **Adaptation.** A successful trial changes the local version with probability ``adapt_prob``
  (adapt, don't copy: seed 001 §5.2.3): ``q' = clip(q + N(bias, adapt_sd))``. For a person in a
  co-creation group the bias is ``cocreation.innovation_bias * f(distance)`` with
  ``f(d) = (d / d0) * (2 - d / d0)`` (an inverted U in the group's cognitive distance ``d``, peak
  at ``d0 = cocreation.optimal_distance``; Nooteboom et al. 2007) and the new version is shared
  with the whole group (seed 001 §6.2.3). Otherwise the bias is ``trial.adapt_bias``.
- Inspiration decays by ``inspiration_decay`` a week.
"""

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.state import ADOPTED, AWARE, DROPPED, TRYING, Origin, State, flatnonzero

__all__ = ["distance_factor", "trials"]


def distance_factor(distance: np.ndarray | float, optimal: float) -> np.ndarray:
    """Inverted-U value of cognitive distance: 0 at 0, 1 at ``optimal``, 0 at twice it."""
    x = np.asarray(distance, dtype=float) / optimal
    return x * (2 - x)


def trials(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
           guidance_available: bool = True, start_new: bool = True) -> dict[str, float]:
    """One week of trials; return counters. ``start_new=False`` only concludes trials."""
    cfg = scenario.trial
    mot = scenario.motivation
    out = {"trials_started": 0.0, "adoptions": 0.0, "failures": 0.0, "new_versions": 0.0,
           "new_versions_cocreation": 0.0}
    groups = state.groups()
    staff = groups.staff

    n_p = state.n_practices
    # flat views of the (people x practices) arrays, indexed by person * n_practices + practice
    stage, know_how = state.stage.reshape(-1), state.know_how.reshape(-1)
    trial_support = state.trial_support.reshape(-1)

    # conclude running trials
    f = flatnonzero((stage == TRYING) & groups.staff_slots)
    if f.size:
        f = f[rng.random(f.size) < 1.0 / cfg.mean_trial_weeks]
        r = f // n_p
        c = f - r * n_p
        support = np.minimum(1.0, 0.5 * know_how.take(f) + trial_support.take(f))
        p_success = state.quality.reshape(-1).take(f) * (1 - state.difficulty[c] * (1 - support))
        ok = rng.random(f.size) < p_success
        kh = know_how.take(f)
        know_how[f] = kh + np.where(ok, cfg.know_how_gain, 0.5 * cfg.know_how_gain) * (1 - kh)
        rs, cs = r[ok], c[ok]
        stage[f[ok]] = ADOPTED
        state.motivation += mot.success_gain * np.bincount(rs, minlength=state.n_people)
        failed = ~ok
        ff, rf = f[failed], r[failed]
        drop = rng.random(ff.size) < cfg.drop_prob
        stage[ff[drop]] = DROPPED
        stage[ff[~drop]] = AWARE
        state.inspiration.reshape(-1)[ff] = 0.0
        state.motivation -= mot.failure_loss * np.bincount(rf, minlength=state.n_people)
        np.clip(state.motivation, 0.0, 1.0, out=state.motivation)
        trial_support[f] = 0.0
        out["adoptions"], out["failures"] = float(rs.size), float(ff.size)
        _adapt(state, scenario, rng, week, rs, cs, out)

    # start new trials
    if start_new:
        mandate_ok = scenario.home.mandate_strength >= scenario.home.strong_mandate
        willing = groups.staff_slots if mandate_ok else np.repeat(staff & ~state.resistant, n_p)
        f = flatnonzero((stage == AWARE) & (state.knowledge.reshape(-1) >= cfg.min_knowledge)
                        & willing & (state.inspiration.reshape(-1) > 0))
        r = f // n_p
        p = cfg.trial_rate * state.motivation[r] * state.inspiration.reshape(-1).take(f)
        start = rng.random(f.size) < p
        f, r = f[start], r[start]
        if f.size:
            stage[f] = TRYING
            support = np.zeros(f.size)
            capacity = (groups.n_facilitators * cfg.guidance_schools_per_facilitator
                        if guidance_available else 0)
            school = state.school[r]
            starting = np.zeros(state.n_schools + 1, dtype=bool)  # last slot: no school (-1)
            starting[school] = True
            schools = flatnonzero(starting[:-1])
            if capacity and schools.size:
                guided = np.zeros(state.n_schools + 1, dtype=bool)
                guided[rng.permutation(schools)[:capacity]] = True
                support += cfg.guidance_support * guided[school]
            support += 0.2 * (state.cocreation_group[r] >= 0)
            trial_support[f] = np.minimum(support, 1.0)
            out["trials_started"] = float(f.size)

    state.inspiration *= 1 - cfg.inspiration_decay
    return out


def _adapt(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
           r: np.ndarray, c: np.ndarray, out: dict[str, float]) -> None:
    """Adapt the versions of some successful trials (new versions are registered)."""
    cfg = scenario.trial
    adapt = rng.random(r.size) < cfg.adapt_prob
    r, c = r[adapt], c[adapt]
    if r.size == 0:
        return
    group = state.cocreation_group[r]
    in_group = group >= 0
    bias = np.full(r.size, cfg.adapt_bias)
    if in_group.any():
        dist = state.group_distance[group[in_group]]
        bias[in_group] = scenario.cocreation.innovation_bias * distance_factor(
            dist, scenario.cocreation.optimal_distance)
    slot = r * state.n_practices + c
    quality, version = state.quality.reshape(-1), state.version.reshape(-1)
    # bias + sd * z: the same numbers as rng.normal(bias, sd), without its broadcasting cost
    new_q = np.clip(quality.take(slot) + (bias + cfg.adapt_sd * rng.standard_normal(r.size)),
                    0.01, 0.99)
    origin = np.where(in_group, Origin.COCREATION, Origin.INDIVIDUAL)
    ids = state.versions.add_many(c, new_q, version.take(slot), origin, week)
    version[slot] = ids
    quality[slot] = new_q
    out["new_versions"] += float(r.size)
    out["new_versions_cocreation"] += float(in_group.sum())
    # co-created versions are shared with the whole group
    if in_group.any():
        members = flatnonzero(state.cocreation_group >= 0)
        members = members[np.argsort(state.cocreation_group[members], kind="stable")]
        sizes = np.bincount(state.cocreation_group[members], minlength=state.group_distance.size)
        starts = np.cumsum(sizes) - sizes
        grp, k, v, q = group[in_group], c[in_group], ids[in_group], new_q[in_group]
        n_each = sizes[grp]
        which = np.repeat(np.arange(grp.size), n_each)
        offset = np.arange(which.size) - np.repeat(np.cumsum(n_each) - n_each, n_each)
        peers = members[starts[grp[which]] + offset]
        state.learn_versions(peers, k[which], v[which], q[which])

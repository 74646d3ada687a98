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
from netsim.state import ADOPTED, AWARE, DROPPED, FACILITATOR, TRYING, Origin, State

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
    staff = state.present & (state.role != FACILITATOR)

    # conclude running trials
    r, c = np.nonzero((state.stage == TRYING) & staff[:, None])
    if r.size:
        ends = rng.random(r.size) < 1.0 / cfg.mean_trial_weeks
        r, c = r[ends], c[ends]
        support = np.minimum(1.0, 0.5 * state.know_how[r, c] + state.trial_support[r, c])
        p_success = state.quality[r, c] * (1 - state.difficulty[c] * (1 - support))
        ok = rng.random(r.size) < p_success
        state.know_how[r, c] += np.where(ok, cfg.know_how_gain, 0.5 * cfg.know_how_gain) * (
            1 - state.know_how[r, c])
        rs, cs = r[ok], c[ok]
        state.stage[rs, cs] = ADOPTED
        state.motivation += mot.success_gain * np.bincount(rs, minlength=state.n_people)
        rf, cf = r[~ok], c[~ok]
        drop = rng.random(rf.size) < cfg.drop_prob
        state.stage[rf[drop], cf[drop]] = DROPPED
        state.stage[rf[~drop], cf[~drop]] = AWARE
        state.inspiration[rf, cf] = 0.0
        state.motivation -= mot.failure_loss * np.bincount(rf, minlength=state.n_people)
        np.clip(state.motivation, 0.0, 1.0, out=state.motivation)
        state.trial_support[r, c] = 0.0
        out["adoptions"], out["failures"] = float(ok.sum()), float((~ok).sum())
        _adapt(state, scenario, rng, week, rs, cs, out)

    # start new trials
    if start_new:
        mandate_ok = scenario.home.mandate_strength >= scenario.home.strong_mandate
        willing = staff & (~state.resistant | mandate_ok)
        eligible = ((state.stage == AWARE) & (state.knowledge >= cfg.min_knowledge)
                    & willing[:, None])
        r, c = np.nonzero(eligible & (state.inspiration > 0))
        p = cfg.trial_rate * state.motivation[r] * state.inspiration[r, c]
        start = rng.random(r.size) < p
        r, c = r[start], c[start]
        if r.size:
            state.stage[r, c] = TRYING
            support = np.zeros(r.size)
            n_fac = int((state.present & (state.role == FACILITATOR)).sum())
            capacity = n_fac * cfg.guidance_schools_per_facilitator if guidance_available else 0
            school = state.school[r]
            starting = np.zeros(state.n_schools + 1, dtype=bool)  # last slot: no school (-1)
            starting[school] = True
            schools = np.flatnonzero(starting[:-1])
            if capacity and schools.size:
                guided = np.zeros(state.n_schools + 1, dtype=bool)
                guided[rng.permutation(schools)[:capacity]] = True
                support += cfg.guidance_support * guided[school]
            support += 0.2 * (state.cocreation_group[r] >= 0)
            state.trial_support[r, c] = np.minimum(support, 1.0)
            out["trials_started"] = float(r.size)

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
    new_q = np.clip(state.quality[r, c] + rng.normal(bias, cfg.adapt_sd), 0.01, 0.99)
    origin = np.where(in_group, Origin.COCREATION, Origin.INDIVIDUAL)
    ids = state.versions.add_many(c, new_q, state.version[r, c], origin, week)
    state.version[r, c] = ids
    state.quality[r, c] = new_q
    out["new_versions"] += float(r.size)
    out["new_versions_cocreation"] += float(in_group.sum())
    # co-created versions are shared with the whole group
    if in_group.any():
        members = np.flatnonzero(state.cocreation_group >= 0)
        members = members[np.argsort(state.cocreation_group[members], kind="stable")]
        sizes = np.bincount(state.cocreation_group[members], minlength=state.group_distance.size)
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        grp, k, v, q = group[in_group], c[in_group], ids[in_group], new_q[in_group]
        n_each = sizes[grp]
        which = np.repeat(np.arange(grp.size), n_each)
        offset = np.arange(which.size) - np.repeat(np.cumsum(n_each) - n_each, n_each)
        peers = members[starts[grp[which]] + offset]
        state.learn_versions(peers, k[which], v[which], q[which])

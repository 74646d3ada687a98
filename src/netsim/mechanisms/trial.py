"""Trial, perception, adaptation and discontinuance of practices.

Default (trust-weighted) adoption rule, weekly:

- **Start.** A person who is aware of a practice, knows at least ``trial.min_knowledge`` of it
  and is not trying starts a trial with probability ``trial_rate * motivation * inspiration``;
  for resistant staff this is multiplied by their school's mandate
  (:func:`netsim.mechanisms.home_transfer.school_mandate`: ``home.mandate_strength`` times the
  leader's backing; seed 001 §5.2.5). Inspiration is built by stories, talks and
  presentations weighted by trust, which is what makes this rule trust-weighted. Facilitators
  guide up to ``guidance_schools_per_facilitator`` schools with new trials each (schools dealt
  to the present facilitators in turn; each guided school adds to that facilitator's
  ``state.guided``, the relations that make the key person, :mod:`netsim.mechanisms.turnover`);
  those trials get ``guidance_support`` (seed 001 §5.2.6, §5.4.2). Members of a co-creation
  group get 0.2 extra support for trials they start (modelling choice).
- **Outcome.** A trial ends each week with probability ``1 / mean_trial_weeks`` and succeeds
  with probability ``q * (1 - difficulty * (1 - support))``, where ``q`` is the true quality of
  the person's version and ``support = min(1, 0.5 * know_how + trial_support)``. Know-how
  closes ``know_how_gain`` of its gap (half that after a failure). Success: adopted,
  motivation rises. Failure: inspiration for the practice drops to 0, the practice is dropped
  with probability ``drop_prob`` (else back to aware), motivation falls.
- **Perception.** Nobody sees a version's true quality. A concluded trial is a noisy look at
  it: the person's perceived quality moves ``own_trial_weight`` of the way to
  ``q + N(0, perception_sd)``. Reports (stories, talk, presentations, posts) pass the
  reporter's perceived quality on (:meth:`netsim.state.State.learn_versions`), so people judge
  from their own and others' trials.
- **Adaptation: translation at the school boundary** (seed 001 §5.2.3-5.2.4, :func:`_adapt`).
  A successful trial changes the local version with probability ``adapt_prob`` for network
  members and co-creation members, who translate what they bring home, and
  ``adapt_prob * colleague_adapt_share`` for colleagues, who mostly take the version presented.
  Every variant changes quality by a draw from N(0, ``adapt_sd``), alone or in a group. A
  co-creation group of ``g`` members keeps the best of ``g`` variants as the group judges them
  (:func:`select_variants`; "at least two standpoints", seed 002 §2.2): variants of similar
  people are correlated (``1 - d``, the group's cognitive distance ``d``: a harmony swamp
  brings one idea several times) and the group judges them with noise ``perception_sd / (u(d)
  sqrt(g))`` (understanding ``u`` falls with distance; the members pool their judgements;
  :mod:`netsim.mechanisms.distance`). The group's advantage is selection, and it shrinks both
  when members are too similar (no new variants) and too distant (no shared judgement): an
  inverted U that appears or not with the distances a network's composition allows. The new
  version is shared with the whole group (seed 001 §6.2.3); its adapter believes it changed by
  the judged amount.
- **Discontinuance** (:func:`discontinue`): adopters drop a practice with weekly probability
  ``discontinue_rate * (1 - perceived) * (1 - support)``, support from the leader's backing, a
  carrier at the school and colleagues using it.
- Inspiration decays by ``inspiration_decay`` a week.
"""

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.mechanisms.distance import understanding, understanding_range
from netsim.mechanisms.home_transfer import school_backing, school_mandate
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    FACILITATOR,
    RESOURCE_TEACHER,
    TRYING,
    Origin,
    State,
    flatnonzero,
)

__all__ = ["discontinue", "select_variants", "trials"]


def trials(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
           guidance_available: bool = True, start_new: bool = True) -> dict[str, float]:
    """One week of trials; return counters. ``start_new=False`` only concludes trials (the
    textbook rules: no perception update, adaptation or discontinuance beyond the outcome)."""
    cfg = scenario.trial
    mot = scenario.motivation
    out = {"trials_started": 0.0, "adoptions": 0.0, "failures": 0.0, "new_versions": 0.0,
           "new_versions_cocreation": 0.0, "discontinued": 0.0}
    groups = state.groups()

    n_p = state.n_practices
    # flat views of the (people x practices) arrays, indexed by person * n_practices + practice
    stage, know_how = state.stage.reshape(-1), state.know_how.reshape(-1)
    trial_support = state.trial_support.reshape(-1)
    concluded = np.empty(0, dtype=np.int64)

    # conclude running trials
    f = flatnonzero((stage == TRYING) & groups.staff_slots)
    if f.size:
        f = f[rng.random(f.size) < 1.0 / cfg.mean_trial_weeks]
        concluded = f
        r = f // n_p
        c = f - r * n_p
        support = np.minimum(1.0, 0.5 * know_how.take(f) + trial_support.take(f))
        quality = state.quality.reshape(-1).take(f)
        p_success = quality * (1 - state.difficulty[c] * (1 - support))
        ok = rng.random(f.size) < p_success
        if start_new:  # perception: one's own trial is a noisy look at the version's quality
            perceived = state.perceived.reshape(-1)
            obs = quality + cfg.perception_sd * rng.standard_normal(f.size)
            perceived[f] += cfg.own_trial_weight * (obs - perceived.take(f))
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
        # maximum then minimum: what np.clip does, without its Python-level wrapper
        np.minimum(np.maximum(state.motivation, 0.0, out=state.motivation), 1.0,
                   out=state.motivation)
        trial_support[f] = 0.0
        out["adoptions"], out["failures"] = float(rs.size), float(ff.size)
        if start_new:
            _adapt(state, scenario, rng, week, rs, cs, out)

    if start_new and cfg.discontinue_rate > 0:
        out["discontinued"] = float(discontinue(state, scenario, rng, concluded))

    # start new trials
    if start_new:
        f = flatnonzero((stage == AWARE) & (state.knowledge.reshape(-1) >= cfg.min_knowledge)
                        & groups.staff_slots & (state.inspiration.reshape(-1) > 0))
        r = f // n_p
        p = cfg.trial_rate * state.motivation[r] * state.inspiration.reshape(-1).take(f)
        resistant = state.resistant[r]
        if resistant.any():  # resistant staff open up with their school's mandate
            mandate = school_mandate(state, scenario)
            p[resistant] *= mandate[state.school[r[resistant]]]
        start = rng.random(f.size) < p
        f, r = f[start], r[start]
        if f.size:
            stage[f] = TRYING
            support = np.zeros(f.size)
            fac = flatnonzero((state.role == FACILITATOR) & state.present)
            per_fac = cfg.guidance_schools_per_facilitator
            capacity = fac.size * per_fac if guidance_available else 0
            school = state.school[r]
            starting = np.zeros(state.n_schools + 1, dtype=bool)  # last slot: no school (-1)
            starting[school] = True
            schools = flatnonzero(starting[:-1])
            if capacity and schools.size:
                chosen = rng.permutation(schools)[:capacity]
                guided = np.zeros(state.n_schools + 1, dtype=bool)
                guided[chosen] = True
                support += cfg.guidance_support * guided[school]
                # each guided school is a relation of one facilitator (dealt in turn)
                state.guided[fac] += np.bincount(np.arange(chosen.size) % fac.size,
                                                 minlength=fac.size)
            support += 0.2 * (state.cocreation_group[r] >= 0)
            trial_support[f] = np.minimum(support, 1.0)
            out["trials_started"] = float(f.size)

    state.inspiration *= 1 - cfg.inspiration_decay
    return out


def discontinue(state: State, scenario: Scenario, rng: np.random.Generator,
                exclude: np.ndarray) -> int:
    """Adopters drop practices; return how many were dropped.

    Weekly, an adopted practice (flat slot not in ``exclude``, the trials concluded this week)
    is dropped with probability ``discontinue_rate * (1 - perceived) * (1 - support)`` where
    ``perceived`` is the adopter's perceived quality of their version (no visible results) and
    ``support = (backing + carrier + peers) / 3`` at the adopter's school: the leader's
    backing (:func:`netsim.mechanisms.home_transfer.school_backing`), whether a present
    resource teacher of the school uses the practice (its carrier; 0 once the carrier left),
    and the share of the school's staff using it. Sources: Rogers 2003 (discontinuance);
    seed 002 §2.3 (without follow-up and continuity the local organisation does not change);
    seed 001 §5.4.3 (a carrier leaving).
    """
    groups = state.groups()
    n_p = state.n_practices
    stage = state.stage.reshape(-1)
    adopted = (stage == ADOPTED) & groups.staff_slots
    f = flatnonzero(adopted)
    if f.size == 0:
        return 0
    r = f // n_p
    school = state.school.take(r)
    at_school = school >= 0
    if not at_school.all():
        f, r, school = f[at_school], r[at_school], school[at_school]
    c = f - r * n_p
    # users and carriers of each (school, practice), from the adopted slots themselves
    key = school * n_p + c
    users = np.bincount(key, minlength=state.n_schools * n_p)
    carrier = np.bincount(key, state.role.take(r) == RESOURCE_TEACHER,
                          minlength=state.n_schools * n_p) > 0
    if exclude.size:  # trials concluded this week are not at risk yet (they count as users)
        excluded = np.zeros(stage.size, dtype=bool)
        excluded[exclude] = True
        keep = ~excluded.take(f)
        f, key, school = f[keep], key[keep], school[keep]
    # p <= discontinue_rate: only draws below it need the support computed
    rate = scenario.trial.discontinue_rate
    u = rng.random(f.size)
    at_risk = flatnonzero(u < rate)
    f, key, school, u = f.take(at_risk), key.take(at_risk), school.take(at_risk), u.take(at_risk)
    peers = users.take(key) / np.maximum(groups.school_size.take(school), 1)
    support = (school_backing(state).take(school) + carrier.take(key) + peers) / 3.0
    perceived = np.minimum(np.maximum(state.perceived.reshape(-1).take(f), 0.0), 1.0)  # clip
    p = rate * (1 - perceived) * (1 - support)
    drop = f[u < p]
    stage[drop] = DROPPED
    state.inspiration.reshape(-1)[drop] = 0.0
    return int(drop.size)


def select_variants(base: np.ndarray, sd: float, size: np.ndarray, correlation: np.ndarray,
                    judge_sd: np.ndarray, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``size[m]`` people proposes a variant of a version; the group keeps the variant
    it judges best. Return (true change, judged change) of the kept variant per event.

    Variant *i* changes quality by ``sd * (sqrt(rho) z0 + sqrt(1 - rho) z_i)``: every variant
    has the distribution N(0, sd) of a lone adaptation, and variants of similar people are
    correlated (``rho = correlation``: a "harmony swamp" brings one idea in several copies,
    seed 002 §2.3). The group judges each variant with noise N(0, judge_sd) and keeps the
    highest judged one ("at least two standpoints", seed 002 §2.2). With ``size`` 1 this is
    one lone adaptation judged with noise.
    """
    m = base.size
    width = int(size.max()) if m else 1
    z0 = rng.standard_normal(m)
    z = rng.standard_normal((m, width))
    e = rng.standard_normal((m, width))
    rho = np.minimum(np.maximum(correlation, 0.0), 1.0)[:, None]  # clip, without its wrapper
    change = sd * (np.sqrt(rho) * z0[:, None] + np.sqrt(1 - rho) * z)
    judged = change + judge_sd[:, None] * e
    judged[np.arange(width)[None, :] >= size[:, None]] = -np.inf
    best = judged.argmax(axis=1)
    rows = np.arange(m)
    return change[rows, best], judged[rows, best]


def _adapt(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
           r: np.ndarray, c: np.ndarray, out: dict[str, float]) -> None:
    """Adapt the versions of some successful trials (new versions are registered).

    Translation at the school boundary (seed 001 §5.2.3-5.2.4): network members and members
    of co-creation groups adapt with probability ``adapt_prob``, colleagues with
    ``adapt_prob * colleague_adapt_share`` (they mostly take the version presented). A lone
    adaptation is one variant; a co-creation group's is the best judged of one variant per
    member (:func:`select_variants`), with variant correlation ``1 - d`` and judging noise
    ``perception_sd / (u(d) sqrt(g))`` (the ``g`` members pool their judgements) for the
    group's cognitive distance ``d``
    (:mod:`netsim.mechanisms.distance`; co-creation groups have no facilitator, so no
    moderation). The adapter believes the version changed by the judged amount.
    """
    cfg = scenario.trial
    group = state.cocreation_group[r]
    in_group = group >= 0
    translator = in_group | state.member[r]
    p = np.where(translator, cfg.adapt_prob, cfg.adapt_prob * cfg.colleague_adapt_share)
    adapt = rng.random(r.size) < p
    r, c, group, in_group = r[adapt], c[adapt], group[adapt], in_group[adapt]
    if r.size == 0:
        return
    size = np.ones(r.size, dtype=np.int64)
    correlation = np.ones(r.size)
    judge_sd = np.full(r.size, cfg.perception_sd)
    if in_group.any():
        n_groups = state.group_distance.size
        sizes = np.bincount(state.cocreation_group[state.cocreation_group >= 0],
                            minlength=n_groups)
        dist = state.group_distance[group[in_group]]
        size[in_group] = sizes[group[in_group]]
        correlation[in_group] = 1.0 - dist
        u = understanding(dist, understanding_range(scenario, moderated=False))
        # every member judges every variant; the group pools its members' judgements
        judge_sd[in_group] = cfg.perception_sd / (np.maximum(u, 1e-6)
                                                  * np.sqrt(size[in_group]))
    slot = r * state.n_practices + c
    quality, version = state.quality.reshape(-1), state.version.reshape(-1)
    perceived = state.perceived.reshape(-1)
    change, judged = select_variants(quality.take(slot), cfg.adapt_sd, size, correlation,
                                     judge_sd, rng)
    new_q = np.minimum(np.maximum(quality.take(slot) + change, 0.01), 0.99)  # clip
    new_p = perceived.take(slot) + judged
    origin = np.where(in_group, Origin.COCREATION, Origin.INDIVIDUAL)
    ids = state.versions.add_many(c, new_q, version.take(slot), origin, week)
    version[slot] = ids
    quality[slot] = new_q
    perceived[slot] = new_p
    out["new_versions"] += float(r.size)
    out["new_versions_cocreation"] += float(in_group.sum())
    # co-created versions are shared with the whole group
    if in_group.any():
        members = flatnonzero(state.cocreation_group >= 0)
        members = members[np.argsort(state.cocreation_group[members], kind="stable")]
        sizes = np.bincount(state.cocreation_group[members], minlength=state.group_distance.size)
        starts = np.cumsum(sizes) - sizes
        grp, k, v, q = group[in_group], c[in_group], ids[in_group], new_q[in_group]
        pq = new_p[in_group]
        n_each = sizes[grp]
        which = np.repeat(np.arange(grp.size), n_each)
        offset = np.arange(which.size) - np.repeat(np.cumsum(n_each) - n_each, n_each)
        peers = members[starts[grp[which]] + offset]
        state.learn_versions(peers, k[which], v[which], q[which], pq[which])

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
- **Adaptation: translation at the school boundary** (seed 001 §5.2.3-5.2.4,
  :func:`_adapters`, :func:`_new_versions`).
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
from netsim import kernels
from netsim.kernels import kernel
from netsim.mechanisms.distance import understanding_range
from netsim.mechanisms.dynamics import clip
from netsim.mechanisms.home_transfer import school_backing
from netsim.state import (
    ADOPTED,
    AWARE,
    DROPPED,
    FACILITATOR,
    RESOURCE_TEACHER,
    SWITCH_MARGIN,
    TRYING,
    Origin,
    State,
    hear_versions,
)

__all__ = ["discontinue", "select_variants", "trials"]

_NONE = np.empty(0, dtype=np.int64)
_COCREATION, _INDIVIDUAL = int(Origin.COCREATION), int(Origin.INDIVIDUAL)


def trials(state: State, scenario: Scenario, rng: np.random.Generator, week: int,
           guidance_available: bool = True, start_new: bool = True) -> dict[str, float]:
    """One week of trials; return counters. ``start_new=False`` only concludes trials (the
    textbook rules: no perception update, adaptation or discontinuance beyond the outcome).

    The week is one compiled call, :func:`_week` (:mod:`netsim.kernels`), which runs the
    steps' loops below in the rule's order and makes the draws between them in that order:
    which trials end, their outcomes, the perception noise, which failures drop and which
    successes adapt, the variants of the adaptations, who discontinues and who starts a
    trial, the guided schools. Only the registry of versions is written here, after it.
    """
    cfg = scenario.trial
    mot = scenario.motivation
    groups = state.groups()
    capacity = groups.n_facilitators * cfg.guidance_schools_per_facilitator \
        if guidance_available else 0
    first_id = len(state.versions)
    counts, c, new_q, parent, origin = _week(
        kernels.generator_handle(rng), start_new, capacity, first_id, state.n_practices, state.n_schools,
        state.stage.reshape(-1), state.knowledge.reshape(-1), state.inspiration.reshape(-1),
        state.know_how.reshape(-1), state.trial_support.reshape(-1),
        state.quality.reshape(-1), state.perceived.reshape(-1), state.version.reshape(-1),
        state.motivation, state.difficulty, groups.staff, state.school, state.role,
        state.member, state.resistant, state.present, state.cocreation_group, state.guided,
        groups.school_size, state.leader_attended, state.alignment, state.group_distance,
        state._bonus, cfg.min_knowledge, 1.0 / cfg.mean_trial_weeks, cfg.drop_prob,
        cfg.perception_sd, cfg.own_trial_weight, cfg.know_how_gain, mot.success_gain,
        mot.failure_loss, cfg.adapt_prob, cfg.adapt_prob * cfg.colleague_adapt_share,
        understanding_range(scenario, moderated=False), cfg.adapt_sd, cfg.discontinue_rate,
        cfg.trial_rate, scenario.home.mandate_strength, 1 - cfg.inspiration_decay,
        cfg.guidance_support)
    if c.size:  # the new versions, with the ids _week gave them (first_id, first_id + 1, ...)
        state.versions.add_many(c, new_q, parent, origin, week)
    started, adoptions, failures, cocreated, discontinued = counts
    return {"trials_started": float(started), "adoptions": float(adoptions),
            "failures": float(failures), "new_versions": float(c.size),
            "new_versions_cocreation": float(cocreated), "discontinued": float(discontinued)}


@kernel
def _week(handle: kernels.GeneratorHandle, start_new: bool, capacity: int, first_id: int, n_p: int,
          n_schools: int, stage: np.ndarray, knowledge: np.ndarray, inspiration: np.ndarray,
          know_how: np.ndarray, trial_support: np.ndarray, quality: np.ndarray,
          perceived: np.ndarray, version: np.ndarray, motivation: np.ndarray,
          difficulty: np.ndarray, staff: np.ndarray, school: np.ndarray, role: np.ndarray,
          member: np.ndarray, resistant: np.ndarray, present: np.ndarray,
          cocreation_group: np.ndarray, guided: np.ndarray, school_size: np.ndarray,
          leader_attended: np.ndarray, alignment: np.ndarray, distance: np.ndarray,
          bonus: np.ndarray, min_knowledge: float, p_end: float, drop_prob: float, sd: float,
          weight: float, gain: float, success_gain: float, failure_loss: float,
          p_translator: float, p_colleague: float, understanding_range: float,
          adapt_sd: float, discontinue_rate: float, trial_rate: float,
          mandate_strength: float, keep: float, guidance_support: float
          ) -> tuple[tuple[int, int, int, int, int], np.ndarray, np.ndarray, np.ndarray,
                     np.ndarray]:
    """The week of :func:`trials` (flat (person, practice) slots; ``capacity`` schools can be
    guided; ``keep = 1 - inspiration_decay``). Return the counts (trials started, adoptions,
    failures, co-created versions, discontinued) and the new versions (practice, quality,
    parent, origin; ids ``first_id`` on, in that order).

    Speed (issue 14): the whole week is one compiled call, so the run's generator is passed
    in and the draws are made here, in the rule's order, with NumPy's own algorithms (Numba's
    ``Generator.random``, ``standard_normal`` and ``shuffle`` are translations of NumPy's and
    give the same numbers and leave the generator in the same state:
    tests/mechanisms/test_trial.py checks that, and tests/mechanisms/test_week_kernels.py
    compares the week with the vectorised rule, generator state included). This is rule 1's
    exception in :mod:`netsim.kernels` (draws inside a kernel), through the run's
    :func:`netsim.kernels.generator_handle` (about 1 us a call; Numba's unboxing of the
    Generator itself cost 13-16 us of each week's call), once a week here against the dozen
    NumPy and kernel calls, returned arrays and Python between them it replaces (measured:
    the week about 7-15% faster than as separate kernels with NumPy draws).
    """
    rng = handle.rng
    # one pass over the slots finds the running trials, the adopters at a school (who may
    # discontinue) and who may start a trial. Until those steps nothing else changes who is
    # in them: concluded trials are not at risk yet (they count as users), failures go back
    # with no inspiration, and people who hear of a co-created version are added below.
    f, adopters, users, carrier, candidates = _week_slots(
        stage, knowledge, inspiration, staff, school, role, min_knowledge, n_p, n_schools)
    rs = cs = np.empty(0, dtype=np.int64)
    new_c = parent = origin = np.empty(0, dtype=np.int64)
    new_q = np.empty(0)
    adoptions = failures = n_cocreated = 0
    if f.size:  # conclude running trials
        concluded, p_success = _ending_trials(f, rng.random(f.size), p_end, n_p, know_how,
                                              trial_support, quality, difficulty)
        u_ok = rng.random(concluded.size)  # success if below p_success
        # perception: one's own trial is a noisy look at the version's quality
        look = rng.standard_normal(concluded.size) if start_new else np.empty(0)
        # which failures drop, then (with adaptation) which successes adapt: uniforms that
        # follow each other, so one call draws both (the same numbers in the same order)
        n_u = concluded.size
        if not start_new:
            for i in range(concluded.size):
                n_u -= u_ok[i] < p_success[i]
        u = rng.random(n_u)
        rs, cs, n_fail = _conclude_trials(concluded, u_ok, p_success, look, u, drop_prob, n_p,
                                          stage, know_how, trial_support, inspiration,
                                          quality, perceived, motivation, sd, weight, gain,
                                          success_gain, failure_loss)
        adoptions, failures = rs.size, concluded.size - rs.size
        if start_new:  # adaptation: translation at the school boundary
            ra, new_c, group, size, correlation, judge_sd, width = _adapters(
                rs, cs, u[n_fail:], cocreation_group, member, p_translator, p_colleague,
                distance, understanding_range, sd)
            if ra.size:
                # the variants' normals (select_variants, _variant_draws), the new versions
                draws = rng.standard_normal(ra.size * (1 + 2 * width))
                new_q, parent, origin, n_cocreated, flat, ids, q, pq = _new_versions(
                    ra, new_c, group, adapt_sd, width, size, correlation, judge_sd, draws,
                    first_id, n_p, quality, perceived, version, cocreation_group)
                if flat.size:  # co-created versions are shared with the whole group
                    hear_versions(flat, ids, q, pq, bonus, SWITCH_MARGIN, version, quality,
                                  perceived, stage)
                    candidates = _add_candidates(candidates, flat, stage, knowledge,
                                                 inspiration, staff, min_knowledge, n_p)
    if not start_new:
        for s in range(inspiration.size):  # the week's decay of inspiration
            inspiration[s] *= keep
        return (0, adoptions, failures, n_cocreated, 0), new_c, new_q, parent, origin
    # who discontinues, then who starts a trial: uniforms that follow each other, one call
    at_risk = adopters if discontinue_rate > 0 else adopters[:0]
    dropped, f, schools = _discontinue_start_and_decay(
        at_risk, rng.random(at_risk.size + candidates.size), discontinue_rate, users, carrier,
        rs, cs, n_p, stage, school, role, school_size, leader_attended, alignment, perceived,
        inspiration, candidates, trial_rate, motivation, resistant, mandate_strength, keep)
    if f.size:
        chosen = schools[:0]
        if capacity and schools.size:  # the schools guided: a random order, the first ones
            rng.shuffle(schools)  # what rng.permutation(schools) does (schools is ours)
            chosen = schools[:capacity]
        _support_new_trials(f, chosen, n_p, role, present, school, n_schools,
                            cocreation_group, guided, trial_support, guidance_support)
    return (f.size, adoptions, failures, n_cocreated, dropped), new_c, new_q, parent, origin


@kernel
def _discontinue_start_and_decay(
        at_risk: np.ndarray, u: np.ndarray, rate: float, users: np.ndarray,
        carrier: np.ndarray, new_r: np.ndarray, new_c: np.ndarray, n_p: int,
        stage: np.ndarray, school: np.ndarray, role: np.ndarray, school_size: np.ndarray,
        leader_attended: np.ndarray, alignment: np.ndarray, perceived: np.ndarray,
        inspiration: np.ndarray, candidates: np.ndarray, trial_rate: float,
        motivation: np.ndarray, resistant: np.ndarray, mandate_strength: float,
        keep: float) -> tuple[int, np.ndarray, np.ndarray]:
    """The end of a week (no draw comes between these steps): :func:`_discontinue` of
    ``at_risk`` with the first draws of ``u``,
    :func:`_start_trials` of the ``candidates`` with the rest, then inspiration decays
    (times ``keep``, ``1 - inspiration_decay``: the product NumPy's ``*=`` takes, slot by
    slot). The leaders' backing is
    :func:`netsim.mechanisms.home_transfer.school_backing`: 1 if the leader attended, else
    the leader's alignment (the same values NumPy's ``where`` picks). Return the number
    dropped, the started slots and the schools starting trials."""
    backing = np.empty(alignment.size)
    for k in range(alignment.size):
        backing[k] = 1.0 if leader_attended[k] else alignment[k]
    dropped = 0
    if at_risk.size:
        dropped = _discontinue(at_risk, u[:at_risk.size], rate, users, carrier, new_r, new_c,
                               n_p, stage, school, role, school_size, backing, perceived,
                               inspiration)
    f, schools = _start_trials(candidates, u[at_risk.size:], trial_rate, motivation,
                               inspiration, resistant, backing, mandate_strength, n_p, stage,
                               school)
    for s in range(inspiration.size):
        inspiration[s] *= keep
    return dropped, f, schools


@kernel
def _week_slots(stage: np.ndarray, knowledge: np.ndarray, inspiration: np.ndarray,
                staff: np.ndarray, school: np.ndarray, role: np.ndarray,
                min_knowledge: float, n_p: int, n_schools: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat slots of present staff (``staff``: per person): running trials; adopted practices
    at a school, and per (school, practice) the number of those adopters (users) and whether a
    resource teacher is among them (a carrier); and the slots that may start a trial (aware,
    knowing ``min_knowledge``, inspired)."""
    running = np.empty(stage.size, dtype=np.int64)
    adopted = np.empty(stage.size, dtype=np.int64)
    candidates = np.empty(stage.size, dtype=np.int64)
    users = np.zeros(n_schools * n_p, dtype=np.int64)
    carrier = np.zeros(n_schools * n_p, dtype=np.bool_)
    n_running = n_adopted = n_candidates = 0
    # speed: person by person, then their practices (slots in the same rising order), so
    # people who are not present staff are skipped whole and no slot is divided by n_p
    for r in range(staff.size):
        if not staff[r]:
            continue
        k = school[r]
        resource_teacher = role[r] == RESOURCE_TEACHER
        for c in range(n_p):
            s = r * n_p + c
            st = stage[s]
            if st == AWARE:
                if knowledge[s] >= min_knowledge and inspiration[s] > 0:
                    candidates[n_candidates] = s
                    n_candidates += 1
            elif st == TRYING:
                running[n_running] = s
                n_running += 1
            elif st == ADOPTED and k >= 0:
                adopted[n_adopted] = s
                n_adopted += 1
                users[k * n_p + c] += 1
                if resource_teacher:
                    carrier[k * n_p + c] = True
    return (running[:n_running], adopted[:n_adopted], users, carrier,
            candidates[:n_candidates])


@kernel
def _add_candidates(candidates: np.ndarray, heard: np.ndarray, stage: np.ndarray,
                    knowledge: np.ndarray, inspiration: np.ndarray, staff: np.ndarray,
                    min_knowledge: float, n_p: int) -> np.ndarray:
    """``candidates`` (sorted) and the ``heard`` slots that are now aware, known and inspired
    (present staff) and not among them yet, in slot order."""
    extra = np.empty(heard.size, dtype=np.int64)
    n = 0
    for s in heard:
        if (stage[s] == AWARE and knowledge[s] >= min_knowledge and inspiration[s] > 0
                and staff[s // n_p]):
            i = np.searchsorted(candidates, s)
            if i == candidates.size or candidates[i] != s:
                extra[n] = s
                n += 1
    if n == 0:
        return candidates
    extra = kernels.unique(extra[:n])
    # merge the two sorted runs (Numba's np.sort of a sorted array with a few entries appended
    # is quadratic: 0.7 s for 125,000 candidates at 100,000 people, against microseconds)
    merged = np.empty(candidates.size + extra.size, dtype=np.int64)
    i = j = 0
    for k in range(merged.size):
        if j == extra.size or (i < candidates.size and candidates[i] < extra[j]):
            merged[k] = candidates[i]
            i += 1
        else:
            merged[k] = extra[j]
            j += 1
    return merged


@kernel
def _ending_trials(f: np.ndarray, u: np.ndarray, p_end: float, n_p: int, know_how: np.ndarray,
                   trial_support: np.ndarray, quality: np.ndarray, difficulty: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The running trials (slots ``f``) that end this week (``u < p_end``) and the success
    probability of each: ``q * (1 - difficulty * (1 - support))``, ``support = min(1, 0.5 *
    know_how + trial_support)``."""
    ended = np.empty(f.size, dtype=np.int64)
    p = np.empty(f.size)
    n = 0
    for i in range(f.size):
        if u[i] < p_end:
            s = f[i]
            support = min(1.0, 0.5 * know_how[s] + trial_support[s])
            ended[n] = s
            p[n] = quality[s] * (1 - difficulty[s % n_p] * (1 - support))
            n += 1
    return ended[:n], p[:n]


@kernel
def _conclude_trials(f: np.ndarray, u_ok: np.ndarray, p_success: np.ndarray,
                     look: np.ndarray, u_drop: np.ndarray, drop_prob: float, n_p: int,
                     stage: np.ndarray, know_how: np.ndarray, trial_support: np.ndarray,
                     inspiration: np.ndarray, quality: np.ndarray, perceived: np.ndarray,
                     motivation: np.ndarray, sd: float, weight: float, gain: float,
                     success_gain: float, failure_loss: float
                     ) -> tuple[np.ndarray, np.ndarray, int]:
    """Apply the outcomes of the ended trials ``f`` (in slot order); return (person, practice)
    of the successes and the number of failures.

    A trial succeeds if ``u_ok < p_success``. ``look`` (empty: no perception update) are the
    perception noise draws; the ``j``-th failure (in slot order) drops if ``u_drop[j] <
    drop_prob``. Perceived quality moves ``weight`` (own_trial_weight) of the way
    to ``q + sd * look``; know-how closes ``gain`` (half after a failure) of its gap; a success
    adopts, a failure clears inspiration and drops (else back to aware); motivation rises by
    ``success_gain`` per success and falls by ``failure_loss`` per failure of each person,
    then is clipped to [0, 1] (everyone's, as before); trial support ends.
    """
    n_people = motivation.size
    person = np.empty(f.size, dtype=np.int64)  # of each trial, and whether it succeeded
    succeeded = np.empty(f.size, dtype=np.bool_)
    rs = np.empty(f.size, dtype=np.int64)
    cs = np.empty(f.size, dtype=np.int64)
    n_ok = 0
    n_fail = 0
    for i in range(f.size):
        s = f[i]
        r = s // n_p
        if look.size:
            obs = quality[s] + sd * look[i]
            perceived[s] += weight * (obs - perceived[s])
        ok = u_ok[i] < p_success[i]
        person[i], succeeded[i] = r, ok
        kh = know_how[s]
        know_how[s] = kh + (gain if ok else 0.5 * gain) * (1 - kh)
        if ok:
            stage[s] = ADOPTED
            rs[n_ok] = r
            cs[n_ok] = s - r * n_p
            n_ok += 1
        else:
            stage[s] = DROPPED if u_drop[n_fail] < drop_prob else AWARE
            inspiration[s] = 0.0
            n_fail += 1
        trial_support[s] = 0.0
    # the trials are in slot order, so each person's are consecutive: counted while passing
    # (speed: no per-person count arrays to zero every week)
    i = 0
    for r in range(n_people):
        successes = failures = 0
        while i < f.size and person[i] == r:
            successes += succeeded[i]
            failures += not succeeded[i]
            i += 1
        m = motivation[r] + success_gain * successes
        m = m - failure_loss * failures
        motivation[r] = clip(m, 0.0, 1.0)
    if i < f.size:
        raise ValueError("the ended trials must be in slot order")
    return rs[:n_ok], cs[:n_ok], n_fail


@kernel
def _start_trials(f: np.ndarray, u: np.ndarray, trial_rate: float, motivation: np.ndarray,
                  inspiration: np.ndarray, resistant: np.ndarray, backing: np.ndarray,
                  mandate_strength: float, n_p: int, stage: np.ndarray, school: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The candidate slots ``f`` start a trial if ``u < trial_rate * motivation *
    inspiration``, for resistant staff times their school's mandate ``mandate_strength *
    backing`` (:func:`netsim.mechanisms.home_transfer.school_mandate`). Return the started
    slots and the schools (ascending) of the people starting them."""
    n_schools = backing.size
    started = np.empty(f.size, dtype=np.int64)
    starting = np.zeros(n_schools, dtype=np.bool_)
    n = 0
    for i in range(f.size):
        s = f[i]
        r = s // n_p
        p = trial_rate * motivation[r] * inspiration[s]
        k = school[r]
        if resistant[r]:  # NumPy's indexing: school -1 takes the last school's mandate
            p *= mandate_strength * backing[k if k >= 0 else k + n_schools]
        if u[i] < p:
            stage[s] = TRYING
            started[n] = s
            n += 1
            if k >= 0:
                starting[k] = True
    schools = np.empty(n_schools, dtype=np.int64)
    n_starting = 0
    for k in range(n_schools):
        if starting[k]:
            schools[n_starting] = k
            n_starting += 1
    return started[:n], schools[:n_starting]


@kernel
def _support_new_trials(f: np.ndarray, chosen: np.ndarray, n_p: int, role: np.ndarray,
                        present: np.ndarray, school: np.ndarray, n_schools: int,
                        cocreation_group: np.ndarray, guided: np.ndarray,
                        trial_support: np.ndarray, guidance_support: float) -> None:
    """Support of the new trials ``f``: ``guidance_support`` at the ``chosen`` (guided) schools,
    0.2 for co-creation members, at most 1. Each guided school counts for one present
    facilitator, dealt in turn in row order."""
    guided_school = np.zeros(n_schools + 1, dtype=np.bool_)  # last slot: no school (-1)
    if chosen.size:
        facilitators = np.empty(role.size, dtype=np.int64)
        n_fac = 0
        for r in range(role.size):
            if role[r] == FACILITATOR and present[r]:
                facilitators[n_fac] = r
                n_fac += 1
        for i in range(chosen.size):
            guided_school[chosen[i]] = True
            guided[facilitators[i % n_fac]] += 1
    for i in range(f.size):
        s = f[i]
        r = s // n_p
        k = school[r]
        support = 0.0
        if chosen.size:
            support += guidance_support * guided_school[k if k >= 0 else n_schools]
        support += 0.2 * (cocreation_group[r] >= 0)
        trial_support[s] = min(support, 1.0)


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
    seed 001 §5.4.3 (a carrier leaving). (:func:`trials` makes the same draws from the
    adopters it found at the start of the week.)
    """
    groups = state.groups()
    n_p = state.n_practices
    stage = state.stage.reshape(-1)
    # users and carriers count the excluded (concluded) trials too
    _, at_risk, users, carrier, _ = _week_slots(stage, state.knowledge.reshape(-1),
                                                state.inspiration.reshape(-1),
                                                groups.staff,
                                                state.school, state.role, 1.0, n_p,
                                                state.n_schools)
    if exclude.size:
        excluded = np.zeros(stage.size, dtype=bool)
        excluded[exclude] = True
        at_risk = at_risk[~excluded[at_risk]]
    if at_risk.size == 0:
        return 0
    return _discontinue(at_risk, rng.random(at_risk.size), scenario.trial.discontinue_rate,
                        users, carrier, _NONE, _NONE, n_p, stage, state.school, state.role,
                        groups.school_size, school_backing(state), state.perceived.reshape(-1),
                        state.inspiration.reshape(-1))


@kernel
def _discontinue(f: np.ndarray, u: np.ndarray, rate: float, users: np.ndarray,
                 carrier: np.ndarray, new_r: np.ndarray, new_c: np.ndarray, n_p: int,
                 stage: np.ndarray, school: np.ndarray, role: np.ndarray,
                 school_size: np.ndarray, backing: np.ndarray, perceived: np.ndarray,
                 inspiration: np.ndarray) -> int:
    """Drop the adopted slots ``f`` whose draw ``u`` falls below ``rate * (1 - perceived) *
    (1 - support)``, ``support = (backing + carrier + users / school size) / 3`` at the
    adopter's school (see :func:`discontinue`). ``users`` and ``carrier`` are counted without
    the adoptions ``(new_r, new_c)`` of this week, which count as users (and carriers) too."""
    for i in range(new_r.size):
        k = school[new_r[i]]
        if k >= 0:
            users[k * n_p + new_c[i]] += 1
            if role[new_r[i]] == RESOURCE_TEACHER:
                carrier[k * n_p + new_c[i]] = True
    dropped = 0
    for i in range(f.size):
        if u[i] < rate:  # p <= rate: only draws below it need the support computed
            s = f[i]
            r = s // n_p
            k = school[r]
            key = k * n_p + (s - r * n_p)
            peers = users[key] / max(school_size[k], 1)
            support = (backing[k] + carrier[key] + peers) / 3.0
            seen = clip(perceived[s], 0.0, 1.0)
            if u[i] < rate * (1 - seen) * (1 - support):
                stage[s] = DROPPED
                inspiration[s] = 0.0
                dropped += 1
    return dropped


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
    return _best_variants(sd, width, np.asarray(size, dtype=np.int64),
                          np.asarray(correlation, dtype=np.float64),
                          np.asarray(judge_sd, dtype=np.float64), _variant_draws(rng, m, width))


def _variant_draws(rng: np.random.Generator, m: int, width: int) -> np.ndarray:
    """The normals of :func:`select_variants` for ``m`` events of at most ``width`` variants:
    z0 (m), then z and e (m x width each, event by event). One call gives the same normals in
    the same order as three calls (the generator keeps no normal between calls), with less
    overhead."""
    return rng.standard_normal(m * (1 + 2 * width))


@kernel
def _best_variants(sd: float, width: int, size: np.ndarray, correlation: np.ndarray,
                   judge_sd: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The loop of :func:`select_variants` over events and variants: ``draws`` holds z0 (one
    per event), then z and e (``width`` per event each, event by event). The first highest
    judged variant wins (``argmax``: a NaN counts as highest); variants beyond ``size`` are
    judged ``-inf``."""
    m = size.size
    z, e = m, m + m * width  # where z and e start in draws
    change = np.empty(m)
    judged = np.empty(m)
    for i in range(m):
        rho = clip(correlation[i], 0.0, 1.0)
        shared, own = np.sqrt(rho) * draws[i], np.sqrt(1 - rho)
        best_c = 0.0
        best_j = -np.inf
        for j in range(width):
            c = sd * (shared + own * draws[z + i * width + j])
            jd = c + judge_sd[i] * draws[e + i * width + j] if j < size[i] else -np.inf
            if j == 0 or jd > best_j or (jd != jd and best_j == best_j):
                best_c, best_j = c, jd
        change[i], judged[i] = best_c, best_j
    return change, judged


@kernel
def _adapters(r: np.ndarray, c: np.ndarray, u: np.ndarray, cocreation_group: np.ndarray,
              member: np.ndarray, p_translator: float, p_colleague: float,
              distance: np.ndarray, understanding_range: float, perception_sd: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                         np.ndarray, int]:
    """Which successful trials (person ``r``, practice ``c``) adapt, and how: return person,
    practice, co-creation group (-1 none), number of variants, their correlation and the
    judging noise of each adaptation, and the largest number of variants (1 if none).

    Network members and co-creation members adapt if ``u < p_translator``, colleagues if
    ``u < p_colleague``. Alone: one variant judged with ``perception_sd``. In co-creation group
    ``g``: one variant per member, correlation ``1 - distance[g]``, noise ``perception_sd /
    (max(understanding, 1e-6) * sqrt(members))`` (every member judges every variant; the
    group pools its members' judgements), understanding ``max(0, 1 - distance[g] /
    understanding_range)`` (:func:`netsim.mechanisms.distance.understanding`).
    """
    keep = np.empty(r.size, dtype=np.int64)
    n = 0
    grouped = False
    for i in range(r.size):
        g = cocreation_group[r[i]]
        if u[i] < (p_translator if g >= 0 or member[r[i]] else p_colleague):
            keep[n] = i
            n += 1
            grouped = grouped or g >= 0
    members = np.zeros(distance.size, dtype=np.int64)  # per group
    if grouped:
        for p in range(cocreation_group.size):
            g = cocreation_group[p]
            if 0 <= g < members.size:
                members[g] += 1
    ra, ca, group = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), \
        np.empty(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    correlation = np.ones(n)
    judge_sd = np.full(n, perception_sd)
    width = 1
    for j in range(n):
        i = keep[j]
        ra[j], ca[j] = r[i], c[i]
        g = group[j] = cocreation_group[r[i]]
        if g >= 0:
            size[j] = members[g]
            width = max(width, size[j])
            correlation[j] = 1.0 - distance[g]
            understanding = max(0.0, 1.0 - distance[g] / understanding_range)
            judge_sd[j] = perception_sd / (max(understanding, 1e-6) * np.sqrt(size[j]))
    return ra, ca, group, size, correlation, judge_sd, width


@kernel
def _new_versions(r: np.ndarray, c: np.ndarray, group: np.ndarray, sd: float, width: int,
                  size: np.ndarray, correlation: np.ndarray, judge_sd: np.ndarray,
                  draws: np.ndarray, first_id: int, n_p: int, quality: np.ndarray,
                  perceived: np.ndarray, version: np.ndarray, cocreation_group: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray, np.ndarray,
                             np.ndarray, np.ndarray]:
    """The adapters take their new versions (ids ``first_id``, ``first_id + 1``, ... in event
    order), the variant each keeps (:func:`select_variants`, its normals ``draws``): true
    quality ``clip(q + change, 0.01, 0.99)``, perceived ``perceived + judged``. Return per
    event the new quality, the parent version and the origin; the number made in co-creation
    groups; and what the groups hear of them: for each co-created version (in event order)
    every member of the group (in rising row) with its flat slot, version id, true quality
    and the adapter's perceived quality.
    """
    change, judged = _best_variants(sd, width, size, correlation, judge_sd, draws)
    m = r.size
    new_q = np.empty(m)
    new_p = np.empty(m)
    parent = np.empty(m, dtype=np.int64)
    origin = np.empty(m, dtype=np.int64)
    n_cocreated = 0
    for i in range(m):  # (person, practice) pairs are distinct: concluded trials
        s = r[i] * n_p + c[i]
        new_q[i] = clip(quality[s] + change[i], 0.01, 0.99)
        new_p[i] = perceived[s] + judged[i]
        parent[i] = version[s]
        origin[i] = _COCREATION if group[i] >= 0 else _INDIVIDUAL
        n_cocreated += group[i] >= 0
        version[s] = first_id + i
        quality[s] = new_q[i]
        perceived[s] = new_p[i]
    # the members of the groups that co-created, in rising row (speed: one pass over the
    # people, not one per co-created version): rows[start[g]:start[g + 1]] for group g
    n_groups = 0
    for i in range(m):
        n_groups = max(n_groups, group[i] + 1)
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for p in range(cocreation_group.size if n_groups else 0):
        if 0 <= cocreation_group[p] < n_groups:
            start[cocreation_group[p] + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    rows = np.empty(start[n_groups], dtype=np.int64)
    fill = start[:n_groups].copy()
    for p in range(cocreation_group.size if n_groups else 0):
        g = cocreation_group[p]
        if 0 <= g < n_groups:
            rows[fill[g]] = p
            fill[g] += 1
    n_heard = 0
    for i in range(m):
        if group[i] >= 0:
            n_heard += start[group[i] + 1] - start[group[i]]
    flat = np.empty(n_heard, dtype=np.int64)
    ids = np.empty(n_heard, dtype=np.int64)
    q = np.empty(n_heard)
    pq = np.empty(n_heard)
    k = 0
    for i in range(m):
        g = group[i]
        if g < 0:
            continue
        for j in range(start[g], start[g + 1]):
            flat[k], ids[k] = rows[j] * n_p + c[i], first_id + i
            q[k], pq[k] = new_q[i], new_p[i]
            k += 1
    return new_q, parent, origin, n_cocreated, flat, ids, q, pq

"""The weekly rules of trial, dynamics and cocreation as vectorised NumPy, before they became
compiled loops (issue 14): the reference the kernels must match bit for bit
(``tests/mechanisms/test_week_kernels.py``). Code as it was (docstrings dropped); when a rule
changes, change it here too and say so.
"""

# ruff: noqa

from __future__ import annotations

import numpy as np

from netsim.config import Scenario
from netsim.mechanisms.distance import pair_distance, understanding, understanding_range
from netsim.mechanisms.gathering import group_pairs
from netsim.mechanisms.home_transfer import school_backing, school_mandate
from netsim.state import (ADOPTED, AWARE, DROPPED, FACILITATOR, RESOURCE_TEACHER, TRYING,
                          Origin, State, TieStore, flatnonzero, nonzero2)



def trials(state: State, scenario: Scenario, rng: np.random.Generator, week: int, guidance_available: bool=True, start_new: bool=True) -> dict[str, float]:
    cfg = scenario.trial
    mot = scenario.motivation
    out = {'trials_started': 0.0, 'adoptions': 0.0, 'failures': 0.0, 'new_versions': 0.0, 'new_versions_cocreation': 0.0, 'discontinued': 0.0}
    groups = state.groups()
    n_p = state.n_practices
    stage, know_how = (state.stage.reshape(-1), state.know_how.reshape(-1))
    trial_support = state.trial_support.reshape(-1)
    concluded = np.empty(0, dtype=np.int64)
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
        if start_new:
            perceived = state.perceived.reshape(-1)
            obs = quality + cfg.perception_sd * rng.standard_normal(f.size)
            perceived[f] += cfg.own_trial_weight * (obs - perceived.take(f))
        kh = know_how.take(f)
        know_how[f] = kh + np.where(ok, cfg.know_how_gain, 0.5 * cfg.know_how_gain) * (1 - kh)
        rs, cs = (r[ok], c[ok])
        stage[f[ok]] = ADOPTED
        state.motivation += mot.success_gain * np.bincount(rs, minlength=state.n_people)
        failed = ~ok
        ff, rf = (f[failed], r[failed])
        drop = rng.random(ff.size) < cfg.drop_prob
        stage[ff[drop]] = DROPPED
        stage[ff[~drop]] = AWARE
        state.inspiration.reshape(-1)[ff] = 0.0
        state.motivation -= mot.failure_loss * np.bincount(rf, minlength=state.n_people)
        np.minimum(np.maximum(state.motivation, 0.0, out=state.motivation), 1.0, out=state.motivation)
        trial_support[f] = 0.0
        out['adoptions'], out['failures'] = (float(rs.size), float(ff.size))
        if start_new:
            _adapt(state, scenario, rng, week, rs, cs, out)
    if start_new and cfg.discontinue_rate > 0:
        out['discontinued'] = float(discontinue(state, scenario, rng, concluded))
    if start_new:
        f = flatnonzero((stage == AWARE) & (state.knowledge.reshape(-1) >= cfg.min_knowledge) & groups.staff_slots & (state.inspiration.reshape(-1) > 0))
        r = f // n_p
        p = cfg.trial_rate * state.motivation[r] * state.inspiration.reshape(-1).take(f)
        resistant = state.resistant[r]
        if resistant.any():
            mandate = school_mandate(state, scenario)
            p[resistant] *= mandate[state.school[r[resistant]]]
        start = rng.random(f.size) < p
        f, r = (f[start], r[start])
        if f.size:
            stage[f] = TRYING
            support = np.zeros(f.size)
            fac = flatnonzero((state.role == FACILITATOR) & state.present)
            per_fac = cfg.guidance_schools_per_facilitator
            capacity = fac.size * per_fac if guidance_available else 0
            school = state.school[r]
            starting = np.zeros(state.n_schools + 1, dtype=bool)
            starting[school] = True
            schools = flatnonzero(starting[:-1])
            if capacity and schools.size:
                chosen = rng.permutation(schools)[:capacity]
                guided = np.zeros(state.n_schools + 1, dtype=bool)
                guided[chosen] = True
                support += cfg.guidance_support * guided[school]
                state.guided[fac] += np.bincount(np.arange(chosen.size) % fac.size, minlength=fac.size)
            support += 0.2 * (state.cocreation_group[r] >= 0)
            trial_support[f] = np.minimum(support, 1.0)
            out['trials_started'] = float(f.size)
    state.inspiration *= 1 - cfg.inspiration_decay
    return out


def discontinue(state: State, scenario: Scenario, rng: np.random.Generator, exclude: np.ndarray) -> int:
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
        f, r, school = (f[at_school], r[at_school], school[at_school])
    c = f - r * n_p
    key = school * n_p + c
    users = np.bincount(key, minlength=state.n_schools * n_p)
    carrier = np.bincount(key, state.role.take(r) == RESOURCE_TEACHER, minlength=state.n_schools * n_p) > 0
    if exclude.size:
        excluded = np.zeros(stage.size, dtype=bool)
        excluded[exclude] = True
        keep = ~excluded.take(f)
        f, key, school = (f[keep], key[keep], school[keep])
    rate = scenario.trial.discontinue_rate
    u = rng.random(f.size)
    at_risk = flatnonzero(u < rate)
    f, key, school, u = (f.take(at_risk), key.take(at_risk), school.take(at_risk), u.take(at_risk))
    peers = users.take(key) / np.maximum(groups.school_size.take(school), 1)
    support = (school_backing(state).take(school) + carrier.take(key) + peers) / 3.0
    perceived = np.minimum(np.maximum(state.perceived.reshape(-1).take(f), 0.0), 1.0)
    p = rate * (1 - perceived) * (1 - support)
    drop = f[u < p]
    stage[drop] = DROPPED
    state.inspiration.reshape(-1)[drop] = 0.0
    return int(drop.size)


def select_variants(base: np.ndarray, sd: float, size: np.ndarray, correlation: np.ndarray, judge_sd: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    m = base.size
    width = int(size.max()) if m else 1
    z0 = rng.standard_normal(m)
    z = rng.standard_normal((m, width))
    e = rng.standard_normal((m, width))
    rho = np.minimum(np.maximum(correlation, 0.0), 1.0)[:, None]
    change = sd * (np.sqrt(rho) * z0[:, None] + np.sqrt(1 - rho) * z)
    judged = change + judge_sd[:, None] * e
    judged[np.arange(width)[None, :] >= size[:, None]] = -np.inf
    best = judged.argmax(axis=1)
    rows = np.arange(m)
    return (change[rows, best], judged[rows, best])


def _adapt(state: State, scenario: Scenario, rng: np.random.Generator, week: int, r: np.ndarray, c: np.ndarray, out: dict[str, float]) -> None:
    cfg = scenario.trial
    group = state.cocreation_group[r]
    in_group = group >= 0
    translator = in_group | state.member[r]
    p = np.where(translator, cfg.adapt_prob, cfg.adapt_prob * cfg.colleague_adapt_share)
    adapt = rng.random(r.size) < p
    r, c, group, in_group = (r[adapt], c[adapt], group[adapt], in_group[adapt])
    if r.size == 0:
        return
    size = np.ones(r.size, dtype=np.int64)
    correlation = np.ones(r.size)
    judge_sd = np.full(r.size, cfg.perception_sd)
    if in_group.any():
        n_groups = state.group_distance.size
        sizes = np.bincount(state.cocreation_group[state.cocreation_group >= 0], minlength=n_groups)
        dist = state.group_distance[group[in_group]]
        size[in_group] = sizes[group[in_group]]
        correlation[in_group] = 1.0 - dist
        u = understanding(dist, understanding_range(scenario, moderated=False))
        judge_sd[in_group] = cfg.perception_sd / (np.maximum(u, 1e-06) * np.sqrt(size[in_group]))
    slot = r * state.n_practices + c
    quality, version = (state.quality.reshape(-1), state.version.reshape(-1))
    perceived = state.perceived.reshape(-1)
    change, judged = select_variants(quality.take(slot), cfg.adapt_sd, size, correlation, judge_sd, rng)
    new_q = np.minimum(np.maximum(quality.take(slot) + change, 0.01), 0.99)
    new_p = perceived.take(slot) + judged
    origin = np.where(in_group, Origin.COCREATION, Origin.INDIVIDUAL)
    ids = state.versions.add_many(c, new_q, version.take(slot), origin, week)
    version[slot] = ids
    quality[slot] = new_q
    perceived[slot] = new_p
    out['new_versions'] += float(r.size)
    out['new_versions_cocreation'] += float(in_group.sum())
    if in_group.any():
        members = flatnonzero(state.cocreation_group >= 0)
        members = members[np.argsort(state.cocreation_group[members], kind='stable')]
        sizes = np.bincount(state.cocreation_group[members], minlength=state.group_distance.size)
        starts = np.cumsum(sizes) - sizes
        grp, k, v, q = (group[in_group], c[in_group], ids[in_group], new_q[in_group])
        pq = new_p[in_group]
        n_each = sizes[grp]
        which = np.repeat(np.arange(grp.size), n_each)
        offset = np.arange(which.size) - np.repeat(np.cumsum(n_each) - n_each, n_each)
        peers = members[starts[grp[which]] + offset]
        state.learn_versions(peers, k[which], v[which], q[which], pq[which])


def rank_at_ends(ties: TieStore, sel: np.ndarray) -> np.ndarray:
    ends = np.concatenate([ties.a[sel], ties.b[sel]])
    trust = ties.trust[sel]
    tr = np.concatenate([trust, trust])
    order = np.lexsort((-tr, ends))
    ends_o = ends[order]
    starts = np.empty(ends_o.size, dtype=bool)
    starts[:1] = True
    np.not_equal(ends_o[1:], ends_o[:-1], out=starts[1:])
    idx = np.arange(ends_o.size)
    rank = np.empty(ends.size, dtype=np.int64)
    rank[order] = idx - np.maximum.accumulate(np.where(starts, idx, 0))
    return np.maximum(rank[:sel.size], rank[sel.size:])


def cap_strong_ties(ties: TieStore, strong: float, cap: int) -> int:
    sel = flatnonzero(ties.trust >= strong)
    if sel.size <= cap or ties.strong_degree(strong).max() <= cap:
        return 0
    excess = sel[rank_at_ends(ties, sel) >= cap]
    if excess.size:
        ties.trust[excess] = np.nextafter(strong, 0.0)
    return int(excess.size)


def update(state: State, scenario: Scenario, week: int) -> None:
    ties = state.member_ties
    if len(ties):
        idle = ties.last_contact < week
        ties.trust[idle] *= 1 - scenario.trust.decay
        cap_strong_ties(ties, scenario.trust.strong, scenario.trust.max_strong_ties)
    mot = scenario.motivation
    baseline = state.intrinsic * (0.5 + 0.5 * mot.owner_commitment)
    state.motivation += mot.relax_rate * (baseline - state.motivation)
    backed_school = state.leader_attended
    rt = (state.role == RESOURCE_TEACHER) & (state.school >= 0)
    backed = rt.copy()
    backed[rt] = backed_school[state.school[rt]]
    state.motivation[backed] += mot.leader_backing_gain
    np.minimum(np.maximum(state.motivation, 0.0, out=state.motivation), 1.0, out=state.motivation)
    state.alignment[~state.leader_attended] *= 1 - scenario.home.alignment_decay


def component_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    label = np.arange(n)
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        while True:
            jumped = new[new]
            if (jumped == new).all():
                break
            new = jumped
        if (new == label).all():
            return label
        label = new


def _rank_sorted(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return np.empty(0, dtype=np.int64)
    new = np.empty(values.size, dtype=np.int64)
    new[0] = 0
    np.not_equal(values[1:], values[:-1], out=new[1:], casting='unsafe')
    return np.cumsum(new)


def form_groups(state: State, scenario: Scenario) -> int:
    cfg = scenario.cocreation
    state.cocreation_group[:] = -1
    ties = state.member_ties
    if not len(ties):
        state.group_distance = np.empty(0)
        return 0
    a, b = (ties.a, ties.b)
    strong = (ties.trust >= cfg.threshold) & state.present[a] & state.present[b]
    if strong.any():
        active = (state.stage == TRYING) | (state.stage == ADOPTED)
        sel = flatnonzero(strong)
        strong[sel] = (active[a[sel]] & active[b[sel]]).any(axis=1)
    if not strong.any():
        state.group_distance = np.empty(0)
        return 0
    sel = flatnonzero(strong)
    sel = sel[rank_at_ends(ties, sel) < 2]
    labels = component_labels(state.n_people, a[sel], b[sel])
    involved = np.zeros(state.n_people, dtype=bool)
    involved[a[sel]] = involved[b[sel]] = True
    involved = flatnonzero(involved)
    comp = labels[involved]
    order = np.lexsort((involved, comp))
    involved, comp = (involved[order], comp[order])
    starts = np.concatenate([[True], comp[1:] != comp[:-1]])
    pos = np.arange(comp.size) - np.maximum.accumulate(np.where(starts, np.arange(comp.size), 0))
    chunk = pos // cfg.max_group_size
    key = comp * (comp.size + 1) + chunk
    gid = _rank_sorted(key)
    sizes = np.bincount(gid)
    solo = sizes[gid] < 2
    gid = np.where(solo, -1, gid)
    keep = ~solo
    gid_c = _rank_sorted(gid[keep])
    state.cocreation_group[involved[keep]] = gid_c
    n_groups = int(gid_c.max()) + 1 if gid_c.size else 0
    dist = np.zeros(n_groups)
    if n_groups:
        members = involved[keep]
        pa, pb = group_pairs(gid_c)
        d = pair_distance(state, scenario, members[pa], members[pb])
        dist = np.bincount(gid_c[pa], d, minlength=n_groups) / np.maximum(np.bincount(gid_c[pa], minlength=n_groups), 1)
    state.group_distance = dist
    return n_groups


def work(state: State, scenario: Scenario, rng: np.random.Generator, week: int) -> dict[str, float]:
    cfg = scenario.cocreation
    members = flatnonzero((state.cocreation_group >= 0) & state.present)
    out = {'cocreation_groups': float(state.group_distance.size), 'person_hours': 0.0, 'cocreation_members': float(members.size)}
    if members.size == 0:
        return out
    g = state.cocreation_group[members]
    n_groups = int(g.max()) + 1
    n_p = state.n_practices
    knowledge = np.take(state.knowledge, members, axis=0)
    best = np.zeros((n_groups, n_p))
    np.maximum.at(best, g, knowledge)
    gap = np.maximum(np.take(best, g, axis=0) - knowledge, 0)
    state.knowledge[members] = knowledge + cfg.knowledge_rate * gap
    adopted = np.take(state.stage, members, axis=0) == ADOPTED
    q = np.where(adopted, np.take(state.perceived, members, axis=0), -1000000000.0)
    best_q = np.full((n_groups, n_p), -1000000000.0)
    np.maximum.at(best_q, g, q)
    best_q_m = np.take(best_q, g, axis=0)
    r, c = nonzero2(adopted & (q >= best_q_m))
    if r.size:
        holder_v = np.full((n_groups, n_p), -1, dtype=np.int64)
        holder_v[g[r], c] = state.version[members[r], c]
        holder_q = np.zeros((n_groups, n_p))
        holder_q[g[r], c] = state.quality[members[r], c]
        holder_v_m = np.take(holder_v, g, axis=0).reshape(-1)
        f = flatnonzero(holder_v_m >= 0)
        mr = f // n_p
        state.learn_versions_flat(members.take(mr) * n_p + (f - mr * n_p), holder_v_m.take(f), np.take(holder_q, g, axis=0).reshape(-1).take(f), best_q_m.reshape(-1).take(f))
    ties = state.member_ties
    a, b = (ties.a, ties.b)
    same = (state.cocreation_group[a] >= 0) & (state.cocreation_group[a] == state.cocreation_group[b])
    ties.last_contact[same] = week
    out['person_hours'] = float(members.size * cfg.hours_per_week)
    return out

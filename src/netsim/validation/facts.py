"""Stylised facts from the field reports, a joint-pattern check and first-year plausibility.

Each :class:`Fact` is a pattern that needs at least two interacting mechanisms; its ``chain``
states which. It is measured on *graded* arms of the default scenario
(``resource_teacher_network``), paired by replicate with common random numbers, with 95 %
intervals (:mod:`netsim.validation.arms`). Each fact also names ``can_fail``: a setting inside
the declared ranges of the parameters (``plausible`` in the schema, else the validation bounds)
under which the model does *not* produce the fact; ``tests/validation/test_facts_can_fail.py``
shows that it does not, so every check can fail. Checks that restated one formula (the old
facts 2, 4, 4b and 6b) are unit tests of their mechanisms in ``tests/mechanisms/``.

Facts are measured at the end of the first school year unless stated: the thesis (seed 001)
observed a network about one year old (§5.2, §6.4.2). Later years are extrapolation, and every
row that uses them says so.

A fact listed in :data:`NOT_REPRODUCED` that does not hold gets the status ``NOT REPRODUCED``
with the measured reason (a documented result; checks are never tuned until they pass); one
that holds is ``PASS`` (then the list must be updated: the tests notice).

- :func:`joint_check` (pattern-oriented modelling, Grimm et al. 2005, Science 310:987): all
  facts hold together under one parameter set (the defaults, one seed).
- :func:`first_year_check`: the default scenario after its first school year lies in ranges
  derived from what the thesis reports (§5.2.4, §7.1, §4.4); :data:`FIRST_YEAR` quotes the
  sentences each range comes from.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from netsim.config import Scenario, load_scenario
from netsim.runner import interval
from netsim.validation.arms import (
    FAIL,
    NOT_REPRODUCED_STATUS,
    PASS,
    PRESET,
    Check,
    CheckResult,
    arm,
    fmt,
    graded,
    paired,
)

__all__ = ["FACTS", "FIRST_YEAR", "NOT_REPRODUCED", "Fact", "Measured", "Range",
           "declared_range", "fact_checks", "first_year_check", "joint_check", "measure_fact",
           "reps"]

YEAR1 = {"calendar.years": 1.0}
"""Facts are measured on one school year (the thesis observed the first year only)."""


def reps(full: bool) -> int:
    """Replicates per arm: 40 for the record (``--full``), 12 for the fast subset."""
    return 40 if full else 12


@dataclass(frozen=True)
class Measured:
    """A fact measured under one setting: estimate with 95 % interval, whether it holds."""

    estimate: float
    low: float
    high: float
    holds: bool
    detail: str


@dataclass(frozen=True)
class Fact:
    """A stylised fact: what, its source, the chain of mechanisms, how it is measured and the
    setting (inside the declared ranges) under which it does not hold."""

    name: str
    what: str
    source: str
    chain: str
    target: str
    measure: Callable[[Mapping[str, Any], int], Measured]
    can_fail: Mapping[str, Any]
    can_fail_why: str
    #: non-empty when no setting inside the declared (plausible) ranges made the fact fail: then
    #: ``can_fail`` lies outside them (inside the schema's bounds), and inside them the fact is
    #: an assumption of the model rather than a result (MODELLING.md); says what was tried
    assumption: str = ""


# --------------------------------------------------------------------------------------------
# declared ranges


def _field_meta(key: str) -> tuple[Any, Mapping[str, Any]]:
    obj: Any = Scenario()
    meta: Mapping[str, Any] = {}
    for part in key.split("."):
        fields = {f.name: f for f in dataclasses.fields(obj)}
        if part not in fields:
            raise KeyError(f"{key!r} is not a scenario key")
        meta = fields[part].metadata
        obj = getattr(obj, part)
    return obj, meta


def declared_range(key: str) -> tuple[float, float]:
    """The declared range of a scenario key: its ``plausible`` range when the schema gives one,
    else its validation bounds (``lo``, ``hi``)."""
    _, meta = _field_meta(key)
    if meta.get("plausible"):
        lo, hi = meta["plausible"]
        return float(lo), float(hi)
    lo, hi = meta.get("lo"), meta.get("hi")
    return (-math.inf if lo is None else float(lo)), (math.inf if hi is None else float(hi))


# --------------------------------------------------------------------------------------------
# the facts


def _leader(base: Mapping[str, Any], r: int) -> Measured:
    b = {**YEAR1, **base}
    values = (0.0, 0.25, 0.5, 0.8, 1.0)
    g = graded("leader_participation", values, "adoption_colleagues_y1", b, r)
    changed = graded("leader_participation", values, "schools_changed_y1", b, r)
    ratio = _ratio(g.data[0], g.data[-1])
    sat = g.saturation()
    by_arm = "; ".join(f"{v:g}: {m[0]:.3f}" for v, m in zip(changed.values, changed.means()))
    return Measured(*ratio, g.monotone(+1) and ratio[2] < 0.5,
                    f"{g.describe()}; saturation (slope 0.8-1 minus slope 0-0.25) {fmt(sat)}; "
                    f"schools changed: {by_arm}")


def _trust(base: Mapping[str, Any], r: int) -> Measured:
    b = {**YEAR1, **base}
    g = graded("meeting_interval_weeks", (3, 6, 9, 12), "trust_members_y1", b, r)
    ties = graded("meeting_interval_weeks", (3, 6, 9, 12), "strong_ties_per_member_y1", b, r)
    sc = load_scenario(PRESET, b)
    growth = interval(arm(b, r)["trust_members_y1"] - sc.trust.initial)
    est = paired(g.data[-1], g.data[0])  # every 3 weeks minus every 12
    holds = g.monotone(-1) and growth[1] > 0
    strong = "; ".join(f"{v:g}: {m[0]:.2f}" for v, m in zip(ties.values, ties.means()))
    return Measured(*est, holds,
                    f"{g.describe()}; default growth over trust.initial {fmt(growth)}; strong "
                    f"ties per member: {strong}")


def _ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float, float]:
    """sum(num) / sum(den) over replicates with a delta-method 95 % interval (ratio
    estimator; replicates are independent, pairs of values may be correlated)."""
    num, den = np.nan_to_num(num), np.nan_to_num(den)
    n = num.size
    if den.sum() <= 0 or n < 2:
        return math.nan, math.nan, math.nan
    ratio = num.sum() / den.sum()
    resid = num - ratio * den
    half = 2.0 * math.sqrt(resid.var(ddof=1) / n) / den.mean()  # about t(0.975) at n >= 6
    return float(ratio), float(ratio - half), float(ratio + half)


def _pooled_share(num: np.ndarray, den: np.ndarray) -> tuple[float, float, float]:
    """:func:`_ratio` of a part and its whole, the interval clipped to [0, 1]."""
    share, lo, hi = _ratio(num, den)
    return share, max(0.0, lo), min(1.0, hi)


def _cocreation(base: Mapping[str, Any], r: int) -> Measured:
    b = {**YEAR1, **base}
    a = arm(b, r)
    total = a["new_versions_total"]
    est = _pooled_share(total * np.nan_to_num(a["cocreation_version_share"]), total)
    g = graded("cocreation.threshold", (0.55, 0.65, 0.75, 0.85, 0.95), "cocreation_version_share",
               b, r)
    return Measured(*est, est[1] > 0.5,
                    f"new versions per run {fmt(total, 1)}; co-creation groups (mean) "
                    f"{fmt(a['cocreation_groups_mean'], 2)}; {g.describe()}")


def _innovations(base: Mapping[str, Any], r: int) -> Measured:
    b = {**YEAR1, **base}
    a = arm(b, r)
    est = _pooled_share(a["innovations_cocreated_y1"], a["innovations_y1"])
    g = graded("cocreation.threshold", (0.55, 0.65, 0.75, 0.85, 0.95), "innovations_cocreated_y1",
               b, r)
    return Measured(*est, est[1] > 0.5,
                    f"innovations per run {fmt(a['innovations_y1'], 2)}, co-created "
                    f"{fmt(a['innovations_cocreated_y1'], 2)}; {g.describe(2)}")


def _stories(base: Mapping[str, Any], r: int) -> Measured:
    b = {**YEAR1, **base}
    g = graded("gathering.stories", (0, 1, 2, 3), "trials_total", b, r)
    est = paired(g.data[0], g.data[2])  # the default 2 stories minus lectures alone
    return Measured(*est, g.monotone(+1), g.describe(0))


def _diversity(base: Mapping[str, Any], r: int) -> Measured:
    b = {**YEAR1, **base}
    values = (0.0, 0.25, 0.5, 0.75, 1.0)
    g = graded("gathering.group_diversity", values, "improvements_y1", b, r)
    spread = graded("gathering.group_diversity", values, "innovations_y1", b, r)
    k = g.argmax()
    low, high = paired(g.data[0], g.data[k]), paired(g.data[-1], g.data[k])
    holds = 0 < k < len(values) - 1 and low[1] > 0 and high[1] > 0
    contrast = interval(g.data[k] - 0.5 * (g.data[0] + g.data[-1]))
    return Measured(*contrast, holds,
                    f"peak at {values[k]:g}; peak minus 0: {fmt(low, 2)}, peak minus 1: "
                    f"{fmt(high, 2)}; {g.describe(2)}; of which in use at >= 2 schools: "
                    + "; ".join(f"{v:g}: {m[0]:.2f}" for v, m in zip(values, spread.means())))


def _incremental(base: Mapping[str, Any], r: int) -> Measured:
    b = {**YEAR1, **base}
    a = arm(b, r)
    n_sch = a["n_schools"]
    changed = a["schools_changed_y1"] * n_sch
    reached = a["schools_reached_n_y1"]
    est = _pooled_share(changed, reached)
    spread = interval(a["spread_versions_y1"])
    holds = est[2] < 0.5 and spread[1] >= 1.0
    return Measured(*est, holds,
                    f"schools where colleagues adopted {fmt(reached, 1)}, of which changed "
                    f"(>= half the staff on one same practice) {fmt(changed, 1)}; versions made "
                    "in the network in "
                    f"use at >= 2 schools {fmt(spread, 2)} (of them clearly better than their "
                    f"parent, 'innovations': {fmt(a['innovations_y1'], 2)})")


def _convergence(base: Mapping[str, Any], r: int) -> Measured:
    b = {**base}  # three school years: years 2-3 are extrapolation
    a = arm(b, r)
    last = int(np.nanmax(a["years"]))
    est = paired(a["convergence_lineage_y1"], a[f"convergence_lineage_y{last}"])
    ver = paired(a["convergence_y1"], a[f"convergence_y{last}"])
    sim = paired(a["practice_similarity_y1"], a[f"practice_similarity_y{last}"])
    return Measured(*est, est[1] > 0,
                    f"EXTRAPOLATION (years 2-{last}); lineage convergence y1 "
                    f"{fmt(a['convergence_lineage_y1'])}, y{last} "
                    f"{fmt(a[f'convergence_lineage_y{last}'])}; identical versions y{last} - y1 "
                    f"{fmt(ver)}; practice-set similarity y{last} - y1 {fmt(sim)}")


FACTS: tuple[Fact, ...] = (
    Fact("fact_1_leader",
         "Leaders taking part is decisive for change at the schools: colleagues' adoption after "
         "year 1 rises with leader_participation (0, 0.25, 0.5, 0.8, 1); measured: adoption "
         "at 0 as a share of adoption at 1 (pooled ratio)",
         "seed 001 §5.2.5, §6.4.2",
         "gathering (the leader attends and reflects with the resource teacher) -> home "
         "transfer (a backed resource teacher gets development time, passes more on) -> "
         "trial (colleagues try what they heard) -> adoption",
         "rises from 0 to 1 (interval > 0), no step down, and without leaders less than half "
         "(ratio < 0.5: 'decisive')",
         _leader, {"home.dev_time_allocation": 0.1, "trial.trial_rate": 0.03},
         "little development time goes to network work and colleagues seldom try, so what "
         "reaches colleagues comes from informal talk, which the leader does not gate"),
    Fact("fact_3_trust",
         "Trust grows with repeated meetings, faster when more frequent: member trust after "
         "year 1 at meetings every 3, 6, 9, 12 weeks; measured: every 3 minus every 12",
         "seed 001 §5.3.6",
         "gathering (members meet in mixed small groups) -> tie dynamics (trust grows per "
         "shared session and decays between contacts) -> strong ties",
         "falls with the interval (3 minus 12 > 0), and year-1 trust above trust.initial",
         _trust, {"trust.decay": 0.2},
         "trust decays faster between gatherings than meetings build it",
         "inside the plausible ranges it held in every setting tried (trust.decay 0.03: +0.035 "
         "[0.030, 0.039]; with trust.growth 0.4 as well: +0.012 [0.004, 0.021]; 12 replicates): "
         "there it follows from trust growing per shared session; it fails only with "
         "trust.decay 0.2, above the plausible 0-0.03"),
    Fact("fact_5_cocreation",
         "Most new versions come from small cross-school co-creation groups: co-created share "
         "of new versions in year 1, pooled over replicates",
         "seed 001 §6.2.3",
         "gathering (ties form) -> tie dynamics (trust passes the co-creation threshold) -> "
         "co-creation (groups adapt) versus trial (individual adaptations)",
         "share > 0.5", _cocreation, {"cocreation.threshold": 0.9},
         "trust rarely reaches the highest plausible threshold, so few groups form"),
    Fact("fact_5b_innovations",
         "Most innovations come from small self-formed subgroups: co-created share of "
         "innovations (improved versions in use at >= 2 schools) after year 1, pooled",
         "seed 001 §6.2.3, §6.3.1",
         "co-creation (groups keep the best variant) -> gathering stories and home transfer "
         "(the improved version spreads to a second school)",
         "share > 0.5", _innovations, {"cocreation.threshold": 0.9},
         "trust rarely reaches the highest plausible threshold, so few groups form"),
    Fact("fact_6_stories",
         "Peer stories lead to more trials than expert lectures alone: trials in year 1 at 0, "
         "1, 2, 3 stories per gathering (1 expert input); measured: 2 minus 0",
         "seed 001 §5.3.1, §6.3.1",
         "gathering (stories inspire and give a follow-up tie with the presenter) -> home "
         "transfer (the chosen practice goes home) -> trial",
         "rises with stories (2 minus 0 > 0), no step down", _stories,
         {"gathering.story_inspiration": 0.0},
         "stories carry knowledge but no inspiration, so they start no more trials",
         "inside the plausible ranges it held in every setting tried "
         "(gathering.story_inspiration 0.15: +105 [80, 130] trials; with "
         "home.presentation_inspiration 0.35 as well: +112 [79, 146]; 12 replicates); it "
         "fails only when stories inspire not at all, below the plausible 0.15-0.5"),
    Fact("fact_7_diversity",
         "'Lagom friktion': moderate group diversity gives more innovation than too little or "
         "too much: improvements (new versions clearly better than their parent) in year 1 at "
         "group_diversity 0, 0.25, 0.5, 0.75, 1; measured: peak minus the mean of both ends",
         "seed 002 §2.2-2.3; Nooteboom et al. 2007 (Research Policy 36:1016)",
         "gathering (group composition sets cognitive distance) -> co-creation (understanding "
         "falls and novelty rises with distance) -> innovations that spread",
         "interior peak above both ends (paired intervals > 0)", _diversity,
         {"gathering.moderation": 1.0, "gathering.understanding_range": 1.0},
         "moderation widens understanding so far that distance costs nothing: more diversity "
         "is always better"),
    Fact("fact_8_incremental",
         "After a year change is small-scale: of the schools where colleagues adopted a "
         "network practice, the share that changed practice (>= half the staff use one same "
         "practice), pooled; and "
         "versions developed in the network spread to a second school",
         "seed 001 §5.2.4, §7.1",
         "home transfer (a resource teacher reaches some colleagues) -> trial (they adapt and "
         "improve) limited by development time and resistance -> few schools change as a whole",
         "share < 0.5 (interval), and >= 1 new version in use at 2+ schools (interval)",
         _incremental,
         {"home.dev_time_allocation": 0.5, "trial.trial_rate": 0.2,
          "home.presentation_inspiration": 0.35, "motivation.staff_initial": 0.7,
          "home.resistant_share": 0.0},
         "the most development time, the most inspiring presentations, the most eager and "
         "motivated colleagues and no resistant staff, all inside the plausible ranges: whole "
         "schools change within the year (without 'no resistant staff' the group-session fix "
         "of issue 14 left it borderline: 0.36 [0.23, 0.49] over 12 replicates)"),
    Fact("fact_8b_convergence",
         "Practice converges across schools: share of schools on the most common lineage of "
         "each practice, year 3 minus year 1 (extrapolation beyond the observed year)",
         "seed 001 §5.2.4",
         "gathering stories and digital sharing (one version is presented to all) -> trial "
         "(adaptation creates variants) -> conformity towards the common version",
         "effect > 0", _convergence,
         {"gathering.stories": 0, "processes.digital": False, "practices.conformity": 0.0},
         "no story or post presents one school's version to the others and nothing pulls "
         "towards the codified version: each school goes its own way"),
)

NOT_REPRODUCED: dict[str, str] = {
    "fact_5_cocreation": (
        "In the first school year co-creation groups are few (about one at a time): members' "
        "cross-school trust passes cocreation.threshold (0.75) only after several gatherings, "
        "so most new versions come from members adapting alone. The share rises with a lower "
        "threshold (see the graded arms) and in later years (extrapolation)."),
    "fact_5b_innovations": (
        "Innovations (new versions clearly better in true quality and in use at two or more "
        "schools) are rare in year 1 (well under one per run) and seldom co-created: groups "
        "form late (fact_5), and a variant (sd trial.adapt_sd 0.03) seldom beats its parent "
        "by the switch margin 0.05."),
    "fact_7_diversity": (
        "In year 1 there are about two improvements per run at every group diversity; the "
        "highest mean lies at moderate diversity, but neither side of the inverted U is "
        "outside the noise of such small counts, and group composition moves the distance "
        "within groups little (mean base-group distance about 0.05 to 0.18 across its range "
        "with two school forms)."),
    "fact_8b_convergence": (
        "Lineage convergence rises only a little from year 1 to year 3 (an extrapolation): "
        "0.061 [0.028, 0.094] over the 40 replicates of the full record (there it passes: "
        "0.82 to 0.88), but the fast check's fewer replicates cannot tell it from 0; the "
        "share of schools on identical versions does not rise, and schools' sets of "
        "practices grow apart as more practices come into use."),
}
"""Facts the model does not reproduce with its defaults: name -> the measured reason (see the
study READMEs in ``experiments/``). Written from measurements, never by tuning."""


def measure_fact(fact: Fact, base: Mapping[str, Any], replicates: int) -> Measured:
    """Measure ``fact`` with ``base`` applied to every arm."""
    return fact.measure(base, replicates)


def _status(name: str, ok: bool) -> str:
    if ok:
        return PASS
    return NOT_REPRODUCED_STATUS if name in NOT_REPRODUCED else FAIL


def _fact_check(fact: Fact) -> Check:
    def run(full: bool, ss: np.random.SeedSequence) -> CheckResult:
        m = fact.measure({}, reps(full))
        detail = m.detail
        if fact.name in NOT_REPRODUCED and not m.holds:
            detail = f"{NOT_REPRODUCED[fact.name]} Measured: {detail}"
        if full:
            f = fact.measure(fact.can_fail, reps(full))
            setting = ", ".join(f"{k}={v}" for k, v in fact.can_fail.items())
            detail += (f". CAN FAIL: with {setting} ({fact.can_fail_why}) the fact "
                       f"{'still holds' if f.holds else 'does not hold'}: {f.estimate:.4g} "
                       f"[{f.low:.4g}, {f.high:.4g}]")
            if fact.assumption:
                detail += (". ASSUMPTION inside the declared ranges (the setting above lies "
                           f"outside them): {fact.assumption}")
        return CheckResult(fact.name, "fact", fact.what, fact.source,
                           f"{fact.target}. Chain: {fact.chain}", m.estimate, m.low, m.high,
                           _status(fact.name, m.holds), detail)

    return Check(fact.name, "fact", fact.what, fact.source, run)


def fact_checks() -> list[Check]:
    """One check per fact, in order."""
    return [_fact_check(f) for f in FACTS]


def joint_check(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    """All facts hold together under one parameter set (the defaults, the suite's seed): the
    joint pattern of pattern-oriented modelling (Grimm et al. 2005). Passes when every fact
    not documented as NOT REPRODUCED holds; reports how many of all facts hold."""
    r = reps(full)
    held = {f.name: f.measure({}, r).holds for f in FACTS}
    expected = [n for n in held if n not in NOT_REPRODUCED]
    ok = all(held[n] for n in expected)
    n_held = sum(held.values())
    return CheckResult(
        "joint_patterns", "joint",
        "All stylised facts together under one parameter set (defaults, one seed, common "
        "random numbers): number of facts that hold",
        "Grimm et al. 2005 (Science 310:987), pattern-oriented modelling",
        f"every fact not NOT REPRODUCED holds ({len(expected)} of {len(FACTS)})",
        float(n_held), float(n_held), float(n_held), _status("joint_patterns", ok),
        "; ".join(f"{n}: {'holds' if h else 'does not hold'}" for n, h in held.items()))


# --------------------------------------------------------------------------------------------
# first-year plausibility


@dataclass(frozen=True)
class Range:
    """A plausible range for one outcome of the default scenario after its first school year,
    with the sentences of the thesis (seed 001, Norwegian original) it is derived from."""

    name: str
    outcome: str
    low: float
    high: float
    quote: str
    reading: str
    value: Callable[[dict[str, np.ndarray]], np.ndarray]


def _col(name: str) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    return lambda a: a[name]


FIRST_YEAR: tuple[Range, ...] = (
    Range("members_adopted", "members who adopted at least one network practice (share)",
          0.3, 0.9,
          "§5.2.4: «På direkte spørsmål bekreftet flere informanter at deltagelsen i nettverket "
          "hadde ført til endring i form av nye måter å jobbe på»",
          "several of nine self-selected, most motivated informants (§4.9, §7.3) confirmed "
          "new ways of working: many members, not all, and not a few",
          _col("adoption_members_y1")),
    Range("colleagues_adopted", "colleagues (non-members) who adopted (share)", 0.02, 0.3,
          "§5.2.4: «som regel ikke snakk om veldig store og omfattende endringer, men mer "
          "\"småskala\"-utprøving av nye tiltak»; §7.1: «småskala utvikling på den enkelte "
          "skole, men har ikke preg av å være helt ny praksis og nye grep som kan være "
          "utslagsgivende for å kunne møte mobbeproblematikken i hele kommunen»",
          "small-scale trials at single schools: some colleagues take part, far from most",
          _col("adoption_colleagues_y1")),
    Range("schools_changed", "schools where at least half the staff use one same practice "
          "(share)", 0.0, 0.2,
          "§7.1: «ikke preg av å være helt ny praksis ... utslagsgivende ... i hele kommunen»",
          "not decisive in the municipality: few schools changed as a whole",
          _col("schools_changed_y1")),
    Range("schools_reached", "schools where colleagues took up a network practice (count)",
          7.0, math.inf,
          "§5.2.4: «flere eksempler på at skoler hadde gått sammen om å prøve ut ny praksis»; "
          "«Fire skoler samarbeidet først om å lage et elevrådseminar ... Tre andre skoler "
          "videreutviklet og prøvde ut ideen»",
          "one example alone reached 4 + 3 = 7 schools, and there were several",
          _col("schools_reached_n_y1")),
    # Revised after a measurement (flagged in the README): this range first counted only
    # innovations, versions clearly better in true quality (0.2 per run in year 1: it failed);
    # it was redefined because the thesis judges no quality. The innovations count is still
    # measured and shown in the first_year row's detail.
    Range("spread_versions", "versions made in the network (adapted or co-created) in use "
          "at two or more schools (count)", 2.0, math.inf,
          "§5.2.4: «Fire skoler samarbeidet først om å lage et elevrådseminar ... Tre andre "
          "skoler videreutviklet og prøvde ut ideen ... Noe av det samme skjedde med et opplegg "
          "som ble kalt hverdagshelten»",
          "at least two practices were developed at some schools and taken up, developed "
          "further, at others; the thesis judges no quality, so any new version counts",
          _col("spread_versions_y1")),
    Range("colleagues_knowing", "colleagues who know a network practice, per member", 1.0,
          math.inf,
          "§5.2.4: «man delte det man hadde lært med egne kollegaer, slik at mange flere enn de "
          "som deltok i nettverket fikk tilgang til nye og ulike former for kunnskap»",
          "many more people than the participants got access to the knowledge",
          lambda a: a["colleagues_knowing_y1"] / np.maximum(a["members_y1"], 1)),
    Range("trust_grew", "member trust after year 1 minus trust.initial", 0.0, math.inf,
          "§5.3.6: «de har blitt tryggere på hverandre»; «det å møtes så ofte med de samme "
          "menneskene var en viktig forutsetning for å skape sosiale bånd»",
          "bonds formed during the year",
          lambda a: a["trust_members_y1"] - load_scenario(PRESET).trust.initial),
    Range("network_alive", "network alive at the end of year 1 (share of runs)", 0.95, 1.0,
          "§5.2: «Nettverket for ressurslærere hadde på undersøkelsestidspunktet eksistert i "
          "omtrent ett år»",
          "the network was running after its first year", _col("network_alive_y1")),
)
"""First-year ranges (end of school year 1 of the default scenario) and their sources. The
thesis gives no numbers (§4.4: no documents, surveys or pupil data were collected), so each
range is a reading of a qualitative sentence; the reading is stated with it."""


def first_year_rows(a: dict[str, np.ndarray]) -> list[tuple[Range, tuple[float, float, float],
                                                            bool]]:
    """Each range with the measured mean, its 95 % interval, and whether the mean lies in it."""
    out = []
    for rg in FIRST_YEAR:
        est = interval(np.asarray(rg.value(a), dtype=float))
        out.append((rg, est, bool(rg.low <= est[0] <= rg.high)))
    return out


def first_year_check(full: bool, ss: np.random.SeedSequence) -> CheckResult:
    """The default scenario after its first school year against :data:`FIRST_YEAR`."""
    a = arm(YEAR1, reps(full))
    rows = first_year_rows(a)
    n_in = sum(ok for _, _, ok in rows)
    detail = ("EXTRAPOLATION beyond year 1 is not checked. Also measured, without a range: "
              f"innovations (new versions clearly better in true quality, at >= 2 schools) "
              f"{fmt(a['innovations_y1'], 2)}. ") + "; ".join(
        f"{rg.name} {est[0]:.3g} [{est[1]:.3g}, {est[2]:.3g}] in [{rg.low:g}, {rg.high:g}]: "
        f"{'yes' if ok else 'NO'}" for rg, est, ok in rows)
    return CheckResult(
        "first_year", "plausibility",
        "Default scenario after its first school year against the state the thesis reports "
        "(years 2-3 are extrapolation): number of ranges met",
        "seed 001 §5.2.4, §7.1, §4.4 (ranges and sentences: netsim.validation.facts.FIRST_YEAR)",
        f"all {len(rows)} ranges met", float(n_in), float(n_in), float(n_in),
        _status("first_year", n_in == len(rows)), detail)

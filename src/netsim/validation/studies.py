"""Study tables and figures for ``experiments/``: from a finished sweep folder to results.

A study is a committed Hydra experiment (``configs/experiment/<config>.yaml``) run as
``netsim run -m +experiment=<config>``; :func:`make_study` (``netsim validate --study NAME
SWEEP_DIR``) then reads the sweep's job folders (``<sweep_dir>/<n>/summary.parquet``,
``timeseries.parquet``, ``provenance.json`` and ``.hydra/overrides.yaml``) and writes into
``experiments/<name>/``:

- ``summary.csv`` and ``summary.md``: per arm, the mean of each outcome with its 95 % t
  interval over replicates, and the paired difference from the reference arm with its 95 %
  interval (replicate ``r`` of every arm shares a random stream when
  ``common_random_numbers`` is true, the default);
- ``figure.png``: one panel per outcome (mean and 95 % interval against the swept value, or a
  weekly series per arm), 4 x 3.4 inches per panel at 100 dpi.

Besides the summary columns (:data:`netsim.metrics.SUMMARY_COLUMNS`), :func:`derived_outcomes`
adds outcomes computed from the weekly series (year-1 values, growth per year, development-time
share, posts per channel, co-created versions).
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml
from matplotlib import colormaps
from matplotlib.figure import Figure

from netsim.runner import RUN_KEYS, interval
from netsim.sweep import ModelVersionError, check_model_versions

__all__ = ["STUDIES", "Panel", "Study", "StudyError", "derived_outcomes", "load_sweep",
           "make_study", "study_table", "write_index"]


class StudyError(ValueError):
    """A study name or sweep folder that cannot be used; the message says what is allowed."""


@dataclass(frozen=True)
class Panel:
    """One figure panel: an outcome against the swept value (``point``), its paired difference
    from the reference arm (``diff``, common random numbers), or a timeseries column over time
    (``series``). Values are multiplied by ``scale`` for display."""

    column: str
    label: str
    kind: str = "point"
    scale: float = 1.0


@dataclass(frozen=True)
class Study:
    """A study in ``experiments/``: what it asks, its experiment config and what it shows."""

    name: str
    config: str
    title: str
    source: str
    outcomes: tuple[tuple[str, str], ...]
    panels: tuple[Panel, ...]
    reference: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[str, ...] = ()
    reading: str = ""


def _study(name: str, title: str, source: str, outcomes: dict[str, str],
           panels: list[Panel], reference: Mapping[str, Any] | None = None,
           config: str | None = None) -> Study:
    return Study(name, config or name, title, source, tuple(outcomes.items()), tuple(panels),
                 dict(reference or {}), CHECKS_OF.get(name, ()), READING.get(name, ""))


CHECKS_OF: dict[str, tuple[str, ...]] = {
    "fact_1_leader": ("fact_1_leader",),
    "fact_2_backing": (),
    "fact_3_trust": ("fact_3_trust",),
    "fact_4_formality": (),
    "fact_5_cocreation": ("fact_5_cocreation", "fact_5b_innovations"),
    "fact_6_stories": ("fact_6_stories",),
    "fact_7_diversity": ("fact_7_diversity",),
    "fact_8_incremental": ("fact_8_incremental", "fact_8b_convergence", "first_year"),
}
"""Rows of the validation record (``experiments/validation/validation.csv``) each study
illustrates; their status is copied into the study README."""

READING: dict[str, str] = {
    "fact_1_leader": (
        "A leader who attended the last gathering backs the resource teacher: the school gives "
        "network work development time (`home.dev_time_allocation`, scaled by the owner's "
        "priority), the resource teacher passes on the whole session instead of "
        "`home.solo_transfer_share` of it, and the school's mandate (`home.mandate_strength` "
        "times backing) opens resistant colleagues. Joint reflection at the gathering builds "
        "alignment, which backs the resource teacher between gatherings "
        "(`mechanisms/gathering.py`, `mechanisms/home_transfer.py`). Colleagues then try "
        "what they heard (`mechanisms/trial.py`); without leaders, what reaches them comes "
        "mostly from informal talk."),
    "fact_2_backing": (
        "One rule (`mechanisms/home_transfer.py`): the chance of a session is "
        "`dev_time_allocation * (unbacked_time_share + (1 - unbacked_time_share) * backing)`. "
        "The study shows its consequence for members' and colleagues' adoption; the rule "
        "itself is tested in `tests/mechanisms/test_home_transfer_formula.py`."),
    "fact_3_trust": (
        "Members meet in mixed small groups at every gathering; trust on a tie grows with each "
        "shared session and decays between contacts (`trust.growth`, `trust.decay`), and ties "
        "are used between gatherings by trusted partners (`mechanisms/gathering.py`, "
        "`mechanisms/dynamics.py`, `mechanisms/collegial_talk.py`). More frequent meetings "
        "leave less time for decay."),
    "fact_4_formality": (
        "One rule each: when the key person leaves, a network below "
        "`turnover.formality_threshold` dissolves with probability `1 - formality / "
        "threshold` (`mechanisms/turnover.py`); a member posts in a channel with probability "
        "falling with its formality (`mechanisms/digital.py`). Both rules are tested in "
        "`tests/mechanisms/test_turnover_formula.py` and `test_digital_formula.py`."),
    "fact_5_cocreation": (
        "Members whose cross-school trust passes `cocreation.threshold` form small groups "
        "(`mechanisms/cocreation.py`). A group keeps the best-judged of one variant per member "
        "(selection, `trial.select_variants`), while alone a member tries one variant; both "
        "draw variants from the same distribution. Colleagues mostly take the version presented "
        "to them (`trial.colleague_adapt_share`), so new versions come from members and "
        "groups. Trust needs several gatherings to pass the threshold, so groups are few in "
        "the first year."),
    "fact_6_stories": (
        "A peer story presents a practice in use with its presenter's version, inspires more "
        "than an expert input (`gathering.story_inspiration`) and creates a follow-up tie with "
        "the presenter; at the end of the gathering each member chooses one practice to take "
        "back, which the resource teacher presents at home (`mechanisms/gathering.py`, "
        "`mechanisms/home_transfer.py`), and colleagues then try it (`mechanisms/trial.py`). "
        "The fact is checked after year 1; over three school years (extrapolation) the total "
        "of trials is lower with stories than without, because members adopt sooner and fewer "
        "trials follow, while members' adoption stays higher."),
    "fact_7_diversity": (
        "Cognitive distance is computed from people's backgrounds (school form and position) "
        "and what they know (`mechanisms/distance.py`, Nooteboom et al. 2007). Understanding "
        "falls with distance while the knowledge gap and the spread of variants grow with it; "
        "their product is the value of an exchange at a gathering and of a co-creation group's "
        "best variant. Group composition (`gathering.group_diversity`) sets the distances in "
        "the groups, and participatory moderation (`gathering.moderation`) widens the range "
        "of understanding, which flattens or removes the inverted U."),
    "fact_8_incremental": (
        "A resource teacher reaches the colleagues of one school through development time; "
        "colleagues try and mostly take the version presented; resistant staff, limited "
        "development time and discontinuance keep change at single classes (the school counts "
        "as changed when `school_change_share` of its staff use one same practice). Shared "
        "versions from stories, posts and the codified version (`practices.conformity`) pull "
        "schools towards common lineages; years after the first are extrapolation."),
    "leader_participation": (
        "Leader attendance acts through backing (development time, the whole session passed "
        "on, the school's mandate) and alignment; see fact_1_leader."),
    "trust": (
        "Initial trust on new cross-school ties sets how soon groups exchange openly and when "
        "members pass the co-creation threshold; adoption depends more on gatherings and "
        "home transfer."),
    "formality": (
        "Formality raises attendance and protects the network against the loss of its key "
        "person, lowers posting in formal channels and the openness of group exchange "
        "(`gathering.formality_openness_cost`), and scales the pull of the codified version "
        "(`practices.conformity`)."),
    "meeting_interval_weeks": (
        "More frequent gatherings give more stories, more exchange and faster trust, at more "
        "person-hours; outcomes per person-hour show the trade-off."),
}
"""Per study, how the model produces what the study shows (which mechanisms, in which order);
written for the model version in the record, without numbers (those are generated)."""


ADOPTION = {"adoption_members": "members adopted (share)",
            "adoption_colleagues": "colleagues adopted (share)",
            "schools_changed": "schools changed (share)"}

STUDIES: dict[str, Study] = {s.name: s for s in (
    _study("fact_1_leader", "Schools whose leader takes part change practice more",
           "seed 001 §5.2.5, §6.4.2",
           {**ADOPTION, "dev_time_share": "dev-time sessions given (share of school-weeks)"},
           [Panel("schools_changed", "schools changed (%)", scale=100),
            Panel("adoption_colleagues", "colleagues who adopted (%)", scale=100)],
           {"leader_participation": 0.0}),
    _study("fact_2_backing", "Without the leader's backing the resource teacher rarely gets "
           "development time and reach to colleagues collapses",
           "seed 001 §5.2.5; seed 002 §2.3",
           {"dev_time_share": "dev-time sessions given (share of school-weeks)",
            "adoption_members": "members adopted (share)",
            "adoption_colleagues": "colleagues adopted (share)",
            "colleague_member_ratio": "colleagues / members adopted"},
           [Panel("dev_time_share", "dev-time sessions given (% of school-weeks)", scale=100),
            Panel("adoption_members", "members who adopted (%)", scale=100),
            Panel("adoption_colleagues", "colleagues who adopted (%)", scale=100)],
           {"leader_participation": 1.0}),
    _study("fact_3_trust", "Trust between members grows with repeated meetings, faster when "
           "meetings are more frequent", "seed 001 §5.3.6",
           {"trust_y1": "mean member trust after year 1",
            "strong_ties_y1": "strong ties per member after year 1",
            "trust_members": "mean member trust at the end"},
           [Panel("trust_members", "mean trust on member ties", kind="series"),
            Panel("strong_ties_per_member", "strong ties per member", kind="series")],
           {"meeting_interval_weeks": 12}),
    _study("fact_4_formality", "A formal network survives the loss of its key person, an "
           "informal one often does not; formal channels get fewer posts",
           "seed 001 §5.4.3, §5.3.5; seed 000",
           {"network_alive": "network alive at the end (share)",
            "weeks_alive": "weeks alive", "posts_per_formal_channel": "posts per formal channel",
            "posts_per_informal_channel": "posts per informal channel",
            "adoption_all": "all staff adopted (share)"},
           [Panel("network_alive", "networks alive at the end (%)", scale=100),
            Panel("posts_per_formal_channel", "posts per formal channel"),
            Panel("posts_per_informal_channel", "posts per informal channel")],
           {"formality": 0.9}),
    _study("fact_5_cocreation", "Most new versions of practice come from small cross-school "
           "co-creation groups", "seed 001 §6.2.3",
           {"cocreation_version_share": "share of new versions co-created",
            "innovation_cocreation_share": "share of innovations co-created",
            "innovations": "innovations (improved versions at >= 2 schools)",
            "cocreated_versions": "co-created new versions",
            "individual_versions": "individual new versions",
            "cocreation_groups_mean": "co-creation groups (mean)",
            "version_quality": "version quality"},
           [Panel("cocreation_version_share", "co-created share of new versions (%)",
                  scale=100),
            Panel("innovation_cocreation_share", "co-created share of innovations (%)",
                  scale=100),
            Panel("cocreation_groups_mean", "co-creation groups (mean over weeks)")],
           {"cocreation.threshold": 0.6}),
    _study("fact_6_stories", "Peer stories lead to more trials than expert lectures alone",
           "seed 001 §5.3.1, §6.3.1",
           {"trials_total": "trials started", "adoption_colleagues": "colleagues adopted",
            "adoption_members": "members adopted", "knowledge_all": "explicit knowledge (all "
            "staff)", "practice_adoption": "practice-adoption share"},
           [Panel("trials_total", "trials started per run"),
            Panel("trials_total", "trials: paired difference from 0 stories", kind="diff"),
            Panel("adoption_colleagues", "colleagues who adopted (%)", scale=100)],
           {"gathering.stories": 0}),
    _study("fact_7_diversity", "'Lagom friktion': too little or too much diversity in groups "
           "gives less innovation than a moderate amount; moderation lowers the cost of "
           "distance", "seed 002 §2.2-2.3; Nooteboom et al. 2007",
           {"innovations": "innovations (improved versions at >= 2 schools)",
            "cocreated_versions": "co-created new versions",
            "version_quality": "version quality in use",
            "exchange_per_gathering": "knowledge exchanged per gathering",
            "adoption_all": "all staff adopted (share)"},
           [Panel("innovations", "innovations per run (improved, >= 2 schools)"),
            Panel("exchange_per_gathering", "knowledge exchanged per gathering"),
            Panel("version_quality", "mean quality of versions in use")],
           {"gathering.group_diversity": 0.5, "gathering.moderation": 0.5}),
    _study("fact_8_incremental", "After about one year change is small-scale (colleagues at "
           "many schools, few whole schools), and practice converges across schools",
           "seed 001 §5.2.4, §7.1",
           {"adoption_members_y1": "members adopted after year 1",
            "adoption_colleagues_y1": "colleagues adopted after year 1",
            "schools_changed_y1": "schools changed after year 1",
            "adoption_colleagues": "colleagues adopted at the end",
            "schools_changed": "schools changed at the end",
            "version_diversity_y1": "versions per practice after year 1",
            "version_diversity": "versions per practice at the end",
            "convergence": "convergence at the end"},
           [Panel("adoption_colleagues", "colleagues who adopted (%)", kind="series",
                  scale=100),
            Panel("schools_changed", "schools changed (%)", kind="series", scale=100),
            Panel("version_diversity", "versions in use per practice", kind="series")]),
    _study("leader_participation", "Condition: how often the school leader attends",
           "seed 001 §5.2, §5.3.3", {**ADOPTION, "adoption_all": "all staff adopted (share)",
                                     "person_hours": "person-hours"},
           [Panel("adoption_all", "all staff who adopted (%)", scale=100),
            Panel("adoption_all", "all staff adopted: paired difference from 0.8 (pp)",
                  kind="diff", scale=100),
            Panel("schools_changed", "schools changed (%)", scale=100)],
           {"leader_participation": 0.8}, config="condition_leader_participation"),
    _study("trust", "Condition: trust between members (initial trust)",
           "seed 001 §5.3.6", {**ADOPTION, "adoption_all": "all staff adopted (share)",
                               "trust_members": "mean member trust at the end",
                               "cocreation_groups_mean": "co-creation groups (mean)"},
           [Panel("adoption_all", "all staff who adopted (%)", scale=100),
            Panel("adoption_all", "all staff adopted: paired difference from 0.2 (pp)",
                  kind="diff", scale=100),
            Panel("cocreation_groups_mean", "co-creation groups (mean)")],
           {"trust.initial": 0.2}, config="condition_trust"),
    _study("formality", "Condition: formality of the network frame", "seed 001 §5.4, §6.4.3",
           {**ADOPTION, "adoption_all": "all staff adopted (share)",
            "posts_per_formal_channel": "posts per formal channel",
            "posts_per_informal_channel": "posts per informal channel"},
           [Panel("adoption_all", "all staff who adopted (%)", scale=100),
            Panel("adoption_all", "all staff adopted: paired difference from 0.8 (pp)",
                  kind="diff", scale=100),
            Panel("posts_per_formal_channel", "posts per formal channel")],
           {"formality": 0.8}, config="condition_formality"),
    _study("meeting_interval_weeks", "Condition: weeks between gatherings",
           "seed 001 §1.2, §4.5", {**ADOPTION, "adoption_all": "all staff adopted (share)",
                                   "trust_members": "mean member trust at the end",
                                   "person_hours": "person-hours",
                                   "adoption_per_100_person_hours": "adopters per 100 h"},
           [Panel("adoption_all", "all staff who adopted (%)", scale=100),
            Panel("adoption_all", "all staff adopted: paired difference from 6 weeks (pp)",
                  kind="diff", scale=100),
            Panel("adoption_per_100_person_hours", "adopters per 100 person-hours")],
           {"meeting_interval_weeks": 6}, config="condition_meeting_interval_weeks"),
)}


# --------------------------------------------------------------------------------------------
# reading a sweep


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _overrides(job: Path) -> dict[str, Any]:
    path = job / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return {}
    out = {}
    for item in yaml.safe_load(path.read_text()) or []:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if key in ("experiment", "hydra/launcher") or key.startswith("hydra."):
            continue
        out[key] = _parse_value(value)
    return out


def derived_outcomes(summary: pl.DataFrame, series: pl.DataFrame,
                     scenario: Mapping[str, Any]) -> pl.DataFrame:
    """Per-replicate outcomes computed from the weekly series, joined onto ``summary``.

    Adds: ``trust_y1``, ``strong_ties_y1``, ``adoption_{all,members,colleagues}_y1``,
    ``schools_changed_y1``, ``version_diversity_y1``
    (values at the end of school year 1); ``adoption_growth_y1`` (year-1 growth of the adopting
    share of all staff), ``adoption_growth_later`` (mean growth per later year) and their
    within-run difference ``adoption_growth_change``; ``version_diversity_change`` (end minus
    year 1);
    ``dev_time_share`` (development-time sessions given to network work per school-week);
    ``posts_per_formal_channel`` and ``posts_per_informal_channel`` (a channel is formal when
    its formality is >= 0.5, as in the ``posts_formal`` counter; NaN without such channels);
    ``cocreated_versions`` and ``individual_versions``; ``colleague_member_ratio``.
    """
    wpy = int(scenario["calendar"]["weeks_per_year"])
    channels = scenario["digital"]["channels"]
    # metrics count a post as formal when its channel's formality is >= 0.5 (digital.py)
    member_f = float(scenario["digital"]["member_channel_formality"])
    n_formal = sum((float(scenario["formality"]) if c["created_by"] == "facilitators"
                    else member_f) >= 0.5 for c in channels)
    n_informal = len(channels) - n_formal
    last = int(series["week"].max())
    y1 = min(wpy, last)
    years = last / wpy
    at = (series.filter(pl.col("week") == y1)
          .select("replicate", pl.col("trust_members").alias("trust_y1"),
                  pl.col("strong_ties_per_member").alias("strong_ties_y1"),
                  pl.col("adoption_all").alias("adoption_all_y1"),
                  pl.col("adoption_members").alias("adoption_members_y1"),
                  pl.col("adoption_colleagues").alias("adoption_colleagues_y1"),
                  pl.col("schools_changed").alias("schools_changed_y1"),
                  pl.col("version_diversity").alias("version_diversity_y1")))
    start = series.filter(pl.col("week") == 0).select(
        "replicate", pl.col("adoption_all").alias("adoption_all_y0"))
    sessions = series.group_by("replicate").agg(pl.col("sessions").sum().alias("_sessions"))
    out = (summary.join(at, on="replicate", how="left").join(start, on="replicate", how="left")
           .join(sessions, on="replicate", how="left"))
    share = pl.col("cocreation_version_share").fill_nan(0.0).fill_null(0.0)
    later = max(years - 1, 1e-9)
    out = out.with_columns(
        (pl.col("adoption_all_y1") - pl.col("adoption_all_y0")).alias("adoption_growth_y1"),
        ((pl.col("adoption_all") - pl.col("adoption_all_y1")) / later)
        .alias("adoption_growth_later"),
        ((pl.col("adoption_all") - pl.col("adoption_all_y1")) / later
         - (pl.col("adoption_all_y1") - pl.col("adoption_all_y0")))
        .alias("adoption_growth_change"),
        (pl.col("version_diversity") - pl.col("version_diversity_y1"))
        .alias("version_diversity_change"),
        (pl.col("_sessions") / (pl.col("n_schools") * last)).alias("dev_time_share"),
        (pl.col("posts_formal_total") / n_formal if n_formal else pl.lit(math.nan))
        .alias("posts_per_formal_channel"),
        (pl.col("posts_informal_total") / n_informal if n_informal else pl.lit(math.nan))
        .alias("posts_per_informal_channel"),
        (pl.col("new_versions_total") * share).alias("cocreated_versions"),
        (pl.col("new_versions_total") * (1 - share)).alias("individual_versions"),
        (pl.col("adoption_colleagues") / pl.col("adoption_members"))
        .alias("colleague_member_ratio"),
    ).drop("_sessions")
    return out


def load_sweep(sweep_dir: Path | str) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Read the finished jobs of a sweep: (summary, series, swept keys).

    Both tables get ``job``, ``arm`` (the job's overrides as ``key=value`` text) and one column
    per swept key; the summary also gets :func:`derived_outcomes`, the series a ``year``
    column (weeks / ``calendar.weeks_per_year``).

    Raises:
        StudyError: no finished job (``<n>/summary.parquet``) in ``sweep_dir``.
    """
    sweep_dir = Path(sweep_dir)
    jobs = sorted((p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()
                   and (p / "summary.parquet").is_file()), key=lambda p: int(p.name)) \
        if sweep_dir.is_dir() else []
    if not jobs:
        raise StudyError(f"sweep folder {str(sweep_dir)!r} has no finished job (no "
                         "<n>/summary.parquet); run the study's `netsim run -m "
                         "+experiment=...` command first")
    overrides = {int(j.name): _overrides(j) for j in jobs}
    keys = sorted({k for o in overrides.values() for k in o},
                  key=lambda k: [k in o for o in overrides.values()].index(True))
    swept = [k for k in keys if len({repr(o.get(k)) for o in overrides.values()}) > 1] or [
        k for k in keys if k not in RUN_KEYS]
    summaries, series_frames = [], []
    provs = {int(j.name): json.loads((j / "provenance.json").read_text()) for j in jobs}
    try:
        check_model_versions(list(provs), list(provs.values()), sweep_dir)
    except ModelVersionError as exc:
        raise StudyError(str(exc)) from None
    for job in jobs:
        num = int(job.name)
        ov = overrides[num]
        scenario = provs[num]["scenario"]
        version = provs[num].get("model_version")
        summary = pl.read_parquet(job / "summary.parquet")
        series = pl.read_parquet(job / "timeseries.parquet")
        summary = derived_outcomes(summary, series, scenario)
        arm = ", ".join(f"{k}={ov.get(k)}" for k in swept) or "default"
        extra = [pl.lit(num).alias("job"), pl.lit(arm).alias("arm"),
                 pl.lit(None if version is None else int(version), dtype=pl.Int64)
                 .alias("model_version")]
        extra += [pl.lit(ov.get(k)).alias(k) for k in swept]
        summaries.append(summary.with_columns(extra))
        wpy = float(scenario["calendar"]["weeks_per_year"])
        series_frames.append(series.with_columns(
            *extra, (pl.col("week").cast(pl.Float64) / wpy).alias("year")))
    return (pl.concat(summaries, how="diagonal_relaxed"),
            pl.concat(series_frames, how="diagonal_relaxed"), swept)


# --------------------------------------------------------------------------------------------
# table and figure


def _reference_arm(study: Study, summary: pl.DataFrame, swept: list[str]) -> str:
    arms = summary.select(["arm", *swept]).unique(maintain_order=True)
    for row in arms.iter_rows(named=True):
        if study.reference and all(k in row and row[k] == v for k, v in study.reference.items()):
            return str(row["arm"])
    return str(arms["arm"][0])


def study_table(study: Study, summary: pl.DataFrame, swept: list[str]) -> pl.DataFrame:
    """Per arm and outcome: mean [95 % interval] and the paired difference from the reference
    arm [95 % interval]."""
    ref = _reference_arm(study, summary, swept)
    base = summary.filter(pl.col("arm") == ref)
    rows = []
    arms = summary.select(["arm", *swept]).unique(maintain_order=True)
    for arm_row in arms.iter_rows(named=True):
        arm = arm_row["arm"]
        sub = summary.filter(pl.col("arm") == arm)
        for col, label in study.outcomes:
            if col not in sub.columns:
                continue
            m, lo, hi = interval(sub[col].cast(pl.Float64).to_numpy())
            paired = sub.select("replicate", col).join(
                base.select("replicate", pl.col(col).alias("_ref")), on="replicate")
            diff = (paired[col].cast(pl.Float64) - paired["_ref"].cast(pl.Float64)).to_numpy()
            dm, dlo, dhi = interval(diff) if arm != ref else (0.0, 0.0, 0.0)
            rows.append({"arm": arm, **{k: arm_row[k] for k in swept}, "outcome": col,
                         "label": label, "replicates": sub.height, "mean": m, "low": lo,
                         "high": hi, "reference": ref, "diff": dm, "diff_low": dlo,
                         "diff_high": dhi})
    return pl.DataFrame(rows)


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.2f}" if a >= 10 else f"{v:.3f}"


def _markdown(study: Study, table: pl.DataFrame, sweep_dir: Path) -> str:
    ref = table["reference"][0]
    lines = [f"# {study.name}: results", "",
             f"{study.title} ({study.source}).", "",
             f"Made by `netsim validate --study {study.name} {sweep_dir}` from "
             f"`netsim run -m +experiment={study.config}`. Mean and 95 % interval over "
             f"replicates; difference: paired (common random numbers) from the reference arm "
             f"`{ref}`, with its 95 % interval.", "",
             "| outcome | arm | n | mean [95 % CI] | difference from reference [95 % CI] |",
             "|---|---|---|---|---|"]
    for col, _ in study.outcomes:
        for r in table.filter(pl.col("outcome") == col).iter_rows(named=True):
            diff = "reference" if r["arm"] == ref else \
                f"{_fmt(r['diff'])} [{_fmt(r['diff_low'])}, {_fmt(r['diff_high'])}]"
            lines.append(f"| {r['label']} | {r['arm']} | {r['replicates']} | {_fmt(r['mean'])} "
                         f"[{_fmt(r['low'])}, {_fmt(r['high'])}] | {diff} |")
    return "\n".join(lines) + "\n"


def _is_number(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _figure(study: Study, summary: pl.DataFrame, series: pl.DataFrame, swept: list[str],
            path: Path) -> Path:
    n = len(study.panels)
    # a Figure without pyplot: importing or using this module never changes the backend
    fig = Figure(figsize=(4 * n, 3.4), dpi=100)
    axes = fig.subplots(1, n, squeeze=False)
    cmap = colormaps["viridis"]

    def colours(x: float) -> Any:
        return cmap(0.85 * x)

    x_key = swept[0] if swept else None
    hue_key = swept[1] if len(swept) > 1 else None
    fixed = []
    for key in swept[2:]:  # further swept keys are held at the reference (or first) value
        value = study.reference.get(key, summary[key][0])
        summary = summary.filter(pl.col(key) == value)
        series = series.filter(pl.col(key) == value)
        fixed.append(f"{key}={value}")
    for ax, panel in zip(axes[0], study.panels):
        if panel.kind == "series":
            arms = summary.select("arm").unique(maintain_order=True)["arm"].to_list()
            for i, arm in enumerate(arms):
                sub = series.filter(pl.col("arm") == arm)
                agg = (sub.group_by("year").agg(pl.col(panel.column).mean().alias("m"),
                                                pl.col(panel.column).std().alias("s"),
                                                pl.len().alias("n")).sort("year"))
                w = agg["year"].to_numpy()
                m = agg["m"].to_numpy() * panel.scale
                half = 1.96 * np.nan_to_num(agg["s"].to_numpy()) / np.sqrt(agg["n"].to_numpy())
                colour = colours(i / max(1, len(arms) - 1)) if len(arms) > 1 else "#1b6ca8"
                ax.plot(w, m, color=colour, label=arm, linewidth=1.6)
                ax.fill_between(w, m - half * panel.scale, m + half * panel.scale,
                                color=colour, alpha=0.2, linewidth=0)
            ax.set_xlabel("school years")
            if len(arms) > 1:
                ax.legend(fontsize=7, frameon=False)
        else:
            hues = (summary[hue_key].unique(maintain_order=True).to_list() if hue_key
                    else [None])
            xs_all = summary[x_key].unique(maintain_order=True).to_list() if x_key else [None]
            numeric = _is_number(xs_all)
            order = sorted(xs_all) if numeric else xs_all
            ref_arm = _reference_arm(study, summary, swept)
            ref_values = summary.filter(pl.col("arm") == ref_arm).select(
                "replicate", pl.col(panel.column).cast(pl.Float64).alias("_ref"))
            if panel.kind == "diff":
                ax.axhline(0, color="grey", linewidth=0.8)
            for i, hue in enumerate(hues):
                sub = summary.filter(pl.col(hue_key) == hue) if hue_key else summary
                xs, ms, los, his = [], [], [], []
                for j, xv in enumerate(order):
                    part = sub.filter(pl.col(x_key) == xv) if x_key else sub
                    if part.height == 0:
                        continue
                    values = part.select("replicate", pl.col(panel.column).cast(pl.Float64))
                    if panel.kind == "diff":  # paired difference from the reference arm
                        values = values.join(ref_values, on="replicate").select(
                            "replicate", pl.col(panel.column) - pl.col("_ref"))
                    m, lo, hi = interval(values[panel.column].to_numpy())
                    xs.append(xv if numeric else j)
                    ms.append(m * panel.scale)
                    los.append((m - lo) * panel.scale if math.isfinite(lo) else 0.0)
                    his.append((hi - m) * panel.scale if math.isfinite(hi) else 0.0)
                colour = colours(i / max(1, len(hues) - 1)) if hue_key else "#1b6ca8"
                ax.errorbar(xs, ms, yerr=[los, his], marker="o", capsize=3, color=colour,
                            label=f"{hue_key}={hue}" if hue_key else None)
            if not numeric:
                ax.set_xticks(range(len(order)), [str(v) for v in order])
            ax.set_xlabel(x_key or "")
            if hue_key:
                ax.legend(fontsize=7, frameon=False)
        ax.set_title(panel.label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    n_rep = summary.group_by("arm").len()["len"].min()
    held = f"; {', '.join(fixed)}" if fixed else ""
    title = textwrap.fill(f"{study.name}: {study.title}", width=int(13 * 4 * n))
    fig.suptitle(f"{title}\nmean and 95 % interval, {n_rep} replicates per arm{held}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return path


def make_study(name: str, sweep_dir: Path | str, out: Path | str | None = None) -> list[Path]:
    """Write ``summary.csv``, ``summary.md`` and ``figure.png`` of study ``name`` from its
    sweep into ``out`` (default ``experiments/<name>``); return the paths.

    Raises:
        StudyError: unknown study, or a sweep folder without finished jobs.
    """
    if name not in STUDIES:
        raise StudyError(f"study = {name!r} is not known; allowed: {', '.join(STUDIES)}")
    study = STUDIES[name]
    sweep_dir = Path(sweep_dir)
    summary, series, swept = load_sweep(sweep_dir)
    out = Path(out) if out is not None else Path("experiments") / name
    out.mkdir(parents=True, exist_ok=True)
    table = study_table(study, summary, swept)
    csv_path, md_path, png_path = out / "summary.csv", out / "summary.md", out / "figure.png"
    table.write_csv(csv_path, float_precision=4)
    md_path.write_text(_markdown(study, table, sweep_dir))
    _figure(study, summary, series, swept, png_path)
    _write_readme(study, table, summary, sweep_dir, out)
    write_index(out.parent)
    return [csv_path, md_path, png_path]


INDEX_BEGIN, INDEX_END = "<!-- studies:begin -->", "<!-- studies:end -->"


def _headline(study: Study, folder: Path) -> str:
    path = folder / "summary.csv"
    if not path.is_file():
        return "not run yet"
    table = pl.read_csv(path)
    labels = dict(study.outcomes)
    col = next((p.column for p in study.panels if p.kind != "series" and p.column in labels),
               study.outcomes[0][0])
    label = labels[col]
    rows = table.filter(pl.col("outcome") == col)
    if rows.height == 0:
        return "n/a"
    ref = rows["reference"][0]
    base = rows.filter(pl.col("arm") == ref).row(0, named=True)
    others = rows.filter(pl.col("arm") != ref)
    if others.height == 0:
        return f"{label}: {_fmt(base['mean'])} [{_fmt(base['low'])}, {_fmt(base['high'])}]"
    far = others.sort(pl.col("diff").abs(), descending=True).row(0, named=True)
    return (f"{label}: {_fmt(base['mean'])} ({ref}) vs {_fmt(far['mean'])} ({far['arm']}), "
            f"{_fmt(far['diff'])} [{_fmt(far['diff_low'])}, {_fmt(far['diff_high'])}]")


def write_index(root: Path | str) -> Path | None:
    """Rewrite the study table between the markers in ``<root>/README.md`` from each study's
    ``summary.csv`` and the validation record (nothing when the README has no markers)."""
    root = Path(root)
    path = root / "README.md"
    if not path.is_file() or INDEX_BEGIN not in path.read_text():
        return None
    lines = [INDEX_BEGIN, "| study | question | headline (reference vs the arm that differs "
             "most, paired difference [95 % CI]) | status |", "|---|---|---|---|"]
    for study in STUDIES.values():
        folder = root / study.name
        checks = _validation_rows(study, folder)
        if checks:
            status = "; ".join(f"{r['name']}: {r['status']}" for r in checks)
        elif study.name.startswith("fact_"):
            status = "mechanism illustration (unit test, not a fact)"
        else:
            status = "condition"
        lines.append(f"| [{study.name}]({study.name}/) | {study.title} | "
                     f"{_headline(study, folder)} | {status} |")
    lines.append(INDEX_END)
    text = path.read_text()
    start, end = text.index(INDEX_BEGIN), text.index(INDEX_END) + len(INDEX_END)
    path.write_text(text[:start] + "\n".join(lines) + text[end:])
    return path


EXTRAPOLATION = ("The thesis observed the network in its first school year (seed 001 §5.2, "
                 "§6.4.2); results for later years are extrapolation.")


def _validation_rows(study: Study, out: Path) -> list[dict[str, str]]:
    path = out.parent / "validation" / "validation.csv"
    if not study.checks or not path.is_file():
        return []
    import csv

    with path.open(newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    return [rows[c] for c in study.checks if c in rows]


def _result_section(study: Study, table: pl.DataFrame, summary: pl.DataFrame,
                    sweep_dir: Path, out: Path) -> str:
    """The generated part of a study README: record, validation status, headline table and
    the reading."""
    versions = sorted({int(v) for v in summary["model_version"].drop_nulls().to_list()}) \
        if "model_version" in summary.columns else []
    n_rep = int(summary.group_by("arm").len()["len"].min())
    lines = ["## Result", "",
             f"Generated by `netsim validate --study {study.name} {sweep_dir}` (model version "
             f"{', '.join(map(str, versions)) or 'unrecorded'}, {n_rep} replicates per arm, "
             "common random numbers). " + EXTRAPOLATION, ""]
    checks = _validation_rows(study, out)
    if checks:
        lines += ["Validation record (`experiments/validation`, `netsim validate --full`; "
                  "facts are measured after the first school year unless the row says "
                  "otherwise):", ""]
        for r in checks:
            lines.append(f"- **{r['status']}** `{r['name']}`: measured "
                         f"{float(r['measured']):.4g} [{float(r['low']):.4g}, "
                         f"{float(r['high']):.4g}]; target: {r['target'].split('. Chain:')[0]}")
        lines.append("")
    elif study.name.startswith("fact_") and not study.checks:
        lines += ["This study illustrates one mechanism's rule (it restates one formula), so "
                  "it is a unit test of that mechanism (`tests/mechanisms/*_formula.py`), not "
                  "a stylised fact.", ""]
    ref = table["reference"][0]
    heads = [c for c, _ in study.outcomes[:3] if c in table["outcome"].to_list()]
    labels = dict(study.outcomes)
    lines += [f"Headline outcomes, at the end of the run unless the column says otherwise "
              f"(reference arm `{ref}`; difference paired, 95 % intervals):", "",
              "| arm | " + " | ".join(labels[c] for c in heads) + " |",
              "|---|" + "---|" * len(heads)]
    for arm in table["arm"].unique(maintain_order=True).to_list():
        cells = []
        for c in heads:
            r = table.filter((pl.col("arm") == arm) & (pl.col("outcome") == c)).row(0,
                                                                                   named=True)
            cell = f"{_fmt(r['mean'])} [{_fmt(r['low'])}, {_fmt(r['high'])}]"
            if arm != ref:
                cell += f"; diff {_fmt(r['diff'])} [{_fmt(r['diff_low'])}, {_fmt(r['diff_high'])}]"
            cells.append(cell)
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    lines += ["", "![figure](figure.png)", "",
              "Full table (mean and 95 % interval per arm, paired difference from the reference "
              "arm): [summary.md](summary.md), [summary.csv](summary.csv)."]
    if study.reading:
        lines += ["", "## Reading", "", study.reading]
    return "\n".join(lines) + "\n"


def _write_readme(study: Study, table: pl.DataFrame, summary: pl.DataFrame, sweep_dir: Path,
                  out: Path) -> Path:
    """Rewrite ``README.md`` from its ``## Result`` heading on (the part above it, question,
    source and commands, is kept)."""
    path = out / "README.md"
    if path.is_file():
        head = path.read_text().split("\n## Result")[0].rstrip() + "\n"
    else:
        head = (f"# {study.name}: {study.title}\n\n**Source.** {study.source}.\n\n"
                f"## Reproduce\n\n```bash\nnetsim run -m +experiment={study.config}\n"
                f"netsim validate --study {study.name} multirun/{study.config}\n```\n")
    path.write_text(head + "\n" + _result_section(study, table, summary, sweep_dir, out))
    return path

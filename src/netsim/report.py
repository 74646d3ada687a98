"""The run report: a table of key outcomes with 95 % intervals, as text and Markdown."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from netsim.config import Scenario
from netsim.runner import interval

__all__ = ["KEY_OUTCOMES", "describe", "folder_tag", "format_table", "markdown_report",
           "outcome_table", "settings_text"]

# (column, label, unit scale, format); shares are shown as percentages
KEY_OUTCOMES = (
    ("adoption_members", "adoption among network members (%)", 100, "{:.1f}"),
    ("adoption_colleagues", "adoption among their colleagues (%)", 100, "{:.1f}"),
    ("adoption_all", "adoption among all staff (%)", 100, "{:.1f}"),
    ("schools_changed", "schools that changed practice (%)", 100, "{:.1f}"),
    ("time_to_25", "weeks to 25 % adoption (all staff)", 1, "{:.1f}"),
    ("time_to_50", "weeks to 50 % adoption (all staff)", 1, "{:.1f}"),
    ("school_inequality", "between-school inequality (Gini)", 1, "{:.3f}"),
    ("trust_members", "mean cross-school trust", 1, "{:.3f}"),
    ("strong_ties_per_member", "strong cross-school ties per person with such ties", 1, "{:.2f}"),
    ("cocreation_groups_mean", "co-creation groups (mean over weeks)", 1, "{:.2f}"),
    ("version_quality", "quality of versions in use", 1, "{:.3f}"),
    ("version_diversity", "versions in use per practice", 1, "{:.1f}"),
    ("network_alive", "network alive at the end (%)", 100, "{:.0f}"),
    ("posts_total", "digital posts", 1, "{:.0f}"),
    ("person_hours", "cost (person-hours)", 1, "{:,.0f}"),
    ("adoption_per_100_person_hours", "adopters per 100 person-hours", 1, "{:.2f}"),
)


def outcome_table(summary: pl.DataFrame, outcomes: tuple = KEY_OUTCOMES) -> pl.DataFrame:
    """Mean and 95 % t-interval of each key outcome over replicates.

    Time-to-share outcomes are averaged over the replicates that reached the share; the
    ``reached`` column says how many did (for other outcomes: in how many runs the outcome is
    defined, e.g. adoption among colleagues in a design where everyone is a member). Intervals of percentages are clipped to [0, 100].
    """
    rows = []
    for column, label, scale, _ in outcomes:
        if column not in summary.columns:
            continue
        values = summary[column].cast(pl.Float64).to_numpy() * scale
        mean, lo, hi = interval(values)
        if scale == 100:
            lo, hi = max(lo, 0.0), min(hi, 100.0)
        reached = int((~pl.Series(values).is_nan()).sum())
        rows.append({"outcome": column, "label": label, "mean": mean, "low": lo, "high": hi,
                     "reached": reached, "n": len(values)})
    return pl.DataFrame(rows)


def _fmt(value: float, fmt: str) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else fmt.format(value)


def format_table(table: pl.DataFrame) -> list[tuple[str, str, str]]:
    """Rows of (label, mean, interval) as display strings."""
    from netsim.diffusion_outcomes import TEXTBOOK_OUTCOMES

    fmts = {c: f for c, _, _, f in (*KEY_OUTCOMES, *TEXTBOOK_OUTCOMES)}
    out = []
    for row in table.iter_rows(named=True):
        f = fmts[row["outcome"]]
        ci = f"[{_fmt(row['low'], f)}, {_fmt(row['high'], f)}]"
        label = row["label"]
        if row["outcome"].startswith("time_to") and row["reached"] < row["n"]:
            label += f" ({row['reached']}/{row['n']} runs reached it)"
        elif row["reached"] < row["n"]:
            label += f" (defined in {row['reached']}/{row['n']} runs)"
        out.append((label, _fmt(row["mean"], f), ci))
    return out


def _formality_words(f: float) -> str:
    """Words for the formal frame (seed 001 §5.4, §6.4.3: mandate, coordinator, agenda,
    anchoring); the cut points 0.35 and 0.65 are a modelling choice for the wording."""
    if f >= 0.65:
        return f"a formal frame (formality {f:g}: mandate, coordinator, fixed agenda)"
    if f > 0.35:
        return f"a partly formal frame (formality {f:g})"
    return f"an informal frame (formality {f:g}: no mandate or fixed agenda)"


def describe(scenario: Scenario) -> str:
    """A description of what a run simulates, generated from its settings (so it stays true
    under overrides: formality 0.2 reads "an informal frame", not "a formal mandate").

    >>> describe(Scenario()).startswith("45 schools of about 24 teachers")
    True
    """
    net, cal, sc = scenario.network, scenario.calendar, scenario
    parts = [f"{net.n_schools} schools of about {net.teachers_per_school} teachers"]
    invited = []
    if net.all_teachers_members:
        invited.append("every teacher is a network member")
    else:
        if net.resource_teachers_per_school:
            n = net.resource_teachers_per_school
            invited.append(f"{n} resource teacher{'s' if n > 1 else ''}")
        if net.leaders_invited:
            invited.append(f"the leader (attends {100 * sc.leader_participation:.0f} % of "
                           "gatherings)")
        if invited:
            invited = ["from each school " + " and ".join(invited) + " invited"]
    parts += invited
    if net.n_facilitators:
        parts.append(f"{net.n_facilitators} facilitator{'s' if net.n_facilitators > 1 else ''}")
    if not sc.processes.gathering:
        parts.append("no gatherings")
    elif cal.gathering_weeks:
        parts.append(f"gatherings in weeks {', '.join(map(str, cal.gathering_weeks))} of each "
                     "school year")
    else:
        parts.append(f"{cal.gathering_hours:g}-hour gatherings every "
                     f"{sc.meeting_interval_weeks} weeks")
    if cal.area_meeting_interval_weeks:
        parts.append(f"area gatherings every {cal.area_meeting_interval_weeks} weeks")
    if cal.gathering_end_week is not None:
        parts.append(f"the last gathering in week {cal.gathering_end_week}")
    if sc.processes.home_transfer:
        every = ("every week" if cal.dev_time_interval_weeks == 1
                 else f"every {cal.dev_time_interval_weeks} weeks")
        parts.append(f"development time at each school {every}")
    parts.append(_formality_words(sc.formality))
    n_ch = len(sc.digital.channels) if sc.processes.digital else 0
    parts.append(f"{n_ch} digital channel{'s' if n_ch != 1 else ''}" if n_ch
                 else "no digital channels")
    t = sc.trust
    parts.append(f"trust on a new tie {t.initial:g}, growing {t.growth:g} per shared session "
                 f"and fading {t.decay:g} per week apart")
    if sc.turnover.key_person_loss_week is not None:
        parts.append(f"the lead facilitator leaves in week {sc.turnover.key_person_loss_week}")
    years = cal.years
    parts.append(f"over {years:g} school year{'s' if years != 1 else ''}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def settings_text(overrides: Sequence[str]) -> str:
    """The changed settings as one line (``leader_participation=0 formality=0.2``), or
    ``"defaults"`` when nothing was changed; Hydra's own settings (``hydra...``) are left
    out."""
    kept = [o for o in overrides if not o.lstrip("+~").startswith("hydra")]
    return " ".join(kept) if kept else "defaults"


def folder_tag(name: str, overrides: Sequence[str], limit: int = 90) -> str:
    """A folder name for a run: the scenario name and the changed settings, safe on every
    file system (``resource_teacher_network_formality=0.2_leader_participation=0``).

    ``scenario=...`` is left out (it is the name); other characters than letters, digits,
    ``.=-`` become ``-``; a name longer than ``limit`` is cut and ends in a short hash of the
    full text, so different settings never share a folder name.

    >>> folder_tag("resource_teacher_network", ["formality=0.2", "scenario=x"])
    'resource_teacher_network_formality=0.2'
    """
    import hashlib

    kept = [o.lstrip("+~") for o in overrides
            if not o.lstrip("+~").startswith(("hydra", "scenario="))]
    text = "_".join([name, *kept])
    text = re.sub(r"[^A-Za-z0-9.=_-]+", "-", text).strip("-")
    if len(text) > limit:
        digest = hashlib.sha1(text.encode()).hexdigest()[:8]
        text = text[:limit - 9].rstrip("-_") + "_" + digest
    return text


def markdown_report(scenario: Scenario, table: pl.DataFrame, figure: str,
                    folder: Path, command: str, overrides: Sequence[str] | None = None
                    ) -> Path:
    """Write ``report.md`` into ``folder``; return its path. The description is generated
    from the settings (:func:`describe`); the title names the changed settings."""
    changed = settings_text(overrides or [])
    lines = [
        f"# netsim run: {scenario.name}" + (f" ({changed})" if changed != "defaults" else ""),
        "",
        describe(scenario),
        "",
        f"Design preset: {scenario.name}"
        + (f", with the changed settings {changed}." if changed != "defaults" else "."),
        "",
        f"Command: `{command}`",
        "",
        "## Conditions",
        "",
        "| setting | value |",
        "|---|---|",
        f"| leader participation (chance a leader attends a gathering) | "
        f"{scenario.leader_participation:g} |",
        f"| trust: initial / growth per meeting / decay per week | {scenario.trust.initial:g} / "
        f"{scenario.trust.growth:g} / {scenario.trust.decay:g} |",
        f"| formality | {scenario.formality:g} |",
        f"| weeks between gatherings | {scenario.meeting_interval_weeks} |",
        f"| schools | {scenario.network.n_schools} |",
        f"| horizon | {scenario.calendar.years:g} school years of "
        f"{scenario.calendar.weeks_per_year} weeks |",
        f"| replicates | {scenario.replicates} (base seed {scenario.seed}) |",
        "",
        "## Key outcomes at the end of the horizon",
        "",
        "Mean over replicates with a 95 % confidence interval for the mean (t distribution).",
        "",
        "| outcome | mean | 95 % interval |",
        "|---|---:|---|",
    ]
    if scenario.adoption.rule.value != "trust_weighted":  # a textbook run: generic rows
        from netsim.diffusion_outcomes import conditions

        at = lines.index("## Conditions") + 4
        end = lines.index("## Key outcomes at the end of the horizon") - 1
        lines[at:end] = [f"| {k} | {v} |" for k, v in conditions(scenario)]
        lines[2] = ("Textbook diffusion: every practice column is one cascade of the rule "
                    "below on the graph; the domain processes decide nothing.")
    lines += [f"| {label} | {mean} | {ci} |" for label, mean, ci in format_table(table)]
    if scenario.adoption.rule.value != "trust_weighted":
        lines += ["", "## Cascades over time", "", f"![Cascades over time]({figure})", "",
                  "Each practice column is one cascade of the rule on the same graph. Files: "
                  "`summary.parquet` (one row per replicate), `cascades.parquet` (one row per "
                  "replicate, cascade and week), `timeseries.parquet`, `provenance.json`.", ""]
        path = folder / "report.md"
        path.write_text("\n".join(lines))
        return path
    lines += [
        "",
        "## Adoption over time",
        "",
        f"![Adoption over time]({figure})",
        "",
        "Members are the schools' network members (not facilitators); colleagues are the other",
        "staff at the schools, the reach beyond the network. A person counts as an adopter when",
        "at least one practice is in use. Thin lines are single replicates, thick lines their",
        "mean; dotted vertical lines mark the ends of school years, when staff turnover",
        "replaces part of the staff with newcomers who start unaware (the small yearly dips).",
        "Files: `summary.parquet` (one row per replicate),",
        "`timeseries.parquet` (one row per replicate and week), `provenance.json`.",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path

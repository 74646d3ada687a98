"""The run report: a table of key outcomes with 95 % intervals, as text and Markdown."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

from netsim.config import Scenario
from netsim.runner import interval

__all__ = ["KEY_OUTCOMES", "format_table", "markdown_report", "outcome_table"]

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
    ``reached`` column says how many did. Intervals of percentages are clipped to [0, 100].
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
        if row["reached"] < row["n"]:
            label += f" ({row['reached']}/{row['n']} reached)"
        out.append((label, _fmt(row["mean"], f), ci))
    return out


def markdown_report(scenario: Scenario, table: pl.DataFrame, figure: str,
                    folder: Path, command: str) -> Path:
    """Write ``report.md`` into ``folder``; return its path."""
    lines = [
        f"# netsim run: {scenario.name}",
        "",
        scenario.description,
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
        "at least one practice is in use. Files: `summary.parquet` (one row per replicate),",
        "`timeseries.parquet` (one row per replicate and week), `provenance.json`.",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path

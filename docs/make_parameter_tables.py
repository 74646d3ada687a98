"""Print the parameter tables of docs/ODD.md from the config dataclasses' metadata.

Every field of :class:`netsim.config.Scenario` carries its description, allowed range and
source in ``dataclasses.field(metadata=...)``. This script turns them into one Markdown table
per config section, each between marker comments::

    <!-- BEGIN parameters: gathering -->
    | key | meaning | unit | default | range | plausible range | source | presets |
    ...
    <!-- END parameters: gathering -->

so that ``docs/ODD.md`` contains exactly what the code says. "plausible range" is the range of an
uncertain parameter (what ``netsim sensitivity`` and ``netsim calibrate`` sample) with its
reason; "presets" lists the design presets in ``configs/scenario`` that change the default
(the same as ``netsim params``). ``tests/test_odd_tables.py``
regenerates the tables and fails when ODD.md has drifted.

    python docs/make_parameter_tables.py             # every section
    python docs/make_parameter_tables.py gathering   # one section
    python docs/make_parameter_tables.py --update    # rewrite the blocks inside docs/ODD.md
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import re
import typing
from pathlib import Path
from typing import Any

from netsim.config import ChannelConfig, Scenario

ODD = Path(__file__).resolve().parent / "ODD.md"
BLOCK = re.compile(r"(<!-- BEGIN parameters: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)"
                   r"(<!-- END parameters: (?P=name) -->)", re.S)

# units that the key name alone does not tell (everything else is inferred in unit())
UNITS = {
    "seed": "-", "replicates": "count", "calendar.years": "school years",
    "calendar.gathering_start_week": "week number", "calendar.gathering_end_week": "week number",
    "turnover.key_person_loss_week": "week number",
    "trust.decay": "share per idle week", "trust.growth": "share of gap per group session",
    "home.alignment_decay": "share per week", "motivation.relax_rate": "share per week",
    "motivation.leader_backing_gain": "per week", "trial.inspiration_decay": "share per week",
    "trial.trial_rate": "probability per week", "talk.talk_prob": "probability per tie-week",
    "talk.member_tie_talk_prob": "probability per tie-week",
    "digital.post_prob": "probability per member-week",
    "turnover.annual_rate": "share per year", "turnover.key_person_hazard": "probability per year",
    "adoption.bass_p": "probability per week", "adoption.bass_q": "probability per week",
    "adoption.transmissibility": "probability per tie",
    "cocreation.hours_per_week": "person-hours per week",
    "trial.adapt_sd": "quality units", "trial.perception_sd": "quality units",
    "trial.discontinue_rate": "probability per adopter-week",
    "practices.conformity": "quality units",
    "gathering.understanding_range": "distance units",
    "network.school_size_spread": "log-sd",
    "network.area_size_spread": "log-sd",
    "leader_participation": "probability per gathering",
}


def _type(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args and typing.get_origin(hint) is not list else hint


def unit(key: str, hint: Any, meta: dict[str, Any]) -> str:
    """A unit for the table, from UNITS or the field's type, name and range."""
    if key in UNITS:
        return UNITS[key]
    tp = _type(hint)
    name = key.rsplit(".", 1)[-1]
    if tp is bool:
        return "on/off"
    if tp is str or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return "choice" if tp is not str else "text"
    if typing.get_origin(tp) is list:
        if "weeks" in name:
            return "list of week numbers"
        return "list of hours" if "hours" in name else "list"
    if name.endswith("_week"):
        return "week number"
    if "weeks" in name:
        return "weeks"
    if "hours" in name:
        return "hours"
    if tp is int:
        return "count"
    if name.endswith("_prob"):
        return "probability"
    if meta.get("lo") == 0 and meta.get("hi") == 1:
        return "0-1"
    return "-"


def fmt_value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and value == 2**63 - 1:
        return "2^63-1"
    if isinstance(value, list):
        return "see below" if value else "[]"
    return f"{value}" if not isinstance(value, str) else f"`{value}`"


def fmt_range(meta: dict[str, Any]) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is None and hi is None:
        text = "-"
    else:
        left = "(" if meta.get("lo_open") else "["
        right = ")" if meta.get("hi_open") else "]"
        text = f"{left}{fmt_value(lo) if lo is not None else '-inf'}, " \
               f"{fmt_value(hi) if hi is not None else 'inf'}{right}"
    if meta.get("nullable"):
        text += " or null"
    return text


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def fmt_plausible(meta: dict[str, Any]) -> str:
    plausible = meta.get("plausible")
    if plausible is None:
        return "-"
    lo, hi = plausible
    why = meta.get("plausible_why")
    return f"[{fmt_value(lo)}, {fmt_value(hi)}]" + (f": {why}" if why else "")


def fmt_presets(key: str) -> str:
    from netsim.params import preset_values

    changed = [(name, values[key]) for name, values in preset_values().items() if key in values]
    return ", ".join(f"{name} {fmt_value(v) if not isinstance(v, list) else v}"
                     for name, v in changed) or "-"


def _rows(cls: type, prefix: str, instance: Any) -> list[str]:
    hints = typing.get_type_hints(cls)
    rows = []
    for fld in dataclasses.fields(cls):
        if dataclasses.is_dataclass(_type(hints[fld.name])):
            continue  # sub-sections get their own table
        key = f"{prefix}{fld.name}"
        meta = dict(fld.metadata)
        doc = meta.get("doc") or f"switch the {fld.name.replace('_', ' ')} process on or off"
        source = meta.get("source", "modelling choice" if meta else "-")
        rows.append(f"| `{key}` | {_cell(doc)} | {unit(key, hints[fld.name], meta)} | "
                    f"{fmt_value(getattr(instance, fld.name))} | {fmt_range(meta)} | "
                    f"{_cell(fmt_plausible(meta))} | {_cell(source)} | "
                    f"{_cell(fmt_presets(key)) if '[i]' not in key else '-'} |")
    return rows


HEADER = ["| key | meaning | unit | default | range | plausible range | source | presets |",
          "|---|---|---|---|---|---|---|---|"]


def sections() -> dict[str, str]:
    """Markdown table per config section ("scenario" holds the top-level settings)."""
    default = Scenario()
    out = {"scenario": "\n".join(HEADER + _rows(Scenario, "", default))}
    for fld in dataclasses.fields(Scenario):
        value = getattr(default, fld.name)
        if dataclasses.is_dataclass(value):
            out[fld.name] = "\n".join(HEADER + _rows(type(value), f"{fld.name}.", value))
    # the digital channels: the fields of one channel and the default list
    channel_rows = _rows(ChannelConfig, "digital.channels[i].", ChannelConfig())
    lines = HEADER + channel_rows + ["", "Default channels (`digital.channels`):", "",
                                     "| name | created_by | read_prob | stores |",
                                     "|---|---|---|---|"]
    for ch in default.digital.channels:
        lines.append(f"| `{ch.name}` | {ch.created_by} | {ch.read_prob:g} | "
                     f"{str(ch.stores).lower()} |")
    out["channels"] = "\n".join(lines)
    return out


def render(name: str, table: str) -> str:
    """The full marker-delimited block for one section."""
    return f"<!-- BEGIN parameters: {name} -->\n{table}\n<!-- END parameters: {name} -->"


def update(path: Path = ODD) -> int:
    """Rewrite every parameter block in ``path``; return how many were replaced."""
    tables = sections()
    text = path.read_text()
    count = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return render(match["name"], tables[match["name"]])

    path.write_text(BLOCK.sub(repl, text))
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("section", nargs="*", help="section names (default: all)")
    parser.add_argument("--update", action="store_true", help="rewrite the blocks in ODD.md")
    args = parser.parse_args()
    if args.update:
        print(f"updated {update()} parameter tables in {ODD}")
        return
    tables = sections()
    for name in args.section or tables:
        print(render(name, tables[name]) + "\n")


if __name__ == "__main__":
    main()

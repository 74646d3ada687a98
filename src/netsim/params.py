"""The parameters of the model: what each one is, where its value comes from, and which are
uncertain (``netsim params``; the parameter space of sensitivity analysis and calibration).

Every numeric setting of :class:`netsim.config.Scenario` is a :class:`Parameter`, read from the
schema's field metadata. A parameter is **uncertain** when the schema gives it a plausible
range (``plausible=(lo, hi)`` with a one-line ``plausible_why``): its source is "modelling
choice", or a field report that says what happens but not how strongly. Sensitivity analysis
and calibration sample exactly these ranges (:func:`parameter_space`), narrowed or extended by
the user within the hard validation bounds.

Settings whose source is "modelling choice" but that are *not* uncertain are listed in
:data:`NOT_UNCERTAIN` with the reason: run settings, the size and calendar of the network one
simulates (set per scenario), settings only the textbook adoption rules read, and outcome
definitions.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netsim.config import ConfigError, Scenario, list_presets, load_scenario, scenario_to_dict

__all__ = ["CONDITIONS", "NOT_UNCERTAIN", "Parameter", "ParameterSpace", "format_parameters",
           "parameter", "parameter_space", "parameters", "preset_values"]

#: the four conditions the client named first: design levers, not uncertain parameters
CONDITIONS = ("leader_participation", "formality", "meeting_interval_weeks", "trust.initial")

#: "modelling choice" settings that are deliberately not uncertain, and why
NOT_UNCERTAIN: dict[str, str] = {
    "seed": "run setting",
    "replicates": "run setting",
    "network.teachers_per_school": "size of the municipality simulated (set per scenario)",
    "network.area_size_spread": "shape of the country simulated (set per scenario)",
    "calendar.years": "horizon of the question (set per scenario)",
    "calendar.gathering_start_week": "calendar of the design (set per scenario)",
    "calendar.area_meeting_start_week": "calendar of the design (set per scenario)",
    "calendar.area_gathering_hours": "calendar of the design (set per scenario)",
    "turnover.key_person_hazard": "a what-if event (set per question)",
    "practices.n_practices": "size of the network's theme (set per scenario)",
    "adoption.initial_adopters": "read only by the textbook adoption rules",
    "adoption.seed_count": "read only by the textbook adoption rules (the experiment's seeding)",
    "adoption.threshold_low": "read only by the textbook threshold rules (the experiment's "
                              "threshold distribution)",
    "adoption.threshold_high": "read only by the textbook threshold rules (the experiment's "
                               "threshold distribution)",
    "adoption.max_weeks": "read only by textbook runs until stable (a horizon, set per run)",
}

# integer parameters that take only every k-th value
_STEPS = {"network.collegial_degree": 2}


@dataclass(frozen=True)
class Parameter:
    """One setting of the schema (a leaf field of :class:`netsim.config.Scenario`).

    Attributes:
        key: dotted config key, e.g. ``trial.trial_rate``.
        kind: ``float``, ``int``, ``bool``, ``choice``, ``text`` or ``list``.
        default: the schema default.
        lo, hi: hard validation bounds (None = open).
        plausible: plausible range of an uncertain parameter, else None.
        plausible_why: one-line reason for that range.
        source: field-report section, paper or "modelling choice".
        doc: one-line meaning.
        presets: preset name -> value, for every preset that sets it to something other than
            the default.
        step: integer parameters that take only multiples of ``step`` (collegial degree: 2).
    """

    key: str
    kind: str
    default: Any
    lo: float | None
    hi: float | None
    plausible: tuple[float, float] | None
    plausible_why: str | None
    source: str
    doc: str
    lo_open: bool = False
    hi_open: bool = False
    presets: dict[str, Any] = field(default_factory=dict, compare=False)
    step: int = 1

    @property
    def uncertain(self) -> bool:
        """Whether the schema declares a plausible range for it."""
        return self.plausible is not None

    @property
    def numeric(self) -> bool:
        return self.kind in ("float", "int")

    def check_range(self, lo: float, hi: float) -> None:
        """Refuse a range outside the hard bounds or empty (ConfigError naming the key)."""
        if not self.numeric:
            raise ConfigError(f"{self.key} is a {self.kind} setting; allowed: a numeric "
                              "parameter (see netsim params)")
        if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
            raise ConfigError(f"range {self.key}={lo:g}:{hi:g} is empty or not finite; allowed: "
                              "lo < hi")
        low_bad = self.lo is not None and (lo < self.lo or (self.lo_open and lo == self.lo))
        high_bad = self.hi is not None and (hi > self.hi or (self.hi_open and hi == self.hi))
        if low_bad or high_bad:
            lo_b = "-inf" if self.lo is None else f"{self.lo:g}"
            hi_b = "inf" if self.hi is None else f"{self.hi:g}"
            raise ConfigError(f"range {self.key}={lo:g}:{hi:g} is outside the schema's bounds; "
                              f"allowed: {'(' if self.lo_open else '['}{lo_b}, {hi_b}"
                              f"{')' if self.hi_open else ']'} ({self.doc})")

    def value(self, x: float) -> int | float:
        """A sampled number as a valid value: rounded (to the step) for integers."""
        if self.kind == "int":
            return int(self.step * round(float(x) / self.step))
        return float(x)


def _kind(tp: Any) -> str:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, __import__("types").UnionType) and args:
        tp = args[0]
    if typing.get_origin(tp) is list:
        return "list"
    if tp is bool:
        return "bool"
    if tp is int:
        return "int"
    if tp is float:
        return "float"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "choice"
    return "text"


def _leaves(cls: type, prefix: str = "") -> list[tuple[str, Any, dataclasses.Field]]:
    hints = typing.get_type_hints(cls)
    out = []
    for fld in dataclasses.fields(cls):
        tp = hints[fld.name]
        key = f"{prefix}{fld.name}"
        if dataclasses.is_dataclass(tp):
            out += _leaves(tp, f"{key}.")
        else:
            out.append((key, tp, fld))
    return out


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@functools.lru_cache(maxsize=1)
def preset_values() -> dict[str, dict[str, Any]]:
    """Preset name -> {key: value} for each setting the preset changes from the default."""
    defaults = _flat(scenario_to_dict(Scenario()))
    out = {}
    for name in list_presets():
        values = _flat(scenario_to_dict(load_scenario(name)))
        out[name] = {k: v for k, v in values.items()
                     if k not in ("name", "description") and v != defaults.get(k)}
    return out


@functools.lru_cache(maxsize=1)
def _all() -> tuple[Parameter, ...]:
    defaults = _flat(scenario_to_dict(Scenario()))
    by_preset = preset_values()
    params = []
    for key, tp, fld in _leaves(Scenario):
        meta = fld.metadata
        plausible = meta.get("plausible")
        params.append(Parameter(
            key=key, kind=_kind(tp), default=defaults.get(key), lo=meta.get("lo"),
            hi=meta.get("hi"), plausible=None if plausible is None else tuple(plausible),
            plausible_why=meta.get("plausible_why"), source=str(meta.get("source", "")),
            doc=str(meta.get("doc", "")), lo_open=bool(meta.get("lo_open")),
            hi_open=bool(meta.get("hi_open")),
            presets={p: v[key] for p, v in by_preset.items() if key in v},
            step=_STEPS.get(key, 1)))
    return tuple(params)


def parameters(uncertain_only: bool = False) -> list[Parameter]:
    """Every setting of the schema in schema order (only the uncertain ones if asked)."""
    return [p for p in _all() if p.uncertain or not uncertain_only]


def parameter(key: str) -> Parameter:
    """The parameter named ``key``; ConfigError for an unknown key."""
    for p in _all():
        if p.key == key:
            return p
    numeric = [p.key for p in _all() if p.numeric]
    close = [k for k in numeric if key.rsplit(".", 1)[-1] in k]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
    raise ConfigError(f"unknown parameter {key!r}{hint} (netsim params lists all "
                      f"{len(numeric)} numeric parameters)")


@dataclass(frozen=True)
class ParameterSpace:
    """The box that a sensitivity analysis or calibration samples.

    Attributes:
        params: the parameters, in sampling order.
        bounds: (lo, hi) per parameter.
    """

    params: tuple[Parameter, ...]
    bounds: tuple[tuple[float, float], ...]

    @property
    def names(self) -> list[str]:
        return [p.key for p in self.params]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        return {"num_vars": len(self.params), "names": self.names,
                "bounds": [list(b) for b in self.bounds]}

    def overrides(self, x: Sequence[float]) -> dict[str, int | float]:
        """Dotted overrides for one sampled point (integers rounded)."""
        return {p.key: p.value(v) for p, v in zip(self.params, x)}

    def to_dict(self) -> dict[str, Any]:
        return {"names": self.names, "bounds": [list(b) for b in self.bounds]}


def parameter_space(keys: Sequence[str] | None = None,
                    ranges: Mapping[str, tuple[float, float]] | None = None) -> ParameterSpace:
    """The parameters to sample and their ranges.

    Args:
        keys: the parameters (default: every uncertain one).
        ranges: key -> (lo, hi) replacing the plausible range, or adding a parameter that has
            none (a client condition, say); checked against the schema's hard bounds.

    Raises:
        ConfigError: an unknown key, a non-numeric one, a range outside the schema's bounds,
            or a parameter with neither a plausible range nor a given one.
    """
    ranges = dict(ranges or {})
    chosen = list(keys) if keys is not None else [p.key for p in parameters(True)]
    chosen += [k for k in ranges if k not in chosen]
    if not chosen:
        raise ConfigError("no parameters to sample; allowed: keys with a plausible range "
                          "(netsim params --uncertain) or --range key=lo:hi")
    params, bounds = [], []
    for key in chosen:
        p = parameter(key)
        if key in ranges:
            lo, hi = (float(v) for v in ranges[key])
            p.check_range(lo, hi)
        elif p.plausible is not None:
            lo, hi = p.plausible
        else:
            raise ConfigError(f"{key} has no plausible range in the schema; allowed: give one "
                              f"with --range {key}=lo:hi within its bounds")
        if p.kind == "int" and p.value(lo) == p.value(hi):
            raise ConfigError(f"range {key}={lo:g}:{hi:g} holds a single whole number; allowed: "
                              "a range spanning at least two values")
        params.append(p)
        bounds.append((float(lo), float(hi)))
    return ParameterSpace(tuple(params), tuple(bounds))


def parse_range(text: str) -> tuple[str, tuple[float, float]]:
    """``key=lo:hi`` -> (key, (lo, hi)); ConfigError on bad syntax."""
    key, sep, rest = text.partition("=")
    lo_t, sep2, hi_t = rest.partition(":")
    try:
        if not sep or not sep2:
            raise ValueError
        return key.strip(), (float(lo_t), float(hi_t))
    except ValueError:
        raise ConfigError(f"--range {text!r} is not key=lo:hi; allowed e.g. "
                          "--range trial.trial_rate=0.05:0.15") from None


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[...]" if value else "[]"
    return str(value)


def _bounds_text(p: Parameter) -> str:
    if p.lo is None and p.hi is None:
        return "-"
    return f"{_fmt(p.lo) if p.lo is not None else '-inf'}..{_fmt(p.hi) if p.hi is not None else 'inf'}"


def format_parameters(params: Sequence[Parameter], markdown: bool = False) -> str:
    """The table ``netsim params`` prints: key, default, bounds, plausible range, uncertain,
    source, presets that change it."""
    header = ("key", "default", "bounds", "plausible", "uncertain", "source", "presets")
    rows = []
    for p in params:
        if p.uncertain:
            plaus = f"{_fmt(p.plausible[0])}..{_fmt(p.plausible[1])}"
            unc = "yes"
        else:
            plaus = "-"
            unc = "no" + (f" ({NOT_UNCERTAIN[p.key]})" if p.key in NOT_UNCERTAIN else "")
        presets = ", ".join(f"{k}={_fmt(v)}" for k, v in p.presets.items()) or "-"
        source = p.source + (f"; range: {p.plausible_why}" if p.plausible_why else "")
        default = _fmt(p.default)
        default = default if len(default) <= 24 else default[:21] + "..."
        rows.append((p.key, default, _bounds_text(p), plaus, unc, source, presets))
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
              for i in range(4)]
    out = []
    for r in [header, *rows]:
        head = "  ".join(f"{c:<{w}}" for c, w in zip(r[:4], widths))
        out.append(f"{head}  {r[4]:<3}  {r[5]}" + (f"  [presets: {r[6]}]" if r[6] not in
                                                       ("-", "presets") else ""))
    return "\n".join(out)

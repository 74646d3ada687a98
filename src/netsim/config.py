"""Scenario configuration: typed dataclasses, enums, validation and preset loading.

A :class:`Scenario` is the single description of what a run simulates. It is a tree of plain
dataclasses (usable from a notebook without Hydra); the command line registers the same classes
with Hydra's ConfigStore (see :mod:`netsim.app`), so config keys, dataclass fields and result
columns share one snake_case name.

Every field carries metadata: a short description, the allowed range and its source (a section
of a field report in ``shared/domain`` or a paper, or "modelling choice" when the reports are
silent). :func:`validate` checks every value against that metadata and raises
:class:`ConfigError` with a message that names the key, the bad value and what is allowed.

The four conditions the client named first are top-level fields: ``leader_participation``,
``trust`` (``trust.initial``, ``trust.growth``, ``trust.decay``), ``formality`` and
``meeting_interval_weeks``.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "AdoptionConfig",
    "AdoptionRule",
    "CalendarConfig",
    "ChannelConfig",
    "CoCreationConfig",
    "ConfigError",
    "Design",
    "FacilitatorStyle",
    "DigitalConfig",
    "GatheringConfig",
    "HomeConfig",
    "MotivationConfig",
    "NetworkConfig",
    "PracticesConfig",
    "ProcessesConfig",
    "Scenario",
    "SeedRule",
    "TalkConfig",
    "ThresholdDistribution",
    "TrialConfig",
    "TrustConfig",
    "TurnoverConfig",
    "check_changes_take_effect",
    "check_setting",
    "configs_dir",
    "list_presets",
    "load_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "validate",
]


class ConfigError(ValueError):
    """An invalid setting. The message names the key, the value and what is allowed."""


def _f(default: Any, doc: str, lo: float | None = None, hi: float | None = None,
       source: str = "modelling choice", *, lo_open: bool = False, hi_open: bool = False,
       nullable: bool = False, plausible: tuple[float, float] | None = None,
       plausible_why: str | None = None) -> Any:
    """A dataclass field with documentation, range and source metadata.

    ``lo``/``hi`` are the hard validation bounds (what the code can run). ``plausible`` is the
    narrower range that an uncertain parameter (source "modelling choice", or a seed that gives
    no number) is believed to lie in; sensitivity analysis and calibration sweep it, and
    ``plausible_why`` says in one line where that range comes from.
    """
    meta = {"doc": doc, "lo": lo, "hi": hi, "source": source, "lo_open": lo_open,
            "hi_open": hi_open, "nullable": nullable, "plausible": plausible,
            "plausible_why": plausible_why}
    if callable(default):  # a class or factory function: a fresh value per instance
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


class Design(enum.Enum):
    """How the network is organised (issue: network designs). Builders live in population.py."""

    resource_teacher_network = "resource_teacher_network"
    city_developer_networks = "city_developer_networks"
    meeting_groups = "meeting_groups"
    partnership_network = "partnership_network"
    significant_networks = "significant_networks"
    custom_graph = "custom_graph"


class SeedRule(enum.Enum):
    """How textbook rules choose their initial adopters (see netsim.mechanisms.adoption_rules)."""

    share = "share"
    random = "random"
    top_degree = "top_degree"
    nodes = "nodes"


class ThresholdDistribution(enum.Enum):
    """Per-node thresholds of the threshold rules: one value, or drawn per node."""

    fixed = "fixed"
    uniform = "uniform"
    normal = "normal"


class FacilitatorStyle(enum.Enum):
    """How facilitators lead gatherings (seed 001 Table 6.2, §6.4.1, §6.4.3)."""

    participatory = "participatory"
    directive = "directive"


class AdoptionRule(enum.Enum):
    """Which adoption rule decides who adopts (see netsim.mechanisms.adoption_rules)."""

    trust_weighted = "trust_weighted"
    independent_cascade = "independent_cascade"
    fractional_threshold = "fractional_threshold"
    count_threshold = "count_threshold"
    bass = "bass"


@dataclass
class NetworkConfig:
    """Who is in the network and how people are tied (population.py)."""

    design: Design = _f(Design.resource_teacher_network, "network design to build",
                        source="shared/DESIGN.md §2; presets in configs/scenario")
    n_schools: int = _f(45, "schools in the municipality", 1, 20000,
                        "seed 001 §4.5 (about 45 resource teachers, 1-2 per school)")
    teachers_per_school: int = _f(24, "mean number of classroom teachers per school", 1, 500,
                                  "modelling choice (Norwegian primary/lower-secondary school)")
    school_size_spread: float = _f(0.3, "lognormal sd of school size around the mean", 0, 2,
                                   plausible=(0.1, 0.6),
                                   plausible_why="most schools between about half and twice the "
                                                 "mean size")
    resource_teachers_per_school: int = _f(1, "network members per school besides the leader",
                                           0, 10, "seed 001 §5.2 (1-2 from most schools)")
    leaders_invited: bool = _f(True, "a leader from each school is invited to gatherings",
                               source="seed 001 §6.3.3")
    n_facilitators: int = _f(2, "central network leaders (facilitators)", 0, 200,
                             "seed 001 §4.5, §5.4.2 (two network leaders)")
    collegial_degree: int = _f(6, "mean collegial ties per person inside a school (even)", 0, 100,
                               "modelling choice; Roxå & Mårtensson 2009 (seed 000): <10 partners",
                               plausible=(4, 10),
                               plausible_why="a handful of close colleagues, fewer than 10 (Roxå & "
                                             "Mårtensson 2009, seed 000); even numbers only")
    collegial_rewire_prob: float = _f(0.1, "Watts-Strogatz rewiring: 0 = lattice, 1 = random",
                                      0, 1, "modelling choice (clustered informal ties)",
                                      plausible=(0.0, 0.3),
                                      plausible_why="clustered, small-world ties inside a school "
                                                    "(Watts & Strogatz 1998 regime)")
    colleague_trust: float = _f(0.5, "mean trust on collegial ties", 0, 1,
                                plausible=(0.3, 0.8),
                                plausible_why="colleagues of one school know each other; trust on "
                                              "their ties is moderate")
    n_areas: int = _f(0, "education areas with their own area network (0 = none)", 0, 1000,
                      "seed 004 (city network -> area networks -> schools)")
    area_size_spread: float = _f(0.0, "lognormal sd of the number of schools per area (0 = "
                                 "areas of equal size; > 0 = unequal areas such as a country's "
                                 "municipalities, each with at least one school)", 0, 3,
                                 "modelling choice; configs/scenario/national_*.yaml (a "
                                 "country's municipalities range from one school to over a "
                                 "hundred)")
    group_size_min: int = _f(15, "smallest meeting group (meeting_groups design)", 2, 200,
                             "seed 004 (groups of about 15-20)")
    group_size_max: int = _f(20, "largest meeting group (meeting_groups design)", 2, 200,
                             "seed 004 (groups of about 15-20)")
    all_teachers_members: bool = _f(False, "every teacher is a network member",
                                    source="seed 004 (meeting groups)")
    homophily: float = _f(0.0, "share of collegial ties drawn towards similar colleagues", 0, 1,
                          "seed 000 (birds of a feather, Poole et al. 2019)")
    cross_school_informal_ties: int = _f(0, "initial informal cross-school ties per teacher "
                                         "(mean degree; partners drawn by homophily)", 0, 50,
                                         "seed 000 (significant networks)")
    informal_tie_trust: float = _f(0.8, "mean trust on initial informal cross-school ties "
                                   "(drawn uniformly in ±0.1)", 0, 1,
                                   "seed 000 (partners one trusts and respects); value is a "
                                   "modelling choice",
                                   plausible=(0.6, 0.95),
                                   plausible_why="seed 000: partners one trusts and respects, so "
                                                 "above the strong-tie level 0.5")
    gatherings_by_area: bool = _f(False, "each network gathering is held separately in every "
                                  "area / meeting group, for that group's invited members",
                                  source="seed 004 (meeting groups meet separately)")
    school_forms: int = _f(2, "school forms / stages among the schools (1 = one stage; 4 = "
                           "preschool to upper secondary, the 1-19 perspective of seed 002)",
                           1, 4, "seed 001 §5.2.4 (primary and lower-secondary school: 2); "
                           "seed 002 §1 (preschool to upper secondary: 4)")
    background_weight: float = _f(0.5, "weight of background (school form and perspective) "
                                  "against practice knowledge in cognitive distance", 0, 1,
                                  plausible=(0.25, 0.75),
                                  plausible_why="modelling choice: what people know and what "
                                  "context they work in count about equally (Nooteboom et al. "
                                  "2007 measure distance on both)")
    needs_analysis: bool = _f(False, "each school names the practice it needs (a needs "
                              "analysis owned by the units): expert input and the take-back "
                              "choice favour it", source="seed 003 ('Hvem kjenner "
                              "kunnskapsbehovet': the need is owned by the units); seed 004 "
                              "(content planned from a needs analysis)")
    need_weight: float = _f(1.0, "how much more a school's own need counts in the take-back "
                            "choice (score x (1 + need_weight))", 0, 10,
                            plausible=(0.5, 2.0),
                            plausible_why="modelling choice: an owned need counts about double")
    file: str | None = _f(None, "edge list (CSV: source,target[,weight]) or GraphML replacing the "
                          "generated ties", nullable=True)
    nodes_file: str | None = _f(None, "node table (CSV: id first, then attributes such as "
                                "school, role or a threshold column); lists isolated nodes too",
                                nullable=True)


@dataclass
class CalendarConfig:
    """The school calendar (model.py schedules events on it)."""

    weeks_per_year: int = _f(38, "school weeks per year", 1, 52,
                             "seed 001 domain notes §8.1 (modelling choice, ~6-7 gatherings/yr)")
    years: float = _f(3.0, "simulated horizon in school years", 0, 50, lo_open=True)
    gathering_hours: float = _f(3.0, "length of one gathering in hours (half a day)", 0, 24,
                                "seed 001 §5.2.5 ('all those three hours')", lo_open=True)
    gathering_start_week: int = _f(1, "week of the first gathering", 1, 2000)
    gathering_end_week: int | None = _f(None, "last week gatherings are held (None = never end)", 1,
                                        100000, "seed 000 (time-limited formal project)",
                                        nullable=True)
    gathering_weeks: list[int] = _f(list, "weeks within each school year when the network "
                                    "gathers; if set, meeting_interval_weeks is not used "
                                    "(empty = every meeting_interval_weeks)", 1, 52,
                                    "seed 004 (fixed study days)")
    gathering_hours_list: list[float] = _f(list, "hours of each gathering in gathering_weeks "
                                           "(empty = gathering_hours for all)", 0, 24,
                                           "seed 004 (three half-days and one full day)",
                                           lo_open=True)
    area_meeting_interval_weeks: int = _f(0, "weeks between area-network gatherings (0 = none)",
                                          0, 104, "seed 004 (developers lead area networks)")
    area_meeting_start_week: int = _f(1, "week of the first area-network gathering", 1, 2000)
    area_gathering_hours: float = _f(3.0, "length of one area-network gathering in hours", 0, 24,
                                     lo_open=True)
    dev_time_interval_weeks: int = _f(1, "weeks between shared development-time sessions", 1, 52,
                                      "seed 001 §6.3.2 (one afternoon every week)")
    dev_time_hours: float = _f(1.5, "hours of one development-time session", 0, 10,
                               plausible=(1.0, 3.0),
                               plausible_why="seed 001 §6.3.2: one afternoon of development time, "
                                             "1-3 hours")


@dataclass
class TrustConfig:
    """Trust between network members from different schools (client condition)."""

    initial: float = _f(0.2, "trust on a new cross-school tie", 0, 1,
                        "modelling choice, swept in configs/experiment/trust",
                        plausible=(0.05, 0.5),
                        plausible_why="new cross-school ties start between near-strangers and "
                                      "acquaintances; the trust study sweeps 0.1-0.4")
    growth: float = _f(0.2, "share of the gap to 1 closed per shared group session", 0, 1,
                       "seed 001 §5.3.6 (bonds from meeting often); swept",
                       plausible=(0.05, 0.4),
                       plausible_why="seed 001 §5.3.6 says bonds grow from meeting often, not how "
                                     "fast: a tie turns strong after 1-9 shared sessions")
    decay: float = _f(0.01, "share of trust lost per week without contact", 0, 1,
                      "modelling choice, swept in configs/experiment/trust",
                      plausible=(0.0, 0.03),
                      plausible_why="0 keeps trust; 0.03 a week halves it in about 23 idle weeks "
                                    "(the trust study sweeps 0-0.03)")
    strong: float = _f(0.5, "trust at which a tie counts as strong ('significant')", 0, 1,
                       lo_open=True, source="Roxå & Mårtensson 2009 (seed 000)")
    max_strong_ties: int = _f(7, "strong ties a person can keep (fewer than 10)", 1, 9,
                              "seed 000 (fewer than 10 significant partners)")


@dataclass
class GatheringConfig:
    """What happens at a network gathering (mechanisms/gathering.py)."""

    attendance_base: float = _f(0.85, "baseline attendance of members", 0, 1,
                                "seed 001 §5.4.3 (attendance 'always good')",
                                plausible=(0.75, 0.95),
                                plausible_why="seed 001 §5.4.3: attendance 'always good', but not "
                                              "everyone every time")
    attendance_formality_gain: float = _f(0.2, "attendance change per unit formality above 0.5",
                                          0, 1, "seed 001 §5.4.2-5.4.3",
                                          plausible=(0.0, 0.4),
                                          plausible_why="seed 001 §5.4.2-5.4.3 give the direction "
                                                        "(formal frames raise attendance), not the "
                                                        "size")
    expert_inputs: int = _f(1, "expert inputs (research, law, tools) per gathering", 0, 5,
                            "seed 001 §1.1, §6.4.5")
    stories: int = _f(2, "peer practice stories per gathering", 0, 5,
                      "seed 001 §5.2.2 ('nearly always' 1-2 stories)")
    lecture_knowledge: float = _f(0.3, "explicit knowledge gained from one expert input", 0, 1,
                                  plausible=(0.1, 0.5),
                                  plausible_why="an expert input teaches something, never "
                                                "everything")
    lecture_inspiration: float = _f(0.1, "inspiration gained from one expert input", 0, 1,
                                    "seed 001 §6.3.1 (theory alone motivates less)",
                                    plausible=(0.02, 0.2),
                                    plausible_why="seed 001 §6.3.1: theory alone motivates less "
                                                  "than stories do")
    story_knowledge: float = _f(0.25, "explicit knowledge gained from one peer story", 0, 1,
                                plausible=(0.1, 0.4),
                                plausible_why="a peer story shows how, with less theory than a "
                                              "lecture")
    story_inspiration: float = _f(0.3, "inspiration gained from one peer story", 0, 1,
                                  "seed 001 §5.3.1 (stories inspire more than lectures)",
                                  plausible=(0.15, 0.5),
                                  plausible_why="seed 001 §5.3.1: stories inspire more than "
                                                "lectures")
    group_size: int = _f(5, "people per mixed-school small group", 2, 50,
                         "seed 001 §5.2.2 (small mixed groups); size is a modelling choice",
                         plausible=(3, 8),
                         plausible_why="seed 001 §5.2.2: small mixed groups, a table of 3-8")
    group_exchange: float = _f(0.5, "share of a knowledge gap closed per fully trusted peer", 0, 1,
                               plausible=(0.2, 0.8),
                               plausible_why="a trusted peer closes a real part of a knowledge gap "
                                             "in one session, not all of it")
    group_diversity: float = _f(0.5, "0 = groups of similar people, 1 = maximally mixed", 0, 1,
                                "seed 002 §2.2-2.3 ('lagom friktion')",
                                plausible=(0.2, 0.8),
                                plausible_why="seed 002 §2.2-2.3: 'lagom friktion', neither all "
                                              "alike nor maximally mixed")
    reflection_alignment: float = _f(0.4, "leader-resource teacher alignment gained per joint "
                                     "reflection", 0, 1, "seed 001 §5.2.5, §5.3.3",
                                     plausible=(0.2, 0.6),
                                     plausible_why="seed 001 §5.2.5, §5.3.3: joint reflection "
                                                   "aligns leader and resource teacher; the size "
                                                   "is not given")
    understanding_range: float = _f(0.6, "cognitive distance at which people no longer "
                                    "understand each other (without moderation)", 0, None,
                                    "Nooteboom et al. 2007 (absorptive capacity falls with "
                                    "distance); value a modelling choice", lo_open=True,
                                    plausible=(0.4, 1.0),
                                    plausible_why="modelling choice: random pairs (distance "
                                    "about 0.2-0.4) still understand each other partly")
    facilitator_style: FacilitatorStyle = _f(FacilitatorStyle.participatory,
                                             "participatory (moderates, non-intrusive) or "
                                             "directive (goal- and result-steering)",
                                             source="seed 001 Table 6.2, §6.4.1, §6.4.3")
    moderation: float = _f(0.5, "participatory facilitators widen the understanding range by "
                           "this share (they lower the cost of distance)", 0, 2,
                           "seed 002 §2.3 (the facilitator clarifies, challenges, coordinates); "
                           "value a modelling choice", plausible=(0.0, 1.0),
                           plausible_why="modelling choice: from no effect to doubling the range")
    formality_openness_cost: float = _f(0.3, "share of group exchange lost at formality 1 "
                                        "(less challenge and critical reflection)", 0, 1,
                                        "seed 001 §5.4.3 (informal network 'more open'), "
                                        "§6.4.3; seed 000 (managers reading along)",
                                        plausible=(0.0, 0.5),
                                        plausible_why="modelling choice: the reports name the "
                                        "direction only; up to half the exchange")
    directive_openness_cost: float = _f(0.3, "further share of group exchange lost under a "
                                        "directive style", 0, 1,
                                        "seed 001 Table 6.2 (goal- and result-steering hinders)",
                                        plausible=(0.1, 0.6),
                                        plausible_why="modelling choice: the reports name the "
                                        "direction only")


@dataclass
class HomeConfig:
    """Transfer at the home school through development time (mechanisms/home_transfer.py)."""

    dev_time_allocation: float = _f(0.25, "share of backed sessions given to network work", 0,
                                    1, "seed 001 §5.2.4 (development time used 'more' for it: "
                                    "one theme among several); value a modelling choice",
                                    plausible=(0.1, 0.5),
                                    plausible_why="weekly development time serves all of a "
                                    "school's development themes; network work 'more' than "
                                    "before but not most of it (seed 001 §5.2.4, §6.3.2)")
    unbacked_time_share: float = _f(0.1, "chance of getting time without the leader's backing",
                                    0, 1, "seed 001 §5.2.5 ('rarely got time')",
                                    plausible=(0.0, 0.25),
                                    plausible_why="seed 001 §5.2.5: without the leader's backing "
                                                  "one 'rarely got time'")
    solo_transfer_share: float = _f(0.5, "share passed on when presenting without the leader",
                                    0, 1, "seed 001 §5.2.5, §5.3.3 ('heavy to convey')",
                                    plausible=(0.3, 0.7),
                                    plausible_why="seed 001 §5.2.5, §5.3.3: 'heavy to convey' "
                                                  "alone, but not nothing")
    presentation_knowledge: float = _f(0.3, "explicit knowledge staff gain per presentation",
                                       0, 1,
                                       plausible=(0.1, 0.5),
                                       plausible_why="staff learn part of what a presentation "
                                                     "shows")
    presentation_inspiration: float = _f(0.2, "inspiration staff gain per presentation", 0, 1,
                                         plausible=(0.05, 0.35),
                                         plausible_why="a colleague's presentation inspires some "
                                                       "staff, less than a gathering's stories")
    resistant_share: float = _f(0.1, "share of staff who resist new practice", 0, 1,
                                "seed 001 §5.2.5 ('if 90% are on board... the 10 percent', a "
                                "hypothetical framing, not a count)", plausible=(0.0, 0.3),
                                plausible_why="the 90/10 remark is hypothetical; seed 001 "
                                "domain notes §8.3 sweep 0-0.3")
    mandate_strength: float = _f(0.5, "how hard a backing leader pushes ('everybody shall do "
                                 "this'); a school's mandate is this times its leader's backing",
                                 0, 1, "seed 001 §5.2.5; value a modelling choice",
                                 plausible=(0.2, 0.9),
                                 plausible_why="modelling choice: leaders do not 'force "
                                 "something new over people's heads' (§5.2.5)")
    alignment_decay: float = _f(0.02, "weekly decay of leader alignment", 0, 1,
                                plausible=(0.005, 0.05),
                                plausible_why="alignment without joint reflection halves in 14-140 "
                                              "weeks")
    initial_alignment: float = _f(0.2, "leader alignment with the resource teacher at start",
                                  0, 1,
                                  plausible=(0.05, 0.4),
                                  plausible_why="leaders start less aligned with the network than "
                                                "its members")


@dataclass
class TalkConfig:
    """Informal collegial talk (mechanisms/collegial_talk.py)."""

    talk_prob: float = _f(0.3, "chance a tie is used for talk about the theme in a week", 0, 1,
                          plausible=(0.1, 0.5),
                          plausible_why="the theme comes up on a collegial tie in one week of 2-10")
    knowledge_rate: float = _f(0.1, "share of a knowledge gap closed per trusted talk", 0, 1,
                               plausible=(0.03, 0.2),
                               plausible_why="an informal talk closes a small part of a knowledge "
                                             "gap")
    inspiration: float = _f(0.1, "inspiration per adopting partner talked to", 0, 1,
                            plausible=(0.03, 0.2),
                            plausible_why="talking to an adopter inspires less than a gathering's "
                                          "story")
    member_tie_talk_prob: float = _f(0.1, "weekly chance a fully trusted cross-school tie is "
                                     "used (times trust and the partner budget)", 0, 1,
                                     "seed 000 (informal significant networks)",
                                     plausible=(0.03, 0.3),
                                     plausible_why="seed 000: significant partners at other "
                                                   "schools talk now and then, not every week")
    partner_budget: int = _f(7, "cross-school partners a person has time to talk with "
                             "regularly; ties beyond it are used less", 1, 100,
                             "seed 000 (Roxå & Mårtensson 2009: fewer than 10 partners; lack of "
                             "time is the barrier)", plausible=(4, 10),
                             plausible_why="seed 000: most teachers talk with fewer than 10")
    tie_growth: float = _f(0.05, "trust gained per use of a cross-school tie, times the "
                           "partners' similarity (1 - background distance)", 0, 1,
                           "seed 000 (birds of a feather; talks with those one trusts); value a "
                           "modelling choice", plausible=(0.0, 0.2),
                           plausible_why="modelling choice: a talk builds less trust than a "
                           "gathering group session (trust.growth 0.2)")
    new_partner_prob: float = _f(0.0, "weekly chance a staff member meets someone from another "
                                 "school and may form an informal tie (accepted with "
                                 "probability 1 - homophily * background distance)", 0, 1,
                                 "seed 000 (significant networks form informally, homophily); "
                                 "value a modelling choice", plausible=(0.0, 0.05),
                                 plausible_why="modelling choice: from no new partners to about "
                                 "two a school year")


@dataclass
class TrialConfig:
    """Trying, adopting, dropping and adapting practices (mechanisms/trial.py)."""

    trial_rate: float = _f(0.1, "weekly trial start chance at full inspiration and motivation",
                           0, 1,
                           plausible=(0.03, 0.2),
                           plausible_why="at full inspiration and motivation a first trial within "
                                         "5-33 weeks")
    min_knowledge: float = _f(0.2, "explicit knowledge needed to start a trial", 0, 1,
                              plausible=(0.1, 0.4),
                              plausible_why="one needs to know a little, not everything, to try")
    mean_trial_weeks: float = _f(6.0, "mean weeks a trial lasts", 1, 104,
                                 plausible=(3.0, 12.0),
                                 plausible_why="a trial lasts a few weeks to a term")
    adapt_prob: float = _f(0.5, "chance a concluded trial changes the local version", 0, 1,
                           "seed 001 §5.2.3 (adapt, don't copy)",
                           plausible=(0.2, 0.8),
                           plausible_why="seed 001 §5.2.3: adapt, don't copy; how often is not "
                                         "given")
    adapt_sd: float = _f(0.03, "sd of the quality change of an adaptation (mean 0, alone or in "
                         "a group)", 0, 1,
                         plausible=(0.01, 0.06),
                         plausible_why="one adaptation changes a practice's quality a little")
    colleague_adapt_share: float = _f(0.1, "a colleague's (non-member's) chance to adapt, as a "
                                      "share of adapt_prob", 0, 1,
                                      "seed 001 §5.2.3-5.2.4 (resource teachers and small "
                                      "groups translate; colleagues take the version presented)",
                                      plausible=(0.0, 0.3),
                                      plausible_why="modelling choice: colleagues 'mostly' take "
                                      "the version presented")
    perception_sd: float = _f(0.1, "sd of the noise in judging a version's quality from one "
                              "trial or one variant", 0, 1, lo_open=True,
                              source="modelling choice (people never see true quality)",
                              plausible=(0.05, 0.2),
                              plausible_why="modelling choice: one trial says little; about "
                              "the spread of effectiveness between practices")
    own_trial_weight: float = _f(0.5, "weight of one's own trial in one's perceived quality", 0,
                                 1, plausible=(0.3, 0.8),
                                 plausible_why="modelling choice: own experience counts more "
                                 "than a report")
    discontinue_rate: float = _f(0.01, "weekly chance an adopter drops a practice with no "
                                 "visible results and no support", 0, 1,
                                 "Rogers 2003 (discontinuance); seed 002 §2.3 (results stay "
                                 "with the individual without follow-up); value a modelling "
                                 "choice", plausible=(0.002, 0.03),
                                 plausible_why="modelling choice: from a few % to two thirds "
                                 "of unsupported adopters lost per school year")
    know_how_gain: float = _f(0.3, "know-how gained per trial", 0, 1,
                              plausible=(0.1, 0.5),
                              plausible_why="one trial teaches part of the know-how")
    guidance_support: float = _f(0.3, "support from facilitator guidance", 0, 1,
                                 "seed 001 §5.2.6, §5.4.2",
                                 plausible=(0.1, 0.5),
                                 plausible_why="seed 001 §5.2.6, §5.4.2: facilitators' guidance "
                                               "helps trials; the size is not given")
    guidance_schools_per_facilitator: int = _f(3, "schools one facilitator guides at a time", 0,
                                               100, "seed 001 §5.2.6")
    drop_prob: float = _f(0.5, "chance a failed trial drops the practice (else stays aware)", 0, 1,
                          plausible=(0.2, 0.8),
                          plausible_why="after a failed trial some drop the practice, others keep "
                                        "it in mind")
    inspiration_decay: float = _f(0.05, "weekly decay of inspiration", 0, 1,
                                  plausible=(0.02, 0.1),
                                  plausible_why="inspiration halves in 7-35 weeks without new "
                                                "input")


@dataclass
class CoCreationConfig:
    """Small cross-school co-creation groups (mechanisms/cocreation.py)."""

    threshold: float = _f(0.75, "trust above which members co-create between gatherings", 0, 1,
                          "seed 001 §6.2.3 (small groups grow from trust)",
                          plausible=(0.6, 0.9),
                          plausible_why="seed 001 §6.2.3: small groups grow from trust, so above "
                                        "the strong-tie level 0.5")
    max_group_size: int = _f(4, "largest co-creation group", 2, 20, "seed 001 §5.2.4 (4 schools)")
    knowledge_rate: float = _f(0.2, "share of a knowledge gap closed per week in a group", 0, 1,
                               plausible=(0.1, 0.4),
                               plausible_why="a co-creating group closes a part of its knowledge "
                                             "gaps each week")
    hours_per_week: float = _f(0.5, "person-hours a group member spends per week", 0, 40,
                               plausible=(0.25, 1.5),
                               plausible_why="between-gathering work of a quarter hour to an hour "
                                             "and a half a week")


@dataclass
class ChannelConfig:
    """One digital channel."""

    name: str = _f("channel", "channel name")
    created_by: str = _f("facilitators", "'facilitators' (formal, takes network formality) or "
                         "'members' (informal)")
    read_prob: float = _f(0.3, "weekly chance a member reads the channel", 0, 1)
    stores: bool = _f(False, "a document store: posts stay readable")


def _default_channels() -> list[ChannelConfig]:
    return [
        ChannelConfig("document_store", "facilitators", 0.2, True),
        ChannelConfig("facilitator_group", "facilitators", 0.5, False),
        ChannelConfig("member_group", "members", 0.4, False),
    ]


@dataclass
class DigitalConfig:
    """Digital sharing (mechanisms/digital.py). Seed 001 §5.3.5, §6.3.2; seed 000."""

    post_prob: float = _f(0.1, "weekly chance a member with something to share posts", 0, 1,
                          plausible=(0.03, 0.2),
                          plausible_why="a member with something to share posts in one week of "
                                        "5-33")
    formality_post_penalty: float = _f(0.8, "how much a channel's formality lowers posting", 0, 1,
                                       "seed 001 §5.3.5; seed 000 (managers reading along)",
                                       plausible=(0.5, 0.95),
                                       plausible_why="seed 001 §5.3.5, seed 000: managers reading "
                                                     "along silence most posting; how much is not "
                                                     "given")
    member_channel_formality: float = _f(0.2, "formality of member-created channels", 0, 1,
                                         "seed 001 §6.3.2",
                                         plausible=(0.1, 0.4),
                                         plausible_why="seed 001 §6.3.2: member-made channels are "
                                                       "informal, not formless")
    read_knowledge: float = _f(0.1, "explicit knowledge gained per post read", 0, 1,
                               plausible=(0.03, 0.2),
                               plausible_why="one post read teaches a little")
    channels: list[ChannelConfig] = _f(_default_channels, "digital channels",
                                       source="seed 001 §2 (Itslearning, two Facebook groups)")


@dataclass
class MotivationConfig:
    """Motivation and commitment (mechanisms/dynamics.py)."""

    initial: float = _f(0.8, "mean initial motivation of members", 0, 1,
                        "seed 001 §5.3.1 ('everyone burns for the subject')",
                        plausible=(0.65, 0.95),
                        plausible_why="seed 001 §5.3.1: 'everyone burns for the subject'")
    staff_initial: float = _f(0.5, "mean initial motivation of other staff", 0, 1,
                              plausible=(0.3, 0.7),
                              plausible_why="other staff are neither for nor against at the start")
    owner_commitment: float = _f(0.8, "school owner's commitment and expectations", 0, 1,
                                 "seed 001 §5.3.2, §5.4.4",
                                 plausible=(0.5, 0.95),
                                 plausible_why="seed 001 §5.3.2, §5.4.4: the school owner is "
                                               "committed; how strongly is not given")
    relax_rate: float = _f(0.05, "weekly pull towards baseline motivation", 0, 1,
                           plausible=(0.02, 0.1),
                           plausible_why="motivation drifts back to its baseline over 7-35 weeks")
    success_gain: float = _f(0.05, "motivation gained from a successful trial or praise", 0, 1,
                             "seed 001 §5.2.2 (praise motivates)",
                             plausible=(0.02, 0.1),
                             plausible_why="seed 001 §5.2.2: praise and success motivate; the size "
                                           "is not given")
    failure_loss: float = _f(0.05, "motivation lost from a failed trial", 0, 1,
                             plausible=(0.02, 0.1),
                             plausible_why="a failed trial discourages about as much as a success "
                                           "encourages")
    owner_priority_weight: float = _f(0.5, "how much a lukewarm owner lowers leaders' "
                                      "priority for attendance and development time (priority "
                                      "= 1 - weight * (1 - owner_commitment))", 0, 1,
                                      "seed 001 §5.3.3 ('do they really think this is that "
                                      "important?'), domain notes §7.6",
                                      plausible=(0.2, 0.8),
                                      plausible_why="modelling choice: the reports name the "
                                      "direction only")
    leader_backing_gain: float = _f(0.02, "weekly motivation gain of a backed resource teacher",
                                    0, 1, "seed 001 §5.3.3 ('they lift me forward')",
                                    plausible=(0.005, 0.05),
                                    plausible_why="seed 001 §5.3.3: 'they lift me forward'; the "
                                                  "weekly size is not given")


@dataclass
class TurnoverConfig:
    """Turnover and loss of a key person (mechanisms/turnover.py)."""

    annual_rate: float = _f(0.08, "share of staff replaced each summer", 0, 1,
                            "modelling choice, swept",
                            plausible=(0.03, 0.15),
                            plausible_why="3-15 % of a school's staff leave each year")
    key_person_loss_week: int | None = _f(None, "week the lead facilitator leaves (None = never)",
                                          1, 100000, "seed 001 §5.4.3", nullable=True)
    key_person_hazard: float = _f(0.0, "yearly chance the lead facilitator leaves", 0, 1)
    formality_threshold: float = _f(0.5, "formality at which a departed key person is "
                                    "always replaced", 0, 1, "seed 001 §5.4.3", lo_open=True)
    replacement_weeks: int = _f(6, "weeks until a formal network replaces its key person", 0, 100,
                                plausible=(2, 12),
                                plausible_why="a formal network names a new coordinator within a "
                                              "term")


@dataclass
class PracticesConfig:
    """The practices on the network's theme (state.py)."""

    n_practices: int = _f(6, "practices on the network's theme", 1, 100)
    effectiveness_mean: float = _f(0.6, "mean true effectiveness (trial success at no "
                                   "difficulty)", 0, 1,
                                   plausible=(0.4, 0.8),
                                   plausible_why="practices that work more often than not at no "
                                                 "difficulty")
    effectiveness_sd: float = _f(0.1, "sd of true effectiveness", 0, 1,
                                 plausible=(0.05, 0.2),
                                 plausible_why="practices on one theme differ somewhat in how well "
                                               "they work")
    difficulty_mean: float = _f(0.4, "mean implementation difficulty", 0, 1,
                                plausible=(0.2, 0.6),
                                plausible_why="practices neither trivial nor out of reach")
    difficulty_sd: float = _f(0.15, "sd of implementation difficulty", 0, 1,
                              plausible=(0.05, 0.25),
                              plausible_why="practices on one theme differ somewhat in how hard "
                                            "they are")
    local_share: float = _f(0.34, "share of practices already in use at a few schools", 0, 1,
                            "seed 001 §6.3.2 (members bring local practice)",
                            plausible=(0.17, 0.5),
                            plausible_why="seed 001 §6.3.2: members bring local practice, one to "
                                          "three of six practices")
    local_schools: int = _f(3, "schools where a local practice is in use at the start", 0, 1000,
                            plausible=(1, 6),
                            plausible_why="a local practice starts at one to a few schools")
    conformity: float = _f(0.1, "perceived-quality bonus of the network's codified version, at "
                           "formality 1 (scaled by formality)", 0, 1,
                           "seed 001 §5.4.7 (municipal plan and booklet), §5.2.6 ('what the "
                           "municipality wants'); seed 002 §2.3 ('a certain degree of "
                           "unanimity')", plausible=(0.0, 0.2),
                           plausible_why="modelling choice: from none to about two switch "
                           "margins")


@dataclass
class AdoptionConfig:
    """Pluggable adoption rule (mechanisms/adoption_rules.py)."""

    rule: AdoptionRule = _f(AdoptionRule.trust_weighted, "adoption rule")
    transmissibility: float = _f(0.1, "independent cascade: chance an adopter converts a "
                                 "neighbour", 0, 1, "Kempe et al. 2003; Newman 2002")
    threshold: float = _f(0.18, "fractional threshold: share of adopting neighbours needed", 0, 1,
                          "Watts 2002", lo_open=True)
    count: int = _f(2, "count threshold: adopting neighbours needed", 1, 1000,
                    "Centola & Macy 2007")
    bass_p: float = _f(0.01, "Bass innovation coefficient per week", 0, 1, "Bass 1969")
    bass_q: float = _f(0.3, "Bass imitation coefficient per week", 0, 1, "Bass 1969")
    initial_adopters: float = _f(0.01, "share of people seeded as adopters (textbook rules, "
                                 "seeding share)", 0, 1)
    seeding: SeedRule = _f(SeedRule.share, "how seeds are chosen: share (initial_adopters, at "
                           "random per cascade), random (seed_count at random per cascade), "
                           "top_degree (the seed_count highest-degree nodes), nodes (seed_nodes, "
                           "seed_sets or seed_file)")
    seed_count: int = _f(1, "seeds per cascade for seeding random or top_degree", 1, 10**9)
    seed_nodes: list[Any] = _f(list, "seed node labels (ids as in network.file; row numbers on "
                               "a generated network), the same for every cascade")
    seed_sets: list[list[Any]] = _f(list, "one list of seed node labels per cascade (practice "
                                    "column)")
    seed_file: str | None = _f(None, "node-list file of seed labels: one per line, or a CSV "
                               "with columns node[,cascade]", nullable=True)
    weighted: bool = _f(False, "use edge weights: per-edge transmissibility "
                        "transmissibility x weight (independent cascade), weighted shares and "
                        "counts (threshold rules, Bass)", source="modelling choice; Kempe et al. "
                        "2003 (weighted cascade)")
    threshold_attribute: str | None = _f(None, "node attribute (GraphML) or network.nodes_file "
                                         "column with each node's threshold (a share or a "
                                         "count)", nullable=True)
    threshold_distribution: ThresholdDistribution = _f(
        ThresholdDistribution.fixed, "per-node thresholds: fixed (threshold / count), uniform "
        "(threshold_low..threshold_high) or normal (mean threshold / count, sd threshold_sd)",
        source="Granovetter 1978")
    threshold_low: float = _f(0.0, "uniform thresholds: lowest value", 0, 10**6)
    threshold_high: float = _f(1.0, "uniform thresholds: highest value", 0, 10**6)
    threshold_sd: float = _f(0.1, "normal thresholds: standard deviation (draws below 0 count "
                             "as 0)", 0, 10**6, "Granovetter 1978")
    until_stable: bool = _f(False, "run until nothing can change any more (at most max_weeks "
                            "weeks) instead of the calendar horizon")
    max_weeks: int = _f(10000, "longest run with until_stable", 1, 200000)


@dataclass
class ProcessesConfig:
    """Switches for the domain processes; all off reduces netsim to a textbook model."""

    gathering: bool = True
    home_transfer: bool = True
    collegial_talk: bool = True
    trial: bool = True
    cocreation: bool = True
    digital: bool = True
    dynamics: bool = True
    turnover: bool = True


@dataclass
class Scenario:
    """A complete scenario. Defaults are the resource-teacher network of seed 001."""

    name: str = _f("resource_teacher_network", "scenario name")
    description: str = _f("Municipal resource-teacher network (seed 001)", "one-line description")
    seed: int = _f(20261123, "base seed of the SeedSequence", 0, 2**63 - 1)
    replicates: int = _f(20, "replicates per scenario", 1, 100000)
    common_random_numbers: bool = _f(True, "replicate r of every arm uses the same random stream")
    leader_participation: float = _f(0.8, "chance a school's leader attends a given gathering "
                                     "when the owner fully backs the network (times the owner "
                                     "priority, see motivation.owner_priority_weight)",
                                     0, 1, "seed 001 §5.2 ('most often'); client condition")
    formality: float = _f(0.8, "formal frame: mandate, coordinator, agenda, anchoring", 0, 1,
                          "seed 001 §5.4, §6.4.3; client condition")
    meeting_interval_weeks: int = _f(6, "weeks between gatherings", 1, 104,
                                     "seed 001 §1.2, §4.5 (about every 6 weeks); client condition")
    trust: TrustConfig = _f(TrustConfig, "trust between members (client condition)")
    network: NetworkConfig = _f(NetworkConfig, "population and ties")
    calendar: CalendarConfig = _f(CalendarConfig, "calendar")
    gathering: GatheringConfig = _f(GatheringConfig, "gatherings")
    home: HomeConfig = _f(HomeConfig, "home transfer")
    talk: TalkConfig = _f(TalkConfig, "collegial talk")
    trial: TrialConfig = _f(TrialConfig, "trials and adaptation")
    cocreation: CoCreationConfig = _f(CoCreationConfig, "co-creation groups")
    digital: DigitalConfig = _f(DigitalConfig, "digital sharing")
    motivation: MotivationConfig = _f(MotivationConfig, "motivation")
    turnover: TurnoverConfig = _f(TurnoverConfig, "turnover and key-person loss")
    practices: PracticesConfig = _f(PracticesConfig, "practices")
    adoption: AdoptionConfig = _f(AdoptionConfig, "adoption rule")
    processes: ProcessesConfig = _f(ProcessesConfig, "process switches")
    school_change_share: float = _f(0.5, "share of a school's staff using one same practice "
                                    "at which the school counts as changed", 0, 1,
                                    "seed 001 §5.2.4 ('more collective and uniform practices'), "
                                    "§5.2.5 ('those classes get no change'); threshold a "
                                    "modelling choice", lo_open=True, plausible=(0.3, 0.7),
                                    plausible_why="modelling choice: a practice the school, "
                                    "not some classes, uses")

    @property
    def n_weeks(self) -> int:
        """The horizon in weeks (``adoption.max_weeks`` with ``adoption.until_stable``)."""
        if self.adoption.until_stable:
            return self.adoption.max_weeks
        return max(1, int(round(self.calendar.years * self.calendar.weeks_per_year)))


# --------------------------------------------------------------------------------------------
# validation


def _allowed_text(meta: Mapping[str, Any]) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    lo_op = "<" if meta.get("lo_open") else "<="
    hi_op = "<" if meta.get("hi_open") else "<="
    if lo is not None and hi is not None:
        return f"{lo} {lo_op} value {hi_op} {hi}"
    if lo is not None:
        return f"value {'>' if meta.get('lo_open') else '>='} {lo}"
    if hi is not None:
        return f"value {hi_op} {hi}"
    return "any value"


def _check_range(key: str, value: float, meta: Mapping[str, Any]) -> None:
    lo, hi = meta.get("lo"), meta.get("hi")
    bad = isinstance(value, float) and not math.isfinite(value)
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        bad = True
    if hi is not None and (value > hi or (meta.get("hi_open") and value == hi)):
        bad = True
    if bad:
        raise ConfigError(f"{key} = {value!r} is out of range; allowed: {_allowed_text(meta)}"
                          f" ({meta.get('doc', '')})")


def _type_name(tp: Any) -> str:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(m.value for m in tp)
    return getattr(tp, "__name__", str(tp))


def _coerce(key: str, value: Any, tp: Any, meta: Mapping[str, Any], strict: bool = False) -> Any:
    """Convert ``value`` to type ``tp`` or raise ConfigError naming ``key``.

    Booleans must be ``true``/``false`` and text must be text (never 2 for true, never the
    string ``'0.5'`` for a number). ``strict`` (values typed on a command line) also refuses a
    float for an integer setting (``1e1``): Hydra's own config check refuses it when the job
    is composed, after the sweep has started.
    """
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(key, value, args[0], meta, strict)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} = {value!r} is not a list; allowed: a list of "
                              f"{_type_name(item_tp)}")
        return [_coerce(f"{key}[{i}]", v, item_tp, meta, strict) for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        if dataclasses.is_dataclass(value) and isinstance(value, tp):
            value = dataclasses.asdict(value)
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key} = {value!r} is not a group of settings; allowed keys: "
                              + ", ".join(f.name for f in dataclasses.fields(tp)))
        return _build(tp, value, key, strict)
    if value is None:
        raise ConfigError(f"{key} = None is not allowed; allowed: {_type_name(tp)}, "
                          f"{_allowed_text(meta)}")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if isinstance(value, tp):
            return value
        try:
            return tp(value if not isinstance(value, enum.Enum) else value.value)
        except ValueError:
            raise ConfigError(f"{key} = {value!r} is not allowed; allowed: {_type_name(tp)}") \
                from None
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key} = {value!r} is not allowed; allowed: true or false")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
            raise ConfigError(f"{key} = {value!r} is not a whole number; allowed: integer, "
                              f"{_allowed_text(meta)}")
        if strict and isinstance(value, float):
            raise ConfigError(f"{key} = {value!r} is not a whole number written as one; allowed: "
                              f"an integer without a decimal point or exponent (e.g. "
                              f"{int(value)}), {_allowed_text(meta)}")
        value = int(value)
        _check_range(key, value, meta)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} = {value!r} is not a number; allowed: number, "
                              f"{_allowed_text(meta)}")
        value = float(value)
        _check_range(key, value, meta)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} = {value!r} is not text; allowed: a string (on the command "
                              f"line quote a number: {key}=\"'{value}'\")")
        return value
    return value


def _field_at(key: str) -> tuple[Any, Mapping[str, Any]] | None:
    """(type, metadata) of the setting at dotted ``key``, or None when it is not a setting of
    :class:`Scenario` (e.g. a ``hydra.`` key or a config group)."""
    node: Any = Scenario
    meta: Mapping[str, Any] = {}
    tp: Any = Scenario
    for part in key.split("."):
        if not (isinstance(node, type) and dataclasses.is_dataclass(node)):
            return None
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            return None
        tp, meta = _hints(node)[part], fields[part].metadata
        node = tp
    return tp, meta


def check_setting(key: str, value: Any) -> Any:
    """Check one value typed for dotted ``key`` (e.g. from the command line), strictly.

    Args:
        key: a dotted setting such as ``trust.initial``.
        value: the value as typed, before any conversion (Hydra's parse of ``key=value``).

    Returns:
        The converted value, or ``value`` unchanged when ``key`` is not a netsim setting.

    Raises:
        ConfigError: the value has the wrong type (``2`` for a boolean, the text ``'0.5'`` for a
            number, ``1e1`` for an integer) or is out of range.
    """
    found = _field_at(key)
    if found is None:
        return value
    tp, meta = found
    return _coerce(key, value, tp, meta, strict=True)


NAME_MAX = 100
_NAME_BAD = set('/\\') | {chr(c) for c in range(32)} | {chr(127)}


def _check_name(key: str, value: str) -> None:
    """A name becomes part of a folder name (``hydra.run.dir``): non-empty, at most NAME_MAX
    characters, no path separator or control character."""
    if not value.strip() or len(value) > NAME_MAX or set(value) & _NAME_BAD:
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise ConfigError(f"{key} = {shown!r} (length {len(value)}) is not allowed; allowed: 1 "
                          f"to {NAME_MAX} characters, not only spaces, without / \\ or control "
                          "characters (it names the output folder)")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _build(cls: type, data: Mapping[str, Any], prefix: str = "", strict: bool = False) -> Any:
    names = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            where = f"{prefix}.{key}" if prefix else str(key)
            raise ConfigError(f"unknown setting {where!r}; allowed keys here: "
                              + ", ".join(sorted(names)))
    hints = _hints(cls)
    kwargs = {}
    for name, fld in names.items():
        if name in data:
            where = f"{prefix}.{name}" if prefix else name
            kwargs[name] = _coerce(where, data[name], hints[name], fld.metadata, strict)
    return cls(**kwargs)


def scenario_from_dict(data: Mapping[str, Any]) -> Scenario:
    """Build and validate a :class:`Scenario` from nested plain data (YAML, OmegaConf, dict).

    Raises:
        ConfigError: naming the first invalid key, its value and what is allowed.
    """
    scenario = _build(Scenario, data)
    validate(scenario)
    return scenario


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Plain nested data (enums as their values) that round-trips via scenario_from_dict."""

    def plain(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj):
            return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, list):
            return [plain(v) for v in obj]
        return obj

    return plain(scenario)


def _validate_tree(obj: Any, prefix: str) -> None:
    hints = _hints(type(obj))
    for fld in dataclasses.fields(obj):
        key = f"{prefix}.{fld.name}" if prefix else fld.name
        value = getattr(obj, fld.name)
        _coerce(key, value, hints[fld.name], fld.metadata)


def _check_label(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{key} = {value!r} is not a node label; allowed: a node id as in "
                          "network.file (text or a whole number)")


def _check_diffusion(scenario: Scenario) -> None:
    """Relations between the textbook-diffusion settings (adoption.*, network.nodes_file).

    Settings a scenario would ignore are refused (a researcher would otherwise read a result
    of something they did not run). What needs the graph itself (seed labels inside it, the
    threshold attribute, weights) is checked when it is loaded (netsim.usergraph).
    """
    ad, net = scenario.adoption, scenario.network
    textbook_only = {"seeding": ad.seeding is not SeedRule.share,
                     "seed_nodes": bool(ad.seed_nodes), "seed_sets": bool(ad.seed_sets),
                     "seed_file": ad.seed_file is not None, "weighted": ad.weighted,
                     "threshold_attribute": ad.threshold_attribute is not None,
                     "threshold_distribution":
                         ad.threshold_distribution is not ThresholdDistribution.fixed,
                     "until_stable": ad.until_stable}
    if ad.rule is AdoptionRule.trust_weighted:
        for name, changed in textbook_only.items():
            if changed:
                raise ConfigError(f"adoption.{name} = {getattr(ad, name)!r} is ignored by "
                                  "adoption.rule = 'trust_weighted'; allowed: a textbook rule "
                                  "(independent_cascade, fractional_threshold, count_threshold, "
                                  "bass), or leave adoption." + name + " unset")
    for i, label in enumerate(ad.seed_nodes):
        _check_label(f"adoption.seed_nodes[{i}]", label)
    for i, labels in enumerate(ad.seed_sets):
        if not isinstance(labels, list):
            raise ConfigError(f"adoption.seed_sets[{i}] = {labels!r} is not a list; allowed: "
                              "one list of node labels per cascade, e.g. [[a,b],[c]]")
        for j, label in enumerate(labels):
            _check_label(f"adoption.seed_sets[{i}][{j}]", label)
    given = [n for n in ("seed_nodes", "seed_sets", "seed_file") if textbook_only[n]]
    if len(given) > 1:
        raise ConfigError(f"adoption.{given[1]} and adoption.{given[0]} are both set; allowed: "
                          "one way of naming seeds")
    if given and ad.seeding in (SeedRule.random, SeedRule.top_degree):
        raise ConfigError(f"adoption.{given[0]} names seeds but adoption.seeding = "
                          f"{ad.seeding.value!r} chooses them; allowed: seeding=nodes (or "
                          f"share) with adoption.{given[0]}, or no {given[0]}")
    if ad.seeding is SeedRule.nodes and not given:
        raise ConfigError("adoption.seeding = 'nodes' has no seeds; allowed: set "
                          "adoption.seed_nodes, adoption.seed_sets or adoption.seed_file")
    k = scenario.practices.n_practices
    if ad.seed_sets and len(ad.seed_sets) != k:
        raise ConfigError(f"adoption.seed_sets has {len(ad.seed_sets)} sets but "
                          f"practices.n_practices = {k} cascades; allowed: one set per cascade")
    if ad.seed_file is not None and not Path(ad.seed_file).is_file():
        raise ConfigError(f"adoption.seed_file = {ad.seed_file!r} cannot be read (no such "
                          "file); allowed: a file of node labels, one per line")
    threshold_rules = (AdoptionRule.fractional_threshold, AdoptionRule.count_threshold)
    for name in ("threshold_attribute", "threshold_distribution"):
        if textbook_only[name] and ad.rule not in threshold_rules:
            raise ConfigError(f"adoption.{name} = {getattr(ad, name)!r} needs a threshold "
                              f"rule, but adoption.rule = {ad.rule.value!r}; allowed: "
                              "fractional_threshold or count_threshold")
    if textbook_only["threshold_attribute"] and textbook_only["threshold_distribution"]:
        raise ConfigError(f"adoption.threshold_attribute = {ad.threshold_attribute!r} and "
                          f"adoption.threshold_distribution = "
                          f"{ad.threshold_distribution.value!r} both give thresholds; allowed: "
                          "one of them")
    if ad.threshold_attribute is not None and net.file is None:
        raise ConfigError(f"adoption.threshold_attribute = {ad.threshold_attribute!r} needs "
                          "node attributes, but network.file is not set; allowed: a GraphML "
                          "network.file or a network.nodes_file with that column")
    if (ad.threshold_distribution is ThresholdDistribution.uniform
            and ad.threshold_low > ad.threshold_high):
        raise ConfigError(f"adoption.threshold_low = {ad.threshold_low} is larger than "
                          f"adoption.threshold_high = {ad.threshold_high}; allowed: low <= high")
    if ad.until_stable:
        on = [f.name for f in dataclasses.fields(scenario.processes)
              if getattr(scenario.processes, f.name)]
        if on:
            raise ConfigError(f"adoption.until_stable = True needs every domain process off, "
                              f"but processes.{on[0]} = true; allowed: processes.*=false "
                              "(with processes running the state never stops changing)")
    if net.nodes_file is not None:
        if net.file is None:
            raise ConfigError(f"network.nodes_file = {net.nodes_file!r} needs network.file; "
                              "allowed: set network.file (the ties) as well")
        if not Path(net.nodes_file).is_file():
            raise ConfigError(f"network.nodes_file = {net.nodes_file!r} cannot be read (no "
                              "such file); allowed: a CSV of nodes with a header")


def validate(scenario: Scenario) -> Scenario:
    """Check every value and the relations between values; return the scenario unchanged.

    Raises:
        ConfigError: naming the key, the bad value and what is allowed.
    """
    _validate_tree(scenario, "")
    _check_name("name", scenario.name)
    for i, ch in enumerate(scenario.digital.channels):
        if not ch.name.strip():
            raise ConfigError(f"digital.channels[{i}].name = {ch.name!r} is empty; allowed: a "
                              "non-empty name")
    net = scenario.network
    if net.design is Design.custom_graph and net.file is None:
        raise ConfigError("network.design = 'custom_graph' needs a network file, but "
                          "network.file = None; allowed: set network.file to an edge-list CSV or "
                          "a GraphML file (any design with network.file set uses the file)")
    if net.group_size_min > net.group_size_max:
        raise ConfigError(f"network.group_size_min = {net.group_size_min} is larger than "
                          f"network.group_size_max = {net.group_size_max}; allowed: min <= max")
    if net.collegial_degree % 2:
        raise ConfigError(f"network.collegial_degree = {net.collegial_degree} is odd; allowed: "
                          "an even number (each tie counts at both ends)")
    if net.n_areas > net.n_schools:
        raise ConfigError(f"network.n_areas = {net.n_areas} exceeds network.n_schools = "
                          f"{net.n_schools}; allowed: 0 <= n_areas <= n_schools")
    cal = scenario.calendar
    weeks = cal.gathering_weeks
    if any(b <= a for a, b in itertools.pairwise(weeks)):
        raise ConfigError(f"calendar.gathering_weeks = {weeks} is not strictly increasing; "
                          "allowed: distinct weeks in rising order")
    if weeks and weeks[-1] > cal.weeks_per_year:
        raise ConfigError(f"calendar.gathering_weeks = {weeks} has week {weeks[-1]} after the "
                          f"end of the school year (calendar.weeks_per_year = "
                          f"{cal.weeks_per_year}); allowed: 1 <= week <= weeks_per_year")
    if cal.gathering_hours_list and len(cal.gathering_hours_list) != len(weeks):
        raise ConfigError(f"calendar.gathering_hours_list = {cal.gathering_hours_list} has "
                          f"{len(cal.gathering_hours_list)} entries but calendar.gathering_weeks "
                          f"has {len(weeks)}; allowed: one length per gathering week, or empty")
    has_areas = net.n_areas > 0 or net.design is Design.meeting_groups
    if cal.area_meeting_interval_weeks > 0 and not has_areas:
        raise ConfigError(f"calendar.area_meeting_interval_weeks = "
                          f"{cal.area_meeting_interval_weeks} needs areas, but network.n_areas = "
                          "0; allowed: set network.n_areas >= 1 (or use design meeting_groups), "
                          "or area_meeting_interval_weeks = 0")
    if net.gatherings_by_area and not has_areas:
        raise ConfigError("network.gatherings_by_area = true needs areas, but network.n_areas = "
                          "0; allowed: set network.n_areas >= 1 or use design meeting_groups")
    if net.design is Design.city_developer_networks and net.n_areas < 1:
        raise ConfigError("network.n_areas = 0 is not allowed with network.design = "
                          "city_developer_networks; allowed: 1 <= n_areas <= n_schools (one "
                          "developer and area network per area)")
    if net.design is Design.meeting_groups and not net.all_teachers_members:
        raise ConfigError("network.all_teachers_members = false is not allowed with "
                          "network.design = meeting_groups (every teacher belongs to a meeting "
                          "group); allowed: true")
    if net.design is Design.significant_networks and net.n_facilitators:
        raise ConfigError(f"network.n_facilitators = {net.n_facilitators} is not allowed with "
                          "network.design = significant_networks (no formal network); allowed: 0")
    if net.cross_school_informal_ties > 0 and net.n_schools < 2:
        raise ConfigError(f"network.cross_school_informal_ties = "
                          f"{net.cross_school_informal_ties} needs at least two schools, but "
                          f"network.n_schools = {net.n_schools}; allowed: 0 with one school")
    if net.file is not None and not Path(net.file).is_file():
        raise ConfigError(f"network.file = {net.file!r} cannot be read (no such file); allowed: "
                          "a path to an edge-list CSV or a GraphML file")
    if net.file is not None and Path(net.file).suffix.lower() not in (".csv", ".graphml", ".xml"):
        raise ConfigError(f"network.file = {net.file!r} has an unknown format; allowed: .csv "
                          "(edge list) or .graphml")
    for i, ch in enumerate(scenario.digital.channels):
        if ch.created_by not in ("facilitators", "members"):
            raise ConfigError(f"digital.channels[{i}].created_by = {ch.created_by!r} is not "
                              "allowed; allowed: 'facilitators' or 'members'")
    _check_diffusion(scenario)
    prac = scenario.practices
    if prac.local_schools > net.n_schools and net.file is None:
        raise ConfigError(f"practices.local_schools = {prac.local_schools} exceeds "
                          f"network.n_schools = {net.n_schools}; allowed: at most n_schools")
    return scenario


# --------------------------------------------------------------------------------------------
# presets


def configs_dir() -> Path:
    """The folder holding the YAML configs (``configs/`` in a checkout, bundled in a wheel)."""
    bundled = resources.files("netsim") / "_configs"
    if bundled.is_dir():
        return Path(str(bundled))
    here = Path(__file__).resolve().parents[2] / "configs"
    return here


def list_presets() -> list[str]:
    """Names of the scenario presets in ``configs/scenario``."""
    return sorted(p.stem for p in (configs_dir() / "scenario").glob("*.yaml"))


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _dotted_to_nested(overrides: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in overrides.items():
        parts = str(dotted).split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def check_changes_take_effect(scenario: Scenario, changed: Iterable[str]) -> None:
    """Refuse settings a user changed that this scenario would silently ignore.

    ``meeting_interval_weeks`` has no effect when the scenario gathers in fixed weeks
    (``calendar.gathering_weeks``, e.g. the meeting-groups design's study days): a sweep of
    meeting frequency on such a design would show no effect for a reason that is not the
    model's answer. (Settings that no rule reads, such as ``adoption.seed_nodes`` under the
    ``trust_weighted`` rule, are refused by :func:`validate`.)

    Args:
        scenario: the scenario as it will run.
        changed: dotted keys the user set (overrides, swept keys).

    Raises:
        ConfigError: naming the key, its value and how to make it count.
    """
    changed = set(changed)
    weeks = scenario.calendar.gathering_weeks
    if "meeting_interval_weeks" in changed and weeks:
        raise ConfigError(
            f"meeting_interval_weeks = {scenario.meeting_interval_weeks} has no effect: this "
            f"scenario gathers in the fixed weeks calendar.gathering_weeks = {list(weeks)} of "
            "each school year; set calendar.gathering_weeks=[] and "
            "calendar.gathering_hours_list=[] as well to gather every meeting_interval_weeks "
            "weeks instead")


def load_scenario(name: str = "resource_teacher_network",
                  overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load a preset from ``configs/scenario/<name>.yaml`` and apply overrides.

    Args:
        name: preset name (see :func:`list_presets`).
        overrides: settings to change, as dotted keys (``{"trust.initial": 0.5}``) or nested
            mappings (``{"trust": {"initial": 0.5}}``).

    Raises:
        ConfigError: unknown preset, or an invalid setting.

    Example:
        >>> s = load_scenario("resource_teacher_network", {"leader_participation": 1.0})
        >>> s.leader_participation
        1.0
    """
    presets = list_presets()
    if name not in presets:
        raise ConfigError(f"scenario = {name!r} is not a known preset; allowed: "
                          + ", ".join(presets))
    path = configs_dir() / "scenario" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    data = {k: v for k, v in data.items() if k != "defaults"}
    if overrides:
        data = _deep_merge(data, _dotted_to_nested(overrides))
    scenario = scenario_from_dict(data)
    if overrides:
        check_changes_take_effect(scenario, _dotted_keys(overrides))
    return scenario


def _dotted_keys(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys of a mapping given as dotted keys, nested mappings or both."""
    keys = []
    for key, value in values.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            keys += _dotted_keys(value, f"{full}.")
        else:
            keys.append(full)
    return keys

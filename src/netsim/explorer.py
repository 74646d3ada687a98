"""The interactive explorer: a Mesa SolaraViz page that draws a learning network week by week.

What it shows (issue 6):

* **The network**, drawn with a stable layout (:func:`layout`): each school is a cluster of its
  staff, schools sit on a sunflower spiral (ordered by education area when there are areas),
  the central facilitators sit in the middle. Positions are computed once per model from the
  school index and a small jitter drawn from a generator seeded by the replicate number, never
  from the run's generator (drawing must not change the simulation). No spring layout is used
  (it takes seconds on a thousand nodes, see DESIGN.md §4).
* **Roles** by marker shape: teacher (small dot), resource teacher (triangle), school leader
  (square), facilitator (star). Network members (people invited to gatherings) have a black
  outline. Every person is drawn; teachers are small so the ~90 members of the default
  network stand out among its ~1,150 people.
* **Practice stage** by colour, from :attr:`netsim.agents.Person.top_stage` (the most advanced
  stage over the practices): unaware, aware, trying, adopted, dropped.
* **Ties**: collegial ties inside schools faint grey; cross-school ties between members faint
  blue while trust is low, dark blue once trust reaches ``trust.strong`` (fainter and thinner
  when there are many, so that people stay visible).
* **Live plots** (from :meth:`LearningNetworkModel.series`): adoption among members, their
  colleagues and all staff; mean trust on the members' cross-school ties.
* **Controls**: the design preset and the four conditions the client named (leader
  participation, trust: initial, growth and decay, formality, weeks between gatherings), plus
  the replicate number. Changes apply when Reset is pressed. Step, play and reset come from
  SolaraViz.

The page wraps the simulation in :class:`ExplorerModel`, a small Mesa model whose ``sim``
attribute is the :class:`~netsim.model.LearningNetworkModel`. The wrapper exists because
SolaraViz re-creates models from keyword arguments and inspects ``model.scenario`` expecting
Mesa's own scenario class; netsim's model keeps its :class:`~netsim.config.Scenario` there.
Replicate ``r`` of the explorer is exactly replicate ``r`` of :func:`netsim.runner.run_scenario`
with the same settings (same seed sequence).

Use it in a notebook::

    from netsim.explorer import Page
    Page()                       # the last expression of a cell renders the explorer

or as a local web app: ``netsim explore`` (needs the ``explore`` extra).
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter
from scipy import sparse

from netsim.config import load_scenario
from netsim.model import LearningNetworkModel
from netsim.plots import GROUPS
from netsim.runner import seed_sequence
from netsim.state import Role, Stage, State

__all__ = [
    "ROLE_STYLE",
    "STAGE_COLOURS",
    "ExplorerModel",
    "NetworkView",
    "Page",
    "SeriesView",
    "conditions_text",
    "layout",
    "model_params",
    "network_figure",
    "series_figure",
]

STAGE_COLOURS: dict[Stage, str] = {
    Stage.UNAWARE: "#d4d4d4",
    Stage.AWARE: "#8ec3e6",
    Stage.TRYING: "#f5a142",
    Stage.ADOPTED: "#2e9e4a",
    Stage.DROPPED: "#9b6fc0",
}

# role -> (label, marker, marker area in points^2)
ROLE_STYLE: dict[Role, tuple[str, str, float]] = {
    Role.TEACHER: ("teacher", "o", 9.0),
    Role.RESOURCE_TEACHER: ("resource teacher", "^", 60.0),
    Role.LEADER: ("school leader", "s", 42.0),
    Role.FACILITATOR: ("facilitator", "*", 220.0),
}

# the same groups, labels and colours as the run figures
SERIES_LINES = tuple((column, label, colour) for column, label, colour, _ in GROUPS)

_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
_SPACING = 0.56  # sunflower constant: neighbouring points about 1 unit apart


def _sunflower(n: int, spacing: float = _SPACING, skip: int = 0) -> np.ndarray:
    """``n`` points on a Vogel spiral (evenly spread in a disc), leaving out the first ``skip``."""
    k = np.arange(skip, skip + n) + 0.5
    r = spacing * np.sqrt(k)
    theta = k * _GOLDEN_ANGLE
    return np.c_[r * np.cos(theta), r * np.sin(theta)]


def layout(state: State, seed: int = 0) -> np.ndarray:
    """Positions (n_people x 2) with schools as clusters; stable for a given state and seed.

    Rule: school staff sit on a small sunflower around their school's centre, network members
    (leader, resource teachers) nearest the centre; school centres sit on a larger sunflower
    with a hole in the middle for the facilitators, ordered by education area, then school
    index. People outside any school who are not facilitators (a loaded graph) fill a
    sunflower of their own. A jitter of sd 0.15 (in units of the distance between neighbours)
    from ``numpy.random.default_rng(seed)`` keeps the picture from looking mechanical.

    Parameters: ``state`` (roles, schools, membership, areas), ``seed`` (jitter only).
    Source: modelling choice (drawing only; no effect on the simulation).
    """
    rng = np.random.default_rng(seed)
    n = state.n_people
    pos = np.zeros((n, 2))
    school = state.school
    n_schools = state.n_schools
    in_school = school >= 0
    sizes = np.bincount(school[in_school], minlength=n_schools)
    if n_schools and sizes.max() > 0:
        school_area = np.full(n_schools, -1, dtype=np.int64)
        np.maximum.at(school_area, school[in_school], state.area[in_school])
        order = np.lexsort((np.arange(n_schools), school_area))
        radius = _SPACING * math.sqrt(sizes.max() + 0.5)
        gap = (2.0 * radius + 1.5) / (_SPACING * math.sqrt(math.pi))
        centres = np.empty((n_schools, 2))
        centres[order] = _sunflower(n_schools, _SPACING * gap, skip=2)
        # inside a school: leader, resource teachers, other members, then teachers
        rank = np.where(state.role == Role.LEADER, 0,
                        np.where(state.role == Role.RESOURCE_TEACHER, 1,
                                 np.where(state.member, 2, 3)))
        rows = np.flatnonzero(in_school)
        rows = rows[np.lexsort((rows, rank[rows], school[rows]))]
        first = np.searchsorted(school[rows], np.arange(n_schools))
        slot = np.arange(rows.size) - first[school[rows]]
        offsets = _sunflower(int(sizes.max()))
        pos[rows] = centres[school[rows]] + offsets[slot]
    facilitators = np.flatnonzero(~in_school & (state.role == Role.FACILITATOR))
    pos[facilitators] = _sunflower(facilitators.size, 2.5 * _SPACING)
    loose = np.flatnonzero(~in_school & (state.role != Role.FACILITATOR))
    if loose.size:
        pos[loose] = _sunflower(loose.size, skip=max(facilitators.size * 6, 0))
    pos += rng.normal(0.0, 0.15, pos.shape)
    return pos


class ExplorerModel(mesa.Model):
    """A Mesa model for SolaraViz that runs one :class:`LearningNetworkModel` (``self.sim``).

    Args:
        preset: scenario preset (see :func:`netsim.list_presets`).
        leader_participation: chance a school's leader attends a given gathering.
        trust_initial: trust on a new cross-school tie (``trust.initial``).
        trust_growth: share of the gap to full trust closed per shared session.
        trust_decay: share of trust lost per week without contact.
        formality: the network's formal frame (0 informal, 1 formal).
        meeting_interval_weeks: weeks between gatherings (not used by a preset that gathers in
            fixed weeks, ``calendar.gathering_weeks``).
        replicate: which replicate's random stream to use (as in ``run_scenario``).
        overrides: any other settings, as dotted keys (``{"calendar.years": 1}``).

    Raises:
        ConfigError: unknown preset or an invalid value.
    """

    def __init__(self, preset: str = "resource_teacher_network", *,
                 leader_participation: float | None = None, trust_initial: float | None = None,
                 trust_growth: float | None = None, trust_decay: float | None = None,
                 formality: float | None = None, meeting_interval_weeks: int | None = None,
                 replicate: int = 0, overrides: dict[str, Any] | None = None) -> None:
        super().__init__(rng=int(replicate))
        settings = {"leader_participation": leader_participation,
                    "trust.initial": trust_initial, "trust.growth": trust_growth,
                    "trust.decay": trust_decay, "formality": formality,
                    "meeting_interval_weeks": meeting_interval_weeks}
        if (meeting_interval_weeks is not None and "calendar.gathering_weeks" not in
                (overrides or {}) and load_scenario(preset).calendar.gathering_weeks):
            # a design with fixed study days: the interval slider does not apply (the help and
            # the conditions line under the picture say so)
            settings["meeting_interval_weeks"] = None
        chosen = {k: v for k, v in settings.items() if v is not None}
        chosen.update(overrides or {})
        scenario = load_scenario(preset, chosen)
        self.replicate = int(replicate)
        self.sim = LearningNetworkModel(
            scenario, rng=np.random.default_rng(seed_sequence(scenario, self.replicate)))
        self.positions = layout(self.sim.state, seed=self.replicate)
        self.running = True

    def step(self) -> None:
        """One school week of the simulation."""
        self.sim.step()
        self.running = bool(self.sim.running)

    def series(self) -> dict[str, np.ndarray]:
        """The simulation's weekly record so far."""
        return self.sim.series()


def _segments(pos: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([pos[a], pos[b]], axis=1)


def network_figure(model: ExplorerModel | LearningNetworkModel, positions: np.ndarray | None
                   = None, *, figsize: tuple[float, float] = (7.0, 7.6),
                   dpi: int = 100) -> Figure:
    """Draw the network as it stands now (see the module docstring for the encoding).

    Works for an :class:`ExplorerModel` or a bare :class:`LearningNetworkModel` (then
    ``positions`` defaults to :func:`layout` with seed 0).
    """
    from matplotlib.collections import LineCollection

    sim = model.sim if isinstance(model, ExplorerModel) else model
    if positions is None:
        positions = (model.positions if isinstance(model, ExplorerModel)
                     else layout(sim.state, seed=0))
    st, sc = sim.state, sim.scenario
    present = st.present
    fig = Figure(figsize=figsize, dpi=dpi)
    ax = fig.add_axes((0.0, 0.1, 1.0, 0.80))
    ax.set_aspect("equal")
    ax.axis("off")
    coll = sparse.triu(st.colleagues, k=1).tocoo()
    keep = present[coll.row] & present[coll.col]
    ax.add_collection(LineCollection(_segments(positions, coll.row[keep], coll.col[keep]),
                                     colors="#9a9a9a", linewidths=0.3, alpha=0.35, zorder=1),
                      autolim=False)
    ties = st.member_ties
    if len(ties):
        a, b, trust = ties.a, ties.b, ties.trust
        strong = trust >= sc.trust.strong
        ax.add_collection(LineCollection(_segments(positions, a[~strong], b[~strong]),
                                         colors="#4a78b5", linewidths=0.4, alpha=0.10, zorder=2),
                          autolim=False)
        # many strong ties would hide the people: fade them as they multiply
        fade = min(1.0, math.sqrt(100.0 / max(int(strong.sum()), 1)))
        ax.add_collection(LineCollection(_segments(positions, a[strong], b[strong]),
                                         colors="#16325c",
                                         linewidths=np.maximum((0.3 + 1.2 * trust[strong]) * fade,
                                                               0.3),
                                         alpha=max(0.75 * fade, 0.06), zorder=3), autolim=False)
    stages = np.array([int(p.top_stage) for p in sim.people])
    colours = np.array([STAGE_COLOURS[Stage(s)] for s in range(len(STAGE_COLOURS))])
    for z, (role, (_, marker, size)) in enumerate(ROLE_STYLE.items()):
        rows = np.flatnonzero(present & (st.role == role))
        if not rows.size:
            continue
        members = st.member[rows] | (role == Role.FACILITATOR)
        for outlined in (False, True):
            sel = rows[members == outlined]
            if sel.size:
                ax.scatter(positions[sel, 0], positions[sel, 1], s=size, marker=marker,
                           c=colours[stages[sel]], edgecolors="black" if outlined else "none",
                           linewidths=0.7 if outlined else 0.0, zorder=4 + z)
    low, high = positions.min(axis=0) - 1.0, positions.max(axis=0) + 1.0
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    week = int(round(sim.time))
    staff = st.staff
    adopted = int((st.adopted_any() & staff).sum())
    wpy = sc.calendar.weeks_per_year
    year = min(week // wpy + 1, math.ceil(sc.n_weeks / wpy))
    fig.suptitle(f"Week {week} of {sc.n_weeks} (school year {year}): {adopted} of "
                 f"{int(staff.sum())} staff have adopted a practice", fontsize=11, y=0.985)
    note = conditions_text(sim)
    if isinstance(model, ExplorerModel):
        note += f" | replicate {model.replicate}"
    fig.text(0.5, 0.95, note, ha="center", va="top", fontsize=8, color="#444444",
             linespacing=1.4)
    stage_handles = [Line2D([], [], marker="o", linestyle="", markersize=8,
                            markerfacecolor=c, markeredgecolor="none", label=s.name.lower())
                     for s, c in STAGE_COLOURS.items()]
    role_handles = [Line2D([], [], marker=m, linestyle="", markersize=math.sqrt(size) * 0.9,
                           markerfacecolor="white", markeredgecolor="black", label=label)
                    for label, m, size in ROLE_STYLE.values()]
    tie_handles = [Line2D([], [], color="#9a9a9a", lw=1, label="colleagues"),
                   Line2D([], [], color="#4a78b5", lw=1, alpha=0.4,
                          label="across schools, trust still low"),
                   Line2D([], [], color="#16325c", lw=1.8, label="across schools, strong trust")]
    fig.legend(handles=stage_handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=1,
               frameon=False, fontsize=8, title="practice stage", title_fontsize=8)
    fig.legend(handles=role_handles, loc="lower center", bbox_to_anchor=(0.45, 0.0), ncol=1,
               frameon=False, fontsize=8, title="role (outline: network member)",
               title_fontsize=8)
    fig.legend(handles=tie_handles, loc="lower right", bbox_to_anchor=(0.99, 0.02), ncol=1,
               frameon=False, fontsize=8, title="ties", title_fontsize=8)
    return fig


def conditions_text(sim: LearningNetworkModel) -> str:
    """One line naming the design and the four conditions of a run."""
    sc = sim.scenario
    t = sc.trust
    weeks = sc.calendar.gathering_weeks
    when = (f"gatherings in weeks {', '.join(map(str, weeks))} of each year" if weeks
            else f"gatherings every {sc.meeting_interval_weeks} weeks")
    if not sc.processes.gathering:
        when = "no gatherings"
    return (f"design: {sc.name} | {when} | "
            f"leaders attend {sc.leader_participation:.0%} | formality {sc.formality:.2f}\n"
            f"trust on a new tie {t.initial:.2f}, grows {t.growth:.2f} per meeting, "
            f"fades {t.decay:.3f} per week apart")


def series_figure(model: ExplorerModel | LearningNetworkModel, *,
                  figsize: tuple[float, float] = (7.0, 6.0), dpi: int = 100) -> Figure:
    """Adoption (members, colleagues, all staff) and trust between members, week by week."""
    sim = model.sim if isinstance(model, ExplorerModel) else model
    sc = sim.scenario
    series = sim.series()
    weeks = series["week"]
    fig = Figure(figsize=figsize, dpi=dpi)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    ends = []
    for column, label, colour in SERIES_LINES:
        ax1.plot(weeks, 100 * series[column], color=colour, lw=2, label=label)
        if weeks.size and np.isfinite(series[column][-1]):
            ends.append([100 * series[column][-1], colour])
    ends.sort(key=lambda e: e[0])
    for i, (value, colour) in enumerate(ends):  # end labels at least 5 points apart
        place = value if i == 0 else max(value, ends[i - 1][2] + 5.0)
        ends[i].append(place)
        ax1.annotate(f"{value:.0f} %", (weeks[-1], place), xytext=(4, 0),
                     textcoords="offset points", fontsize=8, color=colour, va="center")
    gathered = weeks[series["gatherings"] > 0]
    ax1.plot(gathered, np.full(gathered.size, 1.5), "|", color="#555555", ms=7,
             label="gathering held")
    ax1.set_ylim(0, 100)
    ax1.set_ylabel("adopted a practice (%)")
    ax1.set_title("Who has adopted a practice", fontsize=10)
    ax1.legend(loc="upper left", frameon=False, fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.plot(weeks, series["trust_members"], color="#16325c", lw=2,
             label="mean trust on members' cross-school ties")
    ax2.axhline(sc.trust.strong, color="#16325c", ls=":", lw=1,
                label=f"strong tie ({sc.trust.strong:g})")
    ax2.set_ylim(0, 1)
    ax2.set_xlim(0, sc.n_weeks)
    ax2.set_ylabel("trust (0-1)")
    ax2.set_xlabel("school week")
    ax2.set_title("Trust between members of different schools", fontsize=10)
    ax2.legend(loc="upper left", frameon=False, fontsize=8)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def model_params(preset: str = "resource_teacher_network") -> dict[str, dict[str, Any]]:
    """SolaraViz controls: the design preset, the four named conditions and the replicate.

    Slider defaults are the preset's own values; the sliders apply on top of whichever
    preset is chosen when Reset is pressed.
    """
    from netsim.config import list_presets

    base = load_scenario(preset)
    return {
        "preset": {"type": "Select", "value": preset, "values": list_presets(),
                   "label": "Network design (preset)"},
        "leader_participation": {"type": "SliderFloat", "value": base.leader_participation,
                                 "min": 0.0, "max": 1.0, "step": 0.05,
                                 "label": "Leader participation"},
        "trust_initial": {"type": "SliderFloat", "value": base.trust.initial, "min": 0.0,
                          "max": 1.0, "step": 0.05, "label": "Trust: initial"},
        "trust_growth": {"type": "SliderFloat", "value": base.trust.growth, "min": 0.0,
                         "max": 0.5, "step": 0.01, "label": "Trust: growth"},
        "trust_decay": {"type": "SliderFloat", "value": base.trust.decay, "min": 0.0,
                        "max": 0.1, "step": 0.005, "label": "Trust: decay"},
        "formality": {"type": "SliderFloat", "value": base.formality, "min": 0.0, "max": 1.0,
                      "step": 0.05, "label": "Formality"},
        "meeting_interval_weeks": {"type": "SliderInt", "value": base.meeting_interval_weeks,
                                   "min": 1, "max": 19, "step": 1,
                                   "label": "Weeks between gatherings"},
        "replicate": {"type": "SliderInt", "value": 0, "min": 0, "max": 19, "step": 1,
                      "label": "Replicate (random draw)"},
    }


_HELP = """<p><b>Step</b> runs one school week, &#9654; plays, <b>Reset</b> starts again.
Move the sliders under <i>Model Parameters</i>, then press <b>Reset</b> to build a new network
with them; the sliders apply on top of the chosen design, and the line under the picture's
title shows the settings in use (a design with fixed study days ignores the meeting
interval).</p>
<p>Each dot is a person, grouped by school; the stars in the middle are the facilitators.
Colour shows how far a person has come with the network's practices.</p>"""


_FAST_PNG = {"compress_level": 1}  # PNG encoding is a third of a frame at the default level


@solara.component
def NetworkView(model: ExplorerModel) -> None:
    """The network drawing as a solara component (redrawn after every step)."""
    update_counter.get()  # SolaraViz bumps this counter after each step
    solara.FigureMatplotlib(network_figure(model), format="png", pil_kwargs=_FAST_PNG,
                            dependencies=[model, model.sim.time])


@solara.component
def SeriesView(model: ExplorerModel) -> None:
    """The live plots as a solara component (redrawn after every step)."""
    update_counter.get()
    solara.FigureMatplotlib(series_figure(model), format="png", pil_kwargs=_FAST_PNG,
                            dependencies=[model, model.sim.time])


@solara.component
def Page(preset: str = "resource_teacher_network") -> None:
    """The explorer page: render it in a notebook cell (``Page()``) or serve it
    (``netsim explore``). Each browser session gets its own model."""
    model = solara.use_memo(lambda: ExplorerModel(preset), [preset])
    params = solara.use_memo(lambda: model_params(preset), [preset])
    with solara.Sidebar(), solara.Card("About"):
        solara.HTML(tag="div", unsafe_innerHTML=_HELP)
    SolaraViz(model, components=[(NetworkView, 0), (SeriesView, 0)], model_params=params,
              name="netsim explorer: a learning network, week by week")

"""The interactive explorer: a Mesa page (solara) that draws a learning network week by week.

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
* **Ties**: collegial ties inside schools faint grey; of the cross-school ties between members
  only the strong ones (trust at least ``trust.strong``) are drawn, darker and thicker the
  higher their trust and fading as they multiply, so that after a year the picture shows who
  trusts whom rather than a hairball; the number of weaker ties left out is printed.
* **Live plots** (from :meth:`LearningNetworkModel.series`): adoption among members, their
  colleagues and all staff, with the ends of school years marked and the dips there explained
  (staff turnover brings newcomers who start unaware); mean trust on the members'
  cross-school ties from the first week there are any (not a 0 at week 0).
* **A person's or a school's story**: click a person or a school in the picture; the panel
  below it shows the role, the stage of each practice, who they likely learned each practice
  from and their trust partners in other schools (:func:`person_story`,
  :func:`school_story`).
* **Controls**: Step, play and Reset (Mesa's ``ModelController``), the design preset and the
  four conditions the client named (leader participation, trust: initial, growth and decay,
  formality, weeks between gatherings), plus the replicate number, each slider showing its
  value. Changes apply when Reset is pressed. The page is laid out here rather than with
  Mesa's ``SolaraViz``, whose page controls (render interval, threads, page tabs) do not
  concern the network.

The page wraps the simulation in :class:`ExplorerModel`, a small Mesa model whose ``sim``
attribute is the :class:`~netsim.model.LearningNetworkModel`. The wrapper exists because
Mesa's controller re-creates models from keyword arguments and inspects ``model.scenario`` expecting
Mesa's own scenario class; netsim's model keeps its :class:`~netsim.config.Scenario` there.
Replicate ``r`` of the explorer is exactly replicate ``r`` of :func:`netsim.runner.run_scenario`
with the same settings (same seed sequence).

Use it in a notebook::

    from netsim.explorer import Page
    Page()                       # the last expression of a cell renders the explorer

or as a local web app: ``netsim explore`` (needs the ``explore`` extra).
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import mesa
import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
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
    "SettingsInputs",
    "StoryView",
    "conditions_text",
    "layout",
    "model_params",
    "network_figure",
    "pick",
    "person_story",
    "school_story",
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
    """A Mesa model for the explorer page that runs one :class:`LearningNetworkModel` (``self.sim``).

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
        # (person, practice) -> (week, likely sources, how): who a person probably learned a
        # practice from; recorded by watching the state, never touching the run's generator
        self.learned: dict[tuple[int, int], tuple[int, list[int], str]] = {}
        self.running = True

    def step(self) -> None:
        """One school week of the simulation, and who learned a practice from whom."""
        st = self.sim.state
        stage, version = st.stage.copy(), st.version.copy()
        self.sim.step()
        self.running = bool(self.sim.running)
        self._log_learning(stage, version)

    def _log_learning(self, stage: np.ndarray, version: np.ndarray) -> None:
        """Record, for every (person, practice) that left *unaware* this week, the likely
        sources: the person's colleagues and cross-school partners who already held the same
        version of the practice last week (colleagues first, at most three). Without such a
        contact the source is the network itself (a gathering, a presentation at home, a
        digital post or an expert input). Rule: an inference for display (modelling choice);
        the model does not record who told whom. A person replaced by a newcomer (the row
        becomes unaware of everything) loses their record.
        """
        st, week = self.sim.state, int(round(self.sim.time))
        unaware = int(Stage.UNAWARE)
        reset = ((stage != unaware).any(axis=1) & (st.stage == unaware).all(axis=1))
        if reset.any():
            rows = set(np.flatnonzero(reset).tolist())
            self.learned = {k: v for k, v in self.learned.items() if k[0] not in rows}
        people, practices = np.nonzero((stage == unaware) & (st.stage != unaware))
        if not people.size:
            return
        col = st.colleagues.tocsr()
        ties = st.member_ties
        gathered = float(self.sim.series()["gatherings"][-1] or 0) > 0
        for i, p in zip(people.tolist(), practices.tolist()):
            v = st.version[i, p]
            nbrs = col.indices[col.indptr[i]:col.indptr[i + 1]]
            sources = [int(j) for j in nbrs if version[j, p] == v and v >= 0]
            how = "colleague"
            if len(ties):
                partners = np.r_[ties.b[ties.a == i], ties.a[ties.b == i]]
                cross = [int(j) for j in partners if version[j, p] == v and v >= 0]
                if cross and not sources:
                    how = "partner in another school"
                sources += cross
            if not sources:
                how = ("a gathering" if gathered and st.member[i] else
                       "the network (a presentation at school, a post or an expert input)")
            self.learned[(i, p)] = (week, sources[:3], how)

    def series(self) -> dict[str, np.ndarray]:
        """The simulation's weekly record so far."""
        return self.sim.series()


def _segments(pos: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([pos[a], pos[b]], axis=1)


_AXES = (0.0, 0.2, 1.0, 0.69)  # the network's axes in the figure (left, bottom, width, height)


def _draw_selection(ax: Any, sim: LearningNetworkModel, pos: np.ndarray,
                    selected: tuple[str, int]) -> None:
    """Ring the selected person (and draw their cross-school ties) or school in red."""
    from matplotlib.collections import LineCollection

    kind, index = selected
    st = sim.state
    if kind == "person" and 0 <= index < st.n_people:
        ties = st.member_ties
        if len(ties):
            mine = (ties.a == index) | (ties.b == index)
            if mine.any():
                ax.add_collection(LineCollection(_segments(pos, ties.a[mine], ties.b[mine]),
                                                 colors="#d62728", linewidths=1.2, alpha=0.8,
                                                 zorder=9), autolim=False)
        ax.scatter([pos[index, 0]], [pos[index, 1]], s=320, facecolors="none",
                   edgecolors="#d62728", linewidths=2.2, zorder=10)
    elif kind == "school" and 0 <= index < st.n_schools:
        rows = np.flatnonzero(st.school == index)
        if rows.size:
            centre = pos[rows].mean(axis=0)
            radius = float(np.linalg.norm(pos[rows] - centre, axis=1).max()) + 0.4
            from matplotlib.patches import Circle

            ax.add_patch(Circle(tuple(centre), radius, fill=False, edgecolor="#d62728",
                                linewidth=2.2, zorder=10))


def network_figure(model: ExplorerModel | LearningNetworkModel, positions: np.ndarray | None
                   = None, *, figsize: tuple[float, float] = (6.2, 7.6),
                   dpi: int = 100, selected: tuple[str, int] | None = None) -> Figure:
    """Draw the network as it stands now (see the module docstring for the encoding).

    Works for an :class:`ExplorerModel` or a bare :class:`LearningNetworkModel` (then
    ``positions`` defaults to :func:`layout` with seed 0). ``selected`` (``("person", row)``
    or ``("school", index)``) is ringed in red, with a person's ties.
    """
    from matplotlib.collections import LineCollection

    sim = model.sim if isinstance(model, ExplorerModel) else model
    if positions is None:
        positions = (model.positions if isinstance(model, ExplorerModel)
                     else layout(sim.state, seed=0))
    st, sc = sim.state, sim.scenario
    present = st.present
    fig = Figure(figsize=figsize, dpi=dpi)
    ax = fig.add_axes(_AXES)
    ax.set_aspect("equal")
    ax.axis("off")
    coll = sparse.triu(st.colleagues, k=1).tocoo()
    keep = present[coll.row] & present[coll.col]
    ax.add_collection(LineCollection(_segments(positions, coll.row[keep], coll.col[keep]),
                                     colors="#9a9a9a", linewidths=0.3, alpha=0.35, zorder=1),
                      autolim=False)
    ties = st.member_ties
    n_weak = 0
    if len(ties):
        a, b, trust = ties.a, ties.b, ties.trust
        strong = trust >= sc.trust.strong
        n_weak = int((~strong).sum())
        # only strong ties: darker and thicker with trust, fading as they multiply so that
        # people stay visible (modelling choice for the drawing)
        fade = min(1.0, math.sqrt(60.0 / max(int(strong.sum()), 1)))
        span = max(1.0 - sc.trust.strong, 1e-9)
        level = np.clip((trust[strong] - sc.trust.strong) / span, 0.0, 1.0)
        rgba = np.zeros((int(strong.sum()), 4))
        rgba[:, :3] = (0.09, 0.2, 0.36)
        rgba[:, 3] = np.clip((0.15 + 0.6 * level) * fade, 0.04, 0.75)
        ax.add_collection(LineCollection(_segments(positions, a[strong], b[strong]),
                                         colors=rgba, linewidths=0.4 + 1.4 * level * fade,
                                         zorder=3), autolim=False)
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
    if selected is not None:
        _draw_selection(ax, sim, positions, selected)
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
    import textwrap

    width = int(16.5 * figsize[0])  # characters per line at this font size
    note = "\n".join(textwrap.fill(line, width) for line in note.split("\n"))
    fig.text(0.5, 0.955, note, ha="center", va="top", fontsize=9, color="#444444",
             linespacing=1.35)
    stage_handles = [Line2D([], [], marker="o", linestyle="", markersize=10,
                            markerfacecolor=c, markeredgecolor="none", label=s.name.lower())
                     for s, c in STAGE_COLOURS.items()]
    role_handles = [Line2D([], [], marker=m, linestyle="", markersize=max(math.sqrt(size), 5),
                           markerfacecolor="white", markeredgecolor="black", label=label)
                    for label, m, size in ROLE_STYLE.values()]
    tie_handles = [Line2D([], [], color="#9a9a9a", lw=1.2, label="colleagues"),
                   Line2D([], [], color="#16325c", lw=2.0,
                          label=f"strong trust (≥ {sc.trust.strong:g})\nacross schools")]
    font = {"fontsize": 10, "title_fontsize": 10}
    fig.legend(handles=stage_handles, loc="lower left", bbox_to_anchor=(0.0, 0.0), ncol=1,
               frameon=False, title="practice stage", handletextpad=0.2, **font)
    fig.legend(handles=role_handles, loc="lower center", bbox_to_anchor=(0.47, 0.0), ncol=1,
               frameon=False, title="role (outline: member)", handletextpad=0.3, **font)
    fig.legend(handles=tie_handles, loc="lower right", bbox_to_anchor=(1.0, 0.03), ncol=1,
               frameon=False, title="ties", **font)
    if n_weak:
        fig.text(0.99, 0.005, f"{n_weak} weaker cross-school ties not drawn", ha="right",
                 fontsize=8, color="#555555")
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
                  figsize: tuple[float, float] = (5.3, 6.6), dpi: int = 100) -> Figure:
    """Adoption (members, colleagues, all staff) and trust between members, week by week.

    Dotted lines mark the ends of school years; the first is labelled with why adoption dips
    there (staff turnover replaces part of the staff with newcomers who start unaware). Trust
    is drawn from the first week members have cross-school ties (a mean over no ties is not
    0, it is undefined).
    """
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
                     textcoords="offset points", fontsize=9, color=colour, va="center")
    gathered = weeks[series["gatherings"] > 0]
    ax1.plot(gathered, np.full(gathered.size, 1.5), "|", color="#555555", ms=8,
             label="gathering held")
    wpy = sc.calendar.weeks_per_year
    turnover = sc.turnover.annual_rate if sc.processes.turnover else 0.0
    for k, boundary in enumerate(range(wpy, sc.n_weeks, wpy)):
        for ax in (ax1, ax2):
            ax.axvline(boundary, color="#888888", ls=":", lw=1.1)
        if k == 0:
            ax1.annotate("year ends", (boundary, 99), xytext=(3, 0), textcoords="offset points",
                         fontsize=8, color="#666666", va="top")
    ax1.set_ylim(0, 100)
    ax1.set_ylabel("adopted a practice (%)")
    ax1.set_title("Who has adopted a practice", fontsize=11)
    ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=2, frameon=False,
               fontsize=9)
    ax1.grid(alpha=0.3)
    trust = np.asarray(series["trust_members"], dtype=float).copy()
    before = (np.cumsum(series["gatherings"] > 0) == 0) & (trust == 0)
    trust[before] = np.nan  # no cross-school ties yet: nothing to average
    ax2.plot(weeks, trust, color="#16325c", lw=2,
             label="mean trust on members' cross-school ties")
    ax2.axhline(sc.trust.strong, color="#16325c", ls="--", lw=1,
                label=f"strong tie ({sc.trust.strong:g})")
    if before.any() and not np.isfinite(trust).any():
        ax2.text(0.5, 0.5, "no cross-school ties yet (they form at the first gathering)",
                 transform=ax2.transAxes, ha="center", fontsize=9, color="#555555")
    ax2.set_ylim(0, 1)
    ax2.set_xlim(0, sc.n_weeks)
    ax2.set_ylabel("trust (0-1)")
    ax2.set_xlabel("school week (dotted: end of a school year)")
    ax2.set_title("Trust between members of different schools", fontsize=11)
    ax2.legend(loc="upper left", frameon=False, fontsize=9)
    ax2.grid(alpha=0.3)
    if turnover > 0 and sc.n_weeks > wpy:
        fig.text(0.01, 0.005, f"Dotted lines: ends of school years. Over each summer "
                 f"{100 * turnover:.0f} % of staff are replaced; the newcomers start unaware "
                 "of the practices, so adoption dips.", fontsize=8.5, color="#444444",
                 wrap=True)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        fig.tight_layout()
    return fig


# ------------------------------------------------------------------------- stories


def pick(model: ExplorerModel, x: float, y: float) -> tuple[str, int] | None:
    """What was clicked at data coordinates (x, y) of the network picture: the nearest person
    within 0.6 units (about half the distance between neighbours), else the school whose
    cluster contains the point, else None."""
    st = model.sim.state
    pos = model.positions
    present = np.flatnonzero(st.present)
    if not present.size:
        return None
    d = np.hypot(pos[present, 0] - x, pos[present, 1] - y)
    k = int(np.argmin(d))
    if d[k] <= 0.6:
        return ("person", int(present[k]))
    for school in range(st.n_schools):
        rows = present[st.school[present] == school]
        if rows.size:
            centre = pos[rows].mean(axis=0)
            radius = float(np.linalg.norm(pos[rows] - centre, axis=1).max()) + 0.4
            if math.hypot(x - centre[0], y - centre[1]) <= radius:
                return ("school", school)
    return None


def _who(model: ExplorerModel, row: int) -> str:
    st = model.sim.state
    role = ROLE_STYLE[Role(int(st.role[row]))][0]
    where = (f"school {int(st.school[row]) + 1}" if st.school[row] >= 0 else "central")
    return f"person {row} ({role}, {where})"


def person_story(model: ExplorerModel, row: int) -> list[str]:
    """A person's story in lines of text: role, school, membership, the stage and version of
    each practice, who they likely learned each practice from (:meth:`ExplorerModel.step`),
    and their cross-school trust partners."""
    st, sc = model.sim.state, model.sim.scenario
    role = ROLE_STYLE[Role(int(st.role[row]))][0]
    lines = [f"Person {row}: {role}"
             + (f" at school {int(st.school[row]) + 1}" if st.school[row] >= 0
                else " (works across the schools)")
             + ("; a network member (invited to gatherings)" if st.member[row] else
                "; not a network member")
             + ("" if st.present[row] else "; has left")]
    lines.append(f"Motivation {st.motivation[row]:.2f}"
                 + ("; resists new practice" if st.resistant[row] else ""))
    lines.append("Practices:")
    for p in range(st.n_practices):
        stage = Stage(int(st.stage[row, p])).name.lower()
        text = f"  practice {p + 1}: {stage}"
        if st.version[row, p] >= 0 and stage != "unaware":
            text += f" (version {int(st.version[row, p])}, quality {st.quality[row, p]:.2f})"
        got = model.learned.get((row, p))
        if got is not None:
            week, sources, how = got
            if sources:
                text += (f"; heard of it in week {week} from "
                         + ", ".join(_who(model, j) for j in sources)
                         + f" ({how} who already used that version)")
            else:
                text += f"; heard of it in week {week} through {how}"
        elif stage != "unaware":
            text += "; knew it before the explorer started watching"
        lines.append(text)
    ties = st.member_ties
    partners: list[tuple[float, int]] = []
    if len(ties):
        mine = np.flatnonzero((ties.a == row) | (ties.b == row))
        for k in mine:
            other = int(ties.b[k] if ties.a[k] == row else ties.a[k])
            partners.append((float(ties.trust[k]), other))
    partners.sort(reverse=True)
    if partners:
        strong = sum(t >= sc.trust.strong for t, _ in partners)
        lines.append(f"Trust partners in other schools: {len(partners)} ({strong} strong):")
        lines += [f"  {_who(model, j)}: trust {t:.2f}" + (" (strong)" if t >= sc.trust.strong
                                                          else "")
                  for t, j in partners[:8]]
        if len(partners) > 8:
            lines.append(f"  ... and {len(partners) - 8} more")
    else:
        lines.append("Trust partners in other schools: none yet")
    col = st.colleagues.tocsr()
    n_col = int(col.indptr[row + 1] - col.indptr[row])
    lines.append(f"Colleagues they talk to at school: {n_col}")
    return lines


def school_story(model: ExplorerModel, school: int) -> list[str]:
    """A school's story in lines of text: its staff and members, how many use each practice,
    whether the leader backs the work and attended the last gathering."""
    st, sc = model.sim.state, model.sim.scenario
    rows = np.flatnonzero((st.school == school) & st.present)
    staff = rows[st.role[rows] != int(Role.FACILITATOR)]
    members = rows[st.member[rows]]
    adopted = (st.stage[staff] == int(Stage.ADOPTED))
    share = adopted.any(axis=1).mean() if staff.size else 0.0
    lines = [f"School {school + 1}: {staff.size} staff, {members.size} network member"
             f"{'s' if members.size != 1 else ''}; {100 * share:.0f} % use a new practice"
             + (" (counts as changed)" if share >= sc.school_change_share else "")]
    leader = int(st.leader[school]) if school < st.leader.size else -1
    if leader >= 0:
        lines.append(f"Leader: person {leader}; alignment with the resource teacher "
                     f"{st.alignment[school]:.2f}; "
                     + ("attended the last gathering" if st.leader_attended[school]
                        else "did not attend the last gathering"))
    for r in members:
        if st.role[r] == int(Role.RESOURCE_TEACHER):
            lines.append(f"Resource teacher: person {int(r)} (click them for their story)")
    lines.append("Practices (staff using it / aware of it):")
    for p in range(st.n_practices):
        use = int(adopted[:, p].sum())
        aware = int((st.stage[staff, p] != int(Stage.UNAWARE)).sum())
        lines.append(f"  practice {p + 1}: {use} using, {aware} aware of it")
    return lines


def model_params(preset: str = "resource_teacher_network") -> dict[str, dict[str, Any]]:
    """The explorer's controls: the design preset, the four named conditions and the replicate.

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
Move the sliders under <i>Settings</i>, then press <b>Reset</b> to build a new network with
them; choosing a design sets the sliders to its values. The line under the picture's title
shows the settings in use (a design with fixed study days ignores the meeting interval).</p>
<p>Each dot is a person, grouped by school; the stars in the middle are the facilitators.
Colour shows how far a person has come with the network's practices. <b>Click a person or a
school</b> in the picture to read their story below it.</p>
<p>The small dips in adoption at the end of each school year (dotted lines in the plots) are
staff turnover: over the summer part of the staff leave, and the newcomers who replace them
start unaware of the network's practices.</p>"""

# Mesa's page leaves its own controls to hide; this page builds its own layout instead, so
# only the Play interval remains of Mesa's, here fixed.
_PLAY_MS = 150

_CSS = """
.netsim-story { font-size: 15px; line-height: 1.45; white-space: pre-wrap;
                font-family: inherit; margin: 0; }
.netsim-slider-value { font-variant-numeric: tabular-nums; font-weight: 600; }
"""

_FAST_PNG = {"compress_level": 1}  # PNG encoding is a third of a frame at the default level


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs=_FAST_PNG)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@solara.component
def NetworkView(model: ExplorerModel, selected: solara.Reactive | None = None) -> None:
    """The network drawing (redrawn after every step); a click selects a person or school."""
    update_counter.get()  # Mesa's controller bumps this counter after each step
    chosen = selected.value if selected is not None else None

    def draw() -> tuple[str, Any, float, float]:
        fig = network_figure(model, selected=chosen)
        src = _png(fig)  # drawing fixes the axes' aspect, so the transform below is final
        return src, fig.axes[0].transData.inverted(), fig.bbox.width, fig.bbox.height

    src, inverse, width, height = solara.use_memo(
        draw, [model, model.sim.time, chosen, update_counter.value])
    img = solara.v.Html(tag="img", attributes={
        "src": src, "alt": "the network", "class": "netsim-network",
        "style": f"width: {width:.0f}px; height: {height:.0f}px; cursor: pointer;"})

    def on_click(_widget: Any, _event: str, data: dict[str, Any]) -> None:
        if selected is None or not data:
            return
        x, y = inverse.transform((float(data.get("offsetX", 0)),
                                  height - float(data.get("offsetY", 0))))
        selected.set(pick(model, float(x), float(y)))

    solara.v.use_event(img, "click", on_click)


@solara.component
def SeriesView(model: ExplorerModel) -> None:
    """The live plots as a solara component (redrawn after every step)."""
    update_counter.get()
    solara.FigureMatplotlib(series_figure(model), format="png", pil_kwargs=_FAST_PNG,
                            dependencies=[model, model.sim.time])


@solara.component
def StoryView(model: ExplorerModel, selected: solara.Reactive) -> None:
    """The story of the clicked person or school (updated after every step)."""
    update_counter.get()
    with solara.Card("Story"):
        chosen = selected.value
        if chosen is None:
            solara.Text("Click a person or a school in the picture to see their story: "
                        "role, stage per practice, who they learned from, trust partners.")
            return
        kind, index = chosen
        st = model.sim.state
        if index >= (st.n_people if kind == "person" else st.n_schools):
            solara.Text(f"That {kind} is not in this network; click another.")
            return
        lines = (person_story(model, index) if kind == "person"
                 else school_story(model, index))
        solara.HTML(tag="pre", unsafe_innerHTML="\n".join(
            [f"<b>{_escape(lines[0])}</b>", *(_escape(x) for x in lines[1:])]),
            classes=["netsim-story"])
        solara.Button("Clear", on_click=lambda: selected.set(None), text=True)


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def _slider_text(value: float, step: float) -> str:
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:.{digits}f}"


@solara.component
def SettingsInputs(params: solara.Reactive, preset: solara.Reactive) -> None:
    """The design preset and the sliders, each with its current value in its label."""
    specs = model_params(preset.value)

    def choose_preset(name: str) -> None:
        preset.set(name)
        params.set({k: spec["value"] for k, spec in model_params(name).items()})

    solara.Select(specs["preset"]["label"], value=params.value.get("preset", preset.value),
                  values=specs["preset"]["values"], on_value=choose_preset)
    for name, spec in specs.items():
        if name == "preset":
            continue
        value = params.value.get(name, spec["value"])
        label = f"{spec['label']}: {_slider_text(value, spec['step'])}"

        def change(v: float, name: str = name) -> None:
            params.set({**params.value, name: v})

        widget = solara.SliderFloat if spec["type"] == "SliderFloat" else solara.SliderInt
        widget(label, value=value, min=spec["min"], max=spec["max"], step=spec["step"],
               on_value=change, thumb_label=False)


@solara.component
def Page(preset: str = "resource_teacher_network") -> None:
    """The explorer page: render it in a notebook cell (``Page()``) or serve it
    (``netsim explore``). Each browser session gets its own model.

    Layout: Mesa's :class:`ModelController` (Reset, play, Step) and the week counter, the
    settings with their values, and a short help in the sidebar; the network picture (click a
    person or a school), the live plots and the story of the clicked person or school in the
    main area. Mesa's page-level controls (render interval, threads, page tabs) are not used.
    """
    from mesa.visualization.solara_viz import ModelController, ShowSteps

    first = solara.use_memo(lambda: ExplorerModel(preset), [preset])
    model = solara.use_reactive(first)
    chosen_preset = solara.use_reactive(preset)
    params = solara.use_reactive({k: spec["value"] for k, spec in model_params(preset).items()})
    selected = solara.use_reactive(None)
    play = solara.use_reactive(_PLAY_MS)
    every = solara.use_reactive(1)
    threads = solara.use_reactive(False)
    solara.Style(_CSS)
    with solara.AppBar():
        solara.AppBarTitle("netsim explorer: a learning network, week by week")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(model, model_parameters=params, play_interval=play,
                            render_interval=every, use_threads=threads)
            ShowSteps(model.value)
        with solara.Card("Settings (press Reset to apply)"):
            SettingsInputs(params, chosen_preset)
        with solara.Card("About"):
            solara.HTML(tag="div", unsafe_innerHTML=_HELP)
    with solara.Column():
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            NetworkView(model.value, selected)
            SeriesView(model.value)
        StoryView(model.value, selected)

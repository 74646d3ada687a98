"""The reference model: netsim's weekly rules written the way a Mesa 3.5 user writes a model.

Agents (:mod:`.agents`) live on a :class:`mesa.discrete_space.Network` of collegial ties and
act through ``step``-like methods run with ``model.agents.shuffle_do(...)``; the calendar is
Mesa's event scheduling (``schedule_recurring``), as in netsim. Schools, co-creation groups
and channels are plain Python objects. All state is plain Python (floats, lists, dicts): no
NumPy columns. The population (schools, roles, collegial ties) is built once by netsim's own
builder (:func:`netsim.population.build_population`) and converted to agents and a networkx
graph; everything after that, including the initial state of section 5 of docs/ODD.md, is
written here. Random draws come from Mesa's ``model.random`` (a ``random.Random`` that Mesa
seeds from the generator the model is given), so the stream differs from netsim's and the two
agree in distribution only.

Synchronous rules stay synchronous: where netsim updates everyone from the state before the
update (talk, group sessions, co-creation work), agents first collect what they receive and
then apply it (``talk`` then ``absorb``), so the activation order Mesa shuffles changes nothing.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network
from mesa.time import Schedule

from netsim.config import AdoptionRule, Design, FacilitatorStyle, Scenario, validate
from netsim.population import build_population
from netsim.state import ADOPTED, AWARE, DROPPED, SWITCH_MARGIN, TRYING, Role

from .agents import CLASSES, Person, Tie, clip

__all__ = ["ReferenceModel", "SUMMARY_KEYS", "check_supported"]

#: the run summary the reference computes (same names and definitions as netsim.metrics)
SUMMARY_KEYS = (
    "adoption_members", "adoption_colleagues", "adoption_all", "practice_adoption",
    "knowledge_all", "schools_changed", "schools_reached", "school_inequality",
    "version_quality", "version_diversity", "trust_members", "strong_ties_per_member",
    "cocreation_groups_mean", "trials_total", "new_versions_total", "discontinued_total",
    "posts_total", "reads_total", "gatherings_total", "person_hours", "innovations",
    "time_to_25", "time_to_50",
)


def check_supported(sc: Scenario) -> None:
    """The reference covers the resource-teacher network of the default scenario; refuse
    settings whose rules it does not implement (see its README)."""
    unsupported = {
        "network.design": sc.network.design is not Design.resource_teacher_network,
        "network.file": sc.network.file is not None,
        "network.n_areas": sc.network.n_areas != 0,
        "network.gatherings_by_area": sc.network.gatherings_by_area,
        "network.needs_analysis": sc.network.needs_analysis,
        "calendar.gathering_weeks": bool(sc.calendar.gathering_weeks),
        "calendar.gathering_end_week": sc.calendar.gathering_end_week is not None,
        "calendar.area_meeting_interval_weeks": sc.calendar.area_meeting_interval_weeks != 0,
        "adoption.rule": sc.adoption.rule is not AdoptionRule.trust_weighted,
        "talk.new_partner_prob": sc.talk.new_partner_prob != 0,
        "turnover.key_person_loss_week": sc.turnover.key_person_loss_week is not None,
        "turnover.key_person_hazard": sc.turnover.key_person_hazard != 0,
    }
    bad = [key for key, flag in unsupported.items() if flag]
    if bad:
        raise ValueError(f"the reference model does not implement {', '.join(bad)}; allowed: "
                         "their default values")


class School:
    """A school: its staff, leader and resource teachers, and the leader's backing."""

    def __init__(self, index: int, alignment: float, scenario: Scenario) -> None:
        self.index, self.alignment, self.scenario = index, alignment, scenario
        self.staff: list[Person] = []
        self.leader: Person | None = None
        self.leader_attended = False
        k = scenario.practices.n_practices
        self.users, self.carrier, self.size = [0] * k, [False] * k, 0

    def backing(self) -> float:
        return 1.0 if self.leader_attended else self.alignment

    def mandate(self) -> float:
        return self.scenario.home.mandate_strength * self.backing()

    def census(self) -> None:
        """Users and carriers (a resource teacher using it) of each practice."""
        k = self.scenario.practices.n_practices
        self.users, self.carrier, self.size = [0] * k, [False] * k, len(self.staff)
        for p in self.staff:
            for c in range(k):
                if p.stage[c] == ADOPTED:
                    self.users[c] += 1
                    self.carrier[c] |= p.role == Role.RESOURCE_TEACHER

    def development_time(self, model: ReferenceModel) -> None:
        """The resource teacher presents the take-back practice (else the best known one) to
        every colleague, if the school gives the session to network work (7.2)."""
        sc = self.scenario
        h = sc.home
        rts = [p for p in self.staff if p.role == Role.RESOURCE_TEACHER]
        if not rts:
            return
        rt = max(rts, key=lambda p: (sum(p.knowledge), -p.row))
        k = sc.practices.n_practices
        has_something = any(s >= AWARE for s in rt.stage) and max(rt.knowledge) > 0
        backing = self.backing()
        p_time = h.dev_time_allocation * model.owner_priority * (
            h.unbacked_time_share + (1 - h.unbacked_time_share) * backing)
        if not (has_something and model.random.random() < p_time):
            return
        scores = [-1.0 if rt.stage[c] == 0 else rt.knowledge[c] + (rt.stage[c] == ADOPTED)
                  for c in range(k)]
        c = scores.index(max(scores))
        tb = rt.take_back
        if tb >= 0 and rt.stage[tb] >= AWARE and rt.stage[tb] != DROPPED:
            c = tb
        share = 1.0 if self.leader_attended else h.solo_transfer_share
        listeners = [p for p in self.staff if p is not rt]
        for p in listeners:
            p.knowledge[c] += h.presentation_knowledge * share * max(rt.knowledge[c]
                                                                     - p.knowledge[c], 0)
            open_mind = self.mandate() if p.resistant else 1.0
            gain = h.presentation_inspiration * share * (0.5 + 0.5 * backing) * open_mind
            p.inspiration[c] += gain * (1 - p.inspiration[c])
            if rt.version[c] >= 0:
                p.hear([rt.report(c)])
        model.count("sessions")
        model.count("person_hours", (len(listeners) + 1) * sc.calendar.dev_time_hours)


class CoCreationGroup:
    """A small cross-school group of members who trust each other (7.5)."""

    def __init__(self, members: list[Person]) -> None:
        self.members = members
        pairs = list(itertools.combinations(members, 2))
        self.distance = sum(a.distance(b) for a, b in pairs) / len(pairs)
        for p in members:
            p.group = self

    def work(self, model: ReferenceModel) -> None:
        """Members close part of the gap to the group's best knowledge and hear of the best
        adopted version the group reports; the ties inside the group count as used."""
        sc = model.scenario
        k = model.n_practices
        if not self.members:  # everyone left at turnover (the group still counts until regroup)
            return
        best = [max(p.knowledge[c] for p in self.members) for c in range(k)]
        for p in self.members:
            for c in range(k):
                p.knowledge[c] += sc.cocreation.knowledge_rate * max(best[c] - p.knowledge[c], 0)
        reports = []
        for c in range(k):
            holders = [p for p in self.members if p.stage[c] == ADOPTED]
            if holders:
                best_q = max(p.perceived[c] for p in holders)
                holder = [p for p in holders if p.perceived[c] >= best_q][-1]
                reports.append((c, holder.version[c], holder.quality[c], best_q))
        for p in self.members:
            if reports:
                p.hear(reports)
            for other, tie in p.partners.items():
                if other.group is self:
                    tie.last_contact = model.week
        model.count("person_hours", len(self.members) * sc.cocreation.hours_per_week)


class Channel:
    """A digital channel; a document store keeps its posts."""

    def __init__(self, formality: float, created_by: str, read_prob: float,
                 stores: bool) -> None:
        self.formality, self.created_by, self.read_prob, self.stores = (
            formality, created_by, read_prob, stores)
        self.posts: list[tuple[int, int, float, float]] = []


class ReferenceModel(mesa.Model):
    """netsim's default rules, agent by agent (see the module docstring and README.md)."""

    def __init__(self, scenario: Scenario | None = None, *,
                 rng: np.random.Generator | None = None) -> None:
        sc = validate(scenario if scenario is not None else Scenario())
        check_supported(sc)
        super().__init__(rng=rng)
        self._netsim_scenario = sc
        self.n_practices = sc.practices.n_practices
        self.week = 0
        m = sc.motivation
        self.owner_priority = 1.0 - m.owner_priority_weight * (1.0 - m.owner_commitment)
        g = sc.gathering
        self.openness = (1.0 - g.formality_openness_cost * sc.formality) * (
            1.0 - g.directive_openness_cost if g.facilitator_style is FacilitatorStyle.directive
            else 1.0)
        self.counters: dict[str, float] = defaultdict(float)
        self.ties: dict[tuple[int, int], Tie] = {}
        self.groups: list[CoCreationGroup] = []
        self.group_shares: list = []
        self.new_trials: list[tuple[Person, int]] = []
        self.versions: list[tuple[int, float, int, bool]] = []  # (practice, quality, parent, co)
        self.codified: dict[int, int] = {}
        self.base_groups_made = False
        self.adoption_all: list[float] = []
        self.groups_per_week: list[int] = []
        self._build(sc)
        self._initial_state(sc)
        self.channels = [Channel(sc.formality if c.created_by == "facilitators"
                                 else sc.digital.member_channel_formality,
                                 c.created_by, c.read_prob, c.stores)
                         for c in sc.digital.channels]
        self.adoption_all.append(self.share_adopted(self.staff()))
        self._schedule(sc)

    # Mesa 3.5's Model.scenario setter stores the model on the scenario object; the docking
    # runs share one netsim Scenario over hundreds of models, so the reference keeps its own
    @property
    def scenario(self) -> Scenario:
        return self._netsim_scenario

    @scenario.setter
    def scenario(self, value: object) -> None:
        pass  # Mesa's own default scenario is not used

    # ---------------------------------------------------------------- set-up
    def _build(self, sc: Scenario) -> None:
        """People and collegial ties from netsim's population builder, as agents on a network."""
        pop = build_population(sc, self.rng)
        self.schools = [School(s, sc.home.initial_alignment, sc) for s in range(pop.n_schools)]
        col = pop.colleagues.tocoo()
        graph = nx.Graph()
        graph.add_nodes_from(range(pop.n_people))
        graph.add_weighted_edges_from(
            ((int(i), int(j), float(w)) for i, j, w in zip(col.row, col.col, col.data,
                                                            strict=True) if i < j),
            weight="trust")
        self.grid = Network(graph, layout=None, random=self.random)
        self.people: list[Person] = []
        for row in range(pop.n_people):
            s = int(pop.school[row])
            person = CLASSES[Role(int(pop.role[row]))](
                self, row, self.schools[s] if s >= 0 else None, bool(pop.member[row]),
                float(pop.trait[row]), int(pop.form[row]))
            person.cell = self.grid[row]
            self.people.append(person)
            if s >= 0:
                self.schools[s].staff.append(person)
                if person.role == Role.LEADER:
                    self.schools[s].leader = person
        for i, j, t in zip(*pop.member_ties, strict=True):
            self.tie(self.people[int(i)], self.people[int(j)]).trust = float(t)

    def _initial_state(self, sc: Scenario) -> None:
        """Practices, research claims, codified versions, facilitators' expert knowledge and
        the local practices already in use at a few schools (ODD section 5)."""
        pr, r, k = sc.practices, self.random, self.n_practices
        self.effectiveness = [clip(r.gauss(pr.effectiveness_mean, pr.effectiveness_sd),
                                   0.05, 0.95) for _ in range(k)]
        self.difficulty = [clip(r.gauss(pr.difficulty_mean, pr.difficulty_sd), 0.0, 0.95)
                           for _ in range(k)]
        local = set(r.sample(range(k), int(round(pr.local_share * k))))
        self.expert_known = [c not in local for c in range(k)]
        for c in range(k):
            self.versions.append((c, self.effectiveness[c], -1, False))
        self.claimed = [clip(e + sc.trial.perception_sd * r.gauss(0, 1), 0.01, 0.99)
                        for e in self.effectiveness]
        self.conformity = pr.conformity * sc.formality
        self.codified = {c: c for c in range(k) if self.expert_known[c]}
        for p in self.people:
            if p.role == Role.FACILITATOR:
                for c in range(k):
                    if self.expert_known[c]:
                        self._know_reference(p, c)
        for c in sorted(local):
            form = r.choice(self.schools).staff[0].form
            pool = [s for s in self.schools if s.staff and s.staff[0].form == form]
            q = clip(self.effectiveness[c] + r.gauss(0, 0.05), 0.05, 0.95)
            vid = self.new_version(c, q, c, False, initial=True)
            for school in r.sample(pool, min(pr.local_schools, len(pool))):
                for p in school.staff:
                    if p.role != Role.TEACHER or r.random() < 0.2:
                        p.knowledge[c], p.know_how[c], p.stage[c] = 0.8, 0.6, ADOPTED
                        p.version[c], p.quality[c] = vid, q
                        p.perceived[c] = q + sc.trial.perception_sd * r.gauss(0, 1)

    def _know_reference(self, p: Person, c: int) -> None:
        p.knowledge[c], p.stage[c], p.version[c] = 1.0, AWARE, c
        p.quality[c], p.perceived[c] = self.effectiveness[c], self.claimed[c]

    def _schedule(self, sc: Scenario) -> None:
        cal, proc, n = sc.calendar, sc.processes, sc.n_weeks
        if proc.gathering and cal.gathering_start_week <= n:
            self.schedule_recurring(self.gathering, Schedule(
                interval=sc.meeting_interval_weeks, start=cal.gathering_start_week - 0.5,
                end=n - 0.5))
        if proc.cocreation:
            self.schedule_recurring(self.form_groups, Schedule(interval=4, start=3.6))
        if proc.home_transfer:
            self.schedule_recurring(self.development_time, Schedule(
                interval=cal.dev_time_interval_weeks, start=0.75))
        if proc.turnover and sc.turnover.annual_rate > 0 and n > cal.weeks_per_year:
            self.schedule_recurring(self.turnover, Schedule(
                interval=cal.weeks_per_year, start=cal.weeks_per_year + 0.9))

    # ---------------------------------------------------------------- helpers
    def count(self, name: str, value: float = 1.0) -> None:
        self.counters[name] += value

    def bonus(self, version: int) -> float:
        """Conformity bonus of the network's codified versions (7.10)."""
        return self.conformity if version in self._codified_set else 0.0

    @property
    def codified(self) -> dict[int, int]:
        return self._codified

    @codified.setter
    def codified(self, value: dict[int, int]) -> None:
        self._codified, self._codified_set = value, set(value.values())

    def new_version(self, practice: int, quality: float, parent: int, cocreated: bool,
                    initial: bool = False) -> int:
        self.versions.append((practice, quality, -1 if initial else parent, cocreated))
        if not initial:
            self.count("new_versions")
        return len(self.versions) - 1

    def tie(self, a: Person, b: Person) -> Tie:
        """The cross-school tie of ``a`` and ``b``, created (trust ``trust.initial``) if new."""
        tie = a.partners.get(b)
        if tie is None:
            tie = Tie(a, b, self.scenario.trust.initial, self.week)
            a.partners[b] = b.partners[a] = tie
            self.ties[(min(a.row, b.row), max(a.row, b.row))] = tie
        return tie

    def staff(self) -> list[Person]:
        return [p for p in self.people if p.school is not None]

    @staticmethod
    def share_adopted(people: list[Person]) -> float:
        return sum(ADOPTED in p.stage for p in people) / len(people) if people else math.nan

    # ---------------------------------------------------------------- gathering (7.1)
    def gathering(self) -> None:
        self.week = week = math.ceil(self.time)
        sc = self.scenario
        g = sc.gathering
        invited = [p for p in self.people if p.member]
        if not invited:
            return
        self.count("gatherings")
        attend = [p for p in invited if self.random.random() < p.attend_prob()]
        fac = [p for p in attend if p.role == Role.FACILITATOR]
        audience = [p for p in attend if p.role != Role.FACILITATOR]
        hours = sc.calendar.gathering_hours
        self.count("person_hours", (len(attend) + len(fac)) * hours)
        for school in self.schools:
            if school.leader is not None and school.leader.member:
                school.leader_attended = school.leader in attend
        if not audience:
            return
        moderated = bool(fac)
        # peer stories: the best reported adopted versions, one per presenter
        entries = [(-p.perceived[c], self.random.random(), p.row, p, c)
                   for p in audience for c in range(self.n_practices) if p.stage[c] == ADOPTED]
        stories, presenters = [], set()
        for *_, p, c in sorted(entries, key=lambda e: e[:2]):
            if p not in presenters and len(stories) < g.stories:
                presenters.add(p)
                stories.append((p, c))
        for p, c in stories:
            self._broadcast(audience, c, g.story_knowledge, g.story_inspiration)
            report = p.report(c)
            for x in audience:
                x.hear([report])
            p.motivation = min(1.0, p.motivation + sc.motivation.success_gain)
        # first group task in the base groups (composed once, at the first gathering)
        if not self.base_groups_made:
            pool = [p for p in self.people if p.member and p.role != Role.FACILITATOR]
            self.random.shuffle(pool)
            for i, p in enumerate(pool):
                p.base_group = i // g.group_size
            self.base_groups_made = True
        base = defaultdict(list)
        for p in audience:
            if p.base_group >= 0:
                base[p.base_group].append(p)
        for members in base.values():
            self.group_session(members, moderated)
        # expert input: the expert-known practice least known to the attendees
        if fac and g.expert_inputs > 0 and any(self.expert_known):
            known = [c for c in range(self.n_practices) if self.expert_known[c]]
            mean_k = {c: sum(x.knowledge[c] for x in audience) / len(audience) for c in known}
            known.sort(key=lambda c: (mean_k[c], self.random.random()))
            for c in known[:g.expert_inputs]:
                self._broadcast(audience, c, g.lecture_knowledge, g.lecture_inspiration)
                for x in audience:
                    x.hear([(c, c, self.effectiveness[c], self.claimed[c])])
        # second group task in freshly mixed groups
        mixed = audience[:]
        self.random.shuffle(mixed)
        for i in range(0, len(mixed), g.group_size):
            self.group_session(sorted(mixed[i:i + g.group_size], key=lambda p: p.row), moderated)
        # same-school reflection where the leader and the resource teacher both came
        for school in self.schools:
            rts = [p for p in audience if p.school is school and p.role == Role.RESOURCE_TEACHER]
            lead = school.leader
            if rts and lead is not None and lead in audience:
                school.alignment += g.reflection_alignment * (1 - school.alignment)
                for c in range(self.n_practices):
                    best = max(p.knowledge[c] for p in rts)
                    lead.knowledge[c] += 0.5 * max(best - lead.knowledge[c], 0)
        # what will you take back? Story presenters become follow-up contacts
        for x in audience:
            x.choose_take_back()
        for p, c in stories:
            for x in audience:
                if x.take_back == c and x.school is not p.school:
                    tie = self.tie(x, p)
                    tie.trust += sc.trust.growth * (1 - tie.trust)
                    tie.last_contact = week
        if fac:
            self._codify(audience)
        if sc.processes.cocreation:
            self.form_groups()

    @staticmethod
    def _broadcast(people: list[Person], c: int, knowledge: float, inspiration: float) -> None:
        for x in people:
            x.knowledge[c] += knowledge * (1 - x.knowledge[c])
            x.inspiration[c] += inspiration * (1 - x.inspiration[c])

    def group_session(self, people: list[Person], moderated: bool) -> None:
        """One small-group task: exchange gated by trust, understanding and openness, versions
        passed on, then trust grows between people of different schools."""
        sc = self.scenario
        g = sc.gathering
        size = len(people)
        if size < 2:
            return
        reach = g.understanding_range * (1 + (g.moderation if moderated and g.facilitator_style
                                              is FacilitatorStyle.participatory else 0.0))
        pairs = []
        for i, j in itertools.combinations(people, 2):  # people in row order
            tie = self.tie(i, j) if i.school is not j.school else None
            trust = tie.trust if tie is not None else sc.network.colleague_trust
            u = max(0.0, 1.0 - i.distance(j) / reach)
            pairs.append((i, j, tie, trust, u))
        k = self.n_practices
        delta = {p: [0.0] * k for p in people}
        for i, j, _, trust, u in pairs:
            rate = g.group_exchange * trust * u * self.openness / (size - 1)
            for c in range(k):
                gap = j.knowledge[c] - i.knowledge[c]
                if gap > 0:
                    delta[i][c] += rate * gap
                elif gap < 0:
                    delta[j][c] -= rate * gap
        for p in people:
            for c in range(k):
                gain = min(delta[p][c], 1 - p.knowledge[c])
                p.knowledge[c] += gain
                self.count("exchange", gain)
        # adopted versions pass with chance trust x understanding, first from the later to the
        # earlier person of each pair, then back; a listener gains the inspiration once per
        # partner who passes the practice
        for forward in (False, True):
            reports: dict[Person, list] = defaultdict(list)
            for i, j, _, trust, u in pairs:
                src, dst = (i, j) if forward else (j, i)
                if self.random.random() < trust * u:
                    for c in range(k):
                        if src.stage[c] == ADOPTED:
                            reports[dst].append(src.report(c))
                            gain = 0.5 * g.story_inspiration * trust
                            dst.inspiration[c] += gain * (1 - dst.inspiration[c])
            for dst, items in reports.items():
                dst.hear(items)
        for *_, tie, _, _ in pairs:
            if tie is not None:
                tie.trust += sc.trust.growth * (1 - tie.trust)
                tie.last_contact = self.week

    def _codify(self, audience: list[Person]) -> None:
        """Each practice's version most used by attending adopters (ties: the higher reported
        quality) becomes the network's codified version."""
        use: dict[tuple[int, int], list[float]] = {}
        for x in audience:
            for c in range(self.n_practices):
                if x.stage[c] == ADOPTED:
                    entry = use.setdefault((c, x.version[c]), [0, -math.inf])
                    entry[0] += 1
                    entry[1] = max(entry[1], x.perceived[c])
        chosen = dict(self.codified)
        best: dict[int, tuple] = {}
        for (c, v), (n, q) in use.items():
            if c not in best or (n, q) > best[c]:
                best[c] = (n, q)
                chosen[c] = v
        self.codified = chosen

    # ---------------------------------------------------------------- co-creation (7.5)
    def form_groups(self) -> None:
        """Groups from chains of strong ties (both partners active in a common practice, the
        tie among the two most trusted of both ends), cut into chunks of max_group_size."""
        self.week = math.ceil(self.time)
        cfg = self.scenario.cocreation
        for p in self.people:
            p.group = None
        self.groups = []
        k = self.n_practices

        def active(p: Person) -> set[int]:
            return {c for c in range(k) if p.stage[c] in (TRYING, ADOPTED)}

        strong = [t for t in self.ties.values()
                  if t.trust >= cfg.threshold and active(t.a) & active(t.b)]
        rank = self._ranks(strong)
        chosen = [t for t in strong if max(rank[(t, t.a)], rank[(t, t.b)]) < 2]
        graph = nx.Graph()
        graph.add_edges_from((t.a, t.b) for t in chosen)
        components = sorted((sorted(c, key=lambda p: p.row) for c in
                             nx.connected_components(graph)), key=lambda c: c[0].row)
        for comp in components:
            for start in range(0, len(comp), cfg.max_group_size):
                chunk = comp[start:start + cfg.max_group_size]
                if len(chunk) >= 2:
                    self.groups.append(CoCreationGroup(chunk))

    @staticmethod
    def _ranks(ties: list[Tie]) -> dict[tuple[Tie, Person], int]:
        """Rank of each tie among the given ties of each of its ends, by trust (0 = most;
        equal trust, which ties of one base group often share: the partner of lower row
        first, as netsim's order of ties)."""
        at: dict[Person, list[tuple[float, int, Tie]]] = defaultdict(list)
        for t in ties:
            at[t.a].append((-t.trust, t.b.row, t))
            at[t.b].append((-t.trust, t.a.row, t))
        rank = {}
        for person, own in at.items():
            for r, (*_, t) in enumerate(sorted(own, key=lambda e: e[:2])):
                rank[(t, person)] = r
        return rank

    # ---------------------------------------------------------------- calendar events
    def development_time(self) -> None:
        self.week = math.ceil(self.time)
        for school in self.schools:
            school.development_time(self)

    def turnover(self) -> None:
        """Each staff member leaves with chance annual_rate; a newcomer takes the post (same
        school, role, cell and base-group seat; no knowledge and no cross-school ties)."""
        for old in list(self.staff()):
            if self.random.random() >= self.scenario.turnover.annual_rate:
                continue
            school = old.school
            for other in list(old.partners):
                del old.partners[other], other.partners[old]
                del self.ties[(min(old.row, other.row), max(old.row, other.row))]
            if old.group is not None:  # the group goes on without them
                old.group.members.remove(old)
            new = type(old)(self, old.row, school, old.member, self.random.random(), old.form)
            new.base_group = old.base_group
            cell = old.cell
            old.remove()
            new.cell = cell
            self.people[old.row] = new
            school.staff[school.staff.index(old)] = new
            if old.role == Role.LEADER:
                school.leader = new
                school.alignment = 0.0

    # ---------------------------------------------------------------- the week
    def step(self) -> None:
        self.week = week = round(self.time)
        sc = self.scenario
        proc = sc.processes
        staff = self.agents.select(lambda p: p.school is not None)
        if proc.cocreation:
            for group in self.groups:
                group.work(self)
        if proc.collegial_talk:
            self.agents.shuffle_do("talk")
            self.agents.do("absorb")
        if proc.digital:
            self.digital()
        if proc.trial:
            staff.shuffle_do("conclude_trials")
            self._deliver_group_shares()
            for school in self.schools:
                school.census()
            staff.shuffle_do("maybe_discontinue")
            staff.shuffle_do("maybe_start_trials")
            self._support_new_trials()
            self.agents.do("decay_inspiration")
        if proc.dynamics:
            self.dynamics(week)
        self.adoption_all.append(self.share_adopted(self.staff()))
        self.groups_per_week.append(len(self.groups))
        if week >= sc.n_weeks:
            self.running = False

    def _deliver_group_shares(self) -> None:
        inbox: dict[Person, list] = defaultdict(list)
        for group, report in self.group_shares:
            for p in group.members:
                inbox[p].append(report)
        for p, reports in inbox.items():
            p.hear(reports)
        self.group_shares = []

    def _support_new_trials(self) -> None:
        """Facilitators guide up to guidance_schools_per_facilitator schools with new trials
        each; members of co-creation groups get 0.2 extra support."""
        cfg = self.scenario.trial
        n_fac = sum(p.role == Role.FACILITATOR for p in self.people)
        schools = sorted({p.school.index for p, _ in self.new_trials})
        guided = set(self.random.sample(schools, min(len(schools),
                                                     n_fac * cfg.guidance_schools_per_facilitator)))
        for p, c in self.new_trials:
            support = cfg.guidance_support * (p.school.index in guided) + 0.2 * (p.group
                                                                                 is not None)
            p.trial_support[c] = min(support, 1.0)
        self.count("trials_started", len(self.new_trials))
        self.new_trials = []

    def digital(self) -> None:
        """Members post what they try or use in each channel and read one post (7.6)."""
        cfg = self.scenario.digital
        k = self.n_practices
        members = [p for p in self.people if p.member and p.role != Role.FACILITATOR]
        active = {p: [c for c in range(k) if p.stage[c] in (TRYING, ADOPTED)] for p in members}
        trust = {p: (sum(t.trust for t in p.partners.values()) / len(p.partners)
                     if p.partners else self.scenario.trust.initial) for p in members}
        has_fac = any(p.role == Role.FACILITATOR for p in self.people)
        expert = [c for c in range(k) if self.expert_known[c]]
        for ch in self.channels:
            p_post = cfg.post_prob * (1 - cfg.formality_post_penalty * ch.formality)
            new = []
            for p in members:
                if self.random.random() < p_post * (0.5 + 0.5 * trust[p]) and active[p]:
                    c = max(active[p], key=lambda c: p.perceived[c])
                    new.append(p.report(c))
            self.count("posts", len(new))
            if ch.created_by == "facilitators" and has_fac and expert:
                c = self.random.choice(expert)
                new.append((c, c, self.effectiveness[c], self.claimed[c]))
            if ch.stores:
                ch.posts.extend(new)
                new = ch.posts
            if not new:
                continue
            for p in members:
                if self.random.random() < ch.read_prob:
                    post = self.random.choice(new)
                    c = post[0]
                    p.knowledge[c] += cfg.read_knowledge * (1 - p.knowledge[c])
                    p.hear([post])
                    self.count("reads")

    def dynamics(self, week: int) -> None:
        """Idle ties decay, each person keeps at most max_strong_ties strong ties, motivation
        relaxes, alignment decays where the leader stayed away (7.7)."""
        tr = self.scenario.trust
        for tie in self.ties.values():
            if tie.last_contact < week:
                tie.trust *= 1 - tr.decay
        strong = [t for t in self.ties.values() if t.trust >= tr.strong]
        rank = self._ranks(strong)
        for t in strong:
            if max(rank[(t, t.a)], rank[(t, t.b)]) >= tr.max_strong_ties:
                t.trust = math.nextafter(tr.strong, 0.0)
        self.agents.do("relax")
        for school in self.schools:
            if not school.leader_attended:
                school.alignment *= 1 - self.scenario.home.alignment_decay

    # ---------------------------------------------------------------- results
    def run(self) -> None:
        self.run_for(self.scenario.n_weeks)

    def summary(self) -> dict[str, float]:
        """The run summary, with netsim.metrics' definitions (see SUMMARY_KEYS)."""
        sc = self.scenario
        k = self.n_practices
        staff = self.staff()
        members = [p for p in staff if p.member]
        colleagues = [p for p in staff if not p.member]
        out = {"adoption_members": self.share_adopted(members),
               "adoption_colleagues": self.share_adopted(colleagues),
               "adoption_all": self.share_adopted(staff)}
        adopted = [(p, c) for p in staff for c in range(k) if p.stage[c] == ADOPTED]
        out["practice_adoption"] = len(adopted) / (len(staff) * k)
        out["knowledge_all"] = sum(sum(p.knowledge) / k for p in staff) / len(staff)
        changed = reached = 0
        shares = []
        for school in self.schools:
            school.census()
            if not school.staff:
                continue
            changed += max(school.users) / school.size >= sc.school_change_share
            reached += any(ADOPTED in p.stage for p in school.staff if not p.member)
            shares.append(sum(ADOPTED in p.stage for p in school.staff) / school.size)
        n_schools = len(shares)
        out["schools_changed"] = changed / n_schools
        out["schools_reached"] = reached / n_schools
        out["school_inequality"] = gini(shares)
        out["version_quality"] = (sum(p.quality[c] for p, c in adopted) / len(adopted)
                                  if adopted else math.nan)
        out["version_diversity"] = (len({p.version[c] for p, c in adopted})
                                    / len({c for _, c in adopted}) if adopted else 0.0)
        ties = list(self.ties.values())
        out["trust_members"] = sum(t.trust for t in ties) / len(ties) if ties else 0.0
        with_ties = sum(bool(p.partners) for p in self.people)
        out["strong_ties_per_member"] = (2 * sum(t.trust >= sc.trust.strong for t in ties)
                                         / with_ties if ties else 0.0)
        out["cocreation_groups_mean"] = (sum(self.groups_per_week) / len(self.groups_per_week)
                                         if self.groups_per_week else 0.0)
        c = self.counters
        out["trials_total"] = c["trials_started"]
        out["new_versions_total"] = c["new_versions"]
        out["discontinued_total"] = c["discontinued"]
        out["posts_total"] = c["posts"]
        out["reads_total"] = c["reads"]
        out["gatherings_total"] = c["gatherings"]
        out["person_hours"] = c["person_hours"]
        out["innovations"] = float(self.innovations(adopted))
        for share, key in ((0.25, "time_to_25"), (0.5, "time_to_50")):
            hit = [w for w, a in enumerate(self.adoption_all) if a >= share]
            out[key] = float(hit[0]) if hit else math.nan
        return out

    def innovations(self, adopted: list[tuple[Person, int]]) -> int:
        """Versions made in the run, clearly better than their parent, in use at 2+ schools."""
        schools: dict[int, set[int]] = defaultdict(set)
        for p, c in adopted:
            schools[p.version[c]].add(p.school.index)
        count = 0
        for v, where in schools.items():
            _, q, parent, _ = self.versions[v]
            if (parent >= 0 and len(where) >= 2
                    and q > self.versions[parent][1] + SWITCH_MARGIN):
                count += 1
        return count


def gini(values: list[float]) -> float:
    """Gini coefficient of non-negative values (0 for all equal or all zero)."""
    v = sorted(values)
    n, total = len(v), sum(v)
    if n == 0 or total == 0:
        return 0.0
    cum = list(itertools.accumulate(v))
    return (n + 1 - 2 * (sum(cum) / cum[-1])) / n

"""The people of the reference model: one Mesa agent per person, plain Python attributes.

Every person sits in a cell of the model's collegial network (``mesa.discrete_space.Network``)
and acts on its own neighbours. Per-practice state is a plain list (one entry per practice);
cross-school ties are :class:`Tie` objects held by both ends in a ``partners`` dict. Rules and
their sources are those of netsim's mechanisms (``src/netsim/mechanisms/``, docs/ODD.md
section 7); each method names the netsim function it re-implements.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

from netsim.state import ADOPTED, AWARE, DROPPED, SWITCH_MARGIN, TRYING, UNAWARE, Role

if TYPE_CHECKING:
    from .model import CoCreationGroup, ReferenceModel, School

MAX_FORMS = 4  # school forms preschool .. upper secondary (netsim.mechanisms.distance)


def clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


class Tie:
    """A cross-school tie between two people (trust in [0, 1], week of last contact)."""

    __slots__ = ("a", "b", "trust", "last_contact")

    def __init__(self, a: Person, b: Person, trust: float, week: int) -> None:
        self.a, self.b, self.trust, self.last_contact = a, b, trust, week


class Person(CellAgent):
    """Someone at a school (or a facilitator): knowledge, stages and versions per practice."""

    role = Role.TEACHER

    def __init__(self, model: ReferenceModel, row: int, school: School | None, member: bool,
                 trait: float, form: int) -> None:
        super().__init__(model)
        k = model.n_practices
        self.row, self.school, self.member, self.trait, self.form = row, school, member, trait, form
        self.knowledge = [0.0] * k
        self.know_how = [0.0] * k
        self.inspiration = [0.0] * k
        self.stage = [UNAWARE] * k
        self.version = [-1] * k
        self.quality = [0.0] * k      # true quality of the held version (trials use it)
        self.perceived = [0.0] * k    # what the person believes it is (decisions use it)
        self.trial_support = [0.0] * k
        self.partners: dict[Person, Tie] = {}
        self.take_back = -1
        self.group: CoCreationGroup | None = None
        self.base_group = -1
        self.concluded: set[int] = set()
        self._clear_pending()
        mot = model.scenario.motivation
        mean = mot.initial if member else mot.staff_initial
        self.intrinsic = clip(mean + self.random.gauss(0.0, 0.1))
        self.motivation = self.intrinsic
        self.resistant = (self.role == Role.TEACHER
                          and self.random.random() < model.scenario.home.resistant_share)

    # ------------------------------------------------------------ hearing of versions (7.10)
    def hear(self, reports: list[tuple[int, int, float, float]]) -> None:
        """Reports ``(practice, version, true quality, reported quality)`` reach this person:
        the unaware take the version; others not trying switch when it is judged (report plus
        the codified version's conformity bonus) better than their own by ``SWITCH_MARGIN``;
        of several, the best judged wins (``State.learn_versions``)."""
        best: dict[int, tuple[float, int, float, float]] = {}
        for k, v, q, p in reports:
            judged = p + self.model.bonus(v)
            st = self.stage[k]
            if st == UNAWARE or (st != TRYING and judged > self.perceived[k] + SWITCH_MARGIN):
                if k not in best or judged >= best[k][0]:
                    best[k] = (judged, v, q, p)
        for k, (_, v, q, p) in best.items():
            self.version[k], self.quality[k], self.perceived[k] = v, q, p
            if self.stage[k] in (UNAWARE, DROPPED):
                self.stage[k] = AWARE

    def report(self, k: int) -> tuple[int, int, float, float]:
        return k, self.version[k], self.quality[k], self.perceived[k]

    # ------------------------------------------------------------ distance (7.11)
    def background_distance(self, other: Person) -> float:
        return 0.5 * (abs(self.form - other.form) / (MAX_FORMS - 1)
                      + abs(self.trait - other.trait))

    def distance(self, other: Person) -> float:
        """Portfolio distance: background and what they know and do (``pair_distance``)."""
        w = self.model.scenario.network.background_weight
        k = self.model.n_practices
        gap = sum(abs(self.knowledge[c] + self.know_how[c] - other.knowledge[c]
                      - other.know_how[c]) for c in range(k)) / k * 0.5
        return w * self.background_distance(other) + (1 - w) * gap

    # ------------------------------------------------------------ gatherings (7.1)
    def attend_prob(self) -> float:
        sc = self.model.scenario
        g = sc.gathering
        base = clip(g.attendance_base + g.attendance_formality_gain * (sc.formality - 0.5))
        return base * (0.5 + 0.5 * self.motivation)

    def choose_take_back(self) -> None:
        """The practice known of (not dropped) with most inspiration x knowledge, or none."""
        best, best_score = -1, -math.inf
        for c in range(self.model.n_practices):
            ok = self.stage[c] >= AWARE and self.stage[c] != DROPPED
            score = self.inspiration[c] * self.knowledge[c] if ok else -1.0
            noisy = score + 1e-9 * self.random.random()  # random among equals
            if noisy > best_score:
                best, best_score, kept = c, noisy, score
        self.take_back = best if kept > 0 else -1

    # ------------------------------------------------------------ collegial talk (7.3)
    def talk(self) -> None:
        """Pull from the colleagues talked to this week (each tie used with ``talk_prob``)
        and, for cross-school ties this person holds the lower end of, draw whether the tie is
        used and exchange both ways. Gains wait in ``pending`` until :meth:`absorb`, so the
        order in which people talk does not matter (netsim updates synchronously)."""
        sc = self.model.scenario
        t = sc.talk
        if self.cell is not None and self.cell.connections:
            graph = self.model.grid.G
            degree = len(self.cell.connections)
            for other in self.cell.neighborhood.agents:
                if self.random.random() < t.talk_prob:
                    self.receive(other, graph.edges[self.row, other.row]["trust"] / degree)
        budget = t.partner_budget
        for other, tie in self.partners.items():
            if other.row < self.row or t.member_tie_talk_prob <= 0:
                continue  # each tie is drawn once, by its lower end
            busy = max(len(self.partners), len(other.partners))
            if self.random.random() < t.member_tie_talk_prob * tie.trust * min(1.0,
                                                                               budget / busy):
                w = tie.trust
                self.receive(other, w / min(len(self.partners), budget))
                other.receive(self, w / min(len(other.partners), budget))
                tie.last_contact = self.model.week
                tie.trust = w + t.tie_growth * (1 - self.background_distance(other)) * (1 - w)

    def receive(self, source: Person, weight: float) -> None:
        for c in range(self.model.n_practices):
            gap = source.knowledge[c] - self.knowledge[c]
            if gap > 0:
                self.pending_k[c] += weight * gap
            if source.stage[c] == ADOPTED:
                self.pending_i[c] += weight
            if source.stage[c] in (TRYING, ADOPTED):
                self.inbox.append(source.report(c))

    def absorb(self) -> None:
        t = self.model.scenario.talk
        for c in range(self.model.n_practices):
            self.knowledge[c] += min(t.knowledge_rate * self.pending_k[c], 1 - self.knowledge[c])
            gain = min(1.0, t.inspiration * self.pending_i[c])
            self.inspiration[c] += gain * (1 - self.inspiration[c])
        if self.inbox:
            self.hear(self.inbox)
        self._clear_pending()

    def _clear_pending(self) -> None:
        k = self.model.n_practices
        self.pending_k, self.pending_i = [0.0] * k, [0.0] * k
        self.inbox: list[tuple[int, int, float, float]] = []

    # ------------------------------------------------------------ trials (7.4)
    def conclude_trials(self) -> None:
        """Running trials end with chance 1 / mean_trial_weeks: success with chance
        ``q (1 - difficulty (1 - support))``; a noisy look at the quality; know-how grows;
        success may adapt the version, failure drops the practice or returns it to aware."""
        sc = self.model.scenario
        cfg, mot = sc.trial, sc.motivation
        self.concluded = set()
        if self.school is None:
            return
        change = 0.0
        for c in range(self.model.n_practices):
            if self.stage[c] != TRYING or self.random.random() >= 1.0 / cfg.mean_trial_weeks:
                continue
            self.concluded.add(c)
            support = min(1.0, 0.5 * self.know_how[c] + self.trial_support[c])
            q = self.quality[c]
            ok = self.random.random() < q * (1 - self.model.difficulty[c] * (1 - support))
            observed = q + cfg.perception_sd * self.random.gauss(0.0, 1.0)
            self.perceived[c] += cfg.own_trial_weight * (observed - self.perceived[c])
            gain = cfg.know_how_gain if ok else 0.5 * cfg.know_how_gain
            self.know_how[c] += gain * (1 - self.know_how[c])
            self.trial_support[c] = 0.0
            if ok:
                self.stage[c] = ADOPTED
                change += mot.success_gain
                self.model.count("adoptions")
                self.adapt(c)
            else:
                self.stage[c] = DROPPED if self.random.random() < cfg.drop_prob else AWARE
                self.inspiration[c] = 0.0
                change -= mot.failure_loss
                self.model.count("failures")
        self.motivation = clip(self.motivation + change)

    def adapt(self, c: int) -> None:
        """Translation at the school boundary: members and co-creation members adapt with
        ``adapt_prob``, colleagues with a share of it. A group keeps the best judged of one
        correlated variant per member (the adaptation step of ``trial._week``, ``select_variants``)."""
        sc = self.model.scenario
        cfg = sc.trial
        group = self.group
        p = cfg.adapt_prob if (group is not None or self.member) else \
            cfg.adapt_prob * cfg.colleague_adapt_share
        if self.random.random() >= p:
            return
        size, rho, judge_sd = 1, 1.0, cfg.perception_sd
        if group is not None:
            size = len(group.members)
            rho = clip(1.0 - group.distance)
            u = max(0.0, 1.0 - group.distance / sc.gathering.understanding_range)
            judge_sd = cfg.perception_sd / (max(u, 1e-6) * math.sqrt(size))
        z0 = self.random.gauss(0.0, 1.0)
        best_change, best_judged = 0.0, -math.inf
        for _ in range(size):
            change = cfg.adapt_sd * (math.sqrt(rho) * z0
                                     + math.sqrt(1 - rho) * self.random.gauss(0.0, 1.0))
            judged = change + judge_sd * self.random.gauss(0.0, 1.0)
            if judged > best_judged:
                best_change, best_judged = change, judged
        new_q = clip(self.quality[c] + best_change, 0.01, 0.99)
        new_p = self.perceived[c] + best_judged
        vid = self.model.new_version(c, new_q, self.version[c], group is not None)
        self.version[c], self.quality[c], self.perceived[c] = vid, new_q, new_p
        if group is not None:  # co-created versions are shared with the whole group
            self.model.group_shares.append((group, (c, vid, new_q, new_p)))

    def maybe_discontinue(self) -> None:
        """Adopters drop a practice with weekly chance ``discontinue_rate (1 - perceived)
        (1 - support)``, support from backing, a carrier and peers at the school."""
        rate = self.model.scenario.trial.discontinue_rate
        school = self.school
        if school is None or rate <= 0:
            return
        for c in range(self.model.n_practices):
            if self.stage[c] != ADOPTED or c in self.concluded:
                continue
            u = self.random.random()
            if u >= rate:
                continue
            peers = school.users[c] / max(school.size, 1)
            support = (school.backing() + school.carrier[c] + peers) / 3.0
            if u < rate * (1 - clip(self.perceived[c])) * (1 - support):
                self.stage[c] = DROPPED
                self.inspiration[c] = 0.0
                self.model.count("discontinued")

    def maybe_start_trials(self) -> None:
        """Aware of a practice, knowing enough of it and inspired: start a trial with chance
        ``trial_rate x motivation x inspiration`` (resistant staff: times the mandate)."""
        cfg = self.model.scenario.trial
        if self.school is None:
            return
        for c in range(self.model.n_practices):
            if (self.stage[c] != AWARE or self.knowledge[c] < cfg.min_knowledge
                    or self.inspiration[c] <= 0):
                continue
            p = cfg.trial_rate * self.motivation * self.inspiration[c]
            if self.resistant:
                p *= self.school.mandate()
            if self.random.random() < p:
                self.stage[c] = TRYING
                self.model.new_trials.append((self, c))

    def decay_inspiration(self) -> None:
        keep = 1 - self.model.scenario.trial.inspiration_decay
        self.inspiration = [x * keep for x in self.inspiration]

    # ------------------------------------------------------------ dynamics (7.7)
    def relax(self) -> None:
        """Motivation relaxes towards ``intrinsic (0.5 + 0.5 owner_commitment)``."""
        mot = self.model.scenario.motivation
        baseline = self.intrinsic * (0.5 + 0.5 * mot.owner_commitment)
        self.motivation += mot.relax_rate * (baseline - self.motivation)
        self.motivation = clip(self.motivation)


class Teacher(Person):
    """A classroom teacher; some resist new practice."""

    role = Role.TEACHER


class ResourceTeacher(Person):
    """The school's network member; gains motivation while the leader backs the work."""

    role = Role.RESOURCE_TEACHER

    def relax(self) -> None:
        mot = self.model.scenario.motivation
        baseline = self.intrinsic * (0.5 + 0.5 * mot.owner_commitment)
        self.motivation += mot.relax_rate * (baseline - self.motivation)
        if self.school is not None and self.school.leader_attended:
            self.motivation += mot.leader_backing_gain
        self.motivation = clip(self.motivation)


class SchoolLeader(Person):
    """Attends gatherings as often as the owner's priority lets them."""

    role = Role.LEADER

    def attend_prob(self) -> float:
        sc = self.model.scenario
        m = sc.motivation
        return sc.leader_participation * (1.0 - m.owner_priority_weight
                                          * (1.0 - m.owner_commitment))


class Facilitator(Person):
    """Runs every gathering (always attends) and guides schools' trials."""

    role = Role.FACILITATOR

    def attend_prob(self) -> float:
        return 1.0


CLASSES = {Role.TEACHER: Teacher, Role.RESOURCE_TEACHER: ResourceTeacher,
           Role.LEADER: SchoolLeader, Role.FACILITATOR: Facilitator}

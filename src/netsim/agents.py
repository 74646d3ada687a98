"""Mesa agents: one per person, each a view onto its row of the columnar state.

The weekly mechanisms work on whole arrays (see :mod:`netsim.mechanisms`); these classes are
the interface a notebook or SolaraViz uses: ``agent.motivation``, ``agent.stage``,
``agent.knowledge``, ``agent.school`` read (and, for scalars, write) the model's arrays.
The model makes them on first use of ``model.people`` or ``model.agents`` (a run that never
looks at them, such as every replicate of a sweep, makes none) and registers them with Mesa in
bulk (:func:`create_people`).

Roles follow seed 001 §1 (table of actors): classroom teachers, the school's resource teacher
(its network member), the school leader, and the central facilitators (network leaders).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals import ModelSignals

from netsim.state import Role, Stage

if TYPE_CHECKING:
    from netsim.model import LearningNetworkModel

__all__ = ["Facilitator", "Person", "ResourceTeacher", "SchoolLeader", "Teacher", "agent_class",
           "create_people", "remove_people"]


class Person(mesa.Agent):
    """A person in the simulation; reads and writes row ``row`` of ``model.state``."""

    role: Role = Role.TEACHER

    def __init__(self, model: LearningNetworkModel, row: int) -> None:
        super().__init__(model)
        self.row = int(row)

    @property
    def _state(self):
        return self.model.state

    @property
    def school(self) -> int:
        """School index (-1 for facilitators)."""
        return int(self._state.school[self.row])

    @property
    def member(self) -> bool:
        """Whether the person is a network member (invited to gatherings)."""
        return bool(self._state.member[self.row])

    @property
    def motivation(self) -> float:
        return float(self._state.motivation[self.row])

    @motivation.setter
    def motivation(self, value: float) -> None:
        self._state.motivation[self.row] = float(np.clip(value, 0.0, 1.0))

    @property
    def resistant(self) -> bool:
        return bool(self._state.resistant[self.row])

    @property
    def knowledge(self) -> np.ndarray:
        """Explicit knowledge per practice (a read-only copy)."""
        return self._state.knowledge[self.row].copy()

    @property
    def know_how(self) -> np.ndarray:
        return self._state.know_how[self.row].copy()

    @property
    def stage(self) -> list[Stage]:
        """Stage per practice."""
        return [Stage(s) for s in self._state.stage[self.row]]

    @property
    def adopted(self) -> bool:
        """Whether the person has adopted at least one practice."""
        return bool((self._state.stage[self.row] == Stage.ADOPTED).any())

    @property
    def top_stage(self) -> Stage:
        """The most advanced stage over practices (adopted > trying > aware > dropped)."""
        order = {Stage.ADOPTED: 4, Stage.TRYING: 3, Stage.AWARE: 2, Stage.DROPPED: 1,
                 Stage.UNAWARE: 0}
        return max(self.stage, key=order.__getitem__, default=Stage.UNAWARE)

    def trusted_partners(self, min_trust: float | None = None) -> dict[int, float]:
        """Cross-school partners (by row) with trust at least ``min_trust`` (default: strong)."""
        ties = self._state.member_ties
        thr = self.model.scenario.trust.strong if min_trust is None else min_trust
        if not len(ties):
            return {}
        a, b = ties.a, ties.b
        sel = ((a == self.row) | (b == self.row)) & (ties.trust >= thr)
        other = np.where(a[sel] == self.row, b[sel], a[sel])
        return {int(o): float(t) for o, t in zip(other, ties.trust[sel], strict=True)}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(row={self.row}, school={self.school}, "
                f"motivation={self.motivation:.2f}, adopted={self.adopted})")


class Teacher(Person):
    """A classroom teacher: talks with colleagues, hears development-time presentations, tries
    practices; some resist (seed 001 §5.2.5)."""

    role = Role.TEACHER


class ResourceTeacher(Person):
    """The school's network member: attends gatherings, brings practices home and presents them
    in development time when given time (seed 001 §5.2.4-5.2.5)."""

    role = Role.RESOURCE_TEACHER


class SchoolLeader(Person):
    """Principal or department head: may attend gatherings, gives time, legitimacy and mandate
    at home (seed 001 §5.2.5, §6.4.2)."""

    role = Role.LEADER

    @property
    def alignment(self) -> float:
        """Alignment with the school's resource teacher ('same wavelength', seed 001 §5.3.3)."""
        return float(self._state.alignment[self.school])


class Facilitator(Person):
    """A central network leader: runs gatherings, brings expert input, picks practice stories,
    guides schools starting a trial (seed 001 §5.2.2, §5.2.6, §6.4.1)."""

    role = Role.FACILITATOR


_CLASSES = {Role.TEACHER: Teacher, Role.RESOURCE_TEACHER: ResourceTeacher,
            Role.LEADER: SchoolLeader, Role.FACILITATOR: Facilitator}


_BY_CODE = {int(role): cls for role, cls in _CLASSES.items()}


def agent_class(role: int) -> type[Person]:
    """The Mesa agent class for a role code."""
    return _CLASSES[Role(role)]


def _quiet(model: mesa.Model, signal: ModelSignals, classes: Iterable[type[Person]]) -> bool:
    """Whether registering or removing agents of ``classes`` would have no effect beyond the
    model's agent sets: nobody observes the model's agents, no data set tracks the classes,
    no class overrides :meth:`mesa.Agent.remove` (Mesa 3.5's registration)."""
    return (model._batch_context is None and not model._has_subscribers("agents", signal)
            and all(not cls._datasets and cls.remove is mesa.Agent.remove for cls in classes))


def create_people(model: LearningNetworkModel, rows: Sequence[int], roles: Sequence[int]
                  ) -> list[Person]:
    """One agent per row (``Teacher`` & co. by role), registered with the model.

    The same agents, unique ids and agent sets as ``agent_class(role)(model, row)`` one by
    one. When nothing observes the registration (see :func:`_quiet`) they are registered in
    bulk, as Mesa's ``Model.register_agent`` does but without its per-agent signal and log
    call: creating the ~1,250 agents of the default scenario one by one cost about a tenth of
    a replicate's time once the weekly rules were compiled (issue 14).
    """
    by_code = _BY_CODE
    classes = [by_code[r] for r in np.asarray(roles).tolist()]
    if not _quiet(model, ModelSignals.AGENT_ADDED, set(classes)):
        return [cls(model, int(row)) for cls, row in zip(classes, rows, strict=True)]
    first = model.agent_id_counter
    people: list[Person] = []
    of_class: dict[type[Person], list[Person]] = {}  # in order of first appearance
    for uid, (cls, row) in enumerate(zip(classes, np.asarray(rows).tolist(), strict=True),
                                     start=first):
        agent = cls.__new__(cls)  # what Agent.__init__ and Person.__init__ set, nothing else
        agent.__dict__.update(model=model, unique_id=uid, pos=None, row=row)
        people.append(agent)
        of_class.setdefault(cls, []).append(agent)
    model.agent_id_counter = first + len(people)
    model._all_agents._agents.update(dict.fromkeys(people))
    for cls, agents in of_class.items():
        if cls in model._agents_by_type:
            model._agents_by_type[cls]._agents.update(dict.fromkeys(agents))
        else:
            model._agents_by_type[cls] = _HardKeyAgentSet(agents, random=model.random)
    return people


def remove_people(model: LearningNetworkModel, people: Iterable[Person]) -> None:
    """``agent.remove()`` for each of ``people`` (in bulk when nothing observes it)."""
    people = list(people)
    if not _quiet(model, ModelSignals.AGENT_REMOVED, {type(a) for a in people}):
        for agent in people:
            agent.remove()
        return
    everyone, by_type = model._all_agents._agents, model._agents_by_type
    for agent in people:
        if everyone.pop(agent, False) is None:  # registered (values are None)
            del by_type[type(agent)]._agents[agent]

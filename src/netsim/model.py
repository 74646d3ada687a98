"""The Mesa model: builds the population, schedules the calendar, runs the weekly processes.

One step is one school week. The calendar uses Mesa's event scheduling: Mesa runs the weekly
step at integer times, key-person events are :meth:`mesa.Model.schedule_event` events; within
week ``t`` events run in this order:

====================  ==========  ================================================================
event                 time        what
====================  ==========  ================================================================
key-person loss       t - 0.6     the lead facilitator leaves (``turnover.key_person_*``); the
                                  replacement, if any, ``replacement_weeks`` later at the same
                                  point of the week
weekly step           t           in this order: gathering (every ``meeting_interval_weeks``, or
                                  in the fixed ``calendar.gathering_weeks`` of each school year,
                                  while the network is alive; one gathering of the
                                  network-invited, or one per area / meeting group if
                                  ``network.gatherings_by_area``; then co-creation groups are
                                  re-formed), area gathering (every
                                  ``calendar.area_meeting_interval_weeks``, 0 = never: one
                                  gathering per area of the area-invited; groups re-formed),
                                  co-creation regroup (every 4 weeks: t = 4, 8, ...),
                                  development time at each school (every
                                  ``calendar.dev_time_interval_weeks``: t = 1, 1 + interval,
                                  ...), turnover (in the first week of every school year after
                                  the first: t = 39, 77, ..., i.e. after the last week of the
                                  year before); then co-creation work, collegial talk, digital
                                  sharing, trials (or a textbook rule), trust and motivation
                                  dynamics, record
====================  ==========  ================================================================

Gatherings, area gatherings, regrouping, development time and turnover run at the start of the
step rather than as events of their own (they were events at t - 0.5, t - 0.45, t - 0.4,
t - 0.25 and t - 0.1, with nothing of the model's scheduled between them and the step): the
same effects in the same order, without the cost of Mesa events (Mesa creates, queues and pops
each event in Python: 5-7 us each warm, 20-30 us between compiled weekly loops that have pushed
Python's code and data out of the CPU caches). Only the rare key-person events stay Mesa events
(at t - 0.6, still before everything else of their week). A user's own event between t - 0.6
and t now sees the week before them.

Who is invited to what comes from the population builder: ``invited_network`` (default: the
members) to network gatherings and ``invited_area`` (default: nobody) to their area's
gatherings, the area (education area or meeting group) being ``state.area``. When gatherings
are held per area, invited facilitators serve every area. Gathering weeks stop at
``calendar.gathering_end_week``. Each gathering held (each area's, too) counts once in the
``gatherings`` counter and adds its attendees × its own hours to the cost.

All random draws come from ``self.rng``, the run's single ``numpy.random.Generator``.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from netsim import metrics
from netsim.agents import Person, create_people, remove_people
from netsim.config import AdoptionRule, Scenario, validate
from netsim.mechanisms import (
    adoption_rules,
    cocreation,
    collegial_talk,
    digital,
    dynamics,
    gathering,
    home_transfer,
    trial,
    turnover,
)
from netsim.population import Population, build_population
from netsim.state import Origin, Role, Stage, State, TieStore

__all__ = ["LearningNetworkModel"]

# columns of the weekly table (metrics.SERIES_COLUMNS: week, measures, cumulative cost, counters)
_COLUMN = {c: j for j, c in enumerate(metrics.SERIES_COLUMNS)}
_WEEK, _HOURS_CUM = _COLUMN["week"], _COLUMN["person_hours_cum"]
_MEASURES = slice(_COLUMN[metrics.MEASURES[0]], _COLUMN[metrics.MEASURES[-1]] + 1)
_COUNTERS = slice(_COLUMN[metrics.COUNTERS[0]], _COLUMN[metrics.COUNTERS[-1]] + 1)
# a week's counters are kept in a list laid out as the table's columns from person_hours_cum
# on (cumulative cost, then COUNTERS), so that one slice assignment records them
assert _COUNTERS.start == _HOURS_CUM + 1
_COUNTER = {c: j for j, c in enumerate(metrics.COUNTERS, start=1)}  # index in that list
# a last slot, not recorded, takes the mechanisms' other counters (one look-up a counter, no
# test: a speed trick, _add runs five times a week)
_SINK = 1 + len(metrics.COUNTERS)
_PERSON_HOURS = _COUNTER["person_hours"]


class LearningNetworkModel(mesa.Model):
    """A learning network of schools, simulated week by week.

    Args:
        scenario: what to simulate (default: the resource-teacher network of seed 001).
        rng: the run's random generator (the runner derives it from a ``SeedSequence``).
        seed: convenience for notebooks: ``np.random.default_rng(seed)`` when ``rng`` is None.
        validated: the caller has validated ``scenario`` (:func:`netsim.config.validate`) and
            not changed it since: the runner, for every replicate of a scenario it validated
            once (validation costs about as much as a tenth of a compiled replicate).

    Example:
        >>> from netsim import LearningNetworkModel, Scenario
        >>> model = LearningNetworkModel(Scenario(), seed=1)
        >>> model.run()
        >>> 0.0 <= model.series()["adoption_all"][-1] <= 1.0
        True
    """

    def __init__(self, scenario: Scenario | None = None, *,
                 rng: np.random.Generator | None = None, seed: int | None = None,
                 validated: bool = False) -> None:
        scenario = scenario if scenario is not None else Scenario()
        if not validated:
            validate(scenario)
        if rng is None:
            rng = np.random.default_rng(seed)
        super().__init__(rng=rng)
        self.scenario = scenario
        self.textbook = scenario.adoption.rule is not AdoptionRule.trust_weighted
        self.week = 0
        self.network_alive = True
        self.paused_until = 0
        self._pending_replacements: list[int] = []  # departed key people, in order
        population = build_population(scenario, self.rng)
        self.state = self._initial_state(population)
        n_people = population.n_people
        self.invited_network = (population.member if population.network_invited is None
                                else population.network_invited).astype(bool).copy()
        self.invited_area = (np.zeros(n_people, dtype=bool) if population.area_invited is None
                             else population.area_invited.astype(bool).copy())
        self._gathering_hours: dict[int, float] = {}  # week -> hours (see _schedule)
        self.channels = [
            digital.ChannelState(c.name, scenario.formality if c.created_by == "facilitators"
                                 else scenario.digital.member_channel_formality,
                                 c.created_by, c.read_prob, c.stores)
            for c in scenario.digital.channels]
        # the Mesa agents (views onto the rows) are made on first use: see ``people``
        self._people: list[Person] | None = None
        self._away: set[int] = set()  # rows whose agent is not registered (key person away)
        self._counts = [0.0] * (_SINK + 1)  # this week's, by _COUNTER (and _SINK)
        self.diffusion: adoption_rules.Diffusion | None = None
        if self.textbook:
            self._seed_textbook(population)
        # the weekly record: one row per week (0 = the initial state), SERIES_COLUMNS
        self._n_weeks = scenario.n_weeks  # fixed with the table's size
        self._table = table = np.full((self._n_weeks + 1, len(metrics.SERIES_COLUMNS)), np.nan)
        table[:, _HOURS_CUM] = 0.0
        self._hours_cum = 0.0
        self._record(0)
        self._schedule()

    # ---------------------------------------------------------------- set-up
    def _initial_state(self, pop: Population) -> State:
        sc, rng = self.scenario, self.rng
        n, k = pop.n_people, sc.practices.n_practices
        pr = sc.practices
        eff = np.clip(rng.normal(pr.effectiveness_mean, pr.effectiveness_sd, k), 0.05, 0.95)
        diff = np.clip(rng.normal(pr.difficulty_mean, pr.difficulty_sd, k), 0.0, 0.95)
        n_local = int(round(pr.local_share * k))
        local = np.zeros(k, dtype=bool)
        local[rng.choice(k, size=n_local, replace=False)] = True
        mot = sc.motivation
        mean = np.where(pop.member, mot.initial, mot.staff_initial)
        intrinsic = np.clip(mean + rng.normal(0, 0.1, n), 0.0, 1.0)
        leader = np.full(pop.n_schools, -1, dtype=np.int64)
        is_leader = (pop.role == Role.LEADER) & (pop.school >= 0)
        leader[pop.school[is_leader]] = np.flatnonzero(is_leader)
        state = State(
            role=pop.role.astype(np.int8), school=pop.school.astype(np.int64),
            member=pop.member.astype(bool), area=pop.area.astype(np.int64),
            motivation=intrinsic.copy(), intrinsic=intrinsic,
            resistant=(rng.random(n) < sc.home.resistant_share) & (pop.role == Role.TEACHER),
            trait=pop.trait.astype(float), present=np.ones(n, dtype=bool),
            knowledge=np.zeros((n, k)), know_how=np.zeros((n, k)), inspiration=np.zeros((n, k)),
            stage=np.zeros((n, k), dtype=np.int8), version=np.full((n, k), -1, dtype=np.int64),
            quality=np.zeros((n, k)), trial_support=np.zeros((n, k)),
            cocreation_group=np.full(n, -1, dtype=np.int64),
            effectiveness=eff, difficulty=diff, expert_known=~local,
            leader=leader, alignment=np.full(pop.n_schools, sc.home.initial_alignment),
            leader_attended=np.zeros(pop.n_schools, dtype=bool),
            colleagues=pop.colleagues, member_ties=TieStore(n),
            form=pop.form.astype(np.int64), need=pop.need.astype(np.int64),
        )
        for practice in range(k):  # the reference versions have ids 0..k-1
            state.versions.add(practice, eff[practice], -1, Origin.INITIAL, 0)
        if pop.member_ties[0].size:
            i, j, t = pop.member_ties
            idx = state.member_ties.ensure(i, j, sc.trust.initial, 0)
            state.member_ties.trust[idx] = t
        if self.textbook:
            return state
        # research claims for the reference versions are a noisy look at their quality
        state.claimed = np.clip(eff + sc.trial.perception_sd * rng.standard_normal(k), 0.01, 0.99)
        # the network's plan and booklet start from the research-based versions
        state.conformity = sc.practices.conformity * sc.formality
        state.set_codified(np.flatnonzero(~local), np.flatnonzero(~local))
        fac = np.flatnonzero(state.role == Role.FACILITATOR)
        expert = np.flatnonzero(state.expert_known)
        if fac.size and expert.size:
            fi, ek = np.ix_(fac, expert)  # every facilitator x every expert-known practice
            state.knowledge[fi, ek] = 1.0
            state.stage[fi, ek] = Stage.AWARE
            state.version[fi, ek] = ek
            state.quality[fi, ek] = eff[ek]
            state.perceived[fi, ek] = state.claimed[ek]
        # local practices in use at a few schools of one school form (practice differs between
        # school forms, so people of other forms bring novelty; seed 002 §2.2): resource
        # teacher, leader and a fifth of the staff use it
        school_form = np.zeros(pop.n_schools, dtype=np.int64)
        staff_rows = pop.school >= 0
        school_form[pop.school[staff_rows]] = pop.form[staff_rows]
        for practice in np.flatnonzero(local):
            form = school_form[rng.integers(pop.n_schools)]
            pool = np.flatnonzero(school_form == form)
            n_sch = min(pr.local_schools, pool.size)
            schools = rng.choice(pool, size=n_sch, replace=False)
            chosen = np.zeros(pop.n_schools + 1, dtype=bool)  # last: no school (-1)
            chosen[schools] = True
            at = chosen[state.school]  # np.isin(state.school, schools), by table look-up
            users = at & ((state.role != Role.TEACHER) | (rng.random(n) < 0.2))
            rows = np.flatnonzero(users)
            q = np.clip(eff[practice] + rng.normal(0, 0.05), 0.05, 0.95)
            vid = state.versions.add(practice, q, practice, Origin.INITIAL, 0)
            state.knowledge[rows, practice] = 0.8
            state.know_how[rows, practice] = 0.6
            state.stage[rows, practice] = Stage.ADOPTED
            state.version[rows, practice] = vid
            state.quality[rows, practice] = q
            state.perceived[rows, practice] = q + sc.trial.perception_sd * rng.standard_normal(
                rows.size)
        return state

    def _seed_textbook(self, population: Population) -> None:
        st = self.state
        st.knowledge[:] = 0.0
        st.stage[:] = Stage.UNAWARE
        self.diffusion = adoption_rules.Diffusion.build(
            self.scenario, population.colleagues, st.staff, self.rng,
            getattr(population, "graph", None))
        seeds = self.diffusion.seeds
        st.stage[seeds] = Stage.ADOPTED
        st.knowledge[seeds] = 1.0

    def _schedule(self) -> None:
        sc = self.scenario
        cal = sc.calendar
        p = sc.processes
        n = sc.n_weeks
        # gatherings run at the start of the weekly step (see the module docstring): the weeks
        # of network gatherings with their hours, and the weeks of area gatherings
        self._gathering_hours = {}
        self._area_weeks: frozenset[int] = frozenset()
        if p.gathering:
            end = n if cal.gathering_end_week is None else min(n, cal.gathering_end_week)
            if cal.gathering_weeks:
                hours = cal.gathering_hours_list or [cal.gathering_hours] * len(
                    cal.gathering_weeks)
                for year in range(math.ceil(n / cal.weeks_per_year)):
                    for week, h in zip(cal.gathering_weeks, hours, strict=True):
                        at = year * cal.weeks_per_year + week
                        if cal.gathering_start_week <= at <= end:
                            self._gathering_hours[at] = h
            else:
                self._gathering_hours = dict.fromkeys(
                    range(cal.gathering_start_week, end + 1, sc.meeting_interval_weeks),
                    cal.gathering_hours)
            if cal.area_meeting_interval_weeks > 0:
                self._area_weeks = frozenset(range(cal.area_meeting_start_week, end + 1,
                                                   cal.area_meeting_interval_weeks))
        # and the rest of the week's calendar, also at the start of the step: regrouping every 4 weeks (t = 4, 8, ...), development time every
        # dev_time_interval_weeks (t = 1, 1 + interval, ...), turnover in the first week of
        # every school year after the first (t = W + 1, 2 W + 1, ...); 0 = never
        self._regroup_every = 4 if p.cocreation else 0
        self._dev_time_every = cal.dev_time_interval_weeks if p.home_transfer else 0
        self._turnover_every = (cal.weeks_per_year if p.turnover and sc.turnover.annual_rate > 0
                                and n > cal.weeks_per_year else 0)
        t = sc.turnover
        if p.turnover and t.key_person_loss_week is not None and t.key_person_loss_week <= n:
            self.schedule_event(self._lose_key_person, at=t.key_person_loss_week - 0.6)
        if p.turnover and t.key_person_hazard > 0:
            weekly = 1 - (1 - t.key_person_hazard) ** (1 / cal.weeks_per_year)
            when = int(self.rng.geometric(weekly)) if weekly > 0 else n + 1
            if when <= n:
                self.schedule_event(self._lose_key_person, at=when - 0.6)

    # ---------------------------------------------------------------- calendar events
    @property
    def _current_week(self) -> int:
        return int(math.ceil(self.time))

    def _add(self, counters: dict[str, float]) -> None:
        """Add a mechanism's counters to this week's (names not in COUNTERS are ignored)."""
        counts, column = self._counts, _COUNTER
        for key, value in counters.items():
            counts[column.get(key, _SINK)] += value

    def _gathering(self, week: int, hours: float) -> None:
        if not self.network_alive or week < self.paused_until:
            return
        if self.scenario.network.gatherings_by_area:
            self._hold_per_area(self.invited_network, hours, week)
        else:
            self._hold(self.invited_network, hours, week)
        if self.scenario.processes.cocreation:
            cocreation.form_groups(self.state, self.scenario)

    def _area_gathering(self, week: int) -> None:
        if not self.network_alive or week < self.paused_until:
            return
        self._hold_per_area(self.invited_area, self.scenario.calendar.area_gathering_hours, week)
        if self.scenario.processes.cocreation:
            cocreation.form_groups(self.state, self.scenario)

    def _hold(self, invited: np.ndarray, hours: float, week: int) -> None:
        if not gathering.anyone_present(invited, self.state.present):
            return  # nobody to meet: no gathering (e.g. the significant-networks design)
        self._add(gathering.hold_gathering(self.state, self.scenario, self.rng, week, invited,
                                           hours))
        self._counts[_COUNTER["gatherings"]] += 1

    def _hold_per_area(self, invited: np.ndarray, hours: float, week: int) -> None:
        """One gathering per area of the ``invited``; invited facilitators serve every area."""
        st = self.state
        fac = invited & (st.role == Role.FACILITATOR)
        for area in np.unique(st.area[invited & (st.area >= 0)]):
            self._hold(invited & ((st.area == area) | fac), hours, week)

    def _regroup(self) -> None:
        cocreation.form_groups(self.state, self.scenario)

    def _development_time(self) -> None:
        self._add(home_transfer.development_time(self.state, self.scenario, self.rng,
                                                 self._current_week))

    def _turnover(self) -> None:
        rows = turnover.turnover(self.state, self.scenario, self.rng)
        self._replace_agents(rows)

    def _lose_key_person(self) -> None:
        row = turnover.key_person(self.state, self.scenario)
        if row < 0 or not self.network_alive:
            return
        self.state.present[row] = False
        self._away.add(row)
        if self._people is not None:
            remove_people(self, [self._people[row]])
        self.state.member_ties.remove_person(row)
        survives, weeks = turnover.key_person_outcome(self.scenario, self.rng)
        if not survives:
            self.network_alive = False
            return
        self.paused_until = self._current_week + weeks
        self._pending_replacements.append(row)
        self.schedule_event(self._replace_key_person, at=self.time + max(weeks, 0.01))

    def _replace_key_person(self) -> None:
        row = self._pending_replacements.pop(0)
        st = self.state
        turnover.reset_people(st, self.scenario, np.array([row]), self.rng)
        st.present[row] = True
        if st.role[row] == Role.FACILITATOR:
            expert = np.flatnonzero(st.expert_known)
            st.knowledge[row, expert] = 1.0
            st.stage[row, expert] = Stage.AWARE
            st.version[row, expert] = expert
            st.quality[row, expert] = st.effectiveness[expert]
            st.perceived[row, expert] = st.claimed[expert]
        self._away.discard(row)
        if self._people is not None:
            self._people[row] = create_people(self, [row], st.role[[row]])[0]

    def _replace_agents(self, rows: np.ndarray) -> None:
        """New agents for the people who replaced others in ``rows`` (turnover)."""
        if self._people is None:
            return  # made on first use, from the rows as they are then
        people = self._people
        remove_people(self, [people[row] for row in rows])
        for row, agent in zip(rows.tolist(), create_people(self, rows, self.state.role[rows]),
                              strict=True):
            people[row] = agent

    # ---------------------------------------------------------------- Mesa agents
    @property
    def people(self) -> list[Person]:
        """One Mesa agent per person, by row (``people[i].row == i``), a view onto the state.

        Made on first use of ``people``, ``agents``, ``agents_by_type`` or ``agent_types`` (or
        when another agent is registered): the weekly rules work on the state's arrays, so a
        run that never looks at its agents (every replicate of a sweep) does not make them.
        Made at any time, they are the agents an eager model would have: one per row, of the
        class of the row's current role, registered unless the person is away (a departed key
        person not yet replaced). Unique ids count from the first agent made.
        """
        if self._people is None:
            self._people = []  # also guards register_agent below while the agents are made
            try:
                people = create_people(self, range(self.state.n_people), self.state.role)
                remove_people(self, [people[row] for row in sorted(self._away)])
            except BaseException:
                self._people = None
                raise
            self._people = people
        return self._people

    @property
    def agents(self) -> mesa.agentset._HardKeyAgentSet:
        """All agents (Mesa's ``Model.agents``), the people's made on first use."""
        self.people  # noqa: B018 (made on first use)
        return super().agents

    @agents.setter
    def agents(self, value: object) -> None:
        mesa.Model.agents.fset(self, value)  # Mesa's error: model.agents is Mesa's own

    @property
    def agents_by_type(self) -> dict[type, mesa.agentset._HardKeyAgentSet]:
        """Mesa's ``Model.agents_by_type``, the people's made on first use."""
        self.people  # noqa: B018
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Mesa's ``Model.agent_types``, the people's made on first use."""
        self.people  # noqa: B018
        return super().agent_types

    def register_agent(self, agent: mesa.Agent) -> None:
        """Mesa's ``Model.register_agent``, after the people's agents (so they keep ids 1..n
        whether made before or after an agent of the user's)."""
        self.people  # noqa: B018
        super().register_agent(agent)

    # ---------------------------------------------------------------- weekly step
    def step(self) -> None:
        """One school week (see the module docstring for the order of events)."""
        sc, st, rng, add = self.scenario, self.state, self.rng, self._add
        self.week = week = int(round(self.time))
        # the week's calendar, in the order of the module docstring
        hours = self._gathering_hours.get(week)
        if hours is not None:
            self._gathering(week, hours)
        if week in self._area_weeks:
            self._area_gathering(week)
        if self._regroup_every and week % self._regroup_every == 0:
            self._regroup()
        if self._dev_time_every and (week - 1) % self._dev_time_every == 0:
            self._development_time()
        every = self._turnover_every
        if every and week > every and (week - 1) % every == 0:
            self._turnover()
        p = sc.processes
        if p.cocreation:
            add(cocreation.work(st, sc, rng, week))
        if p.collegial_talk:
            add(collegial_talk.talk(st, sc, rng, week))
        if p.digital:
            add(digital.share(st, sc, self.channels, rng, self.network_alive))
        if self.diffusion is not None:
            new = self.diffusion.step(st.stage == Stage.ADOPTED, rng, st.staff)
            st.stage[new] = Stage.ADOPTED
            self._counts[_COUNTER["adoptions"]] += float(new.sum())
            if p.trial:
                add(trial.trials(st, sc, rng, week, start_new=False))
        elif p.trial:
            guidance = self.network_alive and week >= self.paused_until
            add(trial.trials(st, sc, rng, week, guidance_available=guidance))
        if p.dynamics:
            dynamics.update(st, sc, week)
        self._record(week)
        if week >= self._n_weeks or (sc.adoption.until_stable and self.diffusion is not None
                                     and self.diffusion.stable):
            self.running = False

    def _record(self, w: int) -> None:
        """Write week ``w``'s row: the outcome measures, the counters, cumulative cost.

        Runs every week, so it keeps to a few operations: the measures are written straight
        into a view of the row, the counters by one slice assignment, and the cumulative cost is
        carried as a float (the same sums in the same order as adding the week's hours to the
        previous row's total)."""
        st, sc = self.state, self.scenario
        row = self._table[w]
        metrics.record_into(row[_MEASURES], st, sc.school_change_share, sc.trust.strong,
                            self.network_alive, st.group_distance.size)
        row[_WEEK] = w
        counts = self._counts
        self._hours_cum = counts[0] = self._hours_cum + counts[_PERSON_HOURS]
        row[_HOURS_CUM:_COUNTERS.stop] = counts[:_SINK]
        self._counts = [0.0] * len(counts)

    # ---------------------------------------------------------------- running and results
    def run(self) -> None:
        """Run to the end of the horizon (``scenario.n_weeks`` weeks)."""
        if self.scenario.adoption.until_stable:  # until nothing can change (at most n_weeks)
            while self.running and int(round(self.time)) < self.scenario.n_weeks:
                self.run_for(1)
        remaining = self.scenario.n_weeks - int(round(self.time))
        if remaining > 0 and self.running:
            self.run_for(remaining)
        self.running = False

    def remove_all_agents(self) -> None:
        """Remove every agent, as :meth:`mesa.Model.remove_all_agents` does (in bulk when
        nothing observes the removals, :func:`netsim.agents.remove_people`)."""
        if self._people is None:  # not made yet: they will be made unregistered
            self._away.update(range(self.state.n_people))
        remove_people(self, list(mesa.Model.agents.fget(self)))
        self.data_registry.close()

    def series(self) -> dict[str, np.ndarray]:
        """The weekly record so far (week 0 is the initial state)."""
        w = int(round(self.time))
        return {c: self._table[: w + 1, j].copy() for j, c in enumerate(metrics.SERIES_COLUMNS)}

    def summary(self) -> dict[str, float]:
        """The run summary (see :func:`netsim.metrics.summarise`)."""
        out = metrics.summarise(self.series(), self.state)
        if self.diffusion is not None:  # generic diffusion outcomes of textbook runs
            from netsim.diffusion_outcomes import summary as diffusion_summary

            out.update(diffusion_summary(self.diffusion, self.scenario))
        return out

"""Shared test helpers: tiny hand-built states and scenarios with dotted overrides.

``make_state`` builds a :class:`netsim.state.State` with a handful of people so that tests can
pin a mechanism's rule with exact expected values. ``make_scenario`` builds a validated
:class:`netsim.config.Scenario` from the schema defaults plus dotted overrides, independent of
the preset YAML files (which the lead tunes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from netsim.config import Scenario, scenario_from_dict, scenario_to_dict
from netsim.state import Role, Stage, State, TieStore

T, R, L, F = Role.TEACHER, Role.RESOURCE_TEACHER, Role.LEADER, Role.FACILITATOR


def nested(overrides: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys to nested dicts: {"trust.initial": 1} -> {"trust": {"initial": 1}}."""
    out: dict[str, Any] = {}
    for dotted, value in overrides.items():
        node = out
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def make_scenario(**dotted: Any) -> Scenario:
    """Schema defaults plus overrides; use ``__`` for dots (``trust__initial=0.5``)."""
    data = nested({k.replace("__", "."): v for k, v in dotted.items()})
    return scenario_from_dict(_merge(scenario_to_dict(Scenario()), data))


def textbook_scenario(csv: Path, rule: str, weeks: int, **dotted: Any) -> Scenario:
    """A user graph with every domain process off and the given textbook rule."""
    procs = {f"processes__{p}": False for p in ("gathering", "home_transfer", "collegial_talk",
                                                "trial", "cocreation", "digital", "dynamics",
                                                "turnover")}
    dotted.setdefault("replicates", 1)
    dotted.setdefault("practices__n_practices", 1)
    return make_scenario(network__file=str(csv), adoption__rule=rule,
                         calendar__weeks_per_year=weeks, calendar__years=1.0, **procs, **dotted)


def write_edges(path: Path, edges: Sequence[tuple[int, int]]) -> Path:
    """Write an edge-list CSV (source,target) with node ids n0, n1, ...

    The model numbers nodes in order of first appearance in the file; :func:`node_labels`
    gives the label of each row."""
    lines = ["source,target"] + [f"n{a},n{b}" for a, b in edges]
    path.write_text("\n".join(lines) + "\n")
    return path


def node_labels(edges: Sequence[tuple[int, int]]) -> list[int]:
    """Node label of each model row for an edge list written by :func:`write_edges`."""
    seen: dict[int, None] = {}
    for a, b in edges:
        seen.setdefault(a)
        seen.setdefault(b)
    return list(seen)


def make_state(roles: Sequence[int], schools: Sequence[int], *, n_practices: int = 1,
               members: Sequence[bool] | None = None,
               colleagues: Sequence[tuple[int, int, float]] = (),
               effectiveness: Sequence[float] | None = None,
               difficulty: Sequence[float] | None = None,
               motivation: float | Sequence[float] = 1.0,
               trait: Sequence[float] | None = None,
               expert_known: Sequence[bool] | None = None,
               n_schools: int | None = None) -> State:
    """A hand-built state: everyone unaware with zero knowledge, inspiration and know-how.

    Args:
        roles: role code per person (Role.TEACHER, ...).
        schools: school per person (-1 for facilitators).
        members: network membership (default: everyone but teachers).
        colleagues: undirected collegial ties (i, j, trust).
        motivation: motivation (and intrinsic interest) per person or for all.
    """
    role = np.asarray(roles, dtype=np.int8)
    school = np.asarray(schools, dtype=np.int64)
    n, k = role.size, n_practices
    member = (role != Role.TEACHER) if members is None else np.asarray(members, dtype=bool)
    n_sch = int(school.max()) + 1 if n_schools is None else n_schools
    leader = np.full(n_sch, -1, dtype=np.int64)
    for row in np.flatnonzero(role == Role.LEADER):
        leader[school[row]] = row
    mot = np.broadcast_to(np.asarray(motivation, dtype=float), (n,)).copy()
    if colleagues:
        a, b, w = (np.array(x) for x in zip(*colleagues, strict=True))
        col = sparse.coo_array((np.r_[w, w].astype(float), (np.r_[a, b], np.r_[b, a])),
                               shape=(n, n)).tocsr()
    else:
        col = sparse.csr_array((n, n))
    eff = np.full(k, 0.6) if effectiveness is None else np.asarray(effectiveness, float)
    state = State(
        role=role, school=school, member=member, area=np.full(n, -1, dtype=np.int64),
        motivation=mot, intrinsic=mot.copy(), resistant=np.zeros(n, dtype=bool),
        trait=np.linspace(0, 1, n) if trait is None else np.asarray(trait, float),
        present=np.ones(n, dtype=bool),
        knowledge=np.zeros((n, k)), know_how=np.zeros((n, k)), inspiration=np.zeros((n, k)),
        stage=np.zeros((n, k), dtype=np.int8), version=np.full((n, k), -1, dtype=np.int64),
        quality=np.zeros((n, k)), trial_support=np.zeros((n, k)),
        cocreation_group=np.full(n, -1, dtype=np.int64),
        effectiveness=eff,
        difficulty=np.full(k, 0.4) if difficulty is None else np.asarray(difficulty, float),
        expert_known=np.ones(k, dtype=bool) if expert_known is None
        else np.asarray(expert_known, dtype=bool),
        leader=leader, alignment=np.zeros(n_sch), leader_attended=np.zeros(n_sch, dtype=bool),
        colleagues=col, member_ties=TieStore(n),
    )
    for p in range(k):
        state.versions.add(p, float(eff[p]), -1, 0, 0)
    return state


def hold(state: State, person: int, practice: int, stage: Stage, quality: float,
         knowledge: float = 1.0) -> int:
    """Give ``person`` a new version of ``practice`` in ``stage``; return the version id."""
    vid = state.versions.add(practice, quality, practice, 1, 0)
    state.stage[person, practice] = stage
    state.version[person, practice] = vid
    state.quality[person, practice] = quality
    state.perceived[person, practice] = quality  # the holder believes its true quality
    state.knowledge[person, practice] = knowledge
    return vid


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _logging_as_a_fresh_process():
    """Each test ends with the logging set-up it started with.

    Tests run ``netsim`` commands in-process; Hydra then configures the root logger (and
    others) with handlers on the test's captured streams, which pytest closes after the test.
    A real command is one process, so nothing carries over there; here a later test would log
    into a closed stream ("--- Logging error ---").
    """
    import logging

    loggers = [logging.getLogger(), *[lg for lg in logging.root.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger)]]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate, lg.disabled) for lg in loggers]
    yield
    for lg, handlers, level, propagate, disabled in saved:
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled
    known = {id(lg) for lg in loggers}
    for lg in list(logging.root.manager.loggerDict.values()):
        if isinstance(lg, logging.Logger) and id(lg) not in known:
            lg.handlers.clear()  # a logger first made during the test: no stale handlers

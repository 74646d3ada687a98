"""Columnar model state: people, practices, versions, schools and ties as NumPy arrays.

The model owns one :class:`State`. Mesa agents (agents.py) are views onto one row each, so
``agent.motivation`` reads ``state.motivation[agent.row]``. Mechanisms update whole columns at
once. Nothing here draws random numbers: builders and mechanisms pass in values.

Stages of a person for a practice (``Stage``): unaware → aware → trying → adopted, or dropped
(after a failed trial, or by discontinuance of an adopted practice).

Each held version has a true quality (``quality``, used only by trial outcomes and the
outcome measures) and the holder's perceived quality (``perceived``), which every decision
uses: nobody knows a version's true quality.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from netsim import kernels
from netsim.kernels import kernel

__all__ = [
    "ADOPTED",
    "AWARE",
    "DROPPED",
    "FACILITATOR",
    "LEADER",
    "RESOURCE_TEACHER",
    "TEACHER",
    "TRYING",
    "UNAWARE",
    "Groups",
    "Origin",
    "Role",
    "Stage",
    "State",
    "TieStore",
    "Versions",
    "flatnonzero",
    "hear_versions",
    "nonzero2",
    "row_any",
    "row_count",
    "row_max",
    "row_sum",
    "scatter_add",
    "slots",
]


def scatter_add(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum ``values`` (shape (m,) or (m, k)) into ``n`` rows by ``index`` (like ``np.add.at``,
    which is several times slower for this use). Sums are taken in the order of ``values``."""
    if values.ndim == 1:
        return np.bincount(index, values, minlength=n)
    k = values.shape[1]
    return np.bincount(slots(index, k), values.ravel(), minlength=n * k).reshape(n, k)


_PRACTICE_INDEX: dict[int, np.ndarray] = {}


def slots(rows: np.ndarray, n_practices: int) -> np.ndarray:
    """Flat indices ``row * n_practices + practice`` of every practice of each row, row by row
    (what ``(rows[:, None] * n_practices + np.arange(n_practices)).ravel()`` gives, at a
    fraction of the cost of that broadcast)."""
    need = rows.size * n_practices
    index = _PRACTICE_INDEX.get(n_practices)
    if index is None or index.size < need:
        index = np.tile(np.arange(n_practices), max(2 * rows.size, 4096))
        index.flags.writeable = False
        _PRACTICE_INDEX[n_practices] = index
    return np.repeat(rows * n_practices, n_practices) + index[:need]


# Reductions along the short practice axis of (people x practices) arrays. NumPy's
# ``x.sum(axis=1)`` & co. run an inner loop of a few elements per row and cost ~20-60 us on the
# default (1,150 x 6) arrays; these do the same in a few microseconds. Below ~300 rows NumPy's
# own reductions are as fast and are used.
_SMALL = 300


def row_sum(x: np.ndarray) -> np.ndarray:
    """Sum of each row of a float array (left to right; no BLAS call, so no threads that would
    compete with parallel sweep workers)."""
    if x.shape[0] < _SMALL:
        return x.sum(axis=1)
    out = x[:, 0].copy()
    for c in range(1, x.shape[1]):
        out += x[:, c]
    return out


def row_count(mask: np.ndarray) -> np.ndarray:
    """Number of True values in each row of a boolean array (int64)."""
    return (mask.view(np.uint8) @ np.ones(mask.shape[1], dtype=np.uint8)).astype(np.int64) \
        if mask.shape[1] < 256 else np.count_nonzero(mask, axis=1)


def row_any(mask: np.ndarray) -> np.ndarray:
    """Whether each row of a boolean array has a True value."""
    return mask.any(axis=1) if mask.shape[0] < _SMALL else row_count(mask) > 0


def row_max(x: np.ndarray) -> np.ndarray:
    """Maximum of each row."""
    if x.shape[0] < _SMALL:
        return x.max(axis=1)
    out = x[:, 0].copy()
    for c in range(1, x.shape[1]):
        np.maximum(out, x[:, c], out=out)
    return out


def flatnonzero(mask: np.ndarray) -> np.ndarray:
    """``np.flatnonzero`` without its Python-level dispatch (about 1 us less a call, which adds
    up over the dozens of calls a simulated week makes)."""
    return mask.ravel().nonzero()[0]


def nonzero2(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-d array (rows, columns), several times faster for wide masks of
    few columns."""
    flat = flatnonzero(mask)
    rows = flat // mask.shape[1]
    return rows, flat - rows * mask.shape[1]


#: how much better a heard version must be to replace the one a person holds
SWITCH_MARGIN = 0.05


class Role(enum.IntEnum):
    """A person's role (seed 001 §1, table of actors)."""

    TEACHER = 0
    RESOURCE_TEACHER = 1
    LEADER = 2
    FACILITATOR = 3


class Stage(enum.IntEnum):
    """A person's stage for one practice."""

    UNAWARE = 0
    AWARE = 1
    TRYING = 2
    ADOPTED = 3
    DROPPED = 4


# Plain integer codes for comparisons with arrays in the weekly mechanisms: numpy compares an
# array with a plain int several times faster than with an IntEnum member.
UNAWARE, AWARE, TRYING, ADOPTED, DROPPED = (int(s) for s in Stage)
TEACHER, RESOURCE_TEACHER, LEADER, FACILITATOR = (int(r) for r in Role)


class Origin(enum.IntEnum):
    """Where a version of a practice came from."""

    INITIAL = 0
    INDIVIDUAL = 1
    COCREATION = 2


@dataclass
class Versions:
    """Append-only registry of practice versions (adaptations; seed 001 §5.2.3)."""

    practice: list[int] = field(default_factory=list)
    quality: list[float] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)
    week: list[int] = field(default_factory=list)

    def add(self, practice: int, quality: float, parent: int, origin: Origin, week: int) -> int:
        """Register a version and return its id."""
        self.practice.append(int(practice))
        self.quality.append(float(quality))
        self.parent.append(int(parent))
        self.origin.append(int(origin))
        self.week.append(int(week))
        return len(self.practice) - 1

    def add_many(self, practice: np.ndarray, quality: np.ndarray, parent: np.ndarray,
                 origin: np.ndarray, week: int) -> np.ndarray:
        """Register several versions at once; return their ids."""
        start = len(self.practice)
        self.practice.extend(np.asarray(practice, dtype=np.int64).tolist())
        self.quality.extend(np.asarray(quality, dtype=np.float64).tolist())
        self.parent.extend(np.asarray(parent, dtype=np.int64).tolist())
        self.origin.extend(np.asarray(origin, dtype=np.int64).tolist())
        self.week.extend([int(week)] * len(practice))
        return np.arange(start, len(self.practice), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.practice)


class TieStore:
    """Undirected weighted ties among people, stored sparsely (trust in [0, 1]).

    Used for cross-school ties between network members, formed at gatherings. Pairs are kept
    with ``a < b`` in sorted order of the key ``a * n + b`` so batches of contacts update
    existing ties by binary search and append new ones.
    """

    def __init__(self, n: int) -> None:
        self.n = int(n)
        self.key = np.empty(0, dtype=np.int64)
        self.a = np.empty(0, dtype=np.int64)   # lower row of each pair
        self.b = np.empty(0, dtype=np.int64)   # higher row of each pair
        self.trust = np.empty(0, dtype=np.float64)
        self.last_contact = np.empty(0, dtype=np.int32)
        self._degree: np.ndarray | None = None
        self._ends: np.ndarray | None = None
        self._n_linked = -1  # cached n_linked (-1: not known)

    def __len__(self) -> int:
        return int(self.key.size)

    def _set(self, key: np.ndarray, trust: np.ndarray, last_contact: np.ndarray) -> None:
        self.key, self.trust, self.last_contact = key, trust, last_contact
        self.a, self.b = key // self.n, key % self.n
        self._degree = self._ends = None
        self._n_linked = -1

    def ends(self) -> np.ndarray:
        """``a`` then ``b``: both ends of every tie (cached until ties are added or removed)."""
        if self._ends is None:
            self._ends = np.concatenate([self.a, self.b])
        return self._ends

    def degree(self) -> np.ndarray:
        """Number of ties of each person (cached until ties are added or removed)."""
        if self._degree is None:
            self._degree = (np.bincount(self.a, minlength=self.n)
                            + np.bincount(self.b, minlength=self.n))
        return self._degree

    def n_linked(self) -> int:
        """Number of people with any tie (cached with :meth:`degree`)."""
        if self._n_linked < 0:
            self._n_linked = int(np.count_nonzero(self.degree()))
        return self._n_linked

    def _keys(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        lo = np.minimum(i, j).astype(np.int64)
        hi = np.maximum(i, j).astype(np.int64)
        return lo * self.n + hi

    def lookup(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of each pair in the store and whether it exists."""
        keys = self._keys(np.asarray(i), np.asarray(j))
        idx = np.searchsorted(self.key, keys)
        idx_c = np.minimum(idx, max(self.key.size - 1, 0))
        found = (self.key.size > 0) & (self.key[idx_c] == keys) if self.key.size else \
            np.zeros(keys.shape, dtype=bool)
        return idx_c, found

    def get(self, i: np.ndarray, j: np.ndarray, default: float) -> np.ndarray:
        """Trust of each pair, ``default`` where no tie exists yet."""
        idx, found = self.lookup(i, j)
        out = np.full(np.shape(i), default, dtype=np.float64)
        if self.key.size:
            out[found] = self.trust[idx[found]]
        return out

    def ensure(self, i: np.ndarray, j: np.ndarray, initial: float, week: int) -> np.ndarray:
        """Create the ties that do not exist yet (trust ``initial``); return the pairs' indices
        (the merge: :func:`_ensure_ties`)."""
        i, j = np.asarray(i), np.asarray(j)
        if i.shape != j.shape:
            raise ValueError(f"pairs need as many i as j: {i.shape} and {j.shape}")
        n_new, key, trust, last_contact, a, b, idx = _ensure_ties(
            self.key, self.trust, self.last_contact, i.reshape(-1), j.reshape(-1), self.n,
            float(initial), int(week))
        if n_new:
            self.key, self.trust, self.last_contact, self.a, self.b = (key, trust, last_contact,
                                                                      a, b)
            self._degree = self._ends = None
            self._n_linked = -1
        return idx.reshape(i.shape)

    def put(self, key: np.ndarray, trust: np.ndarray, week: int) -> None:
        """Give the ties of the sorted keys ``key`` (``lo * n + hi``) the trust ``trust``,
        creating those that do not exist yet with last contact ``week``: what
        ``ensure(key // n, key % n, ..., week)`` and then setting their trust does, in one merge
        (:func:`_put_ties`; a speed trick: no re-sorting of keys already sorted, and the ends of
        the old ties are copied, not divided out again). Of repeated keys the last trust wins."""
        if not key.size:
            return
        ok, n_new, key2, trust2, last2, a2, b2 = _put_ties(
            self.key, self.trust, self.last_contact, self.a, self.b, key, trust, self.n,
            int(week))
        if not ok:  # not sorted: the general way
            at = self.ensure(key // self.n, key % self.n, 0.0, week)  # (may replace trust)
            self.trust[at] = trust
        elif n_new:
            self.key, self.trust, self.last_contact, self.a, self.b = key2, trust2, last2, a2, b2
            self._degree = self._ends = None
            self._n_linked = -1

    def remove_person(self, person: np.ndarray | int) -> None:
        """Delete every tie of the given people (they left)."""
        if not self.key.size:
            return
        gone = np.zeros(self.n, dtype=bool)  # who left: one look-up per tie end (the same
        gone[np.atleast_1d(person)] = True   # mask as np.isin, which sorts: 10x the time)
        keep = ~(gone[self.a] | gone[self.b])
        self._set(self.key[keep], self.trust[keep], self.last_contact[keep])

    def strong_degree(self, threshold: float) -> np.ndarray:
        """Number of ties at or above ``threshold`` per person."""
        strong = self.trust >= threshold
        return (np.bincount(self.a[strong], minlength=self.n)
                + np.bincount(self.b[strong], minlength=self.n))

    def matrix(self, min_trust: float = 0.0) -> sparse.csr_array:
        """Symmetric sparse matrix of trust for ties with trust >= ``min_trust``."""
        sel = self.trust >= min_trust
        a, b, w = self.a[sel], self.b[sel], self.trust[sel]
        return sparse.csr_array((np.concatenate([w, w]), (np.concatenate([a, b]),
                                 np.concatenate([b, a]))), shape=(self.n, self.n))


@kernel
def _ensure_ties(key: np.ndarray, trust: np.ndarray, last_contact: np.ndarray, i: np.ndarray,
                 j: np.ndarray, n: int, initial: float, week: int
                 ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                            np.ndarray]:
    """The pairs (``i[e]``, ``j[e]``) that have no tie yet are inserted into the sorted keys
    ``key`` (``lo * n + hi``) with trust ``initial`` and last contact ``week``.

    Returns the number of new ties; the new ``key``, ``trust``, ``last_contact``, ``a`` and
    ``b`` arrays (the inputs unchanged, and ``a``, ``b`` empty, when there is none); and the
    index of every pair in the keys. One merge of the sorted distinct new keys into the old
    ones (what ``np.insert`` at ``np.searchsorted`` positions gave).
    """
    m = i.size
    wanted = np.empty(m, dtype=np.int64)
    for e in range(m):
        lo, hi = min(i[e], j[e]), max(i[e], j[e])
        wanted[e] = np.int64(lo) * n + np.int64(hi)
    ordered = kernels.sort(wanted)
    new = np.empty(m, dtype=np.int64)
    n_new = 0
    pos = 0
    for e in range(m):
        x = ordered[e]
        if e > 0 and x == ordered[e - 1]:
            continue  # distinct
        while pos < key.size and key[pos] < x:
            pos += 1
        if pos == key.size or key[pos] != x:
            new[n_new] = x
            n_new += 1
    if n_new == 0:
        return 0, key, trust, last_contact, key[:0], key[:0], np.searchsorted(key, wanted)
    size = key.size + n_new
    key2 = np.empty(size, dtype=key.dtype)
    trust2 = np.empty(size, dtype=trust.dtype)
    last2 = np.empty(size, dtype=last_contact.dtype)
    old = fresh = 0
    for out in range(size):  # both sorted, none of the new already there
        if fresh < n_new and (old == key.size or new[fresh] < key[old]):
            key2[out], trust2[out], last2[out] = new[fresh], initial, week
            fresh += 1
        else:
            key2[out], trust2[out], last2[out] = key[old], trust[old], last_contact[old]
            old += 1
    return (n_new, key2, trust2, last2, key2 // n, key2 % n, np.searchsorted(key2, wanted))


@kernel
def _put_ties(key: np.ndarray, trust: np.ndarray, last_contact: np.ndarray, a: np.ndarray,
              b: np.ndarray, new_key: np.ndarray, new_trust: np.ndarray, n: int, week: int
              ) -> tuple[bool, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The merge of :meth:`TieStore.put`. Returns whether ``new_key`` was sorted (if not,
    nothing is changed), the number of keys not in ``key`` and, when there are any, the merged
    ``key``, ``trust``, ``last_contact``, ``a`` and ``b`` (else the trust of the existing ties
    is written in place and the inputs are returned; the old arrays are left as they were
    when there are new ones, as ``ensure`` leaves them)."""
    m = new_key.size
    for e in range(1, m):
        if new_key[e] < new_key[e - 1]:
            return False, 0, key, trust, last_contact, a, b
    n_new = 0
    pos = 0
    for e in range(m):
        x = new_key[e]
        if e + 1 < m and new_key[e + 1] == x:
            continue  # repeated: the last one counts
        while pos < key.size and key[pos] < x:
            pos += 1
        if pos == key.size or key[pos] != x:
            n_new += 1
    if n_new == 0:  # existing ties only: their trust written in place
        pos = 0
        for e in range(m):
            x = new_key[e]
            while key[pos] < x:
                pos += 1
            trust[pos] = new_trust[e]  # of repeated keys, the last written wins
        return True, 0, key, trust, last_contact, a, b
    size = key.size + n_new
    key2 = np.empty(size, dtype=key.dtype)
    trust2 = np.empty(size, dtype=trust.dtype)
    last2 = np.empty(size, dtype=last_contact.dtype)
    a2 = np.empty(size, dtype=a.dtype)
    b2 = np.empty(size, dtype=b.dtype)
    old = 0
    out = 0
    for e in range(m):
        x = new_key[e]
        if e + 1 < m and new_key[e + 1] == x:
            continue
        while old < key.size and key[old] < x:
            key2[out], trust2[out], last2[out] = key[old], trust[old], last_contact[old]
            a2[out], b2[out] = a[old], b[old]
            old += 1
            out += 1
        if old < key.size and key[old] == x:  # an existing tie: its new trust
            key2[out], trust2[out], last2[out] = x, new_trust[e], last_contact[old]
            a2[out], b2[out] = a[old], b[old]
            old += 1
        else:
            key2[out], trust2[out], last2[out] = x, new_trust[e], week
            a2[out], b2[out] = x // n, x % n
        out += 1
    while old < key.size:
        key2[out], trust2[out], last2[out] = key[old], trust[old], last_contact[old]
        a2[out], b2[out] = a[old], b[old]
        old += 1
        out += 1
    return True, n_new, key2, trust2, last2, a2, b2


@kernel
def _codified_bonus(codified: np.ndarray, practices: np.ndarray, versions: np.ndarray,
                    conformity: float) -> np.ndarray:
    """:meth:`State.set_codified` in one call: writes ``versions`` into ``codified`` at
    ``practices`` (the last of repeated practices wins) and returns the bonus table."""
    for i in range(practices.size):
        codified[practices[i]] = versions[i]
    top = -1
    for c in codified:
        top = max(top, c)
    bonus = np.zeros(top + 3 if top >= 0 else 1)
    for c in codified:
        if c >= 0:
            bonus[c + 1] = conformity
    return bonus


@dataclass(frozen=True)
class Groups:
    """Who is present in which group: masks and rows the weekly mechanisms share.

    Derived from ``role``, ``member`` and ``school`` (fixed in a run) and ``present`` (changes
    when a key person leaves or is replaced); :meth:`State.groups` recomputes it whenever any of
    them changed, in place or by assignment.
    """

    all_present: bool
    staff: np.ndarray             # mask: present school staff (not facilitators)
    staff_slots: np.ndarray       # staff repeated per practice: a mask of flat (person, practice)
    member_staff: np.ndarray      # mask: present members who are staff
    colleague_staff: np.ndarray   # mask: present staff who are not members
    members: np.ndarray           # rows of member_staff
    resource_teachers: np.ndarray  # rows of present resource teachers
    n_facilitators: int           # present facilitators
    school_staff: np.ndarray      # mask: present staff with a school
    school_rows: np.ndarray       # rows of school_staff
    school_of_staff: np.ndarray   # school of each person in school_staff
    school_size: np.ndarray       # present staff per school


@dataclass
class State:
    """All agent state of one run, one row per person, one column per practice."""

    # people
    role: np.ndarray            # int8, Role
    school: np.ndarray          # int32, -1 for facilitators
    member: np.ndarray          # bool, network member (attends gatherings)
    area: np.ndarray            # int32, education area / meeting group, -1 if none
    motivation: np.ndarray      # float, [0, 1]
    intrinsic: np.ndarray       # float, [0, 1] person's own interest (baseline)
    resistant: np.ndarray       # bool, resists new practice (seed 001 §5.2.5)
    trait: np.ndarray           # float, [0, 1] position used for homophily and group diversity
    present: np.ndarray         # bool, a person occupies the row (False after dissolution)
    # person x practice
    knowledge: np.ndarray       # float, explicit know-what [0, 1]
    know_how: np.ndarray        # float, [0, 1] from trials
    inspiration: np.ndarray     # float, [0, 1]
    stage: np.ndarray           # int8, Stage
    version: np.ndarray         # int64, version id held (-1 none)
    quality: np.ndarray         # float, true quality of the held version (0 if none)
    trial_support: np.ndarray   # float, support for the current trial [0, 1]
    cocreation_group: np.ndarray  # int64, co-creation group id per person (-1 none)
    # practices
    effectiveness: np.ndarray   # float, true effectiveness of the reference version
    difficulty: np.ndarray      # float, implementation difficulty
    expert_known: np.ndarray    # bool, facilitators can present it as expert input
    # schools
    leader: np.ndarray          # int64 row of each school's leader (-1 if none)
    alignment: np.ndarray       # float, leader's alignment with the resource teacher
    leader_attended: np.ndarray  # bool, leader attended the last gathering
    # ties
    colleagues: sparse.csr_array  # collegial ties inside schools, data = trust
    member_ties: TieStore         # cross-school member ties with trust
    versions: Versions = field(default_factory=Versions)
    group_distance: np.ndarray = field(default_factory=lambda: np.empty(0))  # per co-creation group
    # perceived quality of the held version (person x practice): what the person believes,
    # from their own trials and others' reports; decisions use it, never ``quality``
    perceived: np.ndarray | None = None
    # per practice: the network's codified version (the plan and booklet; -1 none) and the
    # perceived-quality bonus a person gives it when hearing of it (conformity)
    codified: np.ndarray | None = None
    conformity: float = 0.0
    # per practice: the quality research claims for the reference version (expert input)
    claimed: np.ndarray | None = None
    # per person: the practice chosen in the gathering's "what will you take back" step (-1)
    take_back: np.ndarray | None = None
    # per person: schools guided so far (the coordinators' relations to schools)
    guided: np.ndarray | None = None
    # per school: the practice its needs analysis names (-1 none)
    need: np.ndarray | None = None
    # per person: school form / stage of their school (0 preschool .. 3 upper secondary)
    form: np.ndarray | None = None
    base_group: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # per person
    _colleague_rows: np.ndarray | None = field(default=None, repr=False)
    _colleague_degree: np.ndarray | None = field(default=None, repr=False)
    _groups: Groups | None = field(default=None, repr=False)
    _groups_key: tuple[np.ndarray, ...] = field(default=(), repr=False)
    # conformity bonus by version id + 1 (slot 0: no version; last slot 0 for newer versions)
    _bonus: np.ndarray = field(default_factory=lambda: np.zeros(1), repr=False)

    def __post_init__(self) -> None:
        # mechanisms write through flat views (``x.reshape(-1)``) of the person x practice
        # arrays, which are views only for C-contiguous arrays
        if self.perceived is None:
            self.perceived = self.quality.copy()
        if self.codified is None:
            self.codified = np.full(self.effectiveness.size, -1, dtype=np.int64)
        if self.claimed is None:
            self.claimed = self.effectiveness.copy()
        if self.take_back is None:
            self.take_back = np.full(self.role.size, -1, dtype=np.int64)
        if self.guided is None:
            self.guided = np.zeros(self.role.size, dtype=np.int64)
        if self.need is None:
            self.need = np.full(self.leader.size, -1, dtype=np.int64)
        if self.form is None:
            self.form = np.zeros(self.role.size, dtype=np.int64)
        for name in ("knowledge", "know_how", "inspiration", "stage", "version", "quality",
                     "trial_support", "perceived"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name)))

    def groups(self) -> Groups:
        """The present groups (:class:`Groups`), recomputed only when who is where changed."""
        # the contents, not just the identity, of the arrays it derives from: the model
        # changes ``present`` in place when a key person leaves or is replaced, and a notebook
        # or a test may change role, member or school in place. Each array is compared with a
        # copy of what it held when the groups were derived (one compiled pass: about 1 us for
        # the default scenario, 30 us at 100,000 people, where comparing copies of their bytes
        # took 500 us), so no caller has to say it changed them
        key = self._groups_key
        if self._groups is None or not _unchanged(self.present, self.role, self.member,
                                                  self.school, *key):
            staff = (self.role != FACILITATOR) & self.present
            member_staff = staff & self.member
            school_staff = staff & (self.school >= 0)
            school_of_staff = self.school[school_staff]
            self._groups = Groups(
                all_present=bool(self.present.all()),
                staff=staff,
                staff_slots=np.repeat(staff, self.n_practices),
                member_staff=member_staff,
                colleague_staff=staff & ~self.member,
                members=flatnonzero(member_staff),
                resource_teachers=flatnonzero((self.role == RESOURCE_TEACHER) & self.present),
                n_facilitators=int(np.count_nonzero((self.role == FACILITATOR) & self.present)),
                school_staff=school_staff,
                school_rows=flatnonzero(school_staff),
                school_of_staff=school_of_staff,
                school_size=np.bincount(school_of_staff, minlength=self.n_schools),
            )
            for value in vars(self._groups).values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False
            self._groups_key = (self.present.copy(), self.role.copy(), self.member.copy(),
                                self.school.copy())
        return self._groups

    def colleague_rows(self) -> np.ndarray:
        """Row (person) of each stored collegial tie entry, aligned with ``colleagues.indices``."""
        col = self.colleagues
        if self._colleague_rows is None or self._colleague_rows.size != col.nnz:
            self._colleague_degree = np.diff(col.indptr)
            self._colleague_rows = np.repeat(np.arange(col.shape[0]), self._colleague_degree)
        return self._colleague_rows

    def colleague_degree(self) -> np.ndarray:
        """Number of collegial ties of each person."""
        self.colleague_rows()
        return self._colleague_degree

    @property
    def n_people(self) -> int:
        return int(self.role.size)

    @property
    def n_practices(self) -> int:
        return int(self.effectiveness.size)

    @property
    def n_schools(self) -> int:
        return int(self.leader.size)

    @property
    def staff(self) -> np.ndarray:
        """Mask of school staff (everyone but facilitators) who are present."""
        return (self.role != FACILITATOR) & self.present

    def adopted_any(self) -> np.ndarray:
        """Mask of people who have adopted at least one practice."""
        return (self.stage == ADOPTED).any(axis=1)

    def set_codified(self, practices: np.ndarray, versions: np.ndarray) -> None:
        """Make ``versions`` the codified versions of ``practices`` (see :meth:`learn_versions`)."""
        self._bonus = _codified_bonus(self.codified, np.asarray(practices, dtype=np.int64),
                                      np.asarray(versions, dtype=np.int64),
                                      float(self.conformity))

    def learn_versions(self, people: np.ndarray, practices: np.ndarray,
                       versions: np.ndarray, qualities: np.ndarray,
                       perceived: np.ndarray | None = None) -> None:
        """People hear of versions: unaware become aware; a better version replaces a worse one.

        ``qualities`` are the versions' true qualities (stored, used by trials) and
        ``perceived`` what the source reports (default: the true values). A version replaces
        the one a person holds only when it is reported clearly better (by ``SWITCH_MARGIN``)
        than the person's own perceived quality: people judge versions by reports, never by
        their true quality, and keep what works for them unless the difference is evident
        (modelling choice). The network's codified version of a practice (``codified``, the
        plan and booklet) is heard with a bonus ``conformity`` (seed 001 §5.2.6 "what the
        municipality wants"; seed 002 §2.3 "a certain degree of unanimity"). A person who had
        dropped a practice reconsiders (back to aware) on such a clearly better version. Pairs
        may repeat; the best reported wins.
        """
        if people.size:
            self.learn_versions_flat(people * self.n_practices + practices, versions, qualities,
                                     perceived)

    def learn_versions_flat(self, flat: np.ndarray, versions: np.ndarray,
                            qualities: np.ndarray, perceived: np.ndarray | None = None) -> None:
        """:meth:`learn_versions` for flat indices ``person * n_practices + practice`` into the
        (people x practices) arrays (the rule itself: :func:`hear_versions`)."""
        if flat.size:
            reported = qualities if perceived is None else perceived
            if not flat.size == versions.size == qualities.size == reported.size:
                raise ValueError(f"one version, quality and report per entry: {flat.size} "
                                 f"entries, {versions.size} versions, {qualities.size} "
                                 f"qualities, {reported.size} reports")
            hear_versions(flat, versions, qualities, reported, self._bonus, SWITCH_MARGIN,
                          self.version, self.quality, self.perceived, self.stage)


@kernel
def hear_versions(flat: np.ndarray, versions: np.ndarray, qualities: np.ndarray,
                  reported: np.ndarray, bonus: np.ndarray, margin: float, version: np.ndarray,
                  quality: np.ndarray, perceived: np.ndarray, stage: np.ndarray) -> None:
    """People hear of versions (the rule of :meth:`State.learn_versions`), as one loop.

    Entry ``e`` reports version ``versions[e]`` (true quality ``qualities[e]``, reported quality
    ``reported[e]``) to the flat (person, practice) slot ``flat[e]`` of the (people x
    practices) arrays ``version``, ``quality``, ``perceived`` and ``stage``. It is judged at
    ``reported[e] + bonus[versions[e] + 1]`` (the conformity bonus of codified versions; the
    index clipped into ``bonus``) and taken when the person is unaware of the practice, or is
    not trying it and the judged quality beats their own perceived quality by more than
    ``margin``. Every decision looks at the state before any entry is applied; the entries
    taken are then applied in rising judged quality (ties in input order), so of repeated
    slots the best judged entry wins, the last of equals (what NumPy's stable argsort and
    last-write-wins fancy assignment did; only the winner of each slot matters, and it is
    found without sorting). The unaware, and those who had dropped the practice, become aware.

    Compiled (:mod:`netsim.kernels`); other kernels call it to fuse hearing into their loops
    (:mod:`netsim.mechanisms.digital`). Collegial talk applies this rule entry by entry inside
    its exchange loop (``collegial_talk._exchange``: each receiver's entries come together
    there, so each slot's winner is kept as the entries pass, without this table); a change
    of the rule here must be made there too (tests/mechanisms/test_talk_digital_loops.py
    compares both with the vectorised rule).
    """
    ver, qual = version.reshape(-1), quality.reshape(-1)
    own, stg = perceived.reshape(-1), stage.reshape(-1)
    m = flat.size
    last = bonus.size - 1
    judged = np.empty(m)
    take = np.empty(m, dtype=np.int64)
    k = 0
    for e in range(m):
        j = reported[e]
        if last > 0:  # only codified versions get a bonus (none: judged is the report)
            b = min(max(versions[e] + 1, 0), last)
            j = reported[e] + bonus[b]
        judged[e] = j
        s = flat[e]
        st = stg[s]
        take[k] = e  # kept when taken (no branch to mispredict)
        k += (st == UNAWARE) | ((j > own[s] + margin) & (st != TRYING))
    if k == 0:
        return
    ordered = True  # slots taken in rising order (one reader each, say): no table needed
    for i in range(1, k):
        if flat[take[i]] < flat[take[i - 1]]:
            ordered = False
            break
    if ordered:  # each slot's entries are adjacent: the winner of each run, in place
        n_win = 0
        for i in range(k):
            e = take[i]
            if n_win > 0 and flat[take[n_win - 1]] == flat[e]:
                if not _sorts_before(judged[e], judged[take[n_win - 1]]):
                    take[n_win - 1] = e  # later in the stable order: applied after, so wins
            else:
                take[n_win] = e
                n_win += 1
    else:
        n_win = _winners_by_table(flat, judged, take, k)
    # read every winner's values before writing any (inputs may be views of the state)
    new_v = np.empty(n_win, dtype=versions.dtype)
    new_q = np.empty(n_win, dtype=qualities.dtype)
    new_r = np.empty(n_win, dtype=reported.dtype)
    for i in range(n_win):
        e = take[i]
        new_v[i], new_q[i], new_r[i] = versions[e], qualities[e], reported[e]
    for i in range(n_win):
        s = flat[take[i]]
        ver[s] = new_v[i]
        qual[s] = new_q[i]
        own[s] = new_r[i]
        if stg[s] == UNAWARE or stg[s] == DROPPED:
            stg[s] = AWARE


@kernel
def _winners_by_table(flat: np.ndarray, judged: np.ndarray, take: np.ndarray, k: int) -> int:
    """The winner of each slot among the entries ``take[:k]`` (see :func:`hear_versions`),
    written to the front of ``take``; returns how many. A small open-addressing table, slot ->
    entry (a speed trick: O(k) instead of sorting the k entries taken)."""
    size = 2
    while size < 2 * k:
        size *= 2
    mask = size - 1
    table_slot = np.full(size, -1, dtype=np.int64)
    table_entry = np.empty(size, dtype=np.int64)
    for i in range(k):
        e = take[i]
        s = flat[e]
        h = (s * 2654435761) & mask  # Knuth's multiplicative hash
        while table_slot[h] != -1 and table_slot[h] != s:
            h = (h + 1) & mask
        if table_slot[h] == -1:
            table_slot[h] = s
            table_entry[h] = e
        elif not _sorts_before(judged[e], judged[table_entry[h]]):
            table_entry[h] = e  # later in the stable order: applied after, so it wins
    n_win = 0
    for h in range(size):
        if table_slot[h] != -1:
            take[n_win] = table_entry[h]
            n_win += 1
    return n_win


@kernel
def _sorts_before(x: float, y: float) -> bool:
    """Whether NumPy's ascending sort puts ``x`` strictly before ``y`` (NaN sorts last)."""
    return x < y or (y != y and x == x)


@kernel
def _unchanged(present: np.ndarray, role: np.ndarray, member: np.ndarray, school: np.ndarray,
               was_present: np.ndarray, was_role: np.ndarray, was_member: np.ndarray,
               was_school: np.ndarray) -> bool:
    """Whether each of the four arrays holds the values of its copy (same sizes): what
    :meth:`State.groups` derives from has not changed. No early exit, so each comparison
    compiles to vector instructions."""
    if (present.size != was_present.size or role.size != was_role.size
            or member.size != was_member.size or school.size != was_school.size):
        return False
    differ = False
    for i in range(present.size):
        differ |= present[i] != was_present[i]
    for i in range(role.size):
        differ |= role[i] != was_role[i]
    for i in range(member.size):
        differ |= member[i] != was_member[i]
    for i in range(school.size):
        differ |= school[i] != was_school[i]
    return not differ

"""The vectorised set-up code that compiled loops replaced (issue 14), kept as references.

Copied from the last revision before the loops (population.collegial_ties,
metrics.innovations; metrics._practice_convergence before the bit sets, run as Python): the
tests build with the new code and the reference from the same random stream (or measure the
same state) and require the same bits. Not used by netsim itself.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from netsim.metrics import _numpy_sum, _schools_per_value
from netsim.population import sorted_unique
from netsim.state import ADOPTED, SWITCH_MARGIN, Origin, State


def collegial_ties(school: np.ndarray, degree: int, rewire_prob: float, trust_mean: float,
                   rng: np.random.Generator, order_key: np.ndarray | None = None
                   ) -> sparse.csr_array:
    """Clustered collegial ties inside each school (a Watts-Strogatz graph per school).

    People of a school are placed on a ring (in the order of ``order_key`` if given, else at
    random) and tied to their ``degree // 2`` nearest neighbours on each side; each tie is then
    rewired with probability ``rewire_prob`` to a random colleague in the same school. Ties
    carry a trust weight drawn uniformly in ``trust_mean ± 0.2`` (clipped to [0.05, 1]).
    People with ``school < 0`` get no collegial ties.

    References:
        Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks.
        Nature 393, 440-442.
    """
    n = school.size
    staff = np.flatnonzero(school >= 0)
    if staff.size == 0 or degree == 0:
        return sparse.csr_array((n, n))
    key = order_key[staff] if order_key is not None else rng.random(staff.size)
    ordered = staff[np.lexsort((key, school[staff]))]
    sch = school[ordered]
    sizes = np.bincount(sch, minlength=int(sch.max()) + 1)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    size_of = sizes[sch]
    pos = np.arange(ordered.size) - start[sch]
    half = degree // 2
    src_l, dst_l = [], []
    for d in range(1, half + 1):
        ok = size_of > d  # ring needs more than d people
        # avoid double edges on tiny rings where i+d == i-d (mod s)
        ok &= ~((2 * d == size_of) & (pos >= d))
        tgt_pos = (pos + d) % np.maximum(size_of, 1)
        src_l.append(np.flatnonzero(ok))
        dst_l.append((start[sch] + tgt_pos)[ok])
    src = np.concatenate(src_l)
    dst = np.concatenate(dst_l)
    if rewire_prob > 0 and src.size:
        rew = rng.random(src.size) < rewire_prob
        s_sizes = size_of[src[rew]]
        new = start[sch[src[rew]]] + rng.integers(0, s_sizes)
        dst = dst.copy()
        dst[rew] = new
    keep = src != dst
    a, b = ordered[src[keep]], ordered[dst[keep]]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = sorted_unique(lo.astype(np.int64) * n + hi)
    lo, hi = keys // n, keys % n
    w = np.clip(trust_mean + rng.uniform(-0.2, 0.2, keys.size), 0.05, 1.0)
    mat = sparse.coo_array((np.concatenate([w, w]), (np.concatenate([lo, hi]),
                            np.concatenate([hi, lo]))), shape=(n, n))
    return mat.tocsr()




def innovations(state: State) -> tuple[int, int]:
    """Innovations at the end of a run: (all, co-created).

    An innovation is a version created during the run that is clearly better than the version
    it was adapted from (by :data:`netsim.state.SWITCH_MARGIN`) and is in use at two or more
    schools: new practice that spread beyond its origin (seed 001 §5.2.4: a pupil-council
    seminar from 4 schools adapted by 3 more; §6.3.1).
    """
    v = state.versions
    if len(v) == 0:
        return 0, 0
    quality = np.asarray(v.quality)
    parent = np.asarray(v.parent)
    origin = np.asarray(v.origin)
    improved = (parent >= 0) & (origin != Origin.INITIAL)
    improved[improved] = quality[improved] > quality[parent[improved]] + SWITCH_MARGIN
    staff = state.staff & (state.school >= 0)
    # textbook adoption rules adopt without a version (-1): they hold no innovation
    adopted = (state.stage == ADOPTED) & staff[:, None] & (state.version >= 0)
    held = state.version[adopted]
    if held.size == 0:
        return 0, 0
    schools = np.zeros(len(v), dtype=np.int64)  # distinct schools using each version
    _schools_per_value(held, np.broadcast_to(state.school[:, None], adopted.shape)[adopted],
                       held.size, max(state.n_schools, 1), schools)
    spread = improved & (schools >= 2)
    return int(spread.sum()), int((spread & (origin == Origin.COCREATION)).sum())


def _practice_convergence(stage: np.ndarray, school: np.ndarray, staff: np.ndarray,
                          n_schools: int) -> float:
    """:func:`practice_convergence` on the flat stage array: the Jaccard similarity of every
    pair of schools using any practice (in NumPy's ``triu_indices`` order), then their mean."""
    n = staff.size
    k = stage.size // n if n else 0
    used = np.zeros((n_schools, k), dtype=np.bool_)
    for i in range(n):
        if staff[i]:
            for p in range(k):
                if stage[i * k + p] == ADOPTED:
                    used[school[i], p] = True
    rows = np.empty(n_schools, dtype=np.int64)  # schools using any practice
    count = np.empty(n_schools, dtype=np.int64)  # practices each uses
    m = 0
    for s in range(n_schools):
        c = 0
        for p in range(k):
            c += used[s, p]
        if c:
            rows[m], count[m] = s, c
            m += 1
    if m < 2:
        return np.nan
    similarity = np.empty(m * (m - 1) // 2)
    t = 0
    for a in range(m):
        for b in range(a + 1, m):
            shared = 0
            for p in range(k):
                shared += used[rows[a], p] & used[rows[b], p]
            similarity[t] = shared / (count[a] + count[b] - shared)
            t += 1
    return _numpy_sum(similarity, t) / t

"""Where netsim's speed tricks live: compiled loops for the weekly rules.

A weekly mechanism states its rule in its own module (:mod:`netsim.mechanisms`), as a loop over
the people, ties or slots it concerns. Loops that run every week are compiled with
:func:`kernel` (Numba, https://numba.pydata.org): NumPy's per-call overhead on the default
scenario's small arrays (about 1,250 people x 6 practices), not arithmetic, was where a week's
time went (issue 14). This module is the one place that says how they are compiled and which
rules every compiled loop keeps; mechanisms only put ``@kernel`` on their loops.

Rules for every kernel (each keeps results bit-identical to the vectorised NumPy rule it
replaced, and a replicate's results independent of what else runs in the process):

1. **Random draws come from the run's generator, in the rule's order.** By default mechanisms
   draw from the run's ``numpy.random.Generator`` outside the kernel (``rng.random(n)`` and
   friends) and pass the draws in, so that a kernel is a pure function of its inputs, testable
   on a hand-built case. A kernel may instead take the generator itself and draw inside:
   Numba's ``Generator`` methods are translations of NumPy's algorithms on the same bit
   generator, so they give the same numbers and leave the same generator state (tested for
   ``random``, ``standard_normal``, ``integers``, ``shuffle``, including the buffered 32-bit
   halves, in ``tests/mechanisms/test_trial.py`` and ``test_digital_week.py``). Handing a
   generator to a kernel costs 15-50 us a call (Numba unboxes it through ctypes: three
   ``ctypes.cast`` calls each time), so a kernel that draws takes a :func:`generator_handle`
   instead (about 1 us: the generator unboxed once per run and kept in a small compiled
   structure; ``handle.rng`` inside the kernel is the run's generator, drawing from and
   advancing the same state as ``rng`` in Python). Only a kernel that runs a mechanism's
   whole week once draws inside (``trial._week``, ``digital._week``); each says so, and its
   test ends by comparing the generator state with the NumPy rule's.
2. **IEEE arithmetic, in order.** No ``fastmath``: sums accumulate in the order NumPy's
   ``bincount`` used (input order); sums and means that NumPy takes pairwise (``x.sum()``,
   ``x.mean(axis=...)``) and whose value decides something are taken by :func:`numpy_sum` in
   NumPy's own order. Counters summed in a plain loop may differ from NumPy's pairwise sum in
   the last bit; they only feed the reported counters, never the state. No recursion: Numba's
   disk cache cannot hold recursive functions (they crash when loaded from it).
3. **No hidden state.** Kernels write only the arrays passed in; nothing global, nothing cached
   between calls except the compiled code.
4. **Compiled once, on disk.** ``cache=True`` stores the machine code beside the source
   (``__pycache__``), so compilation (about 40 s, on the first run on a machine) stays out of
   every later run on that machine and in every worker process of a sweep. Numba alone would
   key a kernel's cache on its own file only, so a kernel that calls a kernel of another module
   (``state.hear_versions``, ``distance.background_distance_of``) would keep running the old
   callee after that module changed. :class:`_PackageStampLocator` keys every netsim kernel's
   cache on the contents of all of netsim's source files instead: any change to netsim's
   sources recompiles its kernels once, a checkout or touch that leaves their contents as they
   were does not.
5. **No quicksort.** Numba's ``np.sort``, ``np.unique`` and default ``np.argsort`` are a
   quicksort that takes quadratic time on sorted input with a few entries appended (0.7 s for
   125,000 sorted ids plus one, at 100,000 people; 0.006 s by merge sort), which is what the
   weekly loops meet: sorted ids and keys with a few new ones. Kernels sort with
   :func:`sort`, :func:`unique` and :func:`argsort` here (merge sort: stable,
   O(n log n) whatever the order).
6. **Debugging**: with the environment variable ``NUMBA_DISABLE_JIT=1`` every kernel runs as
   the plain Python loop it is written as (slowly, with the same results): step through a rule
   in a debugger or measure its coverage that way.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numba
import numpy as np
from numba import types
from numba.core import caching
from numba.experimental import structref

__all__ = ["GeneratorHandle", "argsort", "generator_handle", "kernel", "numpy_sum", "sort",
           "unique"]

F = TypeVar("F", bound=Callable[..., Any])

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def _sources_digest() -> str:
    """SHA-256 of every netsim source file (path and contents), computed once per process."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _PackageStampLocator(caching.InTreeCacheLocator):
    """Numba's in-tree cache (``__pycache__`` beside the source) for netsim's kernels, stamped
    with :func:`_sources_digest` instead of the one file's modification time (rule 4 above).
    Functions outside netsim, and read-only installs, fall through to Numba's own locators."""

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if not Path(py_file).resolve().is_relative_to(_PACKAGE):
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self) -> Any:
        return _sources_digest()


if _PackageStampLocator not in caching.CacheImpl._locator_classes:
    caching.CacheImpl._locator_classes.insert(0, _PackageStampLocator)


def kernel(fn: F) -> F:
    """Compile a weekly loop (see the module docstring for the rules it must keep).

    ``nopython`` mode (no Python objects inside), machine code cached on disk, no ``fastmath``
    (IEEE results, the same as NumPy's), bounds not checked (the mechanisms pass indices they
    built themselves; run with ``NUMBA_BOUNDSCHECK=1`` to check them), the GIL released so a
    threaded launcher could run replicates side by side.
    """
    return numba.njit(cache=True, nogil=True, fastmath=False)(fn)  # type: ignore[no-any-return]


@structref.register
class _GeneratorHandleType(types.StructRef):
    """Numba's type of :class:`GeneratorHandle` (one field, ``rng``: a NumPy Generator)."""

    def preprocess_fields(self, fields: Any) -> Any:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class GeneratorHandle(structref.StructRefProxy):
    """A run's ``numpy.random.Generator``, unboxed once for kernels (rule 1; a speed trick).

    Numba converts a Generator argument into its own structure on every call, through
    ``ctypes`` (15-50 us measured on this project's machines, as much as the loop of a small
    kernel); a handle is converted once, by :func:`generator_handle`, and costs a kernel about
    1 us to receive. Inside a kernel ``handle.rng`` is the same generator: its draws come from
    and advance the bit generator's own state, which Python's ``rng`` shares, so draws made in
    Python and in kernels interleave as if all were made in Python."""


structref.define_proxy(GeneratorHandle, _GeneratorHandleType, ["rng"])


@kernel
def _hold(rng: np.random.Generator) -> GeneratorHandle:
    return GeneratorHandle(rng)


class _PlainHandle:
    """What :func:`generator_handle` gives when kernels run as plain Python: ``rng`` only."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng


#: the last generator a handle was made for, and its handle (a tuple replaced whole, so that
#: threads running replicates side by side never pair one run's generator with another's handle)
_LAST_HANDLE: tuple[Any, Any] = (None, None)


def generator_handle(rng: np.random.Generator) -> GeneratorHandle:
    """The handle kernels draw through for ``rng`` (see :class:`GeneratorHandle`).

    The handle of the last generator asked for is kept, so a run's weekly calls convert its
    generator once; asking for another generator (another run) makes that one's handle. It
    keeps a reference to ``rng`` (the generator stays alive while its handle is the last)."""
    global _LAST_HANDLE
    last = _LAST_HANDLE
    if last[0] is not rng:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"a numpy.random.Generator, not {type(rng).__name__}")
        # with NUMBA_DISABLE_JIT=1 (rule 6) kernels are plain Python, which only reads
        # ``handle.rng``, and a structref proxy cannot be built (its constructor recurses)
        last = (rng, _PlainHandle(rng) if numba.config.DISABLE_JIT else _hold(rng))
        _LAST_HANDLE = last
    return last[1]  # type: ignore[no-any-return]


@kernel
def argsort(values: Any) -> Any:
    """``np.argsort(values, kind="stable")`` in a kernel (merge sort; rule 5)."""
    return np.argsort(values, kind="mergesort")


@kernel
def sort(values: Any) -> Any:
    """``np.sort(values)`` in a kernel (merge sort; rule 5)."""
    return values[np.argsort(values, kind="mergesort")]


@kernel
def unique(values: Any) -> Any:
    """``np.unique(values)`` of a 1-d array in a kernel (merge sort; rule 5)."""
    ordered = values[np.argsort(values, kind="mergesort")]
    out = np.empty_like(ordered)
    n = 0
    for i in range(ordered.size):
        if i == 0 or ordered[i] != ordered[i - 1]:
            out[n] = ordered[i]
            n += 1
    return out[:n]


@kernel
def _pairwise_block(a: np.ndarray, start: int, n: int, stride: int) -> float:
    """NumPy's pairwise summation of at most 128 values (see :func:`numpy_sum`)."""
    if n < 8:
        res = -0.0
        for t in range(n):
            res += a[start + t * stride]
        return res
    r0 = a[start]
    r1 = a[start + stride]
    r2 = a[start + 2 * stride]
    r3 = a[start + 3 * stride]
    r4 = a[start + 4 * stride]
    r5 = a[start + 5 * stride]
    r6 = a[start + 6 * stride]
    r7 = a[start + 7 * stride]
    t = 8
    while t < n - n % 8:
        b = start + t * stride
        r0 += a[b]
        r1 += a[b + stride]
        r2 += a[b + 2 * stride]
        r3 += a[b + 3 * stride]
        r4 += a[b + 4 * stride]
        r5 += a[b + 5 * stride]
        r6 += a[b + 6 * stride]
        r7 += a[b + 7 * stride]
        t += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while t < n:
        res += a[start + t * stride]
        t += 1
    return res


@kernel
def numpy_sum(a: np.ndarray, start: int, n: int, stride: int) -> float:
    """Sum of ``a[start + t * stride]`` for ``t < n`` in NumPy's own order.

    NumPy sums along an axis by pairwise summation (``pairwise_sum`` in numpy/_core/src/umath/
    loops_utils.h.src): fewer than 8 values left to right; up to 128 in eight interleaved
    partial sums combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the
    rest left to right; more are split in two halves (the first a multiple of 8) summed the
    same way and added. Reproducing it keeps sums, and the comparisons and orders made from
    them, bit-identical to ``x.sum(axis=...)`` and ``x.mean(axis=...)``. The halving is a loop
    over an explicit stack (Numba's on-disk cache cannot hold recursive functions).
    """
    if n <= 128:
        return _pairwise_block(a, start, n, stride)
    depth = 64  # halving 2**63 values takes fewer levels
    s_start = np.empty(depth, dtype=np.int64)
    s_n = np.empty(depth, dtype=np.int64)
    s_left = np.empty(depth)
    s_state = np.empty(depth, dtype=np.int64)  # 0: new, 1: left half under way, 2: right half
    top = 0
    s_start[0], s_n[0], s_state[0] = start, n, 0
    result = 0.0
    while top >= 0:
        if s_state[top] == 0 and s_n[top] > 128:
            half = s_n[top] // 2
            half -= half % 8
            s_state[top] = 1
            top += 1
            s_start[top], s_n[top], s_state[top] = s_start[top - 1], half, 0
            continue
        result = _pairwise_block(a, s_start[top], s_n[top], stride)  # a half of <= 128
        top -= 1
        while top >= 0:  # hand the finished half to its parent
            if s_state[top] == 1:
                s_left[top] = result
                s_state[top] = 2
                half = s_n[top] // 2
                half -= half % 8
                top += 1
                s_start[top] = s_start[top - 1] + half * stride
                s_n[top], s_state[top] = s_n[top - 1] - half, 0
                break
            result = s_left[top] + result
            top -= 1
    return result

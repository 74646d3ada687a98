"""The helpers of netsim.kernels: the sorts kernels use, and the disk-cache stamp."""

from __future__ import annotations

import numpy as np
import pytest

from netsim import kernels


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    sorted_plus = np.concatenate((np.arange(5000), [2500, 17, 4999]))  # Numba's bad case
    return [np.empty(0, dtype=np.int64), np.array([3]), rng.integers(0, 50, 1000),
            sorted_plus, np.full(300, 7), np.arange(400)[::-1].copy(),
            rng.random(800), np.concatenate((np.linspace(0, 1, 500), [0.25]))]


@pytest.mark.parametrize("values", _cases(), ids=lambda v: f"{v.dtype}-{v.size}")
def test_sorts_equal_numpy(values: np.ndarray) -> None:
    np.testing.assert_array_equal(kernels.sort(values), np.sort(values))
    np.testing.assert_array_equal(kernels.unique(values), np.unique(values))
    np.testing.assert_array_equal(kernels.argsort(values), np.argsort(values, kind="stable"))


def test_cache_stamp_covers_every_netsim_source() -> None:
    """A kernel's cache is keyed on all netsim sources, so editing a module that a kernel calls
    into recompiles the caller; functions outside netsim keep Numba's own locators."""
    digest = kernels._sources_digest()
    assert len(digest) == 64
    locator = kernels._PackageStampLocator.from_function(kernels.sort.py_func,
                                                         kernels.__file__)
    assert locator is not None and locator.get_source_stamp() == digest
    assert kernels._PackageStampLocator.from_function(_cases, __file__) is None
    assert kernels._PackageStampLocator in kernels.caching.CacheImpl._locator_classes


@kernels.kernel
def _draw_through(handle: kernels.GeneratorHandle, n: int) -> tuple:
    """Draws of the kinds the weekly kernels make, through a generator handle."""
    rng = handle.rng
    return rng.random(n), rng.standard_normal(n), rng.integers(0, 7, n), rng.integers(0, 1000)


def test_generator_handle_draws_numpys_stream_and_shares_the_state() -> None:
    """Draws made through a handle inside a kernel, interleaved with draws in Python, are the
    numbers NumPy alone gives in that order, and leave the same generator state (so the next
    draw in Python, in a 32-bit half included, is the same)."""
    rng, alone = np.random.default_rng(11), np.random.default_rng(11)
    handle = kernels.generator_handle(rng)
    for n in (1, 5, 40):
        u, z, k, one = _draw_through(handle, n)
        np.testing.assert_array_equal(u, alone.random(n))
        np.testing.assert_array_equal(z, alone.standard_normal(n))
        np.testing.assert_array_equal(k, alone.integers(0, 7, n))
        assert one == alone.integers(0, 1000)
        assert rng.random() == alone.random()  # Python draws in between
    assert rng.bit_generator.state == alone.bit_generator.state
    assert rng.integers(0, 2**31, dtype=np.int32) == alone.integers(0, 2**31, dtype=np.int32)


def test_generator_handle_is_kept_per_generator_and_refuses_other_objects() -> None:
    first, second = np.random.default_rng(1), np.random.default_rng(1)
    handle = kernels.generator_handle(first)
    assert kernels.generator_handle(first) is handle  # one conversion a run
    other = kernels.generator_handle(second)
    assert other is not handle  # another run's generator: its own handle
    _draw_through(other, 3)
    assert first.bit_generator.state != second.bit_generator.state  # second's state moved
    assert kernels.generator_handle(first) is not other
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        kernels.generator_handle(np.random.RandomState(1))  # type: ignore[arg-type]

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

"""A reference implementation of netsim's default rules in idiomatic Mesa 3.5 (see README.md).

Used to dock netsim against an independent implementation (tests/test_docking.py) and to
measure how much faster netsim is than Mesa code of the same rules
(benchmarks/reference_speed.py).
"""

from .model import SUMMARY_KEYS, ReferenceModel, check_supported

__all__ = ["SUMMARY_KEYS", "ReferenceModel", "check_supported"]

"""Validation of netsim: closed forms (:mod:`theory`), the ``netsim validate`` suite
(:mod:`checks`) and the study tables and figures of ``experiments/`` (:mod:`studies`)."""

from netsim.validation.checks import (
    CHECKS,
    DEFAULT_SEED,
    NOT_REPRODUCED,
    Check,
    CheckResult,
    format_results,
    run_arm,
    run_checks,
    select_checks,
    textbook_scenario,
    write_results,
)

__all__ = ["CHECKS", "DEFAULT_SEED", "NOT_REPRODUCED", "Check", "CheckResult", "format_results",
           "run_arm", "run_checks", "select_checks", "textbook_scenario", "write_results"]

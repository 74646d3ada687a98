"""The validation suite (netsim.validation.checks) and the `netsim validate` command.

The fast subset runs once per test session (about a minute of CPU on two cores); each check
is then asserted on its own: textbook reductions must pass, and every stylised fact must have
its documented status (PASS, or NOT REPRODUCED when listed in NOT_REPRODUCED), so a change of
behaviour is noticed.
"""

from __future__ import annotations

import csv

import pytest

from netsim.cli import main
from netsim.validation import CHECKS, NOT_REPRODUCED, run_checks, select_checks
from netsim.validation.checks import FAIL, NOT_REPRODUCED_STATUS, PASS

FAST = [c.name for c in CHECKS if c.fast]


@pytest.fixture(scope="module")
def fast_results():
    return {r.name: r for r in run_checks(full=False)}


@pytest.mark.slow
@pytest.mark.parametrize("name", FAST)
def test_fast_check_has_documented_status(fast_results, name):
    result = fast_results[name]
    expected = NOT_REPRODUCED_STATUS if name in NOT_REPRODUCED else PASS
    assert result.status == expected, f"{name}: {result.measured:.4g} [{result.low:.4g}, " \
        f"{result.high:.4g}] {result.detail}"
    assert result.low <= result.measured <= result.high or result.low != result.low


@pytest.mark.slow
def test_fast_suite_has_no_failures_and_covers_both_groups(fast_results):
    assert not [r.name for r in fast_results.values() if r.status == FAIL]
    groups = {r.group for r in fast_results.values()}
    assert groups == {"textbook", "fact", "joint", "plausibility"}
    facts = [n for n in fast_results if n.startswith("fact_")]
    assert len(facts) >= 8
    # facts 1-8 of issue 5, less 2 and 4 (one formula each: tests/mechanisms/*_formula.py)
    assert {int(n.split("_")[1][0]) for n in facts} == {1, 3, 5, 6, 7, 8}


def test_documented_failures_are_facts_with_reasons():
    names = {c.name for c in CHECKS}
    for name, reason in NOT_REPRODUCED.items():
        assert name in names and (name.startswith("fact_") or name in ("joint_patterns",
                                                                      "first_year"))
        assert len(reason) > 20


def test_select_checks_by_group_prefix_and_unknown_name():
    assert {c.group for c in select_checks(only=["textbook"])} == {"textbook"}
    assert [c.name for c in select_checks(only=["bass"])] == ["bass_curve", "bass_peak"]
    with pytest.raises(ValueError, match="matches no check; allowed: textbook, fact, joint"):
        select_checks(only=["no_such_check"])


def test_cli_validate_writes_record_and_exits_zero(tmp_path, capsys):
    code = main(["validate", "--only", "centola_ring", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "[PASS] centola_ring" in out and "Centola & Macy 2007" in out
    rows = list(csv.DictReader((tmp_path / "validation.csv").open()))
    assert [r["name"] for r in rows] == ["centola_ring"]
    assert rows[0]["status"] == PASS
    assert "| PASS | centola_ring |" in (tmp_path / "validation.md").read_text()


def test_cli_validate_unknown_check_is_one_line_error(capsys):
    code = main(["validate", "--only", "nope"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("netsim: error: --only = 'nope' matches no check")
    assert "Traceback" not in err


def test_cli_validate_exits_nonzero_when_a_check_fails(monkeypatch, capsys):
    from netsim.validation import checks

    original = checks.check_centola_ring

    def broken(full, ss):
        res = original(full, ss)
        return checks.CheckResult(**{**res.__dict__, "status": FAIL})

    monkeypatch.setattr(checks, "CHECKS", tuple(
        checks.Check(c.name, c.group, c.what, c.source, broken if c.name == "centola_ring"
                     else c.run, c.fast) for c in checks.CHECKS))
    assert main(["validate", "--only", "centola_ring"]) == 1
    assert "failed: centola_ring" in capsys.readouterr().err

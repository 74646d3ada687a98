"""The posting rule of mechanisms/digital.py, measured in whole runs.

This was stylised fact 4b ("formal channels get fewer posts than member-created ones"); it
restates one formula: a member posts in channel c with probability
``post_prob * (1 - formality_post_penalty * f_c) * (0.5 + 0.5 * trust)``, the same members
and weeks for every channel, so the expected ratio of posts in a formal and an informal
channel is ``(1 - penalty * f_formal) / (1 - penalty * f_informal)``. A unit test of the
mechanism, not a fact (issue 10).
"""

from __future__ import annotations

import pytest

from netsim import load_scenario
from netsim.runner import run_scenario


@pytest.mark.parametrize("formality, penalty", [(0.8, 0.8), (0.6, 0.5)])
def test_posts_per_channel_follow_the_formality_penalty(formality, penalty):
    sc = load_scenario("resource_teacher_network", {
        "calendar.years": 1.0, "formality": formality,
        "digital.formality_post_penalty": penalty, "digital.member_channel_formality": 0.2})
    s = run_scenario(sc, replicates=6).summary
    n_formal = sum(c.created_by == "facilitators" for c in sc.digital.channels)
    n_informal = len(sc.digital.channels) - n_formal
    ratio = (s["posts_formal_total"].sum() / n_formal) / (s["posts_informal_total"].sum()
                                                          / n_informal)
    expected = (1 - penalty * formality) / (1 - penalty * 0.2)
    assert ratio == pytest.approx(expected, rel=0.12)

"""Expert input at gatherings is the network's source of practices no member knows yet.

This was stylised fact 6b ("without expert input the network recycles what it knows"); it
follows directly from removing the expert inputs (mechanisms/gathering.py): practices only the
facilitators know (``state.expert_known`` and not in use anywhere) reach members through
expert inputs, and otherwise only through the facilitators' posts. So it is a unit test of
the mechanism, not a fact (issue 10).
"""

from __future__ import annotations

import numpy as np

from netsim import load_scenario
from netsim.model import LearningNetworkModel
from netsim.runner import seed_sequence

SMALL = {"network.n_schools": 8, "calendar.years": 0.5}


def _member_knowledge_of_expert_practices(overrides):
    sc = load_scenario("resource_teacher_network", {**SMALL, **overrides})
    out = []
    for r in range(3):
        model = LearningNetworkModel(sc, rng=np.random.default_rng(seed_sequence(sc, r)))
        model.run_for(sc.n_weeks)
        st = model.state
        members = st.staff & st.member
        out.append(float(st.knowledge[np.ix_(members, st.expert_known)].mean()))
        model.remove_all_agents()
    return np.array(out)


def test_no_expert_input_and_no_posts_leaves_expert_practices_unknown():
    none = _member_knowledge_of_expert_practices({"gathering.expert_inputs": 0,
                                                  "processes.digital": False})
    default = _member_knowledge_of_expert_practices({"processes.digital": False})
    assert np.all(default > none + 0.05)  # paired by replicate (common random numbers)

"""The model's processes, one module per mechanism.

Each module states its rule, parameters (with units and defaults in :mod:`netsim.config`) and
sources. Mechanisms act on the whole columnar :class:`~netsim.state.State` at once and draw
only from the run's generator passed in as ``rng``.

=================  =========================================================================
module             what happens there
=================  =========================================================================
gathering          attendance, expert input, peer stories, mixed groups, same-school reflection
home_transfer      development time at the home school, gated by the leader's backing
collegial_talk     informal exchange between colleagues and strong cross-school ties
trial              trying, adopting, dropping and adapting practices (default adoption rule)
cocreation         small cross-school co-creation groups
digital            posting and reading in digital channels
dynamics           trust decay, strong-tie cap, motivation and alignment
turnover           yearly turnover and loss of a key person
adoption_rules     textbook rules: independent cascade, thresholds, Bass
=================  =========================================================================
"""

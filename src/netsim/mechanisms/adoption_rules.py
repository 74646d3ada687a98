"""Textbook adoption rules on a graph, synchronous, one step per week.

With ``adoption.rule`` set to one of these rules, the rule alone decides who adopts (the trial
process starts no trials); with every domain process switched off, netsim is exactly the
textbook model on the collegial graph (a loaded network or the generated one). Ties count as
present or absent (weights are ignored). Each rule acts on every practice column
independently; a person's adoption is permanent.

- ``independent_cascade`` (Kempe, Kleinberg & Tardos 2003): each person who adopted in the
  previous step gets one chance to convert each non-adopting neighbour, with probability
  ``transmissibility``. A non-adopter with ``m`` newly adopted neighbours adopts with
  probability ``1 - (1 - T)^m``. Final sizes are those of bond percolation (Newman 2002).
- ``fractional_threshold`` (Watts 2002): a non-adopter adopts when the share of adopting
  neighbours is at least ``threshold``.
- ``count_threshold`` (complex contagion, Centola & Macy 2007): a non-adopter adopts when at
  least ``count`` neighbours have adopted.
- ``bass`` (Bass 1969): a non-adopter adopts with probability ``p + q * a / d`` where ``a / d``
  is the adopting share of neighbours; on a complete graph this is the discrete Bass model.

References:
    Bass, F. M. (1969). A new product growth for model consumer durables. Management Science
    15(5), 215-227.
    Centola, D. & Macy, M. (2007). Complex contagions and the weakness of long ties. American
    Journal of Sociology 113(3), 702-734.
    Kempe, D., Kleinberg, J. & Tardos, É. (2003). Maximizing the spread of influence through a
    social network. KDD '03, 137-146.
    Newman, M. E. J. (2002). Spread of epidemic disease on networks. Phys. Rev. E 66, 016128.
    Watts, D. J. (2002). A simple model of global cascades on random networks. PNAS 99(9),
    5766-5771.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from netsim.config import AdoptionConfig, AdoptionRule

__all__ = ["RULES", "seed_adopters", "step_rule"]


def seed_adopters(n: int, n_practices: int, cfg: AdoptionConfig, eligible: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Boolean (n, n_practices) mask of initial adopters.

    ``cfg.seed_nodes`` if given (the same nodes for every practice), else ``round(share * m)``
    eligible people drawn at random per practice (at least one when the share is positive).
    """
    mask = np.zeros((n, n_practices), dtype=bool)
    if cfg.seed_nodes:
        nodes = np.asarray(cfg.seed_nodes, dtype=np.int64)
        mask[nodes, :] = True  # the model has checked 0 <= node < n
        return mask
    pool = np.flatnonzero(eligible)
    if cfg.initial_adopters <= 0 or pool.size == 0:
        return mask
    k = max(1, int(round(cfg.initial_adopters * pool.size)))
    for c in range(n_practices):
        mask[rng.choice(pool, size=min(k, pool.size), replace=False), c] = True
    return mask


def step_rule(rule: AdoptionRule, graph: sparse.csr_array, adopted: np.ndarray,
              newly: np.ndarray, cfg: AdoptionConfig, rng: np.random.Generator) -> np.ndarray:
    """One synchronous step. Returns the mask of people adopting in this step.

    Args:
        rule: the textbook rule.
        graph: binary symmetric adjacency (CSR).
        adopted: (n, k) mask of adopters before the step.
        newly: (n, k) mask of those who adopted in the previous step.
        cfg: rule parameters.
        rng: the run's generator.
    """
    a = adopted.astype(np.float64)
    if rule is AdoptionRule.independent_cascade:
        m = graph @ newly.astype(np.float64)
        p = 1.0 - (1.0 - cfg.transmissibility) ** m
        new = rng.random(adopted.shape) < p
    else:
        count = graph @ a
        degree = np.asarray(graph.sum(axis=1)).ravel()[:, None]
        share = np.divide(count, degree, out=np.zeros_like(count), where=degree > 0)
        if rule is AdoptionRule.fractional_threshold:
            new = (share >= cfg.threshold) & (degree > 0)
        elif rule is AdoptionRule.count_threshold:
            new = count >= cfg.count
        elif rule is AdoptionRule.bass:
            p = np.clip(cfg.bass_p + cfg.bass_q * share, 0.0, 1.0)
            new = rng.random(adopted.shape) < p
        else:  # pragma: no cover - guarded by the caller
            raise ValueError(f"adoption.rule = {rule.value!r} is not a textbook rule")
    return new & ~adopted


RULES = (AdoptionRule.independent_cascade, AdoptionRule.fractional_threshold,
         AdoptionRule.count_threshold, AdoptionRule.bass)

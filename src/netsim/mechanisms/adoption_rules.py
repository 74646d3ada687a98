"""Textbook adoption rules on a graph, synchronous, one step per week.

With ``adoption.rule`` set to one of these rules, the rule alone decides who adopts (the trial
process starts no trials); with every domain process switched off, netsim is exactly the
textbook model on the collegial graph (a loaded network or the generated one). Each practice
column is one **cascade**: the rule acts on every column independently, on the same graph and
the same node thresholds, from that column's seeds; a node's adoption is permanent.

Rules (``w_ij`` is the tie's weight with ``adoption.weighted``, else 1 for every listed tie,
a weight-0 tie included):

- ``independent_cascade`` (Kempe, Kleinberg & Tardos 2003): each node that adopted in the
  previous step gets one chance to convert each non-adopting neighbour ``i``, with probability
  ``T * w_ij`` (``T`` = ``transmissibility``). A non-adopter adopts with probability
  ``1 - prod_j (1 - T * w_ij)`` over its newly adopted neighbours ``j``: ``1 - (1 - T)^m``
  unweighted. Final sizes are those of bond percolation (Newman 2002). Weighted, ``T * w_ij``
  must not exceed 1.
- ``fractional_threshold`` (Watts 2002; Granovetter 1978): a non-adopter with at least one tie
  adopts when ``sum_j w_ij a_j / sum_j w_ij >= theta_i`` (the adopting share of its ties).
- ``count_threshold`` (complex contagion, Centola & Macy 2007; Granovetter 1978 in counts): a
  non-adopter adopts when ``sum_j w_ij a_j >= theta_i`` (the number of adopting neighbours,
  or their total weight). ``theta_i = 0`` adopts in the first step (an instigator).
- ``bass`` (Bass 1969): a non-adopter adopts with probability ``p + q * s_i`` (clipped to 1),
  ``s_i`` the adopting (weighted) share of its ties; on a complete graph this is the discrete
  Bass model.

Thresholds ``theta_i`` are ``adoption.threshold`` (share) or ``adoption.count`` for every node,
or per node: the node attribute / node-file column ``adoption.threshold_attribute``, or drawn
once per run (the same for every cascade) from ``adoption.threshold_distribution``:
``uniform`` on [``threshold_low``, ``threshold_high``] or ``normal`` with mean ``threshold``
(fractional) or ``count`` (count rule) and sd ``threshold_sd``, draws below 0 set to 0
(Granovetter 1978 treats them as instigators).

Seeds (``adoption.seeding``): ``share`` (default) draws ``round(initial_adopters * m)`` of the
``m`` staff nodes at random per cascade (at least one when the share is positive); ``random``
draws ``seed_count`` per cascade; ``top_degree`` takes the ``seed_count`` nodes with most ties
(total weight with ``weighted``; equal degrees in row order) for every cascade; ``nodes`` takes
node **labels** (the ids in ``network.file``; row numbers of a generated network):
``seed_nodes`` for every cascade, ``seed_sets`` one list per cascade, or ``seed_file`` (one
label per line, or a CSV with columns ``node[,cascade]``). Setting ``seed_nodes``,
``seed_sets`` or ``seed_file`` implies ``nodes``.

A run is **stable** when no further adoption is possible: no node adopted in the last step
(independent cascade; the threshold rules, which are deterministic and monotone, so the same
state gives the same empty step), or no non-adopter has a positive adoption probability
(Bass). ``adoption.until_stable`` ends the run there.

References:
    Bass, F. M. (1969). A new product growth for model consumer durables. Management Science
    15(5), 215-227.
    Centola, D. & Macy, M. (2007). Complex contagions and the weakness of long ties. American
    Journal of Sociology 113(3), 702-734.
    Granovetter, M. (1978). Threshold models of collective behavior. American Journal of
    Sociology 83(6), 1420-1443.
    Kempe, D., Kleinberg, J. & Tardos, É. (2003). Maximizing the spread of influence through a
    social network. KDD '03, 137-146.
    Newman, M. E. J. (2002). Spread of epidemic disease on networks. Phys. Rev. E 66, 016128.
    Watts, D. J. (2002). A simple model of global cascades on random networks. PNAS 99(9),
    5766-5771.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from netsim.config import (
    AdoptionConfig,
    AdoptionRule,
    ConfigError,
    Scenario,
    SeedRule,
    ThresholdDistribution,
)

__all__ = ["RULES", "Diffusion", "check_graph", "node_thresholds", "read_seed_file",
           "seed_adopters", "seed_labels", "step_rule"]

RULES = (AdoptionRule.independent_cascade, AdoptionRule.fractional_threshold,
         AdoptionRule.count_threshold, AdoptionRule.bass)


# ---------------------------------------------------------------------------------- seeds


def read_seed_file(path: str | Path, n_cascades: int) -> list[list[str]]:
    """Seed labels per cascade from a node-list file.

    A ``.csv`` file has a header; its first column holds labels and an optional column
    ``cascade`` the cascade (0-based practice column) each seeds; without it every cascade gets
    every label. Any other file has one label per line (blank lines and ``#`` comments
    skipped), the same for every cascade.
    """
    path = Path(path)
    key = "adoption.seed_file"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key} = {str(path)!r} could not be read: {exc}; allowed: a text "
                          "file of node labels") from None
    if path.suffix.lower() != ".csv":
        labels = [ln.strip() for ln in text.splitlines()
                  if ln.strip() and not ln.strip().startswith("#")]
        if not labels:
            raise ConfigError(f"{key} = {str(path)!r} lists no node; allowed: one node label "
                              "per line")
        return [labels] * n_cascades
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise ConfigError(f"{key} = {str(path)!r} lists no node; allowed: a CSV with a header "
                          "and one node per row (columns node[,cascade])")
    header = [h.strip() for h in rows[0]]
    col = header.index("cascade") if "cascade" in header else None
    sets: list[list[str]] = [[] for _ in range(n_cascades)]
    for line, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            continue
        label = row[0].strip()
        if col is None:
            for s in sets:
                s.append(label)
            continue
        value = row[col].strip() if col < len(row) else ""
        if not value.isdigit() or int(value) >= n_cascades:
            raise ConfigError(f"{key} = {str(path)!r} has cascade {value!r} on line {line}; "
                              f"allowed: 0 <= cascade < practices.n_practices = {n_cascades}")
        sets[int(value)].append(label)
    return sets


def seed_labels(cfg: AdoptionConfig, n_cascades: int) -> list[list[str]] | None:
    """The seed labels per cascade that ``cfg`` names, as text; None if it names none."""
    if cfg.seed_file is not None:
        return read_seed_file(cfg.seed_file, n_cascades)
    if cfg.seed_sets:
        return [[str(v) for v in s] for s in cfg.seed_sets]
    if cfg.seed_nodes:
        return [[str(v) for v in cfg.seed_nodes]] * n_cascades
    return None


def _key_of(cfg: AdoptionConfig) -> str:
    if cfg.seed_file is not None:
        return "adoption.seed_file"
    return "adoption.seed_sets" if cfg.seed_sets else "adoption.seed_nodes"


def _rows_of(labels: np.ndarray, wanted: list[list[str]], cfg: AdoptionConfig,
             where: str) -> list[np.ndarray]:
    index = {v: i for i, v in enumerate(labels.tolist())}
    out = []
    for s in wanted:
        missing = [v for v in s if v not in index]
        if missing:
            some = ", ".join(repr(v) for v in labels[:3].tolist())
            raise ConfigError(f"{_key_of(cfg)} contains {missing[0]!r}, not a node of {where}; "
                              f"allowed: node labels of the network ({labels.size} nodes, e.g. "
                              f"{some})")
        out.append(np.array([index[v] for v in s], dtype=np.int64))
    return out


def seed_adopters(n: int, n_practices: int, cfg: AdoptionConfig, eligible: np.ndarray,
                  rng: np.random.Generator, labels: np.ndarray | None = None,
                  degree: np.ndarray | None = None, where: str = "the network") -> np.ndarray:
    """Boolean (n, n_practices) mask of initial adopters (rules: see the module docstring).

    Args:
        n: nodes.
        n_practices: cascades.
        cfg: the adoption settings.
        eligible: who may be seeded by the random rules and top_degree (school staff).
        rng: the run's generator.
        labels: label of each row (default: the row numbers as text).
        degree: each node's (weighted) degree, for top_degree.
        where: the network's name in messages.
    """
    mask = np.zeros((n, n_practices), dtype=bool)
    wanted = seed_labels(cfg, n_practices)
    if wanted is not None:
        labels = np.arange(n).astype(str) if labels is None else labels
        for c, rows in enumerate(_rows_of(labels, wanted, cfg, where)):
            mask[rows, c] = True
        return mask
    pool = np.flatnonzero(eligible)
    if cfg.seeding is SeedRule.share:
        if cfg.initial_adopters <= 0 or pool.size == 0:
            return mask
        k = max(1, int(round(cfg.initial_adopters * pool.size)))
    else:
        k = cfg.seed_count
        if k > pool.size:
            raise ConfigError(f"adoption.seed_count = {k} exceeds the {pool.size} nodes that can "
                              f"be seeded in {where}; allowed: 1 <= seed_count <= {pool.size}")
    if cfg.seeding is SeedRule.top_degree:
        deg = np.zeros(n) if degree is None else np.asarray(degree, dtype=float)
        order = pool[np.argsort(-deg[pool], kind="stable")]
        mask[order[:k], :] = True
        return mask
    for c in range(n_practices):
        mask[rng.choice(pool, size=min(k, pool.size), replace=False), c] = True
    return mask


# ---------------------------------------------------------------------------------- thresholds


def node_thresholds(cfg: AdoptionConfig, n: int, attributes: Mapping[str, np.ndarray],
                    rng: np.random.Generator, labels: np.ndarray | None = None,
                    where: str = "network.file") -> np.ndarray | None:
    """Per-node thresholds (n,) of the threshold rules, or None for the fixed value."""
    if cfg.threshold_attribute is not None:
        name = cfg.threshold_attribute
        if name not in attributes:
            have = ", ".join(sorted(attributes)) or "none"
            raise ConfigError(f"adoption.threshold_attribute = {name!r} is not an attribute of "
                              f"every node of {where}; allowed: one of {have}")
        out = np.empty(n)
        for i, v in enumerate(attributes[name]):
            try:
                out[i] = float(v)
            except (TypeError, ValueError):
                out[i] = math.nan
            if not (math.isfinite(out[i]) and out[i] >= 0):
                node = str(labels[i]) if labels is not None else i
                raise ConfigError(f"adoption.threshold_attribute = {name!r} gives node {node!r} "
                                  f"the threshold {v!r} in {where}; allowed: a finite number "
                                  ">= 0 on every node")
        return out
    dist = cfg.threshold_distribution
    if dist is ThresholdDistribution.fixed:
        return None
    if dist is ThresholdDistribution.uniform:
        return rng.uniform(cfg.threshold_low, cfg.threshold_high, n)
    mean = cfg.threshold if cfg.rule is AdoptionRule.fractional_threshold else float(cfg.count)
    return np.maximum(0.0, rng.normal(mean, cfg.threshold_sd, n))


def check_graph(scenario: Scenario, labels: np.ndarray, attributes: Mapping[str, np.ndarray],
                weight: np.ndarray, where: str) -> None:
    """What the diffusion settings need from a loaded graph, checked before any run: seed
    labels inside it, a valid threshold attribute, weights that are probabilities when they
    scale the transmissibility, enough nodes for seed_count.

    Raises:
        ConfigError: naming the setting, the value and what is allowed.
    """
    cfg = scenario.adoption
    if cfg.rule is AdoptionRule.trust_weighted:
        return
    wanted = seed_labels(cfg, scenario.practices.n_practices)
    if wanted is not None:
        _rows_of(labels, wanted, cfg, f"network.file {where!r}")
    if cfg.threshold_attribute is not None:
        node_thresholds(cfg, labels.size, attributes, np.random.default_rng(0), labels,
                        f"network.file {where!r}")
    if cfg.seeding in (SeedRule.random, SeedRule.top_degree) and cfg.seed_count > labels.size:
        raise ConfigError(f"adoption.seed_count = {cfg.seed_count} exceeds the {labels.size} "
                          f"nodes of network.file {where!r}; allowed: 1 <= seed_count <= "
                          f"{labels.size}")
    if (cfg.weighted and cfg.rule is AdoptionRule.independent_cascade and weight.size
            and cfg.transmissibility * float(weight.max()) > 1.0):
        raise ConfigError(f"adoption.weighted = true scales adoption.transmissibility = "
                          f"{cfg.transmissibility:g} by the weights of network.file {where!r}, "
                          f"and its largest weight {float(weight.max()):g} makes a chance above "
                          "1; allowed: transmissibility x weight <= 1 on every tie")


# ---------------------------------------------------------------------------------- the step


def _log_escape(graph: sparse.csr_array, transmissibility: float
                ) -> tuple[sparse.csr_array, sparse.csr_array | None]:
    """log(1 - T w_ij) on the ties where T w_ij < 1, and the ties with T w_ij >= 1 (certain)."""
    p = graph.data * transmissibility
    sure = p >= 1.0
    logs = graph.copy()
    logs.data = np.log1p(-np.where(sure, 0.0, p))
    certain = None
    if sure.any():
        certain = graph.copy()
        certain.data = sure.astype(np.float64)
    return logs, certain


def step_rule(rule: AdoptionRule, graph: sparse.csr_array, adopted: np.ndarray,
              newly: np.ndarray, cfg: AdoptionConfig, rng: np.random.Generator,
              thresholds: np.ndarray | None = None, weighted: bool = False,
              escape: tuple[sparse.csr_array, sparse.csr_array | None] | None = None
              ) -> np.ndarray:
    """One synchronous step. Returns the mask of people adopting in this step.

    Args:
        rule: the textbook rule.
        graph: symmetric adjacency (CSR): 1 per tie, or the weights with ``weighted``.
        adopted: (n, k) mask of adopters before the step.
        newly: (n, k) mask of those who adopted in the previous step.
        cfg: rule parameters.
        rng: the run's generator.
        thresholds: per-node thresholds (n,) for the threshold rules (None: cfg's value).
        weighted: ``graph`` holds weights (per-edge transmissibility ``T * w``).
        escape: ``_log_escape(graph, T)`` computed once by the caller (weighted cascade).
    """
    if rule is AdoptionRule.independent_cascade:
        if weighted:
            logs, certain = escape or _log_escape(graph, cfg.transmissibility)
            p = -np.expm1(logs @ newly.astype(np.float64))
            if certain is not None:
                p[(certain @ newly.astype(np.float64)) > 0] = 1.0
        else:
            m = graph @ newly.astype(np.float64)
            p = 1.0 - (1.0 - cfg.transmissibility) ** m
        new = rng.random(adopted.shape) < p
        return new & ~adopted
    a = adopted.astype(np.float64)
    count = graph @ a
    degree = np.asarray(graph.sum(axis=1)).ravel()[:, None]
    share = np.divide(count, degree, out=np.zeros_like(count), where=degree > 0)
    if rule is AdoptionRule.fractional_threshold:
        theta = cfg.threshold if thresholds is None else thresholds[:, None]
        new = (share >= theta) & (degree > 0)
    elif rule is AdoptionRule.count_threshold:
        theta = cfg.count if thresholds is None else thresholds[:, None]
        # weighted counts are sums of floats: allow for rounding at the threshold
        new = count >= (theta - 1e-9 if weighted else theta)
    elif rule is AdoptionRule.bass:
        p = np.clip(cfg.bass_p + cfg.bass_q * share, 0.0, 1.0)
        new = rng.random(adopted.shape) < p
    else:
        raise ValueError(f"adoption.rule = {rule.value!r} is not a textbook rule")
    return new & ~adopted


@dataclass
class Diffusion:
    """A textbook rule running on a model's graph: the graph it uses, node thresholds, labels,
    and the per-cascade record (adopters per week and cascade).

    Build it with :meth:`build`; :meth:`step` is one synchronous week.
    """

    rule: AdoptionRule
    cfg: AdoptionConfig
    graph: sparse.csr_array
    labels: np.ndarray
    thresholds: np.ndarray | None
    eligible: np.ndarray
    newly: np.ndarray
    curve: list[np.ndarray]  # adopters per cascade at the end of each week (week 0: seeds)
    new_counts: list[np.ndarray]  # adopters gained per cascade in each week (week 0: seeds)
    seeds: np.ndarray
    stable: bool = False
    escape: tuple[sparse.csr_array, sparse.csr_array | None] | None = None

    @classmethod
    def build(cls, scenario: Scenario, colleagues: sparse.csr_array, eligible: np.ndarray,
              rng: np.random.Generator, graph_data: Any = None) -> Diffusion:
        """Set up the rule on a population: its graph, thresholds and seeds.

        Args:
            scenario: the scenario (``adoption`` settings, ``practices.n_practices``).
            colleagues: the collegial ties of the population (their values are trust).
            eligible: who can adopt (school staff).
            rng: the run's generator.
            graph_data: the loaded :class:`netsim.usergraph.UserGraph`, if any: its labels,
                raw weights and node attributes are used.
        """
        cfg = scenario.adoption
        n = colleagues.shape[0]
        if graph_data is not None:
            graph = graph_data.adjacency(cfg.weighted).tocsr()
            labels, attributes = graph_data.labels, graph_data.attributes
            where = f"network.file {graph_data.path!r}"
        else:
            graph = colleagues.tocsr().copy()
            graph.eliminate_zeros()
            if not cfg.weighted:
                graph.data = np.ones_like(graph.data)
            labels, attributes, where = np.arange(n).astype(str), {}, "the generated network"
        graph = sparse.csr_array(graph)
        thresholds = node_thresholds(cfg, n, attributes, rng, labels, where) \
            if cfg.rule in (AdoptionRule.fractional_threshold, AdoptionRule.count_threshold) \
            else None
        degree = np.asarray(graph.sum(axis=1)).ravel()
        seeds = seed_adopters(n, scenario.practices.n_practices, cfg, eligible, rng, labels,
                              degree, where)
        seeds &= eligible[:, None]
        return cls(rule=cfg.rule, cfg=cfg, graph=graph, labels=labels, thresholds=thresholds,
                   eligible=eligible.copy(), newly=seeds.copy(),
                   curve=[seeds.sum(axis=0)], new_counts=[seeds.sum(axis=0)], seeds=seeds)

    def step(self, adopted: np.ndarray, rng: np.random.Generator,
             eligible_now: np.ndarray | None = None) -> np.ndarray:
        """One week: the (n, k) mask of new adopters (eligible non-adopters only).

        Args:
            adopted: (n, k) adopters before the step (the model's state).
            rng: the run's generator.
            eligible_now: who can adopt this week (default: as at the start).
        """
        if eligible_now is not None:
            self.eligible = eligible_now
        eligible = self.eligible[:, None]
        if self.escape is None and self.cfg.weighted and \
                self.rule is AdoptionRule.independent_cascade:
            self.escape = _log_escape(self.graph, self.cfg.transmissibility)
        new = step_rule(self.rule, self.graph, adopted & eligible, self.newly & eligible,
                        self.cfg, rng, self.thresholds, self.cfg.weighted,
                        self.escape) & eligible
        self.newly = new
        after = adopted | new
        self.curve.append((after & eligible).sum(axis=0))
        self.new_counts.append(new.sum(axis=0))
        self.stable = self._stable(new, after)
        return new

    def _stable(self, new: np.ndarray, adopted: np.ndarray) -> bool:
        if self.rule is not AdoptionRule.bass:
            return not new.any()
        open_ = ~adopted & self.eligible[:, None]
        if not open_.any():
            return True
        if self.cfg.bass_p > 0:
            return False
        if self.cfg.bass_q == 0:
            return True
        reached = (self.graph @ adopted.astype(np.float64)) > 0
        return not (reached & open_).any()


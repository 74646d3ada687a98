"""Approximate Bayesian computation against acceptance regions: rejection on a space-filling
sample, then sequential Monte Carlo (ABC-SMC). Model-free: :mod:`netsim.calibrate` plugs the
simulation in.

**Targets.** Each target ``k`` is a summary statistic ``s_k(θ)`` with an acceptance region
``[lo_k, hi_k]`` (either end may be open). The distance of a simulated parameter set is
``d(θ) = max_k outside_k(s_k) / scale_k``, where ``outside_k`` is how far ``s_k`` lies outside its
region (0 inside; ∞ when undefined) and ``scale_k`` the spread of ``s_k`` over the first,
prior-predictive, generation. ``d = 0`` means every pattern is reproduced.

**Generation 0: rejection.** ``n0`` parameter sets from a scrambled Sobol sequence mapped
through the prior (space-filling); the ``n`` closest are accepted (tolerance ``ε0`` = the
``n``-th smallest distance, or 0 if more meet every target), with equal weights.

**Generations 1..T: SMC** (Toni et al. 2009, J. R. Soc. Interface 6:187; Beaumont et al. 2009,
Biometrika 96:983). ``ε_t`` is the ``q``-quantile of the last accepted distances (0 once it
gets there). A fixed number of candidates is proposed: a particle drawn by weight from the last
population, moved by a Gaussian kernel with twice the weighted variance per parameter
(Beaumont et al. 2009); for a uniform prior the kernel is reflected at the faces of the box
(with tens of parameters nearly every Gaussian step leaves the box somewhere, and redrawing
would copy old particles), otherwise a candidate outside the support is redrawn. Candidates with
``d <= ε_t`` are accepted and weighted ``w_i ∝ π(θ_i) / Σ_j w_j K(θ_i | θ_j)`` (with the reflected kernel), computed in
logs. The run stops
after a generation at ``ε = 0``, when a generation accepts nothing (the last population is the
result), or after ``T`` generations.

A fixed number of candidates per generation (rather than "until n accepted", as pyabc does)
makes each generation one batch of design rows, run and resumed by the sweep machinery.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ABCResult", "Generation", "NormalPrior", "UniformPrior", "abc_smc", "distances"]


@dataclass(frozen=True)
class UniformPrior:
    """Independent uniform priors on a box (the plausible ranges)."""

    lo: np.ndarray
    hi: np.ndarray

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.lo + u * (self.hi - self.lo)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        inside = self.inside(x)
        return inside / float(np.prod(self.hi - self.lo))

    def inside(self, x: np.ndarray) -> np.ndarray:
        return np.all((x >= self.lo) & (x <= self.hi), axis=1)


@dataclass(frozen=True)
class NormalPrior:
    """Independent normal priors (used to check the method against a conjugate posterior)."""

    mean: np.ndarray
    sd: np.ndarray

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.stats import norm

        return self.mean + self.sd * norm.ppf(np.clip(u, 1e-12, 1 - 1e-12))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) / self.sd
        return np.prod(np.exp(-0.5 * z**2) / (self.sd * math.sqrt(2 * math.pi)), axis=1)

    def inside(self, x: np.ndarray) -> np.ndarray:
        return np.all(np.isfinite(x), axis=1)


def outside(stats: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """How far each statistic lies outside its region: (n, K), 0 inside, inf when undefined."""
    s = np.asarray(stats, dtype=float)
    below = np.where(np.isfinite(lo), lo - s, -np.inf)
    above = np.where(np.isfinite(hi), s - hi, -np.inf)
    out = np.maximum(np.maximum(below, above), 0.0)
    return np.where(np.isfinite(s), out, np.inf)


def distances(stats: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: np.ndarray
              ) -> np.ndarray:
    """``max_k outside_k / scale_k`` per parameter set."""
    return (outside(stats, lo, hi) / scale).max(axis=1)


@dataclass
class Generation:
    """One generation: its tolerance, candidates run, accepted and effective sample size."""

    epsilon: float
    proposed: int
    accepted: int
    ess: float


@dataclass
class ABCResult:
    """The accepted population and the record of the run.

    Attributes:
        theta: (n, D) accepted parameter sets of the last non-empty generation.
        weights: (n,) normalised importance weights.
        distance: (n,) their distances.
        stats: (n, K) their statistics.
        generations: one record per generation run.
        prior_theta, prior_stats: generation 0 (the space-filling prior sample) in full, for
            the analysis of which pattern constrains which parameter.
        scale: the distance scales.
    """

    theta: np.ndarray
    weights: np.ndarray
    distance: np.ndarray
    stats: np.ndarray
    generations: list[Generation] = field(default_factory=list)
    prior_theta: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    prior_stats: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    scale: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def ess(self) -> float:
        """Effective sample size of the weights, ``1 / Σ w²``."""
        return float(1.0 / np.sum(self.weights**2)) if self.weights.size else 0.0


def _space_filling(n: int, d: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    m = max(1, math.ceil(math.log2(max(n, 2))))
    u = qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)
    return u[:n]


def _reflect(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Fold points back into the box [lo, hi] by reflection at its faces."""
    width = hi - lo
    y = np.mod(x - lo, 2 * width)
    return lo + np.where(y > width, 2 * width - y, y)


def _log_kernel(new: np.ndarray, old: np.ndarray, sd: np.ndarray, prior: Any) -> np.ndarray:
    """log K(new_i | old_j) up to a constant: a Gaussian per parameter, reflected at the faces
    of a uniform prior's box (the first images, enough while sd is below the width)."""
    z = (new[:, None, :] - old[None, :, :]) / sd
    if not isinstance(prior, UniformPrior):
        return -0.5 * np.sum(z**2, axis=2)
    dens = np.exp(-0.5 * z**2)
    for face in (prior.lo, prior.hi):
        mirror = 2 * face - old
        dens = dens + np.exp(-0.5 * ((new[:, None, :] - mirror[None, :, :]) / sd) ** 2)
    return np.sum(np.log(np.maximum(dens, 1e-300)), axis=2)


def _ess(w: np.ndarray) -> float:
    return float(1.0 / np.sum(w**2)) if w.size else 0.0


def abc_smc(simulate: Callable[[np.ndarray, int], np.ndarray], prior: UniformPrior | NormalPrior,
            lo: Sequence[float], hi: Sequence[float], n_particles: int = 100,
            generations: int = 4, seed: int = 0, quantile: float = 0.5,
            initial_factor: int = 4, proposal_factor: int = 2,
            log: Callable[[str], None] | None = None) -> ABCResult:
    """Rejection then ABC-SMC (see the module docstring).

    Args:
        simulate: ``simulate(theta, generation) -> stats`` for an (m, D) array, returning
            (m, K) statistics (NaN where undefined).
        prior: the prior (its ``ppf`` maps the space-filling sample).
        lo, hi: acceptance regions per statistic (``-inf``/``inf`` for open ends).
        n_particles: population size.
        generations: SMC generations after the rejection step.
        quantile: the tolerance schedule's quantile.
        initial_factor: the rejection step runs ``initial_factor * n_particles`` sets.
        proposal_factor: each SMC generation runs ``proposal_factor * n_particles`` candidates.
        log: called with one line per generation.
    """
    lo_a, hi_a = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    ss = np.random.SeedSequence(seed)
    n0 = int(initial_factor * n_particles)
    dim = np.atleast_1d(prior.lo if isinstance(prior, UniformPrior) else prior.mean).size
    theta0 = prior.ppf(_space_filling(n0, dim, int(ss.generate_state(1)[0])))
    stats0 = np.asarray(simulate(theta0, 0), dtype=float)
    spread = np.array([np.nanstd(c[np.isfinite(c)]) if np.isfinite(c).sum() > 1 else 0.0
                       for c in stats0.T])
    width = np.where(np.isfinite(hi_a - lo_a), hi_a - lo_a, 0.0)
    scale = np.where(spread > 0, spread, np.where(width > 0, width, 1.0))
    dist0 = distances(stats0, lo_a, hi_a, scale)
    order = np.argsort(dist0, kind="stable")
    eps = float(dist0[order[min(n_particles, n0) - 1]])
    if not np.isfinite(eps):
        eps = float(np.nanmax(np.where(np.isfinite(dist0), dist0, np.nan))) \
            if np.isfinite(dist0).any() else math.inf
    keep = np.flatnonzero(dist0 <= eps) if math.isfinite(eps) else order[:n_particles]
    theta, stats, dist = theta0[keep], stats0[keep], dist0[keep]
    w = np.full(keep.size, 1.0 / max(keep.size, 1))
    record = [Generation(eps, n0, int(keep.size), _ess(w))]
    if log:
        log(f"generation 0 (rejection): {n0} sets, {keep.size} accepted at distance <= "
            f"{eps:.3g}; {int((dist0 == 0).sum())} meet every target")
    for t in range(1, generations + 1):
        if eps == 0 or not math.isfinite(eps):
            break
        new_eps = float(np.quantile(dist, quantile))
        if new_eps >= eps:
            new_eps = eps * quantile
        if (dist == 0).sum() >= max(2, keep.size * quantile):
            new_eps = 0.0
        rng = np.random.default_rng(ss.spawn(t)[-1])
        m = int(proposal_factor * n_particles)
        mean = np.sum(w[:, None] * theta, axis=0)
        var = np.sum(w[:, None] * (theta - mean) ** 2, axis=0)
        sd = np.sqrt(np.maximum(2.0 * var, 1e-24))
        pick = rng.choice(theta.shape[0], size=m, p=w)
        cand = theta[pick] + rng.standard_normal((m, theta.shape[1])) * sd
        if isinstance(prior, UniformPrior):
            cand = _reflect(cand, prior.lo, prior.hi)
        else:
            for _ in range(1000):  # redraw the candidates outside the support
                out = np.flatnonzero(~prior.inside(cand))
                if out.size == 0:
                    break
                cand[out] = theta[rng.choice(theta.shape[0], size=out.size, p=w)] \
                    + rng.standard_normal((out.size, theta.shape[1])) * sd
        st = np.asarray(simulate(cand, t), dtype=float)
        dc = distances(st, lo_a, hi_a, scale)
        acc = np.flatnonzero(dc <= new_eps)
        if log:
            log(f"generation {t} (SMC): {m} candidates, {acc.size} accepted at distance <= "
                f"{new_eps:.3g}; {int((dc == 0).sum())} meet every target")
        if acc.size == 0:
            record.append(Generation(new_eps, m, 0, 0.0))
            break
        th = cand[acc]
        # in logs: with many parameters the kernel's values underflow (constants cancel)
        log_kern = _log_kernel(th, theta, sd, prior) + np.log(w)[None, :]
        top = log_kern.max(axis=1, keepdims=True)
        log_denom = top[:, 0] + np.log(np.exp(log_kern - top).sum(axis=1))
        with np.errstate(divide="ignore"):
            log_w = np.log(prior.pdf(th)) - log_denom
        nw = np.exp(log_w - log_w.max())
        nw = nw / nw.sum()
        theta, stats, dist, w, eps = th, st[acc], dc[acc], nw, new_eps
        keep = acc
        record.append(Generation(eps, m, int(acc.size), _ess(w)))
    return ABCResult(theta, w, dist, stats, record, theta0, stats0, scale)

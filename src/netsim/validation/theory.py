"""Closed-form and numerically exact reference results for textbook diffusion rules.

These functions are pure mathematics (numpy and scipy only, no random numbers). They give
the values a simulation of the corresponding rule must reproduce, so validators can compare
simulated curves, thresholds and cascade sizes against published theory:

* Bass (1969) diffusion, in continuous time and as the synchronous discrete-time mean-field
  recursion the simulation implements (weekly steps), plus the gap between the two.
* Independent cascade / SIR-type bond percolation with transmissibility ``T``
  (Newman 2002; Callaway et al. 2000) on Erdős–Rényi graphs and on configuration-model
  graphs with a given degree distribution.
* Watts (2002) fractional-threshold global cascades: the cascade condition and the cascade
  window on Erdős–Rényi graphs.
* The ring-lattice rule for complex contagion with a count threshold, after Centola & Macy
  (2007).

All results for random graphs are for the limit of many nodes (locally tree-like graphs).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

__all__ = [
    "bass_cumulative",
    "bass_density",
    "bass_discrete_mean_curve",
    "bass_discrete_peak",
    "bass_discretisation_gap",
    "bass_peak_height",
    "bass_peak_time",
    "complex_contagion_ring_spreads",
    "ic_critical_transmissibility",
    "ic_critical_transmissibility_from_degrees",
    "ic_giant_cascade_size",
    "ic_giant_cascade_size_from_degrees",
    "ic_large_cascade_probability",
    "ic_mean_small_cascade_size",
    "ic_mean_small_cascade_size_from_degrees",
    "watts_cascade_condition",
    "watts_cascade_condition_from_degrees",
    "watts_cascade_window",
    "watts_cascade_window_edges",
    "watts_vulnerable_max_degree",
]

# Smallest giant-component fraction the root finders resolve (the lower end of the bracket).
_S_MIN = 1e-12


def _as_output(x: NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Return a Python float for 0-d input, the array otherwise."""
    return float(x) if x.ndim == 0 else x


# --------------------------------------------------------------------------------------
# Bass (1969)
# --------------------------------------------------------------------------------------


def _check_bass(p: float, q: float, *, discrete: bool = False) -> None:
    if not (math.isfinite(p) and p > 0.0):
        raise ValueError(f"p must be finite and > 0, got {p!r}")
    if not (math.isfinite(q) and q >= 0.0):
        raise ValueError(f"q must be finite and >= 0, got {q!r}")
    if discrete and p + q > 1.0:
        raise ValueError(f"p + q must be <= 1 for a per-step probability, got {p + q!r}")


def _check_times(t: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(t, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0.0):
        raise ValueError("t must be finite and >= 0")
    return arr


def bass_cumulative(t: ArrayLike, p: float, q: float) -> float | NDArray[np.float64]:
    """Cumulative adopted fraction F(t) of the continuous-time Bass model.

    Parameters
    ----------
    t : array_like
        Time(s) since launch, >= 0, in the units in which `p` and `q` are rates.
    p : float
        Coefficient of innovation (external influence), > 0.
    q : float
        Coefficient of imitation (internal influence), >= 0.

    Returns
    -------
    float or ndarray
        F(t), in [0, 1). A float for scalar `t`, otherwise an array shaped like `t`.

    Notes
    -----
    F solves the Bass equation dF/dt = (1 - F)(p + q F) with F(0) = 0:

    .. math:: F(t) = \\frac{1 - e^{-(p+q)t}}{1 + (q/p)\\, e^{-(p+q)t}}.

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215–227.
    """
    _check_bass(p, q)
    t_arr = _check_times(t)
    r = p + q
    e = np.exp(-r * t_arr)
    return _as_output(-np.expm1(-r * t_arr) / (1.0 + (q / p) * e))


def bass_density(t: ArrayLike, p: float, q: float) -> float | NDArray[np.float64]:
    """Adoption density f(t) = dF/dt of the continuous-time Bass model.

    Parameters
    ----------
    t : array_like
        Time(s) since launch, >= 0.
    p : float
        Coefficient of innovation, > 0.
    q : float
        Coefficient of imitation, >= 0.

    Returns
    -------
    float or ndarray
        f(t) (fraction of the population adopting per unit time).

    Notes
    -----
    .. math:: f(t) = \\frac{(p+q)^2}{p}\\,
              \\frac{e^{-(p+q)t}}{\\left(1 + (q/p)\\, e^{-(p+q)t}\\right)^2}
              = (1 - F(t))\\,(p + q F(t)).

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215–227.
    """
    _check_bass(p, q)
    t_arr = _check_times(t)
    r = p + q
    e = np.exp(-r * t_arr)
    return _as_output((r * r / p) * e / (1.0 + (q / p) * e) ** 2)


def bass_peak_time(p: float, q: float) -> float:
    """Time at which the continuous-time Bass adoption density peaks.

    Parameters
    ----------
    p : float
        Coefficient of innovation, > 0.
    q : float
        Coefficient of imitation, >= 0.

    Returns
    -------
    float
        t* = ln(q/p) / (p + q) if q > p. If q <= p the density is non-increasing from
        t = 0 (no interior peak) and 0.0 is returned.

    Notes
    -----
    Setting df/dt = 0 gives :math:`e^{-(p+q)t^*} = p/q`, i.e.
    :math:`t^* = \\ln(q/p)/(p+q)`, at which :math:`F(t^*) = (q-p)/(2q)`.

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215–227.
    """
    _check_bass(p, q)
    if q <= p:
        return 0.0
    return math.log(q / p) / (p + q)


def bass_peak_height(p: float, q: float) -> float:
    """Maximum of the continuous-time Bass adoption density.

    Parameters
    ----------
    p : float
        Coefficient of innovation, > 0.
    q : float
        Coefficient of imitation, >= 0.

    Returns
    -------
    float
        f(t*) = (p + q)^2 / (4 q) if q > p; otherwise f(0) = p, the maximum of the
        non-increasing density (the two expressions agree at q = p).

    Notes
    -----
    With :math:`e^{-(p+q)t^*} = p/q` the density formula gives
    :math:`f(t^*) = (p+q)^2/(4q)`. Equivalently, f = (1 - F)(p + qF) is maximised over F
    at F = (q - p)/(2q).

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215–227.
    """
    _check_bass(p, q)
    if q <= p:
        return float(p)
    return (p + q) ** 2 / (4.0 * q)


def bass_discrete_mean_curve(
    n_steps: int, p: float, q: float, population: int | None = None
) -> NDArray[np.float64]:
    """Mean-field adoption curve of the synchronous discrete-time Bass rule.

    In each step every non-adopter adopts independently with probability p + q F_t, where
    F_t is the adopted fraction at the start of the step (all agents see the same F_t).

    Parameters
    ----------
    n_steps : int
        Number of steps, >= 0.
    p : float
        Per-step probability of innovation, > 0.
    q : float
        Per-step imitation coefficient, >= 0, with p + q <= 1.
    population : int, optional
        If given (>= 1), return expected adopter counts ``population * F_t`` instead of
        fractions. The recursion itself does not depend on the population size.

    Returns
    -------
    ndarray, shape (n_steps + 1,)
        F_0 = 0, F_1 = p, ..., F_{n_steps} (or the same times `population`). Non-decreasing
        and bounded by 1.

    Notes
    -----
    The mean-field recursion is

    .. math:: F_{t+1} = F_t + (1 - F_t)(p + q F_t), \\qquad F_0 = 0,

    which is the forward-Euler discretisation, with step 1, of the Bass equation
    dF/dt = (1 - F)(p + qF); see :func:`bass_discretisation_gap` for how far it lies from
    the continuous curve :func:`bass_cumulative`. A validator of a step-based simulation
    should compare with this curve, which has no discretisation error.

    Finite populations. For N agents the simulated fraction fluctuates around this curve.
    With q = 0 the agents are independent and the adopted fraction at step t is exactly
    Binomial(N, F_t)/N, with standard deviation :math:`\\sqrt{F_t(1-F_t)/N}`. With q > 0
    this is only the order of magnitude: imitation amplifies early fluctuations (mostly a
    random shift of the take-off time), so the spread near take-off is larger (about twice
    the binomial value for p = 0.03, q = 0.38, N = 1000). The exact
    expectation also lies slightly below the mean-field curve, because
    (1 - F)(p + qF) = p + (q - p)F - qF^2 gives
    :math:`E[F_{t+1}] = E[F_t] + (1 - E[F_t])(p + q E[F_t]) - q\\,\\mathrm{Var}[F_t]`,
    a bias of order q/N per step.

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215–227.
    """
    _check_bass(p, q, discrete=True)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be an int >= 0, got {n_steps!r}")
    curve = np.empty(int(n_steps) + 1, dtype=float)
    f = 0.0
    curve[0] = f
    for i in range(1, int(n_steps) + 1):
        f = f + (1.0 - f) * (p + q * f)
        curve[i] = f
    if population is not None:
        if isinstance(population, bool) or not isinstance(population, (int, np.integer)):
            raise ValueError(f"population must be an int >= 1, got {population!r}")
        if population < 1:
            raise ValueError(f"population must be an int >= 1, got {population!r}")
        curve *= float(population)
    return curve


def bass_discrete_peak(p: float, q: float) -> tuple[int, float]:
    """Step of the largest increment of the discrete-time Bass mean-field recursion.

    Parameters
    ----------
    p : float
        Per-step probability of innovation, > 0.
    q : float
        Per-step imitation coefficient, >= 0, with p + q <= 1.

    Returns
    -------
    k : int
        The index k maximising the increment F_{k+1} - F_k, i.e. the position of the
        maximum of ``np.diff(bass_discrete_mean_curve(n, p, q))`` for any n > k (the first
        one on a tie). k = 0 when q <= p.
    increment : float
        That maximal increment F_{k+1} - F_k (a fraction of the population per step).

    Notes
    -----
    The increment is g(F_k) with g(F) = (1 - F)(p + qF), maximal at F = (q - p)/(2q) with
    value (p + q)^2/(4q). Since F_k increases, the increments rise and then fall, and the
    maximum is at the last k before F_k crosses (q - p)/(2q) or the first k after. Hence
    ``increment <= bass_peak_height(p, q)``, the continuous-time peak height, with a
    relative shortfall that vanishes as p + q -> 0. The increment covers the interval
    [k, k + 1]; because the recursion lags the continuous curve during take-off (see
    :func:`bass_discretisation_gap`), k + 1/2 is typically about one step later than
    :func:`bass_peak_time`. The cost is O(k) Python-level steps.

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215–227.
    """
    _check_bass(p, q, discrete=True)
    f = 0.0
    k = 0
    inc = p
    while True:
        f_next = f + inc
        inc_next = (1.0 - f_next) * (p + q * f_next)
        if inc_next <= inc:
            return k, float(inc)
        f, inc, k = f_next, inc_next, k + 1


def bass_discretisation_gap(p: float, q: float, n_steps: int) -> float:
    """Largest gap between the discrete-time Bass recursion and the continuous curve.

    Parameters
    ----------
    p : float
        Per-step probability of innovation, > 0 (a rate per unit time in the continuous
        model, with one step = one time unit).
    q : float
        Per-step imitation coefficient, >= 0, with p + q <= 1.
    n_steps : int
        Horizon in steps, >= 0.

    Returns
    -------
    float
        :math:`\\max_{0 \\le t \\le n} |F^{disc}_t - F(t)|` over integer t, with
        F^disc from :func:`bass_discrete_mean_curve` and F from :func:`bass_cumulative`.

    Notes
    -----
    The recursion is forward Euler with step 1 for dF/dt = (1 - F)(p + qF). In the natural
    time unit tau = (p + q)t the step is h = p + q, so the error made in one step is
    O((p + q)^2) and, over the O(1/(p + q)) steps the curve takes to saturate, the gap
    accumulates to O(p + q): for a fixed ratio q/p, halving p and q roughly halves the gap
    (taking twice as many steps to the same natural time). During take-off, where F is
    convex, the discrete curve lags the continuous one, because each step uses the slope
    at the start of the step; the largest gap is this lag (for p = 0.03, q = 0.38 and
    weekly steps it is about 0.071). A validator comparing a weekly-step simulation with the
    continuous Bass curve should allow this gap on top of the finite-population noise
    described in :func:`bass_discrete_mean_curve`.

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215–227.
    """
    discrete = bass_discrete_mean_curve(n_steps, p, q)
    continuous = np.asarray(bass_cumulative(np.arange(discrete.size, dtype=float), p, q))
    return float(np.max(np.abs(discrete - continuous)))


# --------------------------------------------------------------------------------------
# Independent cascade / SIR bond percolation (Newman 2002; Callaway et al. 2000)
# --------------------------------------------------------------------------------------


def _check_z(z: float) -> None:
    if not (math.isfinite(z) and z > 0.0):
        raise ValueError(f"mean degree z must be finite and > 0, got {z!r}")


def _check_T(T: float) -> None:
    if not (math.isfinite(T) and 0.0 <= T <= 1.0):
        raise ValueError(f"transmissibility T must be in [0, 1], got {T!r}")


def _check_degree_probs(degree_probs: ArrayLike) -> NDArray[np.float64]:
    pk = np.asarray(degree_probs, dtype=float)
    if pk.ndim != 1 or pk.size == 0:
        raise ValueError("degree_probs must be a non-empty 1-D array indexed by degree k")
    if np.any(~np.isfinite(pk)) or np.any(pk < 0.0):
        raise ValueError("degree_probs must be finite and >= 0")
    total = float(pk.sum())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"degree_probs must sum to 1 (within 1e-6), got {total!r}")
    pk = pk / total
    if float(np.dot(np.arange(pk.size), pk)) <= 0.0:
        raise ValueError("degree_probs must have a positive mean degree")
    return pk


def _one_minus_power(x: float, k: NDArray[np.float64]) -> NDArray[np.float64]:
    """1 - (1 - x)^k for 0 <= x <= 1, accurate for small x."""
    if x >= 1.0:
        return (k > 0).astype(float)
    return -np.expm1(k * math.log1p(-x))


def _moments(pk: NDArray[np.float64]) -> tuple[float, float]:
    k = np.arange(pk.size, dtype=float)
    return float(np.dot(k, pk)), float(np.dot(k * (k - 1.0), pk))


def ic_critical_transmissibility(z: float) -> float:
    """Epidemic threshold T_c of bond percolation on an Erdős–Rényi graph.

    Parameters
    ----------
    z : float
        Mean degree of G(n, z/n), > 0.

    Returns
    -------
    float
        T_c = 1/z. Large cascades are possible iff T > T_c; if z <= 1 then T_c >= 1 and
        no transmissibility T <= 1 gives large cascades (T = 1 at z = 1 is critical).

    Notes
    -----
    In general :math:`T_c = 1/G_1'(1) = \\langle k\\rangle/(\\langle k^2\\rangle -
    \\langle k\\rangle)`; for Poisson degrees :math:`\\langle k^2\\rangle - \\langle k
    \\rangle = z^2`, so :math:`T_c = 1/z`. Equivalently, keeping each edge of
    G(n, z/n) with probability T gives G(n, zT/n), whose giant component appears at zT = 1.

    References
    ----------
    .. [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
       Physical Review E, 66, 016128.
    .. [2] Callaway, D. S., Newman, M. E. J., Strogatz, S. H., & Watts, D. J. (2000).
       Network robustness and fragility: percolation on random graphs.
       Physical Review Letters, 85, 5468–5471.
    """
    _check_z(z)
    return 1.0 / z


def ic_critical_transmissibility_from_degrees(degree_probs: ArrayLike) -> float:
    """Epidemic threshold T_c for a configuration-model graph with degree distribution p_k.

    Parameters
    ----------
    degree_probs : array_like
        p_k for k = 0, 1, ..., K (index = degree), non-negative, summing to 1.

    Returns
    -------
    float
        T_c = <k> / (<k^2> - <k>); ``inf`` if every degree is <= 1.

    Notes
    -----
    :math:`T_c = 1/G_1'(1)` with :math:`G_1(x) = G_0'(x)/G_0'(1)` and
    :math:`G_0(x) = \\sum_k p_k x^k`.

    References
    ----------
    .. [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
       Physical Review E, 66, 016128.
    """
    pk = _check_degree_probs(degree_probs)
    mean, second_factorial = _moments(pk)
    if second_factorial <= 0.0:
        return math.inf
    return mean / second_factorial


def ic_giant_cascade_size(z: float, T: float) -> float:
    """Fraction of nodes reached by a large cascade on an Erdős–Rényi graph.

    Parameters
    ----------
    z : float
        Mean degree of G(n, z/n), > 0.
    T : float
        Transmissibility in [0, 1]: the probability that an activated node activates a given
        neighbour (once, independently per edge), as in the independent cascade model.

    Returns
    -------
    float
        S in [0, 1). 0.0 at or below the threshold zT <= 1 (and when the solution is below
        1e-12, i.e. within about 1e-12 of the threshold).

    Notes
    -----
    S is the non-zero solution of

    .. math:: S = 1 - e^{-zTS},

    found with :func:`scipy.optimize.brentq` on (1e-12, 1] (after dividing out the trivial
    root S = 0). Bond percolation with probability T on G(n, z/n) is G(n, zT/n), so S is
    its giant-component fraction. For zT = 1 + eps, S ~ 2 eps.

    References
    ----------
    .. [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
       Physical Review E, 66, 016128.
    .. [2] Callaway, D. S., Newman, M. E. J., Strogatz, S. H., & Watts, D. J. (2000).
       Network robustness and fragility: percolation on random graphs.
       Physical Review Letters, 85, 5468–5471.
    """
    _check_z(z)
    _check_T(T)
    r = z * T
    if r <= 1.0:
        return 0.0

    def phi(s: float) -> float:
        # (1 - exp(-r s)) / s - 1: positive below the root, negative above it.
        return -math.expm1(-r * s) / s - 1.0

    if phi(_S_MIN) <= 0.0:
        return 0.0
    return float(optimize.brentq(phi, _S_MIN, 1.0, xtol=1e-15, rtol=1e-14))


def ic_large_cascade_probability(z: float, T: float) -> float:
    """Probability that one random seed starts a large cascade on an Erdős–Rényi graph.

    Parameters
    ----------
    z : float
        Mean degree of G(n, z/n), > 0.
    T : float
        Transmissibility in [0, 1].

    Returns
    -------
    float
        P = S, the same value as :func:`ic_giant_cascade_size`.

    Notes
    -----
    With one transmissibility T for every edge the percolated (transmission) graph is
    undirected, so the set of nodes whose seeding leads to a large outbreak (the giant
    in-component) and the set reached by a large outbreak (the giant out-component)
    coincide: P = S, where :math:`S = 1 - e^{-zTS}` for Poisson degrees. The two differ
    only when transmission probabilities vary between nodes (Newman 2002).

    References
    ----------
    .. [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
       Physical Review E, 66, 016128.
    """
    return ic_giant_cascade_size(z, T)


def ic_mean_small_cascade_size(z: float, T: float) -> float:
    """Mean size of a finite (small) cascade from one random seed on an Erdős–Rényi graph.

    Parameters
    ----------
    z : float
        Mean degree of G(n, z/n), > 0.
    T : float
        Transmissibility in [0, 1].

    Returns
    -------
    float
        Mean number of activated nodes, seed included; ``inf`` at the threshold zT = 1.
        Above the threshold, the mean over the outbreaks that stay small.

    Notes
    -----
    Below the threshold (Newman 2002, with :math:`G_0'(1) = G_1'(1) = z` for Poisson
    degrees):

    .. math:: \\langle s\\rangle = 1 + \\frac{T G_0'(1)}{1 - T G_1'(1)}
              = 1 + \\frac{zT}{1 - zT} = \\frac{1}{1 - zT}, \\qquad T < 1/z.

    Above it, conditioning on the cascade staying finite,
    :math:`\\langle s\\rangle = 1/(1 - zT(1 - S))` with S from
    :func:`ic_giant_cascade_size` (the mean small-component size of G(n, zT/n)).

    References
    ----------
    .. [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
       Physical Review E, 66, 016128.
    """
    _check_z(z)
    _check_T(T)
    r = z * T
    if r == 1.0:
        return math.inf
    s = ic_giant_cascade_size(z, T)
    denom = 1.0 - r * (1.0 - s)
    return math.inf if denom <= 0.0 else 1.0 / denom


def _edge_giant_probability(pk: NDArray[np.float64], T: float) -> float:
    """v = 1 - u: probability that following an edge leads into the large cascade."""
    mean, second_factorial = _moments(pk)
    if T * second_factorial / mean <= 1.0:
        return 0.0
    # Excess-degree distribution q_k = (k + 1) p_{k+1} / <k>, so G1(x) = sum_k q_k x^k.
    qk = np.arange(1, pk.size, dtype=float) * pk[1:] / mean
    kk = np.arange(qk.size, dtype=float)

    def phi(v: float) -> float:
        # (1 - G1(1 - T v)) / v - 1, decreasing in v; its root is the non-trivial solution.
        return float(np.dot(qk, _one_minus_power(T * v, kk))) / v - 1.0

    if phi(1.0) >= 0.0:
        return 1.0
    if phi(_S_MIN) <= 0.0:
        return 0.0
    return float(optimize.brentq(phi, _S_MIN, 1.0, xtol=1e-15, rtol=1e-14))


def ic_giant_cascade_size_from_degrees(degree_probs: ArrayLike, T: float) -> float:
    """Large-cascade fraction S for bond percolation on a configuration-model graph.

    Parameters
    ----------
    degree_probs : array_like
        p_k for k = 0, 1, ..., K (index = degree), non-negative, summing to 1.
    T : float
        Transmissibility in [0, 1].

    Returns
    -------
    float
        S in [0, 1]; 0.0 at or below T_c = <k>/(<k^2> - <k>). As for Poisson degrees, with a
        uniform T this is also the probability that one random seed starts a large cascade.

    Notes
    -----
    With :math:`G_0(x) = \\sum_k p_k x^k` and :math:`G_1(x) = G_0'(x)/G_0'(1)`, let u be
    the smallest root in [0, 1] of

    .. math:: u = G_1(1 - T + T u), \\qquad S = 1 - G_0(1 - T + T u).

    It is solved with :func:`scipy.optimize.brentq` for v = 1 - u on (1e-12, 1] after
    dividing out the trivial root v = 0. For Poisson p_k this reduces to
    :func:`ic_giant_cascade_size`.

    References
    ----------
    .. [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
       Physical Review E, 66, 016128.
    .. [2] Callaway, D. S., Newman, M. E. J., Strogatz, S. H., & Watts, D. J. (2000).
       Network robustness and fragility: percolation on random graphs.
       Physical Review Letters, 85, 5468–5471.
    """
    pk = _check_degree_probs(degree_probs)
    _check_T(T)
    v = _edge_giant_probability(pk, T)
    if v == 0.0:
        return 0.0
    k = np.arange(pk.size, dtype=float)
    return float(np.dot(pk, _one_minus_power(T * v, k)))


def ic_mean_small_cascade_size_from_degrees(degree_probs: ArrayLike, T: float) -> float:
    """Mean size of a finite cascade from one random seed on a configuration-model graph.

    Parameters
    ----------
    degree_probs : array_like
        p_k for k = 0, 1, ..., K (index = degree), non-negative, summing to 1.
    T : float
        Transmissibility in [0, 1].

    Returns
    -------
    float
        Mean number of activated nodes, seed included, over cascades that stay finite;
        ``inf`` at the threshold T = T_c.

    Notes
    -----
    Below the threshold (Newman 2002)

    .. math:: \\langle s\\rangle = 1 + \\frac{T G_0'(1)}{1 - T G_1'(1)}.

    In general, with u and w = 1 - T + Tu as in :func:`ic_giant_cascade_size_from_degrees`,

    .. math:: \\langle s\\rangle = 1 + \\frac{T\\,G_0'(w)\\,u}{G_0(w)\\,(1 - T G_1'(w))},

    obtained from :math:`H_1(x) = x G_1(1 - T + T H_1(x))`,
    :math:`H_0(x) = x G_0(1 - T + T H_1(x))` as :math:`H_0'(1)/H_0(1)`.

    References
    ----------
    .. [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
       Physical Review E, 66, 016128.
    """
    pk = _check_degree_probs(degree_probs)
    _check_T(T)
    mean, second_factorial = _moments(pk)
    r = T * second_factorial / mean
    if r == 1.0:
        return math.inf
    v = _edge_giant_probability(pk, T)
    u = 1.0 - v
    w = 1.0 - T * v
    poly = np.polynomial.polynomial
    g0 = float(poly.polyval(w, pk))
    d0 = poly.polyder(pk)
    g0p = float(poly.polyval(w, d0)) if d0.size else 0.0
    d1 = poly.polyder(pk, 2)
    g1p = (float(poly.polyval(w, d1)) if d1.size else 0.0) / mean
    denom = 1.0 - T * g1p
    if denom <= 0.0 or g0 <= 0.0:
        return math.inf
    return 1.0 + T * g0p * u / (g0 * denom)


# --------------------------------------------------------------------------------------
# Watts (2002) global cascades
# --------------------------------------------------------------------------------------


def watts_vulnerable_max_degree(phi: float) -> float:
    """Largest degree at which a node with fractional threshold `phi` is vulnerable.

    Parameters
    ----------
    phi : float
        Threshold in [0, 1]; a node activates when the fraction of active neighbours is
        >= phi.

    Returns
    -------
    float
        floor(1/phi) (a node of degree k >= 1 is vulnerable, i.e. one active neighbour
        suffices, iff 1/k >= phi); ``inf`` for phi = 0. A relative tolerance of 1e-9 is
        used so that e.g. phi = 1/3 gives 3.

    References
    ----------
    .. [1] Watts, D. J. (2002). A simple model of global cascades on random networks.
       PNAS, 99(9), 5766–5771.
    """
    if not (math.isfinite(phi) and 0.0 <= phi <= 1.0):
        raise ValueError(f"phi must be in [0, 1], got {phi!r}")
    if phi == 0.0:
        return math.inf
    return float(math.floor(1.0 / phi * (1.0 + 1e-9)))


def watts_cascade_condition(z: ArrayLike, phi: float) -> float | NDArray[np.float64]:
    """Watts cascade-condition ratio for an Erdős–Rényi graph (Poisson degrees).

    Parameters
    ----------
    z : array_like
        Mean degree(s), >= 0.
    phi : float
        Common fractional threshold in [0, 1] (activate when the fraction of active
        neighbours is >= phi).

    Returns
    -------
    float or ndarray
        :math:`\\sum_k k(k-1)\\rho_k p_k / z` (0 at z = 0). Global cascades from a single
        random seed are possible (the vulnerable nodes percolate) where it exceeds 1.

    Notes
    -----
    Watts' cascade condition (his eq. 3) is

    .. math:: G_0''(1) = \\sum_k k(k-1)\\rho_k p_k > z,

    with :math:`\\rho_k = 1` if :math:`k \\le 1/\\phi` (vulnerable) and 0 otherwise. For
    Poisson :math:`p_k = e^{-z}z^k/k!` and :math:`K = \\lfloor 1/\\phi \\rfloor`,

    .. math:: \\frac{1}{z}\\sum_{k=2}^{K} k(k-1) p_k = z\\,P(\\mathrm{Poisson}(z) \\le K-2).

    References
    ----------
    .. [1] Watts, D. J. (2002). A simple model of global cascades on random networks.
       PNAS, 99(9), 5766–5771.
    """
    z_arr = np.asarray(z, dtype=float)
    if np.any(~np.isfinite(z_arr)) or np.any(z_arr < 0.0):
        raise ValueError("z must be finite and >= 0")
    kmax = watts_vulnerable_max_degree(phi)
    if math.isinf(kmax):
        return _as_output(z_arr.copy())
    return _as_output(z_arr * stats.poisson.cdf(kmax - 2.0, z_arr))


def watts_cascade_condition_from_degrees(degree_probs: ArrayLike, phi: float) -> float:
    """Watts cascade-condition ratio for a configuration-model graph.

    Parameters
    ----------
    degree_probs : array_like
        p_k for k = 0, 1, ..., K (index = degree), non-negative, summing to 1.
    phi : float
        Common fractional threshold in [0, 1].

    Returns
    -------
    float
        :math:`\\sum_k k(k-1)\\rho_k p_k / \\langle k\\rangle`; cascades are possible where
        it exceeds 1.

    Notes
    -----
    See :func:`watts_cascade_condition`; z is the mean degree :math:`\\langle k\\rangle`.

    References
    ----------
    .. [1] Watts, D. J. (2002). A simple model of global cascades on random networks.
       PNAS, 99(9), 5766–5771.
    """
    pk = _check_degree_probs(degree_probs)
    kmax = watts_vulnerable_max_degree(phi)
    k = np.arange(pk.size, dtype=float)
    rho = (k <= kmax).astype(float)
    mean, _ = _moments(pk)
    return float(np.dot(k * (k - 1.0) * rho, pk)) / mean


def watts_cascade_window(phi: float, z_grid: ArrayLike) -> NDArray[np.float64]:
    """Mean degrees on a grid at which Watts global cascades are possible (Poisson degrees).

    Parameters
    ----------
    phi : float
        Common fractional threshold in [0, 1].
    z_grid : array_like
        Mean degrees to test, >= 0.

    Returns
    -------
    ndarray
        The entries of `z_grid` (flattened, in order) where
        :func:`watts_cascade_condition` exceeds 1.

    Notes
    -----
    Condition :math:`z\\,P(\\mathrm{Poisson}(z) \\le \\lfloor 1/\\phi \\rfloor - 2) > 1`.
    For phi > 1/4 no z satisfies it. See :func:`watts_cascade_window_edges` for the exact
    boundaries.

    References
    ----------
    .. [1] Watts, D. J. (2002). A simple model of global cascades on random networks.
       PNAS, 99(9), 5766–5771.
    """
    zs = np.asarray(z_grid, dtype=float).ravel()
    ratio = np.asarray(watts_cascade_condition(zs, phi))
    return zs[ratio > 1.0]


def watts_cascade_window_edges(phi: float) -> tuple[float, float] | None:
    """Lower and upper mean degree bounding the Watts cascade window (Poisson degrees).

    Parameters
    ----------
    phi : float
        Common fractional threshold in (0, 1].

    Returns
    -------
    tuple of float or None
        (z_lower, z_upper), the roots of :math:`z\\,P(\\mathrm{Poisson}(z) \\le K-2) = 1`
        with K = floor(1/phi); cascades are possible for z_lower < z < z_upper. ``None`` if
        there is no window (phi > 1/4).

    Notes
    -----
    The lower edge is the percolation of the (vulnerable) graph, just above z = 1; the
    upper edge is where too few nodes remain vulnerable. The roots are bracketed on a grid
    and refined with :func:`scipy.optimize.brentq`. For phi = 0.18 (K = 5) the window is
    about 1.021 < z < 5.765.

    References
    ----------
    .. [1] Watts, D. J. (2002). A simple model of global cascades on random networks.
       PNAS, 99(9), 5766–5771.
    """
    kmax = watts_vulnerable_max_degree(phi)
    if math.isinf(kmax):
        raise ValueError("phi must be > 0 (for phi = 0 the window is z > 1, unbounded)")
    m = kmax - 2.0
    if m < 0.0:
        return None

    def excess(zz: float) -> float:
        return float(zz * stats.poisson.cdf(m, zz)) - 1.0

    # z P(Poisson(z) <= m) is negligible for z well beyond m.
    z_hi = m + 12.0 * math.sqrt(m + 1.0) + 20.0
    grid = np.linspace(0.0, z_hi, 4001)
    values = grid * stats.poisson.cdf(m, grid) - 1.0
    above = np.flatnonzero(values > 0.0)
    if above.size == 0:
        return None
    i, j = int(above[0]), int(above[-1])
    lower = float(optimize.brentq(excess, grid[i - 1], grid[i], xtol=1e-13))
    upper = float(optimize.brentq(excess, grid[j], grid[j + 1], xtol=1e-13))
    return lower, upper


# --------------------------------------------------------------------------------------
# Complex contagion on a ring lattice (after Centola & Macy 2007)
# --------------------------------------------------------------------------------------


def complex_contagion_ring_spreads(
    k_neighbours_each_side: int, a: int, seed_width: int | None = None
) -> bool:
    """Whether a contiguous seed block takes over a ring lattice under a count threshold.

    Parameters
    ----------
    k_neighbours_each_side : int
        k >= 1: each node is tied to the k nearest nodes on each side (degree 2k).
    a : int
        Count threshold a >= 1: a node adopts once at least `a` of its neighbours have
        (adoption is permanent).
    seed_width : int, optional
        Width w of the contiguous block of seeds. ``None`` means w >= a.

    Returns
    -------
    bool
        True iff the whole ring adopts: a <= k and w >= a.

    Notes
    -----
    Assumes the unseeded arc has at least 2k nodes (n - w >= 2k), so no unseeded node sees
    seeds on both sides. A node just outside a block of width w has min(w, k) adopted
    neighbours, all on one side. If a <= k and w >= a that is >= a, the block grows by one
    node at each end per synchronous step and covers the ring. If a > k (or w < a) no
    unseeded node ever has a adopted neighbours, so nothing spreads. Because adoption is
    monotone, the final state is the same under any update order (synchronous or
    asynchronous). This is the elementary case of Centola & Macy's argument that complex
    contagions (a >= 2) need wide bridges: they spread on clustered lattices with
    sufficiently overlapping neighbourhoods but not through single ties.

    References
    ----------
    .. [1] Centola, D., & Macy, M. (2007). Complex contagions and the weakness of long ties.
       American Journal of Sociology, 113(3), 702–734.
    """
    k = k_neighbours_each_side
    for name, val in (("k_neighbours_each_side", k), ("a", a)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < 1:
            raise ValueError(f"{name} must be an int >= 1, got {val!r}")
    if seed_width is not None:
        if (
            isinstance(seed_width, bool)
            or not isinstance(seed_width, (int, np.integer))
            or seed_width < 0
        ):
            raise ValueError(f"seed_width must be an int >= 0, got {seed_width!r}")
        if seed_width < a:
            return False
    return bool(a <= k)

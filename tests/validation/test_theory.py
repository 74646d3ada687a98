"""Tests for the closed-form reference results in netsim.validation.theory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from netsim.validation import theory as th

# Classic Bass estimates (Sultan, Farley & Lehmann 1990 averages), per unit time.
P, Q = 0.03, 0.38


def truncated_poisson(z: float, kmax: int = 200) -> np.ndarray:
    pk = stats.poisson.pmf(np.arange(kmax + 1), z)
    return pk / pk.sum()


# --------------------------------------------------------------------------------------
# Bass, continuous time
# --------------------------------------------------------------------------------------


def test_bass_cumulative_limits_and_monotone() -> None:
    assert th.bass_cumulative(0.0, P, Q) == 0.0
    assert th.bass_cumulative(500.0, P, Q) == pytest.approx(1.0, abs=1e-12)
    t = np.linspace(0.0, 60.0, 2001)
    f = th.bass_cumulative(t, P, Q)
    assert isinstance(f, np.ndarray) and f.shape == t.shape
    assert np.all(np.diff(f) > 0.0)
    assert np.all((f >= 0.0) & (f < 1.0))


def test_bass_cumulative_q_zero_is_exponential() -> None:
    t = np.linspace(0.0, 50.0, 101)
    np.testing.assert_allclose(th.bass_cumulative(t, 0.05, 0.0), -np.expm1(-0.05 * t), atol=1e-15)


def test_bass_density_is_derivative_and_peak_matches_grid() -> None:
    dt = 1e-4
    t = np.arange(0.0, 40.0 + dt / 2, dt)
    f_num = np.gradient(np.asarray(th.bass_cumulative(t, P, Q)), t)
    dens = np.asarray(th.bass_density(t, P, Q))
    np.testing.assert_allclose(f_num[1:-1], dens[1:-1], atol=1e-8)
    # Density also satisfies the Bass equation f = (1 - F)(p + qF).
    F = np.asarray(th.bass_cumulative(t, P, Q))
    np.testing.assert_allclose(dens, (1.0 - F) * (P + Q * F), rtol=1e-12, atol=1e-15)

    t_star = th.bass_peak_time(P, Q)
    assert t_star == pytest.approx(math.log(Q / P) / (P + Q), rel=1e-15)
    assert t[np.argmax(f_num)] == pytest.approx(t_star, abs=1e-3)
    assert th.bass_peak_height(P, Q) == pytest.approx(f_num.max(), rel=1e-6)
    assert th.bass_peak_height(P, Q) == pytest.approx((P + Q) ** 2 / (4 * Q), rel=1e-15)
    assert th.bass_density(t_star, P, Q) == pytest.approx(th.bass_peak_height(P, Q), rel=1e-12)
    assert th.bass_cumulative(t_star, P, Q) == pytest.approx((Q - P) / (2 * Q), rel=1e-12)


@pytest.mark.parametrize("p, q", [(0.1, 0.05), (0.1, 0.1), (0.2, 0.0)])
def test_bass_no_interior_peak_when_q_le_p(p: float, q: float) -> None:
    assert th.bass_peak_time(p, q) == 0.0
    assert th.bass_peak_height(p, q) == pytest.approx(th.bass_density(0.0, p, q), rel=1e-12)
    assert th.bass_peak_height(p, q) == pytest.approx(p, rel=1e-12)
    dens = np.asarray(th.bass_density(np.linspace(0.0, 50.0, 501), p, q))
    assert np.all(np.diff(dens) <= 1e-15)


@pytest.mark.parametrize(
    "call",
    [
        lambda: th.bass_cumulative(1.0, 0.0, 0.3),
        lambda: th.bass_cumulative(1.0, 0.03, -0.1),
        lambda: th.bass_cumulative(-1.0, 0.03, 0.3),
        lambda: th.bass_density(np.nan, 0.03, 0.3),
        lambda: th.bass_discrete_mean_curve(10, 0.5, 0.6),
        lambda: th.bass_discrete_mean_curve(-1, 0.03, 0.3),
        lambda: th.bass_discrete_mean_curve(10, 0.03, 0.3, population=0),
    ],
)
def test_bass_rejects_bad_input(call) -> None:
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------------------
# Bass, discrete time
# --------------------------------------------------------------------------------------


def test_bass_discrete_curve_recursion() -> None:
    n = 80
    F = th.bass_discrete_mean_curve(n, P, Q)
    assert F.shape == (n + 1,)
    assert F[0] == 0.0
    assert F[1] == pytest.approx(P, rel=1e-15)
    assert F[2] == pytest.approx(P + (1 - P) * (P + Q * P), rel=1e-15)
    np.testing.assert_allclose(F[1:], F[:-1] + (1 - F[:-1]) * (P + Q * F[:-1]), rtol=1e-15)
    assert np.all(np.diff(F) >= 0.0) and F.max() <= 1.0
    assert F[-1] == pytest.approx(1.0, abs=1e-9)
    counts = th.bass_discrete_mean_curve(n, P, Q, population=250)
    np.testing.assert_allclose(counts, 250 * F, rtol=1e-15)
    assert th.bass_discrete_mean_curve(0, P, Q).tolist() == [0.0]


def test_bass_discrete_q_zero_is_geometric() -> None:
    t = np.arange(101)
    np.testing.assert_allclose(
        th.bass_discrete_mean_curve(100, 0.05, 0.0), 1.0 - 0.95**t, rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("p, q", [(P, Q), (0.01, 0.1), (0.001, 0.5), (0.1, 0.9), (0.2, 0.1)])
def test_bass_discrete_peak_matches_curve(p: float, q: float) -> None:
    k, inc = th.bass_discrete_peak(p, q)
    diffs = np.diff(th.bass_discrete_mean_curve(k + 50, p, q))
    assert k == int(np.argmax(diffs))
    assert inc == pytest.approx(diffs[k], rel=1e-12)
    assert inc <= th.bass_peak_height(p, q) * (1 + 1e-12)
    if q <= p:
        assert (k, inc) == (0, pytest.approx(p))


def test_bass_discrete_peak_close_to_continuous_for_small_rates() -> None:
    p, q = P / 8, Q / 8
    k, inc = th.bass_discrete_peak(p, q)
    assert inc == pytest.approx(th.bass_peak_height(p, q), rel=1e-3)
    assert abs(k + 0.5 - th.bass_peak_time(p, q)) <= 1.5
    k0, inc0 = th.bass_discrete_peak(P, Q)
    assert k0 == 7 and inc0 == pytest.approx(0.110481, abs=1e-6)


def test_bass_discretisation_gap_is_first_order() -> None:
    # Same curve shape (q/p fixed), step halved in natural time each time.
    gaps = [th.bass_discretisation_gap(P / 2**j, Q / 2**j, 60 * 2**j) for j in range(4)]
    assert gaps[0] == pytest.approx(0.07140, abs=1e-4)
    assert all(g1 < g0 for g0, g1 in zip(gaps, gaps[1:], strict=False))
    ratios = np.array(gaps[1:]) / np.array(gaps[:-1])
    assert np.all((ratios > 0.45) & (ratios < 0.55))
    # The gap is over the whole horizon: at t = 0 both curves are 0.
    assert th.bass_discretisation_gap(P, Q, 0) == 0.0


# --------------------------------------------------------------------------------------
# Independent cascade / bond percolation
# --------------------------------------------------------------------------------------


def test_ic_threshold() -> None:
    assert th.ic_critical_transmissibility(4.0) == 0.25
    assert th.ic_critical_transmissibility_from_degrees(truncated_poisson(4.0)) == pytest.approx(
        0.25, rel=1e-9
    )
    regular3 = np.array([0, 0, 0, 1.0])
    assert th.ic_critical_transmissibility_from_degrees(regular3) == pytest.approx(0.5)
    assert th.ic_critical_transmissibility_from_degrees([0.5, 0.5]) == math.inf
    with pytest.raises(ValueError):
        th.ic_critical_transmissibility(0.0)


@pytest.mark.parametrize("z, T", [(2.0, 0.5), (2.0, 0.3), (4.0, 0.25), (4.0, 0.0), (0.8, 1.0)])
def test_ic_no_giant_at_or_below_threshold(z: float, T: float) -> None:
    assert th.ic_giant_cascade_size(z, T) == 0.0
    assert th.ic_large_cascade_probability(z, T) == 0.0
    assert th.ic_giant_cascade_size_from_degrees(truncated_poisson(z), T) == 0.0


def test_ic_giant_size_values() -> None:
    s = th.ic_giant_cascade_size(2.0, 1.0)
    assert s == pytest.approx(0.7968, abs=1e-4)
    assert s == pytest.approx(1.0 - math.exp(-2.0 * s), abs=1e-14)
    assert th.ic_large_cascade_probability(2.0, 1.0) == s
    # Near threshold zT = 1 + eps: S = 2 eps / (1 + eps)^2 + O(eps^2).
    eps = 0.01
    assert th.ic_giant_cascade_size(1.0 + eps, 1.0) == pytest.approx(2 * eps, rel=0.05)
    s_tiny = th.ic_giant_cascade_size(1.0 + 1e-9, 1.0)
    assert s_tiny == pytest.approx(2e-9, rel=1e-3)


def test_ic_giant_size_monotone_in_T() -> None:
    z = 3.0
    Ts = np.linspace(0.0, 1.0, 201)
    S = np.array([th.ic_giant_cascade_size(z, T) for T in Ts])
    assert np.all(np.diff(S) >= 0.0)
    assert np.all(S[Ts <= 1 / z] == 0.0)
    assert np.all(S[Ts > 1 / z] > 0.0)
    # Depends on z and T only through zT (G(n, z/n) percolated with T is G(n, zT/n)).
    assert th.ic_giant_cascade_size(3.0, 0.5) == pytest.approx(
        th.ic_giant_cascade_size(1.5, 1.0), rel=1e-12
    )


def test_ic_mean_small_cascade_size() -> None:
    assert th.ic_mean_small_cascade_size(2.0, 0.25) == pytest.approx(2.0, rel=1e-12)
    for z, T in [(2.0, 0.1), (3.0, 0.3), (0.5, 1.0)]:
        assert th.ic_mean_small_cascade_size(z, T) == pytest.approx(
            1.0 + z * T / (1.0 - z * T), rel=1e-12
        )
    assert th.ic_mean_small_cascade_size(2.0, 0.5) == math.inf
    # Diverges on both sides of the threshold, finite away from it.
    below = [th.ic_mean_small_cascade_size(2.0, 0.5 - d) for d in (1e-1, 1e-2, 1e-3)]
    above = [th.ic_mean_small_cascade_size(2.0, 0.5 + d) for d in (1e-1, 1e-2, 1e-3)]
    assert below[0] < below[1] < below[2] and above[0] < above[1] < above[2]
    s = th.ic_giant_cascade_size(2.0, 1.0)
    assert th.ic_mean_small_cascade_size(2.0, 1.0) == pytest.approx(
        1.0 / (1.0 - 2.0 * (1.0 - s)), rel=1e-12
    )


@pytest.mark.parametrize("z", [1.5, 2.0, 3.0, 6.0])
@pytest.mark.parametrize("T", [0.1, 0.4, 0.55, 0.8, 1.0])
def test_ic_generating_functions_agree_with_poisson(z: float, T: float) -> None:
    pk = truncated_poisson(z)
    assert th.ic_giant_cascade_size_from_degrees(pk, T) == pytest.approx(
        th.ic_giant_cascade_size(z, T), abs=1e-6
    )
    if abs(z * T - 1.0) > 1e-9:
        assert th.ic_mean_small_cascade_size_from_degrees(pk, T) == pytest.approx(
            th.ic_mean_small_cascade_size(z, T), rel=1e-6
        )


def test_ic_generating_functions_regular_graph_exact() -> None:
    # 3-regular: u = (1 - T + T u)^2. At T = 3/4 the roots are 1/9 and 1, so
    # S = 1 - (1/4 + 3/4 * 1/9)^3 = 1 - (1/3)^3 = 26/27.
    regular3 = np.array([0, 0, 0, 1.0])
    s_075 = th.ic_giant_cascade_size_from_degrees(regular3, 0.75)
    assert s_075 == pytest.approx(26 / 27, abs=1e-12)
    assert th.ic_giant_cascade_size_from_degrees(regular3, 1.0) == pytest.approx(1.0, abs=1e-12)
    assert th.ic_giant_cascade_size_from_degrees(regular3, 0.5) == 0.0
    # Below threshold: <s> = 1 + T <k> / (1 - T (<k^2> - <k>)/<k>) = 1 + 3T / (1 - 2T).
    assert th.ic_mean_small_cascade_size_from_degrees(regular3, 0.25) == pytest.approx(
        1 + 0.75 / 0.5, rel=1e-12
    )
    with pytest.raises(ValueError):
        th.ic_giant_cascade_size_from_degrees([0.5, 0.6], 0.5)
    with pytest.raises(ValueError):
        th.ic_giant_cascade_size_from_degrees(regular3, 1.5)


# --------------------------------------------------------------------------------------
# Watts (2002)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("phi", [0.1, 0.18, 0.2, 0.25, 1 / 3, 0.5])
@pytest.mark.parametrize("z", [0.5, 1.0, 2.0, 5.0, 10.0])
def test_watts_condition_matches_explicit_sum(phi: float, z: float) -> None:
    k = np.arange(0, 201)
    pk = stats.poisson.pmf(k, z)
    rho = (k * phi <= 1.0 + 1e-12).astype(float)
    explicit = float(np.sum(k * (k - 1) * rho * pk)) / z
    assert th.watts_cascade_condition(z, phi) == pytest.approx(explicit, rel=1e-10, abs=1e-14)
    assert th.watts_cascade_condition_from_degrees(truncated_poisson(z), phi) == pytest.approx(
        explicit, rel=1e-8, abs=1e-14
    )


def test_watts_vulnerable_degree() -> None:
    assert th.watts_vulnerable_max_degree(0.18) == 5
    assert th.watts_vulnerable_max_degree(0.25) == 4
    assert th.watts_vulnerable_max_degree(1 / 3) == 3
    assert th.watts_vulnerable_max_degree(0.1) == 10
    assert th.watts_vulnerable_max_degree(0.0) == math.inf
    # phi = 0: every node is vulnerable and the condition is ordinary percolation, z > 1.
    assert th.watts_cascade_condition(2.5, 0.0) == 2.5


def test_watts_cascade_window_phi_018() -> None:
    phi = 0.18
    for z in (2.0, 3.0, 4.0, 5.0):
        assert th.watts_cascade_condition(z, phi) > 1.0
    for z in (0.8, 1.0, 6.5, 12.0):
        assert th.watts_cascade_condition(z, phi) < 1.0
    edges = th.watts_cascade_window_edges(phi)
    assert edges is not None
    lower, upper = edges
    # Watts (2002) Fig. 1: for phi = 0.18 the window spans roughly 1 < z < 6.5.
    assert lower > 1.0 and lower < 2.0
    assert 5.0 < upper < 6.5
    assert th.watts_cascade_condition(lower, phi) == pytest.approx(1.0, abs=1e-10)
    assert th.watts_cascade_condition(upper, phi) == pytest.approx(1.0, abs=1e-10)
    grid = np.linspace(0.0, 15.0, 1501)
    window = th.watts_cascade_window(phi, grid)
    assert window.min() >= lower and window.max() <= upper
    np.testing.assert_array_equal(window, grid[(grid > lower) & (grid < upper)])


def test_watts_window_shape() -> None:
    # No window once a vulnerable node needs degree <= 3 (phi > 1/4).
    for phi in (0.26, 0.3, 0.5, 1.0):
        assert th.watts_cascade_window_edges(phi) is None
        assert th.watts_cascade_window(phi, np.linspace(0, 20, 201)).size == 0
    # Lower thresholds widen the window.
    e10 = th.watts_cascade_window_edges(0.10)
    e18 = th.watts_cascade_window_edges(0.18)
    e25 = th.watts_cascade_window_edges(0.25)
    assert e10 is not None and e18 is not None and e25 is not None
    assert e10[0] < e18[0] < e25[0]
    assert e10[1] > e18[1] > e25[1]


# --------------------------------------------------------------------------------------
# Complex contagion on a ring lattice (Centola & Macy 2007)
# --------------------------------------------------------------------------------------


def ring_threshold_final_state(n: int, k: int, a: int, seeds: np.ndarray) -> np.ndarray:
    """Synchronous count-threshold dynamics on a ring with k neighbours each side."""
    state = np.zeros(n, dtype=bool)
    state[seeds] = True
    offsets = [o for o in range(-k, k + 1) if o != 0]
    while True:
        counts = sum(np.roll(state, o).astype(int) for o in offsets)
        new = state | (counts >= a)
        if np.array_equal(new, state):
            return state
        state = new


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("a", [1, 2, 3, 4])
def test_ring_rule_matches_brute_force(k: int, a: int) -> None:
    n = 40
    for width in range(max(a - 1, 0), a + 3):
        if width == 0:
            continue
        seeds = np.arange(5, 5 + width)
        assert n - width >= 2 * k
        all_adopted = bool(ring_threshold_final_state(n, k, a, seeds).all())
        assert th.complex_contagion_ring_spreads(k, a, seed_width=width) == all_adopted
        if width >= a:
            assert th.complex_contagion_ring_spreads(k, a) == all_adopted
    with pytest.raises(ValueError):
        th.complex_contagion_ring_spreads(0, a)

"""LTV: the simple formula, BG/NBD and Gamma-Gamma.

The models are checked three independent ways: likelihoods worked out by hand on tiny examples,
expectations against direct numerical integration of the model's own definition (λ, p
integrated out with scipy), and parameter recovery on data simulated from known parameters.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from scipy import integrate

from closedloop.engine.ltv import clv_discounted, ltv_probabilistic, ltv_simple, ltv_simple_from, rfm_summary
from closedloop.engine.ltv_bgnbd import (
    BgNbdParams,
    bgnbd_conditional_expected,
    bgnbd_expected,
    bgnbd_fit,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
)
from closedloop.engine.ltv_gamma_gamma import (
    GammaGammaParams,
    gamma_gamma_expected_value,
    gamma_gamma_fit,
    gamma_gamma_log_likelihood,
)
from closedloop.engine.periods import Period

TS = pa.timestamp("us", tz="UTC")


def at(month: int, day: int, year: int = 2024) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


# --- simple LTV --------------------------------------------------------------------------------


def test_simple_ltv_formula():
    # 100 a month × 80 % margin / 5 % monthly churn = 80 / 0.05 = 1600.
    assert ltv_simple(revenue_per_customer=100, gross_margin=0.8, churn_rate=0.05) == pytest.approx(1600)
    assert ltv_simple(revenue_per_customer=100, gross_margin=0.8, churn_rate=0) is None
    with pytest.raises(ValueError, match="gross_margin"):
        ltv_simple(revenue_per_customer=100, gross_margin=80, churn_rate=0.05)


def test_simple_ltv_from_tables():
    customers = pa.table(
        {
            "customer_id": ["A", "B", "C", "D", "E"],
            "started_at": pa.array(
                [at(12, 1, 2023), at(12, 15, 2023), at(11, 1, 2023), at(1, 5), at(12, 31, 2023)], TS
            ),
            "churned_at": pa.array([None, at(1, 10), at(12, 20, 2023), at(1, 25), at(2, 1)], TS),
        }
    )
    transactions = pa.table(
        {
            "customer_id": ["A", "B", "E", "D", "A"],
            "at": pa.array([at(1, 3), at(1, 4), at(1, 20), at(1, 6), at(2, 3)], TS),
            "amount": [100.0, 50.0, 150.0, 100.0, 100.0],
        }
    )
    # January revenue 100 + 50 + 150 + 100 = 400 over customers active at some point in January
    # (A, B, D, E — C left in December) → 100 each. Churn: of A, B, E active on 1 Jan, B left → 1/3.
    # LTV = 100 × 0.75 / (1/3) = 225.
    result = ltv_simple_from(transactions, customers, Period.month(2024, 1), gross_margin=0.75)
    assert (result.revenue, result.active_customers) == (400.0, 4)
    assert result.revenue_per_customer == pytest.approx(100.0)
    assert result.churn.churn_rate == pytest.approx(1 / 3)
    assert result.ltv == pytest.approx(225.0)


# --- RFM summary -------------------------------------------------------------------------------


def test_rfm_summary_by_hand():
    transactions = pa.table(
        {
            "customer_id": [1, 1, 1, 1, 2, 3],
            "at": pa.array([at(1, 1), at(1, 1), at(1, 15), at(1, 29), at(2, 5), at(2, 20)], TS),
            "amount": [10.0, 5.0, 20.0, 30.0, 50.0, 99.0],
        }
    )
    rfm = rfm_summary(transactions, as_of=at(2, 12), unit_days=7).to_table().to_pylist()
    # Customer 1: purchase days 1, 15, 29 Jan (two buys on the 1st are one occasion) → 2 repeats;
    # recency 28 days = 4 weeks; T = 1 Jan → 12 Feb = 42 days = 6 weeks; monetary = mean of the
    # repeats (20 + 30) / 2 = 25 — the first purchase is not part of it.
    # Customer 2: one purchase on 5 Feb → 0, 0, 1 week, 0. Customer 3 buys after as_of: absent.
    assert rfm == [
        {"customer_id": 1, "frequency": 2, "recency": 4.0, "T": 6.0, "monetary_value": 25.0},
        {"customer_id": 2, "frequency": 0, "recency": 0.0, "T": 1.0, "monetary_value": 0.0},
    ]


# --- BG/NBD: hand-computed likelihood ----------------------------------------------------------


def test_bgnbd_likelihood_by_hand():
    # r = α = a = b = 1, so Γ(r) = 1, α^r = 1 and B(1, 1) = 1:
    # (x=0, T=1):        B(1,1)·Γ(1)/(2)^1 = 1/2.
    # (x=1, t_x=1, T=2): B(1,2)·Γ(2)/3² + B(2,1)·Γ(2)/2² = (1/2)(1/9) + (1/2)(1/4) = 1/18 + 1/8 = 13/72.
    # (x=2, t_x=1, T=2): B(1,3)·Γ(3)/3³ + B(2,2)·Γ(3)/2³ = (1/3)(2/27) + (1/6)(2/8) = 2/81 + 1/24 = 43/648.
    ll = bgnbd_log_likelihood(
        (1.0, 1.0, 1.0, 1.0), np.array([0, 1, 2]), np.array([0.0, 1, 1]), np.array([1.0, 2, 2])
    )
    assert np.exp(ll) == pytest.approx([1 / 2, 13 / 72, 43 / 648], rel=1e-12)


def test_bgnbd_p_alive_by_hand():
    # P(alive) is the first likelihood term over the sum: (1/18)/(13/72) = 4/13 and
    # (2/81)/(43/648) = 16/43; with no repeat purchase the customer cannot have left.
    params = BgNbdParams(1.0, 1.0, 1.0, 1.0)
    alive = bgnbd_p_alive(params, np.array([0, 1, 2]), np.array([0.0, 1, 1]), np.array([1.0, 2, 2]))
    assert alive == pytest.approx([1.0, 4 / 13, 16 / 43], rel=1e-12)


# --- BG/NBD: expectations against numerical integration of the model ---------------------------


def _prior(r, alpha, a, b):
    """g(λ | r, α) · f(p | a, b), the gamma and beta densities written out (scipy.stats' pdfs are
    too slow to call a million times inside a double integral)."""
    log_norm = r * math.log(alpha) - math.lgamma(r) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))

    def prior(lam, p):
        if lam <= 0 or p <= 0 or p >= 1:
            return 0.0
        return math.exp(
            log_norm
            + (r - 1) * math.log(lam)
            - alpha * lam
            + (a - 1) * math.log(p)
            + (b - 1) * math.log1p(-p)
        )

    return prior


def _integrate_model(r, alpha, a, b, t, x, t_x, T):
    """E[Y(t) | x, t_x, T] from the model's definition, by 2-D quadrature over λ and p.

    Individual likelihood: (1−p)^x λ^x e^{−λT} (still active) + [x>0] p(1−p)^{x−1} λ^x e^{−λt_x}.
    An active customer makes (1/p)(1 − e^{−λpt}) more purchases in t (FHL 2005, eq. 5).
    """
    prior = _prior(r, alpha, a, b)
    alive = lambda lam, p: (1 - p) ** x * lam**x * math.exp(-lam * T)  # noqa: E731

    def died(lam, p):
        return p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x) if x > 0 else 0.0

    future = integrate.dblquad(
        lambda lam, p: alive(lam, p) * (1 - math.exp(-lam * p * t)) / p * prior(lam, p), 0, 1, 0, np.inf
    )[0]
    evidence = integrate.dblquad(
        lambda lam, p: (alive(lam, p) + died(lam, p)) * prior(lam, p), 0, 1, 0, np.inf
    )[0]
    return future / evidence


@pytest.mark.parametrize(
    ("params", "customer"),
    [
        ((0.5, 2.0, 1.5, 3.0), (2, 3.0, 5.0)),
        ((0.5, 2.0, 1.5, 3.0), (0, 0.0, 5.0)),
        # a < 1: eq. (10) still holds although it divides by a − 1 < 0.
        ((1.2, 3.0, 0.7, 2.0), (4, 1.0, 6.0)),
    ],
)
def test_bgnbd_conditional_expectation_matches_the_integrated_model(params, customer):
    x, t_x, T = customer
    expected = _integrate_model(*params, 4.0, x, t_x, T)
    got = bgnbd_conditional_expected(BgNbdParams(*params), 4.0, np.array([x]), np.array([t_x]), np.array([T]))
    assert got[0] == pytest.approx(expected, rel=1e-6)


def test_bgnbd_unconditional_expectation_matches_the_integrated_model():
    # E[X(t)] = ∫∫ (1/p)(1 − e^{−λpt}) g(λ) f(p) dλ dp.
    r, alpha, a, b = 0.8, 3.0, 1.4, 2.5
    prior = _prior(r, alpha, a, b)
    reference = integrate.dblquad(
        lambda lam, p: (1 - math.exp(-lam * p * 10.0)) / p * prior(lam, p), 0, 1, 0, np.inf
    )[0]
    assert bgnbd_expected(BgNbdParams(r, alpha, a, b), 10.0) == pytest.approx(reference, rel=1e-6)


def test_bgnbd_expectation_is_continuous_at_a_equal_one():
    params = [BgNbdParams(0.5, 2.0, a, 3.0) for a in (1.0 - 1e-3, 1.0, 1.0 + 1e-3)]
    values = [
        bgnbd_conditional_expected(p, 4.0, np.array([2]), np.array([3.0]), np.array([5.0]))[0] for p in params
    ]
    assert values[1] == pytest.approx((values[0] + values[2]) / 2, rel=1e-4)


# --- BG/NBD and Gamma-Gamma: parameter recovery on simulated data ------------------------------


def simulate_bgnbd(r, alpha, a, b, T, rng):
    """Draw (x, t_x) per customer from the BG/NBD story: λ ~ Gamma(r, α), p ~ Beta(a, b),
    Poisson purchases at rate λ, dropping out with probability p after each repeat purchase."""
    lam, p = rng.gamma(r, 1 / alpha, len(T)), rng.beta(a, b, len(T))
    x, t_x = np.zeros(len(T)), np.zeros(len(T))
    for i in range(len(T)):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < p[i]:
                break
    return x, t_x


def test_bgnbd_fit_recovers_known_parameters():
    rng = np.random.default_rng(20240501)
    T = rng.uniform(30, 60, 5000)
    x, t_x = simulate_bgnbd(1.5, 6.0, 1.5, 3.0, T, rng)
    fitted = bgnbd_fit(x, t_x, T)
    assert fitted.r == pytest.approx(1.5, rel=0.15)
    assert fitted.alpha == pytest.approx(6.0, rel=0.15)
    assert fitted.a == pytest.approx(1.5, rel=0.25)
    assert fitted.b == pytest.approx(3.0, rel=0.25)
    # What matters downstream is the forecast: a year of purchases for a new customer.
    truth = bgnbd_expected(BgNbdParams(1.5, 6.0, 1.5, 3.0), 52.0)
    assert bgnbd_expected(fitted, 52.0) == pytest.approx(truth, rel=0.05)
    assert fitted.n_customers == 5000
    # The reported likelihood is in the caller's time unit.
    assert fitted.log_likelihood == pytest.approx(bgnbd_log_likelihood(fitted, x, t_x, T).sum())


def test_bgnbd_fit_refuses_data_without_repeat_purchases():
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        bgnbd_fit(np.zeros(3), np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="recency must lie between 0 and T"):
        bgnbd_fit(np.array([1, 2]), np.array([3.0, 1.0]), np.array([2.0, 2.0]))


def test_gamma_gamma_likelihood_and_expectation_by_hand():
    # p = 1, q = 2, γ = 1:
    # x=1, m̄=1:   Γ(3)/(Γ(1)Γ(2)) · 1 · 1^0 · 1^1 / (1+1)^3 = 2/8 = 1/4.
    # x=2, m̄=0.5: Γ(4)/(Γ(2)Γ(2)) · 1 · 0.5^1 · 2^2 / (1+1)^4 = 6 · 0.5 · 4 / 16 = 3/4.
    ll = gamma_gamma_log_likelihood((1.0, 2.0, 1.0), np.array([1, 2]), np.array([1.0, 0.5]))
    assert np.exp(ll) == pytest.approx([0.25, 0.75], rel=1e-12)
    # E[M] = p(γ + m̄x)/(px + q − 1): 1·2/2 = 1 and 1·2/3 = 2/3; x = 0 → pγ/(q − 1) = 1.
    params = GammaGammaParams(1.0, 2.0, 1.0)
    value = gamma_gamma_expected_value(params, np.array([1, 2, 0]), np.array([1.0, 0.5, 0.0]))
    assert value == pytest.approx([1.0, 2 / 3, 1.0], rel=1e-12)


def test_gamma_gamma_density_integrates_to_one():
    density = lambda m: math.exp(gamma_gamma_log_likelihood((2.0, 3.0, 4.0), np.array([3]), np.array([m]))[0])  # noqa: E731
    assert integrate.quad(density, 0, np.inf)[0] == pytest.approx(1.0, rel=1e-8)


def test_gamma_gamma_fit_recovers_known_parameters():
    rng = np.random.default_rng(7)
    p, q, gamma = 6.0, 4.0, 15.0
    n = 4000
    x = rng.integers(1, 10, n)
    nu = rng.gamma(q, 1 / gamma, n)
    monetary = np.array([rng.gamma(p, 1 / nu[i], x[i]).mean() for i in range(n)])
    fitted = gamma_gamma_fit(x, monetary)
    assert fitted.p == pytest.approx(p, rel=0.15)
    assert fitted.q == pytest.approx(q, rel=0.2)
    assert fitted.gamma == pytest.approx(gamma, rel=0.25)
    # The population mean spend pγ/(q − 1) = 30 is what a new customer is valued at.
    assert fitted.population_mean == pytest.approx(30.0, rel=0.05)


# --- CLV ---------------------------------------------------------------------------------------


def test_clv_without_discount_is_value_times_expected_purchases():
    params = BgNbdParams(0.5, 2.0, 1.5, 3.0)
    transactions = pa.table(
        {
            "customer_id": [1, 1, 1],
            "at": pa.array([at(1, 1), at(1, 8), at(1, 22)], TS),
            "amount": [10.0, 20.0, 40.0],
        }
    )
    rfm = rfm_summary(transactions, as_of=at(2, 5), unit_days=7)
    value = np.array([30.0])
    # Undiscounted, the per-period increments telescope to E[Y(horizon)]: 3 periods of 14 days
    # = 6 weeks.
    whole = bgnbd_conditional_expected(params, 6.0, rfm.frequency, rfm.recency, rfm.T)
    clv = clv_discounted(params, value, rfm, horizon_periods=3, period_days=14, discount_rate=0.0, margin=0.5)
    assert clv == pytest.approx(0.5 * 30.0 * whole)
    # One period: the single increment is discounted once.
    one = bgnbd_conditional_expected(params, 2.0, rfm.frequency, rfm.recency, rfm.T)
    clv1 = clv_discounted(params, value, rfm, horizon_periods=1, period_days=14, discount_rate=0.1)
    assert clv1 == pytest.approx(30.0 * one / 1.1)


def test_ltv_probabilistic_end_to_end():
    rng = np.random.default_rng(11)
    start = at(1, 1, 2023)
    rows: list[tuple[int, datetime, float]] = []
    T = rng.uniform(20, 52, 800)
    x, t_x = simulate_bgnbd(1.0, 5.0, 2.0, 4.0, T, rng)
    for customer in range(800):
        first = start + timedelta(weeks=float(52 - T[customer]))
        spend = rng.gamma(4.0, 1 / rng.gamma(3.0, 1 / 40.0))
        rows.append((customer, first, spend))
        # Spread the repeat purchases evenly up to t_x (whole days, at least one apart).
        for k in range(1, int(x[customer]) + 1):
            rows.append((customer, first + timedelta(weeks=float(t_x[customer] * k / x[customer])), spend))
    transactions = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "at": pa.array([r[1] for r in rows], TS),
            "amount": [r[2] for r in rows],
        }
    )
    result = ltv_probabilistic(transactions, as_of=start + timedelta(weeks=52), discount_rate=0.01)
    table = result.customers
    assert table.column_names == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "expected_value",
        "clv",
    ]
    assert table.num_rows == 800
    clv = table.column("clv").to_numpy()
    assert np.all(clv >= 0)
    # Customers whose recent silence makes them probably gone are worth less than active ones.
    alive = table.column("p_alive").to_numpy()
    assert clv[alive > 0.9].mean() > clv[alive < 0.3].mean()

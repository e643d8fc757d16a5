"""Customer lifetime value, two ways: the simple formula and the probabilistic BG/NBD × Gamma-Gamma.

The simple formula suits subscription-like revenue with a steady churn rate; the probabilistic
model suits repeat purchases without contracts, where nobody tells you they have left. Formulas
and examples: docs/kpis.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from closedloop.engine.cohorts import ChurnRate, churn_rate
from closedloop.engine.kpis import amounts, in_period
from closedloop.engine.ltv_bgnbd import (
    BgNbdParams,
    bgnbd_conditional_expected,
    bgnbd_fit,
    bgnbd_p_alive,
)
from closedloop.engine.ltv_gamma_gamma import GammaGammaParams, gamma_gamma_expected_value, gamma_gamma_fit
from closedloop.engine.periods import Period, column_datetimes, duckdb_query, require_columns, to_datetime64

__all__ = [
    "LtvResult",
    "LtvSimple",
    "Rfm",
    "clv_discounted",
    "ltv_probabilistic",
    "ltv_simple",
    "ltv_simple_from",
    "rfm_summary",
]


def ltv_simple(*, revenue_per_customer: float, gross_margin: float, churn_rate: float) -> float | None:
    """LTV = revenue per customer per period × gross margin / churn rate per period.

    1 / churn rate is the expected customer lifetime in periods (a constant churn makes lifetime
    geometric). None when churn is 0: the formula would promise infinite value.
    """
    if not 0 <= gross_margin <= 1:
        raise ValueError(f"gross_margin must be a share between 0 and 1, got {gross_margin}")
    if not 0 <= churn_rate <= 1:
        raise ValueError(f"churn_rate must be a share between 0 and 1, got {churn_rate}")
    if churn_rate == 0:
        return None
    return revenue_per_customer * gross_margin / churn_rate


@dataclass(frozen=True)
class LtvSimple:
    """The simple LTV of one period, with every input, so a page can show the arithmetic."""

    period: Period
    revenue: float
    active_customers: int
    revenue_per_customer: float | None
    gross_margin: float
    churn: ChurnRate
    ltv: float | None


def ltv_simple_from(
    transactions: pa.Table, customers: pa.Table, period: Period, *, gross_margin: float
) -> LtvSimple:
    """Simple LTV from data: revenue per customer = revenue in the period / customers active at
    any time in it; churn rate from :func:`~closedloop.engine.cohorts.churn_rate`.

    ``transactions``: ``customer_id``, ``at``, ``amount``; ``customers``: see cohorts.py.
    """
    require_columns(transactions, ("at", "amount"), "transactions")
    rows = in_period(column_datetimes(transactions, "at", "transactions"), period)
    revenue = float(amounts(transactions, "amount", "transactions")[rows].sum())
    started = column_datetimes(customers, "started_at", "customers")
    churned = column_datetimes(customers, "churned_at", "customers")
    start, end = period.bounds64()
    active = int(((started < end) & (np.isnat(churned) | (churned >= start))).sum())
    churn = churn_rate(customers, period)
    per_customer = revenue / active if active else None
    ltv = None
    if per_customer is not None and churn.churn_rate is not None:
        ltv = ltv_simple(
            revenue_per_customer=per_customer, gross_margin=gross_margin, churn_rate=churn.churn_rate
        )
    return LtvSimple(period, revenue, active, per_customer, gross_margin, churn, ltv)


@dataclass(frozen=True)
class Rfm:
    """Per-customer purchase history in BG/NBD terms; times are in units of ``unit_days`` days."""

    customer_id: pa.Array
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    unit_days: float

    def to_table(self) -> pa.Table:
        return pa.table(
            {
                "customer_id": self.customer_id,
                "frequency": pa.array(self.frequency, pa.int64()),
                "recency": pa.array(self.recency),
                "T": pa.array(self.T),
                "monetary_value": pa.array(self.monetary),
            }
        )


_RFM_SQL = """
WITH days AS (
    -- Purchases on one UTC day are one purchase occasion, as in Fader & Hardie's CDNOW data.
    SELECT customer_id, CAST(ts AS DATE) AS day, sum(amount) AS amount
    FROM tx WHERE ts <= $as_of GROUP BY customer_id, CAST(ts AS DATE)
),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS n FROM days
)
SELECT customer_id,
       count(*) - 1 AS frequency,
       date_diff('day', min(day), max(day)) AS recency_days,
       date_diff('day', min(day), CAST($as_of AS DATE)) AS t_days,
       coalesce(avg(amount) FILTER (WHERE n > 1), 0) AS monetary
FROM numbered
GROUP BY customer_id
ORDER BY customer_id
"""


def rfm_summary(transactions: pa.Table, *, as_of: datetime | None = None, unit_days: float = 7.0) -> Rfm:
    """Summarise ``transactions`` (``customer_id``, ``at``, ``amount``) up to ``as_of`` (default now).

    ``frequency`` counts repeat purchase days (the first purchase is the start, not a repeat),
    ``recency`` is first → last purchase, ``T`` first purchase → ``as_of`` and ``monetary`` the mean
    value of the repeat purchases (the first is left out, as the Gamma-Gamma model expects).
    """
    if unit_days <= 0:
        raise ValueError(f"unit_days must be positive, got {unit_days}")
    require_columns(transactions, ("customer_id", "at", "amount"), "transactions")
    as_of = as_of or datetime.now(UTC)
    tx = pa.table(
        {
            "customer_id": transactions.column("customer_id"),
            "ts": pa.array(column_datetimes(transactions, "at", "transactions"), pa.timestamp("us")),
            "amount": pa.array(amounts(transactions, "amount", "transactions")),
        }
    )
    rows = duckdb_query(_RFM_SQL, {"tx": tx}, {"as_of": to_datetime64(as_of).item()})
    return Rfm(
        customer_id=rows.column("customer_id").combine_chunks(),
        frequency=np.asarray(rows.column("frequency").to_numpy(), dtype=np.float64),
        recency=np.asarray(rows.column("recency_days").to_numpy(), dtype=np.float64) / unit_days,
        T=np.asarray(rows.column("t_days").to_numpy(), dtype=np.float64) / unit_days,
        monetary=np.asarray(rows.column("monetary").to_numpy(), dtype=np.float64),
        unit_days=unit_days,
    )


def clv_discounted(
    bgnbd: BgNbdParams,
    expected_value: np.ndarray,
    rfm: Rfm,
    *,
    horizon_periods: int = 12,
    period_days: float = 30.0,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> np.ndarray:
    """CLV = margin × E[spend] × Σ_k (E[Y(kΔ)] − E[Y((k−1)Δ)]) / (1 + d)^k, k = 1..horizon.

    Purchases expected in each future period (Δ = ``period_days``) are discounted at
    ``discount_rate`` per period — the usual discrete approximation to Fader, Hardie & Lee's
    continuous discounting.
    """
    if horizon_periods < 1:
        raise ValueError(f"horizon_periods must be at least 1, got {horizon_periods}")
    if discount_rate < 0:
        raise ValueError(f"discount_rate must be ≥ 0, got {discount_rate}")
    step = period_days / rfm.unit_days
    cumulative = [np.zeros(len(rfm.frequency))] + [
        bgnbd_conditional_expected(bgnbd, k * step, rfm.frequency, rfm.recency, rfm.T)
        for k in range(1, horizon_periods + 1)
    ]
    discounted = sum(
        (cumulative[k] - cumulative[k - 1]) / (1 + discount_rate) ** k for k in range(1, horizon_periods + 1)
    )
    return np.asarray(margin * expected_value * discounted)


@dataclass(frozen=True)
class LtvResult:
    """Per-customer probabilistic LTV and the fitted models behind it."""

    customers: pa.Table
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    horizon_periods: int
    period_days: float
    discount_rate: float
    margin: float


def ltv_probabilistic(
    transactions: pa.Table,
    *,
    as_of: datetime | None = None,
    horizon_periods: int = 12,
    period_days: float = 30.0,
    discount_rate: float = 0.01,
    margin: float = 1.0,
    unit_days: float = 7.0,
) -> LtvResult:
    """Fit BG/NBD and Gamma-Gamma to ``transactions`` and value every customer.

    Returns a table ``customer_id, frequency, recency, T, monetary_value, p_alive,
    expected_purchases`` (over the horizon, undiscounted), ``expected_value`` (per purchase) and
    ``clv`` (discounted, × margin), with the fitted parameters.
    """
    rfm = rfm_summary(transactions, as_of=as_of, unit_days=unit_days)
    bgnbd = bgnbd_fit(rfm.frequency, rfm.recency, rfm.T)
    gg = gamma_gamma_fit(rfm.frequency, rfm.monetary)
    value = gamma_gamma_expected_value(gg, rfm.frequency, rfm.monetary)
    horizon = horizon_periods * period_days / unit_days
    table = rfm.to_table()
    for name, column in (
        ("p_alive", bgnbd_p_alive(bgnbd, rfm.frequency, rfm.recency, rfm.T)),
        ("expected_purchases", bgnbd_conditional_expected(bgnbd, horizon, rfm.frequency, rfm.recency, rfm.T)),
        ("expected_value", value),
        (
            "clv",
            clv_discounted(
                bgnbd,
                value,
                rfm,
                horizon_periods=horizon_periods,
                period_days=period_days,
                discount_rate=discount_rate,
                margin=margin,
            ),
        ),
    ):
        table = table.append_column(name, pa.array(column, pa.float64()))
    return LtvResult(table, bgnbd, gg, horizon_periods, period_days, discount_rate, margin)

"""Customer cohorts: who became a customer when, churn rate per period and the retention matrix.

A ``customers`` table has ``customer_id``, ``started_at`` and ``churned_at`` (null while the
customer is active). :func:`customers_from_transitions` derives it from the stage history.
Definitions are in docs/kpis.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine.kpis import in_period
from closedloop.engine.periods import Period, column_datetimes, duckdb_query, require_columns, to_datetime64

__all__ = [
    "ChurnRate",
    "RetentionCohorts",
    "churn_rate",
    "customers_from_transitions",
    "retention_cohorts",
]

_CUSTOMERS_SQL = """
WITH started AS (
    SELECT contact_id, min(ts) AS started_at FROM t WHERE to_stage = $customer GROUP BY contact_id
)
SELECT s.contact_id AS customer_id, s.started_at, min(t.ts) AS churned_at
FROM started s
LEFT JOIN t ON t.contact_id = s.contact_id AND t.to_stage = $churned AND t.ts >= s.started_at
GROUP BY s.contact_id, s.started_at
ORDER BY s.started_at, s.contact_id
"""


def customers_from_transitions(
    transitions: pa.Table,
    *,
    customer_stage: str = "customer",
    churned_stage: str = "churned",
) -> pa.Table:
    """One row per contact that ever reached ``customer_stage``.

    ``started_at`` is the first entry into the customer stage and ``churned_at`` the first
    churn after it. A win-back after a churn does not reopen the spell: retention counts
    customers who *stayed*, and a returning customer is a win-back story of its own.
    """
    require_columns(transitions, ("contact_id", "to_stage", "at"), "transitions")
    at = column_datetimes(transitions, "at", "transitions")
    t = pa.table(
        {
            "contact_id": transitions.column("contact_id"),
            "to_stage": pc.cast(transitions.column("to_stage"), pa.string()),
            "ts": pa.array(at, pa.timestamp("us")),
        }
    )
    rows = duckdb_query(_CUSTOMERS_SQL, {"t": t}, {"customer": customer_stage, "churned": churned_stage})
    utc = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "customer_id": rows.column("customer_id"),
            "started_at": rows.column("started_at").cast(pa.timestamp("us")).cast(utc),
            "churned_at": rows.column("churned_at").cast(pa.timestamp("us")).cast(utc),
        }
    )


def _customer_times(customers: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    require_columns(customers, ("customer_id", "started_at", "churned_at"), "customers")
    started = column_datetimes(customers, "started_at", "customers")
    churned = column_datetimes(customers, "churned_at", "customers")
    if np.isnat(started).any():
        raise ValueError(f"customers.started_at has {int(np.isnat(started).sum())} null value(s)")
    if np.any(churned < started):
        raise ValueError(f"{int((churned < started).sum())} customer(s) have churned_at before started_at")
    return started, churned


@dataclass(frozen=True)
class ChurnRate:
    """Churn in one period: of the customers active at its start, the share that churned in it."""

    period: Period
    active_at_start: int
    churned: int
    churn_rate: float | None

    @property
    def retention_rate(self) -> float | None:
        return None if self.churn_rate is None else 1.0 - self.churn_rate


def churn_rate(customers: pa.Table, period: Period) -> ChurnRate:
    """Churn rate = customers who churned in the period / customers active at its start.

    Customers who start during the period are left out of both counts, so a month's churn is
    not diluted (or inflated) by that month's new business.
    """
    started, churned = _customer_times(customers)
    start, _ = period.bounds64()
    # NaT compares False, so "churned_at >= start" is False for active customers: use isnat.
    active = (started < start) & (np.isnat(churned) | (churned >= start))
    lost = active & in_period(churned, period)
    n_active, n_lost = int(active.sum()), int(lost.sum())
    return ChurnRate(period, n_active, n_lost, n_lost / n_active if n_active else None)


_RETENTION_SQL = """
SELECT CAST(date_trunc('month', c.started_at) AS DATE) AS cohort,
       k.months,
       count(*) AS size,
       count(*) FILTER (
           WHERE c.churned_at IS NULL OR c.churned_at > c.started_at + to_months(k.months)
       ) AS active,
       -- A cell is known once every member's k-month anniversary has passed.
       date_trunc('month', c.started_at) + to_months(k.months + 1) <= $as_of AS known
FROM c CROSS JOIN range(0, $max_months + 1) AS k(months)
WHERE c.started_at <= $as_of
GROUP BY ALL
ORDER BY cohort, k.months
"""


@dataclass(frozen=True)
class RetentionCohorts:
    """The retention matrix: row i is the cohort that started in month ``cohorts[i]``, column k
    the share of it still active k months after each member started. Unknown cells are NaN."""

    cohorts: tuple[date, ...]
    sizes: tuple[int, ...]
    months: tuple[int, ...]
    active: np.ndarray
    retention: np.ndarray

    def to_table(self) -> pa.Table:
        """Long form: ``cohort, cohort_size, months, active, retention, churned_share``."""
        n, m = self.retention.shape
        known = ~np.isnan(self.retention.ravel())
        retention = pa.array(self.retention.ravel(), pa.float64(), mask=~known)
        return pa.table(
            {
                "cohort": pa.array(np.repeat(np.array(self.cohorts, dtype="datetime64[D]"), m), pa.date32()),
                "cohort_size": pa.array(np.repeat(self.sizes, m), pa.int64()),
                "months": pa.array(np.tile(self.months, n), pa.int64()),
                "active": pa.array(self.active.ravel(), pa.int64(), mask=~known),
                "retention": retention,
                "churned_share": pc.subtract(1.0, retention),
            }
        )


def retention_cohorts(
    customers: pa.Table, *, as_of: datetime | None = None, max_months: int = 12
) -> RetentionCohorts:
    """Customers grouped by the UTC month they started; cell (cohort, k) is the share still active
    k months after their own start (month arithmetic clips: 31 Jan + 1 month = 29 Feb).

    A customer is active at k if it has not churned by its k-month anniversary. Cells whose
    anniversaries are not all in the past at ``as_of`` (default: now) are unknown (NaN), never 0:
    a young cohort has not churned *yet*, it has not retained 0 %.
    """
    if max_months < 0:
        raise ValueError(f"max_months must be 0 or more, got {max_months}")
    as_of = as_of or datetime.now(UTC)
    started, churned = _customer_times(customers)
    as_of64 = to_datetime64(as_of)
    # Churn after as_of has not happened yet from as_of's point of view.
    churned = np.where(churned > as_of64, np.datetime64("NaT", "us"), churned)
    c = pa.table(
        {
            "started_at": pa.array(started, pa.timestamp("us")),
            "churned_at": pa.array(churned, pa.timestamp("us")),
        }
    )
    rows = duckdb_query(
        _RETENTION_SQL,
        {"c": c},
        {"as_of": as_of.astimezone(UTC).replace(tzinfo=None), "max_months": max_months},
    )
    cohorts = sorted(set(rows.column("cohort").to_pylist()))
    months = tuple(range(max_months + 1))
    index = {cohort: i for i, cohort in enumerate(cohorts)}
    sizes = np.zeros(len(cohorts), dtype=np.int64)
    active = np.zeros((len(cohorts), len(months)), dtype=np.int64)
    retention = np.full((len(cohorts), len(months)), np.nan)
    for row in rows.to_pylist():
        i, k = index[row["cohort"]], row["months"]
        sizes[i] = row["size"]
        active[i, k] = row["active"]
        if row["known"]:
            retention[i, k] = row["active"] / row["size"]
    return RetentionCohorts(tuple(cohorts), tuple(int(s) for s in sizes), months, active, retention)

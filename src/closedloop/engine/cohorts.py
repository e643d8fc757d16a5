"""Customer cohorts: who became a customer when, churn rate per period and the retention matrix.

A ``customers`` table has ``customer_id``, ``started_at`` and ``churned_at`` (null while the
customer is active). :func:`customers_from_transitions` derives it from the stage history.
Definitions are in docs/kpis.md. Each function's counting runs as one query, written once and
compiled per engine (DuckDB by default; ``engine="postgres"`` or ``"clickhouse"``).
"""

# The queries interpolate integers only (bounds, as_of); stage names travel as data.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine import backends
from closedloop.engine.dialects import Engine
from closedloop.engine.kpis import _bounds
from closedloop.engine.kpis_sql import churn_sql, micros
from closedloop.engine.periods import Period, column_datetimes, require_columns, to_datetime64

__all__ = [
    "ChurnRate",
    "RetentionCohorts",
    "churn_rate",
    "customers_from_transitions",
    "retention_cohorts",
]

_CUSTOMERS_SQL = """
WITH started AS (
    SELECT t.contact_id AS contact_id, MIN(t.at_us) AS started_us
    FROM t CROSS JOIN params AS p
    WHERE t.to_stage = p.customer
    GROUP BY t.contact_id
)
SELECT s.contact_id AS customer_id, s.started_us AS started_us,
       MIN(CASE WHEN t.to_stage = p.churned AND t.at_us >= s.started_us THEN t.at_us END) AS churned_us
FROM started AS s
CROSS JOIN params AS p
LEFT JOIN t ON t.contact_id = s.contact_id
GROUP BY s.contact_id, s.started_us
"""


def customers_from_transitions(
    transitions: pa.Table,
    *,
    customer_stage: str = "customer",
    churned_stage: str = "churned",
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> pa.Table:
    """One row per contact that ever reached ``customer_stage``.

    ``started_at`` is the first entry into the customer stage and ``churned_at`` the first
    churn after it. A win-back after a churn does not reopen the spell: retention counts
    customers who *stayed*, and a returning customer is a win-back story of its own.
    """
    require_columns(transitions, ("contact_id", "to_stage", "at"), "transitions")
    at = column_datetimes(transitions, "at", "transitions")
    contact = transitions.column("contact_id")
    if pa.types.is_dictionary(contact.type):
        contact = pc.cast(contact, contact.type.value_type)
    t = pa.table(
        {
            "contact_id": contact,
            "to_stage": pc.cast(transitions.column("to_stage"), pa.string()),
            "at_us": micros(at),
        }
    )
    rows = backends.run(
        _CUSTOMERS_SQL,
        {
            "t": t,
            "params": pa.table(
                {
                    "customer": pa.array([customer_stage], pa.string()),
                    "churned": pa.array([churned_stage], pa.string()),
                }
            ),
        },
        engine,
        dsn=dsn,
    )
    id_type = t.schema.field("contact_id").type
    if pa.types.is_null(id_type):
        id_type = rows.schema.field("customer_id").type
    utc = pa.timestamp("us", tz="UTC")
    table = pa.table(
        {
            "customer_id": rows.column("customer_id").cast(id_type),
            "started_at": rows.column("started_us").cast(pa.int64()).cast(pa.timestamp("us")).cast(utc),
            "churned_at": rows.column("churned_us").cast(pa.int64()).cast(pa.timestamp("us")).cast(utc),
        }
    )
    return table.take(pc.sort_indices(table, [("started_at", "ascending"), ("customer_id", "ascending")]))


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


def churn_rate(
    customers: pa.Table,
    period: Period,
    *,
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> ChurnRate:
    """Churn rate = customers who churned in the period / customers active at its start.

    Customers who start during the period are left out of both counts, so a month's churn is
    not diluted (or inflated) by that month's new business.
    """
    started, churned = _customer_times(customers)
    start, end = _bounds(period)
    rows = backends.run(
        churn_sql(start, end),
        {"customers": pa.table({"started_us": micros(started), "churned_us": micros(churned)})},
        engine,
        dsn=dsn,
    )
    n_active = int(rows.column("active").cast(pa.int64()).fill_null(0)[0].as_py())
    n_lost = int(rows.column("lost").cast(pa.int64()).fill_null(0)[0].as_py())
    return ChurnRate(period, n_active, n_lost, n_lost / n_active if n_active else None)


def _retention_sql(as_of: int) -> str:
    """Per cohort month and k: members, members still active at their own k-month anniversary,
    and whether every anniversary has passed (the cell is known).

    Months are integer indexes (year × 12 + month - 1) and `cal` holds each month's first instant
    and length, so "start + k months, clipped to the month's end" is integer arithmetic that means
    the same on every engine (their interval types differ).
    """
    return f"""
SELECT x.cohort AS cohort, x.months AS months, COUNT(*) AS size,
       SUM(CASE WHEN x.churned_us IS NULL
                  OR x.churned_us > a.start_us + (LEAST(x.day, a.days) - 1) * 86400000000 + x.tod
                THEN 1 ELSE 0 END) AS active,
       MAX(CASE WHEN n.start_us <= {int(as_of)} THEN 1 ELSE 0 END) AS known
FROM (
    SELECT c.mi AS cohort, k.months AS months, c.mi + k.months AS at_mi, c.mi + k.months + 1 AS next_mi,
           c.day AS day, c.tod AS tod, c.churned_us AS churned_us
    FROM c CROSS JOIN ks AS k
    WHERE c.started_us <= {int(as_of)}
) AS x
JOIN cal AS a ON a.mi = x.at_mi
JOIN cal AS n ON n.mi = x.next_mi
GROUP BY x.cohort, x.months
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
    customers: pa.Table,
    *,
    as_of: datetime | None = None,
    max_months: int = 12,
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
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
    started = started.astype("datetime64[us]")
    month = started.astype("datetime64[M]")
    day_start = started.astype("datetime64[D]")
    mi = month.astype(np.int64)
    first = int(mi.min()) if len(mi) else 0
    last = int(mi.max()) + max_months + 2 if len(mi) else 1
    cal_months = np.arange(first, last + 1).astype("datetime64[M]")
    cal_start = cal_months.astype("datetime64[us]")
    cal_days = (
        (cal_months + np.timedelta64(1, "M")).astype("datetime64[D]") - cal_months.astype("datetime64[D]")
    ).astype(np.int64)
    rows = backends.run(
        _retention_sql(int(as_of64.astype("datetime64[us]").astype(np.int64))),
        {
            "c": pa.table(
                {
                    "mi": pa.array(mi, pa.int64()),
                    "day": pa.array(
                        (day_start - month.astype("datetime64[D]")).astype(np.int64) + 1, pa.int64()
                    ),
                    "tod": pa.array(
                        (started - day_start.astype("datetime64[us]")).astype(np.int64), pa.int64()
                    ),
                    "started_us": micros(started),
                    "churned_us": micros(churned),
                }
            ),
            "ks": pa.table({"months": pa.array(range(max_months + 1), pa.int64())}),
            "cal": pa.table(
                {
                    "mi": pa.array(cal_months.astype(np.int64), pa.int64()),
                    "start_us": pa.array(cal_start.astype(np.int64), pa.int64()),
                    "days": pa.array(cal_days, pa.int64()),
                }
            ),
        },
        engine,
        dsn=dsn,
    )
    cohort_mi = rows.column("cohort").cast(pa.int64()).to_numpy()
    index_of = {m: i for i, m in enumerate(sorted(set(cohort_mi.tolist())))}
    cohorts = tuple(np.datetime64(m, "M").astype("datetime64[D]").item() for m in index_of)
    months = tuple(range(max_months + 1))
    sizes = np.zeros(len(cohorts), dtype=np.int64)
    active = np.zeros((len(cohorts), len(months)), dtype=np.int64)
    retention = np.full((len(cohorts), len(months)), np.nan)
    columns = ("months", "size", "active", "known")
    values = {c: rows.column(c).cast(pa.int64()).to_numpy() for c in columns}
    for j, m in enumerate(cohort_mi.tolist()):
        i, k = index_of[m], int(values["months"][j])
        sizes[i] = values["size"][j]
        active[i, k] = values["active"][j]
        if values["known"][j]:
            retention[i, k] = values["active"][j] / values["size"][j]
    return RetentionCohorts(cohorts, tuple(int(s) for s in sizes), months, active, retention)

"""Customers from the stage history, churn rate and the retention matrix, by hand, on every engine."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from closedloop.engine.cohorts import churn_rate, customers_from_transitions, retention_cohorts
from closedloop.engine.periods import Period

TS = pa.timestamp("us", tz="UTC")


def at(month: int, day: int, year: int = 2024) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def customers(rows: list[tuple[str, datetime, datetime | None]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "started_at": pa.array([r[1] for r in rows], TS),
            "churned_at": pa.array([r[2] for r in rows], TS),
        }
    )


def test_customers_from_transitions(funnel_engine):
    transitions = pa.table(
        {
            "contact_id": [1, 1, 1, 2, 3, 3, 3, 4],
            "to_stage": ["sql", "customer", "churned", "customer", "customer", "churned", "customer", "mql"],
            "at": pa.array(
                [at(1, 2), at(1, 10), at(3, 5), at(1, 20), at(2, 1), at(2, 10), at(4, 1), at(1, 1)], TS
            ),
        }
    )
    # 1: customer 10 Jan, churned 5 Mar. 2: customer 20 Jan, active. 3: customer 1 Feb, churned
    # 10 Feb; the win-back on 1 Apr does not reopen the spell. 4 never became a customer.
    assert customers_from_transitions(transitions, engine=funnel_engine).to_pylist() == [
        {"customer_id": 1, "started_at": at(1, 10), "churned_at": at(3, 5)},
        {"customer_id": 2, "started_at": at(1, 20), "churned_at": None},
        {"customer_id": 3, "started_at": at(2, 1), "churned_at": at(2, 10)},
    ]


CHURN = customers(
    [
        ("A", at(12, 1, 2023), None),
        ("B", at(12, 15, 2023), at(1, 10)),
        ("C", at(11, 1, 2023), at(12, 20, 2023)),  # gone before January
        ("D", at(1, 5), at(1, 25)),  # new in January: in neither count
        ("E", at(12, 31, 2023), at(2, 1)),  # churns on 1 Feb: February
    ]
)


def test_churn_rate_over_customers_active_at_the_start(funnel_engine):
    # Active on 1 Jan: A, B, E → 3. Churned in January: B → 1/3.
    result = churn_rate(CHURN, Period.month(2024, 1), engine=funnel_engine)
    assert (result.active_at_start, result.churned) == (3, 1)
    assert result.churn_rate == pytest.approx(1 / 3)
    assert result.retention_rate == pytest.approx(2 / 3)


def test_churn_rate_without_customers_is_null(funnel_engine):
    assert churn_rate(CHURN, Period.month(2023, 1), engine=funnel_engine).churn_rate is None


def test_retention_matrix_by_anniversary(funnel_engine):
    table = customers(
        [
            ("J1", at(1, 10), None),
            ("J2", at(1, 20), at(2, 25)),  # 1-month anniversary 20 Feb: still in; 20 Mar: gone
            ("J3", at(1, 31), at(3, 1)),  # 31 Jan + 1 month = 29 Feb: still in; 31 Mar: gone
            ("J4", at(1, 5), at(1, 15)),  # gone before its first anniversary
            ("F1", at(2, 10), at(3, 15)),  # 10 Mar: still in
            ("F2", at(2, 29), None),
            ("A1", at(4, 2), None),  # April is not over on 15 Apr: cohort incomplete
            ("Z", at(5, 1), None),  # after as_of: not a customer yet
        ]
    )
    result = retention_cohorts(table, as_of=at(4, 15), max_months=3, engine=funnel_engine)
    assert [c.isoformat() for c in result.cohorts] == ["2024-01-01", "2024-02-01", "2024-04-01"]
    assert result.sizes == (4, 2, 1)
    jan, feb, apr = result.retention
    # January: k=0 4/4; k=1 J1, J2, J3 → 3/4; k=2 J1 → 1/4; k=3 needs 1 May to have passed.
    assert jan[:3].tolist() == [1.0, 0.75, 0.25]
    assert math.isnan(jan[3])
    # February: k=0 2/2, k=1 F1 (churned 15 Mar, after 10 Mar) and F2 → 2/2; k=2 unknown.
    assert feb[:2].tolist() == [1.0, 1.0]
    assert math.isnan(feb[2])
    assert all(math.isnan(v) for v in apr)
    long = result.to_table().to_pylist()
    assert long[1] == {
        "cohort": result.cohorts[0],
        "cohort_size": 4,
        "months": 1,
        "active": 3,
        "retention": 0.75,
        "churned_share": 0.25,
    }
    assert long[3]["retention"] is None


def test_retention_refuses_churn_before_start():
    bad = customers([("X", at(2, 1), at(1, 1))])
    with pytest.raises(ValueError, match="churned_at before started_at"):
        retention_cohorts(bad, as_of=at(4, 1))

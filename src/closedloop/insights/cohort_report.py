"""The cohort page's report: customers grouped by the month they became customers, and the share
still active (not churned) k months later (engine.cohorts; definitions in docs/kpis.md), with the
monthly churn rate next to it.

A cohort is shown when its month overlaps the period. Cells whose anniversary has not passed yet
are unknown, not 0 %: a young cohort has not churned *yet*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.crm.lifecycle import Stage
from closedloop.engine.cohorts import churn_rate, customers_from_transitions, retention_cohorts
from closedloop.engine.periods import Period as EnginePeriod
from closedloop.insights import datasets
from closedloop.insights.report_scope import ReportScope, month_starts, only_contacts

MAX_MONTHS = 12


@dataclass(frozen=True)
class CohortRow:
    cohort: date
    size: int
    retention: tuple[float | None, ...]  # share active k months after starting; None = not known yet
    active: tuple[int | None, ...]

    @property
    def retention_pct(self) -> list[float | None]:
        return [None if v is None else round(100 * v, 1) for v in self.retention]


@dataclass(frozen=True)
class ChurnMonth:
    month: date
    active_at_start: int
    churned: int
    churn_rate: float | None

    @property
    def churn_pct(self) -> float | None:
        return None if self.churn_rate is None else round(100 * self.churn_rate, 1)


@dataclass(frozen=True)
class CohortReport:
    months: tuple[int, ...]
    rows: tuple[CohortRow, ...]
    churn: tuple[ChurnMonth, ...]

    def heatmap(self) -> dict[str, object]:
        return {
            "months": list(self.months),
            "cohorts": [r.cohort.isoformat() for r in self.rows],
            "sizes": [r.size for r in self.rows],
            "retention": [[None if v is None else round(100 * v, 1) for v in r.retention] for r in self.rows],
        }

    def csv_header(self) -> list[str]:
        return ["cohort", "customers", *(f"month_{k}_retention_pct" for k in self.months)]

    def csv_rows(self) -> list[list[object]]:
        return [
            [r.cohort.isoformat(), r.size, *(None if v is None else round(100 * v, 1) for v in r.retention)]
            for r in self.rows
        ]


def cohort_report(*, scope: ReportScope, max_months: int = MAX_MONTHS) -> CohortReport:
    transitions = datasets.transitions_table()
    transitions = only_contacts(transitions, scope.contact_ids(datasets.contacts_table()))
    customers = customers_from_transitions(
        transitions, customer_stage=Stage.CUSTOMER, churned_stage=Stage.CHURNED
    )
    as_of = scope.as_of()
    matrix = retention_cohorts(customers, as_of=as_of, max_months=max_months)
    first = date(scope.period.start.year, scope.period.start.month, 1)
    rows = []
    for i, cohort in enumerate(matrix.cohorts):
        if not first <= cohort <= scope.period.end:
            continue
        retention = tuple(None if np.isnan(v) else float(v) for v in matrix.retention[i])
        active = tuple(
            None if np.isnan(matrix.retention[i, k]) else int(matrix.active[i, k])
            for k in range(len(matrix.months))
        )
        rows.append(CohortRow(cohort, matrix.sizes[i], retention, active))

    churn = []
    for month in month_starts(scope.period.start, scope.period.end):
        period = EnginePeriod.month(month.year, month.month)
        if period.start > as_of:
            break
        rate = churn_rate(_known_by(customers, as_of), period)
        churn.append(ChurnMonth(month, rate.active_at_start, rate.churned, rate.churn_rate))
    return CohortReport(months=matrix.months, rows=tuple(rows), churn=tuple(churn))


def _known_by(customers: pa.Table, as_of: object) -> pa.Table:
    """Customers as they stood at `as_of`: later starts left out, later churns not yet happened."""
    at = pa.scalar(as_of, pa.timestamp("us", tz="UTC"))
    started = customers.filter(pc.less_equal(customers["started_at"], at))
    churned = started["churned_at"]
    later = pc.fill_null(pc.greater(churned, at), False)
    cleared = pc.if_else(later, pa.scalar(None, churned.type), churned)
    return started.set_column(2, "churned_at", cleared)

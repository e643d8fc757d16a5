"""Reporting periods and time columns for the KPI, cohort, friction and forecast code.

A :class:`Period` is half-open, ``[start, end)``, in UTC, so consecutive months tile time with no
instant counted twice. Time columns may be timestamps (zoned or naive — naive means UTC) or dates
(midnight UTC); every function here turns them into numpy ``datetime64[us]`` in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine.backends import duckdb_cursor

__all__ = [
    "DAY",
    "Period",
    "column_datetimes",
    "duckdb_query",
    "require_columns",
    "to_datetime64",
]

# One day in numpy's microsecond datetimes: durations are reported in (fractional) days.
DAY = np.timedelta64(86_400_000_000, "us")


def _aware(value: datetime | date, name: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (e.g. 2024-05-01T00:00:00+00:00), got {value}")
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC. Dates mean midnight UTC; naive datetimes are refused."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware(self.start, "start"))
        object.__setattr__(self, "end", _aware(self.end, "end"))
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} must be after its start {self.start}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month ``year-month`` in UTC."""
        start = datetime(year, month, 1, tzinfo=UTC)
        return cls(start, _add_months(start, 1))

    @property
    def is_calendar_months(self) -> bool:
        """Whether the period is a whole number of calendar months (it then steps by months)."""
        return _is_month_start(self.start) and _is_month_start(self.end)

    def shift(self, steps: int) -> Period:
        """The period ``steps`` lengths later (negative: earlier). Calendar months step by months,
        so "the 4 months before May" are January to April, not four 31-day blocks."""
        if self.is_calendar_months:
            months = _months_between(self.start, self.end)
            return Period(_add_months(self.start, steps * months), _add_months(self.end, steps * months))
        length = self.end - self.start
        return Period(self.start + steps * length, self.end + steps * length)

    def previous(self, count: int) -> tuple[Period, ...]:
        """The ``count`` periods right before this one, oldest first (a baseline)."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        return tuple(self.shift(-k) for k in range(count, 0, -1))

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)

    def bounds64(self) -> tuple[np.datetime64, np.datetime64]:
        """Start and end as naive UTC ``datetime64[us]`` for comparisons with columns."""
        return _to64(self.start), _to64(self.end)

    def label(self) -> str:
        if self.is_calendar_months and _months_between(self.start, self.end) == 1:
            return self.start.strftime("%Y-%m")
        return f"{self.start.date().isoformat()}..{self.end.date().isoformat()}"


def _to64(value: datetime) -> np.datetime64:
    return np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "us")


def to_datetime64(value: datetime | date) -> np.datetime64:
    """A point in time (aware datetime or date) as naive UTC ``datetime64[us]``."""
    return _to64(_aware(value, "as_of"))


def _is_month_start(value: datetime) -> bool:
    return value.day == 1 and value.time() == datetime.min.time()


def _months_between(start: datetime, end: datetime) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _add_months(value: datetime, months: int) -> datetime:
    index = value.year * 12 + value.month - 1 + months
    return value.replace(year=index // 12, month=index % 12 + 1)


def require_columns(table: pa.Table, columns: tuple[str, ...], what: str) -> None:
    """Raise a ValueError naming every missing column of ``what``."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ValueError(
            f"{what} table is missing column(s) {', '.join(missing)}; it has {', '.join(table.column_names)}"
        )


def column_datetimes(table: pa.Table, column: str, what: str) -> np.ndarray:
    """``table[column]`` as naive UTC ``datetime64[us]``; nulls become NaT."""
    values = table.column(column)
    kind = values.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
        raise ValueError(f"{what}.{column} must be a timestamp or date column, got {values.type}")
    # Casting a zoned timestamp to a naive one keeps the stored UTC instant, which is what we want.
    naive = pc.cast(values, pa.timestamp("us"))
    return np.asarray(naive.to_numpy(zero_copy_only=False), dtype="datetime64[us]")


def duckdb_query(
    sql: str, tables: Mapping[str, pa.Table], params: Mapping[str, object] | None = None
) -> pa.Table:
    """Run DuckDB SQL over Arrow tables (visible under their keys) in a throwaway cursor of the
    shared in-process database (a new database per call cost more than most of these queries).

    The session time zone is pinned to UTC so ``date_trunc`` and month arithmetic on zoned
    timestamps mean UTC months whatever the host's zone is.
    """
    con = duckdb_cursor()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            con.register(name, table)
        relation = con.sql(sql, params=dict(params) if params else None)
        return relation.to_arrow_table() if relation is not None else pa.table({})
    finally:
        con.close()

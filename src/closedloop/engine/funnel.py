"""Ordered funnels over an Arrow table of events: the query definition, its runner and its result.

`funnel_run(events, FunnelQuery(...))` answers "how many people went a → b → c within the window",
on DuckDB by default or on PostgreSQL / ClickHouse with the same SQL (see `funnel_sql.py`). The
semantics are written out in docs/funnels.md; the comments here point at the rule they implement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine import backends
from closedloop.engine.dialects import Engine, compile_sql, engine_parse
from closedloop.engine.funnel_result import FunnelResult, funnel_result_build
from closedloop.engine.funnel_sql import FunnelSqlParams, funnel_sql

__all__ = [
    "FunnelError",
    "FunnelQuery",
    "FunnelResult",
    "funnel_compile",
    "funnel_events_read",
    "funnel_run",
]

REQUIRED_COLUMNS = ("person_id", "event", "ts")
_TICKS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


class FunnelError(ValueError):
    """The funnel definition or its input is unusable; the message names the problem."""


@dataclass(frozen=True)
class FunnelQuery:
    """A funnel definition. `as_of` defaults to now; events after it are ignored."""

    steps: tuple[str, ...]
    window: timedelta
    breakdown: str | None = None
    exclusion: str | None = None
    as_of: datetime | None = None
    histogram_bins: int = 10
    percentiles: tuple[float, ...] = field(default=(50.0, 75.0, 90.0, 95.0, 99.0))

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        if not self.steps:
            raise FunnelError("a funnel needs at least one step")
        if any(not isinstance(s, str) or not s for s in self.steps):
            raise FunnelError("every step must be a non-empty event name")
        if self.window <= timedelta(0):
            raise FunnelError(f"window must be positive, got {self.window}")
        if self.exclusion is not None and self.exclusion in self.steps:
            # The counted journey's own events would exclude it; that is never what is meant.
            raise FunnelError(f"exclusion event {self.exclusion!r} is also a funnel step")
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise FunnelError("as_of must be timezone-aware (e.g. 2024-05-01T00:00:00+00:00)")
        if self.histogram_bins < 1:
            raise FunnelError("histogram_bins must be at least 1")
        object.__setattr__(self, "percentiles", tuple(self.percentiles))
        if any(not 0 <= p <= 100 for p in self.percentiles):
            raise FunnelError(f"percentiles must lie in [0, 100], got {self.percentiles}")


def funnel_run(
    events: pa.Table,
    query: FunnelQuery,
    *,
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> FunnelResult:
    """Run `query` over `events` (person_id, event, ts timestamp with time zone, [breakdown])."""
    target = engine_parse(engine)
    as_of = query.as_of or datetime.now(UTC)
    prepared, unit = _events_prepare(events, query, target)
    params = _params(query, unit, as_of)
    steps = _steps_table(query, _value_type(prepared.schema.field("event").type))
    rows = backends.run(funnel_sql(params), {"events": prepared, "steps": steps}, target, dsn=dsn)
    bd_type = _value_type(prepared.schema.field("breakdown").type) if query.breakdown else None
    return funnel_result_build(
        rows,
        query,
        as_of=as_of,
        ticks_per_second=_TICKS_PER_SECOND[unit],
        breakdown_type=bd_type,
    )


def funnel_compile(query: FunnelQuery, engine: str | Engine, *, unit: str = "us") -> str:
    """The SQL `funnel_run` would send to `engine` (for docs, debugging and EXPLAIN)."""
    params = _params(query, unit, query.as_of or datetime.now(UTC))
    return compile_sql(funnel_sql(params), engine)


def funnel_events_read(path: str, query: FunnelQuery) -> pa.Table:
    """Read the events `query` can use from a Parquet file, ready for `funnel_run`.

    Only the needed columns and only the rows of step (and exclusion) events are read, with text
    columns kept dictionary-encoded: on a 10M-event file this is a fraction of the whole table,
    which keeps the process's peak memory low. Rows keep their file order, so "the earliest in
    the input" (the breakdown tie-break) means the same as on the whole file.
    """
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise FunnelError(f"events file not found: {path}") from None
    except Exception as err:  # pyarrow raises ArrowInvalid and friends for non-Parquet input
        raise FunnelError(f"cannot read {path} as Parquet: {err}") from None
    wanted = list(dict.fromkeys([*REQUIRED_COLUMNS, *([query.breakdown] if query.breakdown else [])]))
    missing = [c for c in wanted if c not in schema.names]
    if missing:
        raise FunnelError(
            f"{path} is missing column(s) {', '.join(missing)} (it has: {', '.join(schema.names)})"
        )
    event_type = _value_type(schema.field("event").type)
    if not (pa.types.is_string(event_type) or pa.types.is_large_string(event_type)):
        raise FunnelError(f"column event must hold strings, got {event_type}")
    names = [*query.steps, *([query.exclusion] if query.exclusion else [])]
    # Event names and breakdown values repeat: dictionary-encoded they cost 4 bytes a row.
    text = [c for c in ("event", query.breakdown) if c and pa.types.is_string(schema.field(c).type)]
    return pq.read_table(
        path,
        columns=wanted,
        filters=pc.field("event").isin(names),
        read_dictionary=text,
    )


def _params(query: FunnelQuery, unit: str, as_of: datetime) -> FunnelSqlParams:
    return FunnelSqlParams(
        n_steps=len(query.steps),
        window_ticks=_ticks(query.window, unit),
        as_of_ticks=_ticks(as_of - datetime(1970, 1, 1, tzinfo=UTC), unit),
        has_breakdown=query.breakdown is not None,
        has_exclusion=query.exclusion is not None,
    )


def _ticks(delta: timedelta, unit: str) -> int:
    # Exact integer arithmetic; truncating to the data's unit changes nothing because every
    # timestamp is a whole number of ticks.
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if unit == "ns":
        return micros * 1_000
    return micros // (1_000_000 // _TICKS_PER_SECOND[unit])


def _events_prepare(events: pa.Table, query: FunnelQuery, engine: Engine) -> tuple[pa.Table, str]:
    """Validate the input and reduce it to the columns the SQL reads, ts as integer ticks."""
    if isinstance(events, pa.RecordBatch):
        events = pa.Table.from_batches([events])
    missing = [c for c in REQUIRED_COLUMNS if c not in events.column_names]
    if query.breakdown is not None and query.breakdown not in events.column_names:
        missing.append(query.breakdown)
    if missing:
        have = ", ".join(events.column_names) or "none"
        raise FunnelError(f"events table is missing column(s) {', '.join(missing)} (it has: {have})")
    ts_type = events.schema.field("ts").type
    if not pa.types.is_timestamp(ts_type):
        raise FunnelError(f"column ts must be a timestamp with time zone, got {ts_type}")
    if ts_type.tz is None:
        raise FunnelError(f"column ts must be timezone-aware (e.g. timestamp[us, tz=UTC]), got {ts_type}")
    event_type = _value_type(events.schema.field("event").type)
    if not (pa.types.is_string(event_type) or pa.types.is_large_string(event_type)):
        raise FunnelError(f"column event must hold strings, got {event_type}")

    # Arrow stores timestamps as UTC ticks whatever the zone, so this cast is exact.
    columns: dict[str, pa.ChunkedArray] = {
        "person_id": events.column("person_id"),
        "event": events.column("event"),
        "ts": events.column("ts").cast(pa.int64()),
        "row_id": pa.chunked_array([pa.array(np.arange(events.num_rows, dtype=np.int64))]),
    }
    if query.breakdown is not None:
        columns["breakdown"] = events.column(query.breakdown)
    prepared = pa.table(columns)
    if engine is not Engine.DUCKDB:
        # Only ship the rows the query can use to an engine that must copy them in; DuckDB
        # reads Arrow in place and filters faster in parallel itself.
        names = [*query.steps, *([query.exclusion] if query.exclusion else [])]
        wanted = pa.array(names, event_type)
        prepared = prepared.filter(pc.is_in(prepared.column("event"), value_set=wanted))
    return prepared, ts_type.unit


def _value_type(typ: pa.DataType) -> pa.DataType:
    # Dictionary-encoded columns (common in Parquet) are compared and returned as their values.
    return typ.value_type if pa.types.is_dictionary(typ) else typ


def _steps_table(query: FunnelQuery, event_type: pa.DataType) -> pa.Table:
    names = list(query.steps)
    numbers = list(range(1, len(names) + 1))
    if query.exclusion is not None:
        # Step 0 marks the exclusion event (see funnel_sql.py).
        names.append(query.exclusion)
        numbers.append(0)
    return pa.table({"step": pa.array(numbers, pa.int64()), "event": pa.array(names, event_type)})

"""Reading a funnel's events from Parquet: only the step rows and needed columns, same answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from closedloop.engine.funnel import FunnelError, FunnelQuery, funnel_events_read, funnel_run
from tests.engine.conftest import events_table

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


ROWS = [
    ("p", "view", at(0), "x", "noise"),
    ("p", "a", at(5), "late", "k"),
    ("p", "a", at(0), "seo", "k"),  # simultaneous first steps: the earlier row's breakdown wins
    ("p", "a", at(0), "ads", "k"),
    ("p", "b", at(1), "x", "k"),
    ("q", "a", at(0), "ads", "k"),
    ("q", "unsubscribe", at(2), "x", "k"),
    ("q", "b", at(3), "ads", "k"),
    ("r", "view", at(0), "seo", "noise"),
]
QUERY = FunnelQuery(
    steps=("a", "b"), window=timedelta(hours=1), breakdown="src", exclusion="unsubscribe", as_of=at(600)
)


@pytest.fixture
def parquet(tmp_path: Path) -> tuple[Path, pa.Table]:
    table = events_table(ROWS, extra=("src", "wide"))
    path = tmp_path / "events.parquet"
    # Small row groups, so the row filter crosses several of them and order must survive.
    pq.write_table(table, path, row_group_size=2)
    return path, table


def test_reads_only_step_rows_and_needed_columns(parquet: tuple[Path, pa.Table]) -> None:
    path, _ = parquet
    events = funnel_events_read(str(path), QUERY)
    assert events.column_names == ["person_id", "event", "ts", "src"]
    # 9 rows, of which the two "view" rows are no step: 7 left, in file order.
    assert [e.as_py() for e in events.column("event")] == ["a", "a", "a", "b", "a", "unsubscribe", "b"]
    assert pa.types.is_dictionary(events.schema.field("event").type)
    assert pa.types.is_dictionary(events.schema.field("src").type)


def test_same_answer_as_the_whole_table(parquet: tuple[Path, pa.Table]) -> None:
    path, table = parquet
    whole = funnel_run(table, QUERY)
    read = funnel_run(funnel_events_read(str(path), QUERY), QUERY)
    assert read == whole
    # p counts with the breakdown of its first row at 12:00 ("seo"); q is excluded.
    assert [(b.value, b.steps[1].reached) for b in read.breakdowns] == [("seo", 1)]
    assert read.excluded == 1


def test_problems_are_named(tmp_path: Path, parquet: tuple[Path, pa.Table]) -> None:
    path, _ = parquet
    with pytest.raises(FunnelError, match="not found"):
        funnel_events_read(str(tmp_path / "missing.parquet"), QUERY)
    with pytest.raises(FunnelError, match="missing column\\(s\\) channel"):
        funnel_events_read(
            str(path), FunnelQuery(steps=("a",), window=timedelta(days=1), breakdown="channel")
        )
    text = tmp_path / "events.csv"
    text.write_text("person_id,event,ts\n")
    with pytest.raises(FunnelError, match="cannot read"):
        funnel_events_read(str(text), QUERY)

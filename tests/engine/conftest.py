"""Fixtures for the engine tests: one parameter per engine, and a small events-table builder.

These tests need no Django and no database other than the throwaway PostgreSQL session the
postgres engine opens itself. PostgreSQL being unreachable is a failure, not a skip, unless
CLOSEDLOOP_SKIP_PG=1 says the run deliberately has no PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa
import pytest

from closedloop.engine.backends import pg_dsn

ENGINES = ("duckdb", "postgres", "clickhouse")

_pg_state: dict[str, str | None] = {}


def pg_required() -> None:
    """Fail (or skip, when CLOSEDLOOP_SKIP_PG=1) if PostgreSQL cannot be reached."""
    if "error" not in _pg_state:
        import psycopg

        try:
            psycopg.connect(pg_dsn(), connect_timeout=5).close()
            _pg_state["error"] = None
        except psycopg.Error as err:
            _pg_state["error"] = str(err)
    error = _pg_state["error"]
    if error is None:
        return
    if os.environ.get("CLOSEDLOOP_SKIP_PG") == "1":
        pytest.skip(f"PostgreSQL unreachable and CLOSEDLOOP_SKIP_PG=1: {error}")
    pytest.fail(f"PostgreSQL unreachable at {pg_dsn()} (set CLOSEDLOOP_SKIP_PG=1 to skip): {error}")


@pytest.fixture(params=ENGINES)
def funnel_engine(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once per engine."""
    if request.param == "postgres":
        pg_required()
    return str(request.param)


@pytest.fixture
def all_engines() -> tuple[str, ...]:
    """For tests that compare engines inside one test."""
    pg_required()
    return ENGINES


def events_table(
    rows: Iterable[tuple[Any, ...]],
    *,
    extra: tuple[str, ...] = (),
    ts_type: pa.DataType | None = None,
) -> pa.Table:
    """rows of (person_id, event, ts, *extra) → Arrow table with ts as timestamp[us, UTC]."""
    rows = list(rows)
    names = ("person_id", "event", "ts", *extra)
    columns: dict[str, Any] = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    columns["ts"] = pa.array(columns["ts"], ts_type or pa.timestamp("us", tz="UTC"))
    if rows and not isinstance(rows[0][0], str):
        columns["person_id"] = pa.array(columns["person_id"], pa.int64())
    else:
        columns["person_id"] = pa.array(columns["person_id"], pa.string())
    columns["event"] = pa.array(columns["event"], pa.string())
    return pa.table(columns)


@pytest.fixture
def make_events() -> Callable[..., pa.Table]:
    return events_table


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    # The root conftest tunes Django's password hashers through pytest-django's `settings`
    # fixture. The engine imports no Django, so its tests replace that fixture with a no-op and
    # run the same with or without the Django plugin (`-p no:django`).
    return None

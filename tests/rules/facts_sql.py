"""Run rules' SQL over a facts table on each engine, to hold to_sql() to evaluate()."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from closedloop.rules import FIELDS, field_spec

ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "string": pa.string(), "bool": pa.bool_()}
SQLITE_TYPES = {"int": "INTEGER", "float": "REAL", "string": "TEXT", "bool": "INTEGER"}

# The columns every test table has: the whole static vocabulary plus a few event counts.
COLUMNS = [*FIELDS, "content_download_30d", "webinar_attended_total", "page_view_7d", "meeting_booked_30d"]


def column_type(name: str) -> str:
    spec = field_spec(name)
    assert spec is not None, name
    return spec.type


def facts_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    # Lists, not range(): pyarrow converts a range object thousands of times slower.
    arrays = {"row_id": pa.array(list(range(len(rows))), pa.int64())}
    for name in COLUMNS:
        arrays[name] = pa.array([row.get(name) for row in rows], ARROW_TYPES[column_type(name)])
    return pa.table(arrays)


def _select(exprs: Sequence[str]) -> str:
    columns = ", ".join(f"{expr} AS r{i}" for i, expr in enumerate(exprs))
    return f"SELECT row_id, {columns} FROM facts ORDER BY row_id"


def _booleans(rows: Sequence[Sequence[Any]], n: int) -> list[list[bool | None]]:
    # Row-major from the engine, rule-major for comparison; None stays None so a NULL shows up.
    return [[None if row[i + 1] is None else bool(row[i + 1]) for row in rows] for i in range(n)]


_duck = duckdb.connect()


def run_duckdb(exprs: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[list[bool | None]]:
    con = _duck.cursor()
    try:
        con.register("facts", facts_table(rows))
        return _booleans(con.execute(_select(exprs)).fetchall(), len(exprs))
    finally:
        con.close()


def run_sqlite(exprs: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[list[bool | None]]:
    con = sqlite3.connect(":memory:")
    try:
        columns = ", ".join(f'"{name}" {SQLITE_TYPES[column_type(name)]}' for name in COLUMNS)
        con.execute(f"CREATE TABLE facts (row_id INTEGER, {columns})")
        marks = ", ".join("?" for _ in range(len(COLUMNS) + 1))
        con.executemany(
            f"INSERT INTO facts VALUES ({marks})",
            [(i, *(row.get(name) for name in COLUMNS)) for i, row in enumerate(rows)],
        )
        return _booleans(con.execute(_select(exprs)).fetchall(), len(exprs))
    finally:
        con.close()


def run_engine(
    engine: str, exprs: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[list[bool | None]]:
    """PostgreSQL or ClickHouse (chdb) through the analytics engine's own runner."""
    from closedloop.engine.backends import run

    if engine == "postgres":
        _postgres_required()
    table = run({engine: _select(exprs)}, {"facts": facts_table(rows)}, engine)
    data = table.to_pylist()
    return _booleans(
        [[row["row_id"], *(row[f"r{i}"] for i in range(len(exprs)))] for row in data], len(exprs)
    )


_pg_error: list[str | None] = []


def _postgres_required() -> None:
    # Same policy as the engine tests: unreachable PostgreSQL fails unless the run opts out.
    if not _pg_error:
        import psycopg

        from closedloop.engine.backends import pg_dsn

        try:
            psycopg.connect(pg_dsn(), connect_timeout=5).close()
            _pg_error.append(None)
        except psycopg.Error as err:
            _pg_error.append(str(err))
    if _pg_error[0] is None:
        return
    if os.environ.get("CLOSEDLOOP_SKIP_PG") == "1":
        pytest.skip(f"PostgreSQL unreachable and CLOSEDLOOP_SKIP_PG=1: {_pg_error[0]}")
    pytest.fail(f"PostgreSQL unreachable (set CLOSEDLOOP_SKIP_PG=1 to skip): {_pg_error[0]}")

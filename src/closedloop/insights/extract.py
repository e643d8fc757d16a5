"""Bulk extraction from the operational database into Arrow tables (DESIGN §4: data leaves the
database in bulk, never row by row through the ORM).

Each query reads whole columns in one statement through ADBC (the SQLite or PostgreSQL driver,
which hands back Arrow record batches). ADBC opens its own connection, so it only sees committed
rows: inside a transaction (a test case, a view that has written something) or on an in-memory
SQLite database, the same statement runs on Django's own connection instead and its rows are
turned into Arrow column by column. Either way the result has the declared schema:

- ``int``: int64; ``float``: float64; ``text``: string (empty text reads as null);
  ``timestamp``: timestamp[us, tz=UTC].

SQLite's ADBC driver fixes each column's type from the first rows it sees and fails if a later row
differs (a NULL first, a string later), so on SQLite every column is coalesced to a value of its
type and the sentinel turned back into null here.
"""

# Table and column names come from model metadata, quoted by the backend; no user text reaches
# the SQL.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

Kind = Literal["int", "float", "text", "timestamp"]
UTC_US = pa.timestamp("us", tz="UTC")
ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "text": pa.string(),
    "timestamp": UTC_US,
}
# Stands for NULL in a nullable integer column on SQLite; ids and counts are never negative.
_NO_INT = -1


@dataclass(frozen=True)
class Col:
    """One output column: its name, its kind and the SQL expression that reads it."""

    name: str
    kind: Kind
    sql: str


def q(name: str) -> str:
    """A quoted identifier for the current database."""
    return connection.ops.quote_name(name)


def _select_expr(col: Col, vendor: str) -> str:
    alias = q(col.name)
    if col.kind == "float":
        # PostgreSQL numeric arrives as text through ADBC; SQLite mixes integers and reals.
        expr = f"CAST({col.sql} AS DOUBLE PRECISION)"
        return f"COALESCE({expr}, 0) AS {alias}" if vendor == "sqlite" else f"{expr} AS {alias}"
    if vendor != "sqlite":
        return f"{col.sql} AS {alias}"
    if col.kind == "int":
        return f"COALESCE({col.sql}, {_NO_INT}) AS {alias}"
    # Text and timestamps (stored as ISO text on SQLite): '' marks NULL.
    return f"COALESCE(CAST({col.sql} AS TEXT), '') AS {alias}"


def select_sql(cols: Sequence[Col], from_sql: str, vendor: str | None = None) -> str:
    vendor = vendor or connection.vendor
    return f"SELECT {', '.join(_select_expr(c, vendor) for c in cols)} FROM {from_sql}"


def arrow_select(cols: Sequence[Col], from_sql: str) -> pa.Table:
    """Run ``SELECT <cols> FROM <from_sql>`` and return it as an Arrow table of the declared schema.

    ``from_sql`` is table names, joins and a WHERE without parameters: filtering by dates and
    campaigns happens afterwards in Arrow/DuckDB, so the statement is the same on every database."""
    sql = select_sql(cols, from_sql)
    raw = _adbc_fetch(sql) if adbc_usable() else _cursor_fetch(sql, cols)
    return normalise(raw, cols, vendor=connection.vendor)


def adbc_usable() -> bool:
    """Whether a separate ADBC connection would see the same rows as Django's connection."""
    if connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return not (name == ":memory:" or "mode=memory" in name)
    return connection.vendor == "postgresql"


def _adbc_fetch(sql: str) -> pa.Table:
    if connection.vendor == "sqlite":
        import adbc_driver_sqlite.dbapi as driver

        con = driver.connect(str(connection.settings_dict["NAME"]))
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        con = driver.connect(postgres_uri(connection.settings_dict))
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetch_arrow_table()
    finally:
        con.close()


def sqlite_file_select(path: str, cols: Sequence[Col], from_sql: str) -> pa.Table:
    """The ADBC SQLite path on a given database file (for tools and tests)."""
    import adbc_driver_sqlite.dbapi as driver

    con = driver.connect(path)
    try:
        with con.cursor() as cur:
            cur.execute(select_sql(cols, from_sql, vendor="sqlite"))
            raw = cur.fetch_arrow_table()
    finally:
        con.close()
    return normalise(raw, cols, vendor="sqlite")


def postgres_uri(settings: dict) -> str:
    """A libpq URI from Django's database settings (credentials percent-encoded)."""
    user = quote(str(settings.get("USER") or ""), safe="")
    password = quote(str(settings.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(settings['NAME']), safe='')}"


def _cursor_fetch(sql: str, cols: Sequence[Col]) -> pa.Table:
    with connection.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
    arrays = {}
    for col, column in zip(cols, values, strict=True):
        sample = next((v for v in column if v is not None), None)
        if col.kind == "timestamp" and sample is not None and not isinstance(sample, str):
            arrays[col.name] = pa.array(column, UTC_US)
        elif col.kind in ("text", "timestamp"):
            arrays[col.name] = pa.array([None if v is None else str(v) for v in column], pa.string())
        elif col.kind == "float":
            arrays[col.name] = pa.array([None if v is None else float(v) for v in column], pa.float64())
        else:
            arrays[col.name] = pa.array(column, pa.int64())
    return pa.table(arrays)


def normalise(raw: pa.Table, cols: Sequence[Col], *, vendor: str) -> pa.Table:
    """Cast each column to its declared Arrow type and turn SQLite's sentinels back into null."""
    out: dict[str, pa.Array | pa.ChunkedArray] = {}
    for col in cols:
        values = raw.column(col.name) if raw.num_rows else pa.array([], ARROW_TYPES[col.kind])
        if col.kind == "int":
            values = pc.cast(values, pa.int64())
            if vendor == "sqlite":
                values = pc.if_else(pc.equal(values, _NO_INT), pa.scalar(None, pa.int64()), values)
        elif col.kind == "float":
            values = pc.cast(values, pa.float64())
        elif col.kind == "text":
            values = pc.cast(values, pa.string())
            values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        else:
            values = _timestamps(values)
        out[col.name] = values
    return pa.table(out)


def _timestamps(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    # A naive timestamp is UTC (USE_TZ stores UTC); Arrow's cast to a zoned type keeps the
    # instant, so it only relabels.
    if pa.types.is_timestamp(values.type):
        return pc.cast(pc.cast(values, pa.timestamp("us", tz=values.type.tz)), UTC_US)
    text = pc.cast(values, pa.string())
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    # SQLite holds "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC, possibly with a "+00:00" suffix: the
    # first 26 characters are the instant.
    text = pc.utf8_slice_codeunits(text, 0, 26)
    return pc.cast(pc.cast(text, pa.timestamp("us")), UTC_US)


__all__ = [
    "ARROW_TYPES",
    "Col",
    "adbc_usable",
    "arrow_select",
    "normalise",
    "postgres_uri",
    "q",
    "select_sql",
    "sqlite_file_select",
]

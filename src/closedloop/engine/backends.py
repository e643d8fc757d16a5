"""Run a compiled query on an engine over Arrow input tables and return an Arrow table.

One function, `run`, is the whole API: the caller names its input tables, and the query refers to
them by those names. DuckDB runs in-process (the default); PostgreSQL gets the tables bulk-loaded
with COPY (through ADBC) into temporary tables that vanish with the session; ClickHouse runs
in-process through chdb.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyarrow as pa

from closedloop.engine.dialects import Engine, Query, compile_sql, compile_statements, engine_parse

if TYPE_CHECKING:
    import duckdb
    from chdb.session import Session

__all__ = ["BackendError", "Engine", "Query", "duckdb_configure", "pg_dsn", "run"]

PG_DSN_ENV = "CLOSEDLOOP_ENGINE_PG_DSN"
# e.g. "1GB": DuckDB spills sorts and hash tables to disk rather than grow past it.
DUCKDB_MEMORY_LIMIT_ENV = "CLOSEDLOOP_ENGINE_DUCKDB_MEMORY_LIMIT"
PG_DSN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


class BackendError(RuntimeError):
    """An engine could not be reached or refused the query."""


def pg_dsn() -> str:
    """The PostgreSQL DSN the engine uses unless told otherwise."""
    return os.environ.get(PG_DSN_ENV) or PG_DSN_DEFAULT


def run(
    query: Query,
    tables: Mapping[str, pa.Table],
    engine: str | Engine = Engine.DUCKDB,
    *,
    dsn: str | None = None,
) -> pa.Table:
    """Run `query` on `engine`, with each Arrow table in `tables` visible under its key.

    `query` is SQL in DuckDB's dialect (compiled per engine with SQLGlot), a SQLGlot expression,
    or a mapping of engine name to SQL used verbatim. `dsn` only matters for PostgreSQL.
    Column types of the result follow each engine's own mapping to Arrow; callers that compare
    engines should cast to the schema they expect.
    """
    target = engine_parse(engine)
    if target is Engine.CLICKHOUSE:
        return _run_clickhouse(compile_statements(query, target, materialize=set(tables)), tables)
    sql = compile_sql(query, target)
    if target is Engine.DUCKDB:
        return _run_duckdb(sql, tables)
    return _run_postgres(sql, tables, dsn or pg_dsn())


def _plain(table: pa.Table) -> pa.Table:
    # PostgreSQL's COPY and ClickHouse's Arrow reader do not all take dictionary columns; decode.
    fields = []
    changed = False
    for field in table.schema:
        if pa.types.is_dictionary(field.type):
            fields.append(field.with_type(field.type.value_type))
            changed = True
        else:
            fields.append(field)
    return table.cast(pa.schema(fields)) if changed else table


def _run_duckdb(sql: str, tables: Mapping[str, pa.Table]) -> pa.Table:
    import duckdb

    # A cursor is its own connection to one shared in-memory database: opening one is far
    # cheaper than a new database, and Arrow tables registered on it are invisible to others.
    con = _duckdb_database().cursor()
    try:
        for name, table in tables.items():
            con.register(name, table)
        relation = con.sql(sql)
        return relation.to_arrow_table() if relation is not None else pa.table({})
    except duckdb.Error as err:
        raise BackendError(f"duckdb: {err}") from err
    finally:
        con.close()


_duckdb_lock = threading.Lock()
_duckdb_db: list[duckdb.DuckDBPyConnection] = []


def _duckdb_database() -> duckdb.DuckDBPyConnection:
    with _duckdb_lock:
        if not _duckdb_db:
            import duckdb

            _duckdb_db.append(duckdb.connect())
            limit = os.environ.get(DUCKDB_MEMORY_LIMIT_ENV)
            if limit:
                _duckdb_db[0].execute("SET memory_limit = ?", [limit])
        return _duckdb_db[0]


def duckdb_cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the shared in-process database: its own session and registrations."""
    return _duckdb_database().cursor()


def duckdb_configure(*, memory_limit: str | None = None, threads: int | None = None) -> None:
    """Cap the in-process DuckDB engine for every later `run` (e.g. memory_limit="1GB")."""
    db = _duckdb_database()
    if memory_limit is not None:
        db.execute("SET memory_limit = ?", [memory_limit])
    if threads is not None:
        db.execute("SET threads = ?", [threads])


def _run_postgres(sql: str, tables: Mapping[str, pa.Table], dsn: str) -> pa.Table:
    import adbc_driver_postgresql.dbapi as pg

    try:
        con = pg.connect(dsn)
    except Exception as err:  # the driver raises several classes; all mean "cannot connect"
        raise BackendError(f"postgres: cannot connect to {_redacted(dsn)}: {err}") from err
    try:
        with con.cursor() as cur:
            for name, table in tables.items():
                # Temporary tables live in this session's own schema and are dropped when it
                # ends, so concurrent runs never see each other's data. ADBC ingests by COPY.
                cur.adbc_ingest(name, _plain(table), mode="create", temporary=True)
            cur.execute(sql)
            result = cur.fetch_arrow_table()
        # The driver tags each field with its PostgreSQL type; drop that so results compare
        # equal across engines.
        return result.cast(pa.schema([f.remove_metadata() for f in result.schema]))
    except pg.Error as err:
        raise BackendError(f"postgres: {err}") from err
    finally:
        con.close()


_chdb_lock = threading.Lock()
_chdb_session: list[Session] = []


def _run_clickhouse(statements: list[str], tables: Mapping[str, pa.Table]) -> pa.Table:
    # One embedded ClickHouse per process (starting one costs more than a small query); each
    # run gets its own database, dropped afterwards, and the lock keeps runs from sharing it.
    with _chdb_lock:
        sess = _chdb()
        database = f"run_{uuid.uuid4().hex}"
        try:
            sess.query(f"CREATE DATABASE {database}")
            sess.query(f"USE {database}")
            for name, table in tables.items():
                _chdb_load(sess, name, _typed_nulls(_plain(table)))
            *setup, final = statements
            for statement in setup:
                sess.query(statement)
            return sess.query(final, "ArrowTable")
        except Exception as err:  # chdb reports every failure as a plain RuntimeError
            raise BackendError(f"clickhouse: {err}") from err
        finally:
            sess.query("USE default")
            sess.query(f"DROP DATABASE IF EXISTS {database} SYNC")


def _typed_nulls(table: pa.Table) -> pa.Table:
    # An all-null column of an empty or unknown input has Arrow type null, which ClickHouse
    # cannot store in a table (Nullable(Nothing)); a nullable text column holds the same nothing.
    fields = [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table


def _chdb() -> Session:
    if not _chdb_session:
        from chdb import session

        sess = session.Session()
        # Standard SQL outer-join NULLs instead of ClickHouse's default-value filling, so that
        # the same query means the same thing on every engine.
        sess.query("SET join_use_nulls = 1")
        _chdb_session.append(sess)
    return _chdb_session[0]


def _chdb_load(sess: Session, name: str, arrow_input: pa.Table) -> None:
    from sqlglot import exp

    # chdb's Python() table function finds the Arrow table by its variable name in this frame.
    ident = exp.to_identifier(name, quoted=True).sql(dialect="clickhouse")
    # The only interpolated text is the quoted identifier above, so nothing can be injected.
    sess.query(f"CREATE TABLE {ident} ENGINE = Memory AS SELECT * FROM Python(arrow_input)")  # noqa: S608


def _redacted(dsn: str) -> str:
    # Never echo a password into logs or CLI output.
    if "@" in dsn and "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return dsn

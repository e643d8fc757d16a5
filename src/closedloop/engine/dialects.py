"""Compile one query definition to the SQL of each engine (DuckDB, PostgreSQL, ClickHouse).

Queries are written once, in DuckDB's dialect or as a SQLGlot expression tree, and SQLGlot prints
them for the target engine. The engine names here are the ones the CLI and settings accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import sqlglot
from sqlglot import exp


class Engine(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"
    CLICKHOUSE = "clickhouse"


# The dialect a query written as a string is read in; DuckDB is the embedded default engine,
# so its SQL is what people write and test first.
SOURCE_DIALECT = "duckdb"

_SQLGLOT_DIALECT: dict[Engine, str] = {
    Engine.DUCKDB: "duckdb",
    Engine.POSTGRES: "postgres",
    Engine.CLICKHOUSE: "clickhouse",
}

# A query is SQL in DuckDB's dialect, a SQLGlot tree, or SQL already written for each engine.
Query = str | exp.Expression | Mapping[str, str]


def engine_parse(name: str | Engine) -> Engine:
    """Return the Engine for a user-supplied name, with an error that lists the valid ones."""
    try:
        return Engine(str(name).lower())
    except ValueError:
        valid = ", ".join(e.value for e in Engine)
        raise ValueError(f"unknown engine {name!r}; expected one of: {valid}") from None


def compile_sql(query: Query, engine: str | Engine) -> str:
    """Return the SQL text that runs `query` on `engine`."""
    target = engine_parse(engine)
    if isinstance(query, Mapping):
        # Hand-written per-engine SQL is used verbatim: the caller took responsibility for it.
        for key, sql in query.items():
            if engine_parse(key) is target:
                return sql
        raise ValueError(f"query has no SQL for engine {target.value!r}")
    if isinstance(query, exp.Expression):
        return query.sql(dialect=_SQLGLOT_DIALECT[target])
    if target is Engine.DUCKDB:
        return query
    statements = sqlglot.transpile(query, read=SOURCE_DIALECT, write=_SQLGLOT_DIALECT[target])
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]

"""Compile one query definition to the SQL of each engine (DuckDB, PostgreSQL, ClickHouse).

Queries are written once, in DuckDB's dialect or as a SQLGlot expression tree, and SQLGlot prints
them for the target engine. The engine names here are the ones the CLI and settings accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # SQLGlot is imported only when a query has to be translated: DuckDB runs its own dialect
    # as written, and the import costs more than a typical dashboard query.
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
type Query = str | exp.Expr | Mapping[str, str]


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
        return _verbatim(query, target)
    if isinstance(query, str) and target is Engine.DUCKDB:
        return query
    tree = _tree(query)
    if target is Engine.CLICKHOUSE:
        tree = _clickhouse_ordered_concat(tree.copy() if tree is query else tree)
    return tree.sql(dialect=_SQLGLOT_DIALECT[target])


def compile_statements(query: Query, engine: str | Engine, *, materialize: set[str]) -> list[str]:
    """Like compile_sql, but on ClickHouse each top-level CTE becomes a Memory table first.

    ClickHouse inlines a CTE at every reference instead of computing it once, so a query whose
    CTEs build on each other (the funnel's step chain) would be re-planned and re-run many
    times over. Creating the CTEs as tables in order keeps the work linear. The last statement
    is the query; the ones before it create tables. `materialize` holds the input table names,
    which a CTE must not shadow (the query is then left whole).
    """
    target = engine_parse(engine)
    if target is not Engine.CLICKHOUSE or isinstance(query, Mapping):
        return [compile_sql(query, target)]
    from sqlglot import exp

    dialect = _SQLGLOT_DIALECT[target]
    # A caller's tree is copied before the WITH is cut off; a freshly parsed one is ours.
    tree = _clickhouse_ordered_concat(query.copy() if isinstance(query, exp.Expr) else _tree(query))
    with_ = tree.args.get("with_")
    if not isinstance(tree, exp.Select) or with_ is None or with_.args.get("recursive"):
        return [tree.sql(dialect=dialect)]
    if any(cte.alias in materialize for cte in with_.expressions):
        return [tree.sql(dialect=dialect)]
    statements = []
    for cte in with_.expressions:
        ident = exp.to_identifier(cte.alias, quoted=True).sql(dialect=dialect)
        statements.append(f"CREATE TABLE {ident} ENGINE = Memory AS {cte.this.sql(dialect=dialect)}")
    tree.set("with_", None)
    statements.append(tree.sql(dialect=dialect))
    return statements


def _clickhouse_ordered_concat(tree: exp.Expr) -> exp.Expr:
    """Rewrite STRING_AGG(value, sep ORDER BY keys) for ClickHouse, in place.

    SQLGlot prints it as groupConcat(sep)(value ORDER BY ...), which ClickHouse does not parse;
    collecting (keys..., value) tuples, sorting them and joining the values means the same.
    """
    import sqlglot
    from sqlglot import exp

    for node in list(tree.find_all(exp.GroupConcat)):
        ordered = node.this
        if not isinstance(ordered, exp.Order):
            continue
        keys = ordered.expressions
        if any(key.args.get("desc") for key in keys):
            raise ValueError("ordered STRING_AGG on ClickHouse supports ascending keys only")
        parts = [key.this.sql(dialect="clickhouse") for key in keys]
        value = ordered.this.sql(dialect="clickhouse")
        separator = (node.args.get("separator") or exp.Literal.string(",")).sql(dialect="clickhouse")
        # Only the query's own, already printed fragments are put back together here.
        replacement = sqlglot.parse_one(
            f"arrayStringConcat(arrayMap(x -> tupleElement(x, {len(parts) + 1}), "
            f"arraySort(groupArray(tuple({', '.join([*parts, value])})))), {separator})",
            read="clickhouse",
        )
        if node is tree:
            return replacement
        node.replace(replacement)
    return tree


def _verbatim(query: Mapping[str, str], target: Engine) -> str:
    # Hand-written per-engine SQL is used verbatim: the caller took responsibility for it.
    for key, sql in query.items():
        if engine_parse(key) is target:
            return sql
    raise ValueError(f"query has no SQL for engine {target.value!r}")


def _tree(query: str | exp.Expr) -> exp.Expr:
    import sqlglot

    if not isinstance(query, str):
        return query
    statements = sqlglot.parse(query, read=SOURCE_DIALECT)
    if len(statements) != 1 or statements[0] is None:
        raise ValueError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]

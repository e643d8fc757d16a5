"""The SQL dialects a rule compiles to, kept apart from the compiler so naming one costs no import."""

from __future__ import annotations

DIALECTS = ("duckdb", "postgres", "clickhouse", "sqlite")
_NAMES = {"postgresql": "postgres", "chdb": "clickhouse", **{d: d for d in DIALECTS}}


def dialect_name(dialect: str) -> str:
    """The canonical dialect for a user-supplied name; ValueError naming the valid ones."""
    name = _NAMES.get(str(dialect).lower())
    if name is None:
        raise ValueError(f"unknown SQL dialect {dialect!r}; expected one of: {', '.join(DIALECTS)}")
    return name

"""Fast inserts of many rows for hot write paths (event ingest, imports).

Django's bulk_create spends most of its time compiling SQL per object (~300 µs a row for wide
models), which capped ingest near 1,000 events/s. Here rows are tuples of Python values in the
order of `fields`; each value goes through its model field's own database preparation, so
timestamps, JSON and decimals are stored exactly as the ORM would store them.
PostgreSQL: COPY into a temporary staging table, then one INSERT … SELECT (a multi-row INSERT
spends its time in the driver parsing thousands of placeholders). SQLite: multi-row INSERTs.
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

_PREPARED = (models.DateField, models.JSONField, models.DecimalField, models.UUIDField, models.DurationField)
_SQLITE_MAX_PARAMS = 30_000  # SQLite allows 32,766 host parameters per statement


def rows_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    skip_conflicts_on: str | None = None,
) -> None:
    """Insert rows; with `skip_conflicts_on` (a unique column), rows whose key exists are skipped."""
    if not rows:
        return
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in model_fields)  # type: ignore[union-attr]
    conflict = f" ON CONFLICT ({quote(skip_conflicts_on)}) DO NOTHING" if skip_conflicts_on else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_insert(cursor, meta.db_table, table, columns, model_fields, rows, conflict)
            return
        row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, _SQLITE_MAX_PARAMS // len(fields))
        # Text, integer and key columns go to the driver as they are; only types with a database
        # form of their own (timestamps, JSON, decimals) need the field's preparation.
        preps = [f.get_db_prep_save if isinstance(f, _PREPARED) else None for f in model_fields]
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                value if prep is None or value is None else prep(value, connection)
                for row in chunk
                for prep, value in zip(preps, row, strict=True)
            ]
            values = ", ".join([row_sql] * len(chunk))
            # Table and column names come from the model's _meta, never from input.
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}{conflict}", params)  # noqa: S608


def _copy_insert(
    cursor: Any,
    db_table: str,
    table: str,
    columns: str,
    model_fields: list[Any],
    rows: Sequence[Sequence[Any]],
    conflict: str,
) -> None:
    # One staging table per table *and column set*: the same connection may insert a table's rows
    # with their ids (reserved ahead) and, later, without them.
    column_set = hashlib.sha1(columns.encode(), usedforsecurity=False).hexdigest()[:8]
    stage = connection.ops.quote_name(f"stage_{db_table[:40]}_{column_set}")
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT {columns} FROM {table} WITH NO DATA"
    )
    # COPY adapts plain Python values itself; JSON goes as text into the jsonb column.
    is_json = [isinstance(f, models.JSONField) for f in model_fields]
    with cursor.cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if j else v for v, j in zip(row, is_json, strict=True)])
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage}{conflict}")  # noqa: S608
    cursor.execute(f"TRUNCATE {stage}")

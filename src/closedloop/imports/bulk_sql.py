"""Bulk writes for imports: reserved primary keys, rows with the model's defaults for
closedloop.bulk_insert, updates of many rows, and SQLite tuning for one large transaction.

Why not QuerySet.bulk_create/bulk_update: profiling a 100,000-contact import showed bulk_create
spending about three quarters of the run compiling placeholders and preparing values, and
bulk_update resolving a CASE WHEN expression per field and row (milliseconds per row). No model
signals are sent (bulk_create sends none either); auto_now fields are filled from the defaults."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from closedloop.bulk_insert import rows_insert


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys for rows the caller will insert with explicit ids, so that
    dependent rows (stage transitions of new contacts) can refer to them without reading back.
    On PostgreSQL the sequence hands them out. On SQLite the caller's transaction holds the
    write lock (transaction_mode IMMEDIATE in settings), so no one else can take the ids in
    between; were it not so, the insert would fail on the primary key and the import roll back."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk_column = str(model._meta.pk.column)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk_column)}), 0) FROM {quote(table)}")  # noqa: S608
        top = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            # AUTOINCREMENT never reuses the ids of deleted rows; neither do we.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + count))


def is_database_default(field: models.Field) -> bool:
    """True for a field whose only default is db_default (no Python default to send)."""
    return not field.has_default() and field.has_db_default()


class BulkTable:
    """Rows for one model's table in its column order, with the model's defaults filled in,
    inserted through closedloop.bulk_insert (COPY on PostgreSQL, multi-row INSERT on SQLite)."""

    def __init__(self, model: type[models.Model], *, with_pk: bool = True) -> None:
        self.model = model
        # A column with only a database default is left out of the INSERT: the database fills it.
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if (with_pk or not f.primary_key) and not is_database_default(f)
        ]
        now = timezone.now()
        defaults: dict[str, Any] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults[f.attname] = now
            elif not f.primary_key:
                defaults[f.attname] = f.get_default()
        self.slots = [(f.attname, defaults.get(f.attname)) for f in self.fields]
        self.names = [f.name for f in self.fields]

    def row(self, values: dict[str, Any]) -> list[Any]:
        return [values.get(name, default) for name, default in self.slots]

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        rows_insert(self.model, self.names, list(rows))


def _copy(cursor: Any, table: str, columns: Sequence[str | None], rows: Sequence[Sequence[Any]]) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(c)) for c in columns)
    with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def update_rows(model: type[models.Model], objs: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """Set the fields of each object's row: UPDATE … WHERE pk = %s through executemany on
    SQLite; on PostgreSQL, COPY into a temporary table and one UPDATE … FROM it."""
    if not objs:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    converters = [_converter(f) for f in fields]  # type: ignore[arg-type]
    columns = [str(f.column) for f in fields]  # type: ignore[union-attr]
    pk_column = str(meta.pk.column)  # type: ignore[union-attr]
    quote = connection.ops.quote_name
    rows = [
        [convert(getattr(obj, f.attname)) for f, convert in zip(fields, converters, strict=True)] + [obj.pk]  # type: ignore[union-attr]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            temp = f"import_update_{meta.db_table}"
            selected = ", ".join(quote(c) for c in [*columns, pk_column])
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(temp)} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {selected} FROM {quote(meta.db_table)} LIMIT 0"
            )
            cursor.execute(f"TRUNCATE {quote(temp)}")
            _copy(cursor, temp, [*columns, pk_column], rows)
            assignments = ", ".join(f"{quote(c)} = source.{quote(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS target SET {assignments} FROM {quote(temp)} AS source "  # noqa: S608
                f"WHERE target.{quote(pk_column)} = source.{quote(pk_column)}"
            )
            return
        assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(pk_column)} = %s"  # noqa: S608
        cursor.executemany(sql, rows)


@contextmanager
def write_tuning() -> Iterator[None]:
    """On SQLite, a page cache big enough for the indexes of a large import: with the default
    2 MB, inserting 100,000 contacts spends most of its time re-reading index pages. Memory is
    taken only as pages are used, and the old size comes back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")  # KiB: at most 256 MB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _identity(value: Any) -> Any:
    return value


def _sqlite_datetime(value: datetime | None) -> str | None:
    # What DatabaseOperations.adapt_datetimefield_value stores (naive UTC text), minus the
    # per-call settings and timezone look-ups that dominate when it runs 200,000 times.
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


def _converter(field: models.Field) -> Any:
    """Plain text, integers and keys go to the driver as they are; the rest through the field."""
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC":
            return _sqlite_datetime
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: None if value is None else adapt(value)
    if isinstance(field, models.JSONField):
        adapt_json, encoder = connection.ops.adapt_json_value, field.encoder
        return lambda value: None if value is None else adapt_json(value, encoder)
    if isinstance(field, (models.CharField, models.TextField, models.IntegerField, models.BooleanField)):
        return _identity
    if isinstance(field, models.ForeignKey):
        return _identity
    return lambda value: field.get_db_prep_save(value, connection)

"""Inserts and updates of many rows through one prepared statement and executemany.

Why not QuerySet.bulk_create/bulk_update: profiling a 100,000-contact import showed Django's
bulk_create spending about three quarters of the run compiling placeholders and preparing values
(several microseconds per value), and bulk_update resolving a CASE WHEN expression per field and
row (milliseconds per row). Here each value is converted once by its field and the database
driver binds rows to a statement prepared once. No model signals are sent (bulk_create sends
none either); callers fill auto_now fields themselves via the defaults below."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys for rows the caller will insert with explicit ids, so that
    dependent rows (stage transitions of new contacts) can refer to them without reading back.
    On PostgreSQL the sequence hands them out. On SQLite the caller's transaction holds the
    write lock (transaction_mode IMMEDIATE in settings), so no one else can take the ids in
    between; were it not so, the insert would fail on the primary key and the import roll back."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk_column = model._meta.pk.column  # type: ignore[union-attr]
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


class BulkTable:
    """Rows for one model's table as tuples in its column order, with the model's defaults."""

    def __init__(self, model: type[models.Model], *, with_pk: bool = True) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        now = timezone.now()
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            elif not f.primary_key:
                self.defaults[f.attname] = f.get_default()
        self.attnames = [f.attname for f in self.fields]
        converters = [_converter(f) for f in self.fields]
        self.conversions = [(i, c) for i, c in enumerate(converters) if c is not _identity]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.insert_sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608

    def row(self, values: dict[str, Any]) -> list[Any]:
        merged = self.defaults.copy()
        merged.update(values)
        out = [merged.get(name) for name in self.attnames]
        for i, convert in self.conversions:
            out[i] = convert(out[i])
        return out

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.insert_sql, rows)


def update_rows(model: type[models.Model], objs: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """UPDATE … SET the fields WHERE pk = %s, once per object, in one executemany."""
    if not objs:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    converters = [_converter(f) for f in fields]  # type: ignore[arg-type]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # type: ignore[union-attr]  # noqa: S608
    params = [
        [convert(getattr(obj, f.attname)) for f, convert in zip(fields, converters, strict=True)] + [obj.pk]  # type: ignore[union-attr]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


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

"""Fast inserts for the demo's hundreds of thousands of rows. The ORM's bulk_create spends most of
its time building SQL per object (over a minute for 250k events on a small machine); here rows are
plain tuples of database-ready values: COPY on PostgreSQL, executemany on SQLite."""

from collections.abc import Iterable, Sequence

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Insert rows whose values are already in database form (timestamps as UTC text, JSON as text)."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    table = quote(meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if is_postgres():
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            # A bigger page cache keeps the secondary indexes in memory while they grow.
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size = -262144")
            batch: list[Sequence[object]] = []
            # Table and column names come from the models' _meta, never from input.
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            for row in rows:
                batch.append(row)
                if len(batch) == 20_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
    return count


def sequences_reset(model_list: list[type[models.Model]]) -> None:
    """After inserting explicit primary keys, move PostgreSQL's sequences past them (as loaddata does)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

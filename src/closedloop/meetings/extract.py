"""Stage history out of the database in bulk, as an Arrow table for the engine (DESIGN §4: data
leaves in bulk, never row by row through the ORM). One raw SELECT; on SQLite the timestamps come
back as text and Arrow parses them in one vectorised cast."""

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from closedloop.crm.models import StageTransition


def transitions_table(*, since: datetime, until: datetime) -> pa.Table:
    """contact_id, to_stage, at (UTC) of the stage transitions in [since, until)."""
    meta = StageTransition._meta
    table = connection.ops.quote_name(meta.db_table)
    contact, stage, at = (
        connection.ops.quote_name(meta.get_field(f).column) for f in ("contact", "to_stage", "at")
    )
    sqlite = connection.vendor == "sqlite"
    # Concatenating with '' drops SQLite's declared type, so no per-row datetime converter runs.
    at_expr = f"{at} || ''" if sqlite else at
    sql = f"SELECT {contact}, {stage}, {at_expr} FROM {table} WHERE {at} >= %s AND {at} < %s"  # noqa: S608 (names are quoted model metadata)
    params = [
        connection.ops.adapt_datetimefield_value(since),
        connection.ops.adapt_datetimefield_value(until),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids, stages, times = (list(col) for col in zip(*rows, strict=True)) if rows else ([], [], [])
    if sqlite:
        at_array = pc.cast(pa.array(times, pa.string()), pa.timestamp("us")).cast(
            pa.timestamp("us", tz="UTC")
        )
    else:
        at_array = pa.array(times, pa.timestamp("us", tz="UTC"))
    return pa.table(
        {"contact_id": pa.array(ids, pa.int64()), "to_stage": pa.array(stages, pa.string()), "at": at_array}
    )

"""The permit that lets an erasure rewrite audit entries naming the erased person (migration 0002).

Held only inside the caller's transaction: inserted, used, deleted before commit, so no other
connection ever sees it and it never outlives the erasure."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def audit_rewrite_permit() -> Iterator[None]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("the audit rewrite permit is only held inside a transaction")
    insert = (
        "INSERT OR IGNORE INTO privacy_erasure_permit (id) VALUES (1)"
        if connection.vendor == "sqlite"
        else "INSERT INTO privacy_erasure_permit (id) VALUES (1) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM privacy_erasure_permit")

"""Emptying the append-only audit log, for test modules that share data outside transactions.

The log's triggers refuse row deletes (audit/migrations/0003): on SQLite they let a delete through
only while audit_flush_permit holds a row; PostgreSQL's TRUNCATE fires no row triggers. A full
`flush` would also remove the rows data migrations seed (rejection reasons, topics), which later
tests in the same database expect."""

from django.db import connection, transaction


def audit_log_clear() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT OR IGNORE INTO audit_flush_permit (id) VALUES (1)")
            cursor.execute("DELETE FROM audit_auditentry")
            cursor.execute("DELETE FROM audit_flush_permit")
        else:
            cursor.execute("TRUNCATE audit_auditentry")

"""The audit log is append-only in the database itself: triggers refuse UPDATE and DELETE on it.

SQLite: a DELETE is let through only while the one-row table audit_flush_permit holds a row, which
only `closedloop flush` (audit/management/commands/flush.py) inserts, inside the transaction that
empties every table, and removes again before it commits. PostgreSQL: `flush` uses TRUNCATE, which
fires no row triggers, so no permit is needed there."""

from django.db import migrations

SQLITE_UP = [
    "CREATE TABLE audit_flush_permit (id INTEGER PRIMARY KEY CHECK (id = 1))",
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
       WHEN NOT EXISTS (SELECT 1 FROM audit_flush_permit)
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TABLE IF EXISTS audit_flush_permit",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change()",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_UP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_UP)
    else:
        raise RuntimeError(f"no append-only triggers for database {vendor!r}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, SQLITE_DOWN if vendor == "sqlite" else POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_actor_protect")]

    operations = [migrations.RunPython(add_triggers, drop_triggers)]

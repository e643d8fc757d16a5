"""Erasure may rewrite the text of audit entries that name the erased person (docs/privacy.md).

The audit log stays append-only (audit migration 0003): UPDATE is let through only while the
one-row table privacy_erasure_permit holds a row, which only `contact_erase` inserts, inside its
own transaction, and removes again before it commits. DELETE stays refused as before."""

from django.db import migrations

SQLITE_UP = [
    "CREATE TABLE privacy_erasure_permit (id INTEGER PRIMARY KEY CHECK (id = 1))",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
       WHEN NOT EXISTS (SELECT 1 FROM privacy_erasure_permit)
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    "DROP TABLE IF EXISTS privacy_erasure_permit",
]
POSTGRES_UP = [
    "CREATE TABLE privacy_erasure_permit (id integer PRIMARY KEY CHECK (id = 1))",
    """CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM privacy_erasure_permit) THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
]
POSTGRES_DOWN = [
    """CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    "DROP TABLE IF EXISTS privacy_erasure_permit",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_UP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_UP)
    else:
        raise RuntimeError(f"no erasure permit for database {vendor!r}")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, SQLITE_DOWN if vendor == "sqlite" else POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial"), ("audit", "0003_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]

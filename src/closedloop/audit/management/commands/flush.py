"""Django's `flush`, able to empty the append-only audit log on SQLite.

Emptying the whole database is an operator's reset (tests run it between transactional tests). On
SQLite it deletes row by row, which the audit log's trigger refuses unless audit_flush_permit holds
a row; the permit is added and removed inside the flush's own transaction, so it is never visible
to anyone else and never outlives the flush. PostgreSQL truncates, which the row triggers ignore."""

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections, transaction


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # Inside a transaction (a test's), PostgreSQL refuses to TRUNCATE tables with deferred
            # foreign-key checks pending; running those checks now clears them.
            connection.check_constraints()
        if (
            connection.vendor != "sqlite"
            or "audit_flush_permit" not in connection.introspection.table_names()
        ):
            super().handle(**options)
            return
        if options.get("interactive", True):
            # Asked before the transaction opens, so no write lock is held while waiting for an answer.
            answer = input(
                f"This deletes ALL data in {connection.settings_dict['NAME']}, the audit log included.\n"
                "Type 'yes' to continue, or 'no' to cancel: "
            )
            if answer != "yes":
                self.stdout.write("Flush cancelled.")
                return
            options = {**options, "interactive": False}
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("INSERT OR IGNORE INTO audit_flush_permit (id) VALUES (1)")
            super().handle(**options)
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_flush_permit")

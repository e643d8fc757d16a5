"""The database itself refuses to change or remove audit entries (SQLite and PostgreSQL)."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from closedloop.accounts.roles import Role
from closedloop.audit.models import AuditEntry
from closedloop.audit.services import audit_record
from tests.factories import TeamFactory, UserFactory


def _entry():
    return audit_record(actor=None, action="team.rename", obj=TeamFactory(), summary="renamed")


@pytest.mark.django_db
def test_orm_update_and_delete_are_refused():
    entry = _entry()
    entry.summary = "rewritten"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(summary="rewritten")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        entry.delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().summary == "renamed"


@pytest.mark.django_db
def test_raw_sql_update_and_delete_are_refused():
    entry = _entry()
    for sql in (
        "UPDATE audit_auditentry SET summary = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get().summary == "renamed"


@pytest.mark.django_db
def test_a_user_who_acted_cannot_be_deleted():
    admin = UserFactory(role=Role.ADMIN)
    audit_record(actor=admin, action="team.rename", obj=TeamFactory(), summary="renamed")
    with pytest.raises(ProtectedError):
        admin.delete()
    # Someone who never acted can still be removed (e.g. a mistaken import).
    UserFactory().delete()


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database():
    # Transactional tests end with `flush`; it must get through the triggers, and leave them armed.
    _entry()
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    entry = _entry()
    with pytest.raises(IntegrityError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM audit_flush_permit")
            assert cursor.fetchone() == (0,)


@pytest.mark.django_db
def test_flush_inside_a_transaction_empties_the_log():
    # An entry with an actor leaves a deferred foreign-key check pending on PostgreSQL, which
    # TRUNCATE refuses unless flush runs the checks first.
    audit_record(actor=UserFactory(), action="team.rename", obj=TeamFactory(), summary="renamed")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0

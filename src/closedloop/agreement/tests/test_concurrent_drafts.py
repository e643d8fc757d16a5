"""Drafts started at the same moment get distinct version numbers instead of one failing."""

import threading

import pytest
from django.db import connection, connections

from closedloop.accounts.roles import Role
from closedloop.agreement.models import AgreementVersion
from closedloop.agreement.services import agreement_draft_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's database lock already serialises writers")
def test_simultaneous_drafts_get_distinct_numbers():
    maya = UserFactory(username="maya", role=Role.HEAD_OF_MARKETING)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def draft() -> None:
        try:
            start.wait()
            agreement_draft_create(by=maya)
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draft) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(AgreementVersion.objects.values_list("number", flat=True)) == [1, 2, 3, 4]

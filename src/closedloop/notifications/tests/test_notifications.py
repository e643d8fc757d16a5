"""notify(): one row per person, told once per key, mailed after commit; a dead mail server is
recorded rather than raised; people read and clear only their own notifications."""

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from closedloop.accounts.roles import Role
from closedloop.notifications.models import Notification
from closedloop.notifications.services import mark_read, notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex():
    return UserFactory(username="alex", role=Role.SALES_REP, email="alex@example.com")


@pytest.fixture
def sam():
    return UserFactory(username="sam", role=Role.HEAD_OF_SALES, email="sam@example.com")


def test_each_person_is_told_once_and_mailed_after_commit(alex, sam, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = notify(
            [alex, sam, alex, None],
            kind="sla_breach",
            title="SLA breached",
            body="Due 12:00",
            link="/contacts/1/",
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert [n.recipient for n in made] == [alex, sam]
    assert sorted(m.to[0] for m in mail.outbox) == ["alex@example.com", "sam@example.com"]
    assert "http://127.0.0.1:8000/contacts/1/" in mail.outbox[0].body
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_a_dedupe_key_tells_a_person_only_once(alex):
    notify([alex], kind="lead_routed", title="New lead", dedupe_key="handoff:7", email=False)
    again = notify([alex], kind="lead_routed", title="New lead", dedupe_key="handoff:7", email=False)
    assert again == []
    assert Notification.objects.filter(recipient=alex).count() == 1


def test_a_rolled_back_change_mails_nobody(alex, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify([alex], kind="x", title="Never sent")
                raise RuntimeError("the caller failed")
        except RuntimeError:
            pass
    assert mail.outbox == []
    assert not Notification.objects.exists()


@override_settings(
    MAILERS={
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
)
def test_an_unreachable_mail_server_is_recorded_not_raised(alex, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify([alex], kind="x", title="Hello")
    note = Notification.objects.get()
    assert note.emailed_at is None
    assert note.email_error  # e.g. "[Errno 111] Connection refused"


def test_people_read_and_clear_only_their_own(client, alex, sam):
    notify([alex], kind="x", title="For Alex", email=False)
    notify([sam], kind="x", title="For Sam", email=False)
    client.force_login(alex)
    page = client.get("/notifications/")
    assert b"For Alex" in page.content and b"For Sam" not in page.content
    assert b"1" in client.get("/notifications/badge/").content
    api = client.get("/api/v1/notifications?unread=true").json()
    assert [n["title"] for n in api["items"]] == ["For Alex"]
    assert client.post("/api/v1/notifications/read", {}, content_type="application/json").json() == {
        "marked": 1
    }
    assert Notification.objects.get(title="For Sam").read_at is None
    assert mark_read(sam) == 1

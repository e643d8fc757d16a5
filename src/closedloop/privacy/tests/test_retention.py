from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from closedloop.audit.models import AuditEntry
from closedloop.automation.models import OutboundEmail, OutboxStatus
from closedloop.crm.models import Activity, Contact, Deal
from closedloop.jobs.models import JobRun
from closedloop.jobs.schedule import JOBS, jobs_run_due
from closedloop.privacy.models import ErasureRecord, RetentionPolicy
from closedloop.privacy.retention import retention_apply
from closedloop.privacy.selectors import retention_policy_get
from closedloop.privacy.services import retention_policy_update
from closedloop.tracking.models import Event

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2025, 6, 1, tzinfo=UTC)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def contact(email: str, created: datetime = LONG_AGO) -> Contact:
    return Contact.objects.create(
        email=email, first_name="Test", last_name=email.split("@")[0], created_at=created
    )


def event(key: str, ts: datetime, who: Contact | None = None) -> Event:
    return Event.objects.create(
        idempotency_key=key, type="page_view", ts=ts, contact=who, visitor_id=f"v-{key}"
    )


def email(key: str, created: datetime, status: str = OutboxStatus.SENT, body: str = "Hello") -> OutboundEmail:
    return OutboundEmail.objects.create(
        idempotency_key=key, contact=ARCHIVE["a"], to_email="a@example.com", domain="example.com", topic="news",
        subject="News", text_body=body, html_body=f"<p>{body}</p>" if body else "", message_id=f"<{key}@x>",
        status=status, due_at=created, created_at=created,
    )  # fmt: skip


ARCHIVE: dict[str, Contact] = {}


@pytest.fixture
def aged_rows(db):
    """Rows at known ages against NOW; the comments say what a 90/30/60-day, 6-month policy does."""
    a = ARCHIVE["a"] = contact("a@example.com", created=datetime(2025, 1, 1, tzinfo=UTC))
    event("a-old", ago(100), a)  # older than 90 days: deleted
    event("a-recent", ago(89), a)  # kept; keeps contact a active
    event("anon-31", ago(31))  # anonymous, older than 30 days: deleted
    event("anon-29", ago(29))  # kept
    event("anon-95", ago(95))  # older than 90 days: deleted by the event rule
    email("m-61", ago(61))  # body cleared
    email("m-59", ago(59))  # kept
    email("m-queued", ago(200), status=OutboxStatus.QUEUED)  # not sent yet: kept
    email("m-empty", ago(100), body="")  # nothing to clear
    contact("old@example.com")  # no touchpoint in 6 months: erased
    recent = contact("recent@example.com")
    event("recent-10", ago(10), recent)  # active 10 days ago: kept
    deal_owner = contact("deal@example.com")
    Deal.objects.create(
        name="Open", contact=deal_owner, stage="proposal", created_at=LONG_AGO
    )  # open deal: kept
    contact("new@example.com", created=datetime(2026, 3, 1, tzinfo=UTC))  # created 4 months ago: kept
    called = contact("called@example.com")
    Activity.objects.create(
        kind="call", subject="Call", contact=called, at=datetime(2026, 2, 1, tzinfo=UTC)
    )  # kept
    RetentionPolicy.objects.update_or_create(
        pk=1,
        defaults={
            "event_days": 90,
            "anonymous_event_days": 30,
            "email_body_days": 60,
            "inactive_contact_months": 6,
        },
    )


EXPECTED = {
    "events_deleted": 2,
    "anonymous_events_deleted": 1,
    "email_bodies_cleared": 1,
    "contacts_erased": 1,
}


def test_dry_run_counts_and_changes_nothing(aged_rows):
    assert retention_apply(now=NOW, dry_run=True).as_dict() == EXPECTED
    assert Event.objects.count() == 6
    assert OutboundEmail.objects.get(idempotency_key="m-61").text_body == "Hello"
    assert not ErasureRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="privacy.retention").exists()


def test_retention_applies_each_rule_at_its_boundary(aged_rows):
    assert retention_apply(now=NOW).as_dict() == EXPECTED

    assert set(Event.objects.values_list("idempotency_key", flat=True)) == {
        "a-recent",
        "anon-29",
        "recent-10",
    }
    bodies = dict(OutboundEmail.objects.values_list("idempotency_key", "text_body"))
    assert bodies == {"m-61": "", "m-59": "Hello", "m-queued": "Hello", "m-empty": ""}
    assert OutboundEmail.objects.get(idempotency_key="m-61").html_body == ""
    assert set(Contact.objects.exclude(email=None).values_list("email", flat=True)) == {
        "a@example.com", "recent@example.com", "deal@example.com", "new@example.com", "called@example.com",
    }  # fmt: skip
    assert ErasureRecord.objects.get().reason == ErasureRecord.Reason.RETENTION
    assert AuditEntry.objects.get(action="privacy.retention").changes == EXPECTED
    # A second run the same day finds nothing left to do.
    assert retention_apply(now=NOW).total == 0


def test_defaults_keep_contact_events_and_never_erase_contacts(db):
    policy = retention_policy_get()
    assert (policy.event_days, policy.anonymous_event_days, policy.email_body_days) == (None, 395, 365)
    assert policy.inactive_contact_months is None
    contact("old@example.com", created=datetime(2010, 1, 1, tzinfo=UTC))
    assert retention_apply(now=NOW).contacts_erased == 0


def test_retention_command_dry_run(aged_rows):
    out = StringIO()
    call_command("privacy", "retention", "--dry-run", "--now", "2026-06-30T12:00:00Z", stdout=out)
    assert out.getvalue().strip() == (
        "would change: 2 events deleted, 1 anonymous events deleted, 1 email bodies cleared, 1 contacts erased"
    )
    assert Event.objects.count() == 6


@pytest.mark.parametrize("value", [0, -5, 100000, "30", True])
def test_bad_retention_values_are_refused_naming_the_field(db, value):
    with pytest.raises(ValidationError) as err:
        retention_policy_update(by=None, event_days=value)
    assert list(err.value.message_dict) == ["event_days"]
    assert retention_policy_get().event_days is None


def test_retention_update_is_audited(db):
    retention_policy_update(by=None, event_days=760, inactive_contact_months=None)
    entry = AuditEntry.objects.get(action="privacy.retention_update")
    assert entry.changes == {"event_days": [None, 760]}


def test_the_worker_runs_retention_daily(aged_rows):
    job = next(j for j in JOBS if j.name == "retention")
    assert job.every == timedelta(days=1)
    assert jobs_run_due(now=NOW, jobs=(job,)) == ["retention"]
    assert JobRun.objects.get(name="retention").last_result == str(EXPECTED)
    assert jobs_run_due(now=NOW + timedelta(hours=23), jobs=(job,)) == []

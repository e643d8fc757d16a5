import json

import pytest

from closedloop.audit.models import AuditEntry
from closedloop.privacy.selectors import EXPORT_SCHEMA, EXPORT_SCHEMA_VERSION
from closedloop.privacy.services import contact_export
from closedloop.privacy.tests.builders import EMAIL, build_person


@pytest.mark.django_db
def test_export_holds_everything_about_the_contact_and_nothing_about_others(admin):
    person = build_person(staff=admin)
    data = contact_export(person.contact, by=admin)

    assert json.loads(json.dumps(data)) == data  # plain JSON, no datetimes or decimals left
    assert (data["schema"], data["schema_version"]) == (EXPORT_SCHEMA, EXPORT_SCHEMA_VERSION)
    assert data["contact"]["email"] == EMAIL
    assert data["contact"]["created_at"] == "2026-05-01T09:00:00Z"
    records = data["records"]
    # Counted in the fixture by hand.
    assert len(records["tracking.event"]) == 2  # her identified events (the anonymous one has no contact)
    assert len(records["tracking.visitoridentity"]) == 1
    assert len(records["crm.stagetransition"]) == 2
    assert len(records["automation.outboundemail"]) == 2
    assert {r["idempotency_key"] for r in records["automation.outboundemail"]} == {"mail-1", "mail-2"}
    assert [(r["topic"], r["status"]) for r in records["automation.consentrecord"]] == [
        ("nurture", "subscribed"),
        ("*", "unsubscribed"),
    ]
    assert records["automation.suppression"][0]["reason"] == "complaint"
    assert records["crm.deal"][0]["amount"] == "12000.00"
    assert records["content.linkview"][0]["user_agent"] == "Safari/18 (Zoë's iPhone)"
    assert "bob@example.com" not in json.dumps(data)
    assert "lease_token" not in records["automation.outboundemail"][0]


@pytest.mark.django_db
def test_export_is_audited_without_the_persons_name(admin):
    person = build_person(staff=admin)
    contact_export(person.contact, by=admin)
    entry = AuditEntry.objects.get(action="privacy.export")
    assert (entry.object_type, entry.object_id) == ("crm.contact", str(person.contact.pk))
    assert entry.object_repr == f"Contact {person.contact.pk}"
    assert entry.actor == admin
    assert "Quartermain" not in entry.summary and EMAIL not in entry.summary

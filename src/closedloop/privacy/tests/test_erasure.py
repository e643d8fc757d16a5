from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from closedloop.audit.models import AuditEntry
from closedloop.automation.models import Enrollment, OutboundEmail, OutboxStatus, Suppression, Timer
from closedloop.content.models import SharedLink
from closedloop.crm.models import Contact, Deal, StageTransition
from closedloop.privacy import selectors
from closedloop.privacy.models import ErasureRecord
from closedloop.privacy.services import contact_erase
from closedloop.privacy.tests.builders import EMAIL, PHONE, build_person
from closedloop.tracking.models import Event, VisitorIdentity

# Strings that identify Zoë in the fixture: address, surname (covers the full name), phone, IP
# address, user agents, cookie id, LinkedIn handle.
IDENTIFIERS = [EMAIL, "quartermain", PHONE, "203.0.113.9", "firefox/140", "iphone", "cookie-zq-1"]


def tables_containing(needles: list[str]) -> dict[str, list[str]]:
    """For each needle, the tables of the whole database (every column, any type, cast to text)
    where it occurs, case-insensitively. One query per table."""
    qn = connection.ops.quote_name
    hits: dict[str, list[str]] = {n: [] for n in needles}
    patterns = [
        "%" + n.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for n in needles
    ]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            sums, params = [], []
            for pattern in patterns:
                match = " OR ".join(f"LOWER(CAST({qn(c)} AS TEXT)) LIKE %s ESCAPE '\\'" for c in columns)
                sums.append(f"SUM(CASE WHEN {match} THEN 1 ELSE 0 END)")
                params.extend([pattern] * len(columns))
            cursor.execute(f"SELECT {', '.join(sums)} FROM {qn(table)}", params)
            for needle, count in zip(needles, cursor.fetchone(), strict=True):
                if count:
                    hits[needle].append(table)
    return hits


def aggregates(campaign_id: int) -> dict:
    events = {
        (row["campaign_id"], str(row["day"]), row["type"]): row["n"]
        for row in Event.objects.annotate(day=TruncDate("ts"))
        .values("campaign_id", "day", "type")
        .annotate(n=Count("id"))
    }
    return {
        "events": events,
        "won_revenue": Deal.objects.filter(stage="won").aggregate(s=Sum("amount"))["s"],
        "won_revenue_ppc": Deal.objects.filter(stage="won", source_campaign_id=campaign_id).aggregate(
            s=Sum("amount")
        )["s"],
        "contacts_by_stage": dict(
            Contact.objects.values_list("lifecycle_stage")
            .annotate(n=Count("id"))
            .values_list("lifecycle_stage", "n")
        ),
        "contacts_from_ppc": Contact.objects.filter(source_campaign_id=campaign_id).count(),
        "transitions": dict(
            StageTransition.objects.values_list("to_stage")
            .annotate(n=Count("id"))
            .values_list("to_stage", "n")
        ),
        "emails_sent": OutboundEmail.objects.filter(sent_at__isnull=False).count(),
        "emails_opened": OutboundEmail.objects.filter(opened_at__isnull=False).count(),
        "link_opens": SharedLink.objects.aggregate(s=Sum("open_count"))["s"],
    }


@pytest.mark.django_db
def test_erasure_leaves_no_trace_of_the_person_in_any_table(admin):
    person = build_person(staff=admin)
    before = tables_containing(IDENTIFIERS)
    assert all(before.values()), f"the fixture should hold every identifier somewhere: {before}"
    assert "tracking_event" in before[EMAIL] and "audit_auditentry" in before["quartermain"]

    contact_erase(person.contact, by=admin, reason="request")

    assert tables_containing(IDENTIFIERS) == {n: [] for n in IDENTIFIERS}


@pytest.mark.django_db
def test_erasure_keeps_funnel_attribution_and_revenue_numbers(admin):
    person = build_person(staff=admin)
    ppc = person.campaign.pk
    # Worked out from the fixture by hand: Zoë's anonymous view on 1 May, on 2 May her view, her form
    # and Bob's view; won deals 12 000 (Zoë, PPC) + 3 000 (Bob, no campaign).
    expected = {
        "events": {
            (ppc, "2026-05-01", "page_view"): 1,
            (ppc, "2026-05-02", "page_view"): 2,
            (ppc, "2026-05-02", "form_submit"): 1,
        },
        "won_revenue": Decimal("15000.00"),
        "won_revenue_ppc": Decimal("12000.00"),
        "contacts_by_stage": {"customer": 1, "visitor": 1},
        "contacts_from_ppc": 1,
        "transitions": {"lead": 1, "mql": 1},
        "emails_sent": 2,
        "emails_opened": 1,
        "link_opens": 1,
    }
    assert aggregates(ppc) == expected

    contact_erase(person.contact, by=admin, reason="request")

    assert aggregates(ppc) == expected


@pytest.mark.django_db
def test_erasure_stops_mail_and_keeps_proof_without_the_address(admin):
    person = build_person(staff=admin)
    zoe = person.contact

    record = contact_erase(zoe, by=admin, reason="request")

    zoe.refresh_from_db()
    assert (zoe.email, zoe.first_name, zoe.last_name, zoe.phone, zoe.properties) == (None, "", "", "", {})
    assert str(zoe) == f"Contact {zoe.pk}"
    assert OutboundEmail.objects.get(idempotency_key="mail-2").status == OutboxStatus.SUPPRESSED
    assert Enrollment.objects.get(contact=zoe).status == Enrollment.Status.CANCELLED
    assert not Timer.objects.exists()
    assert not VisitorIdentity.objects.exists()
    assert not Suppression.objects.exists()
    assert record.was_suppressed is True
    # The address is recognised (in any case) without being stored.
    assert selectors.email_is_erased(EMAIL.upper())
    assert not selectors.email_is_erased("bob@example.com")
    assert EMAIL not in record.email_hash
    # Consent proof stays: topic, answer, source and time.
    proof = list(zoe_consent(zoe))
    assert proof == [
        ("*", "unsubscribed", "one_click", date(2026, 5, 10)),
        ("nurture", "subscribed", "form", date(2026, 5, 1)),
    ]
    assert SharedLink.objects.get().revoked_at is not None


def zoe_consent(contact):
    return [(r.topic, r.status, r.source, r.at.date()) for r in selectors.contact_consent_history(contact)]


@pytest.mark.django_db
def test_erasure_leaves_other_contacts_alone(admin):
    person = build_person(staff=admin)
    contact_erase(person.contact, by=admin, reason="request")
    bob = Contact.objects.get(pk=person.other.pk)
    assert (bob.email, bob.first_name, bob.last_name) == ("bob@example.com", "Bob", "Stone")
    assert Event.objects.get(idempotency_key="bob-1").url == "https://site.example/"
    bob_mail = OutboundEmail.objects.get(idempotency_key="mail-bob")
    assert (bob_mail.to_email, bob_mail.subject, bob_mail.text_body) == ("bob@example.com", "Hi Bob", "Hi")


@pytest.mark.django_db
def test_erasure_audit_entry_holds_id_and_counts_only(admin):
    person = build_person(staff=admin)
    zoe_id = person.contact.pk
    contact_erase(person.contact, by=admin, reason="request")
    entry = AuditEntry.objects.get(action="privacy.erase")
    assert (entry.object_type, entry.object_id, entry.object_repr) == (
        "crm.contact",
        str(zoe_id),
        f"Contact {zoe_id}",
    )
    assert entry.actor == admin
    assert entry.changes["reason"] == "request"
    # Her two identified events plus the anonymous one from her cookie; 2 emails; 1 visitor id.
    assert entry.changes["counts"]["tracking.event"] == 3
    assert entry.changes["counts"]["automation.outboundemail"] == 2
    assert entry.changes["counts"]["tracking.visitoridentity"] == 1
    text = f"{entry.summary} {entry.changes} {entry.object_repr}".lower()
    assert "quartermain" not in text and EMAIL not in text


@pytest.mark.django_db
def test_erasing_an_erased_contact_is_refused(admin):
    person = build_person(staff=admin)
    contact_erase(person.contact, by=admin, reason="request")
    with pytest.raises(ValidationError) as err:
        contact_erase(person.contact, by=admin, reason="request")
    assert err.value.message_dict == {"contact": [f"contact {person.contact.pk} has already been erased"]}
    assert ErasureRecord.objects.count() == 1


@pytest.mark.django_db
def test_unknown_reason_is_refused_and_nothing_changes(admin):
    person = build_person(staff=admin)
    with pytest.raises(ValidationError) as err:
        contact_erase(person.contact, by=admin, reason="because")
    assert "reason" in err.value.message_dict
    assert Contact.objects.get(pk=person.contact.pk).email == EMAIL
    assert not ErasureRecord.objects.exists()


@pytest.mark.django_db
def test_the_audit_log_stays_append_only_after_an_erasure(admin):
    person = build_person(staff=admin)
    contact_erase(person.contact, by=admin, reason="request")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM privacy_erasure_permit")
        assert cursor.fetchone()[0] == 0
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(action="privacy.erase").update(summary="rewritten")

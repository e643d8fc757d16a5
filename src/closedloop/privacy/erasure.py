"""Erasure steps, one per model of the inventory that links rows to a contact.

These write other apps' tables directly: erasure is the one operation that must reach every table
at once, in one transaction, without the side effects (audit entries naming the person,
notifications, workflow triggers) that those apps' own services would cause."""

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Q

from closedloop.automation.models import (
    ConsentRecord,
    Enrollment,
    OutboundEmail,
    OutboxStatus,
    SegmentMembership,
    Subscription,
    Suppression,
    Timer,
)
from closedloop.content.models import LinkView, SharedLink
from closedloop.crm.models import Activity, Contact
from closedloop.handoff.models import Handoff
from closedloop.privacy.inventory import ERASED
from closedloop.privacy.scrub import scrub_fields, scrub_text
from closedloop.scoring.models import ContactScore
from closedloop.sla.models import SlaClock
from closedloop.tracking.models import Event, VisitorIdentity

BATCH = 500

Step = Callable[[Contact, list[str], datetime], int]


def _strip_url(url: str, needles: list[str]) -> str:
    # Query strings and fragments carry form fields and click ids; the path says which page it was.
    if not url:
        return url
    try:
        parts = urlsplit(url)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    except ValueError:
        url = ""
    return scrub_text(url, needles)


def erase_events(contact: Contact, needles: list[str], now: datetime) -> int:
    visitor_ids = list(VisitorIdentity.objects.filter(contact=contact).values_list("visitor_id", flat=True))
    match = Q(contact=contact)
    if visitor_ids:
        match |= Q(visitor_id__in=visitor_ids)
    ids = list(Event.objects.filter(match).values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        rows = list(Event.objects.filter(pk__in=ids[start : start + BATCH]))
        for ev in rows:
            ev.properties = {}
            ev.visitor_id = ""
            ev.url = _strip_url(ev.url, needles)
            # Client keys are often built from the address ("form-ann@x.com-…"): replace them.
            ev.idempotency_key = f"erased:{ev.pk}"
            for name in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
                setattr(ev, name, scrub_text(getattr(ev, name), needles))
        Event.objects.bulk_update(
            rows,
            ["properties", "visitor_id", "url", "idempotency_key", "utm_source", "utm_medium", "utm_campaign",
             "utm_term", "utm_content"],
        )  # fmt: skip
    return len(ids)


def erase_visitor_identities(contact: Contact, needles: list[str], now: datetime) -> int:
    return VisitorIdentity.objects.filter(contact=contact).delete()[0]


def erase_activities(contact: Contact, needles: list[str], now: datetime) -> int:
    return Activity.objects.filter(contact=contact).update(subject=ERASED, body="")


def erase_handoffs(contact: Contact, needles: list[str], now: datetime) -> int:
    qs = Handoff.objects.filter(contact=contact)
    qs.exclude(comment="").update(comment="")
    scrub_fields(Handoff, ("routing_reason",), needles, qs)
    return qs.count()


def erase_sla_clocks(contact: Contact, needles: list[str], now: datetime) -> int:
    qs = SlaClock.objects.filter(contact=contact)
    scrub_fields(SlaClock, ("stop_reason",), needles, qs)
    return qs.count()


def erase_score(contact: Contact, needles: list[str], now: datetime) -> int:
    return ContactScore.objects.filter(contact=contact).delete()[0]


def erase_enrollments(contact: Contact, needles: list[str], now: datetime) -> int:
    active = Enrollment.objects.filter(contact=contact, status=Enrollment.Status.ACTIVE)
    Timer.objects.filter(enrollment__in=active).delete()
    return active.update(status=Enrollment.Status.CANCELLED, finished_at=now, exit_reason="contact erased")


def erase_segment_memberships(contact: Contact, needles: list[str], now: datetime) -> int:
    return SegmentMembership.objects.filter(contact=contact).delete()[0]


def erase_outbound_emails(contact: Contact, needles: list[str], now: datetime) -> int:
    qs = OutboundEmail.objects.filter(contact=contact)
    qs.filter(status=OutboxStatus.QUEUED).update(status=OutboxStatus.SUPPRESSED)
    return qs.update(to_email="", subject=ERASED, text_body="", html_body="", message_id="", smtp_response="")


def erase_subscriptions(contact: Contact, needles: list[str], now: datetime) -> int:
    return Subscription.objects.filter(contact=contact).delete()[0]


def erase_consent_records(contact: Contact, needles: list[str], now: datetime) -> int:
    return ConsentRecord.objects.filter(contact=contact).exclude(detail="").update(detail="")


def erase_suppressions(contact: Contact, needles: list[str], now: datetime) -> int:
    if not contact.email:
        return 0
    return Suppression.objects.filter(email__iexact=contact.email.strip()).delete()[0]


def erase_shared_links(contact: Contact, needles: list[str], now: datetime) -> int:
    qs = SharedLink.objects.filter(contact=contact)
    qs.filter(revoked_at__isnull=True).update(revoked_at=now)
    LinkView.objects.filter(link__in=qs).exclude(user_agent="").update(user_agent="")
    return qs.update(intro="", body_html="")


# Runs before the free-text scrub and before the contact becomes a tombstone (needs its email).
STEPS: dict[str, Step] = {
    "tracking.event": erase_events,
    "tracking.visitoridentity": erase_visitor_identities,
    "crm.activity": erase_activities,
    "handoff.handoff": erase_handoffs,
    "sla.slaclock": erase_sla_clocks,
    "scoring.contactscore": erase_score,
    "automation.enrollment": erase_enrollments,
    "automation.segmentmembership": erase_segment_memberships,
    "automation.outboundemail": erase_outbound_emails,
    "automation.subscription": erase_subscriptions,
    "automation.consentrecord": erase_consent_records,
    "automation.suppression": erase_suppressions,
    "content.sharedlink": erase_shared_links,
}


def contact_tombstone(contact: Contact) -> None:
    """Empty the contact's personal columns; what funnels and attribution count stays."""
    Contact.objects.filter(pk=contact.pk).update(
        email=None, first_name="", last_name="", title="", phone="", properties={}
    )
    contact.refresh_from_db()

"""Reads: everything held about one contact (the export), the consent log, erasure lookups."""

import json
from datetime import date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from closedloop.audit.models import AuditEntry
from closedloop.automation.models import (
    ConsentRecord,
    Enrollment,
    OutboundEmail,
    SegmentMembership,
    Subscription,
    Suppression,
)
from closedloop.content.models import LinkView, SharedLink
from closedloop.crm.models import Account, Activity, Contact, Deal, StageTransition
from closedloop.handoff.models import Handoff
from closedloop.meetings.models import FeedItem
from closedloop.privacy.models import ErasureRecord, RetentionPolicy
from closedloop.scoring.models import ContactScore
from closedloop.sla.models import SlaClock
from closedloop.tracking.models import Event, VisitorIdentity

EXPORT_SCHEMA = "closedloop.contact-export"
EXPORT_SCHEMA_VERSION = 1
# Worker bookkeeping, not data about the person.
_INTERNAL_FIELDS = {"lease_token", "lease_until", "attempts"}


def email_hash(email: str) -> str:
    """A keyed hash of the normalised address: the same address always gives the same hash on this
    installation (it depends on SECRET_KEY), and the hash does not give the address back."""
    return salted_hmac(
        "closedloop.privacy.erased-address", email.strip().lower(), algorithm="sha256"
    ).hexdigest()


def email_is_erased(email: str) -> bool:
    """Whether this address belonged to a contact that was erased (for imports and sending)."""
    return bool(email) and ErasureRecord.objects.filter(email_hash=email_hash(email)).exists()


def erasure_get(contact: Contact) -> ErasureRecord | None:
    return ErasureRecord.objects.filter(contact=contact).first()


def retention_policy_get() -> RetentionPolicy:
    policy, _ = RetentionPolicy.objects.get_or_create(pk=1)
    return policy


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _rows(qs: QuerySet[Any]) -> list[dict[str, Any]]:
    names = [f.attname for f in qs.model._meta.concrete_fields if f.attname not in _INTERNAL_FIELDS]
    return _jsonable(list(qs.order_by("pk").values(*names)))


def _sections(contact: Contact) -> dict[str, QuerySet[Any]]:
    """One queryset per inventory model that links rows to the contact, keyed by model label."""
    links = SharedLink.objects.filter(contact=contact)
    return {
        "crm.stagetransition": StageTransition.objects.filter(contact=contact),
        "crm.deal": Deal.objects.filter(contact=contact),
        "crm.activity": Activity.objects.filter(contact=contact),
        "tracking.event": Event.objects.filter(contact=contact),
        "tracking.visitoridentity": VisitorIdentity.objects.filter(contact=contact),
        "handoff.handoff": Handoff.objects.filter(contact=contact),
        "sla.slaclock": SlaClock.objects.filter(contact=contact),
        "scoring.contactscore": ContactScore.objects.filter(contact=contact),
        "automation.enrollment": Enrollment.objects.filter(contact=contact),
        "automation.segmentmembership": SegmentMembership.objects.filter(contact=contact),
        "automation.outboundemail": OutboundEmail.objects.filter(contact=contact),
        "automation.subscription": Subscription.objects.filter(contact=contact),
        "automation.consentrecord": ConsentRecord.objects.filter(contact=contact),
        "automation.suppression": Suppression.objects.filter(email__iexact=(contact.email or "").strip())
        if contact.email
        else Suppression.objects.none(),
        "content.sharedlink": links,
        "content.linkview": LinkView.objects.filter(link__in=links),
        "meetings.feeditem": FeedItem.objects.filter(contact=contact),
        "audit.auditentry": AuditEntry.objects.filter(object_type="crm.contact", object_id=str(contact.pk)),
    }


def contact_record_counts(contact: Contact) -> dict[str, int]:
    """How many rows each table holds about the contact (for the personal data page)."""
    return {label: qs.count() for label, qs in _sections(contact).items()}


def contact_personal_data(contact: Contact, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything held about one contact, as JSON-ready data with ISO 8601 times."""
    erasure = erasure_get(contact)
    data = {
        "schema": EXPORT_SCHEMA,
        "schema_version": EXPORT_SCHEMA_VERSION,
        "exported_at": _jsonable(now or timezone.now()),
        "contact": _rows(Contact.objects.filter(pk=contact.pk))[0],
        "account": _rows(Account.objects.filter(pk=contact.account_id))[0] if contact.account_id else None,
        "owner": contact.owner.display_name if contact.owner else None,
        "erased_at": _jsonable(erasure.erased_at) if erasure else None,
        "records": {label: _rows(qs) for label, qs in _sections(contact).items()},
    }
    return data


def contact_consent_history(contact: Contact) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(contact=contact).select_related("by").order_by("-at", "-id")


def consent_log(
    *,
    topic: str = "",
    status: str = "",
    source: str = "",
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[ConsentRecord]:
    """Every consent record in the company, newest first, optionally filtered."""
    qs = ConsentRecord.objects.select_related("contact", "by").order_by("-at", "-id")
    if topic:
        qs = qs.filter(topic=topic)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if start:
        qs = qs.filter(at__date__gte=start)
    if end:
        qs = qs.filter(at__date__lte=end)
    return qs

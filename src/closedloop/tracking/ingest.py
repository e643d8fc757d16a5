"""Batch event ingest: validated as a whole, written in one transaction, idempotent per event.

A batch is all-or-nothing: if any event is invalid the API answers 422 listing every bad field
and stores nothing. Events whose idempotency key is already stored (from an earlier batch or
earlier in the same batch) are skipped and counted as duplicates, so clients can retry freely.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from closedloop.agreement.stage_engine import stages_reevaluate
from closedloop.bulk_insert import rows_insert
from closedloop.crm.lifecycle import Stage
from closedloop.crm.models import Contact, StageTransition
from closedloop.tracking.models import Campaign, Event, VisitorIdentity


@dataclass(frozen=True)
class EventInput:
    idempotency_key: str
    type: str
    ts: datetime
    visitor_id: str = ""
    email: str = ""
    contact_fields: dict[str, str] = field(default_factory=dict)
    utm: dict[str, str] = field(default_factory=dict)
    url: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    contacts_created: int
    visitors_identified: int


@transaction.atomic
def events_ingest(*, events: list[EventInput]) -> IngestResult:
    keys = [e.idempotency_key for e in events]
    already = set(Event.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    fresh: list[EventInput] = []
    seen: set[str] = set()
    for event in events:
        if event.idempotency_key in already or event.idempotency_key in seen:
            continue
        seen.add(event.idempotency_key)
        fresh.append(event)
    if not fresh:
        return IngestResult(accepted=0, duplicates=len(events), contacts_created=0, visitors_identified=0)

    campaigns = _campaigns_by_utm({e.utm.get("campaign", "") for e in fresh})
    contacts, created_ids = _contacts_by_email(fresh, campaigns)
    identified = _identify_visitors(fresh, contacts)
    known_visitors = dict(
        VisitorIdentity.objects.filter(
            visitor_id__in={e.visitor_id for e in fresh if e.visitor_id}
        ).values_list("visitor_id", "contact_id")
    )

    received_at = timezone.now()
    rows = [
        (
            e.idempotency_key,
            e.type,
            e.ts,
            contacts[e.email].pk if e.email else known_visitors.get(e.visitor_id),
            e.visitor_id,
            campaigns[c].pk if (c := e.utm.get("campaign", "")) in campaigns else None,
            e.utm.get("source", ""),
            e.utm.get("medium", ""),
            e.utm.get("campaign", ""),
            e.utm.get("term", ""),
            e.utm.get("content", ""),
            e.url,
            e.properties,
            received_at,
        )
        for e in fresh
    ]
    # A concurrent batch may store one of these keys after our lookup: skip it there too.
    rows_insert(Event, _EVENT_FIELDS, rows, skip_conflicts_on="idempotency_key")
    _fill_first_touch(created_ids | set(identified.values()))
    # New events can qualify their contacts for a later stage (docs/agreement.md, "The stage engine").
    stages_reevaluate(contact_ids={row[3] for row in rows if row[3] is not None})
    return IngestResult(
        accepted=len(fresh),
        duplicates=len(events) - len(fresh),
        contacts_created=len(created_ids),
        visitors_identified=len(identified),
    )


_EVENT_FIELDS = (
    "idempotency_key", "type", "ts", "contact_id", "visitor_id", "campaign_id", "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "url", "properties", "received_at",
)  # fmt: skip


def _campaigns_by_utm(values: set[str]) -> dict[str, Campaign]:
    values.discard("")
    if not values:
        return {}
    return {c.utm_campaign: c for c in Campaign.objects.filter(utm_campaign__in=values)}


def _contacts_by_email(
    events: list[EventInput], campaigns: dict[str, Campaign]
) -> tuple[dict[str, Contact], set[int]]:
    emails = {e.email for e in events if e.email}
    if not emails:
        return {}, set()
    found = {str(c.email): c for c in Contact.objects.filter(email__in=emails)}
    missing = sorted(emails - found.keys())
    if not missing:
        return found, set()
    first_event: dict[str, EventInput] = {}
    for e in sorted((e for e in events if e.email in missing), key=lambda e: e.ts):
        first_event.setdefault(e.email, e)
    now = timezone.now()
    new_contacts: list[tuple[Any, ...]] = []
    for email in missing:
        e = first_event[email]
        campaign = campaigns.get(e.utm.get("campaign", ""))
        f = e.contact_fields
        new_contacts.append(
            (email, f.get("first_name", ""), f.get("last_name", ""), f.get("title", ""), f.get("phone", ""), "",
             Stage.VISITOR, 0, campaign.pk if campaign else None, {}, e.ts, now)
        )  # fmt: skip
    # Another request may create the same email concurrently: skip it and re-read.
    rows_insert(Contact, _CONTACT_FIELDS, new_contacts, skip_conflicts_on="email")
    rows = Contact.objects.filter(email__in=missing).values_list("pk", "email", "created_at", "updated_at")
    now_missing: dict[str, Contact] = {}
    ours: set[int] = set()
    transitions = []
    for pk, stored_email, created_at, updated_at in rows:
        now_missing[str(stored_email)] = Contact(pk=pk, email=stored_email, created_at=created_at)
        if updated_at == now:  # created by this request, not by a concurrent one
            ours.add(pk)
            transitions.append(
                (pk, "", Stage.VISITOR, created_at, StageTransition.Cause.API, "first seen in event ingest")
            )
    rows_insert(
        StageTransition, ("contact_id", "from_stage", "to_stage", "at", "cause", "detail"), transitions
    )
    return found | now_missing, ours


_CONTACT_FIELDS = (
    "email", "first_name", "last_name", "title", "phone", "persona", "lifecycle_stage", "lead_score",
    "source_campaign_id", "properties", "created_at", "updated_at",
)  # fmt: skip


def _identify_visitors(events: list[EventInput], contacts: dict[str, Contact]) -> dict[str, int]:
    """Events carrying both a visitor id and an email identify the visitor: link the id to the
    contact and move the visitor's earlier anonymous events onto the contact's timeline."""
    pairs: dict[str, int] = {}
    for e in events:
        if e.visitor_id and e.email:
            pairs.setdefault(e.visitor_id, contacts[e.email].pk)
    if not pairs:
        return {}
    known = set(VisitorIdentity.objects.filter(visitor_id__in=pairs).values_list("visitor_id", flat=True))
    new = {v: c for v, c in pairs.items() if v not in known}
    if not new:
        return {}
    first_ts = {v: min(e.ts for e in events if e.visitor_id == v and e.email) for v in new}
    VisitorIdentity.objects.bulk_create(
        [VisitorIdentity(visitor_id=v, contact_id=c, identified_at=first_ts[v]) for v, c in new.items()],
        ignore_conflicts=True,
    )
    for visitor_id, contact_id in new.items():
        Event.objects.filter(visitor_id=visitor_id, contact__isnull=True).update(contact_id=contact_id)
    return new


def _fill_first_touch(contact_ids: set[int]) -> None:
    """Set the source campaign of new or newly identified contacts from their earliest campaign touch."""
    if not contact_ids:
        return
    pending = Contact.objects.filter(pk__in=contact_ids, source_campaign__isnull=True).values_list(
        "pk", flat=True
    )
    touches = (
        Event.objects.filter(contact_id__in=list(pending), campaign__isnull=False)
        .order_by("contact_id", "ts", "id")
        .values_list("contact_id", "campaign_id")
    )
    first: dict[int, int] = {}
    for contact_id, campaign_id in touches:
        first.setdefault(contact_id, campaign_id)
    Contact.objects.bulk_update(
        [Contact(pk=pk, source_campaign_id=campaign_id) for pk, campaign_id in first.items()],
        ["source_campaign"],
        batch_size=500,
    )

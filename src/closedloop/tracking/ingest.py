"""Batch event ingest: validated as a whole, written in one transaction, idempotent per event.

A batch is all-or-nothing: if any event is invalid the API answers 422 listing every bad field
and stores nothing. Events whose idempotency key is already stored (from an earlier batch or
earlier in the same batch) are skipped and counted as duplicates, so clients can retry freely.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

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
        )
        for e in fresh
    ]
    _insert_events(rows)
    _fill_first_touch(created_ids | set(identified.values()))
    return IngestResult(
        accepted=len(fresh),
        duplicates=len(events) - len(fresh),
        contacts_created=len(created_ids),
        visitors_identified=len(identified),
    )


_EVENT_COLUMNS = (
    "idempotency_key", "type", "ts", "contact_id", "visitor_id", "campaign_id", "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "url", "properties",
)  # fmt: skip


def _insert_events(rows: list[tuple[Any, ...]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING through executemany. The ORM's bulk_create spends ~10×
    the database's time compiling SQL for wide rows, which capped ingest at ~1,000 events/s.
    ON CONFLICT covers a concurrent batch that stored the same key after our lookup."""
    ts_field = Event._meta.get_field("ts")
    props_field = Event._meta.get_field("properties")
    received_at = ts_field.get_db_prep_save(timezone.now(), connection)
    params = [
        (
            *row[:2],
            ts_field.get_db_prep_save(row[2], connection),
            *row[3:12],
            props_field.get_db_prep_save(row[12], connection),
            received_at,
        )
        for row in rows
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in (*_EVENT_COLUMNS, "received_at"))
    placeholders = ", ".join(["%s"] * (len(_EVENT_COLUMNS) + 1))
    sql = (
        f"INSERT INTO {quote(Event._meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608 - names are ours
        f"ON CONFLICT ({quote('idempotency_key')}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


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
    new_contacts = []
    for email in missing:
        e = first_event[email]
        new_contacts.append(
            Contact(
                email=email,
                created_at=e.ts,
                lifecycle_stage=Stage.VISITOR,
                source_campaign=campaigns.get(e.utm.get("campaign", "")),
                **{k: v for k, v in e.contact_fields.items() if v},
            )
        )
    # Another request may create the same email concurrently: ignore and re-read.
    Contact.objects.bulk_create(new_contacts, ignore_conflicts=True)
    created = {str(c.email): c for c in Contact.objects.filter(email__in=missing)}
    StageTransition.objects.bulk_create(
        StageTransition(
            contact=c,
            from_stage="",
            to_stage=Stage.VISITOR,
            at=c.created_at,
            cause=StageTransition.Cause.API,
            detail="first seen in event ingest",
        )
        for c in created.values()
    )
    return found | created, {c.pk for c in created.values()}


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

"""The facts the stage engine evaluates rules on, computed in bulk for many contacts at once.

Two queries whatever the number of contacts: the contacts' own, account and first-touch fields,
and one GROUP BY over events counting each (event type, window) a rule names. Only the columns
the agreement's rules use are read, so a rule set that never mentions events costs no event scan.
"""

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q

from closedloop.crm.models import Contact
from closedloop.rules import FIELDS, field_spec
from closedloop.tracking.models import Event

# Kept well under SQLite's host-parameter limit; incremental calls are usually one batch.
ID_CHUNK = 900

# Vocabulary field → the Contact column (through its account and first-touch campaign) it reads.
_COLUMNS: dict[str, str] = {
    "persona": "persona",
    "title": "title",
    "lead_score": "lead_score",
    "email_domain": "email",
    "created_days_ago": "created_at",
    "company_size": "account__employees",
    "industry": "account__industry",
    "annual_revenue": "account__annual_revenue",
    "campaign": "source_campaign__utm_campaign",
    "channel": "source_campaign__channel",
}


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _contact_value(name: str, value: Any, now: datetime) -> Any:
    if value is None or value == "":
        return None  # a blank field has no value: comparisons with it are false, has() is false
    if name == "email_domain":
        return str(value).rpartition("@")[2].lower() or None
    if name == "created_days_ago":
        return (now - value).days
    if name in ("lead_score", "annual_revenue"):
        return float(value)
    return value


def contact_facts(
    *,
    variables: Collection[str],
    now: datetime,
    contact_ids: Sequence[int] | None = None,
    stages: Collection[str] | None = None,
) -> dict[int, dict[str, Any]]:
    """Contact id → facts (canonical variable → value, plus `lifecycle_stage`) as of `now`.

    `contact_ids` None means every contact; `stages` keeps only contacts currently in those stages.
    Event counts cover events with `now - N days <= ts <= now` (all events up to `now` for `_total`).
    """
    static = [v for v in variables if v in FIELDS]
    counts = {v: spec for v in variables if v not in FIELDS and (spec := field_spec(v)) and spec.event}
    fields = ["pk", "lifecycle_stage"]
    names = [n for n in static if n in _COLUMNS]
    fields += [_COLUMNS[n] for n in names]
    wants_country = "country" in static
    if wants_country:
        # The contact's own country (properties, e.g. from a form) wins over its account's.
        fields += ["properties__country", "account__country"]

    contacts = Contact.objects.order_by()
    if stages is not None:
        contacts = contacts.filter(lifecycle_stage__in=list(stages))
    facts: dict[int, dict[str, Any]] = {}
    for rows in _rows(contacts.values_list(*fields), contact_ids):
        for row in rows:
            values = {"lifecycle_stage": row[1]}
            for i, name in enumerate(names, start=2):
                values[name] = _contact_value(name, row[i], now)
            if wants_country:
                own, account = row[-2], row[-1]
                values["country"] = (own if isinstance(own, str) and own else None) or account or None
            for name in counts:
                values[name] = 0
            facts[row[0]] = values
    if counts and facts:
        _add_event_counts(facts, counts, now, contact_ids)
    return facts


def _rows(queryset: Any, contact_ids: Sequence[int] | None) -> Iterator[Any]:
    if contact_ids is None:
        yield queryset.iterator(chunk_size=5000)
        return
    for chunk in _chunks(sorted(set(contact_ids))):
        yield queryset.filter(pk__in=chunk)


def _add_event_counts(
    facts: dict[int, dict[str, Any]], counts: dict[str, Any], now: datetime, contact_ids: Sequence[int] | None
) -> None:
    aggregates = {}
    for name, spec in counts.items():
        condition = Q(type=spec.event)
        if spec.window_days:
            condition &= Q(ts__gte=now - timedelta(days=spec.window_days))
        aggregates[name] = Count("id", filter=condition)
    events = Event.objects.order_by().filter(
        contact_id__isnull=False, ts__lte=now, type__in={spec.event for spec in counts.values()}
    )
    if all(spec.window_days for spec in counts.values()):
        # No all-time count: older events cannot matter, so let the ts index skip them.
        events = events.filter(ts__gte=now - timedelta(days=max(s.window_days for s in counts.values())))
    names = list(aggregates)
    grouped = events.values("contact_id").annotate(**aggregates).values_list("contact_id", *names)
    querysets = (
        [grouped]
        if contact_ids is None
        else [grouped.filter(contact_id__in=chunk) for chunk in _chunks(sorted(set(contact_ids)))]
    )
    for queryset in querysets:
        for row in queryset:
            values = facts.get(row[0])
            if values is not None:
                values.update(zip(names, row[1:], strict=True))

"""Small explicit helpers that build the events, contacts and stage histories the detectors read.
Each test states its numbers; these only save the typing."""

from datetime import UTC, datetime, timedelta
from itertools import count

from closedloop.alarms.models import Alarm
from closedloop.crm.models import Contact, StageTransition
from closedloop.tracking.models import Campaign, CampaignCost, Event, EventType, LandingPage

_seq = count()


def campaign_make(
    name: str, *, channel: str = "ppc", starts_on=None, page_reviewed_at=None, **kw
) -> Campaign:
    n = next(_seq)
    page = LandingPage.objects.create(
        url=f"https://example.test/lp/{n}", title=f"{name} page", reviewed_by_sales_at=page_reviewed_at
    )
    return Campaign.objects.create(
        name=name, channel=channel, utm_campaign=f"c-{n}", landing_page=page, starts_on=starts_on, **kw
    )


def clicks_add(campaign: Campaign, at: datetime, n: int, *, type: str = EventType.AD_CLICK) -> None:
    """`n` anonymous events of `type` on `campaign`, all at `at`."""
    Event.objects.bulk_create(
        Event(idempotency_key=f"e{next(_seq)}", type=type, ts=at, campaign=campaign, visitor_id=f"anon-{i}")
        for i in range(n)
    )


Stages = tuple[tuple[str, datetime], ...]


def leads_add(
    campaign: Campaign | None, rows: list[tuple[datetime, datetime, Stages]], owner=None
) -> list[Contact]:
    """Contacts `campaign` brought in, one per (first_touch, created, stages) row: the ad click at
    first_touch, the contact created (its form or call) at `created`, then its stage changes as
    (stage, at). Written in bulk: tests build hundreds."""
    contacts = []
    for _, created, stages in rows:
        n = next(_seq)
        contacts.append(
            Contact(
                email=f"lead{n}@example.org", first_name="Lead", last_name=str(n), source_campaign=campaign,
                created_at=created, lifecycle_stage=stages[-1][0] if stages else "visitor", owner=owner,
            )
        )  # fmt: skip
    contacts = Contact.objects.bulk_create(contacts)
    events, transitions = [], []
    for contact, (touch, created, stages) in zip(contacts, rows, strict=True):
        if campaign is not None:
            events.append(
                Event(idempotency_key=f"e{next(_seq)}", type=EventType.AD_CLICK, ts=touch, campaign=campaign,
                      contact=contact)
            )  # fmt: skip
        previous = "visitor"
        transitions.append(
            StageTransition(contact=contact, from_stage="", to_stage="visitor", at=created, cause="api")
        )
        for to_stage, at in stages:
            transitions.append(
                StageTransition(contact=contact, from_stage=previous, to_stage=to_stage, at=at, cause="api")
            )
            previous = to_stage
    Event.objects.bulk_create(events)
    StageTransition.objects.bulk_create(transitions)
    return contacts


def lead_add(
    campaign: Campaign | None, *, first_touch: datetime, created: datetime, stages: Stages = (), owner=None
):
    return leads_add(campaign, [(first_touch, created, stages)], owner=owner)[0]


def costs_add(campaign: Campaign, first_day, days: int, amount: float = 100.0) -> None:
    CampaignCost.objects.bulk_create(
        CampaignCost(campaign=campaign, date=first_day + timedelta(days=d), amount=amount)
        for d in range(days)
    )


def alarm_make(kind: str = "leads_without_owner", *, subject_key: str = "all", campaign=None, **kw) -> Alarm:
    at = kw.pop("at", datetime(2026, 6, 15, tzinfo=UTC))
    return Alarm.objects.create(
        kind=kind,
        subject_key=subject_key,
        campaign=campaign,
        landing_page=campaign.landing_page if campaign else None,
        title=kw.pop("title", f"{kind} {subject_key}"),
        message=kw.pop("message", "What happened, with numbers."),
        first_raised_at=at,
        last_seen_at=at,
        **kw,
    )

"""Small hand-built histories for the insights reports. Every expected number in the tests is
worked out by hand from the rows below (see each test), not from the code under test.

Period: June 2025 (1–30 June, UTC), so the reports' "as of" is 1 July 2025 00:00 UTC.

Funnel and KPIs (`build_funnel_data`), campaigns A (ppc, Agency X) and B (email):

    contact  source  stage entries                                 notes
    c1       A       mql 2 Jun, sql 5 Jun, customer 9 Jun            completes mql→sql→customer in 7 days
    c2       A       mql 3 Jun, sql 20 Jun                           sql 17 days later: outside a 10-day window
    c3       B       mql 25 Jun, sql 27 Jun                          window open on 1 Jul: in progress
    c4       B       mql 20 May, sql 2 Jun                           first step before June: not in the funnel
    c5       -       mql 10 Jun, customer 12 Jun                     skips sql
    c6       B       form_submit event 4 Jun, mql 6 Jun              for the event + stage funnel

Costs: A 100.00 on 1 Jun and 200.00 on 30 Jun, 50.00 on 31 May (outside); B 500.00 on 15 Jun.
Deals (KPIs): won closed 10 Jun (created 31 May), won closed 20 Jun (created 5 Jun), lost closed
12 Jun, lost closed 2 Jul (outside June), one still open.

Attribution (`build_attribution_data`), campaigns A (ppc, Agency X), B (email), C (events):

    p1 (source A): touches A 1 Jun 09:00 (ad click) and 09:05 (page view), B 3 Jun → won 10 Jun, 1000
    p2 (source B): touches B 2 Jun, C 4 Jun, A 6 Jun → won 15 Jun, 3000
    p3 (source A): touch A 5 Jun, never converts
    p4 (source B): no touch → won 20 Jun, 500 (nothing to credit)

Cohorts (`build_cohort_data`): k1 customer 15 Jan 2025, churned 20 Mar; k2 customer 20 Jan, still
a customer; k3 customer 10 Feb, churned 25 Feb.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from closedloop.accounts.models import Team
from closedloop.accounts.roles import TeamKind
from closedloop.crm.models import Contact, StageTransition
from closedloop.tracking.models import Campaign, CampaignCost, Channel, EventType
from tests.factories import CampaignFactory, ContactFactory, DealFactory, EventFactory, TeamFactory

JUNE_START = date(2025, 6, 1)
JUNE_END = date(2025, 6, 30)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def enter(contact: Contact, stage: str, when: datetime, before: str = "") -> None:
    StageTransition.objects.create(
        contact=contact, from_stage=before, to_stage=stage, at=when, cause=StageTransition.Cause.MANUAL
    )


@dataclass
class Company:
    agency: Team
    a: Campaign
    b: Campaign
    c: Campaign | None = None


def _campaigns(with_c: bool = False) -> Company:
    agency = TeamFactory(name="Agency X", kind=TeamKind.PARTNER)
    a = CampaignFactory(name="A Search", channel=Channel.PPC, partner_team=agency)
    b = CampaignFactory(name="B Nurture", channel=Channel.EMAIL)
    c = CampaignFactory(name="C Expo", channel=Channel.EVENTS) if with_c else None
    return Company(agency, a, b, c)


def build_funnel_data() -> Company:
    co = _campaigns()
    c1 = ContactFactory(source_campaign=co.a, created_at=at(6, 1))
    enter(c1, "mql", at(6, 2))
    enter(c1, "sql", at(6, 5), "mql")
    enter(c1, "customer", at(6, 9), "sql")
    c2 = ContactFactory(source_campaign=co.a, created_at=at(6, 1))
    enter(c2, "mql", at(6, 3))
    enter(c2, "sql", at(6, 20), "mql")
    c3 = ContactFactory(source_campaign=co.b, created_at=at(6, 20))
    enter(c3, "mql", at(6, 25))
    enter(c3, "sql", at(6, 27), "mql")
    c4 = ContactFactory(source_campaign=co.b, created_at=at(5, 1))
    enter(c4, "mql", at(5, 20))
    enter(c4, "sql", at(6, 2), "mql")
    c5 = ContactFactory(source_campaign=None, created_at=at(6, 1))
    enter(c5, "mql", at(6, 10))
    enter(c5, "customer", at(6, 12), "mql")
    c6 = ContactFactory(source_campaign=co.b, created_at=at(6, 1))
    EventFactory(contact=c6, type=EventType.FORM_SUBMIT, ts=at(6, 4), campaign=co.b)
    enter(c6, "mql", at(6, 6))

    for day, amount in [
        (date(2025, 6, 1), "100.00"),
        (date(2025, 6, 30), "200.00"),
        (date(2025, 5, 31), "50.00"),
    ]:
        CampaignCost.objects.create(campaign=co.a, date=day, amount=Decimal(amount))
    CampaignCost.objects.create(campaign=co.b, date=date(2025, 6, 15), amount=Decimal("500.00"))

    DealFactory(contact=c1, stage="won", created_at=at(5, 31), closed_at=at(6, 10), amount=1000)
    DealFactory(contact=c5, stage="won", created_at=at(6, 5), closed_at=at(6, 20), amount=2000)
    DealFactory(contact=c2, stage="lost", created_at=at(6, 1), closed_at=at(6, 12), amount=700)
    DealFactory(contact=c3, stage="lost", created_at=at(6, 1), closed_at=at(7, 2), amount=700)
    DealFactory(contact=c3, stage="proposal", created_at=at(6, 28), closed_at=None, amount=900)
    return co


def build_attribution_data() -> Company:
    co = _campaigns(with_c=True)
    assert co.c is not None
    p1 = ContactFactory(source_campaign=co.a)
    EventFactory(contact=p1, type=EventType.AD_CLICK, ts=at(6, 1, 9, 0), campaign=co.a)
    EventFactory(contact=p1, type=EventType.PAGE_VIEW, ts=at(6, 1, 9, 5), campaign=co.a)
    EventFactory(contact=p1, type=EventType.EMAIL_CLICK, ts=at(6, 3), campaign=co.b)
    DealFactory(contact=p1, stage="won", created_at=at(6, 3), closed_at=at(6, 10), amount=1000)
    p2 = ContactFactory(source_campaign=co.b)
    EventFactory(contact=p2, type=EventType.EMAIL_CLICK, ts=at(6, 2), campaign=co.b)
    EventFactory(contact=p2, type=EventType.WEBINAR_ATTENDED, ts=at(6, 4), campaign=co.c)
    EventFactory(contact=p2, type=EventType.AD_CLICK, ts=at(6, 6), campaign=co.a)
    DealFactory(contact=p2, stage="won", created_at=at(6, 6), closed_at=at(6, 15), amount=3000)
    p3 = ContactFactory(source_campaign=co.a)
    EventFactory(contact=p3, type=EventType.AD_CLICK, ts=at(6, 5), campaign=co.a)
    p4 = ContactFactory(source_campaign=co.b)
    DealFactory(contact=p4, stage="won", created_at=at(6, 1), closed_at=at(6, 20), amount=500)
    return co


def build_cohort_data() -> None:
    k1 = ContactFactory()
    enter(k1, "customer", at(1, 15))
    enter(k1, "churned", at(3, 20), "customer")
    k2 = ContactFactory()
    enter(k2, "customer", at(1, 20))
    k3 = ContactFactory()
    enter(k3, "customer", at(2, 10))
    enter(k3, "churned", at(2, 25), "customer")

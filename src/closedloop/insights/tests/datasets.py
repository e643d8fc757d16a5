"""A small hand-built company for dashboard tests. Every expected number in the tests is worked out
by hand from the rows below, not from the code under test.

June 2026 (the period the tests use), contacts by first-touch campaign and current stage:

    campaign   channel  partner   spend in June          June contacts (stage)
    A Search   ppc      Agency X  100 + 200 = 300.00      visitor, mql, sql, customer
    B Social   social   -         500.00                  (none)
    C Nurture  email    -         (none)                  mql, churned
    D Expo     events   -         (none)                  (none; one contact in May)
    (no source campaign)                                  visitor, iql, opportunity, customer

That is 10 June contacts: visitor 2, iql 1, mql 2, sql 1, opportunity 1, customer 2, churned 1.
Outside June, and so never counted: A's costs on 31 May (50.00) and 1 July (70.00), a contact of A
created 31 May 23:59:59 UTC, one created 1 July 00:00 UTC, and D's May contact.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from closedloop.accounts.models import Team
from closedloop.accounts.roles import TeamKind
from closedloop.crm.models import Contact
from closedloop.tracking.models import Campaign, CampaignCost, Channel
from tests.factories import CampaignFactory, ContactFactory, TeamFactory

JUNE_START = date(2026, 6, 1)
JUNE_END = date(2026, 6, 30)


@dataclass
class JuneData:
    agency: Team
    a: Campaign
    b: Campaign
    c: Campaign
    d: Campaign


def _contact(stage: str, campaign: Campaign | None, day: int = 10, **kwargs) -> Contact:
    created = kwargs.pop("created_at", datetime(2026, 6, day, 12, 0, tzinfo=UTC))
    return ContactFactory(lifecycle_stage=stage, source_campaign=campaign, created_at=created, **kwargs)


def build_june_data() -> JuneData:
    agency = TeamFactory(name="Agency X", kind=TeamKind.PARTNER)
    a = CampaignFactory(name="A Search", channel=Channel.PPC, partner_team=agency)
    b = CampaignFactory(name="B Social", channel=Channel.SOCIAL)
    c = CampaignFactory(name="C Nurture", channel=Channel.EMAIL)
    d = CampaignFactory(name="D Expo", channel=Channel.EVENTS)

    for day, amount in [(1, "100.00"), (30, "200.00")]:
        CampaignCost.objects.create(campaign=a, date=date(2026, 6, day), amount=Decimal(amount))
    CampaignCost.objects.create(campaign=a, date=date(2026, 5, 31), amount=Decimal("50.00"))
    CampaignCost.objects.create(campaign=a, date=date(2026, 7, 1), amount=Decimal("70.00"))
    CampaignCost.objects.create(campaign=b, date=date(2026, 6, 15), amount=Decimal("500.00"))

    for stage in ["visitor", "mql", "sql", "customer"]:
        _contact(stage, a)
    _contact("mql", c, day=2)
    _contact("churned", c, day=3)
    for stage in ["visitor", "iql", "opportunity", "customer"]:
        _contact(stage, None, day=20)

    # Just outside June on either side.
    _contact("customer", a, created_at=datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC))
    _contact("sql", a, created_at=datetime(2026, 7, 1, 0, 0, 0, tzinfo=UTC))
    _contact("mql", d, created_at=datetime(2026, 5, 12, 9, 0, tzinfo=UTC))
    return JuneData(agency=agency, a=a, b=b, c=c, d=d)

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from closedloop.accounts.roles import Role
from closedloop.agreement import services as agreement_services
from closedloop.crm.lifecycle import Stage
from closedloop.sla.models import BusinessCalendar
from tests.factories import ContactFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def head_of_sales(db):
    return UserFactory(username="sam", first_name="Sam", role=Role.HEAD_OF_SALES, email="sam@example.com")


@pytest.fixture
def rep(head_of_sales):
    return UserFactory(
        username="alex",
        first_name="Alex",
        role=Role.SALES_REP,
        email="alex@example.com",
        manager=head_of_sales,
    )


@pytest.fixture
def head_of_marketing(db):
    return UserFactory(username="maya", first_name="Maya", role=Role.HEAD_OF_MARKETING)


@pytest.fixture
def active_agreement(head_of_marketing, head_of_sales):
    """The default agreement, signed: first contact within 4 business hours, accept within 2
    business days, a rejection reason within 2 days, 300 MQLs a month."""
    draft = agreement_services.agreement_draft_create(by=head_of_marketing)
    proposed = agreement_services.agreement_propose(version=draft, by=head_of_marketing)
    agreement_services.agreement_sign(version=proposed, user=head_of_marketing, side="marketing")
    return agreement_services.agreement_sign(version=proposed, user=head_of_sales, side="sales")


@pytest.fixture
def berlin_week(db):
    return BusinessCalendar.objects.create(pk=1, time_zone="Europe/Berlin", workdays="0,1,2,3,4")


@pytest.fixture
def sql_lead(db):
    return ContactFactory(lifecycle_stage=Stage.SQL)

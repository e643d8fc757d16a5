from datetime import UTC, datetime

import pytest

from closedloop.accounts.roles import Role
from closedloop.crm.lifecycle import Stage
from tests.factories import AccountFactory, ContactFactory, UserFactory

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def sql_lead(**kwargs):
    """A contact at the sales-ready stage (SQL: no agreement is active in these tests)."""
    kwargs.setdefault("lifecycle_stage", Stage.SQL)
    return ContactFactory(**kwargs)


def big_company_lead(employees: int = 800):
    return sql_lead(account=AccountFactory(employees=employees))


@pytest.fixture
def reps():
    return [UserFactory(username=f"rep{i}", first_name=f"Rep{i}", role=Role.SALES_REP) for i in (1, 2, 3)]


@pytest.fixture
def head_of_sales():
    return UserFactory(username="hos", first_name="Hanna", role=Role.HEAD_OF_SALES)


@pytest.fixture
def marketer():
    return UserFactory(username="mk", first_name="Tom", role=Role.MARKETER)


@pytest.fixture
def partner():
    return UserFactory(username="agency", role=Role.PARTNER)

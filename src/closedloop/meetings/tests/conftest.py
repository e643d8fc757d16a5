import pytest

from closedloop.accounts.roles import Role, TeamKind
from tests.factories import TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def marketing(db):
    return TeamFactory(name="Marketing", kind=TeamKind.MARKETING)


@pytest.fixture
def sales(db):
    return TeamFactory(name="Sales", kind=TeamKind.SALES)


@pytest.fixture
def agency(db):
    return TeamFactory(name="Brightlane Agency", kind=TeamKind.PARTNER)


@pytest.fixture
def maya(marketing):
    return UserFactory(username="maya", role=Role.HEAD_OF_MARKETING, team=marketing, first_name="Maya")


@pytest.fixture
def sam(sales):
    return UserFactory(username="sam", role=Role.HEAD_OF_SALES, team=sales, first_name="Sam")


@pytest.fixture
def tom(marketing):
    return UserFactory(username="tom", role=Role.MARKETER, team=marketing, first_name="Tom")


@pytest.fixture
def alex(sales):
    return UserFactory(username="alex", role=Role.SALES_REP, team=sales, first_name="Alex")


@pytest.fixture
def admin(db):
    return UserFactory(username="rae", role=Role.ADMIN, first_name="Rae", is_superuser=True, is_staff=True)


@pytest.fixture
def jamie(agency):
    return UserFactory(username="jamie", role=Role.PARTNER, team=agency, first_name="Jamie")

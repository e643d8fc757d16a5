from datetime import UTC, datetime

import pytest

from closedloop.accounts.roles import Role, TeamKind
from tests.factories import TeamFactory, UserFactory

# Every hand-built dataset is dated relative to this moment, the `now` the detectors are given.
NOW = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def agency(db):
    return TeamFactory(name="Brightlane Agency", kind=TeamKind.PARTNER)


@pytest.fixture
def partner(agency):
    return UserFactory(username="jamie", role=Role.PARTNER, team=agency)


@pytest.fixture
def other_partner(db):
    return UserFactory(
        username="otto", role=Role.PARTNER, team=TeamFactory(name="Other Agency", kind=TeamKind.PARTNER)
    )


@pytest.fixture
def marketer(db):
    return UserFactory(username="tom", role=Role.MARKETER, first_name="Tom", last_name="Becker")


@pytest.fixture
def rep(db):
    return UserFactory(username="alex", role=Role.SALES_REP, first_name="Alex", last_name="Morgan")


@pytest.fixture
def head_of_sales(db):
    return UserFactory(username="sam", role=Role.HEAD_OF_SALES, first_name="Sam", last_name="Rivera")

from datetime import UTC, datetime

import pytest

from closedloop.accounts.roles import Role
from tests.factories import UserFactory

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def maya(db):
    return UserFactory(username="maya", first_name="Maya", last_name="Lindqvist", role=Role.HEAD_OF_MARKETING)


@pytest.fixture
def sam(db):
    return UserFactory(username="sam", first_name="Sam", last_name="Rivera", role=Role.HEAD_OF_SALES)


@pytest.fixture
def alex(db):
    return UserFactory(username="alex", first_name="Alex", last_name="Morgan", role=Role.SALES_REP)


@pytest.fixture
def jamie(db):
    return UserFactory(username="jamie", first_name="Jamie", last_name="Cole", role=Role.PARTNER)

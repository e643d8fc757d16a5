import pytest

from closedloop.accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def marketer(db):
    return UserFactory(username="mia", first_name="Mia", last_name="Marketer", role=Role.MARKETER)


@pytest.fixture
def marketer_client(client, marketer):
    client.force_login(marketer)
    return client

import pytest

from closedloop.accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def admin(db):
    return UserFactory(username="ada-admin", first_name="Ada", last_name="Admin", role=Role.ADMIN)


@pytest.fixture
def head_of_sales(db):
    return UserFactory(username="sam", first_name="Sam", role=Role.HEAD_OF_SALES)


@pytest.fixture
def rep(db):
    return UserFactory(username="alex", first_name="Alex", role=Role.SALES_REP)


@pytest.fixture
def partner(db):
    return UserFactory(username="pat", first_name="Pat", role=Role.PARTNER)

import pytest

from closedloop.accounts.roles import Role
from closedloop.agreement import services
from tests.factories import UserFactory


@pytest.fixture
def maya(db):
    return UserFactory(username="maya", first_name="Maya", last_name="Lindqvist", role=Role.HEAD_OF_MARKETING)


@pytest.fixture
def sam(db):
    return UserFactory(username="sam", first_name="Sam", last_name="Rivera", role=Role.HEAD_OF_SALES)


@pytest.fixture
def tom(db):
    return UserFactory(username="tom", first_name="Tom", last_name="Becker", role=Role.MARKETER)


@pytest.fixture
def alex(db):
    return UserFactory(username="alex", first_name="Alex", last_name="Morgan", role=Role.SALES_REP)


@pytest.fixture
def jamie(db):
    return UserFactory(username="jamie", first_name="Jamie", last_name="Cole", role=Role.PARTNER)


@pytest.fixture
def rae(db):
    return UserFactory(
        username="rae", first_name="Rae", last_name="Okafor", role=Role.ADMIN, is_superuser=True
    )


@pytest.fixture
def draft(maya):
    return services.agreement_draft_create(by=maya)


@pytest.fixture
def proposed(draft, maya):
    return services.agreement_propose(version=draft, by=maya)


@pytest.fixture
def active(proposed, maya, sam):
    services.agreement_sign(version=proposed, user=maya, side="marketing")
    return services.agreement_sign(version=proposed, user=sam, side="sales")

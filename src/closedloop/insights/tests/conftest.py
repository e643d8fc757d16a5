import pytest

from closedloop.insights.tests.datasets import JuneData, build_june_data


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def june(db) -> JuneData:
    return build_june_data()

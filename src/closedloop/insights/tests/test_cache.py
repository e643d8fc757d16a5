"""Reports are cached for a minute outside transactions, but never past a change in the data."""

from datetime import UTC, datetime

import pytest

from closedloop.insights import datasets, reports
from closedloop.insights.periods import Period
from closedloop.insights.report_scope import scope_build
from closedloop.insights.tests.report_data import JUNE_END, JUNE_START, at, build_funnel_data, enter
from tests.factories import ContactFactory, DealFactory

pytestmark = pytest.mark.django_db(transaction=True)
SCOPE = scope_build(period=Period(start=JUNE_START, end=JUNE_END))


@pytest.fixture(autouse=True)
def empty_cache():
    datasets.cache_clear()
    yield
    datasets.cache_clear()


def mql_count() -> int:
    return reports.funnel_get(scope=SCOPE, steps=("mql", "sql"), window_days=10).result.steps[0].reached


def test_a_repeated_report_comes_from_the_cache():
    build_funnel_data()
    first = reports.funnel_get(scope=SCOPE, steps=("mql", "sql"), window_days=10)
    assert reports.funnel_get(scope=SCOPE, steps=("mql", "sql"), window_days=10) is first


def test_a_new_stage_entry_is_counted_on_the_next_request():
    build_funnel_data()
    assert mql_count() == 5
    enter(ContactFactory(), "mql", at(6, 15))
    assert mql_count() == 6


def test_a_deal_won_since_changes_the_kpis():
    build_funnel_data()
    before = reports.kpis_get(scope=SCOPE).months[0]
    deal = DealFactory(stage="proposal", created_at=at(6, 1), closed_at=None, amount=100)
    deal.stage, deal.closed_at = "won", datetime(2025, 6, 29, tzinfo=UTC)
    deal.save()
    after = reports.kpis_get(scope=SCOPE).months[0]
    assert (before.won, after.won) == (2, 3)


def test_inside_a_transaction_nothing_is_cached():
    from django.db import transaction

    build_funnel_data()
    with transaction.atomic():
        first = reports.funnel_get(scope=SCOPE, steps=("mql", "sql"), window_days=10)
        assert reports.funnel_get(scope=SCOPE, steps=("mql", "sql"), window_days=10) is not first

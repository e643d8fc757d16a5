"""Days in the site's time zone, across daylight saving changes and half-hour offsets."""

from datetime import UTC, date, datetime, timedelta

import pytest

from closedloop.insights.local_dates import utc_offset_stretches
from closedloop.insights.periods import Period
from closedloop.insights.selectors import leads_and_spend_by_day
from tests.factories import ContactFactory

HOUR = timedelta(hours=1)


def test_utc_has_one_stretch():
    since, until = Period(start=date(2026, 3, 1), end=date(2026, 3, 31)).datetime_range()
    assert utc_offset_stretches(since, until) == [(until, timedelta(0))]


def test_daylight_saving_change_splits_the_period(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    since, until = Period(start=date(2026, 3, 1), end=date(2026, 3, 31)).datetime_range()
    # Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on Sunday 29 March 2026.
    assert utc_offset_stretches(since, until) == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), HOUR),
        (until, 2 * HOUR),
    ]


@pytest.mark.django_db
def test_leads_per_day_follow_local_days_across_the_change(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    for ts in [
        datetime(2026, 2, 28, 23, 30, tzinfo=UTC),  # 1 March 00:30 CET
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 29 March 00:30 CET
        datetime(2026, 3, 29, 21, 30, tzinfo=UTC),  # 29 March 23:30 CEST
        datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # 30 March 00:30 CEST
    ]:
        ContactFactory(created_at=ts)
    days = {p.day.day: p.leads for p in leads_and_spend_by_day(start=date(2026, 3, 1), end=date(2026, 3, 31))}
    assert {d: n for d, n in days.items() if n} == {1: 1, 29: 2, 30: 1}


@pytest.mark.django_db
def test_leads_per_day_with_a_half_hour_offset(settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    ContactFactory(created_at=datetime(2026, 6, 1, 18, 15, tzinfo=UTC))  # 1 June 23:45 IST
    ContactFactory(created_at=datetime(2026, 6, 1, 18, 45, tzinfo=UTC))  # 2 June 00:15 IST
    days = {p.day.day: p.leads for p in leads_and_spend_by_day(start=date(2026, 6, 1), end=date(2026, 6, 2))}
    assert days == {1: 1, 2: 1}

from datetime import UTC, date, datetime

import pytest

from closedloop.insights.periods import Period, period_resolve

TODAY = date(2026, 8, 15)


@pytest.mark.parametrize(
    ("key", "start"),
    [
        # "Last 30 days" includes today: 15 Aug and the 29 days before it.
        ("30d", date(2026, 7, 17)),
        ("90d", date(2026, 5, 18)),
        ("180d", date(2026, 2, 17)),
        ("month", date(2026, 8, 1)),
        ("quarter", date(2026, 7, 1)),
    ],
)
def test_named_periods_end_today(key, start):
    period = period_resolve(key=key, today=TODAY)
    assert (period.start, period.end) == (start, TODAY)


def test_rolling_period_has_exactly_its_number_of_days():
    assert period_resolve(key="30d", today=TODAY).days == 30


def test_first_quarter_starts_in_january():
    assert period_resolve(key="quarter", today=date(2026, 2, 10)).start == date(2026, 1, 1)


def test_custom_period_keeps_its_dates():
    period = period_resolve(key="custom", start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert period.days == 30
    assert period.label == "01 Jun 2026 – 30 Jun 2026"


@pytest.mark.parametrize(("start", "end"), [(None, date(2026, 6, 1)), (date(2026, 6, 2), date(2026, 6, 1))])
def test_custom_period_without_both_dates_or_reversed_is_refused(start, end):
    with pytest.raises(ValueError):
        period_resolve(key="custom", start=start, end=end)


def test_unknown_period_is_refused():
    with pytest.raises(ValueError):
        period_resolve(key="fortnight", today=TODAY)


def test_datetime_range_is_half_open_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    since, until = Period(start=date(2026, 6, 1), end=date(2026, 6, 30)).datetime_range()
    # Berlin is UTC+2 in summer: 1 June 00:00 local is 31 May 22:00 UTC.
    assert since == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)
    assert until == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)

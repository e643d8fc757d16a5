"""Business-time arithmetic against hand-worked calendars (9:00–17:00, Monday to Friday)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from closedloop.sla.business_time import Calendar, business_deadline, business_duration, deadline_for

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEK = Calendar(tz=BERLIN)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_friday_afternoon_plus_four_business_hours_is_monday_noon():
    # Friday 12 June 2026 16:00: one hour left on Friday, three more from Monday 9:00.
    assert business_deadline(berlin(2026, 6, 12, 16), timedelta(hours=4), WEEK) == berlin(2026, 6, 15, 12)


def test_a_clock_started_on_saturday_starts_counting_on_monday_morning():
    assert business_deadline(berlin(2026, 6, 13, 10), timedelta(hours=2), WEEK) == berlin(2026, 6, 15, 11)


def test_a_clock_started_before_opening_counts_from_opening():
    assert business_deadline(berlin(2026, 6, 15, 7, 30), timedelta(hours=1), WEEK) == berlin(2026, 6, 15, 10)


def test_a_deadline_at_closing_time_stays_on_that_day():
    assert business_deadline(berlin(2026, 6, 15, 13), timedelta(hours=4), WEEK) == berlin(2026, 6, 15, 17)


def test_public_holidays_are_skipped():
    # Christmas Day 2026 is a Friday and a public holiday in Germany; Christmas Eve is not.
    german = holidays.country_holidays("DE")
    calendar = Calendar(tz=BERLIN, is_holiday=lambda d: d in german)
    start = berlin(2026, 12, 24, 16)  # Thursday: one hour, then Monday 28th from 9:00
    assert business_deadline(start, timedelta(hours=4), calendar) == berlin(2026, 12, 28, 12)


def test_business_days_are_whole_working_days_of_business_time():
    assert deadline_for(berlin(2026, 6, 15, 15), 2, "business_days", WEEK) == berlin(2026, 6, 17, 15)
    # Friday 15:00 + 1 business day: 2 h on Friday, 6 h on Monday.
    assert deadline_for(berlin(2026, 6, 12, 15), 1, "business_days", WEEK) == berlin(2026, 6, 15, 15)


def test_hours_and_days_are_wall_clock_time():
    start = berlin(2026, 6, 12, 16)
    assert deadline_for(start, 4, "hours", WEEK) == berlin(2026, 6, 12, 20)
    assert deadline_for(start, 2, "days", WEEK) == berlin(2026, 6, 14, 16)


def test_business_hours_across_a_daylight_saving_change_are_real_hours():
    # New York springs forward on Sunday 8 March 2026 at 2:00: the 1:00–4:00 window that day
    # holds only two real hours, so three business hours end at 2:00 on Monday.
    night_shift = Calendar(tz=NEW_YORK, workdays=frozenset(range(7)), day_start=time(1), day_end=time(4))
    start = datetime(2026, 3, 8, 1, tzinfo=NEW_YORK)
    assert business_deadline(start, timedelta(hours=3), night_shift) == datetime(
        2026, 3, 9, 2, tzinfo=NEW_YORK
    )
    assert business_duration(start, datetime(2026, 3, 8, 4, tzinfo=NEW_YORK), night_shift) == timedelta(
        hours=2
    )


def test_business_duration_counts_only_opening_hours():
    assert business_duration(berlin(2026, 6, 12, 16), berlin(2026, 6, 15, 10), WEEK) == timedelta(hours=2)
    assert business_duration(berlin(2026, 6, 15, 10), berlin(2026, 6, 12, 16), WEEK) == timedelta(0)


def test_closed_days_and_bad_calendars_are_refused():
    closed = Calendar(tz=BERLIN, is_holiday=lambda d: d == date(2026, 6, 15))
    assert business_deadline(berlin(2026, 6, 15, 9), timedelta(hours=1), closed) == berlin(2026, 6, 16, 10)
    with pytest.raises(ValueError, match="workdays"):
        Calendar(tz=BERLIN, workdays=frozenset())
    with pytest.raises(ValueError, match="day_end"):
        Calendar(tz=BERLIN, day_start=time(17), day_end=time(9))
    with pytest.raises(ValueError, match="aware"):
        business_deadline(datetime(2026, 6, 15, 9), timedelta(hours=1), WEEK)
    with pytest.raises(ValueError, match="unit"):
        deadline_for(berlin(2026, 6, 15, 9), 1, "fortnights", WEEK)
    always_closed = Calendar(tz=BERLIN, is_holiday=lambda d: True)
    with pytest.raises(ValueError, match="no working time"):
        business_deadline(berlin(2026, 6, 15, 9), timedelta(hours=1), always_closed)

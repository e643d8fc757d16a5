"""Pace arithmetic, checked against hand-computed numbers (period lengths in real hours)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from closedloop.meetings.pace import pace_compute, pace_sentence, period_bounds, period_first_day

BERLIN = ZoneInfo("Europe/Berlin")


def test_month_pace_projects_linearly_over_the_real_length():
    start, end = period_bounds("month", date(2026, 6, 1), UTC)
    # 29 done after 9 of June's 30 days: 29 × 30 / 9 = 96.67, i.e. 97% of 100.
    pace = pace_compute(
        value=Decimal(29), target=Decimal(100), start=start, end=end, now=datetime(2026, 6, 10, tzinfo=UTC)
    )
    assert pace.projected == Decimal("96.67")
    assert (pace.percent, pace.projected_percent, pace.is_on_track) == (29, 97, False)
    assert pace_sentence(pace, "month") == "at this rate: 97% by month end"


def test_a_month_with_the_daylight_saving_change_is_an_hour_short():
    start, end = period_bounds("month", date(2026, 3, 1), BERLIN)
    # Berlin springs forward on 29 March 2026: March has 31 × 24 − 1 = 743 hours.
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 743 * 3600
    now = datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)  # 29 × 24 − 1 = 695 hours in
    pace = pace_compute(value=Decimal(139), target=Decimal(100), start=start, end=end, now=now)
    # 139 × 743 / 695 = 148.6 (counting calendar hours, 744 / 696, would give 148.59).
    assert pace.projected == Decimal("148.60")
    assert pace.projected_percent == 149


def test_quarters_start_on_the_first_day_of_jan_apr_jul_oct():
    assert period_first_day("quarter", date(2026, 5, 17)) == date(2026, 4, 1)
    assert period_first_day("quarter", date(2026, 12, 31)) == date(2026, 10, 1)
    start, end = period_bounds("quarter", date(2026, 10, 1), UTC)
    assert end == datetime(2027, 1, 1, tzinfo=UTC)
    start, end = period_bounds("quarter", date(2026, 4, 1), UTC)
    assert (end - start).days == 91  # 30 + 31 + 30
    # Half of Q2 (45.5 days) with 40 done: 40 × 91 / 45.5 = 80.
    pace = pace_compute(
        value=Decimal(40), target=Decimal(80), start=start, end=end, now=datetime(2026, 5, 16, 12, tzinfo=UTC)
    )
    assert pace.projected == Decimal("80.00")
    assert pace_sentence(pace, "quarter") == "at this rate: 100% by quarter end"


def test_before_the_start_and_after_the_end():
    start, end = period_bounds("month", date(2026, 6, 1), UTC)
    before = pace_compute(
        value=Decimal(0),
        target=Decimal(10),
        start=start,
        end=end,
        now=datetime(2026, 5, 31, 23, 59, tzinfo=UTC),
    )
    assert (before.projected, pace_sentence(before, "month")) == (None, "not started yet")
    after = pace_compute(
        value=Decimal(7), target=Decimal(10), start=start, end=end, now=datetime(2026, 7, 3, tzinfo=UTC)
    )
    assert (after.projected, pace_sentence(after, "month")) == (Decimal(7), "finished at 70% of the goal")


def test_a_period_must_start_on_its_first_day_and_targets_be_positive():
    with pytest.raises(ValueError, match="not the first day"):
        period_bounds("month", date(2026, 6, 2), UTC)
    with pytest.raises(ValueError, match="month or quarter"):
        period_first_day("year", date(2026, 6, 2))
    start, end = period_bounds("month", date(2026, 6, 1), UTC)
    with pytest.raises(ValueError, match="positive"):
        pace_compute(value=Decimal(1), target=Decimal(0), start=start, end=end, now=end)

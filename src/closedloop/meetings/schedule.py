"""When a series meets: the local dates of its occurrences, turned into aware datetimes in the site's
time zone, so a 09:00 weekly sync stays at 09:00 across daylight-saving changes."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo

WEEKLY = "weekly"
MONTHLY = "monthly"


def occurrence_dates(
    *, cadence: str, starts_on: date, until: date, weekday: int = 0, day_of_month: int = 1
) -> Iterator[date]:
    """Meeting days from `starts_on` to `until`, both included."""
    if cadence == WEEKLY:
        day = starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)
        while day <= until:
            yield day
            day += timedelta(days=7)
    elif cadence == MONTHLY:
        year, month = starts_on.year, starts_on.month
        if starts_on.day > day_of_month:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while (day := date(year, month, day_of_month)) <= until:
            yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        raise ValueError(f"unknown cadence {cadence!r}")


def local_start(day: date, at, tz: tzinfo) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, at, tzinfo=tz)

"""Business time: deadlines and durations that count only working hours of working days, in the
company's time zone, skipping public holidays. Pure Python (no Django) so it is easy to test.

Conventions (docs/sla.md):
- A business hour is an hour inside [day_start, day_end) local time on a working day that is not
  a holiday. A clock started outside business hours starts counting at the next opening.
- A business day is one full working day's length of business time: Monday 15:00 + 2 business
  days = Wednesday 15:00 (with 9–17 hours), and Friday 15:00 + 1 business day = Monday 15:00.
- Hours and days (not business) are wall-clock time.
- Local times that do not exist or repeat on daylight-saving changes are resolved by zoneinfo
  (fold=0), and all arithmetic happens on aware UTC datetimes, so a 4-hour window across a DST
  change still counts 4 real hours.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A clock that cannot find a working day within this many days has a calendar with no working time.
_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    day_start: time = time(9)
    day_end: time = time(17)
    # Called with a date; True when the business is closed that day (public holiday, company day off).
    is_holiday: Callable[[date], bool] = field(default=lambda d: False)

    def __post_init__(self) -> None:
        if not self.workdays:
            raise ValueError("workdays: a business calendar needs at least one working day")
        if self.day_end <= self.day_start:
            raise ValueError("day_end: the working day must end after it starts")

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and not self.is_holiday(day)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's opening hours as aware UTC datetimes."""
        opens = datetime.combine(day, self.day_start, self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.day_end, self.tz).astimezone(UTC)
        return opens, closes


def _working_windows(start: datetime, calendar: Calendar):  # type: ignore[no-untyped-def]
    """Opening windows from the local day containing `start` onwards, clipped to begin at `start`."""
    day = start.astimezone(calendar.tz).date()
    for offset in range(_SEARCH_DAYS):
        current = day + timedelta(days=offset)
        if not calendar.is_working_day(current):
            continue
        opens, closes = calendar.window(current)
        if closes <= start:
            continue
        yield max(opens, start), closes
    raise ValueError("the business calendar has no working time in the next three years")


def business_deadline(start: datetime, amount: timedelta, calendar: Calendar) -> datetime:
    """The moment `amount` of business time after `start` has elapsed."""
    if start.tzinfo is None:
        raise ValueError("start: an aware datetime is required")
    start = start.astimezone(UTC)
    remaining = amount
    if remaining <= timedelta(0):
        return start
    for opens, closes in _working_windows(start, calendar):
        available = closes - opens
        if remaining <= available:
            return opens + remaining
        remaining -= available
    raise AssertionError("unreachable")  # _working_windows raises first


def business_duration(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Business time between two moments (zero when end is not after start)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start/end: aware datetimes are required")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    if end <= start:
        return total
    day = start.astimezone(calendar.tz).date()
    last = end.astimezone(calendar.tz).date()
    while day <= last:
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def deadline_for(start: datetime, amount: int, unit: str, calendar: Calendar) -> datetime:
    """Deadline of an SLA term: `amount` of `unit` (business_hours, business_days, hours, days)."""
    if unit == "business_hours":
        return business_deadline(start, timedelta(hours=amount), calendar)
    if unit == "business_days":
        return business_deadline(start, calendar.day_length * amount, calendar)
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "days":
        return start + timedelta(days=amount)
    raise ValueError(f"unit: {unit!r} is not a clock unit (business_hours, business_days, hours, days)")

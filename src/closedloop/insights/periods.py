"""Reporting periods ("last 30 days", "this quarter", a custom range) resolved to dates and to the
half-open datetime range that database filters need, in the site's time zone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

PERIOD_CHOICES: tuple[tuple[str, str], ...] = (
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("180d", "Last 180 days"),
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("custom", "Custom range"),
)
DEFAULT_PERIOD = "30d"
# A day-by-day chart and a cost table over more than a few years stop being readable.
MAX_PERIOD_DAYS = 3 * 366

_ROLLING_DAYS = {"30d": 30, "90d": 90, "180d": 180}


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included."""

    start: date
    end: date
    key: str = "custom"

    @property
    def label(self) -> str:
        names = dict(PERIOD_CHOICES)
        if self.key != "custom" and self.key in names:
            return names[self.key]
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def datetime_range(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) in the current time zone, for `created_at` filters."""
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )


def period_resolve(
    *, key: str, today: date | None = None, start: date | None = None, end: date | None = None
) -> Period:
    """Turn a period choice into dates. Rolling periods end today and include it ("last 30 days"
    is today and the 29 days before); "this month" and "this quarter" run from their first day to today."""
    today = today or timezone.localdate()
    if key in _ROLLING_DAYS:
        return Period(start=today - timedelta(days=_ROLLING_DAYS[key] - 1), end=today, key=key)
    if key == "month":
        return Period(start=today.replace(day=1), end=today, key=key)
    if key == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return Period(start=today.replace(month=first_month, day=1), end=today, key=key)
    if key == "custom":
        if start is None or end is None:
            raise ValueError("a custom period needs both a start and an end date")
        if start > end:
            raise ValueError("the start date is after the end date")
        return Period(start=start, end=end, key=key)
    raise ValueError(f"unknown period {key!r}")

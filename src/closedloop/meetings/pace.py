"""Goal periods and pace: "at this rate: 87% by month end". Pure arithmetic on aware datetimes, no
database, so the numbers can be checked by hand.

A period is a calendar month or quarter in the site's time zone, half-open [start, end). Elapsed
time is measured in real seconds, so a month with a daylight-saving change is an hour shorter or
longer than its days suggest — the projection uses the true length."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Decimal

MONTH = "month"
QUARTER = "quarter"


def period_first_day(kind: str, day: date) -> date:
    """The first day of the month or quarter that contains `day`."""
    if kind == MONTH:
        return day.replace(day=1)
    if kind == QUARTER:
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    raise ValueError(f"unknown period kind {kind!r}; use month or quarter")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_next_first_day(kind: str, first_day: date) -> date:
    return _add_months(first_day, 1 if kind == MONTH else 3)


def period_previous_first_day(kind: str, first_day: date) -> date:
    return _add_months(first_day, -1 if kind == MONTH else -3)


def period_bounds(kind: str, first_day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[first day 00:00, first day of the next period 00:00) in `tz`."""
    if period_first_day(kind, first_day) != first_day:
        raise ValueError(f"{first_day} is not the first day of a {kind}")
    end_day = period_next_first_day(kind, first_day)
    return datetime.combine(first_day, time.min, tzinfo=tz), datetime.combine(end_day, time.min, tzinfo=tz)


@dataclass(frozen=True)
class Pace:
    value: Decimal
    target: Decimal
    # Share of the period's real duration that has passed, 0–1.
    elapsed: float
    # The value at the period's end if the rate so far continues; None before the period starts.
    projected: Decimal | None

    @property
    def percent(self) -> int:
        """Value so far as a percentage of the target, rounded half up."""
        return _percent(self.value, self.target)

    @property
    def projected_percent(self) -> int | None:
        return None if self.projected is None else _percent(self.projected, self.target)

    @property
    def is_on_track(self) -> bool | None:
        return None if self.projected is None else self.projected >= self.target


def _percent(value: Decimal, target: Decimal) -> int:
    return int((Decimal(100) * value / target).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pace_compute(*, value: Decimal, target: Decimal, start: datetime, end: datetime, now: datetime) -> Pace:
    """Linear projection of an additive metric (a count or a sum) to the end of [start, end)."""
    if target <= 0:
        raise ValueError("target must be positive")
    # Python subtracts datetimes that share a tzinfo by wall clock; in UTC it is real time.
    start, end, now = start.astimezone(UTC), end.astimezone(UTC), now.astimezone(UTC)
    total = (end - start).total_seconds()
    if now <= start:
        return Pace(value=value, target=target, elapsed=0.0, projected=None)
    if now >= end:
        return Pace(value=value, target=target, elapsed=1.0, projected=value)
    passed = (now - start).total_seconds()
    projected = (value * Decimal(total) / Decimal(passed)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Pace(value=value, target=target, elapsed=passed / total, projected=projected)


def pace_sentence(pace: Pace, kind: str) -> str:
    end = "month end" if kind == MONTH else "quarter end"
    if pace.projected is None:
        return "not started yet"
    if pace.elapsed >= 1.0:
        return f"finished at {pace.percent}% of the goal"
    return f"at this rate: {pace.projected_percent}% by {end}"

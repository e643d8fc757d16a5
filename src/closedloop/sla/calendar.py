"""The business calendar row ↔ business_time.Calendar, and its validated update."""

from datetime import date, time
from zoneinfo import ZoneInfo, available_timezones

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from closedloop.audit.services import audit_record
from closedloop.sla.business_time import Calendar
from closedloop.sla.models import BusinessCalendar

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def calendar_row_get() -> BusinessCalendar:
    row, _ = BusinessCalendar.objects.get_or_create(pk=1, defaults={"time_zone": settings.TIME_ZONE})
    return row


def calendar_get() -> Calendar:
    return calendar_from_row(calendar_row_get())


def calendar_from_row(row: BusinessCalendar) -> Calendar:
    closed = {date.fromisoformat(d) for d in row.closed_days or []}
    public = (
        holidays.country_holidays(row.holiday_country, subdiv=row.holiday_subdivision or None)
        if row.holiday_country
        else None
    )

    def is_holiday(day: date) -> bool:
        # country_holidays expands to the asked year on first lookup.
        return day in closed or (public is not None and day in public)

    return Calendar(
        tz=ZoneInfo(row.time_zone),
        workdays=frozenset(int(d) for d in row.workdays.split(",") if d != ""),
        day_start=_as_time(row.day_start),
        day_end=_as_time(row.day_end),
        is_holiday=is_holiday,
    )


def _as_time(value: time | str) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


@transaction.atomic
def calendar_update(
    *,
    by: object,
    time_zone: str,
    workdays: list[int],
    day_start: time,
    day_end: time,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    closed_days: list[str] | None = None,
) -> BusinessCalendar:
    errors: dict[str, str] = {}
    if time_zone not in available_timezones():
        errors["time_zone"] = f"unknown time zone {time_zone!r}; use an IANA name such as Europe/Berlin"
    days = sorted(set(workdays))
    if not days:
        errors["workdays"] = "choose at least one working day"
    elif any(d not in range(7) for d in days):
        errors["workdays"] = "weekdays are numbered 0 (Monday) to 6 (Sunday)"
    if day_end <= day_start:
        errors["day_end"] = "the working day must end after it starts"
    country = (holiday_country or "").strip().upper()
    subdiv = (holiday_subdivision or "").strip().upper()
    supported = holidays.list_supported_countries()
    if country and country not in supported:
        errors["holiday_country"] = (
            f"no public holiday calendar for {country!r}; use an ISO code such as US or DE"
        )
    elif country and subdiv and subdiv not in supported[country]:
        errors["holiday_subdivision"] = (
            f"{subdiv!r} is not a subdivision of {country}; one of {', '.join(supported[country][:12])}…"
        )
    elif subdiv and not country:
        errors["holiday_subdivision"] = "choose a country first"
    parsed: list[str] = []
    for i, raw in enumerate(closed_days or []):
        try:
            parsed.append(date.fromisoformat(str(raw).strip()).isoformat())
        except ValueError:
            errors["closed_days"] = f"closed day {i + 1}: {raw!r} is not a date (YYYY-MM-DD)"
            break
    if errors:
        raise ValidationError(errors)
    row = BusinessCalendar.objects.select_for_update().get(pk=calendar_row_get().pk)
    before = {"time_zone": row.time_zone, "workdays": row.workdays, "holiday_country": row.holiday_country}
    row.time_zone = time_zone
    row.workdays = ",".join(str(d) for d in days)
    row.day_start, row.day_end = day_start, day_end
    row.holiday_country, row.holiday_subdivision = country, subdiv
    row.closed_days = sorted(set(parsed))
    row.save()
    audit_record(
        actor=by,
        action="sla.calendar_update",
        obj=row,
        summary=f"Business hours: {', '.join(WEEKDAYS[d][:3] for d in days)} {day_start:%H:%M}–{day_end:%H:%M} {time_zone}",
        changes={
            "before": before,
            "after": {"time_zone": time_zone, "workdays": row.workdays, "holiday_country": country},
        },
    )
    return row

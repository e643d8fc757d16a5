"""Small explicit builders for page and API tests."""

from datetime import date, time, timedelta

from django.utils import timezone

from closedloop.meetings.models import MeetingOccurrence, MeetingSeries


def series_make(
    name: str = "Weekly sync", partner_team=None, days_ahead: int = 2
) -> tuple[MeetingSeries, MeetingOccurrence]:
    series = MeetingSeries.objects.create(
        name=name, cadence="weekly", start_time=time(9), starts_on=date(2026, 6, 1), partner_team=partner_team
    )
    start = (timezone.now() + timedelta(days=days_ahead)).replace(microsecond=0)
    occurrence = MeetingOccurrence.objects.create(
        series=series, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    return series, occurrence

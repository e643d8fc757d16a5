"""Options shared by the management commands."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def parse_now(value: str | None) -> datetime | None:
    """`--now`: pretend it is this ISO 8601 moment (replays, tests); naive means the site's zone."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"--now: {value!r} is not an ISO 8601 date and time (e.g. 2026-03-31T09:00:00Z)")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed

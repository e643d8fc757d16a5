"""closedloop meetings schedule|deliver — keep occurrences scheduled ahead and retry webhooks."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from closedloop.meetings.models import MeetingSeries
from closedloop.meetings.services.meetings import SCHEDULE_AHEAD, series_schedule
from closedloop.meetings.services.webhooks import webhooks_deliver_due


class Command(BaseCommand):
    help = (
        "Schedule meeting occurrences ahead (run daily) and retry due webhook deliveries (run every minute)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["schedule", "deliver"])

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "schedule":
            until = timezone.localdate() + SCHEDULE_AHEAD
            created = sum(len(series_schedule(series=s, until=until)) for s in MeetingSeries.objects.all())
            self.stdout.write(f"{created} occurrence(s) scheduled up to {until}")
        else:
            self.stdout.write(f"{webhooks_deliver_due()} webhook delivery(ies) delivered")

"""closedloop alarms check — run every detector and reconcile the alarms (raise, update, resolve).
Idempotent; schedule it at least hourly (docs/alarms.md). closedloop alarms list — print the
active alarms."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from closedloop.alarms.detectors import DETECTORS
from closedloop.alarms.models import ACTIVE_STATUSES, Alarm
from closedloop.alarms.services import alarms_check
from closedloop.config.command_options import parse_now


class Command(BaseCommand):
    help = "Alarms: `check` runs the detectors (at least hourly); `list` prints the active alarms."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check", "list"])
        parser.add_argument(
            "--kind",
            action="append",
            choices=sorted(DETECTORS),
            help="run only this detector (repeatable; default: all)",
        )
        parser.add_argument(
            "--now",
            help="evaluate as of this moment (ISO 8601) instead of the current time, e.g. to replay a day",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list(as_json=options["json"])
            return
        result = alarms_check(now=parse_now(options["now"]), kinds=options["kind"])
        if options["json"]:
            payload = {
                "now": result.now.isoformat(),
                **{
                    name: [
                        {"id": a.pk, "kind": a.kind, "severity": a.severity, "title": a.title} for a in alarms
                    ]
                    for name, alarms in (
                        ("raised", result.raised),
                        ("updated", result.updated),
                        ("resolved", result.resolved),
                    )
                },
            }
            self.stdout.write(json.dumps(payload, indent=2))
            return
        self.stdout.write(
            f"Alarms checked at {result.now:%Y-%m-%d %H:%M %Z}: {len(result.raised)} raised, "
            f"{len(result.updated)} still active, {len(result.resolved)} resolved."
        )
        for alarm in result.raised:
            self.stdout.write(f"  raised   [{alarm.severity}] {alarm.title}")
        for alarm in result.resolved:
            self.stdout.write(f"  resolved {alarm.title}")

    def _list(self, *, as_json: bool) -> None:
        alarms = Alarm.objects.filter(status__in=ACTIVE_STATUSES).order_by("-last_seen_at", "-id")
        if as_json:
            rows = [
                {"id": a.pk, "kind": a.kind, "severity": a.severity, "status": a.status, "title": a.title,
                 "message": a.message}
                for a in alarms
            ]  # fmt: skip
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for a in alarms:
            self.stdout.write(f"#{a.pk} [{a.severity}] {a.status}: {a.title}\n    {a.message}")
        if not alarms:
            self.stdout.write("No active alarms.")

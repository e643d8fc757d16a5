"""closedloop sla check — route sales-ready leads that have no owner, start missing SLA clocks,
stop clocks whose work was logged, and announce breaches. `closedloop worker` runs it every five
minutes; run it by hand or from cron when no worker runs (docs/sla.md)."""

import json

from django.core.management.base import BaseCommand, CommandParser

from closedloop.config.command_options import parse_now
from closedloop.sla.tick import sla_tick


class Command(BaseCommand):
    help = "SLA clocks: `check` stops, starts and breaches clocks and tells owners and their managers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check"])
        parser.add_argument("--now", help="pretend it is this ISO 8601 time (for replays and tests)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: object, **options: object) -> None:
        tick = sla_tick(now=parse_now(options.get("now")))  # type: ignore[arg-type]
        if tick.routing_error:
            self.stderr.write(f"routing: {tick.routing_error}")
        if options["json"]:
            self.stdout.write(json.dumps(tick.summary()))
            return
        for clock in tick.clocks.breached:
            self.stdout.write(f"breached: {clock.kind} for contact {clock.contact_id} (owner {clock.owner})")
        self.stdout.write(", ".join(f"{v} {k}" for k, v in tick.summary().items()))

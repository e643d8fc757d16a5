"""closedloop sla check — route sales-ready leads that have no owner, start missing SLA clocks,
stop clocks whose work was logged, and announce breaches. Run it every few minutes (docs/sla.md)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from closedloop.config.command_options import parse_now
from closedloop.handoff.services import handoffs_route_pending
from closedloop.sla.services import sla_clocks_check


class Command(BaseCommand):
    help = "SLA clocks: `check` stops, starts and breaches clocks and tells owners and their managers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check"])
        parser.add_argument("--now", help="pretend it is this ISO 8601 time (for replays and tests)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: object, **options: object) -> None:
        now = parse_now(options.get("now"))  # type: ignore[arg-type]
        # "No lead is left without an owner and a running clock": routing first gives every
        # sales-ready lead its clocks, then the clock pass settles them.
        try:
            routed = handoffs_route_pending(now=now)
        except ValidationError as exc:
            # Nobody to route to: say so, and still settle the clocks that exist.
            self.stderr.write("routing: " + " ".join(exc.messages))
            routed = []
        result = sla_clocks_check(now=now)
        summary = {
            "routed": len(routed),
            "started": result.started,
            "stopped": result.stopped,
            "cancelled": result.cancelled,
            "breached": len(result.breached),
            "warned": result.warned,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        for clock in result.breached:
            self.stdout.write(f"breached: {clock.kind} for contact {clock.contact_id} (owner {clock.owner})")
        self.stdout.write(", ".join(f"{v} {k}" for k, v in summary.items()))

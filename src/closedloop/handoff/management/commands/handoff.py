"""closedloop handoff route — route every sales-ready contact that has no open handoff to an owner.
Idempotent; schedule it every few minutes (docs/handoff.md)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from closedloop.config.command_options import parse_now
from closedloop.handoff.services import handoffs_route_pending


class Command(BaseCommand):
    help = "Handoff: `route` gives every sales-ready lead without an open handoff an owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["route"])
        parser.add_argument("--now", help="pretend it is this ISO 8601 time (for replays and tests)")

    def handle(self, *args: object, **options: object) -> None:
        now = parse_now(options.get("now"))  # type: ignore[arg-type]
        try:
            handoffs = handoffs_route_pending(now=now)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for h in handoffs:
            self.stdout.write(f"contact {h.contact_id} → {h.routed_to}: {h.routing_reason}")
        self.stdout.write(f"routed {len(handoffs)} lead{'' if len(handoffs) == 1 else 's'}")

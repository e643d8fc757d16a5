"""closedloop stages reevaluate --all | --contacts 12,57 — run the active agreement's stage rules
over contacts and move them forward (docs/agreement.md, "The stage engine"). Run it after a new
version becomes active; event ingest and contact edits re-evaluate the contacts they touch."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closedloop.agreement.stage_engine import stages_reevaluate
from closedloop.config.command_options import parse_now


def _parse_ids(value: str) -> list[int]:
    try:
        return [int(part) for part in value.replace(",", " ").split()]
    except ValueError:
        raise CommandError(f"--contacts: {value!r} is not a list of contact ids (e.g. 12,57,98)") from None


class Command(BaseCommand):
    help = "Stage engine: `reevaluate` applies the active agreement's stage rules to contacts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reevaluate"])
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every contact")
        which.add_argument("--contacts", help="contact ids, separated by commas or spaces")
        parser.add_argument("--now", help="evaluate as of this moment (ISO 8601) instead of the current time")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = None if options["all"] else _parse_ids(options["contacts"])
        started = time.perf_counter()
        result = stages_reevaluate(contact_ids=ids, now=parse_now(options["now"]))
        seconds = time.perf_counter() - started
        if result.version_number is None:
            self.stdout.write("No active agreement: nothing to evaluate.")
            return
        moved = ", ".join(f"{stage} {n}" for stage, n in sorted(result.moved_to.items())) or "none"
        self.stdout.write(
            f"Agreement v{result.version_number}: evaluated {result.evaluated} contacts, "
            f"moved {result.moved} ({moved}) in {seconds:.2f} s."
        )

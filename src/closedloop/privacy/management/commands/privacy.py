"""closedloop privacy — personal data from the command line (docs/privacy.md):

    closedloop privacy export --contact 42 [--output contact-42.json]
    closedloop privacy erase --contact ann@example.com --reason request --yes
    closedloop privacy retention [--dry-run] [--now 2026-03-31T00:00:00Z]

Exports and erasures are recorded in the audit log like the same actions on the pages."""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from closedloop.config.command_options import parse_now
from closedloop.crm.models import Contact
from closedloop.privacy import services
from closedloop.privacy.models import ErasureRecord
from closedloop.privacy.retention import retention_apply


def find_contact(ref: str) -> Contact:
    """A contact by id, or by email address (any case)."""
    ref = (ref or "").strip()
    contact = None
    if ref.isdigit():
        contact = Contact.objects.filter(pk=int(ref)).first()
    elif "@" in ref:
        contact = Contact.objects.filter(email__iexact=ref).first()
    else:
        raise CommandError(f"--contact: {ref!r} is neither a contact id nor an email address")
    if contact is None:
        raise CommandError(f"--contact: no contact {ref!r}")
    return contact


class Command(BaseCommand):
    help = "Personal data: export or erase one contact, or apply the retention settings."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print (or write) everything held about one contact as JSON")
        export.add_argument("--contact", required=True, help="contact id or email address")
        export.add_argument("--output", help="write to this file instead of standard output")
        erase = sub.add_parser("erase", help="erase one contact's personal data (cannot be undone)")
        erase.add_argument("--contact", required=True, help="contact id or email address")
        erase.add_argument("--reason", required=True, choices=ErasureRecord.Reason.values)
        erase.add_argument("--yes", action="store_true", help="confirm: without it nothing is erased")
        retention = sub.add_parser("retention", help="apply the retention settings now")
        retention.add_argument("--dry-run", action="store_true", help="only count what would change")
        retention.add_argument("--now", help="pretend it is this ISO 8601 time (for replays and tests)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "export":
            contact = find_contact(options["contact"])
            text = json.dumps(
                services.contact_export(contact), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
            )
            if options.get("output"):
                with open(options["output"], "w", encoding="utf-8") as fh:
                    fh.write(text + "\n")
                self.stdout.write(f"wrote contact {contact.pk} to {options['output']}")
            else:
                self.stdout.write(text)
        elif action == "erase":
            contact = find_contact(options["contact"])
            if not options["yes"]:
                raise CommandError(f"erasing contact {contact.pk} cannot be undone; add --yes to confirm")
            try:
                record = services.contact_erase(contact, by=None, reason=options["reason"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            changed = (
                ", ".join(f"{n} {label}" for label, n in sorted(record.counts.items())) or "no other rows"
            )
            self.stdout.write(f"erased contact {record.contact_number}: {changed}")
        else:
            result = retention_apply(now=parse_now(options.get("now")), dry_run=options["dry_run"])
            prefix = "would change" if options["dry_run"] else "changed"
            self.stdout.write(
                f"{prefix}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.as_dict().items())
            )

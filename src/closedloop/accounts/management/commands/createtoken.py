"""closedloop createtoken USERNAME --name NAME (--scope SCOPE ... | --all-scopes) — prints a bearer
token for the API, once."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from closedloop.accounts.models import User
from closedloop.accounts.roles import SCOPES
from closedloop.accounts.services import api_token_create

OPTION = {"scopes": "--scope", "name": "--name"}


class Command(BaseCommand):
    help = (
        "Create an API token for a user. The token may do what both its user's role and its scopes "
        f"allow. Scopes: {', '.join(sorted(SCOPES))}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        # No default on purpose: a token for a website's tracker should carry ingest_events only.
        choice = parser.add_mutually_exclusive_group(required=True)
        choice.add_argument(
            "--scope", action="append", dest="scopes", metavar="SCOPE", help="A scope; repeat for several."
        )
        choice.add_argument(
            "--all-scopes", action="store_true", help="Every scope the user's role holds now."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"username: no user named {opts['username']!r}")
        try:
            _, raw = api_token_create(
                user=user, name=opts["name"], scopes=None if opts["all_scopes"] else opts["scopes"]
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{OPTION.get(k, k)}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        self.stdout.write(raw)

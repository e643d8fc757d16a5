"""closedloop createtoken USERNAME --name NAME — prints a bearer token for the API, once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closedloop.accounts.models import User
from closedloop.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user. The token acts with that user's role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"username: no user named {opts['username']!r}")
        _, raw = api_token_create(user=user, name=opts["name"])
        self.stdout.write(raw)

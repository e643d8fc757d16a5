"""closedloop createuser USERNAME --role ROLE [--password P] [--team NAME]; recorded in the audit log
as "user.create" with no actor (the command line)."""

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from closedloop.accounts.models import Team
from closedloop.accounts.roles import Role
from closedloop.accounts.services import user_create


class Command(BaseCommand):
    help = (
        "Create a user with a role (admin, head_of_marketing, head_of_sales, marketer, sales_rep, partner)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Prompted for when omitted.")
        parser.add_argument("--team", help="Team name; must exist.")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"] or getpass.getpass("Password: ")
        team = None
        if opts["team"]:
            team = Team.objects.filter(name=opts["team"]).first()
            if team is None:
                raise CommandError(f"--team: no team named {opts['team']!r}")
        try:
            user = user_create(
                username=opts["username"],
                password=password,
                role=opts["role"],
                email=opts["email"],
                team=team,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            ) from exc
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}).")

"""closedloop serve — run the web server (uvicorn, ASGI) after applying migrations."""

from typing import Any

import uvicorn
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve closedloop over HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=1, help="Worker processes (PostgreSQL scales with more)."
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations first."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"closedloop is listening on http://{opts['host']}:{opts['port']}/ (Ctrl+C stops it)"
        )
        uvicorn.run(
            "closedloop.config.asgi:application",
            host=opts["host"],
            port=opts["port"],
            log_level="warning",
            workers=opts["workers"],
        )

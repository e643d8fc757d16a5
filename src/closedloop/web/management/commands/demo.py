"""closedloop demo — start closedloop with the Northwind Analytics demo company.

The first run generates six months of history into the (empty) database; later runs reuse it.
`--reset` deletes the SQLite file and starts over. See docs/demo.md."""

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from closedloop.alarms.services import alarms_check
from closedloop.demo import company
from closedloop.demo.extras import demo_extras_seed
from closedloop.demo.generator import (
    DEFAULT_CONTACTS,
    DEFAULT_SEED,
    DemoSummary,
    demo_generate,
    demo_state,
    demo_summary_read,
    demo_users_ensure,
)


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from exc


class Command(BaseCommand):
    help = "Start closedloop with a realistic demo company (generated into an empty database on first run)."
    # The checks open the database; --reset must be able to delete a broken file first, so they run after it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED})."
        )
        parser.add_argument(
            "--end-date",
            type=_iso_date,
            default=None,
            help="The history ends the day before this date, YYYY-MM-DD (default today).",
        )
        parser.add_argument(
            "--contacts",
            type=int,
            default=DEFAULT_CONTACTS,
            help=f"Contacts to generate (default {DEFAULT_CONTACTS:,}).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the SQLite database file first and generate afresh."
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Generate and print the logins, do not serve."
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["contacts"] < 50:
            raise CommandError("--contacts: the demo needs at least 50 contacts")
        if opts["reset"]:
            self._reset()
        if not opts.get("skip_checks"):
            self.check()
        call_command("migrate", interactive=False, verbosity=0)
        state = demo_state()
        if state == "other":
            raise CommandError(
                f"The database {self._where()} already holds data that is not the demo's; closedloop demo "
                "will not add demo logins with a public password to it. Point CLOSEDLOOP_DATA_DIR or "
                "DATABASE_URL at another database."
            )
        if state == "empty":
            summary = demo_generate(
                seed=opts["seed"], end_date=opts["end_date"], contacts=opts["contacts"], log=self.stdout.write
            )
            self.stdout.write(f"Generated the demo in {summary.seconds:.1f} s into {self._where()}.")
            # Seed 000's story should greet the first visitor: run the detectors once, as the
            # hourly check would have done by now.
            checked = alarms_check()
            self.stdout.write(f"  {len(checked.raised)} alarms raised (open /alarms/ to see them)")
            demo_extras_seed(self.stdout.write)
        else:
            summary = demo_summary_read()
            self.stdout.write(f"Reusing the demo data in {self._where()} (--reset starts over).")
        demo_users_ensure()
        self.stdout.write(banner(summary, host=opts["host"], port=opts["port"]))
        if not opts["no_serve"]:
            call_command("serve", host=opts["host"], port=opts["port"], no_migrate=True)

    def _where(self) -> str:
        if connection.vendor == "sqlite":
            return str(connection.settings_dict["NAME"])
        return f"{connection.vendor} database {connection.settings_dict['NAME']!r}"

    def _reset(self) -> None:
        if connection.vendor != "sqlite":
            raise CommandError(
                f"--reset deletes the SQLite database file, but the database is {connection.vendor} "
                f"({connection.settings_dict['NAME']!r}). Drop and recreate that database yourself "
                "(e.g. dropdb and createdb), then run closedloop demo again."
            )
        if connection.is_in_memory_db():
            raise CommandError("--reset: the database is in memory; there is no file to delete.")
        path = Path(connection.settings_dict["NAME"])
        connection.close()
        existed = path.exists()
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            file.unlink(missing_ok=True)
        if existed:
            self.stdout.write(f"Deleted {path}.")


def banner(summary: DemoSummary, *, host: str, port: int) -> str:
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - only a display choice
    people = {p.username: p for p in company.PEOPLE}
    rule = "=" * 78
    lines = [
        rule,
        f"  closedloop demo: {company.COMPANY}, makers of {company.PRODUCT}",
        f"  {summary.contacts:,} contacts, {summary.accounts:,} accounts, {summary.events:,} events, "
        f"{summary.deals:,} deals",
        f"  history {summary.start_date} to {summary.end_date - timedelta(days=1)}",
        "",
        f"  Open http://{shown_host}:{port}/ and sign in.",
        f"  Password for every login: {company.DEMO_PASSWORD}",
        "",
    ]
    for username, label in company.BANNER_LOGINS:
        p = people[username]
        lines.append(f"    {username:<8} {label:<36} {p.first_name} {p.last_name}")
    shown = {u for u, _ in company.BANNER_LOGINS}
    others = [p.username for p in company.PEOPLE if p.username not in shown]
    lines += ["", f"  Other logins: {', '.join(others)}", rule]
    return "\n".join(lines)

"""Contacts/s through `closedloop stages reevaluate --all` on SQLite (bench for the stage engine).

    .venv/bin/python bench/stage_engine.py [--contacts 20000] [--events-per-contact 12]

Builds a fresh SQLite database with the suggested agreement active, accounts, contacts
(personas, scores) and events spread over 180 days, all in the visitor stage, then times the
command re-evaluating everyone. The reference, in the same process and database, is a bare
`SELECT contact_id, COUNT(*) FROM tracking_event GROUP BY contact_id`: the floor for any engine
that looks at every contact's events once.
"""

import argparse
import io
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
TYPES = ["page_view"] * 5 + ["email_open", "form_submit", "content_download", "call", "meeting_booked"]
EVENT_FIELDS = (
    "idempotency_key", "type", "ts", "contact_id", "visitor_id", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "url", "properties", "received_at",
)  # fmt: skip
PERSONAS = ["ops_manager", "it_director", "cfo", "founder", "student", ""]


def build(contacts: int, per_contact: int) -> None:
    from closedloop.accounts.roles import Role
    from closedloop.agreement.services import agreement_demo_ensure
    from closedloop.bulk_insert import rows_insert
    from closedloop.crm.models import Account, Contact
    from closedloop.tracking.models import Event
    from tests.factories import UserFactory

    agreement_demo_ensure(
        head_of_marketing=UserFactory(username="maya", role=Role.HEAD_OF_MARKETING),
        head_of_sales=UserFactory(username="sam", role=Role.HEAD_OF_SALES),
        at=NOW - timedelta(days=400),
    )
    rng = random.Random(7)
    accounts = contacts // 4
    rows_insert(
        Account,
        ("name", "normalized_name", "domain", "country", "employees", "industry", "created_at"),
        [
            (f"Co {i}", f"co {i}", "", "DE", rng.choice([5, 15, 40, 200, 1000]), "logistics", NOW)
            for i in range(accounts)
        ],
    )
    first_account = Account.objects.order_by("pk").values_list("pk", flat=True).first()
    rows_insert(
        Contact,
        (
            "email",
            "first_name",
            "last_name",
            "title",
            "phone",
            "persona",
            "lifecycle_stage",
            "lead_score",
            "account_id",
            "properties",
            "created_at",
            "updated_at",
        ),
        [
            (
                f"p{i}@example.org",
                "Pat",
                f"Person {i}",
                "",
                "",
                rng.choice(PERSONAS),
                "visitor",
                rng.randrange(80),
                first_account + rng.randrange(accounts),
                {},
                NOW - timedelta(days=rng.randrange(365)),
                NOW,
            )
            for i in range(contacts)
        ],
    )
    first_contact = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    events = [
        (
            f"e{i}",
            rng.choice(TYPES),
            NOW - timedelta(seconds=rng.randrange(180 * 86400)),
            first_contact + rng.randrange(contacts),
            *[""] * 7,
            {},
            NOW,
        )
        for i in range(contacts * per_contact)
    ]
    rows_insert(Event, EVENT_FIELDS, events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--events-per-contact", type=int, default=12)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="closedloop-bench-stages-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="closedloop.config.settings",
        CLOSEDLOOP_DATA_DIR=tmp,
        DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
    )
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from closedloop.crm.models import Contact

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(args.contacts, args.events_per_contact)
    print(
        f"built {args.contacts:,} contacts, {args.contacts * args.events_per_contact:,} events "
        f"in {time.perf_counter() - started:.1f} s"
    )

    with connection.cursor() as cursor:  # warm the page cache the same way for both
        cursor.execute("SELECT COUNT(*) FROM tracking_event")
        started = time.perf_counter()
        cursor.execute("SELECT contact_id, COUNT(*) FROM tracking_event GROUP BY contact_id")
        cursor.fetchall()
        reference = time.perf_counter() - started

    out = io.StringIO()
    started = time.perf_counter()
    call_command("stages", "reevaluate", "--all", "--now", NOW.isoformat(), stdout=out)
    engine = time.perf_counter() - started
    stages = dict(
        Contact.objects.values_list("lifecycle_stage").annotate(n=__import__("django").db.models.Count("id"))
    )

    print(out.getvalue().strip())
    print(f"stages after: {stages}")
    print(
        f"stages reevaluate --all: {engine:.3f} s = {args.contacts / engine:,.0f} contacts/s (goal >= 2,000/s)"
    )
    print(f"reference GROUP BY contact_id: {reference:.3f} s; engine/reference = {engine / reference:.1f}x")

    out = io.StringIO()
    started = time.perf_counter()
    call_command("stages", "reevaluate", "--all", "--now", NOW.isoformat(), stdout=out)
    again = time.perf_counter() - started
    print(f"second run (nothing left to move): {again:.3f} s = {args.contacts / again:,.0f} contacts/s")


if __name__ == "__main__":
    main()

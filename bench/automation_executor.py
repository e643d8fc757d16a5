"""Workflow steps per second per worker (bench for the automation executor).

    .venv/bin/python bench/automation_executor.py [--contacts 5000] [--postgres URL] [--workers 1 2]

Builds a database (a fresh SQLite file, or the PostgreSQL database given, which is migrated and
then filled: use a scratch database), enrolls every contact in a five-step workflow without
email (add to segment, branch on a rule, branch on an email open, remove from segment, end) and times
`closedloop worker --until-idle` processes running it: once with one worker, then with two.

The reference, in the same database, is the floor any durable executor pays: per step, one
INSERT and one DELETE of a timer row, committed in batches of 200 like the executor's.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOW = {
    "trigger": {"type": "manual"},
    "start": "tag",
    "steps": [
        {"id": "never", "type": "send_email", "subject": "x", "text": "x", "next": "end"},
        {"id": "tag", "type": "add_to_segment", "segment": "bench"},
        {
            "id": "check",
            "type": "branch",
            "condition": {"rule": "lead_score >= 0"},
            "then": "mark",
            "else": "end",
        },
        {"id": "mark", "type": "branch", "condition": {"opened": "never"}, "then": "untag", "else": "untag"},
        {"id": "untag", "type": "remove_from_segment", "segment": "bench"},
        {"id": "done", "type": "end"},
    ],
}
STEPS = len(FLOW["steps"]) - 1  # the send_email step is only there for the opened condition


def seed(contacts: int) -> int:
    from django.utils import timezone

    from closedloop.automation.models import Enrollment, SegmentMembership, Timer, Workflow
    from closedloop.automation.services import workflow_activate, workflow_create
    from closedloop.automation.triggers import enrollments_create
    from closedloop.automation.workflows import flow_parse
    from closedloop.crm.models import Contact

    Timer.objects.all().delete()
    Enrollment.objects.all().delete()
    SegmentMembership.objects.all().delete()
    Workflow.objects.all().delete()
    Contact.objects.filter(email__endswith="@bench.example.com").delete()
    now = timezone.now()
    Contact.objects.bulk_create(
        [
            Contact(email=f"b{i}@bench.example.com", first_name=f"B{i}", created_at=now)
            for i in range(contacts)
        ],
        batch_size=2000,
    )
    wf = workflow_create(name="Bench", definition=FLOW, by=None)
    workflow_activate(workflow=wf, by=None)
    ids = Contact.objects.filter(email__endswith="@bench.example.com").values_list("pk", flat=True)
    return enrollments_create(
        workflow=wf, flow=flow_parse(FLOW), candidates=((c, f"b:{c}") for c in ids), now=now
    )


def reference(rows: int) -> float:
    """Seconds for `rows` timer INSERT+DELETE pairs, committed every 200."""
    from django.db import transaction
    from django.utils import timezone

    from closedloop.automation.models import Enrollment, Timer

    enrollment = Enrollment.objects.first()
    start = time.perf_counter()
    for batch in range(0, rows, 200):
        with transaction.atomic():
            for _ in range(min(200, rows - batch)):
                timer = Timer.objects.create(enrollment=enrollment, step_id="x", due_at=timezone.now())
                Timer.objects.filter(pk=timer.pk).delete()
    return time.perf_counter() - start


def run_workers(n: int, env: dict) -> float:
    args = [
        sys.executable,
        "-m",
        "closedloop",
        "worker",
        "--until-idle",
        "--scan-every",
        "3600",
        "--batch",
        "200",
        "--no-periodic-jobs",
    ]
    start = time.perf_counter()
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL) for _ in range(n)]
    for p in procs:
        p.wait()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--postgres", default="", help="postgres://… of a scratch database")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="closedloop-bench-")
    url = args.postgres or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="closedloop.config.settings", DATABASE_URL=url, CLOSEDLOOP_DATA_DIR=tmp
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}, {args.contacts} contacts × {STEPS} steps")
    seed(1)  # the reference's timers need an enrollment to belong to
    ref = reference(args.contacts * STEPS)
    ref_rate = args.contacts * STEPS / ref
    print(f"reference (timer INSERT+DELETE per step): {ref_rate:,.0f} steps/s")
    # Worker start-up (Django, imports) is not step time: measure it with nothing to do.
    seed(0)
    idle = run_workers(1, os.environ.copy())
    print(f"worker start-up with nothing to do: {idle:.2f} s")
    for n in args.workers:
        enrolled = seed(args.contacts)
        wall = run_workers(n, os.environ.copy()) - idle
        rate = enrolled * STEPS / wall
        print(
            f"{n} worker(s): {enrolled * STEPS:,} steps in {wall:.2f} s = {rate:,.0f} steps/s "
            f"({rate / n:,.0f} per worker; {rate / ref_rate:.2f}× the reference)"
        )


if __name__ == "__main__":
    main()

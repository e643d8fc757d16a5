"""`closedloop worker`: runs workflow triggers, timers and the email/webhook outbox."""

from typing import Any

from django.core.management.base import BaseCommand

from closedloop.automation.worker import Worker


class Command(BaseCommand):
    # The worker runs no pages: skip the system checks, which would import every URL and view
    # and make each (re)start slower.
    requires_system_checks: list[str] = []
    help = (
        "Run marketing automation: enroll contacts from triggers, run due workflow steps and "
        "send queued emails and webhook calls. Start several on PostgreSQL to scale out."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", default="", help="Worker name in leases and logs (default host:pid).")
        parser.add_argument("--batch", type=int, default=200, help="Rows claimed per round (default 200).")
        parser.add_argument("--idle-sleep", type=float, default=1.0, help="Seconds to sleep when idle.")
        parser.add_argument("--scan-every", type=float, default=2.0, help="Seconds between trigger scans.")
        parser.add_argument(
            "--lease",
            type=float,
            default=60.0,
            help="Seconds a claim lasts before another worker may take it.",
        )
        parser.add_argument(
            "--until-idle", action="store_true", help="Exit when there is nothing left to do."
        )
        parser.add_argument("--max-seconds", type=float, default=None, help="Exit after this long.")
        parser.add_argument(
            "--no-periodic-jobs",
            action="store_true",
            help="Do not run the periodic jobs (SLA clocks, alarms, scores); another worker or cron does.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        worker = Worker(
            name=opts["name"],
            batch=opts["batch"],
            idle_sleep=opts["idle_sleep"],
            scan_every=opts["scan_every"],
            lease=opts["lease"],
            periodic_jobs=not opts["no_periodic_jobs"],
        )
        self.stdout.write(f"worker {worker.name} started")
        self.stdout.flush()
        totals = worker.run(until_idle=opts["until_idle"], max_seconds=opts["max_seconds"])
        self.stdout.write(
            f"worker {worker.name}: enrolled {totals.enrolled}, ran {totals.steps} steps, "
            f"emails {totals.emails or {}}, webhooks {totals.webhooks or {}}"
        )

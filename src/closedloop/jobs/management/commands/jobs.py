"""closedloop jobs run | status — the periodic jobs (SLA clocks, alarms, scores) that
`closedloop worker` runs on its own; `run` is for installations that schedule them with cron."""

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from closedloop.config.command_options import parse_now
from closedloop.jobs.models import JobRun
from closedloop.jobs.schedule import JOBS, jobs_run_due


class Command(BaseCommand):
    help = "Periodic jobs: `run` runs those that are due; `status` shows when each last ran."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["run", "status"])
        parser.add_argument("--now", help="pretend it is this ISO 8601 time")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "run":
            ran = jobs_run_due(now=parse_now(options.get("now")))  # type: ignore[arg-type]
            self.stdout.write(f"ran: {', '.join(ran) if ran else 'nothing was due'}")
        runs = {r.name: r for r in JobRun.objects.all()}
        for job in JOBS:
            run = runs.get(job.name)
            if run is None or run.last_started_at is None:
                self.stdout.write(f"{job.name:8} every {job.every}: never ran")
                continue
            state = "FAILED" if run.last_error else "ok"
            when = timezone.localtime(run.last_started_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"{job.name:8} every {job.every}: last {when} {state} {run.last_result}")

"""The periodic jobs `closedloop worker` runs besides workflows (docs/operations.md):

    sla      every 5 minutes  route ownerless sales-ready leads, settle and breach SLA clocks
    alarms   every hour       run the alarm detectors (seed 000: raised within the hour)
    scores   every day        recompute points scores (their event windows move with time)
    meetings every day        create the coming occurrences of each meeting series
    webhooks every minute     deliver (and retry) Slack and other outgoing webhooks of the feed
    retention every day       apply the personal-data retention settings (docs/privacy.md)

A job is claimed by moving its `last_started_at` forward in one UPDATE that matches only when the
previous run started at least one interval ago, so any number of workers, on SQLite or
PostgreSQL, run each job once per interval. A failing job records its error and is tried again
next interval; it never stops the worker."""

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from closedloop.jobs.models import JobRun

log = logging.getLogger(__name__)


def sla_job(now: datetime) -> str:
    from closedloop.sla.tick import sla_tick

    return str(sla_tick(now=now).summary())


def alarms_job(now: datetime) -> str:
    from closedloop.alarms.services import alarms_check

    return f"raised {len(alarms_check(now=now).raised)}"


def scores_job(now: datetime) -> str:
    from closedloop.scoring.points_service import contacts_rescore

    return str(contacts_rescore(now=now))


def meetings_schedule_job(now: datetime) -> str:
    from closedloop.meetings.models import MeetingSeries
    from closedloop.meetings.services.meetings import SCHEDULE_AHEAD, series_schedule

    until = timezone.localdate(now) + SCHEDULE_AHEAD
    created = sum(len(series_schedule(series=s, until=until)) for s in MeetingSeries.objects.all())
    return f"{created} occurrences scheduled up to {until}"


def webhooks_job(now: datetime) -> str:
    from closedloop.meetings.services.webhooks import webhooks_deliver_due

    return f"{webhooks_deliver_due(now=now)} webhook deliveries"


def retention_job(now: datetime) -> str:
    from closedloop.privacy.retention import retention_apply

    return str(retention_apply(now=now).as_dict())


def imports_job(now: datetime) -> str:
    from closedloop.imports.interrupted import import_jobs_fail_interrupted

    return f"{import_jobs_fail_interrupted(now=now)} interrupted imports marked failed"


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[datetime], str]


JOBS: tuple[Job, ...] = (
    Job("sla", timedelta(minutes=5), sla_job),
    Job("alarms", timedelta(hours=1), alarms_job),
    Job("scores", timedelta(days=1), scores_job),
    Job("meetings", timedelta(days=1), meetings_schedule_job),
    Job("webhooks", timedelta(minutes=1), webhooks_job),
    Job("retention", timedelta(days=1), retention_job),
    Job("imports", timedelta(minutes=10), imports_job),
)


def _claim(job: Job, now: datetime) -> bool:
    JobRun.objects.get_or_create(name=job.name)
    due = Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - job.every)
    return JobRun.objects.filter(due, name=job.name).update(last_started_at=now) == 1


def jobs_run_due(*, now: datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> list[str]:
    """Run every job whose interval has passed; returns the names of those that ran."""
    now = now or timezone.now()
    ran = []
    for job in jobs:
        if not _claim(job, now):
            continue
        started = time.perf_counter()
        result, error = "", ""
        try:
            result = job.run(now) or ""
        except Exception:
            error = traceback.format_exc(limit=5)
            log.exception("periodic job %s failed", job.name)
        JobRun.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(),
            last_seconds=time.perf_counter() - started,
            last_result=result[:500],
            last_error=error,
            runs=F("runs") + 1,
        )
        ran.append(job.name)
    return ran

"""Imports whose process died: their job row says "running" for ever unless someone notices.

An import writes in one transaction, so a killed process (kill -9, a server restart, a crash)
leaves nothing of its rows behind; only the job row, committed when the run started, is left
saying "running". Each running job records which process runs it; a job whose process is gone
is marked failed, with a message that says nothing was written."""

import os
import socket
from datetime import datetime, timedelta

from django.utils import timezone

from closedloop.imports.models import ImportJob

# A job run on another machine cannot be checked by its process id; after this long it is
# assumed dead (the largest imports take well under an hour, docs/benchmarks.md).
FOREIGN_RUNNER_TIMEOUT = timedelta(hours=12)
INTERRUPTED = "The import was interrupted (its process stopped) and nothing was written. Run it again."


def runner_here() -> str:
    """This process, as a job's options record it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _runner_gone(job: ImportJob, now: datetime) -> bool:
    host, _, pid = str(job.options.get("runner", "")).rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return int(pid) != os.getpid() and not _process_alive(int(pid))
    started = job.started_at or job.created_at
    return now - started > FOREIGN_RUNNER_TIMEOUT


def import_jobs_fail_interrupted(*, now: datetime | None = None) -> int:
    """Mark running jobs whose process is gone as failed; returns how many."""
    now = now or timezone.now()
    failed = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING):
        if _runner_gone(job, now):
            # Conditional, so a job that finished meanwhile keeps its real outcome.
            failed += ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
                status=ImportJob.Status.FAILED, error=INTERRUPTED, finished_at=now
            )
    return failed

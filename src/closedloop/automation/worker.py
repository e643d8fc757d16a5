"""The worker loop behind `closedloop worker`: scan triggers, run due timers, send the outbox.

Several workers may run at once on PostgreSQL; on SQLite one holds the scheduler lease and the
others wait for it (and take over within a lease period if it dies)."""

import contextlib
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone

from closedloop.automation.executor import timers_run_due
from closedloop.automation.leases import (
    SQLITE_SCHEDULER,
    named_lease_acquire,
    named_lease_release,
    needs_single_scheduler,
)
from closedloop.automation.mail import SmtpSession
from closedloop.automation.outbox import emails_send_due, handovers_expire, webhooks_send_due
from closedloop.automation.triggers import triggers_scan
from closedloop.jobs.schedule import jobs_run_due

log = logging.getLogger(__name__)


@dataclass
class WorkerTotals:
    enrolled: int = 0
    steps: int = 0
    emails: dict[str, int] = field(default_factory=dict)
    webhooks: dict[str, int] = field(default_factory=dict)


PERIODIC_JOBS_EVERY = 30.0  # seconds
# After a database error the worker waits 1, 2, 4… seconds (at most this) and tries again.
MAX_OUTAGE_BACKOFF = 30.0


class Worker:
    def __init__(
        self,
        *,
        name: str = "",
        batch: int = 200,
        idle_sleep: float = 1.0,
        scan_every: float = 2.0,
        lease: float = 60.0,
        periodic_jobs: bool = True,
    ) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.idle_sleep = idle_sleep
        self.scan_every = scan_every
        # How long a claim lasts: a killed worker's rows (and on SQLite its scheduler role) pass
        # to another worker after this. It must comfortably exceed one batch's work.
        self.lease = timedelta(seconds=lease)
        self.session = SmtpSession()
        self.totals = WorkerTotals()
        self._last_scan = 0.0
        # The SLA, alarm and score jobs (closedloop.jobs) ride along; looking for due ones twice a
        # minute is plenty for intervals of five minutes and more.
        self.periodic_jobs = periodic_jobs
        self._last_jobs = -PERIODIC_JOBS_EVERY
        self._stop = False

    def stop(self, *_: object) -> None:
        self._stop = True  # finish the batch in hand, then leave

    def run_once(self) -> int:
        """One round of every kind of work; returns how much was done (0: idle)."""
        now = timezone.now()
        if needs_single_scheduler() and not named_lease_acquire(
            name=SQLITE_SCHEDULER, holder=self.name, now=now, ttl=self.lease
        ):
            return 0
        done = 0
        if time.monotonic() - self._last_scan >= self.scan_every:
            self._last_scan = time.monotonic()
            enrolled = triggers_scan(now=now)
            self.totals.enrolled += enrolled
            done += enrolled
        if self.periodic_jobs and time.monotonic() - self._last_jobs >= PERIODIC_JOBS_EVERY:
            self._last_jobs = time.monotonic()
            done += len(jobs_run_due(now=now))
        handovers_expire(now=now)
        report = timers_run_due(now=timezone.now(), limit=self.batch, lease=self.lease)
        self.totals.steps += report.steps
        done += report.timers
        sent = emails_send_due(session=self.session, limit=self.batch, lease=self.lease)
        for kind, n in sent.outcomes.items():
            self.totals.emails[kind] = self.totals.emails.get(kind, 0) + n
        done += sent.claimed
        calls = webhooks_send_due(lease=self.lease)
        for kind, n in calls.outcomes.items():
            self.totals.webhooks[kind] = self.totals.webhooks.get(kind, 0) + n
        done += calls.claimed
        return done

    def run(self, *, until_idle: bool = False, max_seconds: float | None = None) -> WorkerTotals:
        previous: dict[int, object] = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread (tests): no handlers
                previous[sig] = signal.signal(sig, self._on_signal)
        started = time.monotonic()
        backoff = 0.0
        try:
            while not self._stop:
                close_old_connections()
                try:
                    done = self.run_once()
                except (OperationalError, InterfaceError) as exc:
                    # The database restarted or is unreachable: leased work passes back after its
                    # lease, so waiting and reconnecting loses nothing; exiting would stop all
                    # automation until someone restarts the worker.
                    backoff = min(MAX_OUTAGE_BACKOFF, backoff * 2 or 1.0)
                    log.warning("worker %s: database error (%s); retrying in %.0f s", self.name, exc, backoff)
                    connections.close_all()
                    time.sleep(backoff)
                    continue
                backoff = 0.0
                if max_seconds is not None and time.monotonic() - started >= max_seconds:
                    break
                if done == 0:
                    if until_idle:
                        break
                    time.sleep(self.idle_sleep)
        finally:
            self.session.close()
            if needs_single_scheduler():
                with contextlib.suppress(DatabaseError):  # the lease runs out by itself
                    named_lease_release(name=SQLITE_SCHEDULER, holder=self.name)
            for sig, handler in previous.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
        return self.totals

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.warning("worker %s: signal %s, stopping after this batch", self.name, signum)
        self.stop()

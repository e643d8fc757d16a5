"""The durable executor: runs due timers, moving each enrollment through its workflow.

A worker leases a batch of due timers (leases.py) and runs them in one transaction, each in its
own savepoint. Running a timer deletes it (only while the worker still holds its lease), runs
steps until the flow waits or ends, and writes the next timer — all in that transaction. A
worker killed at any point leaves either the old timer (the lease runs out and another worker
runs it) or the finished work and the new timer; never both, never neither."""

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from closedloop.automation.conditions import condition_holds
from closedloop.automation.leases import claim_due
from closedloop.automation.models import Enrollment, Timer, Workflow
from closedloop.automation.steps import RECHECK, Wait, run_step
from closedloop.automation.workflows import Flow, flow_parse

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
# Steps that need no waiting run back to back, but a runaway chain yields to other work.
MAX_CHAIN = 50
MAX_ATTEMPTS = 5


@dataclass
class RunReport:
    timers: int = 0
    steps: int = 0
    errors: int = 0


@functools.lru_cache(maxsize=256)
def _flow(workflow_id: int, version: int, definition_json: str) -> Flow:
    import json

    return flow_parse(json.loads(definition_json))


def workflow_flow(workflow: Workflow) -> Flow:
    import json

    return _flow(workflow.pk, workflow.version, json.dumps(workflow.definition, sort_keys=True))


def timers_run_due(*, now: datetime | None = None, limit: int = 200, lease: timedelta = LEASE) -> RunReport:
    now = now or timezone.now()
    report = RunReport()
    runnable = Timer.objects.filter(
        enrollment__status=Enrollment.Status.ACTIVE, enrollment__workflow__status=Workflow.Status.ACTIVE
    )
    token, ids = claim_due(runnable, now=now, limit=limit, lease=lease)
    if not ids:
        return report
    timers = (
        Timer.objects.filter(pk__in=ids, lease_token=token)
        .select_related("enrollment__workflow", "enrollment__contact__owner", "enrollment__contact__account")
        .order_by("due_at", "pk")
    )
    with transaction.atomic():
        for timer in timers:
            report.timers += 1
            try:
                with transaction.atomic():
                    report.steps += _run_timer(timer, token, now)
            except Exception as exc:  # one broken enrollment must not stop the others
                log.exception("timer %s of enrollment %s failed", timer.pk, timer.enrollment_id)
                report.errors += 1
                _timer_failed(timer, token, exc, now)
    return report


def _timer_failed(timer: Timer, token: str, exc: Exception, now: datetime) -> None:
    message = f"{type(exc).__name__}: {exc}"[:500]
    if timer.attempts >= MAX_ATTEMPTS:
        Timer.objects.filter(pk=timer.pk, lease_token=token).delete()
        _finish(timer.enrollment, Enrollment.Status.FAILED, f"step {timer.step_id}: {message}", now)
        return
    Timer.objects.filter(pk=timer.pk, lease_token=token).update(
        last_error=message, lease_until=None, due_at=now + timedelta(minutes=2**timer.attempts)
    )


def _run_timer(timer: Timer, token: str, now: datetime) -> int:
    # A plain DELETE (nothing refers to a timer), only while this worker holds the lease.
    deleted = Timer.objects.filter(pk=timer.pk, lease_token=token)._raw_delete(Timer.objects.db)
    if not deleted:
        return 0  # the lease ran out and another worker took the timer over
    enrollment = timer.enrollment
    flow = workflow_flow(enrollment.workflow)
    step = flow.steps.get(timer.step_id)
    if step is None:
        _finish(
            enrollment, Enrollment.Status.FAILED, f"step {timer.step_id!r} is no longer in the workflow", now
        )
        return 0
    resumed = timer.deadline if step.type == "wait" else None
    return advance(enrollment, flow, step.id, now, resumed_deadline=resumed)


def advance(
    enrollment: Enrollment,
    flow: Flow,
    step_id: str,
    now: datetime,
    *,
    resumed_deadline: datetime | None = None,
) -> int:
    """Run steps from `step_id` until the flow waits or ends; returns how many ran."""
    ran = 0
    while True:
        if flow.goal is not None and condition_holds(flow.goal, enrollment=enrollment, now=now):
            _finish(enrollment, Enrollment.Status.GOAL, "reached the goal", now, ran)
            return ran
        if ran >= MAX_CHAIN:
            Timer.objects.create(enrollment=enrollment, step_id=step_id, due_at=now)
            _save(enrollment, ran)
            return ran
        step = flow.steps[step_id]
        result = run_step(step, enrollment, now, resumed_deadline=resumed_deadline)
        resumed_deadline = None
        ran += 1
        enrollment.current_step = step.id
        if isinstance(result, Wait):
            due = result.due_at
            if flow.goal is not None:
                due = min(due, now + RECHECK)  # look at the goal while waiting, not only after
            Timer.objects.create(enrollment=enrollment, step_id=step.id, due_at=due, deadline=result.deadline)
            _save(enrollment, ran)
            return ran
        if result is None:
            _finish(enrollment, Enrollment.Status.COMPLETED, "", now, ran)
            return ran
        step_id = result


def _save(enrollment: Enrollment, ran: int) -> None:
    enrollment.steps_run += ran
    enrollment.save(update_fields=["current_step", "steps_run"])


def _finish(enrollment: Enrollment, status: str, reason: str, now: datetime, ran: int = 0) -> None:
    enrollment.status = status
    enrollment.finished_at = now
    enrollment.exit_reason = reason[:300]
    enrollment.steps_run += ran
    enrollment.save(update_fields=["status", "finished_at", "exit_reason", "current_step", "steps_run"])


def enrollments_wake(*, contact_id: int, now: datetime | None = None) -> int:
    """Something happened to this contact (an open, a click, a download): let its waiting
    enrollments look at their conditions and goals now instead of at their next check."""
    now = now or timezone.now()
    return (
        Timer.objects.filter(
            enrollment__contact_id=contact_id,
            enrollment__status=Enrollment.Status.ACTIVE,
            deadline__isnull=False,
        )
        .filter(due_at__gt=now)
        .update(due_at=now)
    )

"""Triggers: turning stage changes, events, segment joins and dates into enrollments.

Stage changes and events are written in bulk by the CRM, the stage engine and the ingest API
(no signals fire), so the worker reads them back: each active workflow keeps a cursor on its
source table and scans new rows. The scan starts a little before the cursor (OVERLAP rows)
because a transaction that took an id earlier may commit after a later one; the enrollment's
unique trigger key makes reading a row twice harmless."""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from closedloop.automation.models import Enrollment, SegmentMembership, Timer, Workflow
from closedloop.automation.workflows import Flow, parse_until
from closedloop.crm.models import Contact, StageTransition
from closedloop.tracking.models import Event

OVERLAP = 1000
SCAN_LIMIT = 5000


def _source(trigger: dict) -> tuple[object, str] | None:
    """The queryset a trigger reads (id, contact_id) from, and its key prefix."""
    kind = trigger["type"]
    if kind == "stage":
        return StageTransition.objects.filter(to_stage=trigger["stage"]), "st"
    if kind == "event":
        return Event.objects.filter(type=trigger["event"], contact__isnull=False), "ev"
    if kind == "segment":
        return SegmentMembership.objects.filter(segment__key=trigger["segment"]), "sm"
    return None


def trigger_cursor_now(trigger: dict) -> int:
    """Where a newly activated workflow starts reading: history before it does not enroll."""
    source = _source(trigger)
    if source is None:
        return 0
    model = source[0].model  # type: ignore[attr-defined]
    return model.objects.aggregate(top=Max("pk"))["top"] or 0


def existing_audience(trigger: dict) -> list[int]:
    kind = trigger["type"]
    if kind == "stage":
        return list(Contact.objects.filter(lifecycle_stage=trigger["stage"]).values_list("pk", flat=True))
    if kind == "segment":
        return list(
            SegmentMembership.objects.filter(segment__key=trigger["segment"]).values_list(
                "contact_id", flat=True
            )
        )
    return []


def enrollments_create(
    *, workflow: Workflow, flow: Flow, candidates: Iterable[tuple[int, str]], now: datetime
) -> int:
    """Enroll (contact id, trigger key) pairs, honouring the re-entry rule; returns how many."""
    by_key: dict[str, int] = {}
    for contact_id, key in candidates:
        by_key.setdefault(key, contact_id)
    if not by_key:
        return 0
    keys = list(by_key)
    used: set[str] = set()
    for start in range(0, len(keys), 900):
        used.update(
            Enrollment.objects.filter(
                workflow=workflow, trigger_key__in=keys[start : start + 900]
            ).values_list("trigger_key", flat=True)
        )
    contacts = {c for k, c in by_key.items() if k not in used}
    blocked = Enrollment.objects.filter(workflow=workflow)
    if flow.reentry == "after_exit":
        blocked = blocked.filter(status=Enrollment.Status.ACTIVE)
    taken: set[int] = set()
    ids = sorted(contacts)
    for start in range(0, len(ids), 900):
        taken.update(
            blocked.filter(contact_id__in=ids[start : start + 900]).values_list("contact_id", flat=True)
        )
    fresh: list[Enrollment] = []
    chosen: set[int] = set()
    for key, contact_id in by_key.items():
        if key in used or contact_id in taken or contact_id in chosen:
            continue
        chosen.add(contact_id)
        fresh.append(Enrollment(workflow=workflow, contact_id=contact_id, trigger_key=key, entered_at=now))
    if not fresh:
        return 0
    created = Enrollment.objects.bulk_create(fresh, batch_size=500)
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover - old SQLite
        created = list(
            Enrollment.objects.filter(workflow=workflow, trigger_key__in=[e.trigger_key for e in fresh])
        )
    Timer.objects.bulk_create(
        [Timer(enrollment_id=e.pk, step_id=flow.start, due_at=now) for e in created], batch_size=500
    )
    return len(created)


def triggers_scan(*, now: datetime | None = None) -> int:
    """Enroll whoever the active workflows' triggers caught since the last scan."""
    from closedloop.automation.executor import workflow_flow

    now = now or timezone.now()
    total = 0
    ids = list(
        Workflow.objects.filter(status=Workflow.Status.ACTIVE)
        .exclude(definition__trigger__type="manual")
        .values_list("pk", flat=True)
    )
    for workflow_id in ids:
        with transaction.atomic():
            # One scanner per workflow at a time; the others skip it rather than wait.
            locked = Workflow.objects.filter(pk=workflow_id, status=Workflow.Status.ACTIVE)
            if connection.features.has_select_for_update_skip_locked:
                locked = locked.select_for_update(skip_locked=True)
            workflow = locked.first()
            if workflow is None:
                continue
            flow = workflow_flow(workflow)
            total += _scan_one(workflow, flow, now)
    return total


def _scan_one(workflow: Workflow, flow: Flow, now: datetime) -> int:
    trigger = flow.trigger
    if trigger["type"] == "date":
        at = parse_until(trigger["at"])
        if workflow.date_fired_at is not None or not isinstance(at, datetime) or now < at:
            return 0
        audience = (
            {"type": "stage", "stage": trigger["stage"]}
            if "stage" in trigger
            else {
                "type": "segment",
                "segment": trigger["segment"],
            }
        )
        count = enrollments_create(
            workflow=workflow,
            flow=flow,
            candidates=((c, f"date:{c}") for c in existing_audience(audience)),
            now=now,
        )
        workflow.date_fired_at = now
        workflow.save(update_fields=["date_fired_at"])
        return count
    source = _source(trigger)
    if source is None:
        return 0
    queryset, prefix = source
    rows = list(
        queryset.filter(pk__gt=max(workflow.trigger_floor, workflow.trigger_cursor - OVERLAP))  # type: ignore[attr-defined]
        .order_by("pk")
        .values_list("pk", "contact_id")[:SCAN_LIMIT]
    )
    if not rows:
        return 0
    count = enrollments_create(
        workflow=workflow, flow=flow, candidates=((c, f"{prefix}:{pk}") for pk, c in rows), now=now
    )
    top = rows[-1][0]
    if top > workflow.trigger_cursor:
        workflow.trigger_cursor = top
        workflow.save(update_fields=["trigger_cursor"])
    return count

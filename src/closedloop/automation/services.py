"""Writes for marketing automation that people make: create, edit, activate, pause and archive
workflows, enroll contacts by hand, manage segments and rate limits. Each validates, runs in a
transaction and leaves an audit entry. (Consent writes live in consent.py.)"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.audit.services import audit_record
from closedloop.automation.models import (
    DomainRateLimit,
    Enrollment,
    Segment,
    SegmentMembership,
    Timer,
    Workflow,
)
from closedloop.automation.triggers import enrollments_create, existing_audience, trigger_cursor_now
from closedloop.automation.workflows import SEGMENT_KEY, InvalidDefinition, flow_parse
from closedloop.crm.models import Contact


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "a workflow needs a name"})
    if len(name) > 200:
        raise ValidationError({"name": "name is longer than 200 characters"})
    return name


@transaction.atomic
def workflow_create(*, name: str, definition: Any, by: User | None, description: str = "") -> Workflow:
    name = _check_name(name)
    flow_parse(definition)  # raises InvalidDefinition naming each bad step
    workflow = Workflow.objects.create(
        name=name, description=description, definition=definition, created_by=by
    )
    audit_record(
        actor=by, action="automation.workflow_create", obj=workflow, summary=f"created workflow {name}"
    )
    return workflow


@transaction.atomic
def workflow_update(
    *,
    workflow: Workflow,
    by: User | None,
    name: str | None = None,
    definition: Any = None,
    description: str | None = None,
) -> Workflow:
    """Edit a workflow. Contacts already in it continue from the step they are at, under the new
    definition; one whose step was removed stops with a clear reason."""
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if workflow.status == Workflow.Status.ARCHIVED:
        raise ValidationError({"status": "an archived workflow cannot be edited"})
    changes: dict[str, Any] = {}
    if name is not None and name != workflow.name:
        changes["name"] = [workflow.name, _check_name(name)]
        workflow.name = changes["name"][1]
    if description is not None and description != workflow.description:
        workflow.description = description
        changes["description"] = "changed"
    if definition is not None and definition != workflow.definition:
        old_trigger = (workflow.definition or {}).get("trigger")
        flow_parse(definition)
        workflow.definition = definition
        workflow.version += 1
        changes["version"] = workflow.version
        if workflow.status == Workflow.Status.ACTIVE and definition.get("trigger") != old_trigger:
            workflow.trigger_cursor = workflow.trigger_floor = trigger_cursor_now(definition["trigger"])
            workflow.date_fired_at = None
    if changes:
        workflow.save()
        audit_record(
            actor=by, action="automation.workflow_update", obj=workflow, summary=f"edited workflow {workflow.name}",
            changes=changes,
        )  # fmt: skip
    return workflow


@transaction.atomic
def workflow_activate(*, workflow: Workflow, by: User | None) -> int:
    """Start the workflow: from now on its trigger enrolls contacts. With "include_existing" on a
    stage or segment trigger, whoever is already there is enrolled now. Returns how many were."""
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if workflow.status == Workflow.Status.ARCHIVED:
        raise ValidationError({"status": "an archived workflow cannot be activated"})
    try:
        flow = flow_parse(workflow.definition)
    except InvalidDefinition as exc:
        raise ValidationError({"definition": str(exc)}) from exc
    if workflow.status == Workflow.Status.ACTIVE:
        return 0
    was_paused = workflow.status == Workflow.Status.PAUSED
    workflow.status = Workflow.Status.ACTIVE
    if not was_paused:
        workflow.trigger_cursor = workflow.trigger_floor = trigger_cursor_now(flow.trigger)
    workflow.save(update_fields=["status", "trigger_cursor", "trigger_floor", "updated_at"])
    enrolled = 0
    if flow.trigger.get("include_existing") and not was_paused:
        now = timezone.now()
        contacts = existing_audience(flow.trigger)
        enrolled = enrollments_create(
            workflow=workflow, flow=flow, candidates=((c, f"existing:{c}") for c in contacts), now=now
        )
    audit_record(
        actor=by, action="automation.workflow_activate", obj=workflow,
        summary=f"activated workflow {workflow.name}" + (f", enrolled {enrolled} existing contacts" if enrolled else ""),
    )  # fmt: skip
    return enrolled


@transaction.atomic
def workflow_pause(*, workflow: Workflow, by: User | None) -> Workflow:
    """Hold every contact where it is; timers that fall due meanwhile run after reactivation."""
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if workflow.status != Workflow.Status.ACTIVE:
        raise ValidationError(
            {"status": f"only an active workflow can be paused; this one is {workflow.status}"}
        )
    workflow.status = Workflow.Status.PAUSED
    workflow.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=by, action="automation.workflow_pause", obj=workflow, summary=f"paused workflow {workflow.name}"
    )
    return workflow


@transaction.atomic
def workflow_archive(*, workflow: Workflow, by: User | None) -> int:
    """Stop the workflow for good: contacts still in it leave it. Returns how many left."""
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    now = timezone.now()
    active = Enrollment.objects.filter(workflow=workflow, status=Enrollment.Status.ACTIVE)
    Timer.objects.filter(enrollment__in=active).delete()
    left = active.update(status=Enrollment.Status.CANCELLED, finished_at=now, exit_reason="workflow archived")
    workflow.status = Workflow.Status.ARCHIVED
    workflow.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=by, action="automation.workflow_archive", obj=workflow,
        summary=f"archived workflow {workflow.name}; {left} contacts left it",
    )  # fmt: skip
    return left


@transaction.atomic
def workflow_enroll(*, workflow: Workflow, contact_ids: Iterable[int], by: User | None) -> int:
    """Put contacts into an active workflow by hand (re-entry rules still apply)."""
    if workflow.status != Workflow.Status.ACTIVE:
        raise ValidationError({"status": "contacts can only be enrolled in an active workflow"})
    ids = sorted(set(contact_ids))
    found = set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({"contact_ids": f"no contact with id {missing[0]}"})
    from closedloop.automation.executor import workflow_flow

    now = timezone.now()
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    count = enrollments_create(
        workflow=workflow,
        flow=workflow_flow(workflow),
        candidates=((c, f"manual:{c}:{stamp}") for c in ids),
        now=now,
    )
    audit_record(
        actor=by,
        action="automation.workflow_enroll",
        obj=workflow,
        summary=f"enrolled {count} contacts by hand",
    )
    return count


@transaction.atomic
def segment_contacts_add(*, key: str, contact_ids: Iterable[int], by: User | None, name: str = "") -> int:
    if not SEGMENT_KEY.match(key or ""):
        raise ValidationError({"segment": "segment key must be lower-case letters, digits, _ or -"})
    segment, _ = Segment.objects.get_or_create(key=key, defaults={"name": name or key})
    ids = sorted(set(contact_ids))
    have = set(
        SegmentMembership.objects.filter(segment=segment, contact_id__in=ids).values_list(
            "contact_id", flat=True
        )
    )
    now = timezone.now()
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=segment, contact_id=c, added_at=now) for c in ids if c not in have]
    )
    added = len([c for c in ids if c not in have])
    audit_record(
        actor=by, action="automation.segment_add", obj=segment, summary=f"added {added} contacts to {key}"
    )
    return added


@transaction.atomic
def domain_rate_limit_set(*, domain: str, per_minute: int | None, by: User | None) -> DomainRateLimit | None:
    """Limit emails a minute to one recipient domain ("*": every other domain); None removes it."""
    domain = domain.strip().lower()
    if not domain or (domain != "*" and "." not in domain):
        raise ValidationError({"domain": 'domain must be like "gmail.com", or "*" for all others'})
    if per_minute is not None and per_minute < 1:
        raise ValidationError({"per_minute": "per_minute must be at least 1"})
    existing = DomainRateLimit.objects.filter(domain=domain).first()
    if per_minute is None:
        if existing is not None:
            audit_record(
                actor=by, action="automation.rate_limit", obj=existing, summary=f"no rate limit for {domain}"
            )
            existing.delete()
        return None
    limit, _ = DomainRateLimit.objects.update_or_create(domain=domain, defaults={"per_minute": per_minute})
    audit_record(
        actor=by,
        action="automation.rate_limit",
        obj=limit,
        summary=f"at most {per_minute} emails a minute to {domain}",
    )
    return limit

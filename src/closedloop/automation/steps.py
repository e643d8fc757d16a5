"""What each step type does to one enrollment. Every runner only writes rows (the email and the
webhook call go to the outbox), so a step and the enrollment's move past it commit together or
not at all; the executor owns the transaction.

A runner returns the id of the next step, None when the workflow ends, or a Wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.automation import links
from closedloop.automation.conditions import condition_holds
from closedloop.automation.consent import email_block_reason, normalize_address
from closedloop.automation.mail import new_message_id
from closedloop.automation.models import (
    Enrollment,
    OutboundEmail,
    OutboundWebhook,
    OutboxStatus,
    Segment,
    SegmentMembership,
)
from closedloop.automation.templating import contact_context, render_email, render_text
from closedloop.automation.workflows import Step, parse_duration, parse_until
from closedloop.crm.services import contact_change_stage, contact_upsert
from closedloop.notifications.services import notify

# Stage changes made by a workflow are recorded with this cause (see the report on StageTransition).
STAGE_CAUSE = "automation"
DEFAULT_TOPIC = "marketing"
# A "wait … or until" looks at its condition at least this often even if nothing wakes it.
RECHECK = timedelta(hours=1)


@dataclass(frozen=True)
class Wait:
    due_at: datetime
    deadline: datetime | None


def message_key(enrollment: Enrollment, step_id: str) -> str:
    return f"wf{enrollment.workflow_id}:en{enrollment.pk}:{step_id}"


def run_step(step: Step, enrollment: Enrollment, now: datetime, *, resumed_deadline: datetime | None) -> Any:
    return RUNNERS[step.type](step, enrollment, now, resumed_deadline)


def _send_email(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    contact = enrollment.contact
    key = message_key(enrollment, step.id)
    topic = step.spec.get("topic", DEFAULT_TOPIC)
    if not contact.email:
        return step.next  # nothing to send to; the flow goes on
    reason = email_block_reason(contact_id=contact.pk, email=contact.email, topic=topic)
    address = normalize_address(contact.email)
    rendered = render_email(
        subject=step.spec["subject"],
        text=step.spec["text"],
        html=step.spec.get("html", ""),
        context=contact_context(contact),
        link=lambda url: links.click_url(key, url),
        download=lambda asset, url: links.download_url(key, asset, url),
        unsubscribe_url=links.unsubscribe_url(key, contact.pk, topic),
    )
    OutboundEmail.objects.create(
        idempotency_key=key,
        workflow_id=enrollment.workflow_id,
        enrollment=enrollment,
        step_id=step.id,
        contact_id=contact.pk,
        to_email=address,
        domain=address.rpartition("@")[2],
        topic=topic,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        message_id=new_message_id(),
        # A blocked message is kept as a record of the decision, and never sent.
        status=OutboxStatus.SUPPRESSED if reason else OutboxStatus.QUEUED,
        smtp_response=reason,
        due_at=now,
        created_at=now,
    )
    return step.next


def _wait(step: Step, enrollment: Enrollment, now: datetime, resumed_deadline: datetime | None) -> Any:
    if resumed_deadline is None:
        deadline = _deadline(step.spec, now)
        if deadline <= now:
            return step.next
        if "or_until" in step.spec:
            if condition_holds(step.spec["or_until"], enrollment=enrollment, now=now):
                return step.next
            return Wait(min(deadline, now + RECHECK), deadline)
        return Wait(deadline, deadline)
    if now >= resumed_deadline:
        return step.next
    if "or_until" in step.spec and condition_holds(step.spec["or_until"], enrollment=enrollment, now=now):
        return step.next
    return Wait(min(resumed_deadline, now + RECHECK), resumed_deadline)


def _deadline(spec: dict[str, Any], now: datetime) -> datetime:
    if "duration" in spec:
        duration = parse_duration(spec["duration"])
        assert duration is not None  # checked when the workflow was saved
        return now + duration
    until = parse_until(spec["until"])
    if isinstance(until, datetime):
        return until
    assert until is not None
    local = timezone.localtime(now)
    moment = local.replace(hour=until.hour, minute=until.minute, second=0, microsecond=0)
    return moment if moment > local else moment + timedelta(days=1)


def _branch(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    then, otherwise = step.branches
    return then if condition_holds(step.spec["condition"], enrollment=enrollment, now=now) else otherwise


def _update_stage(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    contact_change_stage(
        contact=enrollment.contact,
        to_stage=step.spec["stage"],
        cause=STAGE_CAUSE,
        at=now,
        detail=f"workflow {enrollment.workflow.name!r}, step {step.id}"[:500],
    )
    return step.next


def _update_field(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    contact = enrollment.contact
    field_name, value = step.spec["field"], step.spec["value"]
    if not contact.email:
        return step.next  # the CRM updates contacts by email; one without cannot be changed here
    if field_name.startswith("properties."):
        contact_upsert(email=contact.email, fields={}, properties={field_name.split(".", 1)[1]: value})
    else:
        contact_upsert(email=contact.email, fields={field_name: str(value)})
    return step.next


def _add_to_segment(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    SegmentMembership.objects.bulk_create(
        [
            SegmentMembership(
                segment_id=_segment_id(step.spec["segment"]), contact_id=enrollment.contact_id, added_at=now
            )
        ],
        ignore_conflicts=True,  # already a member: nothing to do
    )
    return step.next


def _remove_from_segment(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    SegmentMembership.objects.filter(
        segment_id=_segment_id(step.spec["segment"]), contact_id=enrollment.contact_id
    )._raw_delete(SegmentMembership.objects.db)  # nothing refers to a membership: no cascade to run
    return step.next


def _segment_id(key: str) -> int:
    segment_id = Segment.objects.filter(key=key).values_list("pk", flat=True).first()
    if segment_id is None:
        segment_id = Segment.objects.get_or_create(key=key, defaults={"name": key})[0].pk
    return segment_id


def _notify(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    contact = enrollment.contact
    context = contact_context(contact)
    title = " ".join(render_text(step.spec["title"], context).split())
    body = render_text(step.spec.get("body", ""), context)
    notify(
        notify_recipients(step.spec["to"], contact),
        kind="automation",
        title=title,
        body=body,
        link=f"/contacts/{contact.pk}/",
        dedupe_key=message_key(enrollment, step.id),
    )
    return step.next


def notify_recipients(to: str | list[str], contact: Any) -> list[User]:
    users: list[User] = []
    for who in [to] if isinstance(to, str) else to:
        if who == "owner":
            if contact.owner is not None:
                users.append(contact.owner)
            continue
        kind, _, name = who.partition(":")
        active = User.objects.filter(is_active=True).order_by("pk")
        if kind == "team":
            users.extend(active.filter(team__name__iexact=name) | active.filter(team__kind=name.lower()))
        elif kind == "role":
            users.extend(active.filter(role=name))
        elif kind == "user":
            users.extend(active.filter(username=name))
    return users


def _webhook(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> str | None:
    contact = enrollment.contact
    OutboundWebhook.objects.create(
        idempotency_key=message_key(enrollment, step.id),
        workflow_id=enrollment.workflow_id,
        enrollment=enrollment,
        step_id=step.id,
        url=step.spec["url"],
        payload={
            "workflow": {"id": enrollment.workflow_id, "name": enrollment.workflow.name},
            "step": step.id,
            "contact": {
                "id": contact.pk,
                "email": contact.email or "",
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "lifecycle_stage": contact.lifecycle_stage,
            },
            "at": now.isoformat(),
        },
        due_at=now,
        created_at=now,
    )
    return step.next


def _end(step: Step, enrollment: Enrollment, now: datetime, _: Any) -> None:
    return None


RUNNERS = {
    "send_email": _send_email,
    "wait": _wait,
    "branch": _branch,
    "update_stage": _update_stage,
    "update_field": _update_field,
    "add_to_segment": _add_to_segment,
    "remove_from_segment": _remove_from_segment,
    "notify": _notify,
    "webhook": _webhook,
    "end": _end,
}

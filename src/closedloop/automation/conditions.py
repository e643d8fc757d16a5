"""Evaluating a workflow condition (branch, goal, "wait … or until") for one enrollment.

Opened and clicked are about this workflow's own emails to this contact (seed 003: "remind those
who did not open" means did not open *that* email); downloaded, visited and rule expressions
look at everything the contact did, through the tracking events and the rules language."""

from datetime import datetime, timedelta
from typing import Any

from closedloop.agreement.stage_facts import contact_facts
from closedloop.automation.models import Enrollment, OutboundEmail
from closedloop.rules import parse
from closedloop.tracking.models import Event, EventType


def condition_holds(condition: dict[str, Any], *, enrollment: Enrollment, now: datetime) -> bool:
    kind = next(k for k in condition if k != "days")
    value = condition[kind]
    if kind == "not":
        return not condition_holds(value, enrollment=enrollment, now=now)
    if kind == "all":
        return all(condition_holds(part, enrollment=enrollment, now=now) for part in value)
    if kind == "any":
        return any(condition_holds(part, enrollment=enrollment, now=now) for part in value)
    if kind in ("opened", "clicked"):
        steps = [value] if isinstance(value, str) else list(value)
        return (
            OutboundEmail.objects.filter(enrollment=enrollment, step_id__in=steps)
            .filter(**{f"{kind}_at__isnull": False})
            .exists()
        )
    if kind == "downloaded":
        return Event.objects.filter(
            contact_id=enrollment.contact_id, type=EventType.CONTENT_DOWNLOAD, properties__asset=value
        ).exists()
    if kind == "visited":
        since = now - timedelta(days=int(condition.get("days", 30)))
        return Event.objects.filter(
            contact_id=enrollment.contact_id, type=EventType.PAGE_VIEW, url__contains=value, ts__gte=since
        ).exists()
    if kind == "rule":
        rule = parse(value)
        facts = contact_facts(variables=rule.variables, now=now, contact_ids=[enrollment.contact_id])
        return rule.evaluate(facts.get(enrollment.contact_id, {}))
    raise ValueError(f"unknown condition {kind!r}")

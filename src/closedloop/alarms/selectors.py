"""Reads: alarms as a user may see them. Internal users see every alarm; an agency partner sees only
the alarms of the campaigns its team runs (DESIGN §3.12), never the company-wide ones."""

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from closedloop.accounts.models import User
from closedloop.alarms.models import ACTIVE_STATUSES, Alarm, AlarmStatus, Severity
from closedloop.insights.selectors import campaigns_visible_to

# The filter value that means "open or acknowledged".
ACTIVE = "active"
# Totals of the other campaigns of a channel: an agency sees the benchmark rate in the message,
# not the volumes of campaigns it does not run.
PARTNER_HIDDEN_STEP_FIELDS = ("baseline_clicks", "baseline_outcomes")


def alarms_visible_to(*, user: User) -> QuerySet[Alarm]:
    qs = Alarm.objects.all()
    scope = campaigns_visible_to(user=user)
    if scope is not None:
        qs = qs.filter(campaign_id__in=scope)
    return qs


def alarm_list(
    *, user: User, status: str = "", kind: str = "", campaign_id: int | None = None
) -> QuerySet[Alarm]:
    """Open first, then acknowledged, then resolved; the most severe and most recent first."""
    qs = alarms_visible_to(user=user)
    if status == ACTIVE:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    status_order = Case(
        When(status=AlarmStatus.OPEN, then=Value(0)),
        When(status=AlarmStatus.ACKNOWLEDGED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    severity_order = Case(
        When(severity=Severity.CRITICAL, then=Value(0)),
        When(severity=Severity.WARNING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        qs.select_related("campaign", "landing_page", "acknowledged_by")
        .annotate(status_order=status_order, severity_order=severity_order)
        .order_by("status_order", "severity_order", "-last_seen_at", "-id")
    )


def alarm_get(*, user: User, alarm_id: int) -> Alarm | None:
    return alarms_visible_to(user=user).select_related("campaign", "landing_page").filter(pk=alarm_id).first()


def alarm_open_count(*, user: User) -> int:
    """Open (not yet acknowledged) alarms: the number in the navigation."""
    return alarms_visible_to(user=user).filter(status=AlarmStatus.OPEN).count()


def alarm_evidence_for(*, user: User, alarm: Alarm) -> dict[str, Any]:
    """The evidence as `user` may see it."""
    evidence = alarm.evidence if isinstance(alarm.evidence, dict) else {}
    if campaigns_visible_to(user=user) is None or "steps" not in evidence:
        return evidence
    steps = [
        {k: v for k, v in step.items() if k not in PARTNER_HIDDEN_STEP_FIELDS} for step in evidence["steps"]
    ]
    return {**evidence, "steps": steps}

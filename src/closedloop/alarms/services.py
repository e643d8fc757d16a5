"""Writes: run the detectors and keep one alarm per problem, acknowledge an alarm, and let sales
mark a landing page reviewed (which clears seed 000's "sales never saw the page" alarm)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.alarms.detectors import Finding, detect_all
from closedloop.alarms.models import ACTIVE_STATUSES, SEVERITY_RANK, Alarm, AlarmKind, AlarmStatus
from closedloop.audit.services import audit_record
from closedloop.tracking.models import LandingPage


@dataclass
class CheckResult:
    now: datetime
    raised: list[Alarm] = field(default_factory=list)
    updated: list[Alarm] = field(default_factory=list)
    resolved: list[Alarm] = field(default_factory=list)


def _apply(alarm: Alarm, finding: Finding, *, now: datetime) -> None:
    # A worse alarm than the one someone acknowledged needs a fresh look.
    if (
        alarm.status == AlarmStatus.ACKNOWLEDGED
        and SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alarm.severity]
    ):
        alarm.status = AlarmStatus.OPEN
    alarm.severity = finding.severity
    alarm.title = finding.title[:255]
    alarm.message = finding.message
    alarm.evidence = finding.evidence
    alarm.campaign_id = finding.campaign_id
    alarm.landing_page_id = finding.landing_page_id
    alarm.stage_pair = finding.stage_pair
    alarm.last_seen_at = now


def _raise(finding: Finding, *, now: datetime) -> Alarm:
    alarm = Alarm(kind=finding.kind, subject_key=finding.subject_key, first_raised_at=now)
    _apply(alarm, finding, now=now)
    alarm.save()
    return alarm


def alarms_check(*, now: datetime | None = None, kinds: list[str] | None = None) -> CheckResult:
    """Run the detectors as of `now` (default: the current time) and reconcile the alarms: raise
    new ones, update active ones (no duplicates, however often it runs), resolve those whose
    condition has cleared. Meant to run at least hourly (docs/alarms.md)."""
    now = now or timezone.now()
    result = CheckResult(now=now)
    for kind, findings in detect_all(now=now, kinds=kinds).items():
        with transaction.atomic():
            active = {
                a.subject_key: a
                for a in Alarm.objects.select_for_update().filter(kind=kind, status__in=ACTIVE_STATUSES)
            }
            for finding in findings:
                alarm = active.pop(finding.subject_key, None)
                if alarm is not None:
                    _apply(alarm, finding, now=now)
                    alarm.save()
                    result.updated.append(alarm)
                elif finding.raises:
                    try:
                        with transaction.atomic():
                            result.raised.append(_raise(finding, now=now))
                    except IntegrityError:
                        # A concurrent check raised it a moment ago: update that one instead.
                        alarm = Alarm.objects.get(
                            kind=kind, subject_key=finding.subject_key, status__in=ACTIVE_STATUSES
                        )
                        _apply(alarm, finding, now=now)
                        alarm.save()
                        result.updated.append(alarm)
            for alarm in active.values():
                _resolve(alarm, now=now, resolution="The condition cleared.")
                result.resolved.append(alarm)
    return result


def _resolve(alarm: Alarm, *, now: datetime, resolution: str) -> None:
    alarm.status = AlarmStatus.RESOLVED
    alarm.resolved_at = now
    alarm.resolution = resolution[:255]
    alarm.save(update_fields=["status", "resolved_at", "resolution"])


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, by: User, now: datetime | None = None) -> Alarm:
    """Someone is on it. The alarm stays active, and resolves by itself when the condition clears."""
    if not by.has_role(Permission.ACK_ALARMS):
        raise PermissionDenied("your role may not acknowledge alarms")
    alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
    if alarm.status == AlarmStatus.RESOLVED:
        raise ValidationError({"status": "this alarm is already resolved"})
    if alarm.status == AlarmStatus.ACKNOWLEDGED:
        return alarm  # a retried click or request changes nothing
    now = now or timezone.now()
    alarm.status = AlarmStatus.ACKNOWLEDGED
    alarm.acknowledged_by = by
    alarm.acknowledged_at = now
    alarm.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(
        actor=by,
        action="alarm.acknowledge",
        obj=alarm,
        summary=f"Acknowledged alarm “{alarm.title}”",
        changes={"status": [AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED]},
        at=now,
    )
    return alarm


@transaction.atomic
def landing_page_review(*, landing_page: LandingPage, by: User, now: datetime | None = None) -> LandingPage:
    """A sales user has read the landing page: record it, and resolve the alarms that said they had
    not. (This writes a tracking model; it lives here until tracking has services of its own.)"""
    if not by.has_role(Permission.REVIEW_LANDING_PAGES):
        raise PermissionDenied("only sales may mark a landing page reviewed by sales")
    page = LandingPage.objects.select_for_update().get(pk=landing_page.pk)
    now = now or timezone.now()
    if page.reviewed_by_sales_at is None:
        page.reviewed_by_sales_at = now
        page.save(update_fields=["reviewed_by_sales_at"])
        audit_record(
            actor=by,
            action="landing_page.review",
            obj=page,
            summary=f"Marked landing page {page.url} reviewed by sales",
            changes={"reviewed_by_sales_at": [None, now]},
            at=now,
        )
    for alarm in Alarm.objects.select_for_update().filter(
        kind=AlarmKind.LANDING_PAGE_UNREVIEWED, landing_page=page, status__in=ACTIVE_STATUSES
    ):
        _resolve(alarm, now=now, resolution=f"Landing page reviewed by {by.display_name}.")
    return page

"""Applying the retention settings: old events deleted, old email bodies cleared, long-inactive
contacts erased. Runs daily from the worker (jobs/schedule.py) and from `closedloop privacy
retention`; work is done in batches so one run never holds a long lock on the events table."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from closedloop.audit.services import audit_record
from closedloop.automation.models import OutboundEmail, OutboxStatus
from closedloop.crm.models import Contact, Deal
from closedloop.privacy.models import ErasureRecord
from closedloop.privacy.selectors import retention_policy_get
from closedloop.privacy.services import contact_erase
from closedloop.tracking.models import Event

BATCH = 1000
# Erasing a contact touches every table; cap one run so the daily job stays short.
MAX_CONTACTS_PER_RUN = 500
# Emails still on their way keep their body: the sender needs it.
_UNSENT = (OutboxStatus.QUEUED, OutboxStatus.HANDING_OVER)


@dataclass
class RetentionResult:
    events_deleted: int = 0
    anonymous_events_deleted: int = 0
    email_bodies_cleared: int = 0
    contacts_erased: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


def _delete_in_batches(qs: QuerySet[Any], dry_run: bool) -> int:
    if dry_run:
        return qs.count()
    done = 0
    while True:
        ids = list(qs.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return done
        with transaction.atomic():
            done += qs.model._default_manager.filter(pk__in=ids).delete()[0]


def _clear_bodies(qs: QuerySet[OutboundEmail], dry_run: bool) -> int:
    if dry_run:
        return qs.count()
    done = 0
    while True:
        ids = list(qs.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return done
        done += OutboundEmail.objects.filter(pk__in=ids).update(text_body="", html_body="")


def inactive_contacts(*, cutoff: datetime, active_since: datetime | None = None) -> QuerySet[Contact]:
    """Contacts not erased yet, created before `cutoff`, with no activity since `cutoff` and no
    touchpoint since `active_since` (default: `cutoff`), and with no open deal (a deal in progress
    is a reason to keep the person)."""
    active_since = active_since or cutoff
    open_deals = Deal.objects.exclude(stage__in=[Deal.DealStage.WON, Deal.DealStage.LOST]).filter(
        contact__isnull=False
    )
    return (
        Contact.objects.filter(created_at__lt=cutoff)
        .exclude(pk__in=ErasureRecord.objects.filter(contact__isnull=False).values("contact_id"))
        .exclude(
            pk__in=Event.objects.filter(ts__gte=active_since, contact__isnull=False).values("contact_id")
        )
        .exclude(activities__at__gte=cutoff)
        .exclude(pk__in=open_deals.values("contact_id"))
        .order_by("pk")
    )


def retention_apply(*, now: datetime | None = None, dry_run: bool = False) -> RetentionResult:
    """Apply the retention settings as of `now`; with dry_run, only count what would change."""
    now = now or timezone.now()
    policy = retention_policy_get()
    result = RetentionResult()
    event_cutoff = now - timedelta(days=policy.event_days) if policy.event_days else None
    if event_cutoff:
        result.events_deleted = _delete_in_batches(Event.objects.filter(ts__lt=event_cutoff), dry_run)
    if policy.anonymous_event_days:
        cutoff = now - timedelta(days=policy.anonymous_event_days)
        anonymous = Event.objects.filter(ts__lt=cutoff, contact__isnull=True)
        if event_cutoff:
            # Older ones went with the rule above (or will, in a dry run): count each event once.
            anonymous = anonymous.filter(ts__gte=event_cutoff)
        result.anonymous_events_deleted = _delete_in_batches(anonymous, dry_run)
    if policy.email_body_days:
        cutoff = now - timedelta(days=policy.email_body_days)
        old = (
            OutboundEmail.objects.filter(created_at__lt=cutoff)
            .exclude(status__in=_UNSENT)
            .exclude(Q(text_body="") & Q(html_body=""))
        )
        result.email_bodies_cleared = _clear_bodies(old, dry_run)
    if policy.inactive_contact_months:
        cutoff = now - relativedelta(months=policy.inactive_contact_months)
        # Events older than the event rule's cutoff are gone (or would be): they show no activity.
        since = max(cutoff, event_cutoff) if event_cutoff else cutoff
        candidates = inactive_contacts(cutoff=cutoff, active_since=since)
        ids = list(candidates.values_list("pk", flat=True)[:MAX_CONTACTS_PER_RUN])
        if dry_run:
            result.contacts_erased = len(ids)
        else:
            for contact in Contact.objects.filter(pk__in=ids).order_by("pk"):
                contact_erase(contact, by=None, reason=ErasureRecord.Reason.RETENTION, now=now)
                result.contacts_erased += 1
    if not dry_run and result.total:
        audit_record(
            actor=None,
            action="privacy.retention",
            obj=policy,
            summary=", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.as_dict().items() if v),
            changes=result.as_dict(),
            at=now,
        )
    return result

"""Claiming due rows for one worker: `SELECT … FOR UPDATE SKIP LOCKED` and a lease on
PostgreSQL, so several workers share the queue without waiting on each other; on SQLite, which
has no row locks, one worker at a time holds the scheduler lease and claims alone.

A claim stamps the rows with a fresh token. Whoever finishes a row must still hold that token
(the write that completes it says `WHERE lease_token = …`), so a worker that stalled past its
lease and lost the row to another cannot complete it as well."""

import uuid
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import F, Q

from closedloop.automation.models import WorkerLease

SQLITE_SCHEDULER = "sqlite-scheduler"


def new_token() -> str:
    return uuid.uuid4().hex


def claim_due(
    queryset: models.QuerySet, *, now: datetime, limit: int, lease: timedelta
) -> tuple[str, list[int]]:
    """Lease up to `limit` rows of `queryset` that are due and not leased; returns (token, ids)."""
    token = new_token()
    model = queryset.model
    with transaction.atomic():
        due = (
            queryset.filter(due_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("due_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            model.objects.filter(pk__in=ids).update(
                lease_token=token, lease_until=now + lease, attempts=F("attempts") + 1
            )
    return token, ids


def needs_single_scheduler() -> bool:
    return not connection.features.has_select_for_update_skip_locked


def named_lease_acquire(*, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the named lease for `holder`; False while someone else holds it."""
    with transaction.atomic():
        WorkerLease.objects.get_or_create(name=name)
        taken = (
            WorkerLease.objects.filter(name=name)
            .filter(Q(holder=holder) | Q(expires_at__isnull=True) | Q(expires_at__lt=now))
            .update(holder=holder, expires_at=now + ttl)
        )
    return taken == 1


def named_lease_release(*, name: str, holder: str) -> None:
    WorkerLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None)

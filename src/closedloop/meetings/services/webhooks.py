"""Outgoing Slack-compatible webhooks: a JSON body `{"text": ..., "event": ..., "data": ...}` posted to
each configured target that wants the event, signed with HMAC-SHA256 when the target has a secret,
retried with exponential back-off, every attempt kept in the delivery log.

Deliveries are queued inside the caller's transaction and first tried right after it commits; a
failed one waits for `closedloop meetings deliver` (run it every minute) to retry it."""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.audit.services import audit_record
from closedloop.meetings.access import require
from closedloop.meetings.models import DeliveryStatus, WebhookDelivery, WebhookTarget

log = logging.getLogger(__name__)

EVENTS = ("win", "action_item", "meeting_pack", "feedback")
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)
TIMEOUT_SECONDS = 5
SIGNATURE_HEADER = "X-Closedloop-Signature"


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, 8 min after the 1st … 5th failure."""
    return FIRST_RETRY * (2 ** (attempts - 1))


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@transaction.atomic
def webhook_target_create(
    *, name: str, url: str, events: str = "", secret: str = "", by: User
) -> WebhookTarget:
    require(by, Permission.MANAGE_GOALS, "configure webhooks")
    if not name.strip():
        raise ValidationError({"name": "is required"})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": "must be an http or https URL"}) from None
    unknown = {e.strip() for e in events.split(",") if e.strip()} - set(EVENTS)
    if unknown:
        raise ValidationError(
            {"events": f"unknown event(s) {', '.join(sorted(unknown))}; use {', '.join(EVENTS)}"}
        )
    target = WebhookTarget.objects.create(name=name.strip(), url=url, events=events, secret=secret)
    audit_record(actor=by, action="webhook.create", obj=target, summary=f"Added webhook {target.name}")
    return target


def webhook_emit(*, event: str, text: str, data: dict[str, Any] | None = None) -> list[WebhookDelivery]:
    """Queue `event` for every active target that wants it; tried once the transaction commits."""
    payload = json.loads(
        json.dumps({"text": text, "event": event, "data": data or {}}, cls=DjangoJSONEncoder)
    )
    now = timezone.now()
    deliveries = [
        WebhookDelivery.objects.create(target=t, event=event, payload=payload, next_attempt_at=now)
        for t in WebhookTarget.objects.filter(active=True)
        if t.wants(event)
    ]
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: webhooks_deliver_due(ids=ids))
    return deliveries


def _attempt(delivery: WebhookDelivery, now: datetime) -> None:
    body = json.dumps(delivery.payload).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "closedloop-webhooks"}
    if delivery.target.secret:
        headers[SIGNATURE_HEADER] = signature(delivery.target.secret, body)
    request = urllib.request.Request(delivery.target.url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only, checked on create)
    delivery.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only)
            delivery.last_status_code = response.status
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
    except urllib.error.HTTPError as exc:
        delivery.last_status_code = exc.code
        delivery.last_error = f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        delivery.last_error = str(exc)[:300]
    if delivery.status != DeliveryStatus.DELIVERED:
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save()


def webhooks_deliver_due(*, now: datetime | None = None, ids: list[int] | None = None) -> int:
    """Try every pending delivery that is due; returns how many were delivered."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    delivered = 0
    for delivery in due.select_related("target").order_by("id"):
        _attempt(delivery, now)
        delivered += delivery.status == DeliveryStatus.DELIVERED
    return delivered

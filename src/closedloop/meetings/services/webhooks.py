"""Outgoing Slack-compatible webhooks: a JSON body `{"text": ..., "event": ..., "data": ...}` posted to
each configured target that wants the event, signed with HMAC-SHA256 when the target has a secret,
retried with exponential back-off, every attempt kept in the delivery log.

Deliveries are queued inside the caller's transaction and first tried right after it commits; a
failed one waits for `closedloop meetings deliver` (run it every minute) to retry it.

Targets pass the same SSRF guard as workflow webhooks (closedloop.automation.webhooks): a URL whose
host resolves to a loopback, private, link-local or otherwise non-public address is refused when the
target is saved and again at each attempt, and the request goes to the address that was checked, so
a DNS answer that changes in between cannot redirect it. Redirects are not followed for the same
reason. `CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE` lifts the guard for receivers on the local network."""

import hashlib
import hmac
import http.client
import json
import logging
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

# The pinned connections are automation's own; sharing them keeps one SSRF guard for every
# outgoing webhook instead of two that could drift apart.
from closedloop.automation.webhooks import WebhookRefused, pinned_connection, webhook_target
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
    try:
        webhook_target(url)
    except WebhookRefused as exc:
        raise ValidationError({"url": f"is refused: {exc}"}) from None
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


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to the checked, pinned address; returns the HTTP status (redirects are not followed)."""
    target = webhook_target(url)
    conn = pinned_connection(target)
    conn.timeout = TIMEOUT_SECONDS
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(4096)
        return response.status
    finally:
        conn.close()


def _attempt(delivery: WebhookDelivery, now: datetime) -> None:
    body = json.dumps(delivery.payload).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "closedloop-webhooks"}
    if delivery.target.secret:
        headers[SIGNATURE_HEADER] = signature(delivery.target.secret, body)
    delivery.attempts += 1
    try:
        status = _post(delivery.target.url, body, headers)
    except WebhookRefused as exc:
        delivery.last_error = f"refused: {exc}"[:300]
    except (OSError, http.client.HTTPException, ValueError) as exc:
        delivery.last_error = str(exc)[:300]
    else:
        delivery.last_status_code = status
        if 200 <= status < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
        else:
            delivery.last_error = f"HTTP {status}"
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

"""Recording what recipients do with an email: opens, clicks and content downloads become
tracking events on the contact (through the ingest service, so the stage engine sees them too)
and wake the contact's waiting workflows."""

import hashlib

from django.db import transaction
from django.utils import timezone

from closedloop.automation.executor import enrollments_wake
from closedloop.automation.links import LinkData
from closedloop.automation.models import OutboundEmail
from closedloop.tracking.ingest import EventInput, events_ingest
from closedloop.tracking.models import EventType

_FIELD = {"open": "opened_at", "click": "clicked_at", "download": "downloaded_at"}
_EVENT = {
    "open": EventType.EMAIL_OPEN,
    "click": EventType.EMAIL_CLICK,
    "download": EventType.CONTENT_DOWNLOAD,
}


def _event_key(kind: str, message_key: str, extra: str = "") -> str:
    # One event per message (open), per message and link (click), per message and asset
    # (download): a recipient who reloads an image or clicks twice is not counted twice.
    suffix = ":" + hashlib.sha256(extra.encode()).hexdigest()[:16] if extra else ""
    return f"automation:{kind}:{message_key}{suffix}"[:128]


def message_engagement_record(*, kind: str, link: LinkData) -> OutboundEmail | None:
    """Record an open, click or download of the message the signed link belongs to."""
    msg = OutboundEmail.objects.select_related("contact").filter(idempotency_key=link.message_key).first()
    if msg is None:
        return None
    now = timezone.now()
    kinds = [kind] if kind == "open" else ["open", kind]  # a click proves an open, images off or not
    with transaction.atomic():
        for k in kinds:
            OutboundEmail.objects.filter(pk=msg.pk, **{f"{_FIELD[k]}__isnull": True}).update(
                **{_FIELD[k]: now}
            )
        email = msg.contact.email
        if email:
            properties = {"message": msg.idempotency_key, "workflow_id": msg.workflow_id, "step": msg.step_id}
            events = [
                EventInput(
                    idempotency_key=_event_key("open", msg.idempotency_key),
                    type=_EVENT["open"],
                    ts=now,
                    email=email,
                    utm={"source": "closedloop", "medium": "email"},
                    properties=properties,
                )
            ]
            if kind == "click":
                events.append(
                    EventInput(
                        idempotency_key=_event_key("click", msg.idempotency_key, link.url),
                        type=_EVENT["click"],
                        ts=now,
                        email=email,
                        url=link.url[:2000],
                        utm={"source": "closedloop", "medium": "email"},
                        properties=properties,
                    )
                )
            elif kind == "download":
                events.append(
                    EventInput(
                        idempotency_key=_event_key("download", msg.idempotency_key, link.asset),
                        type=_EVENT["download"],
                        ts=now,
                        email=email,
                        url=link.url[:2000],
                        utm={"source": "closedloop", "medium": "email"},
                        properties={**properties, "asset": link.asset},
                    )
                )
            events_ingest(events=events)
        enrollments_wake(contact_id=msg.contact_id, now=now)
    return msg

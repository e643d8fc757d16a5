"""Notifications API: the caller's own notifications; nobody reads another person's."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from closedloop.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class MarkReadIn(Schema):
    ids: list[int] | None = None


class MarkedOut(Schema):
    marked: int


@router.get("", response=list[NotificationOut])
@paginate
def list_notifications(request: HttpRequest, unread: bool = False):  # type: ignore[no-untyped-def]
    return selectors.notification_list(request.auth, unread_only=unread)  # type: ignore[arg-type]


@router.post("/read", response=MarkedOut)
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    return {"marked": services.mark_read(request.auth, payload.ids)}  # type: ignore[arg-type]

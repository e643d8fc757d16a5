"""The live feed as server-sent events. An async view, so that under uvicorn (ASGI) an open stream
holds no worker thread: it polls the FeedItem table once a second and sends what is new, each event
with the item's id so a reconnecting browser resumes after the last one it saw (Last-Event-ID)."""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import HttpRequest, StreamingHttpResponse

from closedloop.accounts.models import User
from closedloop.meetings.access import MEETING_READERS
from closedloop.meetings.models import FeedItem
from closedloop.meetings.selectors.feed import feed_after

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
# Streams end after a while and the browser reconnects with Last-Event-ID: a proxy or a server
# restart then costs nothing, and no stream lives forever.
MAX_STREAM_SECONDS = 300.0


def _payload(item: FeedItem) -> str:
    return json.dumps(
        {
            "id": item.pk,
            "kind": item.kind,
            "kind_label": item.get_kind_display(),
            "title": item.title,
            "body": item.body,
            "author": item.author.display_name if item.author else "",
            "created_at": item.created_at.isoformat(),
        }
    )


def _batch(user: User, after: int) -> list[tuple[int, str]]:
    return [(i.pk, _payload(i)) for i in feed_after(user=user, after_id=after)]


def _batch(user: User, after: int) -> list[tuple[int, str]]:
    return [(i.pk, _payload(i)) for i in feed_after(user=user, after_id=after)]


def _start_after(request: HttpRequest, user: User) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after")
    if raw is not None:
        try:
            return max(int(raw), 0)
        except ValueError:
            pass
    # A fresh connection starts at "now": the page already shows the items that exist.
    return FeedItem.objects.order_by("-id").values_list("id", flat=True).first() or 0


async def feed_stream(request: HttpRequest) -> StreamingHttpResponse:
    user = await request.auser()
    if not user.is_authenticated or not user.has_role(MEETING_READERS):
        raise PermissionDenied("Your role does not give access to this page.")
    after = await sync_to_async(_start_after)(request, user)

    async def events() -> AsyncIterator[str]:
        nonlocal after
        started = last_sent = time.monotonic()
        yield "retry: 3000\n\n"
        while time.monotonic() - started < MAX_STREAM_SECONDS:
            try:
                items = await sync_to_async(_batch)(user, after)
            except OperationalError as exc:
                # A busy SQLite ("database is locked") must not end the stream: try again next tick.
                log.warning("feed stream poll failed, retrying: %s", exc)
                items = []
            for pk, data in items:
                after = pk
                yield f"id: {pk}\nevent: feed\ndata: {data}\n\n"
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx would otherwise hold the events back
    return response


feed_stream.required_roles = MEETING_READERS  # type: ignore[attr-defined]  # read by the access-control matrix

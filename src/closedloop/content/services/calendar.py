"""Content calendar writes, and the secret behind each person's iCal feed URL."""

import hashlib
import secrets
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.audit.services import audit_record
from closedloop.content.models import CalendarEntry, CalendarFeedToken, ContentAsset
from closedloop.content.rich_text import text_clean
from closedloop.content.services.personas import check_may_edit
from closedloop.tracking.models import Channel


def feed_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _checked(title: str, channel: str, publish_on: date | None) -> dict[str, object]:
    errors: dict[str, str] = {}
    title = text_clean(title, max_length=200)
    if not title:
        errors["title"] = "give the entry a title"
    if channel not in Channel.values:
        errors["channel"] = f"unknown channel {channel!r}; one of {', '.join(Channel.values)}"
    if not isinstance(publish_on, date):
        errors["publish_on"] = "give the publishing date as YYYY-MM-DD"
    if errors:
        raise ValidationError(errors)
    return {"title": title, "channel": channel, "publish_on": publish_on}


@transaction.atomic
def calendar_entry_create(
    *,
    title: str,
    channel: str,
    publish_on: date | None,
    by: User,
    owner: User | None = None,
    asset: ContentAsset | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CalendarEntry:
    check_may_edit(by)
    now = now or timezone.now()
    fields = _checked(title, channel, publish_on)
    entry = CalendarEntry.objects.create(
        **fields, owner=owner or by, asset=asset, note=text_clean(note, max_length=4000), created_at=now
    )
    audit_record(actor=by, action="content.calendar_create", obj=entry, summary=f"Planned {entry}", at=now)
    return entry


@transaction.atomic
def calendar_entry_update(
    *,
    entry: CalendarEntry,
    title: str,
    channel: str,
    publish_on: date | None,
    by: User,
    owner: User | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CalendarEntry:
    check_may_edit(by)
    now = now or timezone.now()
    fields = _checked(title, channel, publish_on)
    before = str(entry)
    for key, value in fields.items():
        setattr(entry, key, value)
    entry.owner = owner or entry.owner
    entry.note = text_clean(note, max_length=4000)
    entry.save()
    audit_record(
        actor=by, action="content.calendar_update", obj=entry, summary=f"Moved {before} to {entry}",
        changes={"entry": [before, str(entry)]}, at=now,
    )  # fmt: skip
    return entry


@transaction.atomic
def calendar_entry_delete(*, entry: CalendarEntry, by: User, now: datetime | None = None) -> None:
    check_may_edit(by)
    audit_record(actor=by, action="content.calendar_delete", obj=entry, summary=f"Removed {entry}", at=now)
    entry.delete()


@transaction.atomic
def calendar_feed_token_create(*, user: User, now: datetime | None = None) -> str:
    """A new secret for the user's feed URL; the previous URL stops working."""
    now = now or timezone.now()
    raw = secrets.token_urlsafe(24)
    CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"digest": feed_digest(raw), "created_at": now}
    )
    audit_record(
        actor=user,
        action="content.calendar_feed_token",
        obj=user,
        summary="Created a calendar feed URL",
        at=now,
    )
    return raw

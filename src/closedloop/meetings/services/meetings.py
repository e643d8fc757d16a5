"""Meeting series and their occurrences: scheduling, the generated agenda pack, items people add,
decisions, and action items carried over until done."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import Team, User
from closedloop.accounts.roles import Permission, TeamKind
from closedloop.audit.services import audit_record
from closedloop.meetings.access import require
from closedloop.meetings.agenda import pack_build
from closedloop.meetings.models import (
    ActionItem,
    AgendaItem,
    Cadence,
    Decision,
    MeetingOccurrence,
    MeetingSeries,
)
from closedloop.meetings.schedule import local_start, occurrence_dates
from closedloop.meetings.services.webhooks import webhook_emit
from closedloop.notifications.services import notify

# How far ahead occurrences exist, so people can add agenda items before the meeting.
SCHEDULE_AHEAD = timedelta(days=62)


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: "is required"})
    if len(value) > limit:
        raise ValidationError({field: f"is longer than {limit} characters"})
    return value


@transaction.atomic
def series_create(
    *,
    name: str,
    cadence: str,
    start_time: time,
    starts_on: date,
    by: User,
    weekday: int = 0,
    day_of_month: int = 1,
    duration_minutes: int = 60,
    location: str = "",
    presider: User | None = None,
    participants: list[User] | None = None,
    partner_team: Team | None = None,
) -> MeetingSeries:
    require(by, Permission.EDIT_MEETINGS, "create meetings")
    name = _text(name, "name", 160)
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": "must be weekly or monthly"})
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": "must be 0 (Monday) to 6 (Sunday)"})
    if not 1 <= day_of_month <= 28:
        raise ValidationError({"day_of_month": "must be 1 to 28, so that every month has it"})
    if not 5 <= duration_minutes <= 8 * 60:
        raise ValidationError({"duration_minutes": "must be 5 to 480 minutes"})
    if partner_team is not None and partner_team.kind != TeamKind.PARTNER:
        raise ValidationError({"partner_team": f"{partner_team.name} is not a partner team"})
    series = MeetingSeries.objects.create(
        name=name,
        cadence=cadence,
        weekday=weekday,
        day_of_month=day_of_month,
        start_time=start_time,
        starts_on=starts_on,
        duration_minutes=duration_minutes,
        location=location[:200],
        presider=presider or by,
        partner_team=partner_team,
    )
    series.participants.set(participants or [])
    audit_record(
        actor=by, action="meeting_series.create", obj=series, summary=f"Created meeting series {name}"
    )
    series_schedule(series=series, until=timezone.localdate() + SCHEDULE_AHEAD)
    return series


def series_schedule(*, series: MeetingSeries, until: date) -> list[MeetingOccurrence]:
    """Create the occurrences up to `until` that do not exist yet (safe to repeat)."""
    tz = timezone.get_current_timezone()
    existing = set(series.occurrences.values_list("starts_at", flat=True))
    created = []
    for day in occurrence_dates(
        cadence=series.cadence,
        starts_on=series.starts_on,
        until=until,
        weekday=series.weekday,
        day_of_month=series.day_of_month,
    ):
        starts_at = local_start(day, series.start_time, tz)
        if starts_at in existing:
            continue
        created.append(
            MeetingOccurrence.objects.create(
                series=series,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=series.duration_minutes),
            )
        )
    return created


@transaction.atomic
def occurrence_pack_generate(
    *, occurrence: MeetingOccurrence, by: User, now: datetime | None = None
) -> MeetingOccurrence:
    """Build the agenda pack from the data and freeze it on the occurrence (regenerating replaces it)."""
    require(by, Permission.EDIT_MEETINGS, "generate agenda packs")
    now = now or timezone.now()
    occurrence = MeetingOccurrence.objects.select_for_update().select_related("series").get(pk=occurrence.pk)
    occurrence.pack = pack_build(occurrence=occurrence, user=by, now=now)
    occurrence.pack_generated_at = now
    occurrence.save(update_fields=["pack", "pack_generated_at"])
    audit_record(
        actor=by,
        action="meeting.pack_generate",
        obj=occurrence,
        summary=f"Generated the agenda pack of {occurrence}",
    )
    webhook_emit(
        event="meeting_pack",
        text=f"Agenda pack ready: {occurrence}",
        data={"occurrence_id": occurrence.pk, "series": occurrence.series.name},
    )
    return occurrence


@transaction.atomic
def agenda_item_add(
    *, occurrence: MeetingOccurrence, title: str, by: User, body: str = "", source_feed_item: Any = None
) -> AgendaItem:
    require(by, Permission.EDIT_MEETINGS, "add agenda items")
    item = AgendaItem.objects.create(
        occurrence=occurrence,
        title=_text(title, "title", 200),
        body=(body or "").strip(),
        added_by=by,
        source_feed_item=source_feed_item,
    )
    audit_record(
        actor=by, action="meeting.agenda_add", obj=item, summary=f"Added “{item.title}” to {occurrence}"
    )
    return item


@transaction.atomic
def decision_record(*, occurrence: MeetingOccurrence, text: str, by: User) -> Decision:
    require(by, Permission.EDIT_MEETINGS, "record decisions")
    decision = Decision.objects.create(occurrence=occurrence, text=_text(text, "text", 2000), recorded_by=by)
    audit_record(
        actor=by, action="meeting.decision", obj=decision, summary=f"Recorded a decision in {occurrence}"
    )
    return decision


@transaction.atomic
def action_item_create(
    *,
    title: str,
    owner: User | None,
    due_on: date | None,
    by: User,
    occurrence: MeetingOccurrence | None = None,
    series: MeetingSeries | None = None,
    source_feed_item: Any = None,
    source_idea: Any = None,
) -> ActionItem:
    """An action item with one owner and a due date, raised in `occurrence` (or attached to `series`)."""
    require(by, Permission.EDIT_MEETINGS, "create action items")
    title = _text(title, "title", 200)
    if owner is None:
        raise ValidationError({"owner": "is required: every action item has one owner"})
    if not owner.is_active or not owner.has_role(Permission.VIEW_MEETINGS):
        raise ValidationError({"owner": f"{owner.username} cannot own action items"})
    if due_on is None:
        raise ValidationError({"due_on": "is required"})
    if occurrence is not None:
        series = occurrence.series
    item = ActionItem.objects.create(
        title=title,
        owner=owner,
        due_on=due_on,
        series=series,
        raised_in=occurrence,
        source_feed_item=source_feed_item,
        source_idea=source_idea,
        created_by=by,
        created_at=timezone.now(),
    )
    audit_record(
        actor=by,
        action="action_item.create",
        obj=item,
        summary=f"Action item “{title}” for {owner.display_name}, due {due_on}",
        changes={"owner": [None, owner.username], "due_on": [None, due_on]},
    )
    link = f"/meetings/series/{series.pk}/" if series else "/meetings/actions/"
    notify(
        [owner], kind="action_item", title=f"Action item for you: {title}", body=f"Due {due_on}.", link=link
    )
    webhook_emit(
        event="action_item",
        text=f"New action item for {owner.display_name}: {title} (due {due_on})",
        data={"id": item.pk, "owner": owner.username, "due_on": due_on},
    )
    return item


@transaction.atomic
def action_item_complete(*, item: ActionItem, by: User, now: datetime | None = None) -> ActionItem:
    require(by, Permission.EDIT_MEETINGS, "complete action items")
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done_at is not None:
        return item  # a repeated click changes nothing
    item.done_at = now or timezone.now()
    item.save(update_fields=["done_at"])
    audit_record(
        actor=by, action="action_item.complete", obj=item, summary=f"Marked “{item.title}” done",
        changes={"done_at": [None, item.done_at]},
    )  # fmt: skip
    return item


@transaction.atomic
def occurrence_notes_update(*, occurrence: MeetingOccurrence, notes: str, by: User) -> MeetingOccurrence:
    require(by, Permission.EDIT_MEETINGS, "edit meeting notes")
    occurrence.notes = notes
    occurrence.held = True
    occurrence.save(update_fields=["notes", "held"])
    audit_record(
        actor=by, action="meeting.notes", obj=occurrence, summary=f"Edited the notes of {occurrence}"
    )
    return occurrence

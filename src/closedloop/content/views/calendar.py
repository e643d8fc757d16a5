"""The content calendar both teams plan on: month and list views, filters by channel and owner,
and each person's iCal feed URL."""

import calendar as pycalendar
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.content import services
from closedloop.content.models import CalendarEntry
from closedloop.content.selectors import assets as selectors
from closedloop.content.views.common import error_text
from closedloop.tracking.models import Channel


def _month(value: str) -> date:
    try:
        year, month = (int(p) for p in value.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
        today = timezone.localdate()
        return today.replace(day=1)


@requires(Permission.EDIT_CONTENT)
def calendar_view(request: HttpRequest) -> HttpResponse:
    first = _month(request.GET.get("month", ""))
    view = "list" if request.GET.get("view") == "list" else "month"
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    owner = request.GET.get("owner", "")
    owner_id = int(owner) if owner.isdigit() else None
    next_month = (first + timedelta(days=32)).replace(day=1)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    if view == "list":
        entries = list(
            selectors.calendar_entries(start=first, end=None, channel=channel, owner_id=owner_id)[:300]
        )
        weeks = []
    else:
        entries = list(
            selectors.calendar_entries(start=first, end=next_month, channel=channel, owner_id=owner_id)
        )
        by_day: dict[date, list[CalendarEntry]] = {}
        for entry in entries:
            by_day.setdefault(entry.publish_on, []).append(entry)
        weeks = [
            [{"day": d, "in_month": d.month == first.month, "entries": by_day.get(d, [])} for d in week]
            for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        ]
    context = {
        "first": first, "prev": prev_month, "next": next_month, "view": view, "channel": channel, "owner": owner,
        "entries": entries, "weeks": weeks, "channels": Channel.choices, "owners": list(selectors.editors()),
        "feed_url": request.session.pop("content_feed_url", ""),
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "assets": list(selectors.asset_choices()),
    }  # fmt: skip
    return render(request, "content/calendar.html", context)


@require_POST
@requires(Permission.EDIT_CONTENT)
def calendar_add(request: HttpRequest) -> HttpResponse:
    owner_id = request.POST.get("owner", "")
    owner = selectors.editors().filter(pk=owner_id).first() if owner_id.isdigit() else None
    asset_id = request.POST.get("asset", "")
    asset = selectors.asset_get(asset_id=int(asset_id)) if asset_id.isdigit() else None
    try:
        entry = services.calendar_entry_create(
            title=request.POST.get("title", "") or (asset.title if asset else ""), channel=request.POST.get("channel", ""),
            publish_on=parse_date(request.POST.get("publish_on", "") or "") if request.POST.get("publish_on") else None,
            owner=owner, asset=asset, note=request.POST.get("note", ""), by=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
    except (ValidationError, PermissionDenied, ValueError) as exc:
        messages.error(
            request, error_text(exc) if not isinstance(exc, ValueError) else "publish on: not a date"
        )
        return redirect("content_calendar")
    messages.success(request, f"Planned: {entry}.")
    return redirect(f"/content/calendar/?month={entry.publish_on:%Y-%m}")


@require_POST
@requires(Permission.EDIT_CONTENT)
def calendar_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.calendar_entries().filter(pk=entry_id).first()
    if entry is None:
        raise Http404("No such entry.")
    services.calendar_entry_delete(entry=entry, by=request.user)  # type: ignore[arg-type]
    messages.success(request, "Removed from the calendar.")
    return redirect("content_calendar")


@require_POST
@requires(Permission.EDIT_CONTENT)
def calendar_feed_token(request: HttpRequest) -> HttpResponse:
    raw = services.calendar_feed_token_create(user=request.user)  # type: ignore[arg-type]
    # Shown once, on the next page only: the secret is not stored in clear.
    request.session["content_feed_url"] = request.build_absolute_uri(f"/api/v1/content/calendar/{raw}.ics")
    return redirect("content_calendar")

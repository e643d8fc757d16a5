"""Meeting pages: the overview, a series with its occurrences and calendar file, an occurrence with
its agenda pack, items, decisions and action items, and the minutes exports."""

from datetime import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.models import Team, User
from closedloop.accounts.roles import INTERNAL, Permission, TeamKind
from closedloop.meetings.access import MEETING_READERS, is_partner
from closedloop.meetings.ical import series_ical
from closedloop.meetings.minutes import minutes_csv, minutes_markdown
from closedloop.meetings.models import ActionItem, Cadence
from closedloop.meetings.selectors import goals as goal_selectors
from closedloop.meetings.selectors import meetings as selectors
from closedloop.meetings.services import meetings as services
from closedloop.meetings.views.common import back, errors_to_messages, parse_date, parse_int, user_or_error


def _internal_users():  # type: ignore[no-untyped-def]
    return User.objects.filter(is_active=True, role__in=INTERNAL).order_by("first_name", "username")


@requires(MEETING_READERS)
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    series = [(s, selectors.occurrence_next(series=s)) for s in selectors.series_visible_to(user=user)]  # type: ignore[arg-type]
    context = {
        "series": series,
        "goals": goal_selectors.shared_dashboard(user=user),  # type: ignore[arg-type]
        "my_actions": selectors.action_items_open_for(user=user),  # type: ignore[arg-type]
        "cadences": Cadence.choices,
        "people": _internal_users(),
        "partner_teams": Team.objects.filter(kind=TeamKind.PARTNER).order_by("name"),
        "today": timezone.localdate(),
        "partner": is_partner(user),  # type: ignore[arg-type]
    }
    return render(request, "meetings/overview.html", context)


@require_POST
@requires(Permission.EDIT_MEETINGS)
def series_new(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        try:
            start_time = time.fromisoformat(post.get("start_time", ""))
        except ValueError:
            raise ValidationError({"start_time": "must be a time like 09:30"}) from None
        starts_on = parse_date(post.get("starts_on"), "starts_on") or timezone.localdate()
        partner_team = Team.objects.filter(
            pk=parse_int(post.get("partner_team"), "partner_team") or 0
        ).first()
        people = list(User.objects.filter(pk__in=post.getlist("participants"), is_active=True))
        series = services.series_create(
            name=post.get("name", ""),
            cadence=post.get("cadence", ""),
            start_time=start_time,
            starts_on=starts_on,
            weekday=parse_int(post.get("weekday"), "weekday") or 0,
            day_of_month=parse_int(post.get("day_of_month"), "day_of_month") or 1,
            duration_minutes=parse_int(post.get("duration_minutes"), "duration_minutes") or 60,
            location=post.get("location", ""),
            participants=people,
            partner_team=partner_team,
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
        return redirect("meetings:overview")
    messages.success(request, f"Created {series.name}.")
    return redirect("meetings:series", series_id=series.pk)


def _series_or_404(request: HttpRequest, series_id: int):  # type: ignore[no-untyped-def]
    series = selectors.series_get(user=request.user, series_id=series_id)  # type: ignore[arg-type]
    if series is None:
        raise Http404("No such meeting series.")
    return series


def _occurrence_or_404(request: HttpRequest, occurrence_id: int):  # type: ignore[no-untyped-def]
    occurrence = selectors.occurrence_get(user=request.user, occurrence_id=occurrence_id)  # type: ignore[arg-type]
    if occurrence is None:
        raise Http404("No such meeting.")
    return occurrence


@requires(MEETING_READERS)
def series_detail(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series_or_404(request, series_id)
    context = {
        "series": series,
        "occurrences": selectors.occurrences_around(series=series),
        "next": selectors.occurrence_next(series=series),
        "participants": series.participants.all(),
    }
    return render(request, "meetings/series.html", context)


@requires(MEETING_READERS)
def series_calendar(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series_or_404(request, series_id)
    response = HttpResponse(
        series_ical(series, host=request.get_host()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{series.pk}.ics"'
    return response


@requires(MEETING_READERS)
def occurrence_detail(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    occurrence = _occurrence_or_404(request, occurrence_id)
    partner = is_partner(request.user)  # type: ignore[arg-type]
    context = {
        "occurrence": occurrence,
        "series": occurrence.series,
        # The data pack is company-wide; partners see the people-made parts of the meeting only.
        "pack": {} if partner else occurrence.pack,
        "partner": partner,
        "agenda_items": occurrence.agenda_items.select_related("added_by"),
        "decisions": occurrence.decisions.select_related("recorded_by"),
        "actions": selectors.action_items_for(occurrence=occurrence),
        "previous": selectors.occurrence_previous(occurrence=occurrence),
        "people": _internal_users(),
    }
    return render(request, "meetings/occurrence.html", context)


@require_POST
@requires(Permission.EDIT_MEETINGS)
def occurrence_generate(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    occurrence = _occurrence_or_404(request, occurrence_id)
    services.occurrence_pack_generate(occurrence=occurrence, by=request.user)  # type: ignore[arg-type]
    messages.success(request, "Agenda pack generated from the data.")
    return redirect("meetings:occurrence", occurrence_id=occurrence.pk)


@require_POST
@requires(Permission.EDIT_MEETINGS)
def occurrence_add(request: HttpRequest, occurrence_id: int, what: str) -> HttpResponse:
    """One endpoint per form on the occurrence page: agenda item, decision, action item, notes."""
    occurrence = _occurrence_or_404(request, occurrence_id)
    post, user = request.POST, request.user
    try:
        if what == "item":
            services.agenda_item_add(
                occurrence=occurrence, title=post.get("title", ""), body=post.get("body", ""), by=user
            )  # type: ignore[arg-type]
        elif what == "decision":
            services.decision_record(occurrence=occurrence, text=post.get("text", ""), by=user)  # type: ignore[arg-type]
        elif what == "action":
            services.action_item_create(
                occurrence=occurrence,
                title=post.get("title", ""),
                owner=user_or_error(post.get("owner"), "owner"),
                due_on=parse_date(post.get("due_on"), "due_on"),
                by=user,  # type: ignore[arg-type]
            )
        elif what == "notes":
            services.occurrence_notes_update(occurrence=occurrence, notes=post.get("notes", ""), by=user)  # type: ignore[arg-type]
        else:
            raise Http404("Unknown form.")
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("meetings:occurrence", occurrence_id=occurrence.pk)


@require_POST
@requires(Permission.EDIT_MEETINGS)
def action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    item = ActionItem.objects.filter(pk=action_id).first()
    if item is None:
        raise Http404("No such action item.")
    services.action_item_complete(item=item, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Done: {item.title}")
    return back(request, "meetings:overview")


@requires(MEETING_READERS)
def minutes_export(request: HttpRequest, occurrence_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("md", "csv"):
        raise Http404("Minutes come as .md or .csv.")
    occurrence = _occurrence_or_404(request, occurrence_id)
    if is_partner(request.user):  # type: ignore[arg-type]
        occurrence.pack = {}
    name = f"minutes-{occurrence.series.pk}-{timezone.localtime(occurrence.starts_at):%Y-%m-%d}"
    if fmt == "md":
        response = HttpResponse(minutes_markdown(occurrence), content_type="text/markdown; charset=utf-8")
    else:
        response = HttpResponse(minutes_csv(occurrence), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response

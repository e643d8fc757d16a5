"""The feed page: post feedback, react, comment, and turn an item into an agenda or action item."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.meetings.access import MEETING_READERS
from closedloop.meetings.models import FeedKind, MeetingOccurrence
from closedloop.meetings.selectors import feed as selectors
from closedloop.meetings.selectors.meetings import series_visible_to
from closedloop.meetings.services import feed as services
from closedloop.meetings.views.common import errors_to_messages, parse_date, parse_int, user_or_error
from closedloop.meetings.views.meetings import _internal_users


@requires(MEETING_READERS)
def feed_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in FeedKind.values else ""
    items = selectors.feed_list(user=request.user, kind=kind)  # type: ignore[arg-type]
    for item in items:
        counts = selectors.feed_reaction_counts(item)
        item.reaction_list = [(e, counts.get(e, 0)) for e in services.REACTIONS]  # type: ignore[attr-defined]
    upcoming = (
        MeetingOccurrence.objects.filter(
            series__in=series_visible_to(user=request.user), ends_at__gt=timezone.now()
        )  # type: ignore[arg-type]
        .select_related("series")
        .order_by("starts_at")[:10]
    )
    context = {
        "items": items,
        "kind": kind,
        "kinds": FeedKind.choices,
        "postable": services.POSTABLE,
        "reactions": services.REACTIONS,
        "upcoming": upcoming,
        "people": _internal_users(),
        "last_id": max((i.pk for i in items), default=0),
    }
    return render(request, "meetings/feed.html", context)


def _item_or_404(request: HttpRequest, item_id: int):  # type: ignore[no-untyped-def]
    item = selectors.feed_get(user=request.user, item_id=item_id)  # type: ignore[arg-type]
    if item is None:
        raise Http404("No such feed item.")
    return item


@require_POST
@requires(Permission.EDIT_MEETINGS)
def feed_new(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        services.feed_post(
            kind=post.get("kind", ""), title=post.get("title", ""), body=post.get("body", ""),
            content_ref=post.get("content_ref", ""), by=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("meetings:feed")


@require_POST
@requires(Permission.VIEW_MEETINGS)
def feed_item_action(request: HttpRequest, item_id: int, what: str) -> HttpResponse:
    """react, comment, agenda (one click to the next meeting's agenda) or action."""
    item = _item_or_404(request, item_id)
    post, user = request.POST, request.user
    try:
        if what == "react":
            services.feed_react(item=item, emoji=post.get("emoji", ""), by=user)  # type: ignore[arg-type]
        elif what == "comment":
            services.feed_comment(item=item, body=post.get("body", ""), by=user)  # type: ignore[arg-type]
        elif what == "agenda":
            pk = parse_int(post.get("occurrence"), "occurrence")
            occurrence = MeetingOccurrence.objects.filter(
                pk=pk or 0, series__in=series_visible_to(user=user)
            ).first()  # type: ignore[arg-type]
            if occurrence is None:
                raise ValidationError({"occurrence": "pick a meeting"})
            services.feed_item_to_agenda(item=item, occurrence=occurrence, by=user)  # type: ignore[arg-type]
            messages.success(request, f"Added to the agenda of {occurrence}.")
        elif what == "action":
            services.feed_item_to_action(
                item=item, owner=user_or_error(post.get("owner"), "owner"),
                due_on=parse_date(post.get("due_on"), "due_on"), by=user,  # type: ignore[arg-type]
            )  # fmt: skip
            messages.success(request, "Action item created.")
        else:
            raise Http404("Unknown action.")
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(f"/meetings/feed/#item-{item.pk}")

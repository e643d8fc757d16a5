"""Meeting reads: the series a user may see (partners: only those their team joins), an occurrence
with its agenda, and the action items it carries over."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.meetings.access import is_partner
from closedloop.meetings.models import ActionItem, MeetingOccurrence, MeetingSeries


def series_visible_to(*, user: User) -> QuerySet[MeetingSeries]:
    qs = MeetingSeries.objects.select_related("presider", "partner_team")
    if is_partner(user):
        return qs.filter(partner_team_id=user.team_id) if user.team_id else qs.none()
    return qs


def series_get(*, user: User, series_id: int) -> MeetingSeries | None:
    return series_visible_to(user=user).filter(pk=series_id).first()


def occurrence_get(*, user: User, occurrence_id: int) -> MeetingOccurrence | None:
    return (
        MeetingOccurrence.objects.select_related("series")
        .filter(series__in=series_visible_to(user=user), pk=occurrence_id)
        .first()
    )


def occurrence_next(*, series: MeetingSeries, now: datetime | None = None) -> MeetingOccurrence | None:
    """The occurrence happening now or next."""
    now = now or timezone.now()
    return series.occurrences.filter(ends_at__gt=now).order_by("starts_at").first()


def occurrences_around(
    *, series: MeetingSeries, now: datetime | None = None, past: int = 5, future: int = 3
) -> list[MeetingOccurrence]:
    now = now or timezone.now()
    before = list(series.occurrences.filter(ends_at__lte=now).order_by("-starts_at")[:past])
    after = list(series.occurrences.filter(ends_at__gt=now).order_by("starts_at")[:future])
    return [*reversed(before), *after]


def occurrence_previous(*, occurrence: MeetingOccurrence) -> MeetingOccurrence | None:
    return (
        MeetingOccurrence.objects.filter(series_id=occurrence.series_id, starts_at__lt=occurrence.starts_at)
        .order_by("-starts_at")
        .first()
    )


def action_items_for(*, occurrence: MeetingOccurrence) -> QuerySet[ActionItem]:
    """Raised in this occurrence, or raised earlier in the series and not done before it started:
    open items are carried over to every next occurrence until someone marks them done."""
    earlier = Q(raised_in__starts_at__lt=occurrence.starts_at) | Q(
        raised_in__isnull=True, created_at__lt=occurrence.starts_at
    )
    still_open = Q(done_at__isnull=True) | Q(done_at__gte=occurrence.starts_at)
    return (
        ActionItem.objects.filter(series_id=occurrence.series_id)
        .filter(Q(raised_in=occurrence) | (earlier & still_open))
        .select_related("owner", "raised_in")
        .order_by("due_on", "id")
    )


def action_items_open_for(*, user: User) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(owner=user, done_at__isnull=True)
        .select_related("series")
        .order_by("due_on", "id")
    )

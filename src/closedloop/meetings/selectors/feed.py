"""Feed reads: items a user may see (partners: only those about their campaigns), newest first, and
the items after a given id for the live stream."""

from django.db.models import QuerySet

from closedloop.accounts.models import User
from closedloop.meetings.access import is_partner
from closedloop.meetings.models import FeedItem

STREAM_BATCH = 50


def feed_visible_to(*, user: User) -> QuerySet[FeedItem]:
    qs = FeedItem.objects.select_related("author", "campaign")
    if is_partner(user):
        return qs.filter(partner_team_id=user.team_id) if user.team_id else qs.none()
    return qs


def feed_list(*, user: User, kind: str = "", limit: int = 50) -> list[FeedItem]:
    qs = feed_visible_to(user=user).prefetch_related("reactions", "comments__author").order_by("-id")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs[:limit])


def feed_get(*, user: User, item_id: int) -> FeedItem | None:
    return feed_visible_to(user=user).filter(pk=item_id).first()


def feed_after(*, user: User, after_id: int) -> list[FeedItem]:
    """Items with an id above `after_id`, oldest first: what a stream client has not seen yet."""
    return list(feed_visible_to(user=user).filter(pk__gt=after_id).order_by("id")[:STREAM_BATCH])


def feed_reaction_counts(item: FeedItem) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in item.reactions.all():
        counts[r.emoji] = counts.get(r.emoji, 0) + 1
    return counts

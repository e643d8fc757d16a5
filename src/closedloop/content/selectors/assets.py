"""Library reads: lists with filters, one asset with its story, shares, calendar."""

from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from closedloop.accounts.models import User
from closedloop.content.access import sees_drafts
from closedloop.content.models import (
    AssetStatus,
    AssetTag,
    CalendarEntry,
    CalendarFeedToken,
    ContentAsset,
    SharedLink,
    TagKind,
)
from closedloop.content.services.calendar import feed_digest


def asset_list(
    *,
    user: User,
    status: str = "",
    asset_type: str = "",
    stage: str = "",
    persona: str = "",
    product: str = "",
    owner_id: int | None = None,
) -> QuerySet[ContentAsset]:
    assets = ContentAsset.objects.select_related("owner").prefetch_related(
        Prefetch("tags", queryset=AssetTag.objects.order_by("kind", "value"))
    )
    if not sees_drafts(user):
        assets = assets.filter(status=AssetStatus.PUBLISHED)
    if status:
        assets = assets.filter(status=status)
    if asset_type:
        assets = assets.filter(asset_type=asset_type)
    for kind, value in ((TagKind.STAGE, stage), (TagKind.PERSONA, persona), (TagKind.PRODUCT, product)):
        if value:
            assets = assets.filter(id__in=AssetTag.objects.filter(kind=kind, value=value).values("asset_id"))
    if owner_id:
        assets = assets.filter(owner_id=owner_id)
    return assets.annotate(shortlist_count=Count("shortlists", distinct=True)).order_by("title", "id")


def asset_choices() -> QuerySet[ContentAsset]:
    """Assets a calendar entry may point at: everything not retired."""
    return (
        ContentAsset.objects.exclude(status=AssetStatus.RETIRED).only("id", "title").order_by("title")[:500]
    )


def asset_get(*, asset_id: int) -> ContentAsset | None:
    return ContentAsset.objects.select_related("owner").filter(pk=asset_id).first()


def asset_tags(*, asset: ContentAsset) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {k: [] for k in TagKind.values}
    for tag in asset.tags.all():
        tags[tag.kind].append(tag.value)
    return tags


def shared_link_list(
    *, user: User, asset: ContentAsset | None = None, mine_only: bool = False
) -> QuerySet[SharedLink]:
    links = SharedLink.objects.select_related("asset", "contact", "deal", "created_by")
    if asset is not None:
        links = links.filter(asset=asset)
    if mine_only:
        links = links.filter(created_by=user)
    return links


def shared_link_get(*, link_id: int) -> SharedLink | None:
    return (
        SharedLink.objects.select_related("asset", "contact", "deal", "created_by").filter(pk=link_id).first()
    )


def shared_link_by_token(*, token: str) -> SharedLink | None:
    """The live link behind a public token, without recording anything."""
    from closedloop.content.share_urls import share_public_id

    public_id = share_public_id(token)
    if public_id is None:
        return None
    return (
        SharedLink.objects.select_related("asset", "created_by")
        .filter(public_id=public_id, revoked_at__isnull=True)
        .first()
    )


def calendar_entries(
    *, start: date | None = None, end: date | None = None, channel: str = "", owner_id: int | None = None
) -> QuerySet[CalendarEntry]:
    entries = CalendarEntry.objects.select_related("owner", "asset")
    if start:
        entries = entries.filter(publish_on__gte=start)
    if end:
        entries = entries.filter(publish_on__lt=end)
    if channel:
        entries = entries.filter(channel=channel)
    if owner_id:
        entries = entries.filter(owner_id=owner_id)
    return entries


def feed_user(*, raw_token: str) -> User | None:
    row = CalendarFeedToken.objects.select_related("user").filter(digest=feed_digest(raw_token)).first()
    if row is None or not row.user.is_active:
        return None
    return row.user


def editors() -> QuerySet[User]:
    from closedloop.accounts.roles import Permission

    return User.objects.filter(is_active=True, role__in=list(Permission.EDIT_CONTENT)).order_by(
        "first_name", "username"
    )


def deal_choices(*, user: User) -> list[Any]:
    from closedloop.crm.models import Deal

    return list(
        Deal.objects.filter(stage__in=["prospecting", "engaging", "proposal"])
        .select_related("contact")
        .order_by("-created_at")[:200]
    )

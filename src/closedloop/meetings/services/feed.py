"""The live feed's writes: post feedback, record a win with the marketing touchpoints that helped,
react and comment, and turn an item into an agenda item or an action item in one click."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.audit.services import audit_record
from closedloop.crm.models import Deal
from closedloop.meetings.access import require
from closedloop.meetings.agenda import win_touchpoints
from closedloop.meetings.models import (
    ActionItem,
    AgendaItem,
    FeedComment,
    FeedItem,
    FeedKind,
    FeedReaction,
    MeetingOccurrence,
)
from closedloop.meetings.services.meetings import action_item_create, agenda_item_add
from closedloop.meetings.services.webhooks import webhook_emit

REACTIONS = ("🎉", "👍", "❤️", "💡", "👀")
POSTABLE = (FeedKind.REP_FEEDBACK, FeedKind.CUSTOMER_FEEDBACK, FeedKind.CAMPAIGN_RESULT)


@transaction.atomic
def feed_post(
    *,
    kind: str,
    title: str,
    by: User | None,
    body: str = "",
    contact: Any = None,
    campaign: Any = None,
    content_ref: str = "",
    details: dict[str, Any] | None = None,
) -> FeedItem:
    """Feedback from a person (`by`) or from an integration (`by` None: customer survey answers, churn
    reasons sent to the incoming webhook)."""
    if by is not None:
        require(by, Permission.EDIT_MEETINGS, "post to the feed")
    if kind not in [k.value for k in POSTABLE]:
        raise ValidationError({"kind": f"must be one of {', '.join(POSTABLE)}"})
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "is required"})
    if len(title) > 200:
        raise ValidationError({"title": "is longer than 200 characters"})
    item = FeedItem.objects.create(
        kind=kind,
        title=title,
        body=(body or "").strip(),
        author=by,
        contact=contact,
        campaign=campaign,
        content_ref=content_ref[:200],
        details=details or {},
        partner_team_id=getattr(campaign, "partner_team_id", None),
        created_at=timezone.now(),
    )
    audit_record(actor=by, action="feed.post", obj=item, summary=f"Posted “{title}” to the feed")
    webhook_emit(event="feedback", text=f"{item.get_kind_display()}: {title}", data={"id": item.pk})
    return item


@transaction.atomic
def feed_win_record(*, deal: Deal) -> FeedItem:
    """Put a won deal on the feed with the campaigns that touched it, so marketing sees sales' wins and
    sales sees what marketing did for them (seed 002). Once per deal, however often it is called."""
    if deal.stage != Deal.DealStage.WON:
        raise ValidationError({"deal": f"{deal.name} is not won"})
    existing = FeedItem.objects.filter(dedupe_key=f"win:{deal.pk}").first()
    if existing is not None:
        return existing
    touchpoints = win_touchpoints(deal)
    owner = deal.owner.display_name if deal.owner else "sales"
    helped = f" Marketing touchpoints that helped: {', '.join(touchpoints)}." if touchpoints else ""
    campaign = deal.source_campaign
    try:
        with transaction.atomic():
            item = FeedItem.objects.create(
                kind=FeedKind.WIN,
                title=f"{owner} won {deal.name} ({deal.amount:,.0f})",
                body=helped.strip(),
                deal=deal,
                contact=deal.contact,
                campaign=campaign,
                partner_team_id=campaign.partner_team_id if campaign else None,
                details={"amount": str(deal.amount), "touchpoints": touchpoints},
                dedupe_key=f"win:{deal.pk}",
                created_at=deal.closed_at or timezone.now(),
            )
    except IntegrityError:
        return FeedItem.objects.get(dedupe_key=f"win:{deal.pk}")
    webhook_emit(
        event="win", text=f"🎉 {item.title}.{helped}", data={"deal_id": deal.pk, "touchpoints": touchpoints}
    )
    return item


@transaction.atomic
def feed_react(*, item: FeedItem, emoji: str, by: User) -> bool:
    """Toggle `by`'s reaction; returns True when it is now on."""
    require(by, Permission.VIEW_MEETINGS, "react to feed items")
    if emoji not in REACTIONS:
        raise ValidationError({"emoji": f"must be one of {' '.join(REACTIONS)}"})
    deleted, _ = FeedReaction.objects.filter(item=item, user=by, emoji=emoji).delete()
    if deleted:
        return False
    FeedReaction.objects.create(item=item, user=by, emoji=emoji)
    return True


@transaction.atomic
def feed_comment(*, item: FeedItem, body: str, by: User) -> FeedComment:
    require(by, Permission.VIEW_MEETINGS, "comment on feed items")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "is required"})
    comment = FeedComment.objects.create(item=item, author=by, body=body[:4000])
    audit_record(actor=by, action="feed.comment", obj=item, summary=f"Commented on “{item.title}”")
    return comment


def feed_item_to_agenda(*, item: FeedItem, occurrence: MeetingOccurrence, by: User) -> AgendaItem:
    """One click: the feedback becomes an item on the next meeting's agenda."""
    return agenda_item_add(
        occurrence=occurrence, title=item.title, body=item.body, by=by, source_feed_item=item
    )


def feed_item_to_action(
    *,
    item: FeedItem,
    owner: User | None,
    due_on: date | None,
    by: User,
    occurrence: MeetingOccurrence | None = None,
) -> ActionItem:
    return action_item_create(
        title=item.title, owner=owner, due_on=due_on, by=by, occurrence=occurrence, source_feed_item=item
    )

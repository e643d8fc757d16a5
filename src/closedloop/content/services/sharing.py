"""Tracked sharing: a rep personalises a published asset for one contact or deal and sends a
link; each opening is recorded on the contact's timeline and tells the rep."""

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.audit.services import audit_record
from closedloop.content.models import AssetStatus, ContentAsset, LinkView, SharedLink
from closedloop.content.rich_text import html_sanitize, text_clean
from closedloop.content.services.personas import check_may_edit
from closedloop.content.share_urls import share_path, share_public_id
from closedloop.crm.models import Contact, Deal
from closedloop.notifications.services import notify
from closedloop.tracking.ingest import EventInput, events_ingest
from closedloop.tracking.models import EventType

# A page left open in a background tab should not count as hours of reading.
MAX_VIEW_SECONDS = 2 * 60 * 60


@transaction.atomic
def shared_link_create(
    *,
    asset: ContentAsset,
    by: User,
    contact: Contact | None = None,
    deal: Deal | None = None,
    title: str = "",
    intro: str = "",
    body_html: str | None = None,
    now: datetime | None = None,
) -> SharedLink:
    check_may_edit(by)
    now = now or timezone.now()
    if asset.status != AssetStatus.PUBLISHED:
        raise ValidationError(
            {
                "asset": f"{asset.title} is {asset.get_status_display().lower()}; only published content is shared"
            }
        )
    if contact is None and deal is None:
        raise ValidationError({"contact": "pick the contact or the deal this copy is for"})
    if contact is None and deal is not None:
        contact = deal.contact
    if deal is not None and contact is not None and deal.contact_id not in (None, contact.pk):
        raise ValidationError({"deal": f"{deal.name} belongs to another contact than {contact}"})
    link = SharedLink.objects.create(
        asset=asset, version=asset.version, public_id=secrets.token_urlsafe(16), contact=contact, deal=deal,
        title=text_clean(title, max_length=200) or asset.title, intro=text_clean(intro, max_length=4000),
        body_html=html_sanitize(asset.body_html if body_html is None else body_html),
        contact_stage=contact.lifecycle_stage if contact else "", created_by=by, created_at=now,
    )  # fmt: skip
    audit_record(
        actor=by, action="content.share", obj=link,
        summary=f"Shared {asset.title} with {contact or deal}", changes={"asset": asset.pk, "deal": deal.pk if deal else None},
        at=now,
    )  # fmt: skip
    return link


def _event_key(view: LinkView) -> str:
    return f"content-share-open:{view.view_key}"


@transaction.atomic
def shared_link_open(
    *, token: str, user_agent: str = "", now: datetime | None = None
) -> tuple[SharedLink, LinkView] | None:
    """Record that the prospect opened the link; None when the link is unknown or revoked."""
    now = now or timezone.now()
    public_id = share_public_id(token)
    if public_id is None:
        return None
    link = (
        SharedLink.objects.select_for_update(of=("self",))
        .select_related("asset", "contact", "deal", "created_by")
        .filter(public_id=public_id, revoked_at__isnull=True)
        .first()
    )
    if link is None:
        return None
    view = LinkView.objects.create(
        link=link, view_key=secrets.token_urlsafe(16)[:32], opened_at=now, user_agent=user_agent[:300]
    )
    link.open_count += 1
    link.first_opened_at = link.first_opened_at or now
    link.last_opened_at = now
    link.save(update_fields=["open_count", "first_opened_at", "last_opened_at"])
    contact = link.contact
    if contact is not None and contact.email:
        # The opening joins the contact's touchpoints, where stage rules and attribution see it.
        events_ingest(
            events=[
                EventInput(
                    idempotency_key=_event_key(view), type=EventType.CONTENT_DOWNLOAD, ts=now, email=contact.email,
                    url=share_path(link.public_id),
                    properties={"shared_link": link.pk, "asset": link.asset_id, "asset_title": link.asset.title,
                                "deal": link.deal_id, "shared_by": link.created_by_id, "seconds": 0},
                )
            ]
        )  # fmt: skip
    who = str(contact or link.deal or "Your prospect")
    notify(
        [link.created_by],
        kind="content_opened",
        title=f"{who} opened {link.title}",
        body=f"Opened {link.open_count} time{'s' if link.open_count != 1 else ''} so far"
        + (f" (deal: {link.deal.name})" if link.deal else ""),
        link=f"/content/shares/{link.pk}/",
        dedupe_key=f"content-open:{view.view_key}",
        # Only the first opening sends an email; later ones wait in the inbox.
        email=link.open_count == 1,
    )
    audit_record(
        actor=None, action="content.share_open", obj=link, summary=f"{who} opened {link.title}", at=now
    )
    return link, view


@transaction.atomic
def shared_link_beacon(
    *, token: str, view_key: str, seconds: int, now: datetime | None = None
) -> LinkView | None:
    """The open page reports how long it has been visible; the latest report wins and never
    counts down, so lost or repeated beacons do no harm."""
    now = now or timezone.now()
    public_id = share_public_id(token)
    if public_id is None:
        return None
    view = (
        LinkView.objects.select_for_update()
        .select_related("link")
        .filter(view_key=view_key, link__public_id=public_id)
        .first()
    )
    if view is None:
        return None
    if not isinstance(seconds, int) or seconds < 0:
        raise ValidationError({"seconds": "must be a whole number of seconds, 0 or more"})
    elapsed_cap = int((now - view.opened_at + timedelta(seconds=5)).total_seconds())
    seconds = min(seconds, MAX_VIEW_SECONDS, max(elapsed_cap, 0))
    delta = seconds - view.seconds
    if delta <= 0:
        return view
    view.seconds = seconds
    view.save(update_fields=["seconds"])
    SharedLink.objects.filter(pk=view.link_id).update(seconds_viewed=F("seconds_viewed") + delta)
    _event_seconds_set(view)
    return view


def _event_seconds_set(view: LinkView) -> None:
    # The opening event carries the time spent, so the contact's timeline shows both.
    from closedloop.tracking.models import Event

    event = Event.objects.filter(idempotency_key=_event_key(view)).first()
    if event is not None:
        event.properties = {**event.properties, "seconds": view.seconds}
        event.save(update_fields=["properties"])


@transaction.atomic
def shared_link_revoke(*, link: SharedLink, by: User, now: datetime | None = None) -> SharedLink:
    check_may_edit(by)
    now = now or timezone.now()
    link.revoked_at = now
    link.save(update_fields=["revoked_at"])
    audit_record(
        actor=by, action="content.share_revoke", obj=link, summary=f"Revoked the link to {link.title}", at=now
    )
    return link

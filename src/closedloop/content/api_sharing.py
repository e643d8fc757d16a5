"""API for tracked sharing (create, list, revoke) and the public endpoints prospects and
calendar apps reach without a login: the shared page, its time beacon, and the iCal feed."""

import json
import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.content import services
from closedloop.content.calendar_feed import calendar_ical
from closedloop.content.models import SharedLink
from closedloop.content.selectors import assets as selectors
from closedloop.content.share_urls import share_path
from closedloop.crm.models import Contact, Deal

router = Router(tags=["content"])

_PREVIEW_AGENTS = re.compile(
    r"bot|crawler|spider|preview|slack|facebookexternalhit|whatsapp|telegram|skypeuripreview|"
    r"microsoft office|outlook|proofpoint|mimecast|barracuda",
    re.IGNORECASE,
)


def is_link_preview(user_agent: str) -> bool:
    return bool(_PREVIEW_AGENTS.search(user_agent))


public = Router(tags=["content (public)"], auth=None)


class ShareIn(Schema):
    asset_id: int
    contact_id: int | None = Field(None, description="The prospect; taken from the deal when left out.")
    deal_id: int | None = None
    title: str = Field("", description="Title the prospect sees; the asset's title when empty.")
    intro: str = Field("", description="A personal note shown above the content.")
    body_html: str | None = Field(
        None, description="Personalised body (sanitised); the asset's body when null."
    )


class ShareOut(Schema):
    id: int
    asset_id: int
    version: int
    contact_id: int | None
    deal_id: int | None
    title: str
    url: str = Field(description="The tracked public link to send.")
    created_at: datetime
    open_count: int
    first_opened_at: datetime | None
    last_opened_at: datetime | None
    seconds_viewed: int
    revoked_at: datetime | None

    @staticmethod
    def resolve_url(obj: SharedLink, context: dict[str, Any]) -> str:
        return context["request"].build_absolute_uri(share_path(obj.public_id))


@router.post("", response={201: ShareOut}, summary="Share a personalised copy by a tracked link")
def share_create(request: HttpRequest, payload: ShareIn) -> Status:
    user = require_role(request, Permission.EDIT_CONTENT)
    asset = selectors.asset_get(asset_id=payload.asset_id)
    # An identifier in the body that names nothing is invalid input (422 naming the field), not a
    # missing resource at this URL.
    if asset is None:
        raise ValidationError({"asset_id": "no such asset"})
    contact = deal = None
    if (
        payload.contact_id is not None
        and (contact := Contact.objects.filter(pk=payload.contact_id).first()) is None
    ):
        raise ValidationError({"contact_id": "no such contact"})
    if payload.deal_id is not None and (deal := Deal.objects.filter(pk=payload.deal_id).first()) is None:
        raise ValidationError({"deal_id": "no such deal"})
    link = services.shared_link_create(
        asset=asset, contact=contact, deal=deal, title=payload.title, intro=payload.intro,
        body_html=payload.body_html, by=user,
    )  # fmt: skip
    return Status(201, link)


@router.get("", response=list[ShareOut], summary="List shares")
@paginate
def share_list(request: HttpRequest, asset_id: int | None = None, mine: bool = False) -> Any:
    user = require_role(request, Permission.EDIT_CONTENT)
    asset = selectors.asset_get(asset_id=asset_id) if asset_id else None
    if asset_id and asset is None:
        raise ValidationError({"asset_id": "no such asset"})
    return selectors.shared_link_list(user=user, asset=asset, mine_only=mine)


@router.post("/{share_id}/revoke", response=ShareOut, summary="Stop a link from opening")
def share_revoke(request: HttpRequest, share_id: int) -> SharedLink:
    user = require_role(request, Permission.EDIT_CONTENT)
    link = selectors.shared_link_get(link_id=share_id)
    if link is None:
        raise HttpError(404, "no such share")
    return services.shared_link_revoke(link=link, by=user)


@public.get("/s/{token}", summary="The shared page a prospect opens", include_in_schema=False)
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    user_agent = request.headers.get("User-Agent", "")
    if is_link_preview(user_agent):
        # Chat apps and mail scanners fetch links to preview them: that is not the prospect.
        link, view = selectors.shared_link_by_token(token=token), None
    else:
        opened = services.shared_link_open(token=token, user_agent=user_agent)
        link, view = opened if opened is not None else (None, None)
    if link is None:
        html = render_to_string("content/share_gone.html", request=request)
        return HttpResponse(html, status=404)
    html = render_to_string(
        "content/share_public.html", {"link": link, "view": view, "token": token}, request=request
    )
    response = HttpResponse(html)
    # The page is personal: never cached by proxies, never indexed.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@public.post("/s/{token}/beacon", summary="Time spent on a shared page", include_in_schema=False)
def share_beacon(request: HttpRequest, token: str) -> HttpResponse:
    # navigator.sendBeacon posts text/plain, so the JSON body is read by hand.
    try:
        data = json.loads(request.body or b"{}")
        view_key, seconds = str(data["view"]), int(data["seconds"])
    except (ValueError, KeyError, TypeError):
        raise HttpError(422, 'send {"view": ..., "seconds": ...}') from None
    view = services.shared_link_beacon(token=token, view_key=view_key, seconds=seconds)
    if view is None:
        raise HttpError(404, "no such view")
    return HttpResponse(status=204)


@public.get("/calendar/{token}.ics", summary="The content calendar as an iCal feed", include_in_schema=False)
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = selectors.feed_user(raw_token=token)
    if user is None or not user.has_role(Permission.EDIT_CONTENT):
        raise HttpError(404, "no such feed")
    entries = selectors.calendar_entries()
    body = calendar_ical(entries, host=request.get_host().split(":")[0], now=timezone.now())
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")

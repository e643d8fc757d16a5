"""Endpoints for email recipients, who are not users: the open pixel, click and download
redirects and unsubscribing. They are part of the API router because the login wall leaves
/api/ open; they take no authentication and trust nothing but the signature on the token."""

import base64

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import render
from ninja import Router

from closedloop.automation import links
from closedloop.automation.consent import ALL_TOPICS, subscription_set
from closedloop.automation.engagement import message_engagement_record
from closedloop.automation.models import ConsentRecord, Subscription, Topic
from closedloop.crm.models import Contact

router = Router(tags=["automation tracking"])

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = "no-store, no-cache, must-revalidate, private"


def _not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("This link is not valid.", content_type="text/plain")


@router.get("/o/{token}.gif", auth=None, include_in_schema=False)
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = links.link_read("open", token)
    except links.BadLink:
        return _not_found(request)
    message_engagement_record(kind="open", link=data)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = _NO_STORE  # every fetch must reach us, or opens go uncounted
    return response


def _redirect(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    try:
        data = links.link_read(kind, token)
    except links.BadLink:
        return _not_found(request)
    if not links.is_web_url(data.url):
        return _not_found(request)
    message_engagement_record(kind=kind, link=data)
    response = HttpResponseRedirect(data.url)
    response["Cache-Control"] = _NO_STORE
    response["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/c/{token}", auth=None, include_in_schema=False)
def click(request: HttpRequest, token: str) -> HttpResponse:
    return _redirect(request, "click", token)


@router.get("/d/{token}", auth=None, include_in_schema=False)
def download(request: HttpRequest, token: str) -> HttpResponse:
    return _redirect(request, "download", token)


def _unsubscribe_target(token: str) -> tuple[links.LinkData, Contact] | None:
    try:
        data = links.link_read("unsubscribe", token)
    except links.BadLink:
        return None
    contact = Contact.objects.filter(pk=data.contact_id).first()
    return (data, contact) if contact is not None else None


@router.get("/u/{token}", auth=None, include_in_schema=False)
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    target = _unsubscribe_target(token)
    if target is None:
        return _not_found(request)
    data, contact = target
    topic = Topic.objects.filter(key=data.topic).first()
    statuses = dict(
        Subscription.objects.filter(contact=contact, topic__in=[data.topic, ALL_TOPICS]).values_list(
            "topic", "status"
        )
    )
    context = {
        "email": contact.email,
        "topic_key": data.topic,
        "topic_name": topic.name if topic else data.topic.replace("-", " "),
        "topic_off": statuses.get(data.topic) == Subscription.Status.UNSUBSCRIBED,
        "all_off": statuses.get(ALL_TOPICS) == Subscription.Status.UNSUBSCRIBED,
        "done": "",
    }
    return render(request, "automation/unsubscribe.html", context)


@router.post("/u/{token}", auth=None, include_in_schema=False)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058 one-click (body "List-Unsubscribe=One-Click", sent by the mail client) or the
    page's own form (scope "topic" or "all", or "resubscribe" to undo)."""
    target = _unsubscribe_target(token)
    if target is None:
        return _not_found(request)
    data, contact = target
    if request.POST.get("List-Unsubscribe") == "One-Click":
        subscription_set(
            contact=contact, topic=data.topic, status=Subscription.Status.UNSUBSCRIBED,
            source=ConsentRecord.Source.ONE_CLICK, detail=f"message {data.message_key}",
        )  # fmt: skip
        return HttpResponse("Unsubscribed.", content_type="text/plain")
    scope = request.POST.get("scope", "topic")
    if scope not in ("topic", "all", "resubscribe"):
        return HttpResponse("scope must be topic, all or resubscribe", status=400, content_type="text/plain")
    topic = ALL_TOPICS if scope == "all" else data.topic
    status = Subscription.Status.SUBSCRIBED if scope == "resubscribe" else Subscription.Status.UNSUBSCRIBED
    subscription_set(
        contact=contact, topic=topic, status=status, source=ConsentRecord.Source.UNSUBSCRIBE_PAGE,
        detail=f"message {data.message_key}",
    )  # fmt: skip
    if scope == "resubscribe":
        Subscription.objects.filter(contact=contact, topic=ALL_TOPICS).delete()
    context = {"email": contact.email, "done": scope, "topic_key": data.topic, "topic_name": data.topic}
    return render(request, "automation/unsubscribe.html", context)

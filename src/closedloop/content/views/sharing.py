"""Sales customisation: personalise a published asset for a deal or contact, share it by a
tracked link, and follow what the prospect did with it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.content import services
from closedloop.content.selectors import assets as selectors
from closedloop.content.share_urls import share_path
from closedloop.content.views.common import error_text
from closedloop.crm.models import Contact, Deal


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@requires(Permission.EDIT_CONTENT)
def share_new(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = selectors.asset_get(asset_id=asset_id)
    if asset is None:
        raise Http404("No such asset.")
    deals = selectors.deal_choices(user=request.user)  # type: ignore[arg-type]
    values = request.POST if request.method == "POST" else request.GET
    context = {
        "asset": asset,
        "deals": deals,
        "values": values,
        "body_html": values.get("body_html", asset.body_html),
    }
    if request.method == "POST":
        deal_id, contact_id = _int(request.POST.get("deal", "")), _int(request.POST.get("contact", ""))
        deal = Deal.objects.filter(pk=deal_id).first() if deal_id else None
        contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
        try:
            link = services.shared_link_create(
                asset=asset, deal=deal, contact=contact, title=request.POST.get("title", ""),
                intro=request.POST.get("intro", ""), body_html=request.POST.get("body_html", asset.body_html),
                by=request.user,  # type: ignore[arg-type]
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return render(request, "content/share_form.html", context, status=422)
        messages.success(request, "Your tracked link is ready: send it to the prospect.")
        return redirect("content_share", share_id=link.pk)
    return render(request, "content/share_form.html", context)


@requires(Permission.EDIT_CONTENT)
def share_detail(request: HttpRequest, share_id: int) -> HttpResponse:
    link = selectors.shared_link_get(link_id=share_id)
    if link is None:
        raise Http404("No such share.")
    context = {
        "link": link,
        "url": request.build_absolute_uri(share_path(link.public_id)),
        "views": list(link.views.all()[:50]),
    }
    return render(request, "content/share_detail.html", context)


@requires(Permission.EDIT_CONTENT)
def share_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("all") != "1"
    links = list(selectors.shared_link_list(user=request.user, mine_only=mine)[:200])  # type: ignore[arg-type]
    return render(request, "content/share_list.html", {"links": links, "mine": mine})


@require_POST
@requires(Permission.EDIT_CONTENT)
def share_revoke(request: HttpRequest, share_id: int) -> HttpResponse:
    link = selectors.shared_link_get(link_id=share_id)
    if link is None:
        raise Http404("No such share.")
    services.shared_link_revoke(link=link, by=request.user)  # type: ignore[arg-type]
    messages.success(request, "The link no longer opens.")
    return redirect("content_share", share_id=link.pk)

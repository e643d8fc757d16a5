"""Pages: the signed-in user's notifications, newest first, with "mark all read"."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.notifications import selectors, services

PER_PAGE = 30


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notes = selectors.notification_list(request.user)  # type: ignore[arg-type]
    page = Paginator(notes, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
def notification_badge(request: HttpRequest) -> HttpResponse:
    count = selectors.unread_count(request.user)  # type: ignore[arg-type]
    return render(request, "notifications/_badge.html", {"count": count})


@require_POST
@login_required
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    services.mark_read(request.user, ids)  # type: ignore[arg-type]
    return redirect("notification_list")

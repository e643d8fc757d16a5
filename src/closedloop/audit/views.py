"""The audit log page (admins): who changed what, when."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.audit import selectors

PER_PAGE = 100


@requires(Permission.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    area = request.GET.get("area", "")
    entries = selectors.audit_entry_list(action_prefix=f"{area}." if area else "")
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "area": area, "areas": selectors.audit_action_prefixes()}
    return render(request, "audit/log.html", context)

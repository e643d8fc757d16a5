"""Pages. Each view parses input, calls one selector or service, and renders."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission


@requires(Permission.VIEW_DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "web/dashboard.html", {})

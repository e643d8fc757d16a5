"""Pages: the alarm list (open first, filters by status and kind) with acknowledge and
"reviewed by sales" buttons. Views parse input, call one selector or service, and render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.alarms import selectors, services
from closedloop.alarms.models import AlarmKind, AlarmStatus
from closedloop.tracking.models import LandingPage

ALARMS_PER_PAGE = 25
STATUS_CHOICES = [
    ("", "All"),
    (selectors.ACTIVE, "Open or acknowledged"),
    *AlarmStatus.choices,
]


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "alarm_list")


@requires(Permission.VIEW_ALARMS)
def alarm_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    # An unknown filter value shows everything rather than failing the page.
    status = status if status in dict(STATUS_CHOICES) else ""
    kind = kind if kind in AlarmKind.values else ""
    alarms = selectors.alarm_list(user=request.user, status=status, kind=kind)  # type: ignore[arg-type]
    page = Paginator(alarms, ALARMS_PER_PAGE).get_page(request.GET.get("page"))
    for alarm in page.object_list:
        alarm.shown_evidence = selectors.alarm_evidence_for(user=request.user, alarm=alarm)  # type: ignore[arg-type]
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "status_choices": STATUS_CHOICES,
        "kind_choices": AlarmKind.choices,
    }
    return render(request, "alarms/alarm_list.html", context)


@requires(Permission.VIEW_ALARMS)
def alarm_badge(request: HttpRequest) -> HttpResponse:
    """The open-alarm count in the navigation. Fetched by htmx after the page loads, so that no
    page pays a query for it."""
    count = selectors.alarm_open_count(user=request.user)  # type: ignore[arg-type]
    return render(request, "alarms/_badge.html", {"count": count})


@require_POST
@requires(Permission.ACK_ALARMS)
def alarm_acknowledge(request: HttpRequest, alarm_id: int) -> HttpResponse:
    alarm = selectors.alarm_get(user=request.user, alarm_id=alarm_id)  # type: ignore[arg-type]
    if alarm is None:
        raise Http404("No such alarm.")
    try:
        services.alarm_acknowledge(alarm=alarm, by=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Acknowledged: {alarm.title}")
    return _back(request)


@require_POST
@requires(Permission.REVIEW_LANDING_PAGES)
def landing_page_review(request: HttpRequest, landing_page_id: int) -> HttpResponse:
    page = LandingPage.objects.filter(pk=landing_page_id).first()
    if page is None:
        raise Http404("No such landing page.")
    services.landing_page_review(landing_page=page, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Marked {page.url} reviewed by sales.")
    return _back(request)

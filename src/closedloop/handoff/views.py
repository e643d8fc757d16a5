"""Pages: a rep's lead queue with Accept / Reject, and marketing's view of rejected leads.
Views parse input, call one selector or service, and render."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission, Role
from closedloop.handoff import selectors, services
from closedloop.handoff.models import HandoffStatus

STATUS_CHOICES = [("", "All"), *HandoffStatus.choices]


def _sees_everyone(user) -> bool:  # type: ignore[no-untyped-def]
    return user.role in (Role.HEAD_OF_SALES, Role.ADMIN) or user.is_superuser


@requires(Permission.VIEW_HANDOFF_QUEUE)
def handoff_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = request.GET.get("status", HandoffStatus.PENDING)
    status = status if status in dict(STATUS_CHOICES) else HandoffStatus.PENDING
    reps = None
    rep = user
    rep_id = ""
    if _sees_everyone(user):
        reps = list(selectors.sales_reps_list())
        rep_id = request.GET.get("rep", "")
        rep = next((r for r in reps if str(r.pk) == rep_id), None)  # type: ignore[assignment]
    handoffs = list(selectors.lead_queue_for(rep=rep, status=status))  # type: ignore[arg-type]
    context = {
        "handoffs": handoffs,
        "reasons": list(selectors.rejection_reasons_active()),
        "status": status,
        "status_choices": STATUS_CHOICES,
        "reps": reps,
        "rep_id": rep_id,
    }
    return render(request, "handoff/queue.html", context)


def _decide(request: HttpRequest, handoff_id: int, accept: bool) -> HttpResponse:
    handoff = selectors.handoff_get(handoff_id=handoff_id)
    if handoff is None:
        raise Http404("No such handoff.")
    error = ""
    try:
        if accept:
            handoff = services.handoff_accept(handoff=handoff, by=request.user)  # type: ignore[arg-type]
        else:
            handoff = services.handoff_reject(
                handoff=handoff,
                reason_code=request.POST.get("reason_code", ""),
                comment=request.POST.get("comment", ""),
                by=request.user,  # type: ignore[arg-type]
            )
    except (ValidationError, PermissionDenied) as exc:
        error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    if request.headers.get("HX-Request"):
        # htmx swaps just this lead's row.
        row = selectors.lead_queue_for(rep=None, status="").get(pk=handoff.pk)
        context = {"h": row, "reasons": list(selectors.rejection_reasons_active()), "error": error}
        return render(request, "handoff/_queue_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{'Accepted' if accept else 'Rejected'}: {handoff.contact}")
    return redirect("handoff_queue")


@require_POST
@requires(Permission.DECIDE_HANDOFFS)
def handoff_accept(request: HttpRequest, handoff_id: int) -> HttpResponse:
    return _decide(request, handoff_id, accept=True)


@require_POST
@requires(Permission.DECIDE_HANDOFFS)
def handoff_reject(request: HttpRequest, handoff_id: int) -> HttpResponse:
    return _decide(request, handoff_id, accept=False)


def _date_param(request: HttpRequest, name: str) -> date | None:
    # A malformed date shows the default period rather than failing the page.
    try:
        return parse_date(request.GET.get(name, ""))
    except ValueError:
        return None


@requires(Permission.VIEW_HANDOFF_REJECTIONS)
def handoff_rejections(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start = _date_param(request, "start") or today - timedelta(days=30)
    end = _date_param(request, "end") or today
    tz = timezone.get_current_timezone()
    start_at = datetime.combine(start, time.min, tzinfo=tz)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    context = {
        "start": start,
        "end": end,
        "summary": selectors.handoff_rejections_summary(start=start_at, end=end_at),
        "rejected": list(selectors.handoff_rejected_list(start=start_at, end=end_at)[:200]),
    }
    return render(request, "handoff/rejections.html", context)

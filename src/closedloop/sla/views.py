"""Pages: the SLA report (per rep, team or month, with monthly volumes and a CSV export) and the
business calendar the clocks count in."""

from datetime import date, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.sla import selectors
from closedloop.sla.calendar import WEEKDAYS, calendar_row_get, calendar_update
from closedloop.web.csv_export import csv_response


def _range(request: HttpRequest) -> tuple[date, date]:
    start, end = selectors.default_report_range()
    try:
        start = date.fromisoformat(request.GET.get("start", "")) if request.GET.get("start") else start
        end = date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else end
    except ValueError:
        messages.error(request, "Dates are YYYY-MM-DD; showing the last three months instead.")
        start, end = selectors.default_report_range()
    if end < start:
        start, end = end, start
    return start, end


@requires(Permission.VIEW_SLA_REPORT)
def sla_report(request: HttpRequest) -> HttpResponseBase:
    start, end = _range(request)
    group = request.GET.get("group", "rep")
    group = group if group in selectors.GROUPS else "rep"
    rows = selectors.sla_report(start=start, end=end, group=group)
    if request.GET.get("format") == "csv":
        return _csv(rows, start, end, group, by=request.user)
    context = {
        "rows": rows,
        "volumes": selectors.volume_report(start=start, end=end),
        "start": start,
        "end": end,
        "group": group,
        "groups": selectors.GROUPS,
    }
    return render(request, "sla/report.html", context)


def _csv(rows: list[selectors.ReportRow], start: date, end: date, group: str, by: object) -> HttpResponseBase:
    header = [
        group,
        "clock",
        "total",
        "met",
        "breached",
        "open_overdue",
        "running",
        "breach_rate",
        "median_business_hours",
    ]
    return csv_response(
        audit_actor=by, audit_what="SLA report", audit_filters={"start": start, "end": end, "group": group},
        filename=f"sla-{group}-{start}-{end}.csv",
        header=header,
        rows=(
            [
                r.label, r.kind, r.total, r.met, r.breached, r.open_overdue, r.running,
                None if r.breach_rate is None else round(r.breach_rate, 4),
                None if r.median_business_hours is None else round(r.median_business_hours, 2),
            ]
            for r in rows
        ),
    )  # fmt: skip


@requires(Permission.MANAGE_BUSINESS_CALENDAR)
def business_calendar(request: HttpRequest) -> HttpResponse:
    row = calendar_row_get()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            calendar_update(
                by=request.user,
                time_zone=request.POST.get("time_zone", "").strip(),
                workdays=[int(d) for d in request.POST.getlist("workdays") if d.isdigit()],
                day_start=_time(request.POST.get("day_start", ""), "day_start"),
                day_end=_time(request.POST.get("day_end", ""), "day_end"),
                holiday_country=request.POST.get("holiday_country", ""),
                holiday_subdivision=request.POST.get("holiday_subdivision", ""),
                closed_days=[d for d in request.POST.get("closed_days", "").split() if d],
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(
                request, "Business hours saved. New clocks count in them; running clocks keep their deadline."
            )
            return redirect("sla_calendar")
    context = {
        "row": row,
        "weekdays": list(enumerate(WEEKDAYS)),
        "workdays": {int(d) for d in row.workdays.split(",") if d},
        "errors": errors,
        "posted": request.POST if request.method == "POST" else None,
    }
    return render(request, "sla/calendar.html", context, status=422 if errors else 200)


def _time(value: str, field: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({field: f"{value!r} is not a time of day (HH:MM)"}) from None

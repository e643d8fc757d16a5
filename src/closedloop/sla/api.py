"""SLA API: clocks (filter by status, owner, contact) and the report per rep, team or month."""

from datetime import date, datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.sla import selectors
from closedloop.sla.models import ClockStatus, SlaClock

router = Router(tags=["sla"])


class ClockOut(Schema):
    id: int
    contact_id: int
    handoff_id: int | None
    kind: str = Field(
        description="first_contact_within, accept_within, follow_up_within or rejection_reason_within."
    )
    amount: int
    unit: str = Field(description="business_hours, business_days, hours or days.")
    description: str
    owner_id: int | None
    owner_team: str
    started_at: datetime
    due_at: datetime = Field(description="The deadline, counted in the business calendar.")
    stopped_at: datetime | None
    status: str = Field(
        description="running, met, breached (stopped late, or overdue if not stopped) or cancelled."
    )
    breached_at: datetime | None
    elapsed_business_seconds: int | None = Field(description="Business time from start to stop.")
    stop_reason: str


class ClockFilter(Schema):
    status: Literal["running", "met", "breached", "cancelled"] | None = None
    owner_id: int | None = None
    contact_id: int | None = None
    open: bool | None = Field(None, description="true: only clocks not yet stopped.")


class ReportRowOut(Schema):
    key: str
    label: str
    kind: str
    total: int
    met: int
    breached: int
    open_overdue: int
    running: int
    breach_rate: float | None = Field(description="breached / (met + breached); null when none decided.")
    median_business_hours: float | None


class VolumeOut(Schema):
    month: date
    stage: str
    target: int
    delivered: int
    owner_team: str


class ReportOut(Schema):
    start: date
    end: date
    group: str
    rows: list[ReportRowOut]
    volumes: list[VolumeOut]


@router.get("/clocks", response=list[ClockOut], summary="List SLA clocks, newest first")
@paginate
def clock_list(request: HttpRequest, filters: Query[ClockFilter]) -> QuerySet[SlaClock]:
    require_role(request, Permission.VIEW_SLA_REPORT)
    qs = SlaClock.objects.all().order_by("-started_at", "-id")
    if filters.status:
        qs = qs.filter(status=ClockStatus(filters.status))
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.contact_id is not None:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.open is not None:
        qs = qs.filter(stopped_at__isnull=filters.open)
    return qs


@router.get("/report", response=ReportOut, summary="SLA report per rep, team or month")
def report(
    request: HttpRequest,
    start: date | None = None,
    end: date | None = None,
    group: Literal["rep", "team", "month"] = "rep",
) -> dict:
    require_role(request, Permission.VIEW_SLA_REPORT)
    default_start, default_end = selectors.default_report_range()
    start, end = start or default_start, end or default_end
    if end < start:
        start, end = end, start
    rows = selectors.sla_report(start=start, end=end, group=group)
    return {
        "start": start,
        "end": end,
        "group": group,
        "rows": [
            {
                **{
                    k: getattr(r, k)
                    for k in ("key", "label", "kind", "total", "met", "breached", "open_overdue", "running")
                },
                "breach_rate": r.breach_rate,
                "median_business_hours": r.median_business_hours,
            }
            for r in rows
        ],
        "volumes": selectors.volume_report(start=start, end=end),
    }

"""The metric registry: every number a goal can be set on, how it is computed from the data, and
which team controls it (seed 004: a team is held only to what it controls). Each metric is one
aggregate query over [start, end)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from closedloop.accounts.roles import TeamKind
from closedloop.crm.models import Contact, Deal, StageTransition
from closedloop.handoff.models import Handoff, HandoffStatus
from closedloop.tracking.models import CampaignCost

Compute = Callable[[datetime, datetime], Decimal]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "count" or "money" or "percent"
    team_kind: str  # the kind of team that controls it
    description: str
    compute: Compute
    # Counts and sums grow through a period and can be projected; rates cannot.
    additive: bool = True


def _count(qs) -> Decimal:  # type: ignore[no-untyped-def]
    return Decimal(qs.count())


def _new_leads(start: datetime, end: datetime) -> Decimal:
    return _count(Contact.objects.filter(created_at__gte=start, created_at__lt=end))


def _stage_entries(stage: str) -> Compute:
    def compute(start: datetime, end: datetime) -> Decimal:
        rows = StageTransition.objects.filter(to_stage=stage, at__gte=start, at__lt=end)
        return Decimal(rows.values("contact_id").distinct().count())

    return compute


def _spend(start: datetime, end: datetime) -> Decimal:
    # Costs are booked per calendar day in the site's time zone.
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    total = CampaignCost.objects.filter(date__gte=first, date__lt=last).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0)


def _accepted(start: datetime, end: datetime) -> Decimal:
    return _count(
        Handoff.objects.filter(status=HandoffStatus.ACCEPTED, decided_at__gte=start, decided_at__lt=end)
    )


def _won(start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return Deal.objects.filter(stage=Deal.DealStage.WON, closed_at__gte=start, closed_at__lt=end)


def _deals_won(start: datetime, end: datetime) -> Decimal:
    return _count(_won(start, end))


def _revenue_won(start: datetime, end: datetime) -> Decimal:
    return Decimal(_won(start, end).aggregate(s=Sum("amount"))["s"] or 0)


def _pipeline_created(start: datetime, end: datetime) -> Decimal:
    total = Deal.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0)


def _win_rate(start: datetime, end: datetime) -> Decimal:
    closed = Deal.objects.filter(
        stage__in=[Deal.DealStage.WON, Deal.DealStage.LOST], closed_at__gte=start, closed_at__lt=end
    ).aggregate(n=Count("id"), won=Count("id", filter=Q(stage=Deal.DealStage.WON)))
    if not closed["n"]:
        return Decimal(0)
    return (Decimal(100) * closed["won"] / closed["n"]).quantize(Decimal("0.1"))


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("new_leads", "New leads", "count", TeamKind.MARKETING,
               "Contacts created in the period.", _new_leads),
        Metric("mqls", "MQLs", "count", TeamKind.MARKETING,
               "Contacts that entered MQL in the period (each counted once).", _stage_entries("mql")),
        Metric("sqls", "SQLs", "count", TeamKind.MARKETING,
               "Contacts that entered SQL in the period (each counted once).", _stage_entries("sql")),
        Metric("marketing_spend", "Marketing spend", "money", TeamKind.MARKETING,
               "Campaign cost booked on the period's days.", _spend),
        Metric("handoffs_accepted", "Leads accepted by sales", "count", TeamKind.SALES,
               "Handoffs sales accepted in the period.", _accepted),
        Metric("deals_won", "Deals won", "count", TeamKind.SALES,
               "Deals closed as won in the period.", _deals_won),
        Metric("revenue_won", "Revenue won", "money", TeamKind.SALES,
               "Amount of the deals closed as won in the period.", _revenue_won),
        Metric("pipeline_created", "Pipeline created", "money", TeamKind.SALES,
               "Amount of the deals created in the period.", _pipeline_created),
        Metric("win_rate", "Win rate", "percent", TeamKind.SALES,
               "Won deals as a percentage of deals closed (won or lost) in the period.", _win_rate,
               additive=False),
    )
}  # fmt: skip


def metric_get(key: str) -> Metric:
    try:
        return METRICS[key]
    except KeyError:
        raise ValueError(f"unknown metric {key!r}; choose one of {', '.join(METRICS)}") from None


def metric_value(key: str, *, start: datetime, end: datetime) -> Decimal:
    return metric_get(key).compute(start, end)

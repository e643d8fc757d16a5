"""The agenda pack: what a meeting should talk about, built from the data (DESIGN §3.11) — KPI changes
against the previous period and against goal, SLA breaches, rejected leads and their reasons, the
engine's friction sentences, open alarms, wins with the marketing touchpoints behind them and
content gaps. The result is plain JSON, frozen on the occurrence when generated."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.alarms.selectors import alarm_list
from closedloop.crm.models import Deal
from closedloop.engine.friction import friction_run
from closedloop.engine.periods import Period as EnginePeriod
from closedloop.handoff.selectors import handoff_rejected_list, handoff_rejections_summary
from closedloop.meetings.extract import transitions_table
from closedloop.meetings.hooks import content_gaps_for_pack, sla_breaches_for_pack
from closedloop.meetings.metrics import METRICS
from closedloop.meetings.models import MeetingOccurrence
from closedloop.meetings.models.meetings import Cadence
from closedloop.meetings.pace import period_previous_first_day
from closedloop.meetings.selectors.goals import goal_progress, goals_visible_to
from closedloop.tracking.models import Event

LIST_LIMIT = 10
FRICTION_BASELINE_PERIODS = 4


def pack_window(occurrence: MeetingOccurrence) -> tuple[datetime, datetime, datetime]:
    """(previous start, start, end): a weekly meeting reviews the seven days before its day, a monthly
    one the previous calendar month; each is compared with the period before it."""
    tz = timezone.get_current_timezone()
    day = timezone.localtime(occurrence.starts_at, tz).date()
    if occurrence.series.cadence == Cadence.WEEKLY:
        end = datetime.combine(day, time.min, tzinfo=tz)
        start = datetime.combine(day - timedelta(days=7), time.min, tzinfo=tz)
        previous = datetime.combine(day - timedelta(days=14), time.min, tzinfo=tz)
        return previous, start, end
    this_month = day.replace(day=1)
    last_month = period_previous_first_day("month", this_month)
    before = period_previous_first_day("month", last_month)
    return (
        datetime.combine(before, time.min, tzinfo=tz),
        datetime.combine(last_month, time.min, tzinfo=tz),
        datetime.combine(this_month, time.min, tzinfo=tz),
    )


def _num(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _change(current: Decimal, previous: Decimal) -> float | None:
    if not previous:
        return None
    return round(float(100 * (current - previous) / previous), 1)


def kpi_section(
    *, user: User, previous: datetime, start: datetime, end: datetime, now: datetime
) -> list[dict]:
    goals: dict[str, list[dict[str, Any]]] = {}
    day = timezone.localdate(now)
    for goal in goals_visible_to(user=user).filter(period_start__lte=day).order_by("-period_start"):
        progress = goal_progress(goal=goal, now=now)
        if progress.start <= now < progress.end:
            goals.setdefault(goal.metric, []).append(
                {"team": goal.team.name, "target": _num(goal.target), "kind": goal.period_kind,
                 "percent": progress.pace.percent, "sentence": progress.sentence, "status": progress.status}
            )  # fmt: skip
    rows = []
    for metric in METRICS.values():
        current = metric.compute(start, end)
        before = metric.compute(previous, start)
        rows.append(
            {
                "metric": metric.key,
                "label": metric.label,
                "unit": metric.unit,
                "team": str(metric.team_kind),
                "current": _num(current),
                "previous": _num(before),
                "change_percent": _change(current, before),
                "goals": goals.get(metric.key, []),
            }
        )
    return rows


def rejection_section(*, start: datetime, end: datetime) -> dict[str, Any]:
    leads = [
        {
            "contact": str(h.contact),
            "company": h.contact.account.name if h.contact.account else "",
            "campaign": h.contact.source_campaign.name if h.contact.source_campaign else "",
            "reason": h.reason_code,
            "comment": h.comment,
            "rep": h.decided_by.display_name if h.decided_by else "",
        }
        for h in handoff_rejected_list(start=start, end=end)[:LIST_LIMIT]
    ]
    return {"by_reason": handoff_rejections_summary(start=start, end=end), "leads": leads}


def friction_section(*, start: datetime, end: datetime, now: datetime) -> list[str]:
    """The engine's friction sentences for the review window, worst first. Empty when there is not
    enough history (no won deal to value a conversion, or no transitions)."""
    period = EnginePeriod(start, end)
    since = start - FRICTION_BASELINE_PERIODS * (end - start)
    table = transitions_table(since=since, until=end)
    value = Deal.objects.filter(stage=Deal.DealStage.WON, closed_at__gte=since, closed_at__lt=end).aggregate(
        v=Avg("amount")
    )["v"]
    if not table.num_rows or not value:
        return []
    try:
        report = friction_run(
            table, period, baseline=FRICTION_BASELINE_PERIODS, value_per_customer=float(value), as_of=now
        )
    except ValueError:
        return []
    return [t.sentence for t in report.ranked() if t.entered][:5]


def alarm_section(*, user: User) -> list[dict[str, Any]]:
    return [
        {"title": a.title, "severity": a.severity, "status": a.status, "message": a.message}
        for a in alarm_list(user=user, status="active")[:LIST_LIMIT]
    ]


def win_touchpoints(deal: Deal) -> list[str]:
    """Campaigns that touched the deal's contact before it closed, first touch first."""
    if deal.contact_id is None:
        return []
    names: list[str] = []
    events = Event.objects.filter(contact_id=deal.contact_id, campaign__isnull=False)
    if deal.closed_at:
        events = events.filter(ts__lte=deal.closed_at)
    for name in events.order_by("ts", "id").values_list("campaign__name", flat=True):
        if name not in names:
            names.append(name)
    return names


def win_section(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    deals = (
        Deal.objects.filter(stage=Deal.DealStage.WON, closed_at__gte=start, closed_at__lt=end)
        .select_related("owner", "account")
        .order_by("-amount", "-id")[:LIST_LIMIT]
    )
    return [
        {
            "deal": d.name,
            "amount": _num(d.amount),
            "owner": d.owner.display_name if d.owner else "",
            "account": d.account.name if d.account else "",
            "touchpoints": win_touchpoints(d),
        }
        for d in deals
    ]


def pack_build(*, occurrence: MeetingOccurrence, user: User, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    previous, start, end = pack_window(occurrence)
    return {
        "window": {"previous": previous.isoformat(), "start": start.isoformat(), "end": end.isoformat()},
        "kpis": kpi_section(user=user, previous=previous, start=start, end=end, now=now),
        "sla_breaches": sla_breaches_for_pack(start=start, end=end),
        "rejections": rejection_section(start=start, end=end),
        "friction": friction_section(start=start, end=end, now=now),
        "alarms": alarm_section(user=user),
        "wins": win_section(start=start, end=end),
        "content_gaps": content_gaps_for_pack(start=start, end=end),
    }

"""Insights API: the reports behind the insights pages as JSON — funnel, attribution, cohorts,
KPI trends with forecasts, and friction. Every report takes the same period and filters; agency
partners get the numbers of the people their own campaigns brought in, nothing else."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.insights import reports
from closedloop.insights.attribution_report import KEYS, AttributionInputError
from closedloop.insights.funnel_report import BREAKDOWNS, DEFAULT_STEPS, MAX_WINDOW_DAYS, FunnelInputError
from closedloop.insights.periods import MAX_PERIOD_DAYS, Period
from closedloop.insights.report_scope import ReportScope
from closedloop.insights.selectors import campaign_options, campaigns_visible_to
from closedloop.tracking.models import Channel

router = Router(tags=["insights"])
DEFAULT_DAYS = 180


class ReportFilters(Schema):
    start: date | None = Field(
        None, description=f"First day of the period (default: {DEFAULT_DAYS} days before end)."
    )
    end: date | None = Field(None, description="Last day of the period, included (default: today).")
    campaign_id: int | None = Field(None, description="Only contacts whose first-touch campaign is this one.")
    channel: str | None = Field(
        None, description=f"Only contacts whose first-touch channel is this: {', '.join(Channel.values)}."
    )


class FunnelFilters(ReportFilters):
    steps: str = Field(
        ",".join(DEFAULT_STEPS),
        description="Comma-separated ordered steps: stage names (visitor, iql, mql, sql, opportunity, customer) "
        "or event types (ad_click, page_view, form_submit, ...). 2 to 20 steps.",
    )
    window_days: int = Field(
        30, description=f"Conversion window from the first step, 1 to {MAX_WINDOW_DAYS} days."
    )
    breakdown: str | None = Field(None, description=f"Break down by {', '.join(BREAKDOWNS)} of the contact.")


class AttributionFilters(ReportFilters):
    by: str = Field("channel", description=f"Credit {' or '.join(KEYS)}.")


class FunnelStepOut(Schema):
    index: int = Field(description="1-based position of the step.")
    name: str = Field(description="Stage or event type.")
    reached: int = Field(description="People whose furthest step is this one or later.")
    conversion_from_previous: float | None = Field(
        description="reached / reached at the previous step (share, 0–1)."
    )
    conversion_from_first: float | None = Field(description="reached / reached at step 1 (share, 0–1).")
    in_progress: int = Field(description="Furthest step is this one and the window is still open.")
    dropped: int = Field(description="Furthest step is this one and the window has closed.")


class FunnelBreakdownOut(Schema):
    value: str = Field(description='The breakdown value; "(none)" when the contact has none.')
    steps: list[FunnelStepOut]


class FunnelOut(Schema):
    start: date
    end: date
    as_of: str = Field(description="Later steps are counted up to this instant (the period's end, or now).")
    window_days: int
    steps: list[FunnelStepOut]
    breakdown: str | None = Field(description="What the breakdowns are by, or null.")
    breakdowns: list[FunnelBreakdownOut] = Field(
        description="Largest first; their reached counts add up to the total."
    )
    median_seconds_to_convert: float | None = Field(
        description="First to last step, over people who completed the funnel."
    )


class AttributionRowOut(Schema):
    key: str = Field(description="The channel or campaign credited.")
    conversions: dict[str, float] = Field(description="Model → won deals credited.")
    revenue: dict[str, float] = Field(description="Model → won revenue credited.")


class AttributionOut(Schema):
    start: date
    end: date
    by: str
    models: list[str] = Field(
        description="first, last, linear, u_shaped, w_shaped, time_decay, markov, shapley."
    )
    conversions: int = Field(description="Won deals closed in the period with at least one campaign touch.")
    revenue: float = Field(description="Their total amount.")
    unattributed: int = Field(description="Won deals closed in the period with no campaign touch to credit.")
    rows: list[AttributionRowOut]


class CohortOut(Schema):
    cohort: date = Field(description="First day of the month the customers started in.")
    customers: int
    retention: list[float | None] = Field(
        description="Share still active k months later (index k); null: not known yet."
    )


class ChurnOut(Schema):
    month: date
    active_at_start: int
    churned: int
    churn_rate: float | None = Field(description="churned / active_at_start (share), null without customers.")


class CohortsOut(Schema):
    start: date
    end: date
    cohorts: list[CohortOut]
    churn: list[ChurnOut]


class KpiMonthOut(Schema):
    month: date
    spend: float = Field(description="Campaign cost days in the month.")
    new_mqls: int = Field(description="Contacts whose first MQL entry is in the month.")
    cpa: float | None = Field(description="spend / new_mqls.")
    new_customers: int
    cac: float | None = Field(description="spend / new_customers (campaign spend only).")
    won: int
    lost: int
    win_rate: float | None = Field(description="won / (won + lost) of deals closed in the month.")
    cycle_median_days: float | None = Field(description="Median creation → close of deals won in the month.")
    conversion: dict[str, float | None] = Field(
        description='"mql>sql" → share of the month\'s entrants that reached it.'
    )


class ForecastPointOut(Schema):
    period: date = Field(description="Monday of the week.")
    forecast: float
    lower: float
    upper: float


class ForecastOut(Schema):
    name: str
    method: str | None = Field(description="holt or holt_winters; null without a forecast.")
    mape: float | None = Field(
        description="Rolling-origin backtest error (share): what the method achieved on this series."
    )
    level: float | None = Field(description="Coverage of the interval, e.g. 0.8.")
    history: list[tuple[date, float]] = Field(description="[week, value] of complete weeks.")
    points: list[ForecastPointOut]
    problem: str | None = Field(description="Why there is no forecast, if there is none.")


class KpisOut(Schema):
    start: date
    end: date
    months: list[KpiMonthOut]
    forecasts: list[ForecastOut]


class FrictionOut(Schema):
    from_stage: str
    to_stage: str
    owner: str | None = Field(description="The team the agreement makes responsible for the to-stage.")
    current_rate: float | None
    baseline_rate: float | None
    lost_value: float | None = Field(description="Fewer conversions × value of a conversion downstream.")
    sentence: str = Field(description="The finding, stated without blame.")


def _scope(request: HttpRequest, filters: ReportFilters) -> ReportScope:
    user = require_role(request, Permission.VIEW_INSIGHTS)
    end = filters.end or timezone.localdate()
    start = filters.start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError({"start": "start is after end"})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError({"end": f"the period can span at most {MAX_PERIOD_DAYS} days"})
    if filters.channel and filters.channel not in Channel.values:
        raise ValidationError(
            {"channel": f"unknown channel {filters.channel!r}; one of {', '.join(Channel.values)}"}
        )
    visible = campaigns_visible_to(user=user)
    if (
        filters.campaign_id
        and not campaign_options(campaigns_visible=visible).filter(pk=filters.campaign_id).exists()
    ):
        raise ValidationError({"campaign_id": f"no campaign {filters.campaign_id} that you may see"})
    return reports.report_scope_for(
        user=user,
        period=Period(start=start, end=end),
        campaign_id=filters.campaign_id,
        channel=filters.channel,
    )


@router.get("/funnel", response=FunnelOut, summary="Ordered funnel with breakdown")
def funnel(request: HttpRequest, filters: Query[FunnelFilters]) -> dict[str, Any]:
    """People who went through the steps in order within the window from their first step, which
    falls in the period. In-progress people (window still open) are counted, not dropped."""
    scope = _scope(request, filters)
    steps = tuple(s.strip() for s in filters.steps.split(",") if s.strip())
    try:
        report = reports.funnel_get(
            scope=scope, steps=steps, window_days=filters.window_days, breakdown=filters.breakdown or None
        )
    except FunnelInputError as err:
        raise ValidationError({err.field: str(err)}) from err
    result = report.result
    return {
        "start": scope.period.start,
        "end": scope.period.end,
        "as_of": result.as_of.isoformat(),
        "window_days": report.window_days,
        "steps": result.steps,
        "breakdown": report.breakdown,
        "breakdowns": [{"value": str(b.value), "steps": b.steps} for b in result.breakdowns],
        "median_seconds_to_convert": result.time_to_convert.percentiles.get("p50"),
    }


@router.get("/attribution", response=AttributionOut, summary="Every attribution model side by side")
def attribution(request: HttpRequest, filters: Query[AttributionFilters]) -> dict[str, Any]:
    """Won deals closed in the period credited to channels or campaigns by each model."""
    scope = _scope(request, filters)
    try:
        report = reports.attribution_get(scope=scope, by=filters.by)
    except AttributionInputError as err:
        raise ValidationError({err.field: str(err)}) from err
    return {
        "start": scope.period.start,
        "end": scope.period.end,
        "by": report.by,
        "models": list(report.models),
        "conversions": report.conversions,
        "revenue": report.revenue,
        "unattributed": report.unattributed,
        "rows": report.rows,
    }


@router.get("/cohorts", response=CohortsOut, summary="Customer retention cohorts and monthly churn")
def cohorts(request: HttpRequest, filters: Query[ReportFilters]) -> dict[str, Any]:
    scope = _scope(request, filters)
    report = reports.cohorts_get(scope=scope)
    return {
        "start": scope.period.start,
        "end": scope.period.end,
        "cohorts": [
            {"cohort": r.cohort, "customers": r.size, "retention": list(r.retention)} for r in report.rows
        ],
        "churn": report.churn,
    }


@router.get("/kpis", response=KpisOut, summary="KPIs per month with MQL and pipeline forecasts")
def kpis(request: HttpRequest, filters: Query[ReportFilters]) -> dict[str, Any]:
    scope = _scope(request, filters)
    report = reports.kpis_get(scope=scope)
    forecasts = []
    for view in report.forecasts:
        f = view.forecast
        points = []
        if f is not None and f.periods is not None:
            points = [
                {
                    "period": p,
                    "forecast": float(f.point[i]),
                    "lower": float(f.lower[i]),
                    "upper": float(f.upper[i]),
                }
                for i, p in enumerate(f.periods)
            ]
        forecasts.append(
            {
                "name": view.name,
                "method": f.method if f else None,
                "mape": f.mape if f else None,
                "level": f.level if f else None,
                "history": view.history,
                "points": points,
                "problem": view.problem,
            }
        )
    months = [
        {
            "month": m.month,
            "spend": m.spend,
            "new_mqls": m.mqls,
            "cpa": m.cpa,
            "new_customers": m.new_customers,
            "cac": m.cac,
            "won": m.won,
            "lost": m.lost,
            "win_rate": m.win_rate,
            "cycle_median_days": m.cycle_median_days,
            "conversion": m.conversion,
        }
        for m in report.months
    ]
    return {"start": scope.period.start, "end": scope.period.end, "months": months, "forecasts": forecasts}


@router.get("/friction", response=list[FrictionOut], summary="Friction: value lost per stage transition")
def friction(request: HttpRequest, filters: Query[ReportFilters]) -> list[Any]:
    """Largest loss first, this period against the four periods of the same length before it."""
    scope = _scope(request, filters)
    view = reports.friction_get(scope=scope)
    if view.report is None:
        raise ValidationError({"start": f"no diagnosis for this period: {view.problem}"})
    return list(view.report.ranked())

"""The insights reports as pages and the API read them: one function per report, scoped to what
the user may see, served from the short-lived cache while the data behind it is unchanged."""

from __future__ import annotations

from datetime import date

from closedloop.accounts.models import User
from closedloop.insights import datasets
from closedloop.insights.attribution_report import AttributionReport, attribution_report
from closedloop.insights.cohort_report import CohortReport, cohort_report
from closedloop.insights.friction_report import FrictionView, friction_report
from closedloop.insights.funnel_report import DEFAULT_STEPS, FunnelReport, funnel_report
from closedloop.insights.kpi_report import KpiReport, kpi_report
from closedloop.insights.periods import Period
from closedloop.insights.report_scope import ReportScope, scope_build
from closedloop.insights.selectors import campaigns_visible_to


def report_scope_for(
    *, user: User, period: Period, campaign_id: int | None = None, channel: str | None = None
) -> ReportScope:
    """The scope a user's reports run in: partners only ever see their own campaigns' people."""
    visible = campaigns_visible_to(user=user)
    return scope_build(
        period=period,
        campaign_id=campaign_id,
        channel=channel,
        campaigns_visible=None if visible is None else list(visible),
    )


def _key(scope: ReportScope) -> tuple:
    visible = None if scope.campaigns_visible is None else tuple(sorted(scope.campaigns_visible))
    return (scope.period.start, scope.period.end, scope.campaign_id, scope.channel, visible, date.today())


def funnel_get(
    *,
    scope: ReportScope,
    steps: tuple[str, ...] = DEFAULT_STEPS,
    window_days: int = 30,
    breakdown: str | None = None,
) -> FunnelReport:
    key = (*_key(scope), tuple(steps), window_days, breakdown)
    return datasets.report_cached(  # type: ignore[return-value]
        "funnel",
        key,
        lambda: funnel_report(scope=scope, steps=tuple(steps), window_days=window_days, breakdown=breakdown),
    )


def attribution_get(*, scope: ReportScope, by: str = "channel") -> AttributionReport:
    return datasets.report_cached(  # type: ignore[return-value]
        "attribution", (*_key(scope), by), lambda: attribution_report(scope=scope, by=by)
    )


def cohorts_get(*, scope: ReportScope) -> CohortReport:
    return datasets.report_cached("cohorts", _key(scope), lambda: cohort_report(scope=scope))  # type: ignore[return-value]


def kpis_get(*, scope: ReportScope) -> KpiReport:
    return datasets.report_cached("kpis", _key(scope), lambda: kpi_report(scope=scope))  # type: ignore[return-value]


def friction_get(*, scope: ReportScope) -> FrictionView:
    return datasets.report_cached("friction", _key(scope), lambda: friction_report(scope=scope))  # type: ignore[return-value]

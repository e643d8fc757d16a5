"""Insights pages: funnel, attribution, cohorts, KPI trends with forecast, and friction. Each page
parses its filters, reads one report and renders; `<page>/export.csv` streams the page's table
with the same filters. Partners see only the people their campaigns brought in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from closedloop.accounts.access import requires
from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.insights import reports
from closedloop.insights.attribution_report import KEYS, MODEL_LABELS
from closedloop.insights.forms import AttributionForm, FunnelForm, InsightsFilterForm
from closedloop.insights.funnel_report import BREAKDOWNS, HEADER
from closedloop.insights.report_scope import ReportScope
from closedloop.insights.selectors import campaign_options, campaigns_visible_to
from closedloop.web.csv_export import csv_response

TABS = (
    ("insights_funnel", "Funnel"),
    ("insights_attribution", "Attribution"),
    ("insights_cohorts", "Cohorts"),
    ("insights_kpis", "KPI trends"),
    ("insights_friction", "Friction"),
)


def _scope(request: HttpRequest) -> tuple[InsightsFilterForm, ReportScope]:
    user: User = request.user  # type: ignore[assignment]
    visible = campaigns_visible_to(user=user)
    form = InsightsFilterForm(request.GET, campaigns=campaign_options(campaigns_visible=visible))
    filters = form.insights_filters()
    scope = reports.report_scope_for(
        user=user, period=filters.period, campaign_id=filters.campaign_id, channel=filters.channel
    )
    return form, scope


def _page(
    request: HttpRequest, template: str, tab: str, form: InsightsFilterForm, scope: ReportScope, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "period": scope.period,
        "is_partner": scope.is_scoped,
        "tabs": TABS,
        "tab": tab,
        "query": request.GET.urlencode(),
        **extra,
    }
    return render(request, template, context)


@requires(Permission.VIEW_INSIGHTS)
def funnel(request: HttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    funnel_form = FunnelForm(request.GET)
    steps, window_days, breakdown = funnel_form.values()
    report = reports.funnel_get(scope=scope, steps=steps, window_days=window_days, breakdown=breakdown)
    return _page(
        request,
        "insights/funnel.html",
        "insights_funnel",
        form,
        scope,
        funnel_form=funnel_form,
        report=report,
        breakdown_label=BREAKDOWNS.get(breakdown or "", ""),
    )


@requires(Permission.VIEW_INSIGHTS)
def attribution(request: HttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    attribution_form = AttributionForm(request.GET)
    by, measure = attribution_form.values()
    report = reports.attribution_get(scope=scope, by=by)
    return _page(
        request,
        "insights/attribution.html",
        "insights_attribution",
        form,
        scope,
        attribution_form=attribution_form,
        report=report,
        by_label=KEYS[by],
        measure=measure,
        chart=report.chart(measure),
        model_labels=MODEL_LABELS,
    )


@requires(Permission.VIEW_INSIGHTS)
def cohorts(request: HttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    return _page(
        request,
        "insights/cohorts.html",
        "insights_cohorts",
        form,
        scope,
        report=reports.cohorts_get(scope=scope),
    )


@requires(Permission.VIEW_INSIGHTS)
def kpis(request: HttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    return _page(
        request, "insights/kpis.html", "insights_kpis", form, scope, report=reports.kpis_get(scope=scope)
    )


@requires(Permission.VIEW_INSIGHTS)
def friction(request: HttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    return _page(
        request,
        "insights/friction.html",
        "insights_friction",
        form,
        scope,
        view=reports.friction_get(scope=scope),
    )


def _funnel_csv(request: HttpRequest, scope: ReportScope) -> tuple[list[str], list[list[object]]]:
    steps, window_days, breakdown = FunnelForm(request.GET).values()
    report = reports.funnel_get(scope=scope, steps=steps, window_days=window_days, breakdown=breakdown)
    return HEADER, report.rows()


def _attribution_csv(request: HttpRequest, scope: ReportScope) -> tuple[list[str], list[list[object]]]:
    by, _ = AttributionForm(request.GET).values()
    report = reports.attribution_get(scope=scope, by=by)
    return report.csv_header(), report.csv_rows()


def _cohorts_csv(request: HttpRequest, scope: ReportScope) -> tuple[list[str], list[list[object]]]:
    report = reports.cohorts_get(scope=scope)
    return report.csv_header(), report.csv_rows()


def _churn_csv(request: HttpRequest, scope: ReportScope) -> tuple[list[str], list[list[object]]]:
    report = reports.cohorts_get(scope=scope)
    rows: list[list[object]] = [
        [
            m.month.strftime("%Y-%m"),
            m.active_at_start,
            m.churned,
            None if m.churn_rate is None else round(100 * m.churn_rate, 1),
        ]
        for m in report.churn
    ]
    return ["month", "active_at_start", "churned", "churn_rate_pct"], rows


def _kpis_csv(request: HttpRequest, scope: ReportScope) -> tuple[list[str], list[list[object]]]:
    report = reports.kpis_get(scope=scope)
    return report.csv_header(), report.csv_rows()


def _forecast_csv(request: HttpRequest, scope: ReportScope) -> tuple[list[str], list[list[object]]]:
    report = reports.kpis_get(scope=scope)
    rows: list[list[object]] = []
    for view in report.forecasts:
        for period, value in view.history:
            rows.append([view.name, period.isoformat(), "actual", round(value, 2), None, None, view.mape_pct])
        if view.forecast is not None and view.forecast.periods is not None:
            for i, period in enumerate(view.forecast.periods):
                rows.append(
                    [
                        view.name,
                        period.isoformat(),
                        "forecast",
                        round(float(view.forecast.point[i]), 2),
                        round(float(view.forecast.lower[i]), 2),
                        round(float(view.forecast.upper[i]), 2),
                        view.mape_pct,
                    ]
                )
    return ["series", "week", "kind", "value", "lower", "upper", "backtest_mape_pct"], rows


def _friction_csv(request: HttpRequest, scope: ReportScope) -> tuple[list[str], list[list[object]]]:
    view = reports.friction_get(scope=scope)
    return view.csv_header(), view.csv_rows()


EXPORTS: dict[str, Callable[[HttpRequest, ReportScope], tuple[list[str], list[list[object]]]]] = {
    "funnel": _funnel_csv,
    "attribution": _attribution_csv,
    "cohorts": _cohorts_csv,
    "churn": _churn_csv,
    "kpis": _kpis_csv,
    "forecast": _forecast_csv,
    "friction": _friction_csv,
}


@requires(Permission.VIEW_INSIGHTS)
def export_csv(request: HttpRequest, table: str) -> HttpResponse:
    """`?excel=1` adds a byte order mark so Excel reads the file as UTF-8."""
    build = EXPORTS.get(table)
    if build is None:
        raise Http404("No such table.")
    _, scope = _scope(request)
    header, rows = build(request, scope)
    name = f"{table}-{scope.period.start:%Y%m%d}-{scope.period.end:%Y%m%d}.csv"
    # A streamed response: `requires` is typed for plain responses but passes any through.
    return csv_response(  # type: ignore[return-value]
        filename=name,
        header=header,
        rows=rows,
        bom=request.GET.get("excel") == "1",
        audit_actor=request.user,
        audit_what=f"insights {table}",
        audit_filters=request.GET.dict(),
    )

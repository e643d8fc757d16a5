"""Filter forms of the insights pages. They only parse GET parameters; a bad value is reported on
the page and the report falls back to its defaults instead of failing the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from closedloop.insights.attribution_report import KEYS
from closedloop.insights.funnel_report import BREAKDOWNS, DEFAULT_STEPS, MAX_WINDOW_DAYS, step_choices
from closedloop.insights.periods import Period, period_resolve
from closedloop.web.forms import DashboardFilterForm

# Reports over months (cohorts, KPI trends) need a longer default than the dashboard's 30 days.
INSIGHTS_DEFAULT_PERIOD = "180d"
STEP_SLOTS = 6


@dataclass(frozen=True)
class InsightsFilters:
    period: Period
    campaign_id: int | None
    channel: str | None


class InsightsFilterForm(DashboardFilterForm):
    """Period, campaign and channel: the dashboard's filters with a longer default period."""

    def __init__(self, data: Any, **kwargs: Any) -> None:
        data = data.copy()
        if not data.get("period") and not (data.get("start") and data.get("end")):
            data["period"] = INSIGHTS_DEFAULT_PERIOD
        super().__init__(data, **kwargs)

    def insights_filters(self) -> InsightsFilters:
        if not self.is_valid():
            return InsightsFilters(period_resolve(key=INSIGHTS_DEFAULT_PERIOD, today=self.today), None, None)
        base = self.filters()
        return InsightsFilters(base.period, base.campaign_id, base.channel)


class FunnelForm(forms.Form):
    """Ordered steps (one select per position; empty positions are skipped), window, breakdown."""

    window_days = forms.IntegerField(
        min_value=1, max_value=MAX_WINDOW_DAYS, required=False, label="Window (days)"
    )
    breakdown = forms.ChoiceField(
        choices=[("", "No breakdown"), *BREAKDOWNS.items()], required=False, label="Breakdown"
    )

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.submitted_steps = [s for s in data.getlist("step") if s] if hasattr(data, "getlist") else []
        self.choices = step_choices()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        steps = self.submitted_steps or list(DEFAULT_STEPS)
        allowed = {value for value, _ in self.choices}
        unknown = [s for s in steps if s not in allowed]
        if unknown:
            self.add_error(None, f"Steps: unknown step {', '.join(unknown)}.")
        elif len(steps) < 2:
            self.add_error(None, "Steps: choose at least two steps.")
        elif len(set(steps)) != len(steps):
            self.add_error(None, "Steps: a step may appear only once.")
        cleaned["steps"] = tuple(steps)
        return cleaned

    def values(self) -> tuple[tuple[str, ...], int, str | None]:
        """(steps, window_days, breakdown): the submitted ones when valid, else the defaults."""
        if not self.is_valid():
            return DEFAULT_STEPS, 30, None
        data = self.cleaned_data
        return data["steps"], data.get("window_days") or 30, data.get("breakdown") or None

    def slots(self) -> list[str]:
        """The step chosen in each of the STEP_SLOTS selects ('' for an empty one)."""
        steps = list(self.values()[0])
        return (steps + [""] * STEP_SLOTS)[: max(STEP_SLOTS, len(steps))]


class AttributionForm(forms.Form):
    by = forms.ChoiceField(choices=list(KEYS.items()), required=False, label="By")
    measure = forms.ChoiceField(
        choices=[("conversions", "Conversions"), ("revenue", "Revenue")], required=False, label="Chart"
    )

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "channel", "conversions"
        return self.cleaned_data.get("by") or "channel", self.cleaned_data.get("measure") or "conversions"

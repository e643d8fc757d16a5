"""Filter forms for the pages. They only parse and validate GET parameters; a bad value is reported
on the page and the filter falls back to its default instead of failing the request."""

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from closedloop.crm.lifecycle import Stage
from closedloop.insights.periods import (
    DEFAULT_PERIOD,
    MAX_PERIOD_DAYS,
    PERIOD_CHOICES,
    Period,
    period_resolve,
)
from closedloop.tracking.models import Campaign, Channel

CHANNEL_CHOICES = [("", "All channels"), *Channel.choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


@dataclass(frozen=True)
class DashboardFilters:
    period: Period
    campaign_id: int | None = None
    channel: str | None = None


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(required=False, label="From", widget=DateInput())
    end = forms.DateField(required=False, label="To", widget=DateInput())
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="All campaigns"
    )
    channel = forms.ChoiceField(choices=CHANNEL_CHOICES, required=False)

    def __init__(
        self, *args: Any, campaigns: QuerySet[Campaign], today: date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # Partners get only their own campaigns here, so another agency's campaign id is an invalid choice.
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = campaigns

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("period") or ""
        start, end = data.get("start"), data.get("end")
        if not key:
            # Dates without a period choice (e.g. a shared link) mean a custom range.
            key = "custom" if start and end else DEFAULT_PERIOD
        if key == "custom":
            if not start or not end:
                raise forms.ValidationError("A custom period needs both a From and a To date.")
            if start > end:
                raise forms.ValidationError("The From date is after the To date.")
            if (end - start).days + 1 > MAX_PERIOD_DAYS:
                raise forms.ValidationError(f"A custom period can span at most {MAX_PERIOD_DAYS} days.")
        data["resolved_period"] = period_resolve(key=key, today=self.today, start=start, end=end)
        return data

    def filters(self) -> DashboardFilters:
        """The filters to apply: the submitted ones when valid, otherwise the defaults."""
        if not self.is_valid():
            return DashboardFilters(period=period_resolve(key=DEFAULT_PERIOD, today=self.today))
        data = self.cleaned_data
        campaign = data.get("campaign")
        return DashboardFilters(
            period=data["resolved_period"],
            campaign_id=campaign.pk if campaign else None,
            channel=data.get("channel") or None,
        )


class ContactFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    stage = forms.ChoiceField(choices=[("", "All stages"), *Stage.choices], required=False)
    channel = forms.ChoiceField(choices=CHANNEL_CHOICES, required=False)
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="All campaigns"
    )

    def __init__(self, *args: Any, campaigns: QuerySet[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = campaigns

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `crm.selectors.contact_list`; invalid fields are dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        campaign = data.get("campaign")
        return {
            "q": data.get("q") or "",
            "stage": data.get("stage") or None,
            "channel": data.get("channel") or "",
            "campaign_id": campaign.pk if campaign else None,
        }

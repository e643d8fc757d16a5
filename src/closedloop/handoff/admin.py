"""Operators edit reason codes, routing rules and rep availability in the admin until they have pages."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from closedloop.handoff.models import Handoff, RejectionReason, RepAvailability, RoutingRule
from closedloop.rules import validate


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "active", "position")
    list_editable = ("active", "position")


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ("priority", "name", "condition", "target_user", "target_team", "active")

    def clean_condition(self) -> str:
        condition = self.cleaned_data["condition"]
        errors = validate(condition)
        if errors:
            raise ValidationError(str(errors[0]))
        return condition


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("priority", "name", "condition", "target_user", "target_team", "active")
    ordering = ("priority", "id")


@admin.register(RepAvailability)
class RepAvailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "max_open_handoffs", "out_of_office_until")


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ("contact", "routed_to", "status", "routed_at", "reason_code")
    list_filter = ("status", "reason_code")
    raw_id_fields = ("contact",)

"""A goal: a target for one metric in one month or quarter, accountable to the team that controls
the metric (seed 004: nobody is held to a number they do not control) and either shared with both
teams or kept to the accountable team (seed 001)."""

from django.conf import settings
from django.db import models


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Visibility(models.TextChoices):
    SHARED = "shared", "Shared with both teams"
    TEAM = "team", "Accountable team only"


class Goal(models.Model):
    metric = models.CharField(max_length=40, help_text="A key of the metric registry (docs/goals.md).")
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    # The first day of the month or quarter, in the site's time zone.
    period_start = models.DateField()
    target = models.DecimalField(max_digits=16, decimal_places=2)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="goals")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.SHARED)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "metric", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period_kind", "period_start", "team"],
                name="one_goal_per_metric_period_team",
            ),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="goal_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.period_kind} from {self.period_start}: {self.target}"

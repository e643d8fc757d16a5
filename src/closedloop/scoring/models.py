"""Lead scoring: the points rules both teams agree on, each contact's score with the rules and
reasons behind it, and the predictive models trained on won vs lost deals (with their model card).

The points rules are a standalone, audited configuration (every change is an audit entry), not
part of a signed agreement version: the agreement's stage rules read the resulting `lead_score`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from closedloop.tracking.models import EventType


class RuleKind(models.TextChoices):
    FIT = "fit", "Fit"
    ENGAGEMENT = "engagement", "Engagement"


class PointsRule(models.Model):
    """Points a lead gets when a condition holds (fit: title, company size, industry, persona;
    engagement: event counts in windows), or — when `event_type` is set — per matching event,
    halved every `half_life_days` and counted over the last `window_days`, capped at `max_points`."""

    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    name = models.CharField(max_length=120, help_text="What the rule rewards, as sales reads it.")
    condition = models.TextField(
        blank=True, help_text="A rule-language condition (docs/rules.md); blank for per-event decay rules."
    )
    points = models.IntegerField(
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
        help_text="Points when the condition holds, or per matching event for decay rules.",
    )
    event_type = models.CharField(max_length=32, choices=EventType.choices, blank=True)
    url_contains = models.CharField(
        max_length=200, blank=True, help_text="Only events whose URL contains this text, e.g. /pricing."
    )
    window_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    half_life_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    max_points = models.IntegerField(null=True, blank=True, help_text="Cap for decay rules.")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"

    @property
    def is_decay(self) -> bool:
        return bool(self.event_type)


class ScoringModel(models.Model):
    """One training run of the predictive model. `cold_start` runs store no model: too few
    conversions, so scores fall back to points and the card says why."""

    class Status(models.TextChoices):
        TRAINED = "trained", "Trained"
        COLD_START = "cold_start", "Too few conversions (points only)"

    status = models.CharField(max_length=20, choices=Status.choices)
    trained_at = models.DateTimeField(db_index=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    explanation = models.TextField(blank=True)
    training_rows = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    # Held-out AUC and log loss (model and baseline), calibration bins, top features, leakage flags.
    metrics = models.JSONField(default=dict, blank=True)
    # LightGBM's own text format, the JSON encoder and the isotonic map: no pickle, nothing executable.
    booster = models.TextField(blank=True)
    encoder = models.JSONField(default=dict, blank=True)
    calibration = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"Scoring model {self.trained_at:%Y-%m-%d %H:%M} ({self.get_status_display().lower()})"


class ContactScore(models.Model):
    """Why a contact has its score: the rules that gave points and the model's reasons."""

    contact = models.OneToOneField("crm.Contact", on_delete=models.CASCADE, related_name="score_detail")
    points = models.IntegerField(default=0)
    fit_points = models.FloatField(default=0)
    engagement_points = models.FloatField(default=0)
    # [{"rule": id, "name", "kind", "points", "detail"}] — the rules that gave non-zero points.
    breakdown = models.JSONField(default=list, blank=True)
    points_scored_at = models.DateTimeField(null=True, blank=True)
    probability = models.FloatField(null=True, blank=True, help_text="Calibrated chance of a won deal.")
    # [{"text": "visited pricing 3× this week", "effect": 0.12}] — largest contributions first.
    reasons = models.JSONField(default=list, blank=True)
    model = models.ForeignKey(
        ScoringModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    predicted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Score of contact {self.contact_id}: {self.points}"


class RescoreRun(models.Model):
    """One bulk points rescoring: when, by whom, how many contacts and how fast."""

    at = models.DateTimeField(db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Rescore {self.at:%Y-%m-%d %H:%M}: {self.scored} contacts"

"""Reads of lead scoring: the rules, one contact's score explained, the model card."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from closedloop.scoring.models import ContactScore, PointsRule, RescoreRun, ScoringModel


def points_rule_list(*, active_only: bool = False) -> QuerySet[PointsRule]:
    rules = PointsRule.objects.all()
    return rules.filter(is_active=True) if active_only else rules


def points_rule_get(*, rule_id: int) -> PointsRule | None:
    return PointsRule.objects.filter(pk=rule_id).first()


def scoring_model_latest() -> ScoringModel | None:
    return ScoringModel.objects.select_related("trained_by").order_by("-trained_at", "-id").first()


def scoring_model_list(*, limit: int = 20) -> list[ScoringModel]:
    return list(ScoringModel.objects.select_related("trained_by").order_by("-trained_at", "-id")[:limit])


def rescore_run_latest() -> RescoreRun | None:
    return RescoreRun.objects.select_related("by").first()


@dataclass
class ScoreExplanation:
    """One contact's score as sales reads it."""

    points: int
    fit_points: float = 0
    engagement_points: float = 0
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    probability: float | None = None  # calibrated chance of a won deal; None: points only
    reasons: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""  # why there is no predictive score, when there is none
    scored_at: Any = None

    @property
    def percent(self) -> int | None:
        return None if self.probability is None else round(self.probability * 100)

    def as_dict(self) -> dict[str, Any]:
        return {
            "points": self.points, "fit_points": self.fit_points, "engagement_points": self.engagement_points,
            "breakdown": self.breakdown, "probability": self.probability, "reasons": self.reasons,
            "note": self.note, "scored_at": self.scored_at,
        }  # fmt: skip


def _no_prediction_note(model: ScoringModel | None) -> str:
    if model is None:
        return "No predictive model trained yet; the score is points only."
    if model.status == ScoringModel.Status.COLD_START:
        return model.explanation
    return "Not scored by the predictive model yet (new since the last training)."


def score_explanation_for(*, contact: Any, model: ScoringModel | None = None) -> ScoreExplanation:
    """Points with the rules that gave them, and the predictive chance with its reasons (or why
    there is none: cold start, not trained yet). `model` may be passed to save a query per row."""
    detail = ContactScore.objects.filter(contact_id=contact.pk).first()
    if detail is None:
        latest = model or scoring_model_latest()
        return ScoreExplanation(points=contact.lead_score, note=_no_prediction_note(latest))
    note = ""
    if detail.probability is None:
        note = _no_prediction_note(model or scoring_model_latest())
    return ScoreExplanation(
        points=contact.lead_score,
        fit_points=detail.fit_points,
        engagement_points=detail.engagement_points,
        breakdown=detail.breakdown,
        probability=detail.probability,
        reasons=detail.reasons,
        note=note,
        scored_at=detail.predicted_at or detail.points_scored_at,
    )


def model_card(*, model: ScoringModel) -> dict[str, Any]:
    """The model card's figures, ready for the page and the API."""
    m = model.metrics or {}
    leakage = m.get("leakage", {})
    return {
        "id": model.pk,
        "status": model.status,
        "status_label": model.get_status_display(),
        "trained_at": model.trained_at,
        "trained_by": model.trained_by.display_name if model.trained_by else "scheduled run",
        "explanation": model.explanation,
        "training_rows": model.training_rows,
        "won": model.won,
        "lost": model.lost,
        "auc": m.get("auc"),
        "log_loss": m.get("log_loss"),
        "baseline_auc": m.get("baseline_auc"),
        "baseline_log_loss": m.get("baseline_log_loss"),
        "rows": m.get("rows", {}),
        "calibration": m.get("calibration", []),
        "top_features": m.get("top_features", []),
        "excluded_sales_fields": leakage.get("excluded_sales_fields", {}),
        "included_sales_fields": leakage.get("included_sales_fields", []),
        "suspected_leakage": leakage.get("suspected", {}),
        "training_seconds": m.get("training_seconds"),
    }

"""Lead scoring API: points rules (list, create, change, delete), bulk rescoring, one contact's
score explained, the predictive model's card and training, the trait correlation report and the
ideal-lead-profile proposal. Reading needs VIEW_SCORING; changing needs MANAGE_SCORING."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.config.api_errors import ErrorsOut
from closedloop.crm.models import Contact
from closedloop.scoring import selectors, services
from closedloop.scoring.correlation import MIN_SUPPORT, correlation_report
from closedloop.scoring.models import PointsRule
from closedloop.scoring.points_service import contacts_rescore
from closedloop.scoring.profile_service import agreement_draft_from_profile

router = Router(tags=["scoring"])


class PointsRuleIn(Schema):
    kind: Literal["fit", "engagement"] = Field(
        description="fit (who the lead is) or engagement (what they did)."
    )
    name: str = Field(description="What the rule rewards, as sales reads it.")
    points: int = Field(
        description="Points, -100 to 100: when the condition holds, or per event for decay rules."
    )
    condition: str = Field(
        "", description="A rule-language condition (docs/rules.md); empty for per-event rules."
    )
    event_type: str = Field("", description="Per-event rule: the event type scored, e.g. page_view.")
    url_contains: str = Field("", description="Per-event rule: only events whose URL contains this.")
    window_days: int = Field(30, description="Per-event rule: events of the last N days (1–365).")
    half_life_days: int | None = Field(None, description="Per-event rule: points halve every N days.")
    max_points: int | None = Field(None, description="Per-event rule: cap on the rule's points.")
    position: int = 0
    is_active: bool = True


class RulePatch(Schema):
    kind: Literal["fit", "engagement"] | None = None
    name: str | None = None
    points: int | None = None
    condition: str | None = None
    event_type: str | None = None
    url_contains: str | None = None
    window_days: int | None = None
    half_life_days: int | None = None
    max_points: int | None = None
    position: int | None = None
    is_active: bool | None = None


class RuleOut(Schema):
    id: int
    kind: str
    name: str
    points: int
    condition: str
    event_type: str
    url_contains: str
    window_days: int
    half_life_days: int | None
    max_points: int | None
    position: int
    is_active: bool
    updated_at: datetime


class RescoreOut(Schema):
    scored: int = Field(description="Contacts scored.")
    changed: int = Field(description="Contacts whose lead score changed.")
    seconds: float
    now: datetime


class ScoreOut(Schema):
    contact_id: int
    points: int = Field(description="The lead score: the points rules' total.")
    fit_points: float
    engagement_points: float
    breakdown: list[dict[str, Any]] = Field(
        description="Rules that gave points: rule, name, kind, points, detail."
    )
    probability: float | None = Field(description="Calibrated chance of a won deal; null when points only.")
    reasons: list[dict[str, Any]] = Field(
        description="Top contributions: feature, text, effect (probability change)."
    )
    note: str = Field(description="Why there is no predictive score, when there is none.")


class ModelCardOut(Schema):
    id: int
    status: str = Field(description="trained, or cold_start (too few conversions: points only).")
    trained_at: datetime
    trained_by: str
    explanation: str
    training_rows: int
    won: int
    lost: int
    auc: float | None = Field(description="Held-out AUC of the calibrated model.")
    log_loss: float | None
    baseline_auc: float | None = Field(description="Held-out AUC of the logistic-regression baseline.")
    rows: dict[str, int]
    calibration: list[dict[str, float]] = Field(description="Bins: low, high, predicted, observed, count.")
    top_features: list[dict[str, Any]]
    excluded_sales_fields: dict[str, str] = Field(
        description="Fields filled by sales, left out against leakage."
    )
    suspected_leakage: dict[str, float] = Field(description="Features dropped: they alone gave AUC ≥ 0.95.")


class CorrelationQuery(Schema):
    min_support: int = Field(MIN_SUPPORT, ge=1, description="Least contacts with (and without) a trait.")


class ProposeIn(Schema):
    stage: str = Field("mql", description="The stage whose definition the ideal lead profile refines.")


class ProposeOut(Schema):
    draft_number: int
    url: str = Field(description="The draft's backtest page.")


def _rule_or_404(rule_id: int) -> PointsRule:
    rule = selectors.points_rule_get(rule_id=rule_id)
    if rule is None:
        raise HttpError(404, "no such points rule")
    return rule


@router.get("/rules", response=list[RuleOut], summary="Points rules")
def rule_list(request: HttpRequest) -> Any:
    require_role(request, Permission.VIEW_SCORING)
    return list(selectors.points_rule_list())


@router.post("/rules", response={201: RuleOut}, summary="Add a points rule")
def rule_create(request: HttpRequest, payload: PointsRuleIn) -> Any:
    user = require_role(request, Permission.MANAGE_SCORING)
    return Status(201, services.points_rule_create(by=user, **payload.dict()))


@router.patch("/rules/{rule_id}", response=RuleOut, summary="Change a points rule")
def rule_update(request: HttpRequest, rule_id: int, payload: RulePatch) -> Any:
    user = require_role(request, Permission.MANAGE_SCORING)
    changes = payload.dict(exclude_unset=True)
    return services.points_rule_update(rule=_rule_or_404(rule_id), by=user, **changes)


@router.delete("/rules/{rule_id}", response={204: None}, summary="Delete a points rule")
def rule_delete(request: HttpRequest, rule_id: int) -> Any:
    user = require_role(request, Permission.MANAGE_SCORING)
    services.points_rule_delete(rule=_rule_or_404(rule_id), by=user)
    return Status(204, None)


@router.post("/rescore", response=RescoreOut, summary="Rescore every contact by points")
def rescore(request: HttpRequest) -> Any:
    user = require_role(request, Permission.MANAGE_SCORING)
    return contacts_rescore(by=user).as_dict()


@router.get("/contacts/{contact_id}", response=ScoreOut, summary="One contact's score, explained")
def contact_score(request: HttpRequest, contact_id: int) -> Any:
    require_role(request, Permission.VIEW_SCORING)
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise HttpError(404, "no such contact")
    return {"contact_id": contact.pk, **selectors.score_explanation_for(contact=contact).as_dict()}


@router.get(
    "/model", response={200: ModelCardOut, 404: ErrorsOut}, summary="The latest predictive model's card"
)
def model_card(request: HttpRequest) -> Any:
    require_role(request, Permission.VIEW_SCORING)
    model = selectors.scoring_model_latest()
    if model is None:
        raise HttpError(404, "no model trained yet; POST /api/v1/scoring/model/train")
    return selectors.model_card(model=model)


@router.post("/model/train", response=ModelCardOut, summary="Train the predictive model now")
def model_train(request: HttpRequest) -> Any:
    """Trains on won vs lost deals and rescores every contact; with too few conversions records
    a cold start (status cold_start) and scores stay points only."""
    user = require_role(request, Permission.MANAGE_SCORING)
    return selectors.model_card(model=services.scoring_model_train(by=user))


@router.get("/correlation", response=dict[str, Any], summary="Trait correlation report per funnel stage")
def correlation(request: HttpRequest, query: Query[CorrelationQuery]) -> Any:
    require_role(request, Permission.VIEW_SCORING)
    return correlation_report(min_support=query.min_support)


@router.post(
    "/profile/propose",
    response={201: ProposeOut},
    summary="Propose an agreement draft from the ideal lead profile",
)
def profile_propose(request: HttpRequest, payload: ProposeIn) -> Any:
    user = require_role(request, Permission.MANAGE_SCORING)
    draft = agreement_draft_from_profile(report=correlation_report(), stage=payload.stage, by=user)
    return Status(201, {"draft_number": draft.number, "url": f"/agreement/versions/{draft.number}/backtest"})

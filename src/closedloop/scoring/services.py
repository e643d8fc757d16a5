"""Writes to lead scoring: the points rules (create, update, delete), training the predictive
model, and proposing an agreement draft from the ideal lead profile. Each validates, runs in a
transaction and records an audit entry. Refusals: PermissionDenied (role) or ValidationError
keyed by the field at fault."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.roles import Permission
from closedloop.audit.services import audit_record
from closedloop.rules import validate
from closedloop.scoring.models import PointsRule, RuleKind, ScoringModel
from closedloop.tracking.models import EventType

RULE_FIELDS = (
    "kind", "name", "condition", "points", "event_type", "url_contains", "window_days", "half_life_days",
    "max_points", "position", "is_active",
)  # fmt: skip


def require_manager(user: Any, what: str) -> None:
    if user is not None and not user.has_role(Permission.MANAGE_SCORING):
        raise PermissionDenied(
            f"Your role may not {what}; the heads of marketing and sales and admins manage scoring."
        )


def _int_or_none(errors: dict[str, list[str]], name: str, value: Any, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(name, []).append(f"'{value}' is not a whole number")
        return None
    if not low <= number <= high:
        errors.setdefault(name, []).append(f"must be between {low} and {high}, got {number}")
    return number


def rule_clean(data: dict[str, Any]) -> dict[str, Any]:
    """Checked and normalised rule fields; ValidationError naming every field at fault."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    kind = data.get("kind", "")
    if kind not in RuleKind.values:
        errors["kind"] = [f"must be one of {', '.join(RuleKind.values)}, got '{kind}'"]
    out["kind"] = kind
    name = str(data.get("name", "")).strip()
    if not name:
        errors["name"] = ["is required: say what the rule rewards, e.g. 'Operations persona'"]
    elif len(name) > 120:
        errors["name"] = ["is longer than 120 characters"]
    out["name"] = name
    points = _int_or_none(errors, "points", data.get("points"), -100, 100)
    if points is None and "points" not in errors:
        errors["points"] = ["is required (a whole number from -100 to 100)"]
    out["points"] = points
    event_type = str(data.get("event_type") or "")
    condition = str(data.get("condition") or "").strip()
    if event_type and event_type not in EventType.values:
        errors["event_type"] = [f"unknown event type '{event_type}'; one of {', '.join(EventType.values)}"]
    if event_type and condition:
        errors["condition"] = ["leave empty for a per-event rule (event type set): it scores each event"]
    if not event_type:
        if not condition:
            errors["condition"] = ["is required unless an event type is chosen, e.g. company_size >= 50"]
        else:
            problems = validate(condition)
            if problems:
                errors["condition"] = [
                    f"line {p.line}, column {p.column}: {p.message}" + (f" — {p.hint}" if p.hint else "")
                    for p in problems
                ]
    out["event_type"], out["condition"] = event_type, condition
    out["url_contains"] = str(data.get("url_contains") or "").strip()[:200]
    window = _int_or_none(errors, "window_days", data.get("window_days"), 1, 365)
    out["window_days"] = window if window is not None else 30
    out["half_life_days"] = _int_or_none(errors, "half_life_days", data.get("half_life_days"), 1, 365)
    out["max_points"] = _int_or_none(errors, "max_points", data.get("max_points"), -1000, 1000)
    out["position"] = _int_or_none(errors, "position", data.get("position"), 0, 10000) or 0
    out["is_active"] = bool(data.get("is_active", True))
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def points_rule_create(*, by: Any, at: datetime | None = None, **data: Any) -> PointsRule:
    require_manager(by, "change the points rules")
    clean = rule_clean(data)
    at = at or timezone.now()
    rule = PointsRule.objects.create(**clean, created_at=at, updated_at=at)
    audit_record(actor=by, action="scoring.rule_create", obj=rule, summary=f"Added points rule {rule}",
                 changes=clean, at=at)  # fmt: skip
    return rule


@transaction.atomic
def points_rule_update(
    *, rule: PointsRule, by: Any, at: datetime | None = None, **changes: Any
) -> PointsRule:
    require_manager(by, "change the points rules")
    locked = PointsRule.objects.select_for_update().get(pk=rule.pk)
    before = {f: getattr(locked, f) for f in RULE_FIELDS}
    clean = rule_clean({**before, **changes})
    diff = {f: [before[f], clean[f]] for f in RULE_FIELDS if before[f] != clean[f]}
    if not diff:
        return locked
    at = at or timezone.now()
    for f, v in clean.items():
        setattr(locked, f, v)
    locked.updated_at = at
    locked.save()
    audit_record(actor=by, action="scoring.rule_update", obj=locked, summary=f"Changed points rule {locked}",
                 changes=diff, at=at)  # fmt: skip
    return locked


@transaction.atomic
def points_rule_delete(*, rule: PointsRule, by: Any, at: datetime | None = None) -> None:
    require_manager(by, "change the points rules")
    audit_record(actor=by, action="scoring.rule_delete", obj=rule, summary=f"Deleted points rule {rule}",
                 changes={f: getattr(rule, f) for f in RULE_FIELDS}, at=at)  # fmt: skip
    rule.delete()


def scoring_model_train(
    *, by: Any, now: datetime | None = None, min_conversions: int | None = None
) -> ScoringModel:
    """Train on won vs lost deals, store the model, and score every contact with it (or record a
    cold start). See predictive_service for the details."""
    require_manager(by, "train the scoring model")
    from closedloop.scoring.predictive_service import model_train

    return model_train(by=by, now=now, min_conversions=min_conversions)

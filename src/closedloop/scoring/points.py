"""The points arithmetic, free of the database: condition rules give their points when the
condition holds; decay rules give points per matching event, halved every half-life, so a
pricing visit yesterday counts more than one three weeks ago (seed 003: engagement fades)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from closedloop.rules import Rule


@dataclass(frozen=True)
class ConditionRule:
    id: int
    name: str
    kind: str
    points: int
    rule: Rule
    detail: str = ""  # the condition in words, computed once per rescore, not per contact


@dataclass(frozen=True)
class DecayRule:
    id: int
    name: str
    kind: str
    points: int
    event_type: str
    url_contains: str
    window_days: int
    half_life_days: int | None
    max_points: int | None

    def matches(self, event_type: str, url: str) -> bool:
        return event_type == self.event_type and (not self.url_contains or self.url_contains in url)


def decay_points(rule: DecayRule, ages_days: np.ndarray) -> float:
    """Points for events `ages_days` old (fractional days before the scoring moment)."""
    ages = ages_days[(ages_days >= 0) & (ages_days <= rule.window_days)]
    if not len(ages):
        return 0.0
    if rule.half_life_days:
        total = float(rule.points * np.power(0.5, ages / rule.half_life_days).sum())
    else:
        total = float(rule.points * len(ages))
    if rule.max_points is not None:
        cap = abs(rule.max_points)
        total = max(-cap, min(cap, total))
    return total


def _event_phrase(rule: DecayRule, count: int) -> str:
    where = f" ({rule.url_contains})" if rule.url_contains else ""
    half = f", halved every {rule.half_life_days} d" if rule.half_life_days else ""
    return f"{count} × {rule.event_type.replace('_', ' ')}{where} in {rule.window_days} d{half}"


@dataclass
class PointsResult:
    total: int
    fit: float
    engagement: float
    breakdown: list[dict[str, Any]]


def points_for(
    *,
    facts: dict[str, Any],
    conditions: list[ConditionRule],
    decays: list[DecayRule],
    event_ages: dict[int, np.ndarray],
) -> PointsResult:
    """One contact's points. `event_ages` maps a decay rule id to the ages of its matching events."""
    fit = engagement = 0.0
    breakdown: list[dict[str, Any]] = []
    for rule in conditions:
        if rule.rule.evaluate(facts):
            breakdown.append(
                {"rule": rule.id, "name": rule.name, "kind": rule.kind, "points": rule.points,
                 "detail": rule.detail or rule.rule.describe()}
            )  # fmt: skip
            if rule.kind == "fit":
                fit += rule.points
            else:
                engagement += rule.points
    for rule in decays:
        ages = event_ages.get(rule.id)
        if ages is None or not len(ages):
            continue
        got = decay_points(rule, ages)
        if got:
            breakdown.append(
                {"rule": rule.id, "name": rule.name, "kind": rule.kind, "points": round(got, 1),
                 "detail": _event_phrase(rule, int(((ages >= 0) & (ages <= rule.window_days)).sum()))}
            )  # fmt: skip
            if rule.kind == "fit":
                fit += got
            else:
                engagement += got
    breakdown.sort(key=lambda b: -abs(b["points"]))
    return PointsResult(
        total=round(fit + engagement), fit=round(fit, 2), engagement=round(engagement, 2), breakdown=breakdown
    )

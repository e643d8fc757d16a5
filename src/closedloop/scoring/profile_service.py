"""Ideal lead profile → agreement draft. The fit traits that significantly raise the odds of
moving on from a stage become one extra clause on that stage's definition, proposed as a new
agreement draft. The draft is only a proposal: the agreement's backtest replays it over history
and both heads decide (seed 003: the ideal lead is defined together, from data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.agreement.models import AgreementVersion
from closedloop.agreement.selectors import agreement_active_get, agreement_content
from closedloop.agreement.services import agreement_draft_create, agreement_draft_update
from closedloop.audit.services import audit_record

# Fit fields the rule language can name (docs/rules.md); seniority and email kind are not in it.
RULE_FIELDS = ("persona", "industry", "company_size", "country", "channel")
MAX_FIELDS = 2  # a profile of more clauses starves the funnel; two reads like a definition


@dataclass(frozen=True)
class Profile:
    stage: str
    clause: str
    traits: list[dict[str, Any]]

    @property
    def explanation(self) -> str:
        parts = [
            f"{t['label']} (odds ratio {t['odds_ratio']:.1f}, 95% CI {t['ci_low']:.1f}–{t['ci_high']:.1f})"
            for t in self.traits
        ]
        return "Ideal lead profile from the trait report: " + "; ".join(parts) + "."


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ideal_profile(*, report: dict[str, Any], stage: str) -> Profile | None:
    """The clause built from `stage`'s significant positive fit traits; None if there are none."""
    entry = next((s for s in report["stages"] if s["stage"] == stage), None)
    if entry is None:
        return None
    chosen: dict[str, list[dict[str, Any]]] = {}
    for t in entry["positive"]:
        if t["group"] != "fit" or t["field"] not in RULE_FIELDS:
            continue
        if t["field"] not in chosen and len(chosen) >= MAX_FIELDS:
            continue
        chosen.setdefault(t["field"], []).append(t)
    if not chosen:
        return None
    clauses = []
    for field, traits in chosen.items():
        if field == "company_size":
            low = min(t["value"][0] for t in traits)
            clauses.append(f"company_size >= {int(low)}")
        else:
            values = ", ".join(_quote(str(t["value"])) for t in traits)
            clauses.append(f"{field} in [{values}]")
    return Profile(stage=stage, clause=" && ".join(clauses), traits=[t for ts in chosen.values() for t in ts])


@transaction.atomic
def agreement_draft_from_profile(
    *, report: dict[str, Any], stage: str, by: Any, at: datetime | None = None
) -> AgreementVersion:
    """A new agreement draft whose `stage` definition also requires the ideal lead profile."""
    profile = ideal_profile(report=report, stage=stage)
    if profile is None:
        raise ValidationError(
            {"stage": f"the trait report shows no significant fit trait for {stage}; nothing to propose"}
        )
    active = agreement_active_get()
    if active is None:
        raise ValidationError(
            {"stage": "no agreement is active yet; sign one before proposing changes to it"}
        )
    content = agreement_content(version=active)
    definition = next((d for d in content["stage_definitions"] if d["stage"] == stage), None)
    if definition is None or not definition["rule"].strip():
        raise ValidationError({"stage": f"the active agreement has no rule for {stage} to refine"})
    at = at or timezone.now()
    draft = agreement_draft_create(by=by, from_version=active, at=at)
    rule = f"({definition['rule'].strip()})\n  && ({profile.clause})  // ideal lead profile"
    explanation = f"{definition['explanation'].strip()} {profile.explanation}".strip()
    draft = agreement_draft_update(
        version=draft,
        by=by,
        at=at,
        stage_definitions=[{**definition, "rule": rule, "explanation": explanation}],
        change_note=f"Proposed by lead scoring: {stage.upper()} also requires {profile.clause}. {profile.explanation}",
    )
    audit_record(
        actor=by, action="scoring.profile_propose", obj=draft,
        summary=f"Proposed agreement v{draft.number} from the ideal lead profile ({stage}: {profile.clause})",
        changes={"stage": stage, "clause": profile.clause}, at=at,
    )  # fmt: skip
    return draft

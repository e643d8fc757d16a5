"""Persona reads: the document by section and stage, its history, and the real contacts and won
customers its rule matches."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from closedloop.agreement.stage_facts import contact_facts
from closedloop.content.models import Persona, PersonaComment, PersonaContribution, PersonaSection
from closedloop.crm.lifecycle import Stage
from closedloop.crm.models import Deal
from closedloop.rules import parse


def persona_list() -> QuerySet[Persona]:
    return Persona.objects.all()


def persona_get(*, slug: str) -> Persona | None:
    return Persona.objects.filter(slug=slug).first()


def persona_document(*, persona: Persona) -> list[dict[str, Any]]:
    """Current contributions as [{section, label, stages: [{stage, label, items}]}], in section
    order, the all-stages row first."""
    current = (
        PersonaContribution.objects.filter(persona=persona, retired_at__isnull=True)
        .select_related("author")
        .prefetch_related("comments__author")
    )
    grouped: dict[str, dict[str, list[PersonaContribution]]] = defaultdict(lambda: defaultdict(list))
    for c in current:
        grouped[c.section][c.stage].append(c)
    stage_labels = {"": "All stages", **dict(Stage.choices)}
    order = ["", *Stage.values]
    return [
        {
            "section": section,
            "label": label,
            "stages": [
                {"stage": s, "label": stage_labels[s], "items": grouped[section][s]}
                for s in order
                if grouped[section].get(s)
            ],
        }
        for section, label in PersonaSection.choices
    ]


def persona_history(*, persona: Persona) -> list[dict[str, Any]]:
    """Every contribution (replaced ones too) and comment, newest first."""
    items: list[dict[str, Any]] = [
        {"at": c.created_at, "kind": "revision" if c.replaces_id else "contribution", "side": c.side,
         "author": c.author, "section": c.get_section_display(), "stage": c.stage, "text": c.text,
         "retired": c.retired_at is not None}
        for c in PersonaContribution.objects.filter(persona=persona).select_related("author")
    ]  # fmt: skip
    items += [
        {"at": c.created_at, "kind": "comment", "side": c.side, "author": c.author, "section": "", "stage": "",
         "text": c.body, "retired": False}
        for c in PersonaComment.objects.filter(persona=persona).select_related("author")
    ]  # fmt: skip
    return sorted(items, key=lambda i: i["at"], reverse=True)


@dataclass(frozen=True)
class PersonaMatch:
    contacts: int
    customers: int
    won_deals: int
    revenue: Decimal
    by_stage: dict[str, int]
    sample_contact_ids: list[int]


def _won_by_contact() -> dict[int, list[Decimal]]:
    won: dict[int, list[Decimal]] = defaultdict(list)
    rows = Deal.objects.filter(stage=Deal.DealStage.WON, contact__isnull=False).values_list(
        "contact_id", "amount"
    )
    for contact_id, amount in rows:
        won[contact_id].append(amount)
    return won


def persona_matches(*, personas: list[Persona], now: datetime | None = None) -> dict[int, PersonaMatch]:
    """For each persona: contacts its rule matches (by current stage), the won customers among
    them and their won revenue. One facts query for all personas together."""
    now = now or timezone.now()
    rules = {p.pk: parse(p.match_rule) for p in personas}
    variables = set().union(*(r.variables for r in rules.values())) if rules else set()
    facts = contact_facts(variables=variables, now=now)
    won = _won_by_contact()
    result = {}
    for persona in personas:
        rule = rules[persona.pk]
        matched = [cid for cid, f in facts.items() if rule.evaluate(f)]
        by_stage: dict[str, int] = defaultdict(int)
        for cid in matched:
            by_stage[facts[cid]["lifecycle_stage"]] += 1
        customers = [cid for cid in matched if cid in won]
        result[persona.pk] = PersonaMatch(
            contacts=len(matched),
            customers=len(customers),
            won_deals=sum(len(won[c]) for c in customers),
            revenue=sum((a for c in customers for a in won[c]), Decimal(0)),
            by_stage={s: by_stage[s] for s in Stage.values if by_stage.get(s)},
            sample_contact_ids=sorted(matched)[:20],
        )
    return result


def won_customers() -> list[Any]:
    """Traits of every contact with a won deal, one row per customer (revenue summed)."""
    from closedloop.content.clustering import Customer

    rows = (
        Deal.objects.filter(stage=Deal.DealStage.WON, contact__isnull=False)
        .values_list(
            "contact_id", "amount", "contact__persona", "contact__account__industry",
            "contact__source_campaign__channel", "contact__account__employees",
        )
        .order_by("contact_id")
    )  # fmt: skip
    by_contact: dict[int, list[Any]] = {}
    for contact_id, amount, persona, industry, channel, employees in rows:
        if contact_id in by_contact:
            by_contact[contact_id][4] += float(amount)
        else:
            by_contact[contact_id] = [persona or "", industry or "", channel or "", employees, float(amount)]
    return [Customer(*values) for values in by_contact.values()]


def persona_suggestion_list() -> list[Any]:
    from closedloop.content.clustering import persona_suggestions

    return persona_suggestions(won_customers())

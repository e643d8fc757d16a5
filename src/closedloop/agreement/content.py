"""An agreement version's content as one plain dict — read from the database, merged with an
edit, checked, written back. Services and selectors share it, so the draft editor, the API and
the diff all see the same shape:

    {"title", "purpose", "stage_order": [...], "sales_ready_stage", "marketing_responsibilities",
     "sales_responsibilities", "change_note",
     "stage_definitions": [{"stage", "rule", "explanation", "owner_team"}, ...]  # in stage order
     "sla_terms": [{"kind", "amount", "unit", "stage", "owner_team", "description"}, ...],
     "personas": [{"key", "name", "description"}, ...], "qualifiers": [user id, ...]}
"""

import re
from dataclasses import dataclass
from typing import Any

from closedloop.accounts.models import User
from closedloop.accounts.roles import INTERNAL
from closedloop.agreement.models import (
    CLOCK_UNITS,
    VOLUME_KINDS,
    AgreementPersona,
    AgreementVersion,
    Side,
    SlaKind,
    SlaTerm,
    SlaUnit,
    StageDefinition,
)
from closedloop.agreement.plain_text import text_sanitize

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_FIELDS = ("purpose", "marketing_responsibilities", "sales_responsibilities", "change_note")
SCALAR_FIELDS = ("title", "sales_ready_stage", *TEXT_FIELDS)
EDITABLE_FIELDS = frozenset(
    {*SCALAR_FIELDS, "stage_order", "stage_definitions", "sla_terms", "personas", "qualifiers"}
)
MAX_STAGES = 20
MAX_RULE_LENGTH = 4000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an agreement's content; `loc` is the path to it in the content dict."""

    loc: tuple[str | int, ...]
    message: str


class ContentError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def stage_label(stage: str) -> str:
    """ "iql" → "IQL", "opportunity" → "Opportunity": seed 003's acronyms stay upper case."""
    if stage in ("iql", "mql", "sql", "pql", "sal"):
        return stage.upper()
    return stage.replace("_", " ").capitalize()


def content_read(*, version: AgreementVersion) -> dict[str, Any]:
    return {
        "title": version.title,
        "purpose": version.purpose,
        "stage_order": list(version.stage_order),
        "sales_ready_stage": version.sales_ready_stage,
        "marketing_responsibilities": version.marketing_responsibilities,
        "sales_responsibilities": version.sales_responsibilities,
        "change_note": version.change_note,
        "stage_definitions": [
            {"stage": d.stage, "rule": d.rule, "explanation": d.explanation, "owner_team": d.owner_team}
            for d in version.stage_definitions.all()
        ],
        "sla_terms": [
            {
                "kind": t.kind,
                "amount": t.amount,
                "unit": t.unit,
                "stage": t.stage,
                "owner_team": t.owner_team,
                "description": t.description,
            }
            for t in version.sla_terms.all()
        ],
        "personas": [
            {"key": p.key, "name": p.name, "description": p.description} for p in version.personas.all()
        ],
        "qualifiers": sorted(u.pk for u in version.qualifiers.all()),
    }


def _default_owner(stage: str, order: list[str], sales_ready: str) -> str:
    # Seed 002/003: marketing owns the stages before the hand-off, sales the hand-off and after.
    if sales_ready in order and stage in order and order.index(stage) >= order.index(sales_ready):
        return Side.SALES
    return Side.MARKETING


def _as_list(value: Any, loc: str, problems: list[Problem]) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    problems.append(Problem((loc,), f"{loc}: expected a list"))
    return []


def _as_dict(value: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    problems.append(Problem(loc, f"{'.'.join(map(str, loc))}: expected an object"))
    return {}


def _qualifier_id(value: Any) -> Any:
    return value.pk if isinstance(value, User) else value


def content_merge(before: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply an edit. Scalars and lists (SLA terms, personas, qualifiers, stage order) replace;
    stage definitions merge by stage, so an edit of one stage's rule leaves the others alone.
    Raises ContentError for unknown fields or values of the wrong shape."""
    problems: list[Problem] = []
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    for name in unknown:
        problems.append(
            Problem(
                (name,), f"{name}: not an agreement field; editable: {', '.join(sorted(EDITABLE_FIELDS))}"
            )
        )
    after = {**before, "stage_definitions": [dict(d) for d in before["stage_definitions"]]}
    for name in ("title", "sales_ready_stage"):
        if name in changes:
            after[name] = str(changes[name] or "").strip()
    for name in TEXT_FIELDS:
        if name in changes:
            after[name] = text_sanitize(changes[name])
    if "stage_order" in changes:
        order = _as_list(changes["stage_order"], "stage_order", problems)
        after["stage_order"] = [str(s).strip().lower() for s in order]
    if "sla_terms" in changes:
        terms = []
        for i, raw in enumerate(_as_list(changes["sla_terms"], "sla_terms", problems)):
            term = _as_dict(raw, ("sla_terms", i), problems)
            amount = term.get("amount")
            try:
                amount = int(amount)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                problems.append(
                    Problem(("sla_terms", i, "amount"), f"SLA term {i + 1}: amount must be a whole number")
                )
                amount = 0
            terms.append(
                {
                    "kind": str(term.get("kind") or "").strip(),
                    "amount": amount,
                    "unit": str(term.get("unit") or "").strip(),
                    "stage": str(term.get("stage") or "").strip().lower(),
                    "owner_team": str(term.get("owner_team") or "").strip(),
                    "description": text_sanitize(term.get("description"), max_length=1000),
                }
            )
        after["sla_terms"] = terms
    if "personas" in changes:
        personas = []
        for i, raw in enumerate(_as_list(changes["personas"], "personas", problems)):
            persona = _as_dict(raw, ("personas", i), problems)
            personas.append(
                {
                    "key": str(persona.get("key") or "").strip(),
                    "name": text_sanitize(persona.get("name"), max_length=120),
                    "description": text_sanitize(persona.get("description"), max_length=2000),
                }
            )
        after["personas"] = personas
    if "qualifiers" in changes:
        ids = []
        for i, value in enumerate(_as_list(changes["qualifiers"], "qualifiers", problems)):
            try:
                ids.append(int(_qualifier_id(value)))
            except (TypeError, ValueError):
                problems.append(Problem(("qualifiers", i), f"qualifiers: {value!r} is not a user id"))
        after["qualifiers"] = sorted(set(ids))

    # Stage definitions: merge the given stages, then line them up with the (new) stage order.
    by_stage = {d["stage"]: d for d in after["stage_definitions"]}
    if "stage_definitions" in changes:
        for i, raw in enumerate(_as_list(changes["stage_definitions"], "stage_definitions", problems)):
            given = _as_dict(raw, ("stage_definitions", i), problems)
            stage = str(given.get("stage") or "").strip().lower()
            if stage not in after["stage_order"]:
                problems.append(
                    Problem(
                        ("stage_definitions", i, "stage"),
                        f"stage_definitions: {stage or '(empty)'!r} is not in the stage order "
                        f"({', '.join(after['stage_order'])})",
                    )
                )
                continue
            current = by_stage.setdefault(
                stage, {"stage": stage, "rule": "", "explanation": "", "owner_team": ""}
            )
            if "rule" in given:
                current["rule"] = str(given["rule"] or "").replace("\r\n", "\n").strip()
            if "explanation" in given:
                current["explanation"] = text_sanitize(given["explanation"], max_length=4000)
            if "owner_team" in given:
                current["owner_team"] = str(given["owner_team"] or "").strip()
    order = after["stage_order"]
    after["stage_definitions"] = [
        by_stage.get(stage)
        or {
            "stage": stage,
            "rule": "",
            "explanation": "",
            "owner_team": _default_owner(stage, order, after["sales_ready_stage"]),
        }
        for stage in dict.fromkeys(order)
    ]
    if problems:
        raise ContentError(problems)
    return after


def content_problems(content: dict[str, Any]) -> list[Problem]:
    """Structural checks every saved draft passes. Rule syntax is checked at proposal time."""
    problems: list[Problem] = []
    if not content["title"]:
        problems.append(Problem(("title",), "title: the agreement needs a title"))
    order = content["stage_order"]
    if not order:
        problems.append(Problem(("stage_order",), "stage_order: list at least one stage"))
    if len(order) > MAX_STAGES:
        problems.append(Problem(("stage_order",), f"stage_order: at most {MAX_STAGES} stages"))
    seen: set[str] = set()
    for i, stage in enumerate(order):
        if not SLUG.match(stage):
            problems.append(
                Problem(
                    ("stage_order", i),
                    f"stage_order: {stage or '(empty)'!r} is not a valid stage name — use lower-case "
                    "letters, digits and _, starting with a letter (e.g. mql)",
                )
            )
        elif stage in seen:
            problems.append(Problem(("stage_order", i), f"stage_order: {stage!r} appears twice"))
        seen.add(stage)
    ready = content["sales_ready_stage"]
    if ready not in order:
        problems.append(
            Problem(
                ("sales_ready_stage",),
                f"sales_ready_stage: {ready or '(empty)'!r} must be one of the stages ({', '.join(order)})",
            )
        )
    for d in content["stage_definitions"]:
        if d["owner_team"] not in Side.values:
            problems.append(
                Problem(
                    ("stage_definitions", d["stage"], "owner_team"),
                    f"{stage_label(d['stage'])}: owner team must be marketing or sales",
                )
            )
        if len(d["rule"]) > MAX_RULE_LENGTH:
            problems.append(
                Problem(
                    ("stage_definitions", d["stage"], "rule"),
                    f"{stage_label(d['stage'])}: the rule is longer than {MAX_RULE_LENGTH} characters",
                )
            )
    for i, t in enumerate(content["sla_terms"]):
        label = f"SLA term {i + 1}"
        if t["kind"] not in SlaKind.values:
            problems.append(
                Problem(("sla_terms", i, "kind"), f"{label}: kind must be one of {', '.join(SlaKind.values)}")
            )
        elif t["kind"] in VOLUME_KINDS and t["unit"] != SlaUnit.COUNT:
            problems.append(
                Problem(
                    ("sla_terms", i, "unit"), f"{label}: a monthly volume is counted in leads (unit count)"
                )
            )
        elif t["kind"] not in VOLUME_KINDS and t["unit"] not in CLOCK_UNITS:
            problems.append(
                Problem(
                    ("sla_terms", i, "unit"),
                    f"{label}: a time limit is measured in {', '.join(sorted(CLOCK_UNITS))}",
                )
            )
        if t["amount"] <= 0:
            problems.append(Problem(("sla_terms", i, "amount"), f"{label}: amount must be greater than zero"))
        if t["stage"] not in order:
            problems.append(
                Problem(
                    ("sla_terms", i, "stage"),
                    f"{label}: stage {t['stage'] or '(empty)'!r} is not in the stage order",
                )
            )
        if t["owner_team"] not in Side.values:
            problems.append(
                Problem(("sla_terms", i, "owner_team"), f"{label}: owner team must be marketing or sales")
            )
    keys: set[str] = set()
    for i, p in enumerate(content["personas"]):
        if not SLUG.match(p["key"]):
            problems.append(
                Problem(
                    ("personas", i, "key"),
                    f"persona {i + 1}: key {p['key'] or '(empty)'!r} must be lower-case letters, digits "
                    'and _ (rules refer to it, e.g. persona == "ops_manager")',
                )
            )
        elif p["key"] in keys:
            problems.append(
                Problem(("personas", i, "key"), f"persona {i + 1}: key {p['key']!r} appears twice")
            )
        keys.add(p["key"])
        if not p["name"]:
            problems.append(Problem(("personas", i, "name"), f"persona {i + 1}: give it a name"))
    if content["qualifiers"]:
        found = dict(User.objects.filter(pk__in=content["qualifiers"]).values_list("pk", "role"))
        for uid in content["qualifiers"]:
            if uid not in found:
                problems.append(Problem(("qualifiers",), f"qualifiers: no user with id {uid}"))
            elif found[uid] not in INTERNAL:
                problems.append(
                    Problem(("qualifiers",), f"qualifiers: user {uid} is a partner; qualifiers are staff")
                )
    return problems


def content_write(*, version: AgreementVersion, content: dict[str, Any]) -> None:
    """Replace the version's content (call inside a transaction, on a draft)."""
    for name in SCALAR_FIELDS:
        setattr(version, name, content[name])
    version.stage_order = list(content["stage_order"])
    version.save()
    version.stage_definitions.all().delete()
    StageDefinition.objects.bulk_create(
        StageDefinition(version=version, position=i, **d) for i, d in enumerate(content["stage_definitions"])
    )
    version.sla_terms.all().delete()
    SlaTerm.objects.bulk_create(
        SlaTerm(version=version, position=i, **t) for i, t in enumerate(content["sla_terms"])
    )
    version.personas.all().delete()
    AgreementPersona.objects.bulk_create(
        AgreementPersona(version=version, position=i, **p) for i, p in enumerate(content["personas"])
    )
    version.qualifiers.set(content["qualifiers"])

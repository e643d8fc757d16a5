"""Reads of the agreement. Other apps (the stage engine, backtests, handoff and SLA clocks) read
the agreement through `agreement_terms_get`, a plain frozen snapshot, never through the models."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.agreement.content import Problem, content_problems, content_read, stage_label
from closedloop.agreement.diff import AgreementDiff, content_diff
from closedloop.agreement.models import AgreementVersion, Side, Signature, Status
from closedloop.rules import RuleError, describe, parse, validate

SIGNER_ROLE = {Side.MARKETING: Role.HEAD_OF_MARKETING, Side.SALES: Role.HEAD_OF_SALES}


def _with_content(versions: QuerySet[AgreementVersion]) -> QuerySet[AgreementVersion]:
    return versions.select_related("created_by", "parent").prefetch_related(
        "stage_definitions",
        "sla_terms",
        "personas",
        Prefetch("qualifiers", queryset=User.objects.order_by("first_name", "last_name", "username")),
        Prefetch("signatures", queryset=Signature.objects.select_related("user")),
    )


def agreement_active_get() -> AgreementVersion | None:
    """The version that governs the funnel now, with its content prefetched; None before the first signing."""
    return _with_content(AgreementVersion.objects.filter(status=Status.ACTIVE)).first()


def agreement_version_get(*, number: int) -> AgreementVersion | None:
    return _with_content(AgreementVersion.objects.filter(number=number)).first()


def agreement_version_list(*, statuses: list[str] | None = None) -> QuerySet[AgreementVersion]:
    """Newest first, with signatures, for the versions page and the API list."""
    versions = AgreementVersion.objects.select_related("created_by", "parent").prefetch_related(
        Prefetch("signatures", queryset=Signature.objects.select_related("user"))
    )
    if statuses:
        versions = versions.filter(status__in=statuses)
    return versions.order_by("-number")


def agreement_content(*, version: AgreementVersion) -> dict[str, Any]:
    """The version's content as a plain dict (shape documented in content.py)."""
    return content_read(version=version)


def _names(ids: set[int]) -> dict[int, str]:
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}


def agreement_diff(*, old: AgreementVersion, new: AgreementVersion) -> AgreementDiff:
    """Item-by-item changes from `old` to `new`: stage order, each stage's rule, explanation and
    owner, SLA terms, personas, lead qualifiers and the document's text fields."""
    before, after = content_read(version=old), content_read(version=new)
    return content_diff(
        before,
        after,
        names=_names(set(before["qualifiers"]) | set(after["qualifiers"])),
        old_number=old.number,
        new_number=new.number,
    )


def rule_problems(*, stage: str, source: str) -> list[Problem]:
    """The rule language's errors for one stage's rule, each naming the stage and the position."""
    if not source.strip():
        return []
    return [
        Problem(("stage_definitions", stage, "rule"), f"{stage_label(stage)} rule: {err}")
        for err in validate(source)
    ]


def _unknown_personas(*, stage: str, source: str, keys: set[str]) -> list[Problem]:
    """A rule that names a persona the agreement does not define can never match it: most often a
    typo ("ops_manger") that would silently keep every lead out of the stage."""
    if not source.strip() or validate(source):
        return []
    known = ", ".join(sorted(keys)) or "none yet"
    return [
        Problem(
            ("stage_definitions", stage, "rule"),
            f"{stage_label(stage)} rule: persona {value!r} (at character {offset + 1}) is not one of "
            f"this agreement's personas ({known}); add it under Personas or fix the name",
        )
        for value, offset in parse(source).compared_strings("persona")
        if value not in keys
    ]


def agreement_problems(*, version: AgreementVersion) -> list[Problem]:
    """Everything that keeps a version from being proposed: structure, every rule, explanations."""
    content = content_read(version=version)
    problems = content_problems(content)
    persona_keys = {p["key"] for p in content["personas"]}
    for d in content["stage_definitions"]:
        problems.extend(rule_problems(stage=d["stage"], source=d["rule"]))
        problems.extend(_unknown_personas(stage=d["stage"], source=d["rule"], keys=persona_keys))
        if d["rule"].strip() and not d["explanation"].strip():
            problems.append(
                Problem(
                    ("stage_definitions", d["stage"], "explanation"),
                    f"{stage_label(d['stage'])}: explain the rule in plain language — both teams sign the words, "
                    "not only the formula",
                )
            )
    ready = content["sales_ready_stage"]
    ready_def = next((d for d in content["stage_definitions"] if d["stage"] == ready), None)
    if ready_def is not None and not ready_def["rule"].strip():
        problems.append(
            Problem(
                ("stage_definitions", ready, "rule"),
                f"{stage_label(ready)} rule: the sales-ready stage needs a rule — it decides which leads go to sales",
            )
        )
    return problems


@dataclass(frozen=True)
class RuleCheck:
    """The editor's live check of one rule: errors with positions, or the rule in words."""

    source: str
    errors: list[RuleError]
    description: str

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def is_empty(self) -> bool:
        return not self.source.strip()


def rule_check(*, source: str) -> RuleCheck:
    if not source.strip():
        return RuleCheck(source=source, errors=[], description="")
    errors = validate(source)
    return RuleCheck(source=source, errors=errors, description="" if errors else describe(source))


def rule_describe(*, source: str) -> str:
    """The rule in words for the document, or "" when it does not parse (a draft in progress)."""
    if not source.strip():
        return ""
    try:
        return describe(source)
    except RuleError:
        return ""


def agreement_signable_sides(*, version: AgreementVersion, user: Any) -> list[str]:
    """The sides `user` could sign now: the version is proposed, the side is open, the role fits."""
    if version.status != Status.PROPOSED or not getattr(user, "is_authenticated", False):
        return []
    signed = {s.side: s for s in version.signatures.all()}
    if any(s.user_id == user.pk for s in signed.values()):
        return []
    return [
        side
        for side, role in SIGNER_ROLE.items()
        if side not in signed and user.role == role and user.is_active
    ]


# ---- The snapshot other apps build on ---------------------------------------------------------


@dataclass(frozen=True)
class SlaTermSpec:
    kind: str  # models.SlaKind: first_contact_within, accept_within, rejection_reason_within, …
    amount: int
    unit: str  # models.SlaUnit: business_hours, hours, business_days, days, count
    stage: str
    owner_team: str  # "marketing" or "sales"
    description: str


@dataclass(frozen=True)
class AgreementTerms:
    """What a version says, as plain data: stage order, each stage's rule, the sales-ready stage,
    SLA terms. The stage engine records `version_id` on every transition it makes."""

    version_id: int
    number: int
    status: str
    stage_order: tuple[str, ...]
    sales_ready_stage: str
    rules: dict[str, str]  # stage → rule source; "" = entered by a recorded event, not by a rule
    owners: dict[str, str]  # stage → "marketing" / "sales"
    sla_terms: tuple[SlaTermSpec, ...]
    persona_keys: tuple[str, ...]
    qualifier_ids: tuple[int, ...]

    def rule_for(self, stage: str) -> str:
        return self.rules.get(stage, "")

    def sla_terms_for(self, *, kind: str | None = None, stage: str | None = None) -> list[SlaTermSpec]:
        return [
            t
            for t in self.sla_terms
            if (kind is None or t.kind == kind) and (stage is None or t.stage == stage)
        ]


# Signed versions never change, so the active version's terms are kept between calls: the hot
# paths (every ingest batch, every routed lead, every SLA clock) then cost one small query to learn
# which version is active. The key includes the activation and update times because ids can be
# reused (a rolled-back test, a restored backup).
_active_terms_cache: dict[tuple, AgreementTerms] = {}


def agreement_terms_active() -> AgreementTerms | None:
    """The active version's terms, cached per activation; None before the first signing."""
    key = (
        AgreementVersion.objects.filter(status=Status.ACTIVE)
        .order_by()
        .values_list("pk", "activated_at", "updated_at")
        .first()
    )
    if key is None:
        return None
    terms = _active_terms_cache.get(key)
    if terms is None:
        terms = agreement_terms_get()
        if terms is None:
            return None
        _active_terms_cache.clear()
        _active_terms_cache[key] = terms
    return terms


def agreement_terms_get(*, version: AgreementVersion | None = None) -> AgreementTerms | None:
    """The terms of `version`, or of the active version when none is given (None if nothing is active)."""
    if version is None:
        version = agreement_active_get()
        if version is None:
            return None
    content = content_read(version=version)
    return AgreementTerms(
        version_id=version.pk,
        number=version.number,
        status=version.status,
        stage_order=tuple(content["stage_order"]),
        sales_ready_stage=content["sales_ready_stage"],
        rules={d["stage"]: d["rule"] for d in content["stage_definitions"]},
        owners={d["stage"]: d["owner_team"] for d in content["stage_definitions"]},
        sla_terms=tuple(SlaTermSpec(**t) for t in content["sla_terms"]),
        persona_keys=tuple(p["key"] for p in content["personas"]),
        qualifier_ids=tuple(content["qualifiers"]),
    )

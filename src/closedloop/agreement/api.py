"""Agreements API: read versions and the active one, draft, edit, propose, sign, withdraw, diff,
and check a rule. Refusals use the one error shape: 403 when the role may not do it, 422 when the
version's state or content does not allow it, with `loc` pointing into the agreement
(e.g. ["stage_definitions", "mql", "rule"])."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import StringConstraints

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.agreement import selectors, services
from closedloop.agreement.backtest_service import backtest_as_dict, backtest_run
from closedloop.agreement.content import MAX_RULE_LENGTH
from closedloop.agreement.models import AgreementVersion, Side, SlaKind, SlaUnit
from closedloop.config.api_errors import ErrorsOut
from closedloop.rules import RuleError, parse

router = Router(tags=["agreements"])

Text = Annotated[str, StringConstraints(max_length=10_000)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]


class StageDefinitionOut(Schema):
    stage: str
    rule: str = Field(
        description='Rule source in the rule language; "" when the stage is entered by an event.'
    )
    explanation: str = Field(description="Plain-language explanation (plain text, markdown-lite).")
    owner_team: str = Field(description="marketing or sales")
    in_words: str = Field(description="The rule rendered in plain language; empty if it does not parse.")

    @staticmethod
    def resolve_in_words(obj: Any) -> str:
        return selectors.rule_describe(source=obj.rule)


class SlaTermOut(Schema):
    kind: str = Field(description=f"One of {', '.join(SlaKind.values)}.")
    amount: int
    unit: str = Field(description=f"One of {', '.join(SlaUnit.values)}.")
    stage: str = Field(description="The stage whose leads the term applies to.")
    owner_team: str = Field(description="The team held to the term: marketing or sales.")
    description: str


class PersonaOut(Schema):
    key: str = Field(description='What rules compare against: persona == "ops_manager".')
    name: str
    description: str


class UserRefOut(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.display_name


class SignatureOut(Schema):
    side: str
    user_id: int | None
    signer_name: str = Field(description="The signer's name when they signed.")
    signer_role: str
    signed_at: datetime


class VersionSummaryOut(Schema):
    number: int
    status: str = Field(description="draft, proposed, signed, active, superseded or withdrawn")
    title: str
    parent_number: int | None = Field(None, description="The version this one was drafted from.")
    created_by: str | None = Field(None, description="Username of the author.")
    created_at: datetime
    proposed_at: datetime | None
    activated_at: datetime | None
    superseded_at: datetime | None
    withdrawn_at: datetime | None
    signatures: list[SignatureOut]

    @staticmethod
    def resolve_parent_number(obj: AgreementVersion) -> int | None:
        return obj.parent.number if obj.parent_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_created_by(obj: AgreementVersion) -> str | None:
        return obj.created_by.username if obj.created_by_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_signatures(obj: AgreementVersion) -> list[Any]:
        return list(obj.signatures.all())


class VersionOut(VersionSummaryOut):
    purpose: str
    stage_order: list[str]
    sales_ready_stage: str
    marketing_responsibilities: str
    sales_responsibilities: str
    change_note: str
    stage_definitions: list[StageDefinitionOut]
    sla_terms: list[SlaTermOut]
    personas: list[PersonaOut]
    qualifiers: list[UserRefOut] = Field(description="People designated to process and qualify leads.")

    @staticmethod
    def resolve_stage_definitions(obj: AgreementVersion) -> list[Any]:
        return list(obj.stage_definitions.all())

    @staticmethod
    def resolve_sla_terms(obj: AgreementVersion) -> list[Any]:
        return list(obj.sla_terms.all())

    @staticmethod
    def resolve_personas(obj: AgreementVersion) -> list[Any]:
        return list(obj.personas.all())

    @staticmethod
    def resolve_qualifiers(obj: AgreementVersion) -> list[Any]:
        return list(obj.qualifiers.all())


class DraftCreateIn(Schema):
    from_number: int | None = Field(
        None, description="Copy this version; default: the active one, or the suggested agreement if none is."
    )


class StageDefinitionIn(Schema):
    stage: Slug = Field(description="Which stage; must be in the stage order.")
    rule: Annotated[str, StringConstraints(max_length=MAX_RULE_LENGTH)] | None = None
    explanation: Text | None = None
    owner_team: Side | None = None


class SlaTermIn(Schema):
    kind: SlaKind
    amount: int = Field(ge=1)
    unit: SlaUnit
    stage: Slug
    owner_team: Side
    description: Annotated[str, StringConstraints(max_length=1000)] = ""


class PersonaIn(Schema):
    key: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class DraftPatchIn(Schema):
    """Only the fields sent change. Stage definitions merge by stage (send just the stages you
    edit); SLA terms, personas, qualifiers and the stage order replace the whole list."""

    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    purpose: Text | None = None
    stage_order: list[Slug] | None = Field(None, description="Stage slugs, first to last.")
    sales_ready_stage: Slug | None = None
    marketing_responsibilities: Text | None = None
    sales_responsibilities: Text | None = None
    change_note: Text | None = None
    stage_definitions: list[StageDefinitionIn] | None = None
    sla_terms: list[SlaTermIn] | None = None
    personas: list[PersonaIn] | None = None
    qualifiers: list[int] | None = Field(None, description="User ids of the designated lead qualifiers.")


class SignIn(Schema):
    side: Side = Field(description="marketing (head of marketing only) or sales (head of sales only)")


class WithdrawIn(Schema):
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class RuleIn(Schema):
    source: Annotated[str, StringConstraints(max_length=MAX_RULE_LENGTH)]


class RuleErrorOut(Schema):
    code: str
    message: str
    hint: str
    line: int
    column: int
    offset: int
    end_offset: int


class RuleCheckOut(Schema):
    valid: bool
    errors: list[RuleErrorOut]
    description: str = Field(description="The rule in plain language, when it is valid.")
    variables: list[str] = Field(description="The vocabulary fields the rule reads.")


class DiffLine(Schema):
    op: str = Field(description='"-" removed, "+" added, " " unchanged')
    text: str


class FieldChangeOut(Schema):
    field: str
    label: str
    old: Any
    new: Any
    lines: list[DiffLine]


class ValueChange(Schema):
    old: Any
    new: Any


class StageOrderChange(Schema):
    old: list[str]
    new: list[str]


class StageChangeOut(Schema):
    stage: str
    change: str = Field(description="added, removed or changed")
    fields: dict[str, ValueChange]
    rule_lines: list[DiffLine]
    explanation_lines: list[DiffLine]


class TermChangeOut(Schema):
    change: str
    old: SlaTermOut | None
    new: SlaTermOut | None
    fields: list[str]


class PersonaChangeOut(Schema):
    key: str
    change: str
    old: PersonaOut | None
    new: PersonaOut | None


class DiffOut(Schema):
    old_number: int
    new_number: int
    is_empty: bool
    stage_order: StageOrderChange | None
    fields: list[FieldChangeOut]
    stages: list[StageChangeOut]
    sla_terms: list[TermChangeOut]
    personas: list[PersonaChangeOut]
    qualifiers_added: list[str]
    qualifiers_removed: list[str]


def _version(number: int) -> AgreementVersion:
    version = selectors.agreement_version_get(number=number)
    if version is None:
        raise HttpError(404, f"no agreement version {number}")
    return version


def _reload(version: AgreementVersion) -> AgreementVersion:
    return _version(version.number)


def validation_errors(exc: ValidationError) -> dict[str, Any]:
    """A service's ValidationError (keys like "stage_definitions.mql.rule") in the API's error shape."""
    if not hasattr(exc, "error_dict"):
        return {"errors": [{"loc": [], "msg": m} for m in exc.messages]}
    errors: list[dict[str, Any]] = []
    for key, errs in exc.error_dict.items():
        loc: list[str | int] = (
            [] if key == "__all__" else [int(p) if p.isdigit() else p for p in key.split(".")]
        )
        errors.extend({"loc": loc, "msg": m.message % (m.params or {})} for m in errs)
    return {"errors": errors}


def _lines(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"op": op, "text": text} for op, text in pairs]


WRITE_RESPONSES: dict[int, Any] = {200: VersionOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut}


@router.get("", response=list[VersionSummaryOut], summary="List agreement versions, newest first")
@paginate
def version_list(request: HttpRequest) -> Any:
    require_role(request, Permission.VIEW_AGREEMENT_VERSIONS)
    return selectors.agreement_version_list()


@router.get("/active", response={200: VersionOut, 404: ErrorsOut}, summary="The active agreement")
def version_active(request: HttpRequest) -> Any:
    require_role(request, Permission.VIEW_AGREEMENT)
    version = selectors.agreement_active_get()
    if version is None:
        raise HttpError(404, "no agreement is active yet")
    return version


@router.post(
    "/drafts",
    response={201: VersionOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut},
    summary="Start a draft",
)
def draft_create(request: HttpRequest, payload: DraftCreateIn) -> Any:
    user = require_role(request, Permission.EDIT_AGREEMENT)
    source = _version(payload.from_number) if payload.from_number is not None else None
    version = services.agreement_draft_create(by=user, from_version=source)
    return Status(201, _reload(version))


@router.post("/validate-rule", response=RuleCheckOut, summary="Check a rule and render it in words")
def rule_validate(request: HttpRequest, payload: RuleIn) -> dict[str, Any]:
    require_role(request, Permission.EDIT_AGREEMENT)
    check = selectors.rule_check(source=payload.source)
    variables: list[str] = []
    if check.errors == [] and not check.is_empty:
        try:
            variables = sorted(parse(payload.source).variables)
        except RuleError:  # validate() accepted it; parse() agrees, but never fail the check on it
            variables = []
    if check.is_empty:
        errors = [
            {
                "code": "empty",
                "message": "the rule is empty",
                "hint": "",
                "line": 1,
                "column": 1,
                "offset": 0,
                "end_offset": 0,
            }
        ]
        return {"valid": False, "errors": errors, "description": "", "variables": []}
    return {
        "valid": check.is_valid,
        "errors": [e.as_dict() for e in check.errors],
        "description": check.description,
        "variables": variables,
    }


@router.get("/{number}", response={200: VersionOut, 404: ErrorsOut}, summary="One agreement version")
def version_detail(request: HttpRequest, number: int) -> Any:
    require_role(request, Permission.VIEW_AGREEMENT_VERSIONS)
    return _version(number)


@router.patch(
    "/{number}", response=WRITE_RESPONSES, summary="Edit a draft (a proposed version returns to draft)"
)
def draft_update(request: HttpRequest, number: int, payload: DraftPatchIn) -> Any:
    user = require_role(request, Permission.EDIT_AGREEMENT)
    version = _version(number)
    changes = payload.dict(exclude_unset=True)
    try:
        services.agreement_draft_update(version=version, by=user, **changes)
    except ValidationError as exc:
        return Status(422, validation_errors(exc))
    return _reload(version)


@router.post("/{number}/propose", response=WRITE_RESPONSES, summary="Propose a draft for signature")
def version_propose(request: HttpRequest, number: int) -> Any:
    user = require_role(request, Permission.EDIT_AGREEMENT)
    version = _version(number)
    try:
        services.agreement_propose(version=version, by=user)
    except ValidationError as exc:
        return Status(422, validation_errors(exc))
    return _reload(version)


@router.post("/{number}/sign", response=WRITE_RESPONSES, summary="Sign for marketing or sales")
def version_sign(request: HttpRequest, number: int, payload: SignIn) -> Any:
    # Only the heads sign, each for their own side; the service says so when someone else tries.
    user = require_role(request, Permission.VIEW_AGREEMENT_VERSIONS)
    version = _version(number)
    try:
        services.agreement_sign(version=version, user=user, side=payload.side.value)
    except ValidationError as exc:
        return Status(422, validation_errors(exc))
    return _reload(version)


@router.post("/{number}/withdraw", response=WRITE_RESPONSES, summary="Withdraw a draft or a proposal")
def version_withdraw(request: HttpRequest, number: int, payload: WithdrawIn) -> Any:
    user = require_role(request, Permission.EDIT_AGREEMENT)
    version = _version(number)
    try:
        services.agreement_withdraw(version=version, by=user, reason=payload.reason)
    except ValidationError as exc:
        return Status(422, validation_errors(exc))
    return _reload(version)


@router.get(
    "/{a}/diff/{b}", response={200: DiffOut, 404: ErrorsOut}, summary="What changed from version a to b"
)
def version_diff(request: HttpRequest, a: int, b: int) -> dict[str, Any]:
    require_role(request, Permission.VIEW_AGREEMENT_VERSIONS)
    diff = selectors.agreement_diff(old=_version(a), new=_version(b))
    return {
        "old_number": diff.old_number,
        "new_number": diff.new_number,
        "is_empty": diff.is_empty,
        "stage_order": {"old": diff.stage_order[0], "new": diff.stage_order[1]} if diff.stage_order else None,
        "fields": [{**vars(c), "lines": _lines(c.lines)} for c in diff.fields],
        "stages": [
            {
                "stage": s.stage,
                "change": s.change,
                "fields": {k: {"old": o, "new": n} for k, (o, n) in s.fields.items()},
                "rule_lines": _lines(s.rule_lines),
                "explanation_lines": _lines(s.explanation_lines),
            }
            for s in diff.stages
        ],
        "sla_terms": [
            {"change": t.change, "old": t.old, "new": t.new, "fields": list(t.fields)} for t in diff.sla_terms
        ],
        "personas": [vars(p) for p in diff.personas],
        "qualifiers_added": diff.qualifiers_added,
        "qualifiers_removed": diff.qualifiers_removed,
    }


class BacktestStageOut(Schema):
    stage: str
    rule_set: str = Field(description="draft (the version asked for) or baseline (the active version).")
    entered: int = Field(description="Contacts whose history meets the stage's rule at some moment.")
    converted: int = Field(description="Of those, contacts with a deal created at or after their entry.")
    won: int = Field(description="Of those, contacts with a won deal closed at or after their entry.")
    conversion_rate: float | None
    win_rate: float | None
    won_revenue: float = Field(description="Amounts of those won deals.")
    monthly: dict[str, int] = Field(description="Entries per month, keyed YYYY-MM.")


class RevenueDeltaOut(Schema):
    contacts: int
    deals: int
    revenue: float


class BacktestOut(Schema):
    draft_number: int
    baseline_number: int
    sales_ready_stage: str
    stages: list[BacktestStageOut] = Field(description="One row per stage with a rule and rule set.")
    missed: RevenueDeltaOut = Field(description="Won deals of contacts sales-ready under the baseline only.")
    added: RevenueDeltaOut = Field(description="Won deals of contacts sales-ready under the draft only.")
    contacts: int
    events: int
    deals: int


@router.post(
    "/{number}/backtest",
    response={200: BacktestOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut},
    summary="Replay a version's stage rules over history next to the active version's",
)
def version_backtest(request: HttpRequest, number: int) -> Any:
    require_role(request, Permission.VIEW_AGREEMENT_VERSIONS)
    try:
        backtest = backtest_run(draft=_version(number))
    except RuleError as exc:
        raise HttpError(422, f"a rule of v{number} does not parse: {exc}") from None
    if backtest is None:
        raise HttpError(404, "no agreement is active yet, so there is nothing to compare with")
    return backtest_as_dict(backtest)

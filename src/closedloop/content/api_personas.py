"""API for personas: list, read with matches, create, edit, contribute, comment, suggestions."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.content import services
from closedloop.content.models import Persona, PersonaSection
from closedloop.content.selectors import personas as selectors

router = Router(tags=["content"])


class ContributionOut(Schema):
    id: int
    section: str = Field(description=f"One of {', '.join(PersonaSection.values)}.")
    stage: str = Field(description="Funnel stage, or empty for every stage.")
    text: str
    side: str = Field(description="sales or marketing: the author's team.")
    author: str | None
    created_at: datetime
    replaces: int | None = Field(None, description="The contribution this one revised.")

    @staticmethod
    def resolve_author(obj: Any) -> str | None:
        return obj.author.username if obj.author else None

    @staticmethod
    def resolve_replaces(obj: Any) -> int | None:
        return obj.replaces_id


class MatchOut(Schema):
    contacts: int = Field(description="Contacts the match rule selects.")
    customers: int = Field(description="Of those, contacts with at least one won deal.")
    won_deals: int
    revenue: float = Field(description="Sum of their won deals.")
    by_stage: dict[str, int]


class ContentPersonaOut(Schema):
    slug: str = Field(description='What Contact.persona holds and rules compare with: persona == "slug".')
    name: str
    summary: str
    match_rule: str = Field(description="Rules expression (docs/rules.md) selecting the persona's contacts.")
    updated_at: datetime


class ContentPersonaDetailOut(ContentPersonaOut):
    contributions: list[ContributionOut]
    match: MatchOut


class ContentPersonaIn(Schema):
    slug: str
    name: str
    summary: str = ""
    match_rule: str = Field("", description='Empty: persona == "<slug>".')


class PersonaPatch(Schema):
    name: str | None = None
    summary: str | None = None
    match_rule: str | None = None


class ContributionIn(Schema):
    section: PersonaSection
    text: str
    stage: str = ""
    replaces: int | None = Field(None, description="Id of a current contribution this one revises.")


class CommentIn(Schema):
    body: str
    contribution: int | None = None


class CommentOut(Schema):
    id: int
    side: str
    body: str
    created_at: datetime


class SuggestionOut(Schema):
    number: int
    size: int = Field(description="Won customers in the cluster.")
    share: float
    revenue: float
    revenue_share: float
    kind: str = Field(description='"refine" an existing persona or a "new" one.')
    persona: str
    headline: str
    traits: list[str]
    median_company_size: float | None
    median_revenue: float


def _persona(slug: str) -> Persona:
    persona = selectors.persona_get(slug=slug)
    if persona is None:
        raise HttpError(404, "no such persona")
    return persona


def _detail(persona: Persona) -> dict[str, Any]:
    match = selectors.persona_matches(personas=[persona])[persona.pk]
    return {
        **{k: getattr(persona, k) for k in ("slug", "name", "summary", "match_rule", "updated_at")},
        "contributions": list(persona.contributions.filter(retired_at__isnull=True).select_related("author")),
        "match": {**match.__dict__, "revenue": float(match.revenue)},
    }


@router.get("", response=list[ContentPersonaOut], summary="List personas")
def persona_list(request: HttpRequest) -> Any:
    require_role(request, Permission.EDIT_CONTENT)
    return selectors.persona_list()


@router.post("", response={201: ContentPersonaDetailOut}, summary="Create a persona")
def persona_create(request: HttpRequest, payload: ContentPersonaIn) -> Status:
    user = require_role(request, Permission.EDIT_CONTENT)
    persona = services.persona_create(**payload.dict(), by=user)
    return Status(201, _detail(persona))


@router.get("/suggestions", response=list[SuggestionOut], summary="Persona suggestions from won customers")
def persona_suggestions(request: HttpRequest) -> Any:
    require_role(request, Permission.EDIT_CONTENT)
    return [s.__dict__ for s in selectors.persona_suggestion_list()]


@router.get("/{slug}", response=ContentPersonaDetailOut, summary="One persona with its matches")
def persona_detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    require_role(request, Permission.EDIT_CONTENT)
    return _detail(_persona(slug))


@router.patch("/{slug}", response=ContentPersonaDetailOut, summary="Edit a persona")
def persona_patch(request: HttpRequest, slug: str, payload: PersonaPatch) -> dict[str, Any]:
    user = require_role(request, Permission.EDIT_CONTENT)
    persona = services.persona_update(persona=_persona(slug), by=user, **payload.dict(exclude_unset=True))
    return _detail(persona)


@router.post("/{slug}/contributions", response={201: ContributionOut}, summary="Add or revise a contribution")
def persona_contribute(request: HttpRequest, slug: str, payload: ContributionIn) -> Status:
    user = require_role(request, Permission.EDIT_CONTENT)
    persona = _persona(slug)
    replaces = None
    if payload.replaces is not None:
        replaces = persona.contributions.filter(pk=payload.replaces).first()
        if replaces is None:
            raise HttpError(404, "no such contribution on this persona")
    contribution = services.persona_contribute(
        persona=persona, section=payload.section.value, text=payload.text, stage=payload.stage, replaces=replaces,
        by=user,
    )  # fmt: skip
    return Status(201, contribution)


@router.post("/{slug}/comments", response={201: CommentOut}, summary="Comment on a persona")
def persona_comment(request: HttpRequest, slug: str, payload: CommentIn) -> Status:
    user = require_role(request, Permission.EDIT_CONTENT)
    persona = _persona(slug)
    contribution = None
    if payload.contribution is not None:
        contribution = persona.contributions.filter(pk=payload.contribution).first()
        if contribution is None:
            raise HttpError(404, "no such contribution on this persona")
    comment = services.persona_comment_add(
        persona=persona, body=payload.body, contribution=contribution, by=user
    )
    return Status(201, comment)

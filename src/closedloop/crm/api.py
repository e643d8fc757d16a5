"""Contacts API: upsert by email, list with search and filters, detail."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import EmailStr, StringConstraints

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.crm import selectors
from closedloop.crm.lifecycle import Stage
from closedloop.crm.models import Contact
from closedloop.crm.services import contact_upsert

router = Router(tags=["contacts"])

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)]


class ContactUpsertIn(Schema):
    email: EmailStr = Field(description="The identity key; matched case-insensitively.")
    first_name: Short = ""
    last_name: Short = ""
    title: Short = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    persona: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] = Field(
        "", description="Company name; matched to an account after normalisation ('Acme, Inc.' = 'ACME')."
    )
    lifecycle_stage: Stage | None = Field(
        None, description="Move the contact to this stage (recorded in history)."
    )
    properties: dict[str, Any] = Field(default_factory=dict)


class ContactOut(Schema):
    id: int
    email: str | None
    first_name: str
    last_name: str
    title: str
    persona: str
    lifecycle_stage: str
    lead_score: int
    company: str | None = Field(None, description="Account name.")
    source_campaign: str | None = Field(None, description="First-touch campaign name.")
    created_at: datetime

    @staticmethod
    def resolve_company(obj: Contact) -> str | None:
        return obj.account.name if obj.account else None

    @staticmethod
    def resolve_source_campaign(obj: Contact) -> str | None:
        return obj.source_campaign.name if obj.source_campaign else None


class ContactUpsertOut(Schema):
    created: bool
    contact: ContactOut


class ContactFilters(Schema):
    q: str = Field("", description="Search in name, email and company.")
    stage: Stage | None = None
    campaign_id: int | None = None
    channel: str = ""


@router.post("/upsert", response=ContactUpsertOut, summary="Create or update a contact by email")
def upsert(request: HttpRequest, payload: ContactUpsertIn) -> dict[str, Any]:
    user = require_role(request, Permission.WRITE_CONTACTS)
    fields = payload.dict(include={"first_name", "last_name", "title", "phone", "persona"})
    contact, created = contact_upsert(
        email=payload.email,
        fields=fields,
        company=payload.company or None,
        lifecycle_stage=payload.lifecycle_stage.value if payload.lifecycle_stage else None,
        properties=payload.properties,
        by=user,
    )
    return {"created": created, "contact": contact}


@router.get("", response=list[ContactOut], summary="List contacts")
@paginate
def contact_list(request: HttpRequest, filters: Query[ContactFilters]) -> Any:
    require_role(request, Permission.VIEW_CONTACTS)
    return selectors.contact_list(
        q=filters.q, stage=filters.stage, campaign_id=filters.campaign_id, channel=filters.channel
    )


@router.get("/{contact_id}", response=ContactOut, summary="One contact")
def contact_detail(request: HttpRequest, contact_id: int) -> Contact:
    require_role(request, Permission.VIEW_CONTACTS)
    return get_object_or_404(selectors.contact_list(), pk=contact_id)

"""Personal data API: a contact's export (JSON) and erasure, and the retention settings."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.config.api_errors import ErrorsOut
from closedloop.crm.models import Contact
from closedloop.privacy import selectors, services
from closedloop.privacy.confirmation import confirmation_matches
from closedloop.privacy.models import ErasureRecord

router = Router(tags=["privacy"])


class EraseIn(Schema):
    confirm: str = Field(
        description="The contact's email address (any case), or its id when it has none: proof that "
        "the caller means this contact."
    )
    reason: Literal["request", "retention", "other"] = Field(
        description="request: the person asked; retention: retention period passed; other: another "
        "lawful reason."
    )


class ErasureOut(Schema):
    contact_id: int = Field(description="The contact, now an anonymous tombstone.")
    erased_at: datetime
    reason: str
    was_suppressed: bool = Field(description="The address was on the suppression list; it is still blocked.")
    counts: dict[str, int] = Field(description='Rows changed per table, e.g. {"tracking.event": 12}.')


class RetentionIn(Schema):
    event_days: int | None = Field(None, description="Delete events older than this; null keeps them.")
    anonymous_event_days: int | None = Field(None, description="Delete never-identified visitors' events.")
    email_body_days: int | None = Field(None, description="Clear sent email bodies older than this.")
    inactive_contact_months: int | None = Field(None, description="Erase inactive contacts; null is off.")


class RetentionOut(RetentionIn):
    updated_at: datetime


@router.get(
    "/contacts/{contact_id}/export",
    response={200: dict[str, Any], 403: ErrorsOut, 404: ErrorsOut},
    summary="Everything held about one contact",
    description="JSON with `schema`, `schema_version`, the contact, its account and owner, and `records`: "
    "every row about the contact, per table (ISO 8601 times). Recorded in the audit log.",
)
def export_contact(request: HttpRequest, contact_id: int) -> Any:
    user = require_role(request, Permission.MANAGE_PERSONAL_DATA)
    contact = get_object_or_404(Contact, pk=contact_id)
    return services.contact_export(contact, by=user)


@router.post(
    "/contacts/{contact_id}/erase",
    response={200: ErasureOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut},
    summary="Erase one contact's personal data",
    description="Removes the person's data from every table in one transaction; cannot be undone. "
    "A contact already erased is refused with 422.",
)
def erase_contact(request: HttpRequest, contact_id: int, payload: EraseIn) -> Any:
    user = require_role(request, Permission.MANAGE_PERSONAL_DATA)
    contact = get_object_or_404(Contact, pk=contact_id)
    if selectors.erasure_get(contact):
        msg = f"contact {contact.pk} has already been erased"
        return Status(422, {"errors": [{"loc": ["contact_id"], "msg": msg}]})
    if not confirmation_matches(contact, payload.confirm):
        msg = "must be the contact's email address (or its id if it has none)"
        return Status(422, {"errors": [{"loc": ["confirm"], "msg": msg}]})
    record: ErasureRecord = services.contact_erase(contact, by=user, reason=payload.reason)
    return {
        "contact_id": record.contact_number,
        "erased_at": record.erased_at,
        "reason": record.reason,
        "was_suppressed": record.was_suppressed,
        "counts": record.counts,
    }


@router.get("/retention", response={200: RetentionOut, 403: ErrorsOut}, summary="The retention settings")
def retention_get(request: HttpRequest) -> Any:
    require_role(request, Permission.MANAGE_RETENTION)
    return selectors.retention_policy_get()


@router.put(
    "/retention",
    response={200: RetentionOut, 403: ErrorsOut, 422: ErrorsOut},
    summary="Replace the retention settings",
    description="Every field; null means no limit (or off). Applied by the daily retention job.",
)
def retention_put(request: HttpRequest, payload: RetentionIn) -> Any:
    user = require_role(request, Permission.MANAGE_RETENTION)
    return services.retention_policy_update(by=user, **payload.model_dump())

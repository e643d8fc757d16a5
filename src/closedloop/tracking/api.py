"""Event ingest API."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import AwareDatetime, EmailStr, StringConstraints, field_validator

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.crm.names import normalize_email
from closedloop.tracking.ingest import EventInput, events_ingest
from closedloop.tracking.models import EventType

router = Router(tags=["events"])

MAX_BATCH = 1000
# Clocks drift; a day of slack accepts skewed clients but refuses obviously wrong years.
FUTURE_SLACK = timedelta(days=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]


class ContactRef(Schema):
    email: EmailStr = Field(description="Identifies the contact; created if unknown.")
    first_name: Short = ""
    last_name: Short = ""
    title: Short = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""


class Utm(Schema):
    source: Short = ""
    medium: Short = ""
    campaign: Short = Field("", description="Matches a campaign's utm_campaign to attribute the event.")
    term: Short = ""
    content: Short = ""


class EventIn(Schema):
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description="Client-chosen unique key; an event whose key is already stored is skipped."
    )
    type: EventType = Field(description="What happened.")
    ts: AwareDatetime = Field(description="When it happened, ISO 8601 with a timezone offset.")
    visitor_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] = Field(
        "", description="Anonymous visitor id (cookie). With `contact` set, identifies the visitor."
    )
    contact: ContactRef | None = Field(None, description="The known person, if any.")
    utm: Utm = Field(default_factory=Utm)
    url: Annotated[str, StringConstraints(max_length=2000)] = ""
    properties: dict[str, Any] = Field(default_factory=dict, description="Free-form details (JSON object).")

    @field_validator("ts")
    @classmethod
    def ts_is_plausible(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + FUTURE_SLACK:
            raise ValueError("timestamp is in the future")
        if value < EARLIEST:
            raise ValueError("timestamp is before the year 2000")
        return value

    @field_validator("contact")
    @classmethod
    def contact_or_visitor(cls, value: ContactRef | None, info: Any) -> ContactRef | None:
        if value is None and not info.data.get("visitor_id"):
            raise ValueError("an event needs a contact email or a visitor_id")
        return value


class EventBatchIn(Schema):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} events.")


class EventBatchOut(Schema):
    accepted: int = Field(description="Events stored by this request.")
    duplicates: int = Field(description="Events skipped because their idempotency key was already stored.")
    contacts_created: int
    visitors_identified: int


@router.post("/batch", response=EventBatchOut, summary="Ingest a batch of touchpoint events")
def ingest_batch(request: HttpRequest, payload: EventBatchIn) -> dict[str, int]:
    """All-or-nothing: any invalid event rejects the whole batch (422, every error listed) and
    nothing is stored. Resending a batch stores nothing twice."""
    require_role(request, Permission.INGEST_EVENTS)
    result = events_ingest(events=[_to_input(e) for e in payload.events])
    return result.__dict__


def _to_input(e: EventIn) -> EventInput:
    return EventInput(
        idempotency_key=e.idempotency_key,
        type=e.type.value,
        ts=e.ts,
        visitor_id=e.visitor_id,
        email=normalize_email(e.contact.email) if e.contact else "",
        contact_fields=e.contact.model_dump(exclude={"email"}) if e.contact else {},
        utm=e.utm.model_dump(),
        url=e.url,
        properties=e.properties,
    )
